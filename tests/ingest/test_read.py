"""Formats, encodings, header rows; files refused whole leave the store untouched."""
import zipfile
from datetime import date
from types import SimpleNamespace

import duckdb
import pytest

from campaign.ingest import import_file, mapping
from campaign.ingest.read import read_bytes
from tests.ingest.conftest import LEDGER_HEADER, write_csv, write_merged_ledger, write_xlsx

AL = mapping.load_aliases()


def counts(con) -> tuple:
    return tuple(con.execute("SELECT count(*) FROM " + t).fetchone()[0]
                 for t in ("problems", "sites", "streets", "departments", "inspections"))


def problems(con) -> dict:
    cur = con.execute("SELECT * FROM problems")
    cols = [d[0] for d in cur.description]
    return {r[0]: SimpleNamespace(**dict(zip(cols, r))) for r in cur.fetchall()}


def test_xlsx_with_title_rows_and_merged_two_row_header(tmp_path, con, base_rows):
    rows = [r[:4] + r[5:] for r in base_rows]  # this layout has no 点位类型 column
    f = write_merged_ledger(tmp_path / "第12周.xlsx", rows)
    res = import_file(con, f)
    assert res.refused is None, res.refused
    assert res.kind == "ledger"
    assert res.sheets[0].header_rows == [3, 4]  # below the title and the 制表单位 line
    assert res.sheets[0].columns["整改状态"] == "整改状态" and res.sheets[0].columns["完成时间"] == "整改完成日期"
    assert res.accepted == 12 and res.quarantined == 0
    p = problems(con)
    assert p["DC003"].status == "已整改" and p["DC003"].closed_on == date(2025, 3, 10)
    assert p["DC004"].deadline == date(2025, 3, 18) and p["DC004"].card == "红"


def test_gbk_csv_with_other_offices_headers(tmp_path, con, base_rows):
    header = ["序号", "编号", "检查时间", "检查点位", "场所类型", "属地", "牵头单位", "问题类型", "存在问题", "扣分值",
              "督办类型", "整改期限", "办理状态", "办结日期"]
    f = write_csv(tmp_path / "台账.csv", header, base_rows, encoding="gbk", title="区创城办督查台账（导出）")
    assert b"\xb1\xb1\xb9\xd8" in f.read_bytes()  # 北关 in GBK
    res = import_file(con, f)
    assert res.refused is None, res.refused
    assert res.encoding == "GBK/GB18030" and res.fmt == "csv"
    assert res.accepted == 12
    assert set(res.sheets[0].columns.values()) >= {"所属街道", "牵头单位", "发现日期", "问题描述", "点位"}
    assert problems(con)["DC004"].street == "东湖街道"


@pytest.mark.parametrize("encoding,name", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带 BOM）"), ("gb18030", "GBK/GB18030"),
                                           ("utf-16", "UTF-16")])
def test_csv_encodings_are_detected(tmp_path, con, base_rows, encoding, name):
    f = write_csv(tmp_path / "t.csv", LEDGER_HEADER, base_rows, encoding=encoding)
    res = import_file(con, f)
    assert (res.encoding, res.accepted) == (name, 12)


def test_xls_written_by_libreoffice(tmp_path, con, base_rows, to_xls):
    rows = [r[:4] + r[5:] for r in base_rows]
    xls = to_xls(write_merged_ledger(tmp_path / "第12周.xlsx", rows))
    assert xls.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 (BIFF) workbook
    res = import_file(con, xls)
    assert res.refused is None, res.refused
    assert (res.fmt, res.accepted, res.quarantined) == ("xls", 12, 0)
    p = problems(con)
    assert p["DC003"].closed_on == date(2025, 3, 10) and p["DC001"].found_on == date(2025, 3, 10)


def test_every_sheet_with_a_table_is_read(tmp_path, con, base_rows):
    f = write_xlsx(tmp_path / "两个街道.xlsx", LEDGER_HEADER, base_rows[:6], title="北关片区", sheet="北关",
                   extra_sheets={"东湖": [LEDGER_HEADER, *base_rows[6:]],
                                 "填表说明": [["说明"], ["本表由各街道每周五前报送"]],
                                 "统计": [["街道", "问题数", "整改率"], ["北关街道", 6, "50%"]]})
    res = import_file(con, f)
    assert res.accepted == 12
    assert [s.name for s in res.sheets] == ["北关", "东湖"]
    assert any("填表说明" in s for s in res.skipped_sheets) and any("统计" in s for s in res.skipped_sheets)


def test_header_found_below_several_title_rows_in_csv(tmp_path, con, base_rows):
    lines = "临江区创城督查问题台账\n导出时间：2025-03-20,,,\n\n"
    body = tmp_path / "body.csv"
    write_csv(body, LEDGER_HEADER, base_rows, encoding="utf-8")
    f = tmp_path / "titled.csv"
    f.write_text(lines + body.read_text(encoding="utf-8"), encoding="utf-8")
    res = import_file(con, f)
    assert res.sheets[0].header_rows == [4] and res.accepted == 12


def test_unmapped_required_column_names_it_and_lists_the_headers(tmp_path, con, base_rows):
    header = [h if h != "所属街道" else "片区" for h in LEDGER_HEADER]
    res = import_file(con, write_xlsx(tmp_path / "x.xlsx", header, base_rows), kind="ledger")
    assert res.refused and "缺少必需列：所属街道" in res.refused
    assert "看到的表头：序号、问题编号、发现日期、点位名称、点位类型、片区" in res.refused
    assert counts(con) == (0, 0, 0, 0, 0)


