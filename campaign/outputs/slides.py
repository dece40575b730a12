"""The dispatch meeting's points, one per slide: 本周进退, 末位, 短板, 逾期, 红黄榜 and the street ranking.

The same sequence drives the dashboard's meeting mode (pages/meeting.py) and the .pptx deck (``deck``). Every
number comes from the week's briefing (``campaign.briefing.build``), so the deck, the briefing and 总览 agree;
a published week's ranks and flags are the published ones.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb
import pandas as pd

from campaign.briefing.model import Briefing, Chart

BIG_ROWS = 8  # a slide's table shows at most this many rows: read across a meeting room


@dataclass
class Figure:
    label: str
    value: str
    note: str = ""       # 较上周增加72个 …
    tone: str = ""       # good | bad | "" (the colour of the note)


@dataclass
class Point:
    key: str
    heading: str          # 本周进退
    title: str            # the point in words, the slide's headline
    figures: list[Figure] = field(default_factory=list)
    table: pd.DataFrame | None = None
    chart: Chart | None = None
    note: str = ""


@dataclass
class Meeting:
    title: str            # 第52周创城工作调度会
    subtitle: str         # 2026年11月16日至11月22日 · 临江区
    points: list[Point]


def _tone(text: str, up_is_good: bool) -> str:
    if any(w in text for w in ("增加", "提高", "上升", "前进", "进")):
        return "good" if up_is_good else "bad"
    if any(w in text for w in ("减少", "下降", "降低", "后退", "退")):
        return "bad" if up_is_good else "good"
    return ""


def points(b: Briefing) -> Meeting:
    """The meeting's points for the briefing's week."""
    w, v = b.words, b.values
    wk = b.week
    out: list[Point] = []

    figs = []
    if b.round_id is not None:
        figs += [Figure("测评总分", w["total"], w["total_change_text"], _tone(w["total_change_text"], True)),
                 Figure(f"同组排名（共{w['ranked']}个）", f"第{w['rank']}名", w["rank_change_text"],
                        _tone(w["rank_change_text"], True))]
    figs += [Figure("本周发现问题", w["found"], w["found_change_text"], ""),
             Figure("本周整改完成", w["closed"], w["closed_change_text"], _tone(w["closed_change_text"], True)),
             Figure("逾期未整改", w["overdue"], w["overdue_change_text"], _tone(w["overdue_change_text"], False)),
             Figure("按期整改率", w["on_time_rate"], w["on_time_change_text"], _tone(w["on_time_change_text"], True))]
    title = (f"{b.round_name}总分 {w['total']}，同组第{w['rank']}名（{w['rank_change_text']}）" if b.round_id is not None
             else f"本周发现问题 {w['found']} 个，整改完成 {w['closed']} 个")
    if v.get("minors_gate") is False:  # under the minors' line the city may not apply: the slide says so first
        title += "；未成年人测评低于申报线，不能申报"
    out.append(Point("progress", "本周进退", title, figs, note=w.get("minors_text", "")))

    streets, depts = b.table("街道排名"), b.table("单位排名")
    bottom = pd.concat([_tail(streets.frame, "街道（镇）", "街道"), _tail(depts.frame, "责任单位", "责任单位")],
                       ignore_index=True)
    out.append(Point("bottom", "末位", f"街道末位：{w['street_last']}；单位末位：{_last(depts.frame)}", table=bottom,
                     note=_published_note(streets)))

    if b.round_id is not None:
        boards = b.table("短板指标").frame.head(5)
        out.append(Point(
            "boards", "短板", f"失分最多：{w['top1_name']}（失 {w['top1_lost']} 分，达标率 {w['top1_rate']}）",
            table=pd.DataFrame({"编码": boards["编码"], "测评标准": boards["测评标准"],
                                "达标率": [f"{x:.0%}" for x in boards["达标率"]],
                                "失分": [f"{x:.2f}" for x in boards["失分"]],
                                "本周督查问题": boards["本周督查问题"].astype(int)})))

    if int(v.get("overdue", 0)):
        od = b.table("逾期按单位").frame.head(BIG_ROWS)
        out.append(Point("overdue", "逾期",
                         f"逾期未整改 {w['overdue']} 条，{w['overdue_top_department']}最多（{w['overdue_top_department_count']} 条）",
                         table=od[["责任单位", "逾期未整改", "红卡", "黄卡", "最长逾期天数"]].map(_num)
                         .reset_index(drop=True)))
    else:
        out.append(Point("overdue", "逾期", "本周末没有逾期未整改的问题"))

    names = v.get("list_names", {})
    s_names, d_names = names.get("street", ("流动红旗", "流动黄旗")), names.get("department", ("流动红旗", "流动黄旗"))
    rows = list(s_names) if s_names == d_names else ["红榜（红旗）", "黄榜、黑榜（黄旗）"]
    flags = pd.DataFrame({"": rows,
                          "街道（镇）": [w["street_red"], w["street_yellow"]],
                          "责任单位": [w["dept_red"], w["dept_yellow"]]})
    talks = v.get("talks") or []
    note = "约谈：" + "、".join(f"{u}（{'' if k in ('街道（镇）', '责任单位') else k + '，'}{why}）"
                             for k, u, why in talks) if talks else ""
    out.append(Point("flags", "红黄榜", f"{s_names[0]}：{w['street_red']}", table=flags,
                     note="；".join(x for x in (note, _published_note(streets) or _published_note(depts)) if x)))
    chart = next((c for c in b.charts() if c.kind == "street_ranking"), None)
    if chart is not None:
        out.append(Point("ranking", "街道排名", chart.title, chart=chart, note=_published_note(streets)))
    return Meeting(f"{wk.name}创城工作调度会", f"{wk.start.year}年{wk.start.month}月{wk.start.day}日至{wk.end.month}月"
                   f"{wk.end.day}日 · {b.district}", out)


def _tail(frame: pd.DataFrame, col: str, label: str) -> pd.DataFrame:
    t = frame.tail(3).iloc[::-1]
    steady = t["变化判断"].eq("正常波动") if "变化判断" in t else pd.Series(False, index=t.index)
    change = [f"{c}（正常波动）" if s else str(c) for c, s in zip(t["较上周"], steady)]
    return pd.DataFrame({"类别": label, "单位": t[col].astype(str), "排名": t["排名"].astype(int),
                         "综合指数": [f"{x:.1f}" for x in t["综合指数"]], "较上周": change})


def _num(x) -> str:
    """A count as a whole number; a unit's share of problems (several responsible units) keeps one decimal."""
    if isinstance(x, (int, float)) and not pd.isna(x):
        return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"
    return str(x)


