"""交办单: after the dispatch meeting, each responsible unit (or street) gets its own list of open problems.

For a campaign week (its end is the cut-off), one Word notice per unit in the office's letter layout — its open
problems with number, site, description, card, deadline, days overdue and photo reference, then a reply slip
(整改回执) — and one Excel workbook with a summary sheet, one sheet per unit and the 催办 list (problems due in
the next N working days or overdue). A unit's problems are those it is named on (lead or responsible unit,
``problem_units``); a street's are those in its area.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pandas as pd

from campaign import queries
from campaign.model.calendar import add_working_days, working_days_between
from campaign.model.weeks import Week

BY = {"department": "责任单位", "street": "街道（镇）"}
REPLY_WORKING_DAYS = 3   # the reply slip is due this many working days after the notice
SOON_WORKING_DAYS = 3    # 催办: due within this many working days
COLUMNS = ["序号", "问题编号", "属地", "点位", "问题描述", "督办卡", "整改时限", "整改情况", "照片"]


class NoticeError(ValueError):
    """The notices cannot be made; the message is Chinese."""


@dataclass
class Notice:
    unit: str
    rows: pd.DataFrame          # the unit's open problems, one row each (display columns COLUMNS + extras)

    @property
    def open(self) -> int:
        return len(self.rows)

    @property
    def overdue(self) -> int:
        return int(self.rows["_overdue"].sum())

    def cards(self, card: str) -> int:
        return int(self.rows["督办卡"].eq(card).sum())


@dataclass
class NoticeSet:
    week: Week
    by: str                      # department | street
    issuer: str
    issue_date: date
    reply_by: date
    notices: list[Notice]
    soon: pd.DataFrame           # 催办: by unit, due within SOON_WORKING_DAYS working days or overdue
    soon_days: int = SOON_WORKING_DAYS
    fonts: dict[str, str] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({BY[self.by]: [n.unit for n in self.notices], "未整改": [n.open for n in self.notices],
                             "其中逾期": [n.overdue for n in self.notices],
                             "红牌": [n.cards("红") for n in self.notices],
                             "黄牌": [n.cards("黄") for n in self.notices]})


def build(con: duckdb.DuckDBPyConnection, week: int | str = "latest", by: str = "department",
          street: str | None = None, department: str | None = None, site_type: str | None = None,
          category: str | None = None, soon_days: int = SOON_WORKING_DAYS) -> NoticeSet:
    """The notices for one campaign week: every unit (``by="department"``) or street (``by="street"``) with
    open problems at the week's end, within the filters."""
    from campaign.briefing.model import resolve_week
    from campaign.briefing.template import TEMPLATE_FILE, fill, load_template
    from campaign.config import load_office

    if by not in BY:
        raise NoticeError(f"交办对象应为 {'、'.join(f'{k}（{v}）' for k, v in BY.items())}，收到的是“{by}”。")
    wk = resolve_week(con, week)
    office = load_office()
    tpl = load_template(TEMPLATE_FILE)
    issue = wk.end + timedelta(days=1)
    issuer = fill(tpl.header["issuer"], {"district": office.district, "week_number": str(wk.number),
                                         "week_start": "", "week_end": "", "year": str(wk.end.year),
                                         "issue_date": ""})
    raw = queries.run(con, "unit_open_problems", end=wk.end, street=street, department=department,
                      site_type=site_type, category=category)
    if by == "street":  # one row per problem, whatever the number of its units
        raw = raw.drop_duplicates("problem_id").assign(unit=lambda d: d["street"].fillna("未明确属地"))
    rows = _display(raw, wk.end)
    notices = [Notice(str(u), g.reset_index(drop=True)) for u, g in rows.groupby("_unit", sort=True)]
    notices.sort(key=lambda n: (-n.overdue, -n.open, n.unit))
    return NoticeSet(wk, by, issuer, issue, add_working_days(issue, REPLY_WORKING_DAYS), notices,
                     _soon(rows, wk.end, soon_days), soon_days, dict(tpl.fonts))


