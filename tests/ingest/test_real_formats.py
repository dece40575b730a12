"""Importing exports as real systems write them (tests/ingest/realformats.py): 数字城管 cases, 12345 orders, the
创城 app's 交办台账, a third-party 模拟测评数据报告, and an older weekly export after a newer one.

The numbers asserted are those the builders' ``expected`` dicts give: what a person counts by hand from the rows.
Tests marked ``known`` run twice: on an empty store that has been told the names (streets, departments, three
sites) and on a copy of the demo store, which knows the same names.
"""
from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from campaign.ingest.engine import import_file
from tests.ingest import realformats as rf

D = date
OPEN = ("待整改", "整改中")


# --- helpers ------------------------------------------------------------------------------------------------------
def rows_of(con, sql: str, params=None) -> list[SimpleNamespace]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [SimpleNamespace(**dict(zip(cols, r))) for r in cur.fetchall()]


def landed(con, res) -> dict[str, SimpleNamespace]:
    """The problems (view ``problems``) this import wrote, by problem_id."""
    assert res.refused is None, res.refused
    got = rows_of(con, "SELECT * FROM problems WHERE problem_id IN "
                       "(SELECT problem_id FROM store.problems WHERE import_id = ?) ORDER BY problem_id",
                  [res.import_id])
    return {p.problem_id: p for p in got}


def problem(con, pid: str) -> SimpleNamespace:
    found = rows_of(con, "SELECT * FROM problems WHERE problem_id = ?", [pid])
    assert len(found) == 1, pid
    return found[0]


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def counts(res) -> tuple:
    return (res.rows_read, res.accepted, res.updated, res.unchanged, res.duplicates, res.quarantined, res.skipped)


def short_forms(res) -> dict[str, str]:
    return {r["name"]: r["canonical"] for r in res.resolved if r["entity"] == "department" and r["how"] == "简称"}


# --- stores -------------------------------------------------------------------------------------------------------
@pytest.fixture()
def seeded(con):
    """An empty store (default framework) that knows the streets, departments and sites the files name."""
    rf.seed_known_names(con)
    return con


@pytest.fixture(params=["empty", "demo"])
def known(request, tmp_path):
    """The same files on an empty store told the names, and on a copy of the demo store."""
    if request.param == "empty":
        from campaign.store import init_store

        db = tmp_path / "empty.duckdb"
        init_store(db)
        c = duckdb.connect(str(db))
        rf.seed_known_names(c)
    else:
        db = tmp_path / "demo.duckdb"
        shutil.copy(request.getfixturevalue("demo_db"), db)
        c = duckdb.connect(str(db))
    names = {r[0] for r in c.execute("SELECT street FROM store.streets").fetchall()}
    depts = {r[0] for r in c.execute("SELECT department FROM store.departments").fetchall()}
    assert {s for s, _ in rf.KNOWN_STREETS} <= names and set(rf.KNOWN_DEPARTMENTS) <= depts
    assert "区城管局" not in depts and "区市场监管局" not in depts
    yield c
    c.close()


# --- the builders themselves (independent of the importer) ----------------------------------------------------------
BUILDERS = {"数字城管": (rf.build_egova, "案件列表", rf.EGOVA_HEADER),
            "12345": (rf.build_hotline, "工单明细", rf.HOTLINE_HEADER),
            "交办台账第12周": (rf.build_jiaoban_week12, "交办台账", rf.JIAOBAN_HEADER),
            "交办台账第11周": (rf.build_jiaoban_week11, "交办台账", rf.JIAOBAN_HEADER),
            "交办台账第39周": (rf.build_jiaoban_week39, "交办台账", rf.JIAOBAN_HEADER),
            "测评报告": (rf.build_assessment_report, "明细", rf.REPORT_HEADER)}


