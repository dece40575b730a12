"""Hostile workbooks, built here: a far cell, a zip bomb, a zip whose directory lies about sizes, an .xls that
would exhaust memory. Each is refused in Chinese before it can crash or bloat the dashboard; the store is
untouched."""
from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import zipfile

import duckdb
import pytest
import python_calamine as pc
import xlsxwriter

from campaign.ingest import import_file
from campaign.ingest.bench import ledger_rows, write_xlsx
from campaign.ingest.guard import Refused, cell_limit, check_xlsx, column_number, read_in_child
from campaign.ingest.read import ImportRefused, read_bytes
from tests.ingest.conftest import rewrite


def small_xlsx(far: tuple[int, int] | None = None, sheet: str = "问题台账") -> bytes:
    b = io.BytesIO()
    wb = xlsxwriter.Workbook(b, {"in_memory": True})
    ws = wb.add_worksheet(sheet)
    ws.write_row(0, 0, ["问题编号", "发现日期", "点位名称", "所属街道", "问题描述"])
    ws.write_row(1, 0, ["W1", "2025-03-12", "人民路菜市场", "北关街道", "垃圾满溢"])
    if far:
        ws.write(far[0], far[1], "x")
    wb.close()
    return b.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def test_column_numbers():
    assert [column_number(c) for c in ("A", "Z", "AA", "AZ", "XFD")] == [1, 26, 27, 52, 16384]


def test_a_real_export_passes_and_its_range_is_measured(tmp_path):
    data = write_xlsx(tmp_path / "t.xlsx", ledger_rows(3000)).read_bytes()
    seen = check_xlsx(data, "t.xlsx")
    assert seen["sheets"] == {SHEET: (3002, 26)}  # title + header + 3,000 rows; columns A–O, counted as A–Z
    assert seen["inflated"] > len(data)


def test_one_far_cell_is_refused_before_parsing(tmp_path):
    data = small_xlsx(far=(1048575, 16383))
    assert len(data) < 10_000
    with pytest.raises(Refused) as e:
        check_xlsx(data, "远.xlsx")
    msg = str(e.value)
    assert "远.xlsx" in msg and "「问题台账」" in msg and "XFD1048576" in msg and "1,048,576 行 × 16,384 列" in msg
    with pytest.raises(ImportRefused, match="XFD1048576"):
        read_bytes(data, "远.xlsx")


def test_the_import_of_a_far_cell_file_is_refused_and_the_store_untouched(store):
    con = duckdb.connect(str(store))
    try:
        before = con.execute("SELECT (SELECT count(*) FROM problems), (SELECT count(*) FROM store.import_log)").fetchone()
        res = import_file(con, small_xlsx(far=(1048575, 16383)), "远.xlsx")
        assert res.refused and "XFD1048576" in res.refused and res.import_id is None
        assert con.execute("SELECT (SELECT count(*) FROM problems), "
                           "(SELECT count(*) FROM store.import_log)").fetchone() == before
    finally:
        con.close()


def test_a_far_row_in_column_a_counts_as_the_whole_width():
    with pytest.raises(Refused, match="1,048,576 行"):
        check_xlsx(small_xlsx(far=(1048575, 0)), "深.xlsx")
    # far, but inside the budget: 300,000 rows × 26 columns = 7.8 million cells
    assert check_xlsx(small_xlsx(far=(299_999, 0)), "深.xlsx")["sheets"][SHEET] == (300_000, 26)


@pytest.mark.parametrize("spelling", [b"r = 'AB70000'", b'r\t=\t"AB70000"', b"r='AB70000'"])
def test_any_spelling_xml_allows_is_seen_as_calamine_sees_it(spelling):
    data = rewrite(small_xlsx(), SHEET, lambda x: x.replace(b'r="B2"', spelling))
    sheet = pc.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("问题台账")
    assert (sheet.height, sheet.width) == (70000, 28)  # the reader honours it ...
    assert check_xlsx(data, "t.xlsx")["sheets"][SHEET] == (70000, 28)  # ... and so does the inspection
    far = rewrite(small_xlsx(), SHEET, lambda x: x.replace(b'r="B2"', spelling.replace(b"AB70000", b"XFD900000")))
    with pytest.raises(Refused, match="XFD900000"):
        check_xlsx(far, "t.xlsx")


def test_a_namespace_prefix_does_not_hide_a_far_cell():
    def prefixed(x: bytes) -> bytes:
        x = x.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="').replace(b"</worksheet>", b"</x:worksheet>")
        return re.sub(rb"<(/?)(sheetData|row|c|v|dimension|sheetViews|sheetView|sheetFormatPr|pageMargins)\b",
                      rb"<\1x:\2", x)
    data = rewrite(small_xlsx(far=(1048575, 16383)), SHEET, prefixed)
    assert b"<x:row " in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    with pytest.raises(Refused, match="XFD1048576"):
        check_xlsx(data, "t.xlsx")


