"""The store when things go wrong: a damaged or missing file, a data folder that cannot be written, a
dashboard stopped with SIGTERM, temp files of killed backups and restores. Each gets a Chinese message with the
way out, or is put right, never a traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from campaign import ops, store
from campaign.config import ROOT
from campaign.store import StoreOpenError, init_store, open_app_store
from tests.reliability_helpers import fingerprint_file


@pytest.fixture()
def db(tmp_path) -> Path:
    path = tmp_path / "campaign.duckdb"
    init_store(path)
    return path


def test_a_current_store_is_opened_without_writing(db):
    con, note = open_app_store(db)  # the first open records the schema's digest
    con.close()
    before = fingerprint_file(db)
    con, note = open_app_store(db)
    assert note is None and store.get_meta(con, "schema_digest") == store.schema_digest()
    con.close()
    assert fingerprint_file(db) == before and not Path(f"{db}.wal").exists()


def test_a_damaged_file_gets_a_chinese_message_with_the_newest_backup(db, tmp_path, monkeypatch):
    backups = tmp_path / "backups"
    monkeypatch.setenv("CAMPAIGN_BACKUP_DIR", str(backups))
    con = duckdb.connect(str(db))
    try:
        ops.maybe_backup(con, db, ops.backup_settings(db))
    finally:
        con.close()
    newest = ops.list_backups(backups, db.stem)[0].path
    db.write_bytes(b"\x00garbage" * 4096)
    with pytest.raises(StoreOpenError) as e:
        open_app_store(db)
    msg = str(e.value)
    assert "无法打开" in msg and str(newest) in msg and f"python -m campaign restore {newest} --db {db}" in msg


def test_a_missing_file_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_BACKUP_DIR", str(tmp_path / "none"))
    with pytest.raises(StoreOpenError, match="找不到数据库文件.*没有找到自动备份"):
        open_app_store(tmp_path / "gone.duckdb")


def test_a_folder_that_cannot_be_written_opens_read_only(db, monkeypatch):
    real = duckdb.connect

    def refusing(path=":memory:", read_only=False, **kw):  # what a read-only or full disk answers
        if not read_only and str(path) == str(db):
            raise duckdb.IOException(f'IO Error: Cannot open file "{path}.wal": Read-only file system')
        return real(path, read_only=read_only, **kw)

    monkeypatch.setattr(duckdb, "connect", refusing)
    con, note = open_app_store(db)
    try:
        assert "不能写入" in note and "只读" in note and con.execute("SELECT count(*) FROM standards").fetchone()[0] > 0
        with pytest.raises(duckdb.Error):
            con.execute("INSERT INTO store.meta VALUES ('x', 'y')")
    finally:
        con.close()


def test_the_dashboard_shows_the_way_out_instead_of_a_traceback(tmp_path, monkeypatch):
    bad = tmp_path / "campaign.duckdb"
    bad.write_bytes(b"not a database" * 1000)
    monkeypatch.setenv("CAMPAIGN_DB", str(bad))
    monkeypatch.setenv("CAMPAIGN_BACKUP_DIR", str(tmp_path / "backups"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "无法打开" in at.error[0].value and "campaign restore" in at.error[0].value


def test_temp_files_of_killed_backups_and_restores_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = [tmp_path / f".campaign.duckdb.restore-{dead.pid}.tmp", tmp_path / f".campaign.duckdb.restore-{dead.pid}.tmp.wal",
            tmp_path / f".campaign-20261201-080000-v3.duckdb.{dead.pid}-0a1b2c3d.tmp",
            tmp_path / f".campaign.duckdb.init-{dead.pid}-140000"]
    mine = tmp_path / f".campaign.duckdb.restore-{os.getpid()}.tmp"  # a restore running now
    keep = [mine, tmp_path / "campaign.duckdb", tmp_path / ".campaign.duckdb.notes"]
    for p in left + keep:
        p.write_bytes(b"x" * 1000)
    assert sorted(ops.clean_stale_temp(tmp_path)) == sorted(left)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in left)


@pytest.mark.e2e
def test_sigterm_checkpoints_so_a_plain_copy_holds_the_latest_commit(db, tmp_path):
    """The dashboard's first open writes (the schema digest); stopped with SIGTERM it leaves no .wal."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path, free_port

    port = free_port()
    env = {**os.environ, "CAMPAIGN_DB": str(db), "CAMPAIGN_BACKUP_HOURS": "0"}
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page()
            deadline = time.monotonic() + 90
            while True:
                try:
                    page.goto(f"http://localhost:{port}", timeout=5000)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            page.locator('[data-testid="stMetric"]').first.wait_for(timeout=90_000)
            browser.close()
        assert Path(f"{db}.wal").exists()  # the digest is committed, still in the log
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) is not None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert not Path(f"{db}.wal").exists()
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())  # a plain copy, as a file backup would make
    con = duckdb.connect(str(copy), read_only=True)
    try:
        assert store.get_meta(con, "schema_digest") == store.schema_digest()
    finally:
        con.close()


def test_on_the_error_screen_the_local_admin_restores_the_newest_backup(tmp_path, monkeypatch):
    from campaign.app import ui

    db = tmp_path / "campaign.duckdb"
    init_store(db)
    backups = tmp_path / "backups"
    monkeypatch.setenv("CAMPAIGN_BACKUP_DIR", str(backups))
    monkeypatch.setenv("CAMPAIGN_BACKUP_HOURS", "0")
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    monkeypatch.setenv("CAMPAIGN_ACCOUNTS", str(tmp_path / "none.yaml"))
    con = duckdb.connect(str(db))
    try:
        ops.maybe_backup(con, db, ops.BackupSettings(backups, 24, 14))
        standards = con.execute("SELECT count(*) FROM standards").fetchone()[0]
    finally:
        con.close()
    db.write_bytes(b"\x00damaged" * 4096)
    monkeypatch.setattr(ui, "request_headers", lambda: {})
    monkeypatch.setattr(ui, "client_address", lambda: "127.0.0.1")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert "无法打开" in at.error[0].value
    at.button(key="restore_newest").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and "已恢复" in at.success[0].value, [e.value for e in at.error]
    assert not at.error and at.main.metric  # the store opens at once: the overview is back
    assert Path(f"{db}.before-restore").read_bytes().startswith(b"\x00damaged")  # the damaged file is kept
    from tests.e2e.conftest import _release_store

    _release_store()  # the app in this process lets the file go
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM standards").fetchone()[0] == standards > 0
    finally:
        con.close()
