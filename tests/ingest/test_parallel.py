"""A large worksheet read in pieces on several threads gives exactly the rows one whole read gives: titles,
merged cells across a cut, blank rows at a cut, a second half wider or shifted, dates and numbers. Sheets that
cannot be cut safely are read whole."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import duckdb
import pytest
import xlsxwriter

from campaign.ingest import import_file, parallel
from campaign.ingest.bench import ledger_rows, write_xlsx
from campaign.ingest.guard import check_xlsx
from campaign.ingest.read import calamine_sheets, read_bytes
from campaign.store import init_store
from tests.ingest.conftest import rewrite

SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch):
    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 1_000)  # so that small test sheets are cut


def workbook(fill) -> bytes:
    b = io.BytesIO()
    wb = xlsxwriter.Workbook(b, {"in_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("台账")
    fill(wb, ws)
    wb.close()
    return b.getvalue()


def ledger(wb, ws):
    d = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, 5, "临江区创城第12周督查问题清单")
    ws.write_row(1, 0, ["问题编号", "发现日期", "所属街道", "责任单位", "扣分", "是否反弹"])
    for i in range(400):
        r = 2 + i
        if 180 <= i < 190:  # blank rows about the middle, where a cut may fall
            continue
        ws.write(r, 0, f"JB{i:05d}")
        ws.write_datetime(r, 1, datetime(2025, 3, 1 + i % 28), d)
        ws.write(r, 3, ["区城管局", "区住建局"][i % 2])
        ws.write_number(r, 4, 0.5 * (i % 3))
        ws.write_boolean(r, 5, i % 7 == 0)
    ws.merge_range(150, 2, 260, 2, "北关街道")  # one street merged down across the middle
    ws.write(380, 9, "备注：远处一列")  # the last piece is wider than the first


def whole_and_pieces(data: bytes, pieces: int):
    seen = check_xlsx(data, "t.xlsx", keep=parallel.KEEP_MAX_BYTES)
    whole = calamine_sheets(data, "t.xlsx")[0]
    got = parallel.read_in_pieces(dict(seen["parts"]), SHEET, "台账", pieces=pieces)
    return whole, got


@pytest.mark.parametrize("pieces", [2, 3, 4])
def test_pieces_give_the_rows_of_one_whole_read(pieces):
    whole, got = whole_and_pieces(workbook(ledger), pieces)
    assert got is not None, "the sheet was read whole instead of in pieces"
    rows, merged = got
    assert (whole[1], whole[2]) == (rows, merged)
    assert len(rows) == 402 and len(rows[0]) == 10
    assert rows[2][:2] == ["JB00000", date(2025, 3, 1)] and rows[2][4] == 0.0
    assert rows[183] == [""] * 10  # a blank row stays a blank row in its place
    assert rows[380][9] == "备注：远处一列"


def test_a_second_half_that_starts_right_of_column_a_keeps_its_columns():
    def shifted(wb, ws):
        ws.write_row(0, 0, ["编号", "街道", "单位"])
        for i in range(300):
            if i < 150:
                ws.write_row(1 + i, 0, [f"A{i}", "北关街道", "区城管局"])
            else:
                ws.write_row(1 + i, 2, ["区住建局", "只在右边"])  # columns A and B empty in these rows

    whole, got = whole_and_pieces(workbook(shifted), 2)
    assert got is not None
    assert got[0] == whole[1]
    assert got[0][-1] == ["", "", "区住建局", "只在右边"]


def test_the_import_of_a_ledger_read_in_pieces_equals_the_import_read_whole(tmp_path, monkeypatch):
    f = write_xlsx(tmp_path / "台账.xlsx", ledger_rows(1500))
    stores, real = [], parallel.read_in_pieces
    for pieces in (1, 2):
        monkeypatch.setattr(parallel, "PIECES", pieces)
        calls = []
        monkeypatch.setattr(parallel, "read_in_pieces", lambda *a, **k: calls.append(real(*a, **k)) or calls[-1])
        db = tmp_path / f"s{pieces}.duckdb"
        init_store(db)
        con = duckdb.connect(str(db))
        res = import_file(con, f)
        assert res.accepted == 1500, res.refused
        assert len(calls) == 1 and (calls[0] is None) == (pieces == 1)  # read whole, then in two pieces
        stores.append(con.execute("SELECT * EXCLUDE (import_id) FROM store.problems ORDER BY problem_id").fetchall())
        con.close()
    assert stores[0] == stores[1]


def test_rows_without_their_number_are_read_whole(monkeypatch):
    data = rewrite(workbook(ledger), SHEET, lambda x: re.sub(rb'(<row) r="\d+"', rb"\1", x))
    whole, got = whole_and_pieces(data, 2)
    assert got is None  # a piece could not tell where its rows are
    read = read_bytes(data, "t.xlsx").sheets[0].rows
    monkeypatch.setattr(parallel, "PIECES", 1)
    assert read == read_bytes(data, "t.xlsx").sheets[0].rows
    assert len(read) == len(whole[1]) and read[2][0] == "JB00000"


def test_rows_out_of_order_are_read_whole():
    def swap(x: bytes) -> bytes:  # the last row written first
        rows = re.findall(rb"<row .*?</row>", x, re.S)
        return x.replace(rows[-1], b"").replace(rows[0], rows[-1] + rows[0])

    whole, got = whole_and_pieces(rewrite(workbook(ledger), SHEET, swap), 2)
    assert got is None


def test_cuts_fall_between_rows_in_any_spelling():
    rows = b"".join(b'<x:row r="%d"><x:c r="A%d"><x:v>%d</x:v></x:c></x:row>' % (i, i, i) for i in range(1, 101))
    xml = b'<x:worksheet xmlns:x="s"><x:sheetData>' + rows + b"</x:sheetData><x:mergeCells/></x:worksheet>"
    bounds = parallel.cuts_of(xml, 3)
    assert bounds is not None and len(bounds) == 4
    assert xml[bounds[0] - len(b"<x:sheetData>"):bounds[0]] == b"<x:sheetData>"
    assert xml[bounds[-1]:].startswith(b"</x:sheetData>")
    for cut in bounds[1:-1]:
        assert xml[:cut].endswith(b"</x:row>") and xml[cut:].startswith(b'<x:row r="')
    assert parallel.cuts_of(b"<worksheet><sheetData/></worksheet>", 2) is None


def test_the_inspection_keeps_the_parts_only_under_its_limit():
    data = workbook(ledger)
    seen = check_xlsx(data, "t.xlsx", keep=10_000_000)
    assert set(seen["parts"]) == set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert seen["parts"][SHEET] == zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    assert seen["names"] == {SHEET: "台账"}
    assert "parts" not in check_xlsx(data, "t.xlsx", keep=1_000)  # larger than that: nothing is kept
    assert "parts" not in check_xlsx(data, "t.xlsx")


def test_a_workbook_with_a_large_and_a_small_sheet_reads_both(monkeypatch):
    def two(wb, ws):
        ledger(wb, ws)
        small = wb.add_worksheet("说明")
        small.write(0, 0, "本表由数字城管系统导出")

    data = workbook(two)
    monkeypatch.setattr(parallel, "PIECES", 1)
    one = [(s.name, s.rows) for s in read_bytes(data, "t.xlsx").sheets]
    monkeypatch.setattr(parallel, "PIECES", 2)
    cut = []
    real = parallel.read_in_pieces
    monkeypatch.setattr(parallel, "read_in_pieces", lambda *a, **k: cut.append(real(*a, **k)) or cut[-1])
    two_ = [(s.name, s.rows) for s in read_bytes(data, "t.xlsx").sheets]
    assert [n for n, _ in two_] == ["台账", "说明"] and two_ == one
    assert cut[0] is not None and cut[1] is None  # the ledger in pieces, the note read whole


# --- a sheet read in pieces is scanned piece by piece: nothing unscanned is ever parsed ---------------------------
def far_in_second_half(wb, ws):
    ledger(wb, ws)
    ws.write(699, 16383, "远")  # XFD700, after the last row: in the second half (700 × 16,384 cells)


def test_a_far_cell_in_a_later_piece_is_refused_before_that_piece_is_parsed(monkeypatch):
    from campaign.ingest.read import ImportRefused

    parsed = []
    real = parallel.pc.CalamineWorkbook.from_filelike

    class Counted:  # a workbook that counts the sheets parsed from it
        def __init__(self, f):
            self.book = real(f)

        def get_sheet_by_name(self, name):
            parsed.append(name)
            return self.book.get_sheet_by_name(name)

        def __getattr__(self, name):
            return getattr(self.book, name)

    monkeypatch.setattr(parallel.pc.CalamineWorkbook, "from_filelike", staticmethod(Counted))
    seen = check_xlsx(workbook(far_in_second_half), "t.xlsx", keep=parallel.KEEP_MAX_BYTES, defer=1_000)
    assert SHEET in seen["deferred"] and SHEET not in seen["sheets"]  # left to the reader
    with pytest.raises(Exception) as e:
        parallel.read_in_pieces(dict(seen["parts"]), SHEET, "台账", seen["deferred"][SHEET], pieces=2)
    assert "台账" in str(e.value) and "XFD" in str(e.value)
    assert len(parsed) <= 1  # the first piece at most; never the one with the far cell
    with pytest.raises(ImportRefused, match="工作表「台账」的使用范围达"):
        read_bytes(workbook(far_in_second_half), "t.xlsx")


def test_pieces_that_are_each_small_but_far_together_are_refused_before_they_are_joined():
    def wide_then_deep(wb, ws):
        ws.write_row(0, 0, ["编号", "街道"])
        ws.write(1, 2000, "宽")  # column BXY in the first rows
        for i in range(2, 400):
            ws.write_row(i, 0, [f"A{i}", "北关街道"])
        ws.write(5999, 0, "深")  # row 6000 in the last piece

    data = workbook(wide_then_deep)
    seen = check_xlsx(data, "t.xlsx", limit_mb=5, keep=parallel.KEEP_MAX_BYTES, defer=1_000)  # 1,000,000 cells
    limit = seen["deferred"][SHEET]
    assert limit.cells_cap == 1_000_000
    with pytest.raises(Exception, match="6,000 行 × 2,001 列"):  # 12 million cells once joined
        parallel.read_in_pieces(dict(seen["parts"]), SHEET, "台账", limit, pieces=2)
    assert check_xlsx(data, "t.xlsx", limit_mb=100)["sheets"][SHEET] == (6000, 2001)  # as one scan measures it


def test_a_deferred_sheet_that_cannot_be_cut_is_scanned_whole_before_it_is_read():
    from campaign.ingest.read import ImportRefused

    data = rewrite(workbook(far_in_second_half), SHEET, lambda x: re.sub(rb'(<row) r="\d+"', rb"\1", x))
    with pytest.raises(ImportRefused, match="使用范围达"):
        read_bytes(data, "t.xlsx")


def test_parts_too_large_to_keep_are_scanned_by_the_inspection_itself():
    from campaign.ingest.guard import Refused

    data = workbook(far_in_second_half)
    with pytest.raises(Refused, match="XFD"):
        check_xlsx(data, "t.xlsx", keep=1_000, defer=1_000)  # nothing kept, so nothing left to the reader
    seen = check_xlsx(workbook(ledger), "t.xlsx", keep=1_000, defer=1_000)
    assert "parts" not in seen and "deferred" not in seen and seen["sheets"][SHEET] == (402, 26)
