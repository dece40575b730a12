"""确认导入 writes what the check prepared, without reading the file again: the store ends exactly as a plain
import leaves it; when the store changed after the check, nothing prepared is written."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from campaign.ingest import engine, read
from campaign.ingest import import_file
from campaign.ingest.engine import commit_checked
from campaign.store import bump_data_version, writes_in_process
from tests.ingest import realformats as rf

TABLES = ("problems", "sites", "inspections", "streets", "departments")


def state(con) -> dict:
    out = {}
    for t in TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE store.{t}").fetchall() if r[0] not in ("import_id",)]
        out[t] = sorted(map(repr, con.execute(f"SELECT {', '.join(cols)} FROM store.{t}").fetchall()))
    out["log"] = con.execute("SELECT file_name, accepted, updated, quarantined FROM store.import_log").fetchall()
    return out


@pytest.mark.parametrize("build", [rf.build_egova, rf.build_hotline, rf.build_jiaoban_week12])
def test_the_prepared_check_writes_what_a_plain_import_writes(store, tmp_path, build):
    path, _ = build(tmp_path)
    twin = tmp_path / "twin.duckdb"
    con = duckdb.connect(str(store))
    try:
        rf.seed_known_names(con)
    finally:
        con.close()
    shutil.copy(store, twin)

    plain = duckdb.connect(str(twin))
    try:
        want = import_file(plain, path, imported_by="王科员")
        expected = state(plain)
    finally:
        plain.close()

    con = duckdb.connect(str(store))
    try:
        checked = import_file(con, path, dry_run=True, prepare=True)
        assert checked.prepared is not None and not checked.written
        reads = []
        original = read.read_bytes
        engine.read_bytes = lambda *a, **k: reads.append(a) or original(*a, **k)
        try:
            got = commit_checked(con, checked, "王科员")
        finally:
            engine.read_bytes = original
        assert reads == []  # the file was not read again
        assert got.written and (got.accepted, got.updated, got.quarantined) == \
            (want.accepted, want.updated, want.quarantined) == (checked.accepted, checked.updated, checked.quarantined)
        assert state(con) == expected
        assert commit_checked(con, checked, "王科员") is None  # written once
    finally:
        con.close()


def test_a_store_that_changed_after_the_check_is_not_written_from_it(store, tmp_path):
    path, _ = rf.build_jiaoban_week12(tmp_path)
    con = duckdb.connect(str(store))
    try:
        rf.seed_known_names(con)
        checked = import_file(con, path, dry_run=True, prepare=True)
        con.execute("BEGIN TRANSACTION")
        bump_data_version(con)  # e.g. a name decision saved, or another file imported meanwhile
        con.execute("COMMIT")
        before = con.execute("SELECT count(*) FROM problems").fetchone()[0]
        assert commit_checked(con, checked, "王科员") is None
        assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == before
    finally:
        con.close()


def test_a_check_without_prepare_keeps_nothing(con, tmp_path):
    path, _ = rf.build_egova(tmp_path)
    rf.seed_known_names(con)
    checked = import_file(con, path, dry_run=True)
    assert checked.prepared is None and commit_checked(con, checked) is None


def test_a_file_larger_than_the_bound_is_not_kept(con, tmp_path, monkeypatch):
    path, _ = rf.build_egova(tmp_path)
    rf.seed_known_names(con)
    monkeypatch.setattr(engine, "PREPARE_MAX_ROWS", 10)  # the file lands 24 rows
    checked = import_file(con, path, dry_run=True, prepare=True)
    assert checked.accepted == 24 and checked.prepared is None


def _plain_sequence(store, tmp_path, paths) -> tuple[list, dict]:
    twin = tmp_path / "seq.duckdb"
    shutil.copy(store, twin)
    con = duckdb.connect(str(twin))
    try:
        results = [import_file(con, p, imported_by="王科员") for p in paths]
        return results, state(con)
    finally:
        con.close()


def _without_reading(fn):
    reads = []
    original = read.read_bytes
    engine.read_bytes = lambda *a, **k: reads.append(a) or original(*a, **k)
    try:
        return fn(), reads
    finally:
        engine.read_bytes = original


def test_files_checked_together_count_as_imported_one_after_another(store, tmp_path):
    """Week 11 and week 12 of the same 交办台账, checked together: the week-12 check already sees week 11's ten
    problems (five of them move on, as importing the two files in turn does), and 确认导入 writes both from
    the check, without reading either file again."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    w11, _ = rf.build_jiaoban_week11(tmp_path / "a")
    w12, exp12 = rf.build_jiaoban_week12(tmp_path / "b")
    con = duckdb.connect(str(store))
    try:
        rf.seed_known_names(con)
    finally:
        con.close()
    want, expected = _plain_sequence(store, tmp_path, [w11, w12])
    assert want[1].updated > 0  # week 12 moves week-11 problems on: the chain matters

    con = duckdb.connect(str(store))
    try:
        before, writes = state(con), writes_in_process()
        checked = engine.check_files(con, [(w11.read_bytes(), w11.name), (w12.read_bytes(), w12.name)])
        assert state(con) == before  # a check writes nothing
        assert writes_in_process() == writes  # and the app's caches stay valid
        assert [(r.accepted, r.updated, r.unchanged, r.quarantined) for r in checked] == \
            [(r.accepted, r.updated, r.unchanged, r.quarantined) for r in want]
        assert all(r.dry_run and not r.written and r.prepared is not None for r in checked)
        done, reads = _without_reading(lambda: [commit_checked(con, r, "王科员") for r in checked])
        assert reads == [] and all(d is not None and d.written for d in done)
        assert [d.import_id for d in done] == [r.import_id for r in want]
        assert state(con) == expected
    finally:
        con.close()


