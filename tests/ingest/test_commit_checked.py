"""确认导入 writes what the check prepared, without reading the file again: the store ends exactly as a plain
import leaves it; when the store changed after the check, nothing prepared is written."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from campaign.ingest import engine, read
from campaign.ingest import import_file
from campaign.ingest.engine import commit_checked
from campaign.store import bump_data_version
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
