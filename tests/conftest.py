"""Shared fixtures: a demo store built once per test session (scale 1, seed 2026)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from campaign.demo import build_demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory):
    """Tests never read the machine's own accounts file nor write automatic backups (tests that need either
    set them themselves); the dashboard under test therefore needs no login, as on a developer's machine."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CAMPAIGN_ACCOUNTS", str(tmp_path_factory.mktemp("accounts") / "none.yaml"))
        mp.delenv("CAMPAIGN_REQUIRE_LOGIN", raising=False)
        mp.setenv("CAMPAIGN_BACKUP_HOURS", "0")
        yield


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "campaign.duckdb"
    build_demo(path, scale=1.0, seed=2026)
    return path


@pytest.fixture()
def demo_copy(demo_db, tmp_path):
    """A connection to this test's own copy of the demo store, free to write to."""
    db = tmp_path / "demo-copy.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    yield con
    con.close()


@pytest.fixture()
def demo_con(demo_db):
    con = duckdb.connect(str(demo_db))  # same config as the app: one process, one instance
    yield con
    con.close()


@pytest.fixture()
def app_env(demo_db, monkeypatch):
    """Point the dashboard at the session's demo store."""
    monkeypatch.setenv("CAMPAIGN_DB", str(demo_db))
    return demo_db
