"""Closed problems without a closing date and problems with several responsible units, on a tiny store.

Real 12345/app exports often mark a problem 已整改 with no closing date: it is closed now, closed at a past
period's end only once the export that first reported it closed (closed_by) is on or before that end, and it
is left out of the on-time rate and days to close. A problem with several responsible units counts for them
by their shares under the office's rule (store.meta unit_attribution), so department counts add up to the
number of problems.
"""
import datetime as dt

import duckdb
import pytest
import yaml

from campaign import queries, store
from campaign.briefing.model import unknown_dates_note
from campaign.config import OFFICE_FILE, OfficeFileError, load_office

D = dt.date
WEEK = dict(start=D(2026, 11, 16), end=D(2026, 11, 22))
BEFORE = dict(start=D(2026, 11, 9), end=D(2026, 11, 15))
ALL = dict(start=D(2026, 11, 1), end=D(2026, 11, 22))
NONE = dict(street=None, department=None, site_type=None, category=None, rebound_days=30)

# problem, found, street, department, responsible units, lead unit, site, category, card, deadline, status,
# closed_on, closed_seen_on (the export that first reported it closed)
PROBLEMS = [
    ("P1", D(2026, 11, 2), "东街道", "甲局", None, None, 1, "环境卫生", "黄", D(2026, 11, 18), "已整改",
     None, D(2026, 11, 20)),                                    # closed, date unknown, reported closed 11-20
    ("P2", D(2026, 11, 2), "东街道", "乙局", None, None, 2, "乱贴乱画", "黄", D(2026, 11, 17), "已整改",
     D(2026, 11, 16), None),                                    # closed on time, 14 days
    ("P3", D(2026, 11, 3), "西街道", "乙局", ["乙局", "丙局"], "甲局", 3, "占道经营", "红", D(2026, 11, 19), "整改中",
     None, None),                                               # open, overdue at 11-22, two units and a lead
    ("P4", D(2026, 11, 10), "西街道", "丙局", None, None, 4, "环境卫生", "白", D(2026, 11, 12), "已整改",
     None, None),                                               # closed, no date and no export date either
    ("P5", D(2026, 11, 5), "东街道", "甲局", None, None, 5, "环境卫生", "黄", D(2026, 11, 10), "已销号",
     None, D(2026, 11, 21)),                                    # closed, date unknown, reported closed 11-21
    ("P6", D(2026, 11, 21), "东街道", "甲局", None, None, 1, "环境卫生", "白", D(2026, 11, 28), "待整改",
     None, None),                                               # P1's site again: no rebound (P1 has no date)
    ("P7", D(2026, 11, 18), "东街道", "乙局", None, None, 2, "乱贴乱画", "白", D(2026, 11, 25), "待整改",
     None, None),                                               # P2's site 2 days after it closed: rebound
]


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("unknown_dates") / "tiny.duckdb"
    store.init_store(path)
    con = duckdb.connect(str(path))
    try:
        con.executemany("INSERT INTO store.streets VALUES (?, '街道', 10000, ?)", [["东街道", 1], ["西街道", 2]])
        con.executemany("INSERT INTO store.departments VALUES (?, '政府部门', ?)",
                        [["甲局", 1], ["乙局", 2], ["丙局", 3]])
        con.executemany(
            "INSERT INTO store.problems (problem_id, found_on, street, department, responsible_units, "
            "lead_department, site_id, site, site_type, category, card, deadline, status, closed_on, closed_seen_on, "
            "description, deduction, source) VALUES (?, ?, ?, ?, ?, ?, ?, '点位' || ?, '背街小巷', ?, ?, ?, ?, ?, ?, "
            "'问题', 0.5, '创城办督查')",
            [[p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[6], *p[7:]] for p in PROBLEMS])
    finally:
        con.close()
    return path


@pytest.fixture()
def con(tiny_db):
    c = duckdb.connect(str(tiny_db))
    store.set_meta(c, "unit_attribution", "first")
    yield c
    c.close()


def rule(con, name: str):
    store.set_meta(con, "unit_attribution", name)


def per_unit(df, col: str, unit: str = "department") -> dict:
    return {u: v for u, v in zip(df[unit], df[col]) if v}


