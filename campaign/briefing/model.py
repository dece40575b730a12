"""The week's briefing as data: sentences, tables and chart data, built from the named queries, the scoring
model and the analysis functions the pages use. The Word, Excel and page renditions all draw this one object.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from campaign import analysis, queries
from campaign.analysis import metrics, ranking_rules
from campaign.briefing.template import TEMPLATE_FILE, Template, fill, load_template
from campaign.config import load_office
from campaign.model import scoring
from campaign.model.weeks import Week, parse_week, week_number, week_of
from campaign.outputs import publish

DOC_OVERDUE_ROWS = 15
DOC_BOARD_ROWS = 10
DOC_REBOUND_ROWS = 10
CHART_BOARDS = 8


class BriefingError(ValueError):
    """The briefing cannot be made (no data, unknown week); the message is Chinese."""


@dataclass
class Table:
    number: int
    key: str                                   # the Excel sheet's name
    title: str                                 # caption in the document: 表N …
    sheet_title: str                           # title row of the Excel sheet
    frame: pd.DataFrame                        # display column names; numbers stay numbers
    formats: dict[str, str]                    # column → int, 0.0, 0.00, 0.000, pct, date, text, +int, +0.0, +0.00, +pp
    doc_rows: int | None = None                # the document shows the first rows only (the sheet has all)
    doc_columns: tuple[str, ...] | None = None  # the document shows these columns (the sheet has all)
    cell_formats: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, column) → format
    note: str = ""                             # a line under the title (both renditions)

    def fmt(self, row: int, column: str) -> str:
        return self.cell_formats.get((row, column), self.formats.get(column, "text"))

    def doc_frame(self) -> pd.DataFrame:
        """The rows and columns the document and the page show, as display strings."""
        cols = list(self.doc_columns or self.frame.columns)
        out = self.frame.head(self.doc_rows) if self.doc_rows else self.frame
        return pd.DataFrame({c: [show(out[c].iat[i], self.fmt(i, c)) for i in range(len(out))] for c in cols},
                            columns=cols)


@dataclass
class Chart:
    number: int
    key: str
    caption: str          # 图N …, under the image
    title: str            # the point of the chart, drawn in it
    kind: str             # score_trend | short_boards | street_ranking
    data: pd.DataFrame
    options: dict = field(default_factory=dict)


@dataclass
class Section:
    key: str
    heading: str
    paragraphs: list[str]
    blocks: list[Table | Chart]


@dataclass
class Briefing:
    week: Week
    district: str
    issuer: str
    masthead: str
    issue_number: str
    title: str
    recipients: str
    closing: str
    issue_date: date
    round_id: int | None
    round_name: str | None
    fonts: dict[str, str]
    values: dict[str, object]    # the raw numbers behind the sentences
    words: dict[str, str]        # the placeholders as written into the sentences
    sections: list[Section]

    @property
    def file_stem(self) -> str:
        return f"周调度会通报_{self.week.name}"

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]

    def table(self, key: str) -> Table:
        for t in self.tables():
            if t.key == key:
                return t
        raise KeyError(key)


# ----------------------------------------------------------------------------------------------------
# how numbers are written
def show(v, kind: str = "text") -> str:
    """A value as the document writes it (the Excel sheet keeps the number and applies the same format)."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "—"
    if kind == "int":
        return str(int(round(float(v))))
    if kind in ("0.0", "0.00", "0.000"):
        return f"{float(v):.{len(kind) - 2}f}"
    if kind == "pct":
        return f"{float(v) * 100:.1f}%"
    if kind == "date":
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if kind == "+int":
        return f"{int(round(float(v))):+d}"
    if kind in ("+0.0", "+0.00"):
        return f"{float(v):+.{len(kind) - 3}f}"
    if kind == "+pp":
        return f"{float(v):+.1f}个百分点"
    return str(v)


