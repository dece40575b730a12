"""负面清单事件 imported from a 报送台账: matched to the framework's items, counted by hand, held with reasons that
name the row and column, never twice, undone whole, counted in the round totals like events entered on the page."""
import io
import zipfile
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from campaign import queries
from campaign.analysis import metrics, negatives
from campaign.ingest import engine, log, names, report, upsert
from tests.ingest.negative_files import FORMULA_NOTE, LATER, write_negative_ledger


@pytest.fixture()
def ledger(tmp_path):
    return write_negative_ledger(tmp_path / "2026年负面清单事项报送台账.xlsx")


def events(con) -> list[tuple]:
    return con.execute("SELECT code, occurred_on, unit FROM negative_reports ORDER BY occurred_on").fetchall()


def test_a_real_shaped_ledger_counts_as_a_person_counts_it(con, ledger):
    res = engine.import_file(con, ledger, imported_by="王科长")
    assert res.refused is None and res.kind == "negatives" and res.kind_label == "负面清单事件"
    assert (res.rows_read, res.accepted, res.updated, res.unchanged, res.duplicates, res.quarantined, res.skipped) == \
        (12, 3, 0, 0, 1, 5, 3)
    assert res.skipped_detail == {"空行": 2, "合计行": 1}
    assert events(con) == [("N02", date(2026, 8, 1), "北关街道"), ("N10", date(2026, 8, 26), "区城市管理局"),
                           ("N03", date(2026, 9, 5), "区市场监督管理局")]
    row = con.execute("SELECT note, info_source, reporter, import_id FROM negative_reports WHERE code = 'N02'").fetchone()
    assert row == ("仓库火灾致1人受伤", "区应急管理局", "张三", res.import_id)
    assert {(r["name"], r["canonical"]) for r in res.resolved} == {("区城管局", "区城市管理局"),
                                                                   ("区市场监管局", "区市场监督管理局")}
    q = res.quarantine.set_index("行号")
    assert list(q.index) == [8, 9, 10, 11, 12]
    assert q.at[8, "列"] == "事项名称" and "与 N02（发生较大及以上火灾事故造成人员伤亡）相近" in q.at[8, "原因"]
    assert q.at[9, "原因"].startswith("负面清单事项「火灾」在负面清单中找不到，最接近的是：N29 发生特别重大火灾事故")
    assert (q.at[10, "列"], q.at[10, "原因"]) == ("事项编码", "负面清单中没有编码为「N99」的事项")
    assert (q.at[11, "列"], q.at[11, "原因"]) == ("发生日期", f"发生日期 {LATER} 晚于今天（{date.today()}）")
    assert (q.at[12, "列"], q.at[12, "原因"]) == ("发生日期", "必填项为空")
    assert [(f.entity, f.name, f.suggestion) for f in res.name_flags] == [("negative_item", "发生较大及以上火灾事故", "N02")]
    fates = res.row_fates.set_index("行号")["结果"]
    assert fates[[4, 5, 6]].tolist() == ["新增"] * 3 and set(fates[[8, 9, 10, 11, 12]]) == {"隔离"}
    why = res.row_fates.set_index("行号")["原因"]
    assert why[10] == "负面清单中没有编码为「N99」的事项" and why[4] == "" and why[12] == "必填项为空"
    text = engine.summary_text(res)
    assert "负面清单事件（第 1 次导入）" in text and "新增 3" in text and "隔离 5" in text


def test_importing_the_same_file_again_adds_nothing_and_undo_removes_it(con, ledger):
    first = engine.import_file(con, ledger)
    again = engine.import_file(con, ledger)
    assert (again.accepted, again.updated, again.unchanged, again.import_id) == (0, 0, 3, None)
    assert set(again.row_fates["结果"]) == {"已有，不重复导入", "隔离"}
    assert "没有新数据" in " ".join(again.notes)
    assert len(events(con)) == 3 and con.execute("SELECT count(*) FROM import_log").fetchone()[0] == 1
    done = log.undo_import(con, first.import_id, "王科长")
    assert (done.removed, done.restored) == (3, 0) and events(con) == []


def test_a_check_writes_nothing_and_shows_each_rows_fate(con, ledger):
    res = engine.import_file(con, ledger, dry_run=True)
    assert res.accepted == 3 and events(con) == []
    fates = res.row_fates
    assert list(fates.columns) == ["_i", "行号", "负面清单事项", "发生日期", "涉及单位", "结果", "原因"]
    first = fates.iloc[0]
    assert (first["行号"], first["负面清单事项"], first["发生日期"], first["涉及单位"], first["结果"]) == (
        4, "N02 发生较大及以上火灾事故造成人员伤亡", "2026-08-01", "北关街道", "新增")


