"""迎检 page and the fan chart on 得分趋势: the odds, interval and backtest line the forecast gives, the risk table
with street and owner, a map drawn from the street outlines without map tiles, the sidebar filters."""
import json

import duckdb
import pytest
from apptest_helpers import chart, chart_titles, frame, metric, open_page, values

from campaign import forecast
from campaign.config import DATA_DIR, load_office


@pytest.fixture(scope="module")
def expected(demo_db):
    office = load_office()
    con = duckdb.connect(str(demo_db))
    try:
        fc = forecast.forecast(con, target_score=office.target_total, target_rank=office.target_rank)
        bt = forecast.backtest(con, target_score=office.target_total)
    finally:
        con.close()
    return fc, bt


def test_the_odds_interval_and_backtest_line(app_env, expected):
    fc, bt = expected
    at = open_page("readiness")
    assert metric(at, f"达到 {fc.target_score:g} 分的把握").value == forecast.pct(fc.p_target_score)
    assert metric(at, "第 1 名的把握").value == forecast.pct(fc.p_target_rank)
    m = metric(at, "预计总分")
    assert m.value == f"{fc.quantiles[0.5]:.1f}" and f"{fc.interval[0]:.1f}–{fc.interval[1]:.1f}" in m.delta
    line = at.info[0].value
    assert f"过去 {bt.n} 轮：{bt.inside} 轮落在预测区间内" in line and bt.n == 6
    assert at.markdown[0].value.endswith(fc.headline())


def test_the_risk_table_has_street_and_owner_largest_loss_first(app_env, expected):
    fc, _ = expected
    at = open_page("readiness")
    t = frame(at, "序号")
    assert len(t) == 20 and {"点位", "街道", "责任单位", "预计失分", "被抽到的概率"} <= set(t.columns)
    assert t["预计失分"].is_monotonic_decreasing
    assert t["点位"].tolist() == fc.sites["site"].head(20).tolist()
    con = duckdb.connect(str(app_env))
    owners = dict(con.execute("SELECT site, department FROM sites").fetchall())
    con.close()
    assert all(owners[s] == d for s, d in zip(t["点位"], t["责任单位"]))


def test_the_map_is_drawn_from_the_outlines_without_tiles(app_env):
    at = open_page("readiness")
    spec = chart(at, "风险点位")
    traces = spec["data"]
    assert all(t.get("type", "scatter") == "scatter" for t in traces)  # no scattermapbox / scattergeo
    layout = json.dumps(spec["layout"])
    assert "mapbox" not in layout and '"geo"' not in layout and "tile" not in layout
    features = json.loads((DATA_DIR / "demo_streets.geojson").read_text(encoding="utf-8"))["features"]
    assert sum(t.get("fill") == "toself" for t in traces) >= len(features)
    sites = [t for t in traces if t.get("mode") == "markers+text"]
    assert len(sites) == 1 and values(sites[0]["text"])[:3] == ["1", "2", "3"] and len(values(sites[0]["x"])) == 20


def test_the_standards_carrying_the_risk(app_env, expected):
    fc, _ = expected
    at = open_page("readiness")
    top = fc.standards.iloc[0]
    assert any(f"预计失分最多（{top['exp_lost']:.2f} 分）" in t for t in chart_titles(at))


def test_a_street_filter_and_another_target(app_env):
    at = open_page("readiness", street="北关街道")
    assert set(frame(at, "序号")["街道"]) == {"北关街道"}
    at.number_input(key="rd_score").set_value(85.0).run()
    assert not at.exception
    assert metric(at, "达到 85 分的把握").value != metric(open_page("readiness"), "达到 90 分的把握").value


def test_the_fan_chart_on_trends(app_env, expected):
    fc, _ = expected
    at = open_page("trends")
    spec = chart(at, "下次测评预计")
    bands = [t for t in spec["data"] if t.get("fill") == "toself"]
    assert len(bands) == 2  # 10–90 % and 25–75 %
    wide, narrow = (values(b["y"]) for b in bands)
    assert wide[1:3] == pytest.approx([fc.quantiles[0.9], fc.quantiles[0.1]])
    assert narrow[1:3] == pytest.approx([fc.quantiles[0.75], fc.quantiles[0.25]])
    assert f"达到 {fc.target_score:g} 分的把握约 {forecast.pct(fc.p_target_score)}" in spec["layout"]["title"]["text"]


def test_the_page_is_in_the_navigation(app_env):
    at = open_page("readiness")
    assert "迎检预测" in at.title[0].value