def width(text: str) -> float:
    """Display width in CJK characters (a Latin letter or digit counts about half)."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.62 for ch in str(text))


def fit_title(title: str, limit: float = 36, br: str = "\n") -> str:
    """A chart title longer than ``limit`` breaks at the comma nearest its middle."""
    if width(title) <= limit or "，" not in title:
        return title
    cuts = [i for i, ch in enumerate(title) if ch == "，"]
    i = min(cuts, key=lambda k: abs(width(title[:k]) - width(title) / 2))
    return f"{title[: i + 1]}{br}{title[i + 1:]}"


def two_lines(name: str, br: str = "\n") -> str:
    """第四轮模拟测评 → 第四轮 / 模拟测评: round names fit under their point."""
    for tail in ("模拟测评", "交叉测评", "测评"):
        if name.endswith(tail) and len(name) > len(tail):
            return f"{name[: -len(tail)]}{br}{tail}"
    return name


def _g(v) -> str:
    """227.0 → 227, 227.5 → 227.5."""
    if v is None or pd.isna(v):
        return "—"
    return f"{float(v):.1f}".rstrip("0").rstrip(".")


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v) * 100:.1f}%"


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _md(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _names(units) -> str:
    units = [str(u) for u in units]
    return "、".join(units) if units else "无"


# ----------------------------------------------------------------------------------------------------
def resolve_week(con: duckdb.DuckDBPyConnection, week: int | str = "latest") -> Week:
    """The campaign week asked for ('latest', 'YYYY-Www', '第N周', N), which must hold ledger data."""
    office = load_office()
    latest = queries.scalar(con, "latest_activity_date")
    if latest is None or pd.isna(latest):
        raise BriefingError("数据库中还没有督查问题台账，无法生成通报：请先导入督查台账（或生成演示数据）。")
    last = week_of(pd.Timestamp(latest).date(), office.campaign_start)
    wk = week_number(int(week), office.campaign_start) if isinstance(week, (int, np.integer)) else \
        parse_week(str(week), office.campaign_start, pd.Timestamp(latest).date())
    if not 1 <= wk.number <= last.number:
        raise BriefingError(f"没有第{wk.number}周的数据：已有数据为第1周至第{last.number}周"
                            f"（{office.campaign_start:%Y-%m-%d} 至 {last.end:%Y-%m-%d}）。")
    return wk


def build(con: duckdb.DuckDBPyConnection, week: int | str = "latest",
          template: Path | str | None = None) -> Briefing:
    """The briefing for one campaign week: district-wide numbers, the latest assessment round held by its end."""
    with metrics.shared_results():  # the rankings and the sections ask for the same rounds
        return _build(con, week, template)


def _build(con: duckdb.DuckDBPyConnection, week: int | str, template: Path | str | None) -> Briefing:
    tpl = load_template(template or TEMPLATE_FILE)
    office = load_office()
    wk = resolve_week(con, week)
    words: dict[str, str] = {
        "district": office.district, "week_number": str(wk.number), "week_start": _md(wk.start),
        "week_end": _md(wk.end), "year": str(wk.end.year), "issue_date": _cn_date(wk.end + timedelta(days=1)),
    }
    words["issuer"] = fill(tpl.header["issuer"], words)
    values: dict[str, object] = {}
    ph = _Phrases(tpl)

    # --- 一、本周概况 -------------------------------------------------------------------------------
    p = dict(start=wk.start, end=wk.end, rebound_days=office.rebound_days)
    pp = dict(start=wk.previous.start, end=wk.previous.end, rebound_days=office.rebound_days)
    now = queries.run(con, "period_indicators", **p).iloc[0]
    before = queries.run(con, "period_indicators", **pp).iloc[0]
    visits = queries.run(con, "week_summary", **p)
    visits_prev = queries.run(con, "week_summary", **pp)
    sites_now = int(visits["sites_visited"].iloc[0]) if len(visits) else 0
    sites_before = int(visits_prev["sites_visited"].iloc[0]) if len(visits_prev) else 0
    found_text, found_word, found_n, found_pct = ph.count(now.problems, before.problems)
    by_street = queries.run(con, "week_problems_by_street", **p)
    by_cat = queries.run(con, "problems_by_street_category", **p).groupby("category")["problems"].sum() \
        .sort_values(ascending=False, kind="stable")
    words |= {
        "inspections": show(now.inspections, "int"), "sites_visited": str(sites_now),
        "found": show(now.problems, "int"), "found_change_text": found_text, "found_change_word": found_word,
        "found_change": found_n, "found_change_pct": found_pct, "per_100_sites": show(now.per_100_sites, "0.0"),
        "deduction": _g(now.deduction), "closed": show(now.closed, "int"),
        "closed_change_text": ph.count(now.closed, before.closed)[0], "open": show(now.open_at_end, "int"),
        "open_change_text": ph.count(now.open_at_end, before.open_at_end)[0], "on_time_rate": _pct(now.on_time_rate),
        "on_time_change_text": ph.rate(now.on_time_rate, before.on_time_rate), "median_days": _g(now.median_days),
        "most_street": str(by_street["street"].iat[0]) if len(by_street) and by_street["problems"].iat[0] else "无",
        "most_street_found": show(by_street["problems"].iat[0], "int") if len(by_street) else "0",
        "most_category": str(by_cat.index[0]) if len(by_cat) else "无",
        "most_category_found": show(by_cat.iat[0], "int") if len(by_cat) else "0",
        "street_count": str(len(queries.run(con, "street_list"))),
    }
    values |= {"inspections": int(now.inspections), "sites_visited": sites_now, "found": int(now.problems),
               "found_before": int(before.problems), "deduction": float(now.deduction), "closed": int(now.closed),
               "open": int(now.open_at_end), "overdue": int(now.overdue_at_end),
               "overdue_before": int(before.overdue_at_end), "on_time_rate": _float(now.on_time_rate),
               "rebounds": int(now.rebounds), "rebounds_before": int(before.rebounds),
               "due_unknown": _count(now.get("due_unknown"))}
    summary = _summary_table(now, before, sites_now, sites_before)

    idx = analysis.load_index()
    rounds = metrics.round_scores(con)
    upto = rounds[pd.to_datetime(rounds["held_on"]) <= pd.Timestamp(wk.end)].reset_index(drop=True) \
        if len(rounds) else rounds
    rid = int(upto["round_id"].iat[-1]) if len(upto) else None
    common = dict(start=wk.start, end=wk.end, round_id=rid, rebound_days=office.rebound_days)
    # a published week's ranks and flags are the ones in force (campaign.outputs.publish), whatever was imported
    # later
    rankings = {u: publish.in_force(con, analysis.ranking(con, u, d.spec(), fair=d.fair.spec(), **common),
                                    wk.start, wk.end) for u, d in idx.items()}
    outcomes = {u: analysis.outcome(r, idx[u]) for u, r in rankings.items()}
    streets_r, depts_r = rankings["street"], rankings["department"]
    street_table = _streets_table(streets_r, queries.run(con, "street_list")["street"].tolist())
    overview = [summary, street_table]

    # --- 二、测评得分与排名 ------------------------------------------------------------------------
    score_blocks: list[Table | Chart] = []
    round_name = None
    if rid is not None:
        cur = upto.iloc[-1]
        prev = upto.iloc[-2] if len(upto) > 1 else None
        round_name = str(cur.round_name)
        detail = metrics.round_detail(con, rid)
        sect = scoring.group_scores(detail.rates[detail.rates["assessed"]], "section").sort_values(
            "rate", kind="stable")
        rank = None if pd.isna(cur["rank"]) else int(cur["rank"])
        prev_rank = None if prev is None or pd.isna(prev["rank"]) else int(prev["rank"])
        words |= {
            "round_name": round_name, "round_date": _cn_date(pd.Timestamp(cur.held_on).date()),
            "assessor": str(cur.assessor), "total": f"{cur.total:.2f}",
            "total_change_text": ph.score(cur.total, None if prev is None else prev.total),
            "rank": str(rank) if rank else "—", "ranked": show(cur.ranked, "int"),
            "rank_change_text": ph.rank(rank, prev_rank), "target_total": _g(office.target_total),
            "target_gap_text": ph.target(cur.total, office.target_total), "target_rank": str(office.target_rank),
            "weakest_section": str(sect["section"].iat[0]) if len(sect) else "—",
            "weakest_section_rate": _pct(sect["rate"].iat[0]) if len(sect) else "—",
            "veto_text": "本轮存在一票否决事项，测评结果不合格。" if bool(cur.vetoed) else "",
            "minors_text": _minors_sentence(cur),
        }
        gate = cur.get("minors_gate")
        values |= {"round_id": rid, "total": float(cur.total), "rank": rank, "ranked": _int_or_none(cur.ranked),
                   "minors_gate": None if gate is None or pd.isna(gate) else bool(gate)}
        score_blocks = [_rounds_table(upto), _score_chart(upto, rid, office.target_total), _sections_table(sect)]

    # --- 三、短板指标 ---------------------------------------------------------------------------------
    board_blocks: list[Table | Chart] = []
    if rid is not None:
        pass_rate = metrics.settings(con).pass_rate
        losses = analysis.standard_losses(con, rid, wk.start, wk.end)
        content = metrics.standards(con).set_index("code")["content"]
        losses = losses.assign(content=losses["code"].map(content))
        top3 = losses.head(3)
        words |= {
            "pass_rate": f"{pass_rate:.0%}", "below_pass": str(int(losses["below_pass"].sum())),
            "assessed": str(len(losses)), "lost_total": f"{losses['lost'].sum():.2f}",
            "pareto_count": str(analysis.pareto_count(losses)),
            "top_boards": "、".join(f"{r.content}（{r.code}，失{r.lost:.2f}分）" for r in top3.itertuples()) or "无",
            "top_board_names": "、".join(f"{r.content}" for r in top3.itertuples()) or "无",
            "top1_code": str(top3["code"].iat[0]) if len(top3) else "—",
            "top1_name": str(top3["name"].iat[0]) if len(top3) else "—",
            "top1_lost": f"{top3['lost'].iat[0]:.2f}" if len(top3) else "—",
            "top1_rate": _pct(top3["rate"].iat[0]) if len(top3) else "—",
            "board_problems": str(int(losses.head(DOC_BOARD_ROWS)["problems"].sum())),
        }
        values |= {"top_codes": top3["code"].tolist(), "below_pass": int(losses["below_pass"].sum())}
        board_blocks = [_boards_table(losses), _boards_chart(losses, pass_rate)]

    # --- 四、红黄榜 ---------------------------------------------------------------------------------
    s_red, s_yellow = outcomes["street"].lists.red, outcomes["street"].lists.low
    d_red, d_yellow = outcomes["department"].lists.red, outcomes["department"].lists.low
    st_tab = streets_r.table
    talks = pd.concat([o.talks.assign(kind=analysis.UNITS[u]) for u, o in outcomes.items()], ignore_index=True)
    words |= {
        "street_lists_text": lists_text(outcomes["street"]), "dept_lists_text": lists_text(outcomes["department"]),
        "street_steady_text": steady_text(streets_r), "dept_steady_text": steady_text(depts_r),
        "other_lists_text": "".join(f"{analysis.UNITS[u]}：{lists_text(o)}。" for u, o in outcomes.items()
                                    if u not in ("street", "department") and len(rankings[u].table)),
        "talks_text": ("按约谈规则，" + "、".join(f"{t.unit}（{_kind_note(t.kind)}{t.reason}）" for t in talks.itertuples())
                       + "由区创城办约谈主要负责同志。") if len(talks) else "",
        "street_red": _names(s_red["unit"]), "street_yellow": _names(s_yellow["unit"]),
        "dept_red": _names(d_red["unit"]), "dept_yellow": _names(d_yellow["unit"]),
        "street_ranking_point": analysis.ranking_title(streets_r), "dept_ranking_point": analysis.ranking_title(depts_r),
        "street_first": str(st_tab["unit"].iat[0]) if len(st_tab) else "—",
        "street_last": str(st_tab["unit"].iat[-1]) if len(st_tab) else "—", "flags": str(len(s_red)),
    }
    values |= {"street_red": s_red["unit"].tolist(), "street_yellow": s_yellow["unit"].tolist(),
               "dept_red": d_red["unit"].tolist(), "dept_yellow": d_yellow["unit"].tolist(),
               "talks": list(zip(talks["kind"], talks["unit"], talks["reason"])),
               "steady": {u: analysis.steady_units(r)[0] + analysis.steady_units(r)[1] for u, r in rankings.items()},
               "lists": {u: (o.lists.red["unit"].tolist(), o.lists.low["unit"].tolist(), list(o.lists.left_out))
                         for u, o in outcomes.items()},
               "list_names": {u: (o.lists.rule.red_name, o.lists.rule.low_name) for u, o in outcomes.items()}}
    flag_blocks: list[Table | Chart] = [
        _ranking_table(6, "街道排名", streets_r, idx["street"], "街道（镇）", outcomes["street"]),
        _street_chart(streets_r, idx["street"].full, outcomes["street"]),
        _ranking_table(7, "单位排名", depts_r, idx["department"], "责任单位", outcomes["department"]),
    ]

    # --- 五、逾期未整改问题 ----------------------------------------------------------------------
    od_dept = queries.run(con, "briefing_overdue_by_department", end=wk.end)
    od_list = queries.run(con, "overdue_problems", end=wk.end)
    # a problem of several units counts for each by its share (unit_attribution): whole problems in the text
    total_od = _count(od_dept["overdue"].sum())
    words |= {
        "overdue": str(total_od), "overdue_change_text": ph.count(now.overdue_at_end, before.overdue_at_end)[0],
        "overdue_red": str(_count(od_dept["red"].sum())), "overdue_yellow": str(_count(od_dept["yellow"].sum())),
        "overdue_white": str(_count(od_dept["white"].sum())), "overdue_over_30": str(_count(od_dept["over_30"].sum())),
        "overdue_max_days": show(od_dept["max_days"].max(), "int") if total_od else "0",
        "overdue_departments": str(len(od_dept)),
        "overdue_top_department": str(od_dept["department"].iat[0]) if total_od else "无",
        "overdue_top_department_count": str(_count(od_dept["overdue"].iat[0])) if total_od else "0",
        "overdue_listed": str(min(DOC_OVERDUE_ROWS, len(od_list))),
    }
    values |= {"overdue_listed": min(DOC_OVERDUE_ROWS, len(od_list)), "overdue_rows": len(od_list)}
    overdue_blocks: list[Table | Chart] = [_overdue_dept_table(od_dept), _overdue_list_table(od_list, total_od)] \
        if total_od else []

    # --- 六、反弹问题 -------------------------------------------------------------------------------
    reb = queries.run(con, "rebound_sites", **p)
    reb_pairs = int(reb["total_rows"].iat[0]) if len(reb) else 0
    words |= {
        "rebounds": show(now.rebounds, "int"), "rebounds_change_text": ph.count(now.rebounds, before.rebounds)[0],
        "rebound_rate": _pct(now.rebound_rate), "rebound_sites": str(reb_pairs),
        "rebound_top_site": f"{reb['street'].iat[0]}{reb['site'].iat[0]}" if reb_pairs else "无",
        "rebound_top_category": str(reb["category"].iat[0]) if reb_pairs else "无",
        "rebound_top_count": str(int(reb["rebounds"].iat[0])) if reb_pairs else "0",
        "rebound_days": str(office.rebound_days),
    }
    values |= {"rebound_pairs": reb_pairs}
    rebound_blocks: list[Table | Chart] = [_rebounds_table(reb, reb_pairs)] if reb_pairs else []

    # --- assemble -------------------------------------------------------------------------------------
    for key in ("round_name", "round_date", "assessor", "total", "total_change_text", "rank", "ranked",
                "rank_change_text", "target_gap_text", "weakest_section", "weakest_section_rate", "veto_text",
                "minors_text",
                "pass_rate", "below_pass", "assessed", "lost_total", "pareto_count", "top_boards",
                "top_board_names", "top1_code", "top1_name", "top1_lost", "top1_rate", "board_problems"):
        words.setdefault(key, "—" if key not in ("veto_text", "minors_text") else "")
    words.setdefault("target_total", _g(office.target_total))
    words.setdefault("target_rank", str(office.target_rank))
    has = {"overview": True, "score": rid is not None, "shortboards": rid is not None, "flags": True,
           "overdue": total_od > 0, "rebounds": reb_pairs > 0 or int(now.rebounds) > 0, "next_week": True}
    blocks = {"overview": overview, "score": score_blocks, "shortboards": board_blocks, "flags": flag_blocks,
              "overdue": overdue_blocks, "rebounds": rebound_blocks, "next_week": []}
    sections = []
    for key, text in tpl.sections.items():
        lines = text.paragraphs if has[key] or not text.empty else text.empty
        sections.append(Section(key, fill(text.heading, words), [fill(t, words) for t in lines],
                                blocks[key] if has[key] else []))
    return Briefing(
        week=wk, district=office.district, issuer=words["issuer"], masthead=fill(tpl.header["masthead"], words),
        issue_number=fill(tpl.header["issue_number"], words), title=fill(tpl.header["title"], words),
        recipients=fill(tpl.header["recipients"], words), closing=fill(tpl.header["closing"], words),
        issue_date=wk.end + timedelta(days=1), round_id=rid, round_name=round_name, fonts=dict(tpl.fonts),
        values=values, words=words, sections=sections)


def _float(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _count(v) -> int:
    """A count that may be a sum of shares (a problem of several units counts for each by its share): rounded."""
    return 0 if v is None or pd.isna(v) else int(round(float(v)))


def _int_or_none(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


class _Phrases:
    """The template's words for a change (较上周增加12个（3.0%）…), filled with numbers made here."""

    def __init__(self, tpl: Template):
        self.p = tpl.phrases

    def _say(self, key: str, **kw) -> str:
        return fill(self.p[key], {k: str(v) for k, v in kw.items()})

    def count(self, cur, prev, unit: str = "个") -> tuple[str, str, str, str]:
        """(text, 增加/减少/持平, |change|, change %) for a count against last week."""
        cur, prev = int(cur), int(prev)
        d = cur - prev
        if d == 0:
            return self._say("count_same", unit=unit), "持平", "0", "0.0%"
        pct = f"{abs(d) / prev * 100:.1f}%" if prev else "上周为0"
        key, word = ("count_more", "增加") if d > 0 else ("count_less", "减少")
        return self._say(key, n=abs(d), unit=unit, pct=pct), word, str(abs(d)), pct

    def rate(self, cur, prev) -> str:
        if cur is None or prev is None or pd.isna(cur) or pd.isna(prev):
            return self._say("no_compare")
        d = round((float(cur) - float(prev)) * 100, 1)
        if d == 0:
            return self._say("rate_same")
        return self._say("rate_up" if d > 0 else "rate_down", n=f"{abs(d):.1f}")

    def score(self, cur, prev) -> str:
        if prev is None or pd.isna(prev):
            return self._say("score_first")
        d = round(float(cur) - float(prev), 2)
        if d == 0:
            return self._say("score_same")
        return self._say("score_up" if d > 0 else "score_down", n=f"{abs(d):.2f}")

    def rank(self, cur: int | None, prev: int | None) -> str:
        if cur is None or prev is None:
            return self._say("rank_first")
        if cur == prev:
            return self._say("rank_same")
        return self._say("rank_up" if cur < prev else "rank_down", n=abs(prev - cur))

    def target(self, total: float, target: float) -> str:
        gap = round(target - total, 2)
        key = "target_below" if gap > 0 else "target_reached"
        return self._say(key, n=f"{abs(gap):.2f}", target=_g(target))


