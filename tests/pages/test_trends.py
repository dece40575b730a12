"""得分趋势 page: its numbers equal an independent computation on the demo, and filters change them."""
import duckdb
import pandas as pd
from apptest_helpers import (WEEK40, WEEK51, WEEK52, between, chart, chart_titles, frame, keep, metric,
                             open_page, problems, standard_rates, values)

from campaign.config import load_office


def round_total(con, round_id: int) -> float:
    """City 80 % + minors 20 % (the sample framework's share) + bonus − deductions."""
    base = standard_rates(con, round_id)
    minors = standard_rates(con, round_id, "minors")
    earned = 0.8 * (base["points"] * base["rate"]).sum() + 0.2 * (minors["points"] * minors["rate"]).sum()
    bonus = min(6, con.execute("SELECT coalesce(sum(points), 0) FROM bonus_awards WHERE round_id = ?",
                               [round_id]).fetchone()[0])
    ded = con.execute("SELECT coalesce(sum(deduction), 0) FROM negative_events WHERE round_id = ?",
                      [round_id]).fetchone()[0]
    return earned + bonus - ded


def week_numbers(con, start, end, **filters):
    p = keep(problems(con), **filters)
    found = p[between(p["found_on"], start, end)]
    due = p[between(p["deadline"], start, end)]
    visits = con.execute("SELECT count(*) FROM inspections WHERE inspected_on BETWEEN ? AND ?"
                         + (" AND street = ?" if filters.get("street") else ""),
                         [start, end] + ([filters["street"]] if filters.get("street") else [])).fetchone()[0]
    on_time = (due["closed_on"].notna() & (due["closed_on"] <= due["deadline"])).sum() / len(due)
    return dict(problems=len(found), per100=100 * len(found) / visits, visits=visits, on_time=on_time,
                deduction=found["deduction"].sum())


def test_total_per_round_and_target_in_the_title(app_env):
    at = open_page("trends")
    con = duckdb.connect(str(app_env))
    total8, total7 = round_total(con, 8), round_total(con, 7)
    peers = con.execute("SELECT total FROM peer_scores WHERE round_id = 8").df()["total"]
    con.close()
    rank = 1 + int((peers > total8).sum())
    title = chart_titles(at)[0]
    target = load_office().target_total
    assert f"{total8:.2f} 分" in title
    assert f"距目标 {target:g} 分差 {target - total8:.2f} 分" in title
    assert f"同组第 {rank} 名" in title
    fig = chart(at, "第四轮模拟测评")
    totals = values([t for t in fig["data"] if t.get("name") == "测评总分"][0]["y"])
    assert round(totals[-1], 6) == round(total8, 6) and round(totals[-2], 6) == round(total7, 6)
    table = frame(at, "测评轮次")
    assert table["总分"].iloc[-1] == round(total8, 2)


def test_round_filter_moves_the_title(app_env):
    at = open_page("trends", round="2026年第一轮模拟测评")
    con = duckdb.connect(str(app_env))
    total3 = round_total(con, 3)
    con.close()
    assert chart_titles(at)[0].startswith(f"第一轮模拟测评 {total3:.2f} 分")


def test_weekly_indicators_and_change_on_the_week_before(app_env):
    at = open_page("trends")
    con = duckdb.connect(str(app_env))
    now, before = week_numbers(con, *WEEK52), week_numbers(con, *WEEK51)
    con.close()
    assert metric(at, "发现问题").value == f"{now['problems']:,}"
    assert metric(at, "发现问题").delta == f"{now['problems'] - before['problems']:+d}"
    assert metric(at, "巡查点位次").value == f"{now['visits']:,}"
    assert metric(at, "每百点位问题数").value == f"{now['per100']:.1f}"
    assert metric(at, "按期整改率").value == f"{now['on_time']:.1%}"
    assert metric(at, "督查扣分").value == f"{now['deduction']:.1f}"
    weekly = frame(at, "周次")
    w52 = weekly[weekly["周次"].eq(52)].iloc[0]
    assert w52["发现问题"] == now["problems"]
    assert abs(w52["每百点位问题数"] - now["per100"]) < 0.051
    assert any(t.startswith("第52周每百点位问题数") and f"{now['per100']:.1f}" in t for t in chart_titles(at))


def test_street_filter_changes_the_week(app_env):
    at = open_page("trends", street="北关街道")
    con = duckdb.connect(str(app_env))
    one = week_numbers(con, *WEEK52, street="北关街道")
    everyone = week_numbers(con, *WEEK52)
    con.close()
    assert metric(at, "发现问题").value == f"{one['problems']:,}" != f"{everyone['problems']:,}"
    assert metric(at, "每百点位问题数").value == f"{one['per100']:.1f}"


def test_week_filter_and_date_range(app_env):
    con = duckdb.connect(str(app_env))
    w40 = week_numbers(con, *WEEK40)
    p = problems(con)
    in_range = int(between(p["found_on"], pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-22")).sum())
    con.close()
    at = open_page("trends", week="第40周")
    assert "第40周" in at.title[0].value
    assert metric(at, "发现问题").value == f"{w40['problems']:,}"
    at = open_page("trends", by_range="true", **{"from": "2026-10-01", "to": "2026-11-22"})
    assert "2026-10-01至2026-11-22" in at.title[0].value
    assert metric(at, "发现问题").value == f"{in_range:,}"


def test_streets_small_multiples_name_the_weakest_street(app_env):
    at = open_page("trends")
    con = duckdb.connect(str(app_env))
    rates = con.execute("SELECT round_id, street, sum(score) / sum(max_score) AS r FROM assessment_scores "
                        "WHERE street IS NOT NULL GROUP BY ALL").df()
    con.close()
    last = rates[rates["round_id"].eq(8)].sort_values("r")
    worst = last.iloc[0].street
    streak = 0
    for rid in range(8, 0, -1):
        if rates[rates["round_id"].eq(rid)].sort_values("r").iloc[0].street != worst:
            break
        streak += 1
    title = [t for t in chart_titles(at) if "达标率末位" in t][0]
    assert title.startswith(worst)
    assert ("连续" in title) == (streak >= 2)
    spec = chart(at, "达标率末位")
    panel = [t for t in spec["data"] if t["name"] == worst][0]
    assert abs(values(panel["y"])[-1] - 100 * last.iloc[0].r) < 1e-6


def test_site_type_filter_changes_street_rates(app_env):
    everyone = chart(open_page("trends"), "达标率末位")
    markets = chart(open_page("trends", site_type="农贸市场"), "达标率末位")
    assert "农贸市场点位" in markets["layout"]["title"]["text"]
    a = {t["name"]: values(t["y"])[-1] for t in everyone["data"]}
    b = {t["name"]: values(t["y"])[-1] for t in markets["data"]}
    assert any(abs(a[s] - b[s]) > 1e-9 for s in b if s in a)
