"""The briefing as an Excel workbook: one formatted sheet per table (title row, a note row, a shaded header that
stays in view and repeats on every printed page, number formats, CJK-aware column widths, A4 printing), with
概况 first and the briefing's text last (正文), so the office can edit the figures and copy the sentences.
Numbers stay numbers; the document writes the same numbers with the same formats.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import xlsxwriter

from campaign.briefing.model import Briefing, Table, show, width

NUMBER_FORMATS = {
    "int": "0", "0.0": "0.0", "0.00": "0.00", "0.000": "0.000", "pct": "0.0%", "date": "yyyy-mm-dd",
    "+int": "+0;-0;0", "+0.0": "+0.0;-0.0;0.0", "+0.00": "+0.00;-0.00;0.00",
    "+pp": '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"', "text": "@",
}
HEADER_ROW = 2   # row 0: title, row 1: note, row 2: header, data from row 3


def render_xlsx(b: Briefing, path: Path | str | BinaryIO) -> Path | BinaryIO:
    if isinstance(path, (str, Path)):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path)
    else:
        target = path
    wb = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_formulas": False})
    wb.set_properties({"title": b.title, "author": b.issuer, "subject": b.week.name})
    fmt = _Formats(wb)
    period = f"第{b.week.number}周（{b.week.start:%Y-%m-%d}至{b.week.end:%Y-%m-%d}）"
    for t in b.tables():
        _sheet(wb, fmt, t, f"{b.district} · {period}")
    _text_sheet(wb, fmt, b)
    wb.close()
    return path


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.note = wb.add_format({"font_color": "#595959", "font_size": 10})
        self.header = wb.add_format({"bold": True, "bg_color": "#D9E2F3", "border": 1, "text_wrap": True,
                                     "align": "center", "valign": "vcenter"})
        self.heading = wb.add_format({"bold": True, "font_size": 12})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self._cells: dict[tuple[str, bool], object] = {}

    def cell(self, kind: str, centre: bool) -> object:
        key = (kind, centre)
        if key not in self._cells:
            spec = {"border": 1, "valign": "vcenter", "num_format": NUMBER_FORMATS.get(kind, "@")}
            if centre:
                spec["align"] = "center"
            self._cells[key] = self.wb.add_format(spec)
        return self._cells[key]


def _sheet(wb: xlsxwriter.Workbook, fmt: _Formats, t: Table, period: str) -> None:
    ws = wb.add_worksheet(t.key[:31])
    df = t.frame.reset_index(drop=True)
    cols = list(df.columns)
    number = t.title.split(" ", 1)[0]
    ws.write(0, 0, f"{number} {t.sheet_title}", fmt.title)
    ws.write(1, 0, f"{period}。{t.note}" if t.note else period, fmt.note)
    ws.set_row(HEADER_ROW, 32)
    for j, c in enumerate(cols):
        ws.write(HEADER_ROW, j, c, fmt.header)
    short = {c: _short(df[c]) for c in cols}  # short text (names, cards) is centred like the numbers
    for i in range(len(df)):
        for j, c in enumerate(cols):
            kind = t.fmt(i, c)
            v = df.iat[i, j]
            f = fmt.cell(kind, kind != "text" or short[c])
            r = HEADER_ROW + 1 + i
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                ws.write_blank(r, j, None, f)
            elif isinstance(v, (pd.Timestamp, datetime, date)):
                ws.write_datetime(r, j, pd.Timestamp(v).to_pydatetime(), f)
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                ws.write_number(r, j, float(v), f)
            else:
                ws.write_string(r, j, str(v), f)
    for j, c in enumerate(cols):
        sample = [show(df[c].iat[i], t.fmt(i, c)) for i in range(min(len(df), 300))]
        longest = max([width(s) for s in sample] or [0])
        # Excel's column unit is about one Latin character; a CJK character takes two
        ws.set_column(j, j, min(max(longest * 2 + 2, width(c) + 2, 6), 60))  # the header wraps to two lines
    ws.freeze_panes(HEADER_ROW + 1, 0)
    if len(df):
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + len(df), len(cols) - 1)
    ws.set_paper(9)  # A4
    if len(cols) > 7:
        ws.set_landscape()
    ws.repeat_rows(HEADER_ROW)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()


def _short(s: pd.Series) -> bool:
    return max([width(str(v)) for v in s.head(300)] or [0]) <= 6


def _text_sheet(wb: xlsxwriter.Workbook, fmt: _Formats, b: Briefing) -> None:
    ws = wb.add_worksheet("正文")
    ws.set_column(0, 0, 110)
    rows: list[tuple[str, object]] = [
        (b.masthead, fmt.title), (b.issue_number, None),
        (f"{b.issuer}　{b.issue_date.year}年{b.issue_date.month}月{b.issue_date.day}日", None),
        (b.title, fmt.title), (b.recipients, None)]
    for s in b.sections:
        rows.append((s.heading, fmt.heading))
        rows.extend((p, fmt.wrap) for p in s.paragraphs)
    rows += [(b.closing, None), (f"{b.issue_date.year}年{b.issue_date.month}月{b.issue_date.day}日", None)]
    for i, (text, f) in enumerate(rows):
        ws.write_string(i, 0, text, f) if f is not None else ws.write_string(i, 0, text)
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