@pytest.mark.parametrize("fmt", list(BUILDERS))
def test_builders_write_a_title_the_exact_header_blank_and_repeated_rows(tmp_path, fmt):
    build, sheet, header = BUILDERS[fmt]
    path, exp = build(tmp_path)
    cells = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    assert cells[0][0] and all(c == "" for c in cells[0][1:])          # the merged title row
    assert cells[1] == header
    body = cells[2:]
    assert len(body) == exp["rows_in"]
    assert sum(all(c == "" for c in r) for r in body) == exp["blank"]
    filled = [r for r in body if any(c != "" for c in r)]
    assert len(filled) - len({tuple(r) for r in filled}) == exp["repeated"]
    if fmt != "测评报告":                                               # timestamps with seconds: cells and text
        assert any(isinstance(c, datetime) and c.second for r in filled for c in r)
        assert any(isinstance(c, str) and len(c) == 19 and c[4] == "-" and c[13] == ":" for r in filled for c in r)


def test_the_expected_deadlines_agree_with_the_official_calendar(tmp_path):
    """The builders' working-day deadlines, recounted with the chinese_calendar package (调休 included)."""
    import re

    import chinese_calendar

    def plus_working_days(d: date, n: int) -> date:
        while n:
            d += timedelta(days=1)
            n -= chinese_calendar.is_workday(d)
        return d

    assert chinese_calendar.is_workday(D(2025, 9, 28)) and chinese_calendar.is_workday(D(2025, 10, 11))
    assert plus_working_days(D(2025, 3, 12), 3) == D(2025, 3, 17)
    assert plus_working_days(D(2025, 9, 26), 3) == D(2025, 9, 30)
    _, exp = rf.build_jiaoban_week39(tmp_path)
    for pid, (found, limit, deadline) in exp["deadlines"].items():
        m = re.fullmatch(r"(\d+)个工作日", limit)
        if m:
            assert plus_working_days(found, int(m[1])) == deadline, pid
        elif limit.endswith("天"):
            assert found + timedelta(days=int(limit[:-1])) == deadline, pid
        else:
            assert deadline == (found if limit in ("当日", "立行立改", "立即整改") else D.fromisoformat(limit)), pid


# =====================================================================================================================
# A. 数字城管
# =====================================================================================================================
def test_egova_cases_land_with_their_stage_as_status(known, tmp_path):
    path, exp = rf.build_egova(tmp_path)
    res = import_file(known, path)
    d = res.to_dict()
    assert res.kind == "ledger" and d["profile"] == exp["profile"] == "数字城管案件"
    assert counts(res) == (exp["rows_in"], exp["landed"], 0, 0, exp["repeated"], exp["quarantined"], exp["skipped"])
    assert d["skipped_detail"] == exp["skipped_detail"] == {"空行": 2, "作废案件": 1}
    got = landed(known, res)
    assert len(got) == exp["landed"] == 24
    assert Counter(p.status for p in got.values()) == exp["statuses"]
    assert exp["cancelled_id"] not in got and not rows_of(known, "SELECT * FROM store.problems WHERE problem_id = ?",
                                                          [exp["cancelled_id"]])
    assert {got[i].status for i in exp["awaiting_verification"]} == {"整改中"}   # [核查] is not fixed
    assert {p.source for p in got.values()} == {exp["source"]}
    assert all(p.ledger_no == pid for pid, p in got.items())
    assert {p.category for p in got.values()} >= {"市容环境", "宣传广告", "街面秩序"}


def test_egova_deadlines_keep_the_time_and_closing_dates_come_only_from_the_closing_time(seeded, tmp_path):
    path, exp = rf.build_egova(tmp_path)
    res = import_file(seeded, path)
    got = landed(seeded, res)
    for pid, (deadline, at) in exp["deadlines"].items():
        assert (got[pid].deadline, got[pid].deadline_at) == (deadline, at), pid
    for pid, found in exp["found_on"].items():          # 上报时间 written as text with seconds
        assert got[pid].found_on == found, pid
    assert {pid: p.closed_on for pid, p in got.items() if p.closed_on is not None} == exp["closed_on"]
    assert res.unknown_closed_on == len(exp["closed_without_date"]) == 1
    for pid in exp["closed_without_date"]:              # [结案] with no 结案时间: closed, date unknown, not made up
        p = got[pid]
        assert (p.status, p.closed_on, p.closed_on_known, p.is_closed) == ("已销号", None, False, True)
    assert all(p.closed_on is None for p in got.values() if p.status in OPEN)