def _display(raw: pd.DataFrame, end: date) -> pd.DataFrame:
    """The notice's columns, in words, one row per problem × unit."""
    if raw.empty:
        return pd.DataFrame(columns=COLUMNS + ["_unit", "_overdue", "_days", "_due", "_role"])
    deadline = pd.to_datetime(raw["deadline"])
    at = pd.to_datetime(raw["deadline_at"])
    timed = at.notna() & (at.dt.hour.fillna(0) + at.dt.minute.fillna(0) > 0)
    limit = np.where(timed, at.dt.strftime("%Y-%m-%d %H:%M"), deadline.dt.strftime("%Y-%m-%d"))
    limit = pd.Series(limit, index=raw.index).where(deadline.notna(), "未定")
    overdue = raw["overdue"].fillna(False).astype(bool)
    left = {d: working_days_between(end, d) for d in deadline.dropna().dt.date.unique()}
    state = [f"逾期{int(n)}天" if o else ("今日到期" if pd.notna(d) and left.get(d.date()) == 0 else
                                        f"剩{left[d.date()]}个工作日" if pd.notna(d) else "未定时限")
             for o, n, d in zip(overdue, raw["days_overdue"].fillna(0), deadline)]
    photo = raw["photos_before"].fillna("").astype(str).str.strip()
    place = raw["site"].fillna("").astype(str)
    place = place.where(place.ne(""), raw["address"].fillna("").astype(str))
    number = raw["ledger_no"].where(raw["ledger_no"].notna() & raw["ledger_no"].astype(str).ne(""), raw["problem_id"])
    role = np.where(raw.get("role", pd.Series("", index=raw.index)).eq("lead"), "牵头", "")
    out = pd.DataFrame({
        "问题编号": number.astype(str), "属地": raw["street"].fillna("未明确属地").astype(str), "点位": place,
        "问题描述": raw["description"].fillna("").astype(str), "督办卡": raw["card"].fillna("").astype(str),
        "整改时限": limit, "整改情况": state, "照片": photo.where(photo.ne(""), "—"),
        "_unit": raw["unit"].astype(str), "_overdue": overdue.to_numpy(), "_days": raw["days_overdue"].fillna(0),
        "_due": deadline, "_role": role, "_status": raw["status"].astype(str)})
    out.insert(0, "序号", out.groupby("_unit").cumcount() + 1)
    return out


def _soon(rows: pd.DataFrame, end: date, days: int) -> pd.DataFrame:
    """催办: per unit, open problems already overdue or due within ``days`` working days after ``end``."""
    if rows.empty:
        return pd.DataFrame(columns=["单位", "问题编号", "点位", "问题描述", "督办卡", "整改时限", "整改情况"])
    limit = pd.Timestamp(add_working_days(end, days))
    pick = rows[rows["_overdue"] | (rows["_due"].notna() & (rows["_due"] <= limit))]
    pick = pick.sort_values(["_unit", "_overdue", "_days", "_due"], ascending=[True, False, False, True])
    return pick.rename(columns={"_unit": "单位"})[["单位", "问题编号", "点位", "问题描述", "督办卡", "整改时限",
                                                   "整改情况"]].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------
# files
_BAD_NAME = re.compile(r'[\\/:*?"<>|\[\]\x00-\x1f]')


def file_stem(ns: NoticeSet, n: Notice) -> str:
    """交办单_第52周_区城市管理局 (characters a file name cannot hold replaced)."""
    return _BAD_NAME.sub("_", f"交办单_{ns.week.name}_{n.unit}")[:120]


