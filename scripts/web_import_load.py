"""A web import against the command line, and page loads while it runs.

    python scripts/web_import_load.py [--rows 150000] [--files 3]

Builds the demo store and N ledgers of ROWS rows each (.xlsx, as Excel writes them), then
- imports them with ``python -m campaign import`` into a copy of the store (wall time, start-up included);
- starts the dashboard on another copy, uploads the same files on the 数据导入 page in headless Chromium and
  times upload → check shown, and 确认导入 → 导入完成 (web_*);
- does the same again on a third copy while a second browser opens the overview again and again (busy_web_*):
  time until its figures show, idle (before the upload) and during the import. Prints the figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def ledgers(work: Path, rows: int, files: int) -> list[Path]:
    from campaign.ingest.bench import ledger_rows, write_xlsx

    out = []
    for k in range(files):
        data = ledger_rows(rows, seed=11 + k)
        for r in data:
            r[1] = f"W{k}-{r[1]}"  # every file its own problems
        out.append(write_xlsx(work / f"台账{k + 1}.xlsx", data))
    return out


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))], 2) if xs else float("nan")


def web_import(base: Path, files: list[Path], work: Path, readers: bool) -> dict:
    """Upload the files on the import page and confirm; with ``readers`` a second browser keeps opening the
    overview meanwhile (after 25 s of idle loads)."""
    from playwright.sync_api import sync_playwright

    from screenshots import CHROMIUM_ARGS, chromium_path, wait_for_page
    from tests.e2e.conftest import dashboard_server

    work.mkdir(parents=True, exist_ok=True)
    db = work / "web.duckdb"
    shutil.copy(base, db)
    loads: dict[str, list[float]] = {"idle": [], "import": []}
    phase = {"now": "idle", "stop": False}
    out: dict = {}
    env = {"CAMPAIGN_BACKUP_HOURS": "0", "CAMPAIGN_MAX_UPLOAD_MB": "200"}
    with dashboard_server(db, work / "server.log", env=env) as url:

        def reader() -> None:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                page = b.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
                while not phase["stop"]:
                    which = phase["now"]
                    t0 = time.perf_counter()
                    page.goto(url)
                    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=300_000)
                    wait_for_page(page)
                    if phase["now"] == which:
                        loads[which].append(time.perf_counter() - t0)
                b.close()

        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            page.set_default_timeout(900_000)
            page.goto(f"{url}/import")
            wait_for_page(page, "数据导入")
            th = threading.Thread(target=reader) if readers else None
            if th:
                th.start()
                time.sleep(40)  # idle page loads first
            phase["now"] = "import"
            t0 = time.perf_counter()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files([str(f) for f in files])
            go = page.get_by_role("button", name="确认导入")
            page.get_by_role("heading", name="检查结果").wait_for()
            page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => "
                                   "b.innerText.includes('确认导入') && !b.disabled)")
            out["check_s"] = round(time.perf_counter() - t0, 2)
            t1 = time.perf_counter()
            go.click()
            page.get_by_role("heading", name="导入完成").wait_for()
            out["import_s"] = round(time.perf_counter() - t1, 2)
            out["total_s"] = round(time.perf_counter() - t0, 2)
            phase["stop"] = True
            if th:
                th.join()
            b.close()
    out["loads"] = loads
    return out


def main(rows: int, n_files: int) -> dict:
    from campaign.demo import build_demo

    work = Path(tempfile.mkdtemp(prefix="web-import-"))
    base = work / "base.duckdb"
    build_demo(base)
    files = ledgers(work, rows, n_files)
    cli_db = work / "cli.duckdb"
    shutil.copy(base, cli_db)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "campaign", "import", *map(str, files), "--db", str(cli_db)], cwd=ROOT,
                   check=True, capture_output=True)
    cli_s = time.perf_counter() - t

    out: dict = {"rows_per_file": rows, "files": n_files, "cli_s": round(cli_s, 2)}
    quiet = web_import(base, files, work / "quiet", readers=False)
    busy = web_import(base, files, work / "busy", readers=True)
    out.update({f"web_{k}": v for k, v in quiet.items() if k != "loads"})
    out.update({f"busy_web_{k}": v for k, v in busy.items() if k != "loads"})
    loads = busy["loads"]
    out["web_import_vs_cli"] = round(out["web_import_s"] / cli_s, 2)
    out["web_total_vs_cli"] = round(out["web_total_s"] / cli_s, 2)
    out["busy_web_import_vs_cli"] = round(out["busy_web_import_s"] / cli_s, 2)
    out["page_idle_p95_s"], out["page_during_import_p95_s"] = p95(loads["idle"]), p95(loads["import"])
    out["page_loads"] = {k: len(v) for k, v in loads.items()}
    out["page_ratio"] = round(out["page_during_import_p95_s"] / out["page_idle_p95_s"], 2)
    out["page_idle_median_s"] = round(statistics.median(loads["idle"]), 2) if loads["idle"] else None
    shutil.rmtree(work, ignore_errors=True)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=150_000)
    ap.add_argument("--files", type=int, default=3)
    a = ap.parse_args()
    print(json.dumps(main(a.rows, a.files), ensure_ascii=False))
