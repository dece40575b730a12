"""短板指标 page: its numbers equal an independent computation on the demo, and filters change them."""
import duckdb
from apptest_helpers import (WEEK52, between, chart, chart_titles, frame, metric, open_page, problems,
                             rebound_ids, standard_rates, texts, values)


def pass_rate(con) -> float:
    return float(con.execute("SELECT value FROM store.meta WHERE key = 'pass_rate'").fetchone()[0])


def street_lost(con, round_id: int, street: str) -> float:
    """谁丢分谁负责 for one street, computed from the rows: observations share their standard's lost points by
    (max − score) / Σ max; survey standards share them by respondents × (1 − rate). The city's framework, as the
    page shows it."""
    std = con.execute("SELECT code, method, points, indicator FROM standards WHERE framework = 'city'"
                      ).df().set_index("code")
    obs = con.execute("SELECT standard_code, street, score, max_score FROM assessment_scores WHERE round_id = ?",
                      [round_id]).df()
    obs = obs[obs["standard_code"].isin(std.index)]
    obs["tot"] = obs.groupby("standard_code")["max_score"].transform("sum")
    obs["lost"] = obs["standard_code"].map(std["points"]) * (obs["max_score"] - obs["score"]) / obs["tot"]
    lost = obs.loc[obs["street"].eq(street), "lost"].sum()
    sv = con.execute("SELECT street, indicator, rate, respondents FROM survey_rates WHERE round_id = ?",
                     [round_id]).df()
    for code, r in std[std["method"].eq("问卷调查")].iterrows():
        s = sv[sv["indicator"].eq(r.indicator)]
        mine = s[s["street"].eq(street)]
        lost += r.points * (mine["respondents"] * (1 - mine["rate"])).sum() / s["respondents"].sum()
    return lost


def test_losses_pass_line_and_pareto(app_env):
    at = open_page("shortboards")
    con = duckdb.connect(str(app_env))
    rates = standard_rates(con, 8)
    line = pass_rate(con)
    con.close()
    below = int((rates["rate"] < line).sum())
    assert metric(at, "低于及格线").value == f"{below} 项"
    assert metric(at, "本轮失分合计").value == f"{rates['lost'].sum():.2f} 分"
    top = rates.sort_values(["lost", "code"], ascending=[False, True])  # ties in code order
    lead = top.iloc[0]
    assert chart_titles(at)[0] == f"{below} 项低于及格线，丢分最多：{lead.code}（{lead.lost:.2f} 分）"
    share = top["lost"].cumsum() / top["lost"].sum()
    k80 = int((share < 0.8 - 1e-12).sum()) + 1
    assert metric(at, "占八成失分").value == f"{k80} 项"
    table = frame(at, "编码")
    assert table["编码"].tolist()[:5] == top["code"].tolist()[:5]
    assert (table["及格线"] == "未达").sum() == below
    bars = chart(at, "丢分最多")["data"][0]
    assert abs(max(values(bars["x"])) - lead.lost) < 1e-9


def test_heat_map_and_rebounds(app_env):
    at = open_page("shortboards")
    con = duckdb.connect(str(app_env))
    cells = con.execute("SELECT street, category, count(*) n FROM problems WHERE found_on BETWEEN ? AND ? "
                        "GROUP BY ALL ORDER BY n DESC, street, category", list(WEEK52)).df()
    p = problems(con)
    con.close()
    hot = cells.iloc[0]
    assert chart_titles(at)[2] == f"{hot.street}·{hot.category}问题最多（{hot.n} 条）"
    heat = chart(at, "问题最多")["data"][0]
    assert sum(sum(row) for row in values(heat["z"])) == cells["n"].sum()
    n = len(rebound_ids(p, *WEEK52))
    found = int(between(p["found_on"], *WEEK52).sum())
    assert metric(at, "本周反弹问题").value == f"{n:,} 条"
    assert metric(at, "本周反弹问题").delta == f"占发现问题 {n / found:.0%}"
    assert frame(at, "点位")["反弹次数"].sum() == n


def test_street_filter_shows_the_points_that_street_lost(app_env):
    at = open_page("shortboards", street="北关街道")
    con = duckdb.connect(str(app_env))
    lost = street_lost(con, 8, "北关街道")
    p = problems(con)
    everyone = standard_rates(con, 8)["lost"].sum()
    con.close()
    assert metric(at, "本轮失分合计").value == f"{lost:.2f} 分" != f"{everyone:.2f} 分"
    assert metric(at, "本周反弹问题").value == f"{len(rebound_ids(p, *WEEK52, street='北关街道')):,} 条"
    assert "北关街道" in at.caption[0].value


def test_site_type_filter_keeps_its_standards(app_env):
    at = open_page("shortboards", site_type="农贸市场")
    con = duckdb.connect(str(app_env))
    rates = standard_rates(con, 8)
    con.close()
    market = rates[rates["site_types"].map(lambda v: v is not None and "农贸市场" in list(v))]
    assert metric(at, "本轮失分合计").value == f"{market['lost'].sum():.2f} 分"
    assert len(frame(at, "编码")) == len(market)


def test_drill_down_from_a_standard_to_sites_and_problems(app_env):
    con = duckdb.connect(str(app_env))
    name = con.execute("SELECT name FROM standards WHERE code = 'B4.1.3'").fetchone()[0]
    sites = con.execute("SELECT site, score FROM assessment_scores WHERE round_id = 8 AND standard_code = 'B4.1.3'"
                        ).df()
    rows = con.execute("SELECT count(*) FROM problems WHERE standard_code = 'B4.1.3' AND found_on BETWEEN ? AND ?",
                       list(WEEK52)).fetchone()[0]
    con.close()
    at = open_page("shortboards", std=f"B4.1.3 {name}")
    assert at.selectbox(key="std").value == "B4.1.3"
    shown = frame(at, "点位")  # the rebound table also starts with 点位: take the one with 得分
    shown = [d.value for d in at.dataframe if "得分" in d.value.columns][0]
    assert sorted(shown["点位"]) == sorted(sites["site"])
    assert shown["得分"].sum() == sites["score"].sum()
    problems_shown = frame(at, "问题编号")
    assert len(problems_shown) == rows
    assert f"B4.1.3 本期督查问题**（{rows:,} 条）" in texts(at)


def test_the_minors_framework_has_its_own_short_boards(app_env):
    """With the round's minors' framework assessed, the page switches to its standards and their own points."""
    at = open_page("shortboards", fw="未成年人测评")
    con = duckdb.connect(str(app_env))
    minors = standard_rates(con, 8, "minors")
    city = standard_rates(con, 8)
    con.close()
    assert metric(at, "本轮失分合计").value == f"{minors['lost'].sum():.2f} 分" != f"{city['lost'].sum():.2f} 分"
    codes = frame(at, "编码")["编码"]
    assert len(codes) == len(minors) and codes.str.startswith("M").all()
    assert any("未成年人测评" in c.value and "满分 100" in c.value for c in at.caption)
    city_page = open_page("shortboards")
    assert metric(city_page, "本轮失分合计").value == f"{city['lost'].sum():.2f} 分"