def test_a_declared_dimension_alone_is_not_trusted():
    """Some exporters write a wrong <dimension>; python-calamine sizes the sheet from its cells, so do we."""
    data = rewrite(small_xlsx(), SHEET, lambda x: re.sub(rb'<dimension ref="[^"]*"/>',
                                                           b'<dimension ref="A1:XFD1048576"/>', x))
    assert check_xlsx(data, "t.xlsx")["sheets"][SHEET] == (2, 26)
    assert len(read_bytes(data, "t.xlsx").sheets[0].rows) == 2


def padded(size: int) -> bytes:
    """A valid workbook whose sheet carries ``size`` bytes of blank space inside the XML: it compresses
    about 1,000 times, like a zip bomb."""
    return rewrite(small_xlsx(), SHEET, lambda x: x.replace(b"<sheetData>", b"<sheetData>" + b" " * size))


def test_a_zip_bomb_is_refused_by_its_ratio():
    data = padded(8_000_000)  # under the size cap of 10 MB at a 1 MB limit, but inflating ~1,000 ×
    assert len(data) < 40_000
    with pytest.raises(Refused) as e:
        check_xlsx(data, "炸弹.xlsx", limit_mb=1)
    assert "压缩炸弹" in str(e.value) and SHEET in str(e.value) and "倍" in str(e.value)


def test_a_zip_bomb_is_refused_by_its_size():
    with pytest.raises(Refused, match="解压后超过 10 MB"):
        check_xlsx(padded(12_000_000), "炸弹.xlsx", limit_mb=1)


def lie_about_size(data: bytes, part: str, claimed: int) -> bytes:
    """Rewrite the local header and the central directory to claim ``claimed`` bytes for ``part``."""
    b = bytearray(data)
    z = zipfile.ZipFile(io.BytesIO(data))
    info = z.getinfo(part)
    struct.pack_into("<I", b, info.header_offset + 22, claimed)
    name, at = part.encode(), b.find(b"PK\x01\x02")
    while at >= 0:  # the central directory's entries
        n = struct.unpack_from("<H", b, at + 28)[0]
        if bytes(b[at + 46:at + 46 + n]) == name:
            struct.pack_into("<I", b, at + 24, claimed)
            return bytes(b)
        at = b.find(b"PK\x01\x02", at + 46)
    raise KeyError(part)


def test_a_directory_that_lies_about_sizes_does_not_hide_a_bomb():
    data = lie_about_size(padded(12_000_000), SHEET, 1000)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size == 1000
    with pytest.raises(Refused, match="压缩炸弹"):
        check_xlsx(data, "炸弹.xlsx", limit_mb=1)


def test_the_cell_budget_follows_the_upload_limit(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_MAX_UPLOAD_MB", "50")
    assert cell_limit() == 10_000_000
    monkeypatch.setenv("CAMPAIGN_MAX_UPLOAD_MB", "5")
    assert cell_limit() == 1_000_000
    with pytest.raises(Refused, match="1,000,000 个单元格"):
        check_xlsx(small_xlsx(far=(49_999, 26)), "t.xlsx")  # 50,000 rows × 27 columns


def test_an_old_xls_is_read_in_a_child_process(tmp_path, to_xls):
    src = tmp_path / "台账.xlsx"
    src.write_bytes(small_xlsx())
    rows = read_bytes(to_xls(src).read_bytes(), "台账.xls").sheets[0].rows
    assert rows[0][:2] == ["问题编号", "发现日期"] and rows[1][0] == "W1"


def test_an_xls_that_needs_more_memory_than_the_ceiling_ends_only_the_child(tmp_path, to_xls):
    src = tmp_path / "大.xlsx"
    write_xlsx(src, ledger_rows(20_000))
    data = to_xls(src).read_bytes()
    with pytest.raises(Refused, match="内存超过 40 MB 的上限"):
        read_in_child(data, "大.xls", memory_mb=40)
    assert len(read_in_child(data, "大.xls")[0][1]) == 20_002  # with the real ceiling it reads


def test_the_child_does_not_trust_python_variables(tmp_path, monkeypatch):
    """-I: PYTHONPATH and PYTHONSTARTUP of the server's environment do not reach the child."""
    evil = tmp_path / "python_calamine.py"
    evil.write_text("raise SystemExit('hijacked')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(Refused, match="不是有效的 Excel 工作簿"):
        read_in_child(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "坏.xls")
    out = subprocess.run([sys.executable, "-I", "-c", "import python_calamine; print(python_calamine.__file__)"],
                         capture_output=True, text=True)
    assert str(tmp_path) not in out.stdout
