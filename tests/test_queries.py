"""Every named query runs on the demo with the global filters bound, and filters change the numbers."""
import datetime as dt

import pytest

from campaign import queries

PARAMS = dict(start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 22), prev_start=dt.date(2026, 11, 9),
              prev_end=dt.date(2026, 11, 15), round_id=8, street=None, department=None, site_type=None,
              category=None, n=10, rebound_days=30, as_of=dt.date(2026, 11, 22), week_start=dt.date(2026, 11, 16))


@pytest.mark.parametrize("name", queries.names())
def test_every_query_runs(demo_con, name):
    df = queries.run(demo_con, name, **PARAMS)
    assert df.columns.size > 0


def test_no_query_formats_values_into_sql():
    for name in queries.names():
        text = queries.sql(name)
        assert "{" not in text and "%s" not in text, name


def test_week_summary_matches_an_independent_count(demo_con):
    w = queries.run(demo_con, "week_summary", **PARAMS).iloc[0]
    p = demo_con.execute("SELECT found_on, closed_on, deadline FROM problems").df()
    start, end = PARAMS["start"], PARAMS["end"]
    found = p["found_on"].dt.date
    closed = p["closed_on"].dt.date
    assert w.problems_found == ((found >= start) & (found <= end)).sum()
    assert w.closed == ((closed >= start) & (closed <= end)).sum()
    open_at_end = (found <= end) & (p["closed_on"].isna() | (closed > end))
    assert w.open_at_end == open_at_end.sum()
    assert w.overdue_at_end == (open_at_end & (p["deadline"].dt.date < end)).sum()


def test_a_filter_changes_the_week(demo_con):
    all_ = queries.run(demo_con, "week_summary", **PARAMS).iloc[0]
    one = queries.run(demo_con, "week_summary", **{**PARAMS, "street": "北关街道"}).iloc[0]
    direct = demo_con.execute("SELECT count(*) FROM problems WHERE street = '北关街道' AND found_on BETWEEN ? AND ?",
                              [PARAMS["start"], PARAMS["end"]]).fetchone()[0]
    assert one.problems_found == direct < all_.problems_found