# ----------------------------------------------------------------------------------------------------
# tables
def _summary_table(now: pd.Series, before: pd.Series, sites_now: int, sites_before: int) -> Table:
    rows = [("巡查点位次", now.inspections, before.inspections, "int"),
            ("巡查点位数", sites_now, sites_before, "int"),
            ("发现问题", now.problems, before.problems, "int"),
            ("每百点位次问题数", now.per_100_sites, before.per_100_sites, "0.0"),
            ("督查扣分", now.deduction, before.deduction, "0.0"),
            ("整改完成", now.closed, before.closed, "int"),
            ("期末未整改", now.open_at_end, before.open_at_end, "int"),
            ("逾期未整改", now.overdue_at_end, before.overdue_at_end, "int"),
            ("按期整改率", now.on_time_rate, before.on_time_rate, "pct"),
            ("整改天数中位数（天）", now.median_days, before.median_days, "0.0"),
            ("反弹问题", now.rebounds, before.rebounds, "int")]
    frame = pd.DataFrame({
        "指标": [r[0] for r in rows],
        "本周": [_float(r[1]) for r in rows],
        "上周": [_float(r[2]) for r in rows],
        "变化": [None if _float(r[1]) is None or _float(r[2]) is None else
               (float(r[1]) - float(r[2])) * (100 if r[3] == "pct" else 1) for r in rows]})
    change = {"int": "+int", "0.0": "+0.0", "pct": "+pp"}
    cells = {}
    for i, r in enumerate(rows):
        cells[(i, "本周")] = cells[(i, "上周")] = r[3]
        cells[(i, "变化")] = change[r[3]]
    return Table(1, "概况", "表1 本周主要指标", "本周主要指标", frame, {"指标": "text"}, cell_formats=cells,
                 note=unknown_dates_note(now.get("due_unknown")))