def test_egova_addresses_become_sites_and_no_location_has_none(known, tmp_path):
    path, exp = rf.build_egova(tmp_path)
    sites_before = count(known, "store.sites")
    res = import_file(known, path)
    got = landed(known, res)
    for pid in exp["no_site"]:                          # lands, with its street, but at no site
        assert (got[pid].site, got[pid].site_id) == (None, None) and got[pid].street is not None, pid
    for pid, site in exp["sites"].items():
        assert got[pid].site == site and got[pid].site_id is not None, pid
    for pid, address in exp["addresses"].items():       # the address as written
        assert got[pid].address == address, pid
    for same in exp["same_site"]:                       # "人民路128号附近" and "人民路128号" are one site
        assert len({got[pid].site_id for pid in same}) == 1, same
    for pid, site in exp["known_sites"].items():        # an address naming a known site is that site
        sid = known.execute("SELECT site_id FROM store.sites WHERE site = ? AND street = ?",
                            [site, got[pid].street]).fetchall()
        assert [(got[pid].site_id,)] == sid, pid
    assert count(known, "store.sites") - sites_before == exp["new_sites"] == 9


def test_egova_short_unit_name_lands_as_the_full_name_and_adds_no_department(known, tmp_path):
    path, exp = rf.build_egova(tmp_path)
    depts_before = count(known, "store.departments")
    streets_before = count(known, "store.streets")
    res = import_file(known, path)
    assert res.quarantined == 0 and not res.name_flags
    assert short_forms(res) == exp["short_forms"] == {"区城管局": "区城市管理局"}
    assert {"entity", "name", "canonical", "how"} <= set(res.to_dict()["resolved"][0])
    got = landed(known, res)
    for pid in exp["short_form_rows"]:
        assert got[pid].department == "区城市管理局" and list(got[pid].responsible_units) == ["区城市管理局"], pid
    assert Counter(p.department for p in got.values()) == exp["departments"]
    assert count(known, "store.departments") == depts_before
    assert count(known, "store.streets") == streets_before
    assert not rows_of(known, "SELECT * FROM departments WHERE department = '区城管局'")
    assert not rows_of(known, "SELECT * FROM problems WHERE department = '区城管局'")


def test_egova_overdue_flag_extensions_reworks_community_and_subcategory(seeded, tmp_path):
    path, exp = rf.build_egova(tmp_path)
    got = landed(seeded, import_file(seeded, path))
    assert sorted(pid for pid, p in got.items() if p.reported_overdue) == exp["reported_overdue"]
    assert all(p.reported_overdue is False for pid, p in got.items() if pid not in exp["reported_overdue"])
    assert {pid: p.extensions for pid, p in got.items()} == {pid: exp["extensions"].get(pid, 0) for pid in got}
    assert {pid: p.reworks for pid, p in got.items()} == {pid: exp["reworks"].get(pid, 0) for pid in got}
    for pid, community in exp["communities"].items():
        assert got[pid].community == community, pid
    for pid, (category, sub) in exp["categories"].items():
        assert (got[pid].category, got[pid].subcategory) == (category, sub), pid
    assert Counter(p.street for p in got.values()) == exp["streets"]


