"""campaign.analysis and the analysis queries: index rules, rank change, flags, titles, and the queries'
numbers against pandas computations over the raw views."""
from datetime import date, timedelta
from io import BytesIO

import numpy as np
import pandas as pd
import pytest

from campaign import analysis, queries
from campaign.analysis import IndexPart

W52 = (date(2026, 11, 16), date(2026, 11, 22))
START = date(2025, 11, 24)


def frame_of(con) -> pd.DataFrame:
    p = con.execute("SELECT problem_id, found_on, site_id, street, department, site_type, category, card, "
                    "deduction, deadline, closed_on, standard_code FROM problems").df()
    for c in ("found_on", "deadline", "closed_on"):
        p[c] = pd.to_datetime(p[c])
    return p


def in_(s, a, b):
    return (s >= pd.Timestamp(a)) & (s <= pd.Timestamp(b))


def rebounds(p, a, b, days=30):
    cur = p[in_(p["found_on"], a, b) & p["site_id"].notna()]
    closed = p.loc[p["closed_on"].notna(), ["site_id", "category", "closed_on"]]
    m = cur[["problem_id", "site_id", "category", "found_on"]].merge(closed, on=["site_id", "category"])
    m = m[(m["closed_on"] < m["found_on"]) & (m["closed_on"] >= m["found_on"] - pd.Timedelta(days=days))]
    return cur[cur["problem_id"].isin(m["problem_id"])]


# ----------------------------------------------------------------------------------------------------
# the index file
def test_the_shipped_index_file_is_valid():
    idx = analysis.load_index()
    assert set(idx) == {"street", "department", "site_unit", "community"}
    assert all(d.full == 100 for d in idx.values())
    assert all(p.measure in analysis.MEASURES for d in idx.values() for p in d.parts)
    assert idx["street"].spec()[0] == ("测评达标率", "assessment_rate", 40.0, "higher", "rate")


@pytest.mark.parametrize("part, message", [
    ({"name": "甲", "measure": "speed", "weight": 10, "better": "higher", "method": "rate"}, "measure “speed” 不可用"),
    ({"name": "甲", "measure": "overdue", "weight": 10, "better": "lower", "method": "rate"}, "不是比率"),
    ({"name": "甲", "measure": "overdue", "weight": "十", "better": "lower", "method": "relative"}, "weight “十” 不是数字"),
    ({"name": "甲", "measure": "overdue", "weight": 10, "better": "less", "method": "relative"}, "better 只能是"),
    ({"name": "甲", "measure": "overdue", "weight": 10, "better": "lower"}, "缺少 method"),
    ({"name": "甲", "measure": "problem_density", "weight": 10, "better": "lower", "method": "relative"},
     "只能用于街道和包保单位排名"),
])
def test_a_wrong_department_part_is_named_in_chinese(tmp_path, part, message):
    good = {"name": "乙", "measure": "overdue", "weight": 50, "better": "lower", "method": "relative"}
    f = tmp_path / "idx.yaml"
    import yaml
    f.write_text(yaml.safe_dump({"street": {"parts": [good]}, "department": {"parts": [good, part]}},
                                allow_unicode=True), encoding="utf-8")
    with pytest.raises(analysis.IndexFileError) as e:
        analysis.load_index(f)
    assert "idx.yaml" in str(e.value) and "department" in str(e.value) and "第 2 个部分" in str(e.value)
    assert message in str(e.value)


def test_missing_file_and_missing_parts(tmp_path):
    with pytest.raises(analysis.IndexFileError, match="找不到排名指数文件"):
        analysis.load_index(tmp_path / "none.yaml")
    f = tmp_path / "idx.yaml"
    f.write_text("street:\n  parts: []\n", encoding="utf-8")
    with pytest.raises(analysis.IndexFileError, match="street（街道（镇））：缺少 parts"):
        analysis.load_index(f)


# ----------------------------------------------------------------------------------------------------
# the index rules
PARTS = (IndexPart("达标", "assessment_rate", 60, "higher", "rate"),
         IndexPart("逾期", "overdue", 40, "lower", "relative"))