def unknown_dates_note(due_unknown) -> str:
    """另有 N 条已整改问题无完成日期，未计入按期率 (closures whose export gave no date are left out of the
    on-time rate); empty when there are none."""
    n = _count(due_unknown)
    return f"另有 {n} 条已整改问题无完成日期，未计入按期率。" if n > 0 else ""


def _streets_table(r: analysis.Ranking, order: list[str]) -> Table:
    t = r.table.set_index("unit")
    t = t.reindex([s for s in order if s in t.index] + [s for s in t.index if s not in order])
    frame = pd.DataFrame({
        "街道（镇）": t.index, "巡查点位次": t["inspections"].fillna(0).to_numpy(),
        "发现问题": t["problems"].to_numpy(), "督查扣分": t["deduction"].to_numpy(),
        "整改完成": t["closed"].to_numpy(), "期末未整改": t["open_at_end"].to_numpy(),
        "逾期未整改": t["overdue_at_end"].to_numpy(), "按期整改率": t["on_time_rate"].to_numpy(),
        "反弹问题": t["rebounds"].to_numpy()})
    fmts = {"街道（镇）": "text", "巡查点位次": "int", "发现问题": "int", "督查扣分": "0.0", "整改完成": "int",
            "期末未整改": "int", "逾期未整改": "int", "按期整改率": "pct", "反弹问题": "int"}
    return Table(2, "街道督查情况", "表2 各街道（镇）本周督查情况", "各街道（镇）本周督查情况", frame, fmts)


