"""The dashboard's cache layer (campaign.app.ui): a named query is computed once per data version and per value of
the parameters its SQL uses; filters it ignores share the result; a write in this process invalidates at once."""
import shutil
from datetime import date

import pytest
import streamlit as st

from campaign import queries
from campaign.app import ui
from campaign.store import bump_data_version

WEEK = dict(start=date(2026, 11, 16), end=date(2026, 11, 22))


@pytest.fixture()
def runs(app_env, monkeypatch):
    seen: list[tuple[str, dict]] = []
    real = queries.run

    def run(con, name, **params):
        seen.append((name, params))
        return real(con, name, **params)

    monkeypatch.setattr(queries, "run", run)
    st.cache_data.clear()
    yield seen
    st.cache_data.clear()


def test_filters_a_query_ignores_share_one_result(runs):
    # week_problems_by_street lists every street: the street and department filters do not enter its SQL
    a = ui.query("week_problems_by_street", **WEEK, street="滨江街道", department=None)
    b = ui.query("week_problems_by_street", **WEEK, street="青山镇", department="区环卫中心")
    assert len(runs) == 1 and runs[0][1] == WEEK
    assert a.equals(b) and a is not b  # each caller gets its own copy


def test_a_parameter_the_query_uses_gets_its_own_result(runs):
    ui.query("week_summary", **WEEK, street="滨江街道")
    ui.query("week_summary", **WEEK, street="青山镇")
    ui.query("week_summary", **WEEK, street="滨江街道")
    assert [p["street"] for _, p in runs] == ["滨江街道", "青山镇"]


def test_a_write_in_this_process_is_seen_at_once(runs, demo_db, tmp_path, monkeypatch):
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    ui.query("week_summary", **WEEK)
    ui.query("week_summary", **WEEK)
    assert len(runs) == 1
    con = ui.connection()
    cur = con.cursor()
    try:
        bump_data_version(cur)
    finally:
        cur.close()
    ui.query("week_summary", **WEEK)
    assert len(runs) == 2
    st.cache_resource.clear()  # let the copy go
