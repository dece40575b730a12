"""整改 page: its numbers equal an independent computation on the demo, and filters change them."""
import duckdb
import pandas as pd
from apptest_helpers import (WEEK51, WEEK52, between, chart_titles, frame, keep, metric, open_page, problems,
                             rebound_ids)


def status(p: pd.DataFrame, start, end, **filters) -> dict:
    p = keep(p, **filters)
    e = pd.Timestamp(end)
    open_ = p[(p["found_on"] <= e) & (p["closed_on"].isna() | (p["closed_on"] > e))]
    overdue = open_[open_["deadline"] < e]
    due = p[between(p["deadline"], start, end)]
    closed = p[between(p["closed_on"], start, end)]
    carded = closed[closed["card"].ne("白")]
    return dict(open=len(open_), overdue=len(overdue), closed=len(closed),
                on_time=(due["closed_on"] <= due["deadline"]).sum() / len(due),
                median=(carded["closed_on"] - carded["found_on"]).dt.days.median(),
                overdue_rows=overdue.assign(days=(e - overdue["deadline"]).dt.days))


def test_status_numbers_and_change(app_env):
    at = open_page("rectification")
    con = duckdb.connect(str(app_env))
    p = problems(con)
    con.close()
    now, before = status(p, *WEEK52), status(p, *WEEK51)
    assert metric(at, "期末未整改").value == f"{now['open']:,}"
    assert metric(at, "逾期未整改").value == f"{now['overdue']:,}"
    change = now["overdue"] - before["overdue"]
    assert metric(at, "逾期未整改").delta == (f"{change:+d}" if change else "")  # no change shows no delta
    assert metric(at, "期末未整改").delta == (f"{now['open'] - before['open']:+d}" if now["open"] != before["open"] else "")
    assert metric(at, "按期整改率").value == f"{now['on_time']:.1%}"
    assert metric(at, "整改天数中位数").value == f"{now['median']:g} 天"
    assert metric(at, "本周整改完成").value == f"{now['closed']:,}"
    assert metric(at, "本周反弹").value == f"{len(rebound_ids(p, *WEEK52)):,}"


def test_by_department_and_street(app_env):
    at = open_page("rectification")
    con = duckdb.connect(str(app_env))
    p = problems(con)
    con.close()
    now = status(p, *WEEK52)
    rows = now["overdue_rows"]
    dept = rows["department"].value_counts()
    street = rows["street"].value_counts()
    titles = chart_titles(at)
    assert titles[0] in [f"{u}逾期最多（{n} 条）" for u, n in dept[dept == dept.max()].items()]
    assert titles[1] in [f"{u}逾期最多（{n} 条）" for u, n in street[street == street.max()].items()]
    by_dept = frame(at, "责任单位").set_index("责任单位")
    assert by_dept["逾期未整改"].to_dict() == dept.reindex(by_dept.index, fill_value=0).to_dict()
    assert by_dept["逾期未整改"].sum() == now["overdue"]
    by_street = frame(at, "街道（镇）").set_index("街道（镇）")
    assert by_street["期末未整改"].sum() == now["open"]
    due = p[between(p["deadline"], *WEEK52) & p["street"].eq("北关街道")]
    assert abs(by_street.loc["北关街道", "按期整改率（%）"]
               - round(100 * (due["closed_on"] <= due["deadline"]).mean(), 1)) < 1e-9


def test_overdue_list_sorted_with_card_colour(app_env):
    at = open_page("rectification")
    con = duckdb.connect(str(app_env))
    p = problems(con)
    con.close()
    rows = status(p, *WEEK52)["overdue_rows"].sort_values(["days", "found_on", "problem_id"],
                                                           ascending=[False, True, True])
    assert at.subheader[-1].value == f"逾期清单 · {len(rows):,} 条，最长逾期 {rows['days'].iloc[0]} 天"
    shown = frame(at, "问题编号")
    assert shown["问题编号"].tolist() == rows["problem_id"].head(500).tolist()
    assert shown["逾期天数"].is_monotonic_decreasing
    colour = {"红": "🟥 红", "黄": "🟨 黄", "白": "⬜ 白"}
    assert shown["督办卡"].tolist() == rows["card"].head(500).map(colour).tolist()
    cards = rows["card"].value_counts()
    assert f"红卡 {cards.get('红', 0)} 条" in at.caption[-1].value


def test_department_filter_changes_the_numbers(app_env):
    at = open_page("rectification", dept="区城市管理局")
    con = duckdb.connect(str(app_env))
    p = problems(con)
    con.close()
    mine, everyone = status(p, *WEEK52, department="区城市管理局"), status(p, *WEEK52)
    assert metric(at, "逾期未整改").value == f"{mine['overdue']:,}" != f"{everyone['overdue']:,}"
    assert metric(at, "按期整改率").value == f"{mine['on_time']:.1%}"
    by_street = frame(at, "街道（镇）")
    assert by_street["逾期未整改"].sum() == mine["overdue"]
