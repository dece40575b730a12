"""总览 page: its numbers equal an independent computation on the demo, and filters change them."""
import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from campaign.model import scoring
from apptest_helpers import metric

from campaign.config import ROOT

ENTRY = str(ROOT / "dashboard.py")


def run_app(**query):
    at = AppTest.from_file(ENTRY, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at



def independent_latest_total(con):
    """Round 8 total straight from the views with pandas, not through the app's code: the city's framework counts
    80 %, the minors' 20 % (the sample framework's share)."""
    std = con.execute("SELECT code, method, points * CASE framework WHEN 'minors' THEN 0.2 ELSE 0.8 END AS points, "
                      "indicator FROM standards").df()
    obs = con.execute("SELECT standard_code, sum(score) s, sum(max_score) m FROM assessment_scores "
                      "WHERE round_id = 8 GROUP BY 1").df().set_index("standard_code")
    sv = con.execute("SELECT indicator, sum(rate * respondents) / sum(respondents) r FROM survey_rates "
                     "WHERE round_id = 8 GROUP BY 1").df().set_index("indicator")["r"]
    total = 0.0
    for r in std.itertuples():
        rate = sv[r.indicator] if r.method == "问卷调查" else obs.loc[r.code, "s"] / obs.loc[r.code, "m"]
        total += r.points * rate
    bonus = min(6, con.execute("SELECT sum(points) FROM bonus_awards WHERE round_id = 8").fetchone()[0] or 0)
    ded = con.execute("SELECT coalesce(sum(deduction), 0) FROM negative_events WHERE round_id = 8").fetchone()[0]
    peers = con.execute("SELECT total FROM peer_scores WHERE round_id = 8").df()["total"]
    total = total + bonus - ded
    return total, 1 + int((peers > total).sum()), len(peers) + 1


def test_overview_shows_latest_round_and_week(app_env):
    at = run_app()
    con = duckdb.connect(str(app_env))
    total, rank, ranked = independent_latest_total(con)
    assert metric(at, "测评总分").value == f"{total:.2f}"
    assert metric(at, "同组排名").value == f"第 {rank} 名"
    assert metric(at, "同组排名").help == f"同组共 {ranked} 个区县"
    found = con.execute("SELECT count(*) FROM problems WHERE found_on BETWEEN '2026-11-16' AND '2026-11-22'"
                        ).fetchone()[0]
    assert metric(at, "本周发现问题").value == f"{found:,}"
    overdue = con.execute("SELECT count(*) FROM problems WHERE found_on <= '2026-11-22' AND deadline < '2026-11-22'"
                          " AND (closed_on IS NULL OR closed_on > '2026-11-22')").fetchone()[0]
    assert metric(at, "逾期未整改").value == f"{overdue:,}"
    sites = con.execute("SELECT count(DISTINCT site_id) FROM inspections WHERE inspected_on BETWEEN "
                        "'2026-11-16' AND '2026-11-22'").fetchone()[0]
    assert metric(at, "本周巡查点位").value == f"{sites:,}"
    assert "第52周" in at.title[0].value
    con.close()


def test_bottom_street_is_the_one_that_lost_most(app_env):
    at = run_app()
    con = duckdb.connect(str(app_env))
    from campaign.analysis import metrics
    att = metrics.round_detail(con, 8).attribution
    worst = att[att["street"] != scoring.DISTRICT_LEVEL].groupby("street")["lost"].sum().idxmax()
    con.close()
    assert f"末位：**{worst}**" in [m.value for m in at.markdown]
    streets = at.dataframe[1].value
    assert streets.iloc[0]["街道（镇）"] == worst


def test_week_filter_changes_the_numbers(app_env):
    latest = run_app()
    earlier = run_app(week="第40周")
    assert "第40周" in earlier.title[0].value
    assert metric(earlier, "本周发现问题").value != metric(latest, "本周发现问题").value


def test_round_filter_changes_the_score(app_env):
    latest = run_app()
    first = run_app(round="2026年第一轮模拟测评")
    assert "第一轮" in first.caption[0].value
    assert metric(first, "测评总分").value != metric(latest, "测评总分").value