def test_a_later_file_of_a_chain_waits_for_the_one_before(store, tmp_path):
    """If the first file is not written from its check, the second one's check no longer describes the store
    it would be written to: it is not written from it."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    w11, _ = rf.build_jiaoban_week11(tmp_path / "a")
    w12, _ = rf.build_jiaoban_week12(tmp_path / "b")
    con = duckdb.connect(str(store))
    try:
        rf.seed_known_names(con)
        first, second = engine.check_files(con, [(w11.read_bytes(), w11.name), (w12.read_bytes(), w12.name)])
        assert commit_checked(con, second, "王科员") is None  # out of order
        before = con.execute("SELECT count(*) FROM problems").fetchone()[0]
        assert before == 0
        assert commit_checked(con, first, "王科员").accepted == 10
        assert commit_checked(con, second, "王科员") is not None
    finally:
        con.close()


def test_a_refused_or_repeated_file_in_the_middle_leaves_the_others_as_a_sequence(store, tmp_path):
    """[week 12, a damaged file, week 12 again (nothing new), the 数字城管 export]: the damaged file is refused,
    the repeat finds nothing new, and the store after writing the rest from the check equals importing the
    files one after another."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    w12, _ = rf.build_jiaoban_week12(tmp_path / "a")
    eg, _ = rf.build_egova(tmp_path / "b")
    damaged = tmp_path / "损坏.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    con = duckdb.connect(str(store))
    try:
        rf.seed_known_names(con)
    finally:
        con.close()
    want, expected = _plain_sequence(store, tmp_path, [w12, damaged, w12, eg])
    assert want[1].refused and want[2].accepted + want[2].updated == 0

    con = duckdb.connect(str(store))
    try:
        checked = engine.check_files(con, [(p.read_bytes(), p.name) for p in (w12, damaged, w12, eg)])
        assert checked[1].refused and "损坏.xlsx" in checked[1].refused
        assert [(r.accepted, r.updated, r.unchanged) for r in checked] == \
            [(r.accepted, r.updated, r.unchanged) for r in want]
        done, reads = _without_reading(lambda: [commit_checked(con, checked[i], "王科员") for i in (0, 3)])
        assert reads == [] and all(d is not None for d in done)
        assert state(con) == expected
    finally:
        con.close()