def test_a_suggested_item_is_taken_once_the_office_confirms_it(con, ledger):
    engine.import_file(con, ledger)
    names.save_decisions(con, [("negative_item", "发生较大及以上火灾事故", "N02")], "王科长")
    res = engine.import_file(con, ledger)
    assert (res.accepted, res.unchanged, res.quarantined) == (1, 3, 4)
    assert ("N02", date(2026, 10, 3), "东湖街道") in events(con)


def test_accept_suggestions_takes_the_closest_item(con, ledger):
    res = engine.import_file(con, ledger, accept_suggestions=True)
    assert (res.accepted, res.quarantined) == (4, 4)
    assert any(r["name"] == "发生较大及以上火灾事故" and r["canonical"] == "N02" for r in res.resolved)


def test_a_code_and_a_name_that_disagree_are_held(con, tmp_path):
    f = write_negative_ledger(tmp_path / "t.xlsx", [[1, "N02", "发生重大食品药品安全事件", "2026-09-05", "北关街道", "", "", ""]])
    res = engine.import_file(con, f)
    assert res.accepted == 0 and res.quarantine["原因"].tolist() == [
        "事项编码 N02 与事项名称「发生重大食品药品安全事件」（N03）不一致"]


def test_an_item_named_without_its_bracketed_remark_or_with_its_code_matches(con, tmp_path):
    f = write_negative_ledger(tmp_path / "t.xlsx", [
        [1, "", "发生重特大安全生产事故", "2026-09-05", "北关街道", "", "", ""],
        [2, "", "N11 网上申报材料弄虚作假", "2026-09-06", "区文明办", "", "", ""]])
    res = engine.import_file(con, f)
    assert res.quarantined == 0 and [e[0] for e in events(con)] == ["N01", "N11"]


def test_a_unit_near_a_known_street_is_held_for_the_office(con, tmp_path):
    con.execute("INSERT INTO store.streets VALUES ('北关街道', '街道', NULL, 1)")
    f = write_negative_ledger(tmp_path / "t.xlsx", [[1, "N02", "", "2026-09-05", "北关街到", "", "", ""]])
    res = engine.import_file(con, f)
    assert res.accepted == 0 and "可能是「北关街道」的笔误" in res.quarantine["原因"].iat[0]
    assert res.quarantine["列"].iat[0] == "涉及单位"


def test_formula_text_is_kept_as_text_and_leaves_as_text(con, ledger):
    res = engine.import_file(con, ledger)
    note = con.execute("SELECT note FROM negative_reports WHERE code = 'N10'").fetchone()[0]
    assert note == FORMULA_NOTE
    from campaign.app import ui

    table = queries.run(con, "negative_event_list")
    for data in (ui.excel_bytes(table, sheet="负面清单事件"), report.quarantine_excel([res])):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            assert sheets and not any(b"<f>" in z.read(n) for n in sheets)
    cells = CalamineWorkbook.from_filelike(io.BytesIO(ui.excel_bytes(table, sheet="负面清单事件"))).get_sheet_by_index(0)
    assert FORMULA_NOTE in [v for r in cells.to_python() for v in r]


def test_a_failure_while_writing_leaves_nothing_half_written(con, ledger, monkeypatch):
    real = upsert.APPLY["negatives"]

    def broken(ctx, stage, import_id):
        real(ctx, stage, import_id)
        raise RuntimeError("disk full")

    monkeypatch.setitem(upsert.APPLY, "negatives", broken)
    with pytest.raises(RuntimeError):
        engine.import_file(con, ledger)
    assert events(con) == [] and con.execute("SELECT count(*) FROM import_log").fetchone()[0] == 0


# --- the round totals ----------------------------------------------------------------------------------------
@pytest.fixture()
def demo(demo_copy):
    return demo_copy


def totals(con) -> dict:
    r = metrics.round_scores(con)
    return {int(x.round_id): (round(float(x.total), 6), float(x.deduction), bool(x.vetoed)) for x in r.itertuples()}