def test_office_extends_the_alias_table(tmp_path, con, base_rows):
    header = [h if h != "所属街道" else "片区" for h in LEDGER_HEADER]
    raw = mapping.yaml.safe_load(mapping.ALIASES_FILE.read_text(encoding="utf-8"))
    raw["fields"]["street"]["aliases"].append("片区")
    res = import_file(con, write_xlsx(tmp_path / "x.xlsx", header, base_rows), aliases=mapping.parse_aliases(raw))
    assert res.refused is None and res.accepted == 12


@pytest.mark.parametrize("content,fragment", [
    (b"", "是空的"),
    (b"PK\x03\x04not really a zip", "不是有效的 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "不是有效的 Excel 工作簿"),
    (b"<html><body><table><tr><td>a</td></tr></table></body></html>", "网页（HTML）"),
    (b"just some words without any columns", "不是有效的 Excel 工作簿"),
])
def test_files_that_are_not_workbooks_are_refused(tmp_path, con, content, fragment):
    f = tmp_path / "台账.xlsx"
    f.write_bytes(content)
    res = import_file(con, f)
    assert res.refused and fragment in res.refused and "台账.xlsx" in res.refused
    assert counts(con) == (0, 0, 0, 0, 0)


def test_a_word_document_renamed_xlsx_is_refused(tmp_path, con):
    f = tmp_path / "报告.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("[Content_Types].xml", "<Types/>")
    res = import_file(con, f)
    assert "不是有效的 Excel 工作簿" in res.refused


def test_a_table_of_something_else_is_refused(tmp_path, con):
    f = write_xlsx(tmp_path / "通讯录.xlsx", ["姓名", "单位", "电话"], [["张三", "区文明办", "12345678"]])
    res = import_file(con, f)
    assert res.refused and "不是可识别的数据表" in res.refused or "没有找到数据表" in res.refused
    assert counts(con) == (0, 0, 0, 0, 0)


def test_a_ledger_claimed_to_be_assessment_results_is_refused(tmp_path, con, base_rows):
    res = import_file(con, write_xlsx(tmp_path / "台账.xlsx", LEDGER_HEADER, base_rows), kind="assessment")
    assert res.refused.startswith("文件「台账.xlsx」不是模拟测评结果") and "测评标准编码" in res.refused
    assert counts(con) == (0, 0, 0, 0, 0)


def test_header_only_is_refused(tmp_path, con):
    res = import_file(con, write_xlsx(tmp_path / "空表.xlsx", LEDGER_HEADER, [], title="第12周督查问题清单"))
    assert "只有表头，没有数据行" in res.refused


def test_merged_cells_in_the_data_fill_down(tmp_path, con):
    """A street written once in a merged cell down its block of rows belongs to every row of the block."""
    import xlsxwriter

    f = tmp_path / "合并.xlsx"
    wb = xlsxwriter.Workbook(str(f))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["所属街道", "发现日期", "点位", "问题描述"])
    ws.merge_range(1, 0, 3, 0, "北关街道")
    for i, desc in enumerate(["垃圾桶满溢", "小广告", "路灯不亮"], start=1):
        ws.write_row(i, 1, ["2025-03-12", "解放路3巷", desc])
    wb.close()
    res = import_file(con, f)
    assert (res.accepted, res.quarantined) == (3, 0)
    assert con.execute("SELECT count(*) FROM problems WHERE street = '北关街道'").fetchone()[0] == 3


def test_sniffing_is_by_content_not_name(tmp_path, base_rows):
    f = write_csv(tmp_path / "导出.xls", LEDGER_HEADER, base_rows, encoding="gbk")
    wb = read_bytes(f.read_bytes(), f.name)
    assert wb.fmt == "csv" and "实际是文本表格" in wb.notes[0]
    assert duckdb.__version__  # the store library is importable alongside


def test_unknown_headers_under_a_merged_title_are_offered_for_mapping(tmp_path, con):
    """A header no alias knows, under a title merged across the width: the header row (not the title) is what
    the office is asked to map, each column with its own samples."""
    header = ["登记日", "地段", "片区", "情况说明", "状况"]
    rows = [["2025-03-10", "人民路12号", "北关街道", "垃圾满溢", "未处理"],
            ["2025-03-11", "解放路3巷", "东湖街道", "小广告", "已处理"]]
    res = import_file(con, write_xlsx(tmp_path / "登记.xlsx", header, rows, title="街面巡查问题登记"))
    assert res.needs_mapping and res.refused
    assert [c["header"] for c in res.columns] == header
    assert res.columns[2]["samples"] == "北关街道、东湖街道"
    assert counts(con) == (0, 0, 0, 0, 0)


def test_nul_characters_after_the_first_4_kb_are_removed_and_said(con):
    from campaign.ingest import import_file

    head = "发现日期,点位名称,所属街道,问题描述,整改状态\n"
    body = "".join(f"2026-03-02,人民路{i}号,北关街道,垃圾堆放第{i}处,待整改\n" for i in range(200))
    at = body.index("\n", 5000) + 1  # a line past the first 4 KB
    line = head.count("\n") + body.count("\n", 0, at) + 1
    text = head + body[:at] + body[at:at + 20] + "\x00\x00" + body[at + 20:]
    data = text.encode("utf-8")
    assert b"\x00" not in data[:4096]
    res = import_file(con, data, "带空字符.csv")
    assert res.refused is None and res.accepted == 200
    assert any(f"2 个空字符（NUL，第一个在第 {line} 行）" in n for n in res.notes), res.notes
    assert con.execute("SELECT count(*) FROM problems WHERE contains(description, chr(0)) "
                       "OR contains(site, chr(0))").fetchone()[0] == 0