# =====================================================================================================================
# B. 12345
# =====================================================================================================================
def test_hotline_orders_land_with_their_status(known, tmp_path):
    path, exp = rf.build_hotline(tmp_path)
    res = import_file(known, path)
    assert res.kind == "ledger" and res.profile == exp["profile"] == "12345工单"
    assert counts(res) == (exp["rows_in"], exp["landed"], 0, 0, exp["repeated"], 0, exp["skipped"])
    assert res.skipped_detail == exp["skipped_detail"]
    got = landed(known, res)
    assert len(got) == 24 and Counter(p.status for p in got.values()) == exp["statuses"]
    assert {got[pid].status for pid in exp["returned"]} == {"待整改"}          # a returned order is open
    assert {p.source for p in got.values()} == {"12345"}
    assert {pid: p.closed_on for pid, p in got.items() if pid in exp["closed_on"]} == exp["closed_on"]
    assert all((p.closed_on is not None) == (p.status == "已销号") for p in got.values())
    assert res.unknown_closed_on == exp["unknown_closed_on"] == 0
    for pid, found in exp["found_on"].items():
        assert got[pid].found_on == found, pid
    for pid, text in exp["descriptions"].items():       # 工单内容 is the description
        assert got[pid].description == text, pid


def test_hotline_street_is_the_handler_or_a_known_sites_else_unassigned(known, tmp_path):
    path, exp = rf.build_hotline(tmp_path)
    res = import_file(known, path)
    got = landed(known, res)
    for pid, street in {**exp["street_from_handler"], **exp["street_from_site"]}.items():
        assert got[pid].street == street, pid
    assert res.no_street == res.to_dict()["no_street"] == exp["no_street"] == 3
    assert sorted(pid for pid, p in got.items() if p.street == "未明确属地") == exp["no_street_ids"]
    assert res.quarantined == 0                         # without a street, still landed


def test_hotline_handler_department_with_its_short_form_resolved(known, tmp_path):
    path, exp = rf.build_hotline(tmp_path)
    depts_before = count(known, "store.departments")
    res = import_file(known, path)
    got = landed(known, res)
    assert short_forms(res) == exp["short_forms"] == {"区市场监管局": "区市场监督管理局"}
    for pid, dept in exp["departments"].items():
        assert got[pid].department == dept, pid
    assert count(known, "store.departments") == depts_before
    assert not rows_of(known, "SELECT * FROM departments WHERE department = '区市场监管局'")


def test_hotline_category_path_splits_into_category_and_subcategory(seeded, tmp_path):
    path, exp = rf.build_hotline(tmp_path)
    got = landed(seeded, import_file(seeded, path))
    for pid, (category, sub) in exp["categories"].items():
        assert (got[pid].category, got[pid].subcategory) == (category, sub), pid
    assert Counter(p.category for p in got.values()) == exp["category_counts"]
    assert not any(">" in (p.category or "") or ">" in (p.subcategory or "") for p in got.values())


# =====================================================================================================================
# C. 创城交办台账
# =====================================================================================================================
def test_jiaoban_ledger_counts_statuses_and_cards(known, tmp_path):
    path, exp = rf.build_jiaoban_week12(tmp_path)
    res = import_file(known, path)
    assert res.kind == "ledger" and res.profile == exp["profile"] == "创城交办台账"
    assert counts(res) == (exp["rows_in"], exp["landed"], 0, 0, exp["repeated"], exp["quarantined"], exp["skipped"])
    assert res.skipped_detail == exp["skipped_detail"]
    got = landed(known, res)
    assert len(got) == 24 and not set(exp["held"].values()) & set(got)
    assert Counter(p.status for p in got.values()) == exp["statuses"] == {"待整改": 7, "整改中": 7, "已销号": 10}
    assert {got[pid].status for pid in exp["submitted"]} == {"整改中"}    # awaiting review is not fixed
    assert {got[pid].status for pid in exp["rejected"]} == {"待整改"}
    assert Counter(p.card for p in got.values()) == exp["cards"] == {"红": 8, "黄": 16}
    for pid, found in exp["found_on"].items():
        assert got[pid].found_on == found, pid