def _rounds_table(upto: pd.DataFrame) -> Table:
    change = upto["total"].diff()
    frame = pd.DataFrame({
        "测评轮次": upto["round_name"], "组织方": upto["assessor"], "测评日期": pd.to_datetime(upto["held_on"]),
        "测评得分": upto["base"], "加分": upto["bonus"], "负面清单扣分": upto["deduction"], "总分": upto["total"],
        "较上轮": change, "同组排名": upto["rank"], "同组区县数": upto["ranked"]})
    fmts = {"测评轮次": "text", "组织方": "text", "测评日期": "date", "测评得分": "0.00", "加分": "0.00",
            "负面清单扣分": "0.00", "总分": "0.00", "较上轮": "+0.00", "同组排名": "int", "同组区县数": "int"}
    return Table(3, "测评得分", "表3 历次测评得分与排名", "历次测评得分与同组排名", frame, fmts,
                 doc_columns=("测评轮次", "组织方", "测评日期", "总分", "较上轮", "同组排名", "同组区县数"))


def _sections_table(sect: pd.DataFrame) -> Table:
    frame = pd.DataFrame({"板块": sect["section"], "分值": sect["points"], "得分": sect["earned"],
                          "失分": sect["lost"], "达标率": sect["rate"]})
    fmts = {"板块": "text", "分值": "0.00", "得分": "0.00", "失分": "0.00", "达标率": "pct"}
    return Table(4, "板块得分", "表4 各板块得分", "各板块得分（本轮）", frame.reset_index(drop=True), fmts)