def notice_docx(ns: NoticeSet, n: Notice, path: Path | str | BinaryIO) -> Path | BinaryIO:
    """One unit's notice and reply slip as a Word document (A4 landscape, the office's fonts)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
    from docx.shared import Mm

    from campaign.briefing.word import (BODY_PT, LINE_PT, RED, TABLE_PT, _base_style, _bottom_rule, _field_run,
                                        _para, _run, column_widths, grid)

    fonts = ns.fonts
    doc = Document()
    s = doc.sections[0]
    s.orientation = WD_ORIENT.LANDSCAPE
    s.page_width, s.page_height = Mm(297), Mm(210)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(22), Mm(20), Mm(24), Mm(24)
    s.footer_distance = Mm(10)
    text_mm = 297 - 48
    fp = s.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field_run(fp, "— ", "PAGE", " —")
    _base_style(doc, fonts)
    doc.core_properties.title = f"{ns.week.name}创城问题交办单（{n.unit}）"
    doc.core_properties.author = ns.issuer

    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_after=4)
    _run(p, ns.issuer, fonts["masthead"], 24, fonts, color=RED)
    p = _para(doc, WD_ALIGN_PARAGRAPH.RIGHT, space_after=10)
    p.paragraph_format.tab_stops.add_tab_stop(Mm(text_mm), WD_TAB_ALIGNMENT.RIGHT)
    _run(p, f"{ns.week.name}交办　{ns.issue_date.year}年{ns.issue_date.month}月{ns.issue_date.day}日", fonts["body"],
         14, fonts)
    _bottom_rule(p)
    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_before=8, space_after=12)
    _run(p, "创城问题交办单", fonts["title"], 22, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.LEFT, exact=LINE_PT)
    _run(p, f"{n.unit}：", fonts["body"], BODY_PT, fonts)
    red, yellow = n.cards("红"), n.cards("黄")
    cards = "、".join(x for x in (f"红牌{red}条" if red else "", f"黄牌{yellow}条" if yellow else "") if x)
    whose = "你单位" if ns.by == "department" else "你街道（镇）辖区内"
    body = (f"经督查，截至{ns.week.end.year}年{ns.week.end.month}月{ns.week.end.day}日（{ns.week.name}末），{whose}"
            f"共有未整改问题{n.open}条，其中已逾期{n.overdue}条" + (f"（{cards}）" if cards else "") +
            "。现将问题清单交办，请对照整改时限逐条整改到位，并于"
            f"{ns.reply_by.month}月{ns.reply_by.day}日前将整改回执（附整改后照片）报送区创城办。"
            "逾期仍未整改的问题，将在下周调度会上通报。")
    p = _para(doc, WD_ALIGN_PARAGRAPH.JUSTIFY, exact=LINE_PT, indent=True, space_after=8)
    _run(p, body, fonts["body"], BODY_PT, fonts)

    cols = COLUMNS if ns.by == "department" else [c for c in COLUMNS if c != "属地"]
    table = n.rows.assign(问题描述=n.rows["问题描述"] + np.where(n.rows["_role"].eq("牵头"), "（牵头）", ""))
    rows = table[cols].astype(str).values.tolist()
    left = {"点位", "问题描述", "照片"}
    grid(doc, cols, rows, column_widths(cols, rows, text_mm, TABLE_PT, left), left, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.RIGHT, space_before=14, exact=LINE_PT)
    _run(p, ns.issuer, fonts["body"], BODY_PT, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.RIGHT, exact=LINE_PT)
    _run(p, f"{ns.issue_date.year}年{ns.issue_date.month}月{ns.issue_date.day}日", fonts["body"], BODY_PT, fonts)

    # reply slip, on its own page
    p = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    p.add_run().add_break(WD_BREAK.PAGE)
    _run(p, "整改回执", fonts["title"], 22, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.LEFT, exact=LINE_PT, space_after=6)
    _run(p, f"填报单位：{n.unit}　　　交办：{ns.week.name}（{n.open}条）　　　报送时间：{ns.reply_by.month}月"
            f"{ns.reply_by.day}日前", fonts["body"], 14, fonts)
    rcols = ["序号", "问题编号", "点位", "整改措施", "完成时间", "整改后照片", "未完成原因及计划"]
    rrows = [[str(r["序号"]), r["问题编号"], r["点位"], "", "", "", ""] for r in n.rows.to_dict("records")]
    widths = column_widths(rcols, rrows, text_mm, TABLE_PT, {"点位"})
    grid(doc, rcols, rrows, _reply_widths(widths, rcols, text_mm), {"点位"}, fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.LEFT, space_before=16, exact=LINE_PT)
    _run(p, "单位负责人（签字）：＿＿＿＿＿＿　　经办人：＿＿＿＿＿＿　　联系电话：＿＿＿＿＿＿＿＿", fonts["body"], 14,
         fonts)
    p = _para(doc, WD_ALIGN_PARAGRAPH.RIGHT, space_before=10, exact=LINE_PT)
    _run(p, "（单位盖章）　　　　年　　月　　日", fonts["body"], 14, fonts)
    doc.save(path)
    return path


def _reply_widths(widths: list[float], cols: list[str], total: float) -> list[float]:
    """Room to write in: the empty reply columns get at least 30 mm each, taken from the widest column."""
    out = list(widths)
    for j, c in enumerate(cols):
        if c in ("整改措施", "未完成原因及计划"):
            out[j] = max(out[j], 45.0)
        elif c in ("完成时间", "整改后照片"):
            out[j] = max(out[j], 28.0)
    extra = sum(out) - total
    if extra > 0:
        j = cols.index("点位")
        out[j] = max(20.0, out[j] - extra)
    return out


def workbook(ns: NoticeSet, path: Path | str | BinaryIO) -> Path | BinaryIO:
    """汇总, one sheet per unit (its open problems) and 催办清单; text is stored as text."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False,
                                    "in_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#D9E2F3", "border": 1, "text_wrap": True, "valign": "vcenter"})
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 14})
    used: set[str] = set()

    def sheet(name: str, heading: str, df: pd.DataFrame, widths: dict[str, int]) -> None:
        ws = wb.add_worksheet(_sheet_name(name, used))
        ws.write(0, 0, heading, title)
        for j, c in enumerate(df.columns):
            ws.write(1, j, c, head)
            ws.set_column(j, j, widths.get(c, 12))
        for i, row in enumerate(df.itertuples(index=False), start=2):
            for j, v in enumerate(row):
                ws.write(i, j, v if isinstance(v, (int, np.integer, float)) and not pd.isna(v) else str(v), cell)
        ws.freeze_panes(2, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4, one page wide, the header row on every page
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(1)
        if len(df):
            ws.autofilter(1, 0, len(df) + 1, len(df.columns) - 1)

    wide = {"问题描述": 40, "点位": 24, "照片": 24, "整改时限": 17, "问题编号": 16, "单位": 20}
    sheet("汇总", f"{ns.week.name}（{ns.week.start:%m.%d}–{ns.week.end:%m.%d}）创城问题交办汇总：截至周末未整改",
          ns.summary(), {BY[ns.by]: 24})
    for n in ns.notices:
        cols = COLUMNS if ns.by == "department" else [c for c in COLUMNS if c != "属地"]
        sheet(n.unit, f"{n.unit}：未整改{n.open}条，其中逾期{n.overdue}条", n.rows[cols], wide)
    sheet("催办清单", f"催办：已逾期或{ns.soon_days}个工作日内到期的问题（截至{ns.week.end:%Y-%m-%d}）", ns.soon, wide)
    wb.close()
    return path


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_NAME.sub("_", name)[:31] or "单位"
    out, k = base, 2
    while out in used:
        tail = f"({k})"
        out, k = base[:31 - len(tail)] + tail, k + 1
    used.add(out)
    return out


def write_all(ns: NoticeSet, out_dir: Path | str) -> list[Path]:
    """One .docx per unit (named for it) and the workbook, in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [notice_docx(ns, n, out / f"{file_stem(ns, n)}.docx") for n in ns.notices]
    files.append(workbook(ns, out / f"交办单_{ns.week.name}_汇总.xlsx"))
    return [Path(f) for f in files]


def zip_bytes(ns: NoticeSet) -> bytes:
    """Every notice and the workbook as one .zip (for the page's download)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n in ns.notices:
            doc = io.BytesIO()
            notice_docx(ns, n, doc)
            z.writestr(f"{file_stem(ns, n)}.docx", doc.getvalue())
        book = io.BytesIO()
        workbook(ns, book)
        z.writestr(f"交办单_{ns.week.name}_汇总.xlsx", book.getvalue())
    return buf.getvalue()