def test_jiaoban_near_standard_wording_is_held_as_a_suggestion(seeded, tmp_path):
    path, exp = rf.build_jiaoban_week12(tmp_path)
    res = import_file(seeded, path)
    q = res.quarantine
    assert sorted(q["行号"].astype(int).unique().tolist()) == sorted(exp["held"])
    assert set(q["列"]) == {"测评标准"} and set(q["原值"]) == {exp["near_standard"]["written"]}
    near = exp["near_standard"]
    assert all(near["code"] in why or near["name"] in why for why in q["原因"]), q["原因"].tolist()
    got = landed(seeded, res)
    assert Counter(p.standard_code for p in got.values()) == exp["standard_codes"]
    for pid, text in exp["descriptions"].items():       # no description column: the standard's text is it
        assert got[pid].description == text, pid


def test_jiaoban_accepting_suggestions_takes_the_near_wording(seeded, tmp_path):
    path, exp = rf.build_jiaoban_week12(tmp_path)
    res = import_file(seeded, path, accept_suggestions=True)
    assert (res.accepted, res.quarantined, res.duplicates) == (exp["problems"], 0, 1)
    got = landed(seeded, res)
    assert {got[pid].standard_code for pid in exp["held"].values()} == {exp["near_standard"]["code"]}
    assert Counter(p.status for p in got.values()) == exp["statuses_accepting"]