def _boards_table(losses: pd.DataFrame) -> Table:
    frame = pd.DataFrame({
        "序号": np.arange(1, len(losses) + 1), "编码": losses["code"], "测评内容": losses["content"],
        "测评标准": losses["name"], "测评方式": losses["method"], "分值": losses["points"], "达标率": losses["rate"],
        "失分": losses["lost"], "低于及格线": np.where(losses["below_pass"], "是", "否"),
        "本周督查问题": losses["problems"]})
    fmts = {"序号": "int", "分值": "0.00", "达标率": "pct", "失分": "0.000", "本周督查问题": "int"}
    return Table(5, "短板指标", f"表5 失分最多的{min(DOC_BOARD_ROWS, len(frame))}项指标", "各项指标失分（从多到少）",
                 frame, fmts, doc_rows=DOC_BOARD_ROWS,
                 doc_columns=("序号", "编码", "测评标准", "达标率", "失分", "本周督查问题"))


def _minors_sentence(cur) -> str:
    """未成年人测评 82.4 分，低于 85 分申报线，按规定不能申报。 (empty when the round did not assess it)"""
    text = analysis.minors_text(cur.get("minors_total"), cur.get("minors_line"), cur.get("minors_share"),
                                cur.get("minors_gate"))
    return f"{text}。" if text else ""


