"""Shared fixtures: a demo store built once per test session (scale 1, seed 2026)."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from campaign.demo import build_demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "campaign.duckdb"
    build_demo(path, scale=1.0, seed=2026)
    return path


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