def test_composite_index_rate_and_relative():
    v = pd.DataFrame({"unit": ["甲", "乙", "丙"], "assessment_rate": [0.9, 0.5, 0.7], "overdue": [2, 10, 6]})
    out = analysis.composite_index(v, PARTS).set_index("unit")
    assert out.loc["甲", "达标"] == pytest.approx(54.0)
    assert out.loc["甲", "逾期"] == pytest.approx(40.0) and out.loc["乙", "逾期"] == pytest.approx(0.0)
    assert out.loc["丙", "逾期"] == pytest.approx(20.0)
    assert out["total"].to_dict() == pytest.approx({"甲": 94.0, "乙": 30.0, "丙": 62.0})
    assert out["rank"].to_dict() == {"甲": 1, "丙": 2, "乙": 3}


def test_lower_rate_missing_values_and_ties():
    parts = (IndexPart("反弹", "rebound_rate", 10, "lower", "rate"), IndexPart("逾期", "overdue", 10, "lower", "relative"))
    v = pd.DataFrame({"unit": ["甲", "乙", "丙"], "rebound_rate": [0.2, np.nan, 0.4], "overdue": [3, 3, 3]})
    out = analysis.composite_index(v, parts).set_index("unit")
    assert out.loc["甲", "反弹"] == pytest.approx(8.0)
    assert out.loc["乙", "反弹"] == pytest.approx(7.0)  # missing: the others' mean
    assert (out["逾期"] == 10).all()  # all equal: full marks
    tied = analysis.composite_index(pd.DataFrame({"unit": ["甲", "乙"], "rebound_rate": [0.1, 0.1],
                                                  "overdue": [1, 1]}), parts)
    assert tied["rank"].tolist() == [1, 1]


def test_rank_change_labels_and_streaks():
    assert analysis.rank_change(pd.Series([1, 3]), pd.Series([2, 3])).tolist() == [1.0, 0.0]
    assert [analysis.change_label(c) for c in (2, -1, 0, np.nan)] == ["↑2", "↓1", "—", "新"]
    h = pd.DataFrame({"k": [0, 0, 1, 1, 2, 2], "unit": ["甲", "乙"] * 3, "rank": [1, 2, 1, 2, 2, 1]})
    assert analysis.streak(h, "bottom") == ("乙", 2)
    assert analysis.streak(h, "top") == ("甲", 2)
    tie = pd.DataFrame({"k": [0, 0], "unit": ["甲", "乙"], "rank": [1, 1]})
    assert analysis.streak(tie, "bottom") == (None, 0)
    assert analysis.cn_count(3) == "三" and analysis.cn_count(2) == "两" and analysis.cn_count(12) == "12"


def test_weakest_street_over_rounds():
    rates = pd.DataFrame({"round_id": [1, 1, 2, 2, 3, 3], "street": ["甲", "乙"] * 3,
                          "rate": [0.5, 0.6, 0.7, 0.6, 0.8, 0.7]})
    rates["rank"] = rates.groupby("round_id")["rate"].rank(ascending=False, method="min").astype(int)
    assert analysis.weakest_street(rates)[:2] == ("乙", 2)
    bottom, n, latest = analysis.weakest_street(rates, round_id=1)
    assert (bottom, n) == ("甲", 1) and latest.loc["甲", "rate"] == 0.5


def test_red_and_yellow_flags():
    t = pd.DataFrame({"unit": list("甲乙丙丁戊己庚"), "rank": range(1, 8), "total": range(70, 63, -1)})
    red, yellow = analysis.red_yellow(t)
    assert red["unit"].tolist() == ["甲", "乙", "丙"]
    assert yellow["unit"].tolist() == ["庚", "己", "戊"]
    red, yellow = analysis.red_yellow(t.head(4))
    assert len(red) == len(yellow) == 2 and not set(red["unit"]) & set(yellow["unit"])


def test_titles_and_round_names():
    rounds = pd.DataFrame({"round_id": [1, 2, 3], "round_name": ["2025年度测评", "2026年第一轮模拟测评", "2026年第二轮模拟测评"],
                           "total": [80.0, 82.5, 85.0], "rank": [5, 3, 2]})
    assert analysis.short_round("2026年第一轮模拟测评") == "第一轮模拟测评"
    assert analysis.short_round("2025年度测评") == "2025年度测评"
    assert analysis.total_title(rounds, 3, 90) == "第二轮模拟测评 85.00 分，连续两轮上升，距目标 90 分差 5.00 分，同组第 2 名"
    assert analysis.total_title(rounds, 2, 82) == "第一轮模拟测评 82.50 分，较上轮+2.50 分，超过目标 82 分，同组第 3 名"
    losses = pd.DataFrame({"lost": [5.0, 3.0, 1.0, 1.0]})
    losses["cum_share"] = losses["lost"].cumsum() / 10
    assert analysis.pareto_count(losses) == 2  # 50 %, 80 %
    assert analysis.pareto_count(losses, 0.81) == 3