def _kind_note(kind: str) -> str:
    """包保单位、社区 are named with the talk reason (a street or a department is known by its name)."""
    return "" if kind in (analysis.UNITS["street"], analysis.UNITS["department"]) else f"{kind}，"


def lists_text(out: analysis.Outcome) -> str:
    """The lists in the briefing's words: 授予甲流动红旗，乙流动黄旗 (by place) or 整改率≥90%列入红榜的：甲（93.3%）；
    <85%列入黑榜的：乙（80.0%）；丙本周无督查问题，不列入 (by threshold)."""
    ls, lr = out.lists, out.lists.rule
    if not lr.by_threshold:
        return f"授予{_names(ls.red['unit'])}{lr.red_name}，{_names(ls.low['unit'])}{lr.low_name}"

    def named(rows):
        if rows.empty:
            return "无"
        if lr.on == "index":
            return "、".join(str(u) for u in rows["unit"])
        return "、".join(f"{u}（{lr.show(v)}）" for u, v in zip(rows["unit"], rows["list_value"]))

    cut = (lambda v: f"{v * 100:g}%") if lr.on != "index" else (lambda v: f"{v:g}分")
    what = ranking_rules.LIST_MEASURES[lr.on]
    text = (f"{what}达到{cut(lr.red)}列入{lr.red_name}的：{named(ls.red)}；低于{cut(lr.low)}列入{lr.low_name}的："
            f"{named(ls.low)}")
    if ls.left_out:
        text += f"；{_names(ls.left_out)}本周{lr.left_out_because}，不列入"
    return text


def steady_text(r: analysis.Ranking, most: int = 6) -> str:
    """甲、乙名次下降，但综合指数变化在正常波动范围内，不作退位评价。 (the units whose place fell within their own
    noise, the largest falls first, at most ``most`` named; empty when none)"""
    down, _ = analysis.steady_units(r)
    if not down:
        return ""
    fall = r.table.set_index("unit")["change"]
    down = sorted(down, key=lambda u: (float(fall.get(u, 0)), u))
    names = "、".join(down[:most]) + (f"等{len(down)}个单位" if len(down) > most else "")
    return f"{names}名次下降，但综合指数{ranking_rules.STEADY_TEXT}，不作退位评价。"


def _ranking_table(number: int, key: str, r: analysis.Ranking, index: analysis.IndexDef, label: str,
                   out: analysis.Outcome) -> Table:
    t = r.table
    lr = out.lists.rule
    name = {"red": lr.red_name.removeprefix("流动"), "yellow": lr.low_name.removeprefix("流动")}
    flag = dict(zip(t["unit"], ranking_rules.flags(t, out.lists)))
    frame = pd.DataFrame({"排名": t["rank"], label: t["unit"], "综合指数": t["total"]})
    for part in index.parts:
        frame[f"{part.name}（{part.weight:g}）"] = t[part.name]
    steady = t["steady"] if "steady" in t else pd.Series(pd.NA, index=t.index)
    frame["较上周"] = [analysis.change_label(c) for c in t["change"]]
    frame["变化判断"] = [{ranking_rules.STEADY_TEXT: "正常波动", "超出正常波动": "超出波动"}.get(
        analysis.judgement(c, s), "") for c, s in zip(t["change"], steady)]
    if lr.by_threshold and lr.on != "index":
        frame[ranking_rules.LIST_MEASURES[lr.on]] = lr.value_of(t).to_numpy()
    frame["红黑榜" if lr.by_threshold else "红黄旗"] = [name.get(flag.get(u, ""), "") for u in t["unit"]]
    # the printed table keeps to what is read at the meeting (place, index, change, its judgement, the lists); the
    # part points stay in the Excel sheet, and the note says how the index is made
    doc = tuple(c for c in frame.columns if c not in {f"{p.name}（{p.weight:g}）" for p in index.parts})
    fmts = {"排名": "int", "综合指数": "0.0"} | {f"{p.name}（{p.weight:g}）": "0.0" for p in index.parts} | \
        {v: "pct" for v in ranking_rules.LIST_MEASURES.values() if v != "综合指数"}
    note = f"{index.title}满分 {index.full:g} 分：" + "、".join(f"{p.name}{p.weight:g}分" for p in index.parts) + \
        f"（各部分得分见 Excel 附表）；测评部分按本周末已有的最近一轮测评。分榜规则：{lr.describe()}。变化判断：“正常波动”指名次虽变、" \
        "综合指数较上周的变化在该单位自身正常波动范围内，不作进位、退位评价。"
    if r.excluded:
        note += f"本周无数据、未参加排名：{'、'.join(r.excluded)}。"
    if r.published is not None:
        note += f"名次、综合指数和红黑榜为{publish.published_label(r.published)}的结果。"
    return Table(number, key, f"表{number} {label}综合指数排名", f"{label}综合指数排名", frame.reset_index(drop=True),
                 fmts, note=note, doc_columns=doc)