def _last(frame: pd.DataFrame) -> str:
    return str(frame["责任单位"].iat[-1]) if len(frame) else "—"


def _published_note(t) -> str:
    return next((s for s in t.note.split("。") if "已发布" in s), "")


def build(con: duckdb.DuckDBPyConnection, week: int | str = "latest") -> Meeting:
    from campaign.briefing import build as build_briefing

    return points(build_briefing(con, week))


# ----------------------------------------------------------------------------------------------------
# the .pptx
RED, GREEN, GREY, DARK = "C8102E", "1E7B34", "6B7280", "111827"
FONT = "Noto Sans CJK SC"


def deck(m: Meeting, path: Path | str | BinaryIO) -> Path | BinaryIO:
    """The meeting as a 16:9 deck: a title slide, then one slide per point (big type, one chart or table)."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    s = prs.slides.add_slide(blank)
    _text(s, m.title, 0.8, 2.4, 11.7, 1.3, 48, bold=True, color=RED, center=True)
    _text(s, m.subtitle, 0.8, 3.9, 11.7, 0.8, 26, color=GREY, center=True)
    for i, p in enumerate(m.points, start=1):
        s = prs.slides.add_slide(blank)
        _text(s, f"{i} / {len(m.points)}　{p.heading}", 0.6, 0.35, 8, 0.5, 18, color=GREY)
        _text(s, p.title, 0.6, 0.8, 12.1, 1.1, 32 if len(p.title) <= 30 else 26, bold=True, color=DARK)
        top = 2.1
        if p.figures:
            _figures(s, p.figures, top)
        elif p.chart is not None and p.table is not None:
            _picture(s, p.chart, 0.5, top, 6.6, 4.9)
            _table(s, p.table, 7.3, top, 5.6, 16)
        elif p.chart is not None:
            _picture(s, p.chart, 1.2, top, 10.9, 5.1)
        elif p.table is not None:
            _table(s, p.table, 0.6, top, 12.1, 22 if len(p.table.columns) <= 4 else 20)
        if p.note:
            _text(s, p.note, 0.6, 6.95, 12.1, 0.4, 14, color=GREY)
    prs.core_properties.title = m.title
    prs.save(path)
    return path


def _ea(run) -> None:
    """Chinese text in the East Asian font slot, so renderers pick a CJK face."""
    from pptx.oxml.ns import qn

    rpr = run._r.get_or_add_rPr()
    for tag in ("a:latin", "a:ea"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", FONT)


def _text(slide, text: str, x: float, y: float, w: float, h: float, size: float, bold: bool = False,
          color: str = DARK, center: bool = False):
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = True
    para = tf.paragraphs[0]
    para.alignment = PP_ALIGN.CENTER if center else PP_ALIGN.LEFT
    run = para.add_run()
    run.text = text
    run.font.size, run.font.bold = Pt(size), bold
    run.font.color.rgb = RGBColor.from_string(color)
    _ea(run)
    return box


def _figures(slide, figs: list[Figure], top: float) -> None:
    per_row = 3
    w, h = 3.9, 2.3
    for i, f in enumerate(figs):
        r, c = divmod(i, per_row)
        x, y = 0.6 + c * (w + 0.2), top + r * (h + 0.2)
        _text(slide, f.label, x, y, w, 0.5, 20, color=GREY)
        _text(slide, f.value, x, y + 0.5, w, 1.0, 48, bold=True, color=DARK)
        if f.note:
            _text(slide, f.note, x, y + 1.55, w, 0.6, 16, color={"good": GREEN, "bad": RED}.get(f.tone, GREY))


def _picture(slide, chart: Chart, x: float, y: float, w: float, h: float) -> None:
    from PIL import Image
    from pptx.util import Inches

    from campaign.briefing.charts import render_chart

    png = render_chart(chart)
    iw, ih = Image.open(io.BytesIO(png)).size
    scale = min(w / iw, h / ih)
    slide.shapes.add_picture(io.BytesIO(png), Inches(x + (w - iw * scale) / 2), Inches(y), Inches(iw * scale),
                             Inches(ih * scale))


def _table(slide, df: pd.DataFrame, x: float, y: float, w: float, size: float) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    from campaign.briefing.model import width

    df = df.head(BIG_ROWS).astype(str)
    cols = list(df.columns)
    row_h = size / 72 * 1.9
    shape = slide.shapes.add_table(len(df) + 1, len(cols), Inches(x), Inches(y), Inches(w),
                                   Inches(row_h * (len(df) + 1)))
    tbl = shape.table
    need = [min(max([width(c), 4.0] + [width(v) for v in df[c]]) + 1.5, 26) for c in cols]
    for j, n in enumerate(need):
        tbl.columns[j].width = Inches(w * n / sum(need))
    for i in range(len(df) + 1):
        for j, c in enumerate(cols):
            cell = tbl.cell(i, j)
            cell.text = c if i == 0 else df.iat[i - 1, j]
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(size if i else size - 2)
                    run.font.bold = i == 0
                    run.font.color.rgb = RGBColor.from_string("FFFFFF" if i == 0 else DARK)
                    _ea(run)
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor.from_string(RED if i == 0 else ("F3F4F6" if i % 2 else "FFFFFF"))


def deck_bytes(m: Meeting) -> bytes:
    buf = io.BytesIO()
    deck(m, buf)
    return buf.getvalue()