def test_with_rates_leaves_empty_denominators_missing():
    m = pd.DataFrame({"unit": ["甲"], "inspections": [0], "problems": [0], "due": [0], "due_on_time": [0],
                      "rebounds": [0], "overdue_at_end": [2], "open_at_end": [3], "median_days": [None]})
    r = analysis.with_rates(m).iloc[0]
    assert np.isnan(r.problem_density) and np.isnan(r.on_time_rate) and np.isnan(r.rebound_rate)
    assert r.overdue == 2 and r.open == 3


# ----------------------------------------------------------------------------------------------------
# the queries against pandas
def test_unit_ledger_measures_per_street_and_period(demo_con):
    m = queries.run(demo_con, "unit_ledger_measures", unit="street", start=W52[0], end=W52[1], periods=3,
                    rebound_days=30)
    p = frame_of(demo_con)
    assert len(m) == 14 * 3
    for k in range(3):
        a, b = W52[0] - timedelta(days=7 * k), W52[1] - timedelta(days=7 * k)
        e = pd.Timestamp(b)
        mk = m[m["k"].eq(k)].set_index("unit")
        assert mk["period_start"].iloc[0] == pd.Timestamp(a)
        s = p[p["street"].eq("北关街道")]
        row = mk.loc["北关街道"]
        assert row.problems == in_(s["found_on"], a, b).sum()
        assert row.closed == in_(s["closed_on"], a, b).sum()
        open_ = (s["found_on"] <= e) & (s["closed_on"].isna() | (s["closed_on"] > e))
        assert row.open_at_end == open_.sum()
        assert row.overdue_at_end == (open_ & (s["deadline"] < e)).sum()
        due = s[in_(s["deadline"], a, b)]
        assert row.due == len(due) and row.due_on_time == (due["closed_on"] <= due["deadline"]).sum()
        closed = s[in_(s["closed_on"], a, b) & s["card"].ne("白")]
        assert row.median_days == (closed["closed_on"] - closed["found_on"]).dt.days.median()
        assert row.rebounds == (rebounds(p, a, b)["street"] == "北关街道").sum()
        assert mk["problems"].sum() == in_(p["found_on"], a, b).sum()
        visits = demo_con.execute("SELECT count(*) FROM inspections WHERE street = '北关街道' AND "
                                  "inspected_on BETWEEN ? AND ?", [a, b]).fetchone()[0]
        assert row.inspections == visits


def test_unit_ledger_measures_per_department_with_a_filter(demo_con):
    m = queries.run(demo_con, "unit_ledger_measures", unit="department", start=W52[0], end=W52[1],
                    category="飞线充电", rebound_days=30).set_index("unit")
    p = frame_of(demo_con)
    p = p[p["category"].eq("飞线充电") & in_(p["found_on"], *W52)]
    assert len(m) == demo_con.execute("SELECT count(*) FROM departments").fetchone()[0]
    assert m["problems"].to_dict() == p["department"].value_counts().reindex(m.index, fill_value=0).to_dict()
    assert m["inspections"].isna().all()


def test_period_and_weekly_indicators_agree_with_pandas(demo_con):
    p = frame_of(demo_con)
    w = queries.run(demo_con, "period_indicators", start=W52[0], end=W52[1], rebound_days=30).iloc[0]
    weekly = queries.run(demo_con, "weekly_indicators", campaign_start=START, end=W52[1])
    assert weekly["week"].tolist() == list(range(1, 53))
    last = weekly.iloc[-1]
    found = p[in_(p["found_on"], *W52)]
    due = p[in_(p["deadline"], *W52)]
    visits = demo_con.execute("SELECT count(*) FROM inspections WHERE inspected_on BETWEEN ? AND ?",
                              list(W52)).fetchone()[0]
    assert w.problems == last.problems == len(found)
    assert w.inspections == last.inspections == visits
    assert w.per_100_sites == pytest.approx(100 * len(found) / visits) == last.per_100_sites
    assert w.due == last.due == len(due)
    assert w.on_time_rate == pytest.approx((due["closed_on"] <= due["deadline"]).mean())
    assert w.deduction == pytest.approx(found["deduction"].sum())
    assert w.rebounds == len(rebounds(p, *W52))
    first = p[in_(p["found_on"], START, START + timedelta(days=6))]
    assert weekly.iloc[0].problems == len(first) and weekly.iloc[0].week_start == pd.Timestamp(START)


