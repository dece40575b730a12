"""Crash safety: `python -m campaign import` killed with SIGKILL at random moments of a large import leaves the store
exactly as before that import or exactly as after it — never in between — and running the import again gives the
after state.

The kill delays are spread over the import as measured on this machine (most of them inside the window where
the file is being written: from the first change of the store file until the process ends). The default suite
kills 24 imports; CAMPAIGN_FAULT_RUNS=200 runs a longer campaign, CAMPAIGN_FAULT_SEED picks other moments."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from campaign.config import ROOT
from campaign.ingest import import_file
from campaign.ingest.bench import ledger_rows, write_csv
from campaign.store import CONTRACT_VIEWS, init_store
from tests.reliability_helpers import fingerprint

RUNS = int(os.environ.get("CAMPAIGN_FAULT_RUNS", "24"))
SEED = int(os.environ.get("CAMPAIGN_FAULT_SEED", "2026"))
BY = "断电测试"


@dataclass
class Setup:
    work: Path
    base: Path            # the store before the import (one earlier import of 10,000 problems)
    big: Path             # the import: 50,000 rows, 10,000 of them updates
    before: dict
    after: dict
    duration: float       # the whole command, start to exit
    tx_start: float       # when its transaction begins (estimated: start-up + the same moment in this process)
    file_change: float    # when the store file first changed (the commit writes the log)


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


def _copy(src: Path, dst: Path) -> Path:
    _remove(dst)
    shutil.copyfile(src, dst)
    return dst


def _start(db: Path, file: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "campaign", "import", str(file), "--db", str(db), "--by", BY],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _state(db: Path) -> dict:
    con = duckdb.connect(str(db))
    try:
        return fingerprint(con)
    finally:
        con.close()


def _measure(setup_base: Path, big: Path, work: Path) -> tuple[float, float]:
    """(duration, first change of the store file) of one uninterrupted command-line import, in seconds."""
    db = _copy(setup_base, work / "measure.duckdb")
    wal = Path(f"{db}.wal")
    st0 = db.stat()
    first: list[float] = []
    stop = threading.Event()
    t0 = time.monotonic()
    proc = _start(db, big)

    def watch() -> None:
        while not stop.is_set():
            try:
                st = db.stat()
                if wal.exists() or st.st_size != st0.st_size or st.st_mtime_ns != st0.st_mtime_ns:
                    first.append(time.monotonic() - t0)
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert proc.wait(timeout=300) == 0
    duration = time.monotonic() - t0
    stop.set()
    watcher.join()
    return duration, first[0] if first else duration * 0.5


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Setup:
    work = tmp_path_factory.mktemp("faults")
    rows = ledger_rows(50_000, seed=3)
    earlier = [r[:12] + ["整改中", None, r[14]] for r in rows[:10_000]]  # the same problems, still open then
    base = work / "base.duckdb"
    init_store(base)
    con = duckdb.connect(str(base))
    try:
        assert import_file(con, write_csv(work / "上月台账.csv", earlier), imported_by=BY).accepted == 10_000
        before = fingerprint(con)
    finally:
        con.close()
    big = write_csv(work / "全年台账.csv", rows)
    ref = _copy(base, work / "reference.duckdb")
    con = duckdb.connect(str(ref))
    try:
        res = import_file(con, big, imported_by=BY)
        # 待整改 in the year's file after 整改中 last month is an older status: kept as stored, counted as older
        assert (res.accepted, res.updated + res.older) == (40_000, 10_000 - res.unchanged) and res.updated > 5_000
        after = fingerprint(con)
    finally:
        con.close()
    duration, file_change = _measure(base, big, work)
    assert _state(work / "measure.duckdb") == after
    return Setup(work, base, big, before, after, duration, _transaction_start(base, big, work, duration), file_change)


def _transaction_start(base: Path, big: Path, work: Path, duration: float) -> float:
    """The same import in this process, noting when its transaction begins (the engine then makes sure of the
    import tables); the command takes longer by its start-up, which is added."""
    from campaign.ingest import upsert

    db = _copy(base, work / "timing.duckdb")
    marks: dict[str, float] = {}
    original = upsert.ensure_tables

    def noted(cur):
        marks.setdefault("tx", time.monotonic() - t0)
        return original(cur)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(upsert, "ensure_tables", noted)
        con = duckdb.connect(str(db))
        t0 = time.monotonic()
        try:
            import_file(con, big, imported_by=BY)
        finally:
            con.close()
        inside = time.monotonic() - t0
    return max(0.05, duration - inside) + marks["tx"]


def _delays(s: Setup, runs: int, seed: int) -> list[float]:
    """Three in four inside the write (from the transaction's start to the end of the process), the rest anywhere."""
    rng = random.Random(seed)
    lo = max(0.05, s.tx_start - 0.05)
    hi = s.duration + 0.05
    return [rng.uniform(lo, hi) if i % 4 else rng.uniform(0.05, hi) for i in range(runs)]


def test_kill_an_import_at_random_moments(setup):
    assert RUNS >= 20
    delays = _delays(setup, RUNS, SEED)
    outcomes = {"before": 0, "after": 0}
    phases = {"parsing": 0, "in the transaction": 0, "committed, closing": 0, "after the end": 0}
    for d in delays:
        phases["parsing" if d < setup.tx_start else "in the transaction" if d < setup.file_change else
               "committed, closing" if d < setup.duration else "after the end"] += 1
    for i, delay in enumerate(delays):
        db = _copy(setup.base, setup.work / "run.duckdb")
        proc = _start(db, setup.big)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = _state(db)
        where = f"run {i}, killed after {delay:.3f} s (import takes {setup.duration:.2f} s, its transaction " \
                f"from {setup.tx_start:.2f} s, commit about {setup.file_change:.2f} s), exit {proc.returncode}"
        assert state in (setup.before, setup.after), f"store neither before nor after the import: {where}"
        outcomes["before" if state == setup.before else "after"] += 1
        con = duckdb.connect(str(db))
        try:
            for v in (*CONTRACT_VIEWS, "import_log", "problem_history"):
                con.execute("SELECT count(*) FROM " + v).fetchone()
            log = con.execute("SELECT count(*), max(accepted) FROM import_log").fetchone()
            assert log == ((1, 10_000) if state == setup.before else (2, 40_000)), where
            again = import_file(con, setup.big, imported_by=BY)  # simply run it again
            assert again.refused is None, where
            assert fingerprint(con) == setup.after, where
        finally:
            con.close()
    print(f"\n{RUNS} kills (seed {SEED}) by phase {phases}; store found {outcomes}; import {setup.duration:.2f} s, "
          f"transaction from {setup.tx_start:.2f} s, commit about {setup.file_change:.2f} s")
    assert phases["in the transaction"] + phases["committed, closing"] >= RUNS // 2
    assert outcomes["before"] > 0 and outcomes["after"] > 0  # kills did land on both sides of the commit


def test_kill_an_import_into_a_new_store(setup, tmp_path):
    """`import --db NEW` makes the store first: killed then, the path holds no store or a whole empty one."""
    rng = random.Random(SEED + 1)
    for i in range(6):
        db = tmp_path / f"new{i}" / "campaign.duckdb"
        proc = subprocess.Popen([sys.executable, "-m", "campaign", "import", str(setup.big), "--db", str(db)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, setup.tx_start + 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if db.exists():
            con = duckdb.connect(str(db))
            try:
                assert con.execute("SELECT count(*) FROM standards").fetchone()[0] == 213  # 188 + 25
                assert con.execute("SELECT count(*) FROM problems").fetchone()[0] in (0, 50_000)
            finally:
                con.close()
        out = subprocess.run([sys.executable, "-m", "campaign", "import", str(setup.big), "--db", str(db)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        con = duckdb.connect(str(db))
        try:
            assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 50_000
        finally:
            con.close()
