"""Render time of each page, measured with Streamlit's AppTest (the time of at.run()).

    python scripts/page_times.py                      # a fresh scale-1 demo (about 18,000 problems)
    python scripts/page_times.py /tmp/p1m.duckdb      # any store(s); e.g. built with
                                                      # python -m campaign demo --db /tmp/p1m.duckdb --scale 55
    python scripts/page_times.py --runs 7 A.duckdb B.duckdb

For every page: "first" is the first run of the page with the cached results cleared (what the first visitor
after an import waits for; the entry script's own sidebar queries are already cached by then), "cached" is the
median of the following runs (every later visitor). A store must not be open in another process.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {"overview": "总览", "trends": "得分趋势", "shortboards": "短板指标", "rankings": "排名",
         "rectification": "整改"}


def page_times(db: Path, runs: int = 5) -> list[tuple[str, float, float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["CAMPAIGN_DB"] = str(db)
    out = []
    for slug in PAGES:
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        t = time.perf_counter()
        at.run()
        first = time.perf_counter() - t
        if slug != "overview":
            st.cache_data.clear()
            at.run()  # the entry script's sidebar queries cached again; the page's own are not
            at.switch_page(f"pages/{slug}.py")
            t = time.perf_counter()
            at.run()
            first = time.perf_counter() - t
        if at.exception:
            raise RuntimeError(f"{slug}: {[e.value for e in at.exception]}")
        cached = []
        for _ in range(runs):
            t = time.perf_counter()
            at.run()
            cached.append(time.perf_counter() - t)
        out.append((slug, first * 1000, statistics.median(cached) * 1000))
    return out


def problems_in(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db))
    try:
        return con.execute("SELECT count(*) FROM problems").fetchone()[0]
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="各页面渲染时间（AppTest 计时）")
    ap.add_argument("db", nargs="*", type=Path, help="数据库文件；不填则生成一个 scale 1 的演示库")
    ap.add_argument("--runs", type=int, default=5, help="缓存后重复次数，取中位数")
    args = ap.parse_args(argv)
    dbs = list(args.db)
    tmp = None
    if not dbs:
        from campaign.demo import build_demo

        tmp = tempfile.TemporaryDirectory()
        dbs = [Path(tmp.name) / "demo.duckdb"]
        build_demo(dbs[0], scale=1.0, seed=2026)
    for db in dbs:
        if not db.exists():
            print(f"找不到数据库：{db}", file=sys.stderr)
            return 2
        n = problems_in(db)
        print(f"\n{db}  （问题 {n:,} 条）")
        print(f"{'页面':<14}{'首次（毫秒）':>12}{'缓存后（毫秒）':>14}")
        for slug, first, cached in page_times(db, args.runs):
            print(f"{PAGES[slug] + ' ' + slug:<16}{first:>10.0f}{cached:>14.0f}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