def test_imported_events_count_in_the_round_totals_like_entered_ones(demo, ledger):
    held = dict(demo.execute("SELECT round_id, held_on FROM assessment_rounds").fetchall())
    assert (held[6], held[7], held[8]) == (date(2026, 7, 17), date(2026, 9, 18), date(2026, 11, 13))
    before = totals(demo)
    # entered on the page first: the file's row 4 is the same event (item, date, unit) and does not count twice
    negatives.report(demo, "N02", date(2026, 8, 1), "北关街道", "仓库火灾致1人受伤", by="王主任")
    res = engine.import_file(demo, ledger)
    assert (res.accepted, res.updated) == (2, 1)  # row 4 gains the file's 来源 and 报送人
    after = totals(demo)
    # N02 (2026-08-01, 扣2) + N10 (2026-08-26, 扣1) + N03 (2026-09-05, 扣3): rounds held within 12 months after
    # each event and on or after it are 7 (2026-09-18) and 8 (2026-11-13); round 6 (2026-07-17) is before all three
    for rid in before:
        d = 6.0 if rid in (7, 8) else 0.0
        assert after[rid][1] == pytest.approx(before[rid][1] + d), rid
        assert after[rid][0] == pytest.approx(before[rid][0] - d), rid
    reg = negatives.register(demo, date(2026, 11, 22)).set_index("code")
    assert reg.at["N02", "events"] == 1 and reg.at["N03", "units"] == "区市场监督管理局"
    assert reg.at["N10", "status"] == "近12个月发生1次：2027-08-25前举行的测评每次扣1分"
    listed = queries.run(demo, "negative_event_list")
    assert sorted(listed.loc[listed["source"] == "导入", "code"]) == ["N02", "N03", "N10"]
    log.undo_import(demo, res.import_id)
    back = totals(demo)
    for rid in before:  # the entered N02 event is back as it was; the imported ones are gone
        d = 2.0 if rid in (7, 8) else 0.0
        assert back[rid][1] == pytest.approx(before[rid][1] + d), rid
    assert demo.execute("SELECT import_id, info_source FROM negative_reports").fetchall() == [(0, None)]


def test_a_changed_description_updates_the_event_and_undo_puts_it_back(con, tmp_path):
    row = [1, "N02", "", "2026-08-01", "北关街道", "仓库火灾", "", ""]
    first = engine.import_file(con, write_negative_ledger(tmp_path / "v1.xlsx", [row]))
    second = engine.import_file(con, write_negative_ledger(tmp_path / "v2.xlsx", [row[:5] + ["仓库火灾致1人受伤", "", ""]]))
    assert (second.accepted, second.updated) == (0, 1)
    assert second.row_fates["结果"].tolist() == ["更新（情况说明等有变化，旧版本保留）"]
    assert con.execute("SELECT report_id, note, import_id FROM negative_reports").fetchall() == [
        (1, "仓库火灾致1人受伤", second.import_id)]
    with pytest.raises(log.UndoRefused):
        log.undo_import(con, first.import_id)   # the later import changed its row: undo that one first
    log.undo_import(con, second.import_id)
    assert con.execute("SELECT report_id, note, import_id FROM negative_reports").fetchall() == [
        (1, "仓库火灾", first.import_id)]


def test_a_gbk_csv_with_a_title_row_imports_the_same(con, tmp_path):
    from tests.ingest.conftest import write_csv

    header = ["序号", "事项编码", "负面清单事项", "发生时间", "责任单位", "事件描述", "信息来源", "报送单位"]
    f = write_csv(tmp_path / "负面清单.csv", header, [
        [1, "N02", "", "2026/8/1", "北关街道", "仓库火灾", "区消防救援大队", "区应急管理局"],
        [2, "", "发生重大食品药品安全事件", "2026.9.5", "区市场监管局", "", "", ""],
        [None] * 8,
        ["合计", "", "", "", "", "2件", "", ""],
    ], encoding="gbk", title="临江区负面清单事项报送台账")
    res = engine.import_file(con, f)
    assert res.refused is None and res.kind == "negatives" and res.encoding == "GBK/GB18030"
    assert (res.accepted, res.quarantined, res.skipped) == (2, 0, 2)
    assert con.execute("SELECT code, occurred_on, unit, note, info_source, reporter FROM negative_reports "
                       "ORDER BY code").fetchall() == [
        ("N02", date(2026, 8, 1), "北关街道", "仓库火灾", "区消防救援大队", "区应急管理局"),
        ("N03", date(2026, 9, 5), "区市场监督管理局", None, None, None)]


def test_the_offices_own_wording_in_the_alias_file_names_an_item(con, tmp_path):
    import yaml

    from campaign.ingest import mapping

    raw = yaml.safe_load(mapping.ALIASES_FILE.read_text(encoding="utf-8"))
    f = write_negative_ledger(tmp_path / "t.xlsx", [[1, "", "火灾伤人事故", "2026-09-05", "北关街道", "", "", ""]])
    assert engine.import_file(con, f, dry_run=True).quarantined == 1
    raw["names"]["negative_item"] = {"火灾伤人事故": "N02"}
    res = engine.import_file(con, f, aliases=mapping.parse_aliases(raw))
    assert (res.accepted, res.quarantined) == (1, 0) and events(con) == [("N02", date(2026, 9, 5), "北关街道")]