def test_the_view_marks_unknown_closing_dates(con):
    p = con.execute("SELECT problem_id, is_closed, closed_on_known, closed_by FROM problems ORDER BY 1").fetchall()
    assert p == [("P1", True, False, D(2026, 11, 20)), ("P2", True, True, D(2026, 11, 16)),
                 ("P3", False, True, None), ("P4", True, False, None), ("P5", True, False, D(2026, 11, 21)),
                 ("P6", False, True, None), ("P7", False, True, None)]


def test_open_and_overdue_at_a_period_end(con):
    now = queries.run(con, "period_indicators", **WEEK, **NONE).iloc[0]
    # open at 11-22: P3, P6, P7 (P1 and P5 reported closed by then, P4 closed); overdue: P3
    assert (now.open_at_end, now.overdue_at_end) == (3, 1)
    before = queries.run(con, "period_indicators", **BEFORE, **NONE).iloc[0]
    # at 11-15 P1, P2, P3 and P5 were still open (P1 and P5 reported closed later); P5 was overdue
    assert (before.open_at_end, before.overdue_at_end) == (4, 1)
    w = queries.run(con, "week_summary", **WEEK, **NONE).iloc[0]
    assert (w.open_at_end, w.overdue_at_end, w.closed, w.problems_found) == (3, 1, 1, 2)
    od = queries.run(con, "overdue_problems", end=WEEK["end"], **NONE)
    assert od["problem_id"].tolist() == ["P3"] and od["total_rows"].iat[0] == 1


def test_closed_counts_and_days_use_known_dates_only(con):
    now = queries.run(con, "period_indicators", **WEEK, **NONE).iloc[0]
    assert now.closed == 1 and now.median_days == 14  # P2 only; P1's closure is in no period
    assert now.rebounds == 1                           # P7 after P2; P6 after P1 needs P1's date


def test_on_time_rate_over_known_dates_with_due_unknown(con):
    now = queries.run(con, "period_indicators", **WEEK, **NONE).iloc[0]
    # due in the week: P1 (closed, date unknown), P2 (on time), P3 (open)
    assert (now.due, now.due_on_time, now.due_unknown) == (2, 1, 1)
    assert now.on_time_rate == pytest.approx(0.5)
    before = queries.run(con, "period_indicators", **BEFORE, **NONE).iloc[0]
    assert (before.due, before.due_unknown) == (0, 2) and before.on_time_rate != before.on_time_rate  # NaN
    weekly = queries.run(con, "weekly_indicators", campaign_start=D(2026, 11, 2), end=WEEK["end"], **NONE)
    last = weekly.iloc[-1]
    assert (last.week, last.due, last.due_on_time, last.due_unknown) == (3, 2, 1, 1)
    assert last.on_time_rate == pytest.approx(0.5)
    m = queries.run(con, "unit_ledger_measures", unit="street", periods=1, **WEEK, **NONE)
    assert m["due"].sum() == 2 and m["due_unknown"].sum() == 1 and m["due_on_time"].sum() == 1
    assert unknown_dates_note(now.due_unknown) == "另有 1 条已整改问题无完成日期，未计入按期率。"
    assert unknown_dates_note(0) == ""


def test_open_now_for_what_if(con):
    assert queries.run(con, "whatif_open_problems")["problems"].sum() == 3  # P3, P6, P7


