"""The briefing as a Word document in the usual government layout (A4; red masthead and rule; title in 2号
小标宋; body in 3号仿宋 with a two-character first-line indent and 28 pt lines; headings in 黑体; tables with a
shaded header row that repeats on every page; charts as images; page numbers “— N —” in the footer).

Chinese font names go into w:eastAsia so that Word and WPS pick them; the office can change them in the
template file (fonts).
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from campaign.briefing.charts import render_chart
from campaign.briefing.model import Briefing, Chart, Table, width

RED = RGBColor(0xE6, 0x00, 0x12)
TEXT_WIDTH_MM = 156.0          # A4 210 mm − 28 mm left − 26 mm right
BODY_PT, TITLE_PT, MASTHEAD_PT, TABLE_PT, CAPTION_PT = 16, 22, 30, 10.5, 14
LINE_PT = 28
HEADER_FILL = "D9E2F3"
CELL_MARGIN_MM = 1.1
# w:pPr children that come after w:pBdr (OOXML order; Word rejects a document with them out of order)
PPR_AFTER_BORDER = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                    "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def render_docx(b: Briefing, path: Path | str | BinaryIO) -> Path | BinaryIO:
    doc = Document()
    fonts = b.fonts
    _page_setup(doc)
    _base_style(doc, fonts)
    doc.core_properties.title = b.title
    doc.core_properties.author = b.issuer
    doc.core_properties.subject = f"第{b.week.number}周（{b.week.start:%Y-%m-%d}至{b.week.end:%Y-%m-%d}）"

    # masthead: 发文机关标志 in red, 期号, issuing unit and date above a red rule
    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    _run(p, b.masthead, fonts["masthead"], MASTHEAD_PT, fonts, color=RED)
    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    _run(p, b.issue_number, fonts["body"], BODY_PT, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.LEFT, space_after=18)
    p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    _run(p, f"{b.issuer}\t{b.issue_date.year}年{b.issue_date.month}月{b.issue_date.day}日", fonts["body"], 14, fonts)
    _bottom_rule(p)

    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_before=12, space_after=18, exact=36)
    _run(p, b.title, fonts["title"], TITLE_PT, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.JUSTIFY, exact=LINE_PT)
    _run(p, b.recipients, fonts["body"], BODY_PT, fonts)

    for section in b.sections:
        p = _para(doc, WD_ALIGN_PARAGRAPH.JUSTIFY, exact=LINE_PT, indent=True, keep_next=True)
        _run(p, section.heading, fonts["heading"], BODY_PT, fonts)
        for text in section.paragraphs:
            p = _para(doc, WD_ALIGN_PARAGRAPH.JUSTIFY, exact=LINE_PT, indent=True)
            _run(p, text, fonts["body"], BODY_PT, fonts)
        for block in section.blocks:
            if isinstance(block, Table):
                _table(doc, block, fonts)
            else:
                _chart(doc, block, fonts)

    p = _para(doc, WD_ALIGN_PARAGRAPH.RIGHT, space_before=LINE_PT, exact=LINE_PT)
    p.paragraph_format.right_indent = Pt(BODY_PT * 2)
    _run(p, b.closing, fonts["body"], BODY_PT, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.RIGHT, exact=LINE_PT)
    p.paragraph_format.right_indent = Pt(BODY_PT * 4)
    _run(p, f"{b.issue_date.year}年{b.issue_date.month}月{b.issue_date.day}日", fonts["body"], BODY_PT, fonts)

    if isinstance(path, (str, Path)):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.save(str(path))
    else:
        doc.save(path)
    return path


# ----------------------------------------------------------------------------------------------------
def _page_setup(doc) -> None:
    s = doc.sections[0]
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    s.header_distance, s.footer_distance = Mm(15), Mm(20)
    fp = s.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field_run(fp, "— ", "PAGE", " —")


def _base_style(doc, fonts: dict[str, str]) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.font.name = fonts["latin"]
    rpr = normal.element.get_or_add_rPr()
    _east_asia(rpr, fonts["body"], fonts["latin"])
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    # document defaults too (tables, footer): Chinese text is zh-CN, so renderers pick Simplified Chinese glyphs
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    drpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
    if drpr is not None:
        _east_asia(drpr, fonts["body"], fonts["latin"])
        dlang = drpr.find(qn("w:lang"))
        if dlang is not None:
            dlang.set(qn("w:eastAsia"), "zh-CN")
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing = 1.0


def _east_asia(rpr, east_asia: str, latin: str) -> None:
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)


def _para(doc_or_cell, align, space_before: float = 0, space_after: float = 0, exact: float | None = None,
          indent: bool = False, keep_next: bool = False):
    p = doc_or_cell.add_paragraph()
    pf = p.paragraph_format
    p.alignment = align
    pf.space_before, pf.space_after = Pt(space_before), Pt(space_after)
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(exact)
    if indent:
        pf.first_line_indent = Pt(BODY_PT * 2)
    if keep_next:
        pf.keep_with_next = True
    return p


def _run(p, text: str, east_asia: str, size: float, fonts: dict[str, str], bold: bool = False, color=None):
    r = p.add_run(text)
    r.font.size = Pt(size)
    r.font.bold = bold
    if color is not None:
        r.font.color.rgb = color
    _east_asia(r._element.get_or_add_rPr(), east_asia, fonts["latin"])
    return r


def _bottom_rule(p) -> None:
    """A red rule under the paragraph (the line under the masthead)."""
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "6"), ("w:color", "E60012")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.insert_element_before(bdr, *PPR_AFTER_BORDER)


def _field_run(p, before: str, instr: str, after: str) -> None:
    def run(text: str | None = None):
        r = p.add_run(text or "")
        r.font.size = Pt(14)
        r.font.name = "宋体"
        _east_asia(r._element.get_or_add_rPr(), "宋体", "宋体")
        return r

    run(before)
    for kind in ("begin", None, "separate", "end"):
        r = run()
        if kind is None:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instr} "
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        r._r.append(el)
        if kind == "separate":
            run("1")
    run(after)


# ----------------------------------------------------------------------------------------------------
def column_widths(columns: list[str], rows: list[list[str]], total_mm: float, size_pt: float,
                  flexible: set[str] | frozenset = frozenset()) -> list[float]:
    """Widths in mm that fill the text width: each column as wide as its longest value (a header may wrap to two
    lines). When they do not fit, the ``flexible`` (long text) columns give up room first and wrap."""
    char_mm = size_pt * 0.3528
    pad = 2 * CELL_MARGIN_MM + 1.0  # cell margins and a little air
    need = []
    for j, col in enumerate(columns):
        longest = max([width(r[j]) for r in rows] or [0])
        head = width(col)
        need.append(max(longest, head if head <= 3 else head / 2 + 0.5, 1.5) * char_mm + pad)
    total = sum(need)
    if total <= total_mm:
        return [n * total_mm / total for n in need]
    flex = [j for j, c in enumerate(columns) if c in flexible]
    fixed = sum(n for j, n in enumerate(need) if j not in flex)
    room = total_mm - fixed
    floor = 4 * char_mm + pad
    if flex and room >= floor * len(flex):
        flex_need = sum(need[j] for j in flex)
        out = list(need)
        for j in flex:
            out[j] = max(floor, need[j] * room / flex_need)
        extra = sum(out) - total_mm
        if extra > 0:  # the floors took more than the room: take it back from the widest flexible column
            widest = max(flex, key=lambda j: out[j])
            out[widest] -= extra
        return out
    return [n * total_mm / total for n in need]


def _table(doc, t: Table, fonts: dict[str, str]) -> None:
    df = t.doc_frame()
    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_before=10, space_after=4, keep_next=True)
    _run(p, t.title, fonts["heading"], CAPTION_PT, fonts)
    if t.note:
        p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_after=4, keep_next=True)
        _run(p, t.note, fonts["table"], TABLE_PT, fonts)
    cols = list(df.columns)
    rows = df.astype(str).values.tolist()
    left = {c for c in cols if t.fmt(0, c) == "text" and max([width(r[cols.index(c)]) for r in rows] or [0]) > 6}
    grid(doc, cols, rows, column_widths(cols, rows, TEXT_WIDTH_MM, TABLE_PT, left), left, fonts)
    _para(doc, WD_ALIGN_PARAGRAPH.LEFT, space_after=6)


def grid(doc, cols: list[str], rows: list[list[str]], widths: list[float], left: set[str], fonts: dict[str, str],
         size: float = TABLE_PT) -> None:
    """A bordered table: a shaded header row repeated on every page, rows that do not split across pages, the
    ``left`` columns aligned left (long text), the others centred; ``widths`` in mm."""
    table = doc.add_table(rows=len(rows) + 1, cols=len(cols))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table, CELL_MARGIN_MM)
    for i, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        flag = OxmlElement("w:tblHeader" if i == 0 else "w:cantSplit")
        flag.set(qn("w:val"), "true")
        tr_pr.append(flag)
        for j, cell in enumerate(row.cells):
            cell.width = Mm(widths[j])
            if i == 0:
                _shade(cell, HEADER_FILL)  # before vAlign: w:shd precedes w:vAlign in w:tcPr
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            text = cols[j] if i == 0 else rows[i - 1][j]
            cp = cell.paragraphs[0]
            cp.alignment = WD_ALIGN_PARAGRAPH.LEFT if i and cols[j] in left else WD_ALIGN_PARAGRAPH.CENTER
            cp.paragraph_format.line_spacing = 1.0
            # a short table stays on one page with its title; a long one may break (its header row repeats)
            cp.paragraph_format.keep_with_next = i < len(rows) and len(rows) <= 8
            _run(cp, text, fonts["heading"] if i == 0 else fonts["table"], size, fonts)
    for j, col in enumerate(table.columns):
        col.width = Mm(widths[j])


def _cell_margins(table, mm: float) -> None:
    """Narrow left/right cell margins for every cell (w:tblCellMar in w:tblPr)."""
    tbl_pr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(mm * 56.7)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tbl_pr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _chart(doc, c: Chart, fonts: dict[str, str]) -> None:
    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_before=6, keep_next=True)
    p.add_run().add_picture(io.BytesIO(render_chart(c)), width=Mm(TEXT_WIDTH_MM - 4))
    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_before=4, space_after=10)
    _run(p, c.caption, fonts["heading"], CAPTION_PT, fonts)