def _overdue_dept_table(od: pd.DataFrame) -> Table:
    frame = pd.DataFrame({"责任单位": od["department"], "逾期未整改": od["overdue"], "红卡": od["red"],
                          "黄卡": od["yellow"], "白卡": od["white"], "逾期超过30天": od["over_30"],
                          "最长逾期天数": od["max_days"]})
    fmts = {c: "int" for c in frame.columns if c != "责任单位"}
    return Table(8, "逾期按单位", "表8 各责任单位逾期未整改问题", "各责任单位逾期未整改问题", frame, fmts)


def _overdue_list_table(od: pd.DataFrame, total: int) -> Table:
    frame = pd.DataFrame({
        "序号": np.arange(1, len(od) + 1), "问题编号": od["problem_id"], "街道（镇）": od["street"],
        "责任单位": od["department"], "点位": od["site"], "问题类别": od["category"], "问题描述": od["description"],
        "督办卡": od["card"], "发现日期": pd.to_datetime(od["found_on"]), "整改时限": pd.to_datetime(od["deadline"]),
        "状态": od["status"], "逾期天数": od["days_overdue"]})
    fmts = {"序号": "int", "发现日期": "date", "整改时限": "date", "逾期天数": "int"}
    note = f"共 {total} 个，按逾期天数从长到短" + (f"；此处列出逾期最久的 {len(od)} 个" if total > len(od) else "") + "。"
    return Table(9, "逾期清单", f"表9 逾期时间最长的{min(DOC_OVERDUE_ROWS, len(od))}个问题", "逾期未整改问题清单", frame, fmts,
                 doc_rows=DOC_OVERDUE_ROWS,
                 doc_columns=("序号", "街道（镇）", "责任单位", "点位", "问题描述", "督办卡", "整改时限", "逾期天数"),
                 note=note)


def _rebounds_table(reb: pd.DataFrame, pairs: int) -> Table:
    frame = pd.DataFrame({
        "序号": np.arange(1, len(reb) + 1), "点位": reb["site"], "街道（镇）": reb["street"], "问题类别": reb["category"],
        "责任单位": reb["department"], "反弹次数": reb["rebounds"], "最近发现": pd.to_datetime(reb["last_found"])})
    fmts = {"序号": "int", "反弹次数": "int", "最近发现": "date"}
    note = f"共 {pairs} 个点位类别" + (f"；此处列出前 {len(reb)} 个" if pairs > len(reb) else "") + "。"
    return Table(10, "反弹点位", f"表10 反弹较多的{min(DOC_REBOUND_ROWS, len(reb))}个点位", "本周反弹问题（点位×类别）", frame,
                 fmts, doc_rows=DOC_REBOUND_ROWS, note=note)


# ----------------------------------------------------------------------------------------------------
# chart data (drawn by campaign.briefing.charts)
def _score_chart(upto: pd.DataFrame, rid: int, target: float) -> Chart:
    data = upto[["round_id", "round_name", "total", "rank"]].copy()
    data["short"] = [analysis.short_round(n) for n in data["round_name"]]
    return Chart(1, "score_trend", "图1 历次测评总分与同组排名", analysis.total_title(upto, rid, target), "score_trend",
                 data, {"target": target, "round_id": rid})


def _boards_chart(losses: pd.DataFrame, pass_rate: float) -> Chart:
    top = losses.head(CHART_BOARDS)[["code", "content", "name", "lost", "rate", "below_pass"]].reset_index(drop=True)
    below = int(losses["below_pass"].sum())
    title = (f"{below} 项低于及格线，丢分最多：{top['content'].iat[0]}（{top['lost'].iat[0]:.2f} 分）" if len(top)
             else "丢分最多的指标")
    return Chart(2, "short_boards", f"图2 失分最多的{len(top)}项指标", title, "short_boards", top,
                 {"pass_rate": pass_rate})


def _street_chart(r: analysis.Ranking, full: float, out: analysis.Outcome) -> Chart:
    data = r.table[["unit", "rank", "total", "change"]].copy()
    data["flag"] = [f if f in ("red", "yellow") else "" for f in ranking_rules.flags(r.table, out.lists)]
    steady = r.table["steady"] if "steady" in r.table else pd.Series(pd.NA, index=r.table.index)
    data["change_label"] = [analysis.change_with_noise(c, s) for c, s in zip(data["change"], steady)]
    lr = out.lists.rule
    return Chart(3, "street_ranking", "图3 街道（镇）综合指数排名", analysis.ranking_title(r), "street_ranking", data,
                 {"full": full, "red_name": lr.red_name, "low_name": lr.low_name})