@pytest.mark.parametrize("name, found, overdue, opened, due", [
    # P3 (units 乙局, 丙局; lead 甲局) goes to 乙局 (first), half each (shared) or 甲局 (lead)
    ("first", {"甲局": 3, "乙局": 3, "丙局": 1}, {"乙局": 1}, {"甲局": 1, "乙局": 2}, {"乙局": 2}),
    ("shared", {"甲局": 3, "乙局": 2.5, "丙局": 1.5}, {"乙局": 0.5, "丙局": 0.5}, {"甲局": 1, "乙局": 1.5, "丙局": 0.5},
     {"乙局": 1.5, "丙局": 0.5}),
    ("lead", {"甲局": 4, "乙局": 2, "丙局": 1}, {"甲局": 1}, {"甲局": 2, "乙局": 1}, {"甲局": 1, "乙局": 1}),
])
def test_department_counts_add_up(con, name, found, overdue, opened, due):
    rule(con, name)
    shares = con.execute("SELECT problem_id, sum(share) FROM problem_units GROUP BY 1").fetchall()
    assert all(s == pytest.approx(1) for _, s in shares) and len(shares) == len(PROBLEMS)
    week = queries.run(con, "week_problems_by_department", **ALL)
    assert per_unit(week, "problems") == pytest.approx(found) and week["problems"].sum() == len(PROBLEMS)
    assert week["deduction"].sum() == pytest.approx(0.5 * len(PROBLEMS))
    od = queries.run(con, "briefing_overdue_by_department", end=WEEK["end"], **NONE)
    assert per_unit(od, "overdue") == pytest.approx(overdue) and od["overdue"].sum() == pytest.approx(1)
    assert od["red"].sum() == pytest.approx(1) and set(od["max_days"]) == {3}
    m = queries.run(con, "unit_ledger_measures", unit="department", periods=1, **WEEK, **NONE)
    assert per_unit(m, "overdue_at_end", "unit") == pytest.approx(overdue)
    assert per_unit(m, "open_at_end", "unit") == pytest.approx(opened) and m["open_at_end"].sum() == pytest.approx(3)
    assert per_unit(m, "due", "unit") == pytest.approx(due) and m["due"].sum() == pytest.approx(2)
    assert per_unit(m, "due_unknown", "unit") == {"甲局": 1} and per_unit(m, "due_on_time", "unit") == {"乙局": 1}
    assert m["problems"].sum() == 2  # P6 and P7
    days = queries.run(con, "whatif_close_days")
    assert days["closed"].sum() == 1 and days["days"].sum() == 14  # P2 only: the other closures have no date


@pytest.mark.parametrize("name, dept, ids", [
    ("first", "丙局", ["P4"]), ("shared", "丙局", ["P3", "P4"]), ("lead", "丙局", ["P4"]),
    ("first", "甲局", ["P1", "P5", "P6"]), ("lead", "甲局", ["P1", "P3", "P5", "P6"]),
])
def test_department_filter_keeps_the_problems_it_has_a_share_in(con, name, dept, ids):
    rule(con, name)
    f = {**NONE, "department": dept}
    rows = queries.run(con, "problem_rows", **ALL, **f)
    assert sorted(rows["problem_id"]) == ids
    now = queries.run(con, "period_indicators", **ALL, **f).iloc[0]
    assert now.problems == len(ids)
    by_street = queries.run(con, "unit_ledger_measures", unit="street", periods=1, **ALL, **f)
    assert by_street["problems"].sum() == len(ids)
    p3 = "P3" in ids
    assert (now.overdue_at_end == 1) == p3
    assert queries.run(con, "overdue_problems", end=WEEK["end"], **f)["problem_id"].tolist() == (["P3"] if p3 else [])


def test_office_setting_is_read_validated_and_synced(tmp_path, tiny_db):
    raw = yaml.safe_load(OFFICE_FILE.read_text(encoding="utf-8"))
    assert raw["unit_attribution"] == "first" and load_office().unit_attribution == "first"
    for value, expected in (("shared", "shared"), ("lead", "lead"), (None, "first")):
        path = tmp_path / "office.yaml"
        path.write_text(yaml.safe_dump({**raw, "unit_attribution": value}, allow_unicode=True), encoding="utf-8")
        assert load_office(path).unit_attribution == expected
    path.write_text(yaml.safe_dump({**raw, "unit_attribution": "平分"}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(OfficeFileError, match="office.yaml.*unit_attribution.*“平分”.*shared"):
        load_office(path)

    con = duckdb.connect(str(tiny_db))
    try:
        office = load_office()
        shared = type(office)(**{**office.__dict__, "unit_attribution": "shared"})
        version = store.data_version(con)
        assert store.sync_office_settings(con, shared) is True
        assert store.get_meta(con, "unit_attribution") == "shared" and store.data_version(con) == version + 1
        assert store.sync_office_settings(con, shared) is False  # unchanged: no write
        assert store.data_version(con) == version + 1
        assert store.sync_office_settings(con) is True and store.get_meta(con, "unit_attribution") == "first"
    finally:
        con.close()


def test_the_demo_store_keeps_the_office_setting(demo_con):
    assert store.get_meta(demo_con, "unit_attribution") == load_office().unit_attribution
