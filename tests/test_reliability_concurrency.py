"""Imports while many sessions read: one process, one connection, a cursor per query. Readers never see an error
or half an import; two imports in the app follow one another; a command-line import while the dashboard holds the
store waits with a message and never touches it."""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date

import duckdb
import pytest

from campaign import ops, queries
from campaign.analysis import metrics
from campaign.config import ROOT
from campaign.ingest import import_file
from campaign.ingest.bench import ledger_rows, write_csv
from campaign.store import write_lock
from tests.reliability_helpers import cli, fingerprint, fingerprint_file, held

READERS = 8
PARAMS = dict(start=date(2026, 11, 16), end=date(2026, 11, 22), prev_start=date(2026, 11, 9),
              prev_end=date(2026, 11, 15), round_id=8, street=None, department=None, site_type=None, category=None)
# one statement, so one snapshot: what an import changes, all at once
SNAPSHOT = """SELECT (SELECT count(*) FROM problems), (SELECT count(*) FROM import_log),
                     (SELECT count(*) FROM problem_history), (SELECT count(*) FROM sites),
                     (SELECT count(*) FILTER (WHERE status = '已销号') FROM problems)"""


@pytest.fixture()
def store(demo_db, tmp_path):
    con = duckdb.connect(str(demo_db))
    try:
        return ops.backup(con, tmp_path / "campaign.duckdb")
    finally:
        con.close()


@pytest.fixture(scope="module")
def big_ledger(tmp_path_factory):
    """30,000 rows: about 18,000 problems the demo already has (their status moves on) and 12,000 new ones."""
    return write_csv(tmp_path_factory.mktemp("concurrency") / "全年台账.csv", ledger_rows(30_000, seed=21))


def snapshot(con) -> tuple:
    cur = con.cursor()
    try:
        return cur.execute(SNAPSHOT).fetchone()
    finally:
        cur.close()


def page_reads(con) -> list:
    """What the pages ask: every named query with the filters of a week and a round, and the scoring."""
    def run(name):
        return lambda: queries.run(con, name, **PARAMS)

    calls = [run(n) for n in queries.names()]
    calls += [lambda: metrics.round_scores(con), lambda: metrics.round_detail(con, 8)]
    return calls


def test_readers_see_before_or_after_never_half_and_never_an_error(store, big_ledger, tmp_path):
    reference = ops.backup_file(store, tmp_path / "reference.duckdb")
    ref = duckdb.connect(str(reference))
    try:
        # the synthetic year's statuses are random against the demo's: let them move back too, for a big write
        expected = import_file(ref, big_ledger, imported_by="并发测试", allow_older=True)
        assert expected.accepted > 10_000 and expected.updated > 10_000
        after = snapshot(ref)
        after_print = fingerprint(ref)
    finally:
        ref.close()

    con = duckdb.connect(str(store))  # the app's one connection
    before, before_print = snapshot(con), fingerprint(con)
    assert before != after
    calls = page_reads(con)
    for call in calls:  # every read works on a quiet store
        call()
    started = threading.Barrier(READERS + 1)
    writer_done = threading.Event()
    seen: list[list[tuple]] = [[] for _ in range(READERS)]
    errors: list[BaseException] = []
    backups: list = []

    def reader(i: int) -> None:
        try:
            seen[i].append(snapshot(con))
            started.wait()
            k, extra = 0, 0
            while extra < 3:
                seen[i].append(snapshot(con))
                calls[(i + k) % len(calls)]()
                seen[i].append(snapshot(con))
                k += 1
                extra += writer_done.is_set()
        except BaseException as e:  # noqa: BLE001 (any error of a reader fails the test)
            errors.append(e)
            started.abort()

    def backup_midway() -> None:
        try:
            backups.append(ops.backup(con, tmp_path / "midway.duckdb"))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    for t in threads:
        t.start()
    started.wait(timeout=120)
    midway = threading.Thread(target=backup_midway)
    with write_lock:
        midway.start()
        res = import_file(con, big_ledger, imported_by="并发测试", allow_older=True)
    writer_done.set()
    for t in threads + [midway]:
        t.join(timeout=300)
    try:
        assert not errors, errors
        assert res.refused is None and (res.accepted, res.updated) == (expected.accepted, expected.updated)
        observed = {s for per in seen for s in per}
        assert observed <= {before, after}, observed - {before, after}
        assert after in observed and all(per[0] == before and per[-1] == after for per in seen)
        assert sum(len(per) for per in seen) > 3 * READERS
        assert snapshot(con) == after and fingerprint(con) == after_print
    finally:
        con.close()
    assert fingerprint_file(backups[0]) in (before_print, after_print)  # a backup taken meanwhile: whole, too


def test_two_imports_in_the_app_follow_one_another(store, tmp_path):
    files = []
    for k in range(2):
        rows = ledger_rows(3000, seed=30 + k)
        for i, r in enumerate(rows):
            r[1] = f"T{k}-{i:05d}"  # new problems only: the two files share nothing but the tables
        files.append(write_csv(tmp_path / f"第{k + 1}批.csv", rows))
    con = duckdb.connect(str(store))
    before = snapshot(con)[0]
    results = [None, None]
    go = threading.Barrier(2)

    def importer(k: int) -> None:
        go.wait()
        with write_lock:
            results[k] = import_file(con, files[k])

    threads = [threading.Thread(target=importer, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    try:
        assert [r.refused for r in results] == [None, None]
        assert sorted(r.import_id for r in results) == [1, 2]
        assert snapshot(con)[0] == before + 6000 and snapshot(con)[1] == 2
    finally:
        con.close()


def test_a_command_line_import_waits_for_the_dashboard_and_never_touches_the_store(store, big_ledger):
    before = fingerprint_file(store)
    with held(store):
        out = cli("import", big_ledger, "--db", store, "--wait", "2")
        assert out.returncode != 0
        assert f"看板正在使用数据库 {store}，等待中……（可在看板「数据导入」页导入）" in out.stderr
        assert "已等待 2 秒，未作任何改动" in out.stderr
    assert fingerprint_file(store) == before
    out = cli("import", big_ledger, "--db", store, "--wait", "2")
    assert out.returncode == 0, out.stderr
    assert "第 1 次导入" in out.stdout and fingerprint_file(store) != before


def test_a_command_line_import_that_waited_goes_ahead_when_the_store_is_free(store, big_ledger):
    with held(store) as holder:
        proc = subprocess.Popen([sys.executable, "-m", "campaign", "import", str(big_ledger), "--db", str(store),
                                 "--wait", "120"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stderr.readline()  # the waiting message comes before the holder lets go
        assert "看板正在使用数据库" in first
        assert holder.poll() is None
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "第 1 次导入" in out
