"""A small demo store (scale 0.3: about 180 sites, the demo's 8 rounds and peers) built once for the forecast tests,
and the model estimated on it."""
from __future__ import annotations

import duckdb
import pytest

from campaign.demo import build_demo
from campaign.forecast import build


@pytest.fixture(scope="session")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("forecast") / "small.duckdb"
    build_demo(path, scale=0.3, seed=2026)
    return path


@pytest.fixture(scope="session")
def small_con(small_db):
    con = duckdb.connect(str(small_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def small_model(small_con):
    return build(small_con)