def test_rebounds_follow_the_rebound_days(demo_con):
    p = frame_of(demo_con)
    short = queries.run(demo_con, "period_indicators", start=W52[0], end=W52[1], rebound_days=7).iloc[0]
    assert short.rebounds == len(rebounds(p, *W52, days=7))
    sites = queries.run(demo_con, "rebound_sites", start=W52[0], end=W52[1], rebound_days=7)
    assert sites["rebounds"].sum() == short.rebounds
    assert sites["rebounds"].is_monotonic_decreasing


def test_bounded_lists_say_how_many_matched(demo_con):
    a, b = date(2026, 9, 1), date(2026, 11, 22)
    rows = queries.run(demo_con, "problem_rows", start=a, end=b)
    p = frame_of(demo_con)
    assert len(rows) == 500 and rows["total_rows"].iloc[0] == in_(p["found_on"], a, b).sum()
    assert rows["found_on"].is_monotonic_decreasing
    od = queries.run(demo_con, "overdue_problems", end=W52[1], street="北关街道")
    e = pd.Timestamp(W52[1])
    s = p[p["street"].eq("北关街道")]
    expected = s[(s["found_on"] <= e) & (s["deadline"] < e) & (s["closed_on"].isna() | (s["closed_on"] > e))]
    assert od["total_rows"].iloc[0] == len(expected) == len(od)
    assert od["days_overdue"].iloc[0] == (e - expected["deadline"]).dt.days.max()


def test_ranking_ignores_its_own_dimension_and_flags_follow_the_index(demo_con):
    spec = analysis.load_index()["street"].spec()
    r = analysis.ranking(demo_con, "street", spec, *W52, round_id=8, street="北关街道", periods=2)
    assert len(r.table) == 14 and set(r.history["k"]) == {0, 1}
    assert r.table["rank"].tolist() == sorted(r.table["rank"])
    red, yellow = analysis.red_yellow(r.table)
    assert red["total"].min() >= r.table["total"].iloc[3] and yellow["total"].max() <= r.table["total"].iloc[-4]
    d = analysis.ranking(demo_con, "department", analysis.load_index()["department"].spec(), *W52, round_id=8)
    assert all(u not in set(d.table["unit"]) for u in d.excluded)
    lost = d.table.set_index("unit")["lost"].dropna()
    assert lost.sum() > 0


# ----------------------------------------------------------------------------------------------------
# the global filters' period and the Excel helper
def test_a_date_range_replaces_the_week_in_the_bound_parameters():
    from campaign.app import ui
    from campaign.model.weeks import week_number

    week = week_number(52, START)
    f = ui.Filters(week, 8, "r", None, None, None, None)
    assert f.params()["start"] == W52[0] and f.params()["prev_end"] == date(2026, 11, 15)
    assert f.period_label == "第52周" and f.period_word == "周"
    g = ui.Filters(week, 8, "r", None, None, None, None, date_from=date(2026, 11, 22), date_to=date(2026, 11, 1))
    p = g.params()
    assert (p["start"], p["end"]) == (date(2026, 11, 1), date(2026, 11, 22))
    assert (p["prev_start"], p["prev_end"]) == (date(2026, 10, 10), date(2026, 10, 31))  # 22 days before
    assert g.period_label == "2026-11-01至2026-11-22" and g.period_word == "期"


def test_excel_bytes_round_trip():
    from campaign.app import ui

    df = pd.DataFrame({"街道（镇）": ["北关街道", "滨江街道"], "逾期数": [48, 14],
                       "发现日期": pd.to_datetime(["2026-11-20", "2026-11-21"])})
    data = ui.excel_bytes(df, sheet="逾期清单")
    back = pd.read_excel(BytesIO(data), sheet_name="逾期清单", engine="calamine")
    assert back["街道（镇）"].tolist() == ["北关街道", "滨江街道"]
    assert back["逾期数"].tolist() == [48, 14]
    assert pd.to_datetime(back["发现日期"]).dt.date.tolist() == [date(2026, 11, 20), date(2026, 11, 21)]
