"""Reading one large worksheet on several cores: its rows cut into pieces, each parsed by python-calamine on a
thread of its own (the parse runs outside Python's global lock), the pieces joined back in order.

Only an .xlsx that the inspection (guard.check_xlsx) has already inflated and passed comes here, with its
parts as inflated bytes. A worksheet's <sheetData> is cut between two rows, each piece is written, with the
workbook's other parts, as a small uncompressed zip, and the rows come back exactly as one parse of the whole
sheet gives them (``calamine_sheets``): the same positions, widths and empty cells. Whatever does not fit
that (rows without an ``r`` reference where a piece would start, a sheet too small to gain, a piece that
cannot be parsed) is read whole, as before.
"""
from __future__ import annotations

import io
import os
import re
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

import python_calamine as pc

from campaign.ingest.guard import Refused, SheetLimit

SPLIT_MIN_BYTES = 8_000_000    # a worksheet's XML below this (about 15,000 rows) is read in one piece
KEEP_MAX_BYTES = 160_000_000   # the inspection keeps the inflated parts for this only up to this size in all
PIECES = max(1, min(4, os.cpu_count() or 1))

_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*>")
_CLOSE = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>")
_ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row\s*>")
_ROW_WITH_REF = re.compile(rb"\s*<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\br\s*=\s*[\"']\d")
_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


def cuts_of(xml: bytes, n: int) -> list[int] | None:
    """Where to cut the worksheet ``xml`` into ``n`` runs of rows (or fewer): [start of the rows, cut, …, end of
    the rows]; None when it cannot be cut safely (each piece after the first must start at a row that names
    its own number)."""
    opened = _OPEN.search(xml)
    if opened is None or opened.group().endswith(b"/>"):
        return None
    closed = _CLOSE.match(xml, max(0, xml.rfind(b"</", 0, xml.rfind(b"sheetData"))))  # the last one
    if closed is None or closed.start() < opened.end():
        return None
    start, end = opened.end(), closed.start()
    # earlier pieces a little larger: the later ones wait for the earlier ones' scans (which hold Python's lock)
    weights = [1 + 0.3 * (n - 1 - k) for k in range(n)]
    cuts = []
    for k in range(1, n):
        m = _ROW_END.search(xml, start + int((end - start) * sum(weights[:k]) / sum(weights)), end)
        if m is None:
            break
        if cuts and m.end() <= cuts[-1]:
            continue
        if not _ROW_WITH_REF.match(xml, m.end()):
            return None
        cuts.append(m.end())
    return [start, *cuts, end] if cuts else None


def outline(parts: dict[str, bytes]) -> bytes:
    """The workbook without its cells (every worksheet empty, no shared strings): enough to list its sheets."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, content in parts.items():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                content = _EMPTY_SHEET
            elif name.lower().endswith("sharedstrings.xml"):
                continue
            z.writestr(name, content)
    return out.getvalue()


def _piece(parts: dict[str, bytes], sheet_part: str, sheet: str, xml: bytes, bounds: list[int], k: int,
           limit: SheetLimit | None, turns: list[threading.Event]):
    """Piece ``k`` of the sheet (everything around <sheetData> with the k-th run of rows) written as a small
    uncompressed workbook, scanned with ``limit`` when the sheet is not scanned yet, and parsed: (first row,
    first column, last column, rows, merged ranges), or None when the piece holds no cell.

    Runs on a worker thread. Pieces are scanned one after another in order (``turns``), and a piece is parsed
    only once it is scanned: calamine works outside Python's lock, so the first piece is parsed while the next
    is scanned (the scan holds the lock)."""
    try:
        view = memoryview(xml)
        body = b"".join((view[:bounds[0]], view[bounds[k]:bounds[k + 1]], view[bounds[-1]:]))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            for name, content in parts.items():
                if name == sheet_part:
                    content = body
                elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    content = _EMPTY_SHEET  # only one sheet is read from each piece
                z.writestr(name, content)
        out.seek(0)
        book = pc.CalamineWorkbook.from_filelike(out)  # shared strings and styles: no cell is read yet
        if limit is not None:
            turns[k].wait()
            limit.scan(body)
    finally:
        turns[k + 1].set()  # whatever happened here, the next piece goes on (it scans its own bytes)
    del body
    try:
        sh = book.get_sheet_by_name(sheet)
    finally:
        book.close()
    if sh.start is None:
        return None
    rows = sh.to_python(skip_empty_area=k > 0)  # the first piece from A1, as a whole read gives it
    return (0 if k == 0 else sh.start[0]), (0 if k == 0 else sh.start[1]), sh.end[1], rows, \
        (sh.merged_cell_ranges or []) if k == 0 else []


def read_in_pieces(parts: dict[str, bytes], sheet_part: str, sheet: str, limit: SheetLimit | None = None,
                   pieces: int | None = None) -> tuple[list[list], list] | None:
    """(rows, merged ranges) of one worksheet, read in up to ``pieces`` pieces (default ``PIECES``) on as many
    threads; None when it is better or safer read whole. A sheet not scanned yet comes with its ``limit``:
    each piece is scanned before it is parsed, and the range they make together is checked before it is
    filled in (guard.Refused)."""
    pieces = PIECES if pieces is None else pieces
    xml = parts.get(sheet_part)
    if pieces < 2 or xml is None or len(xml) < SPLIT_MIN_BYTES:
        return None
    bounds = cuts_of(xml, pieces)
    if bounds is None:
        return None
    n = len(bounds) - 1
    turns = [threading.Event() for _ in range(n + 1)]
    turns[0].set()
    try:
        with ThreadPoolExecutor(n) as ex:
            got = list(ex.map(lambda k: _piece(parts, sheet_part, sheet, xml, bounds, k, limit, turns), range(n)))
    except Refused:
        raise
    except Exception:  # a piece calamine cannot read on its own: the sheet is read whole
        return None
    got = [g for g in got if g is not None]
    if not got:  # a large sheet with no cell in any piece: not as expected, read whole
        return None
    width = 1 + max(g[2] for g in got)
    if limit is not None:
        limit.check(max(g[0] + len(g[3]) for g in got), width)
    rows: list[list] = []
    merged = got[0][4]
    for r0, c0, c1, piece, _ in got:
        if r0 < len(rows):  # rows not written in order: read whole
            return None
        rows.extend([""] * width for _ in range(r0 - len(rows)))
        if c0 or c1 < width - 1:
            left, right = [""] * c0, [""] * (width - 1 - c1)
            rows.extend(left + r + right for r in piece)
        else:
            rows.extend(piece)
    return rows, merged