def test_jiaoban_cli_accept_suggestions(tmp_path, capsys):
    from campaign.cli import main
    from campaign.store import init_store

    path, exp = rf.build_jiaoban_week12(tmp_path)
    db = tmp_path / "cli.duckdb"
    init_store(db)
    c = duckdb.connect(str(db))
    rf.seed_known_names(c)
    c.close()
    assert main(["import", str(path), "--db", str(db), "--json", "--accept-suggestions"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["accepted"], data["quarantined"]) == (exp["problems"], 0)
    assert data["files"][0]["profile"] == "创城交办台账"
    c = duckdb.connect(str(db))
    try:
        codes = c.execute("SELECT problem_id, standard_code FROM problems WHERE problem_id IN (?, ?)",
                          list(exp["held"].values())).fetchall()
        assert {code for _, code in codes} == {exp["near_standard"]["code"]} and len(codes) == 2
    finally:
        c.close()


def test_jiaoban_deadlines_in_working_days_calendar_days_or_at_once(seeded, tmp_path):
    path, exp = rf.build_jiaoban_week12(tmp_path)
    got = landed(seeded, import_file(seeded, path))
    assert {pid: got[pid].deadline for pid in exp["deadlines"]} == exp["deadlines"]
    assert got["JB25031201"].deadline == D(2025, 3, 17)  # Wed 2025-03-12 + 3个工作日


def test_jiaoban_working_days_follow_the_official_calendar(seeded, tmp_path):
    path, exp = rf.build_jiaoban_week39(tmp_path)
    res = import_file(seeded, path)
    assert (res.rows_read, res.accepted, res.duplicates, res.quarantined) == (
        exp["rows_in"], exp["landed"], exp["repeated"], exp["quarantined"])
    got = landed(seeded, res)
    assert {pid: (p.found_on, p.deadline) for pid, p in got.items()} == {
        pid: (found, deadline) for pid, (found, _, deadline) in exp["deadlines"].items()}
    assert got["JB25092601"].deadline == D(2025, 9, 30)  # Fri + 3个工作日: Sun 09-28 is a working day
    assert got["JB25093001"].deadline == D(2025, 10, 11)  # over National Day to the adjusted Saturday
    assert Counter(p.card for p in got.values()) == exp["cards"]


def test_jiaoban_lead_and_responsible_units(seeded, tmp_path):
    path, exp = rf.build_jiaoban_week12(tmp_path)
    depts_before = count(seeded, "store.departments")
    got = landed(seeded, import_file(seeded, path))
    for pid, lead in exp["lead"].items():
        assert got[pid].lead_department == lead, pid
    for pid, units in exp["units"].items():             # split on ；、, ，in the order written
        assert list(got[pid].responsible_units) == units, pid
    for pid, dept in exp["departments"].items():        # the first responsible unit (else 抄告对象)
        assert got[pid].department == dept, pid
    assert count(seeded, "store.departments") == depts_before
    shares = seeded.execute("SELECT department, role, share FROM problem_units WHERE problem_id = 'JB25030601' "
                            "ORDER BY role DESC, share DESC, department").fetchall()
    assert shares == [("区城管执法大队", "responsible", 1.0), ("区城市管理局", "responsible", 0.0),
                      ("区市场监督管理局", "responsible", 0.0), ("区市场监督管理局", "lead", 0.0)]


def test_jiaoban_has_no_closing_dates_and_keeps_what_the_app_records(seeded, tmp_path):
    path, exp = rf.build_jiaoban_week12(tmp_path)
    res = import_file(seeded, path)
    got = landed(seeded, res)
    closed = [p for p in got.values() if p.status == "已销号"]
    assert len(closed) == exp["closed"] == res.unknown_closed_on == 10
    assert all(p.closed_on is None and p.closed_on_known is False for p in closed)
    assert all(p.closed_on is None for p in got.values())
    assert sorted(pid for pid, p in got.items() if p.rebound) == exp["rebound"]
    assert all(p.rebound is False for pid, p in got.items() if pid not in exp["rebound"])
    for pid, result in exp["results"].items():
        assert got[pid].result == result, pid
    assert Counter(p.result for p in got.values()) == exp["result_counts"]
    for pid, (before, after) in exp["photos"].items():
        assert (got[pid].photos_before, got[pid].photos_after) == (before, after), pid
    for pid, note in exp["notes"].items():
        assert got[pid].note == note, pid
    assert {pid: got[pid].street for pid in exp["streets"]} == exp["streets"]
    assert {pid: got[pid].site for pid in exp["sites"]} == exp["sites"]
    assert {pid: got[pid].address for pid in exp["addresses"]} == exp["addresses"]


# =====================================================================================================================
# D. 第三方模拟测评数据报告
# =====================================================================================================================
def test_assessment_report_detail_rows_become_scores(seeded, tmp_path):
    path, exp = rf.build_assessment_report(tmp_path)
    res = import_file(seeded, path)
    assert res.kind == "assessment" and res.profile == exp["profile"] == "第三方测评报告"
    detail = next(sh for sh in res.sheets if sh.name == "明细")   # the summary sheets may be read too
    assert detail.data_rows == exp["rows_in"] == 24
    assert (res.duplicates, res.quarantined) == (exp["repeated"], exp["quarantined"])
    assert res.skipped_detail == exp["skipped_detail"]
    rounds = rows_of(seeded, "SELECT * FROM assessment_rounds")
    assert [(r.round_name, r.assessor) for r in rounds] == [(exp["round"], exp["assessor"])]
    s = rows_of(seeded, "SELECT * FROM assessment_scores")
    assert len(s) == exp["landed"] == 21 and {x.round_id for x in s} == {rounds[0].round_id}
    assert Counter(x.standard_code for x in s) == exp["codes"]
    assert sum(x.score for x in s) == pytest.approx(exp["score_sum"])
    assert sum(x.max_score for x in s) == pytest.approx(exp["max_sum"])
    by = {(x.site, x.standard_code): x for x in s}
    for key, (score, max_score, street, dept, site_type) in exp["scores"].items():
        x = by[key]
        assert (x.score, x.max_score) == (pytest.approx(score), pytest.approx(max_score)), key
        assert (x.street, x.department, x.site_type) == (street, dept, site_type), key
    assert Counter(x.street for x in s) == exp["per_street"]
    assert count(seeded, "store.problems") == 0       # the summary sheets are no problems, nor scores


def test_assessment_report_unmatched_wording_is_held_naming_the_closest_standards(seeded, tmp_path):
    path, exp = rf.build_assessment_report(tmp_path)
    res = import_file(seeded, path)
    held = exp["held"]
    q = res.quarantine
    assert res.quarantined == 1 and q["行号"].astype(int).unique().tolist() == [held["row"]]
    row = q[q["列"].eq("测评标准")]
    assert len(row) == 1 and row["原值"].item() == held["text"]
    why = row["原因"].item()
    assert held["closest"] in why or held["closest_name"] in why, why
    assert not rows_of(seeded, "SELECT * FROM assessment_scores WHERE site = '西大街农贸市场' AND "
                               "(standard_code IS NULL OR standard_code = 'B4.1.2')")
    kept = rows_of(seeded, "SELECT * FROM store.import_quarantine WHERE import_id = ?", [res.import_id])
    assert [k.row_number for k in kept] == [held["row"]]


# =====================================================================================================================
# E. an older export after a newer one
# =====================================================================================================================
def test_an_older_weekly_export_changes_no_status(seeded, tmp_path):
    p12, _ = rf.build_jiaoban_week12(tmp_path)
    p11, exp = rf.build_jiaoban_week11(tmp_path)
    import_file(seeded, p12)
    before = {pid: problem(seeded, pid).status for pid in exp["older_ids"] + exp["same_ids"]}
    res = import_file(seeded, p11)
    d = res.to_dict()
    assert d["profile"] == exp["profile"]
    assert (d["older"], d["accepted"], d["updated"], d["unchanged"]) == (exp["older"], 0, 0, exp["unchanged"])
    assert (res.rows_read, res.duplicates, res.quarantined) == (exp["rows_in"], exp["repeated"], 0)
    after = {pid: problem(seeded, pid).status for pid in before}
    assert after == before
    assert {pid: after[pid] for pid in exp["older_ids"]} == exp["week12_status"]
    assert {pid: after[pid] for pid in exp["same_ids"]} == exp["same_status"]


def test_an_older_weekly_export_moves_statuses_when_allowed(seeded, tmp_path):
    p12, _ = rf.build_jiaoban_week12(tmp_path)
    p11, exp = rf.build_jiaoban_week11(tmp_path)
    first = import_file(seeded, p12)
    res = import_file(seeded, p11, allow_older=True)
    assert (res.older, res.accepted, res.updated, res.unchanged) == (0, 0, exp["older"], exp["unchanged"])
    assert {pid: problem(seeded, pid).status for pid in exp["older_ids"]} == exp["week11_status"]
    assert {pid: problem(seeded, pid).status for pid in exp["same_ids"]} == exp["same_status"]
    hist = rows_of(seeded, "SELECT * FROM problem_history WHERE problem_id = 'JB25030301' ORDER BY is_current")
    assert [(h.status, h.import_id, h.is_current) for h in hist] == [
        ("已销号", first.import_id, False), ("待整改", res.import_id, True)]


def test_the_reports_street_table_is_kept_and_compared_with_ours(seeded, tmp_path):
    """The report's own 街道排名 lands beside the detail; a street whose detail row was held shows the gap."""
    from campaign import queries

    path, exp = rf.build_assessment_report(tmp_path)
    res = import_file(seeded, path)
    rid = seeded.execute("SELECT round_id FROM assessment_rounds").fetchone()[0]
    cmp = queries.run(seeded, "report_street_comparison", round_id=rid).set_index("street")
    kept = rows_of(seeded, "SELECT * FROM report_street_scores")
    assert len(kept) == len(cmp) == 5 and all(k.round_id == rid for k in kept)
    held_street = "青山镇"  # the row whose wording matched nothing (西大街农贸市场) is in 青山镇
    assert res.quarantined == 1
    assert abs(cmp.loc[held_street, "difference"]) > 1
    assert (cmp.drop(index=held_street)["difference"].abs() < 0.01).all()
