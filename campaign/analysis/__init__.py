"""The analysis pages' numbers: trends, short boards, rankings (composite index, rank change, red and yellow or
black lists by the office's rule, talks, changes within noise) and rectification. Plain functions over
DataFrames; those that need data take the connection first and read it through named queries and the scoring
model.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from campaign import queries
from campaign.analysis import metrics, ranking_rules
from campaign.analysis.ranking_rules import FairRule, ListRule, TalkRule
from campaign.config import DATA_DIR, read_yaml
from campaign.model import scoring

RANKING_FILE = DATA_DIR / "ranking_index.yaml"
UNITS = {"street": "街道（镇）", "department": "责任单位", "site_unit": "包保单位", "community": "社区"}
REQUIRED_UNITS = ("street", "department")
MEASURES = {
    "assessment_rate": "测评达标率", "lost": "测评失分", "problem_density": "问题密度", "problems": "问题数",
    "deduction": "督查扣分", "on_time_rate": "按期整改率", "overdue": "逾期数", "open": "未整改数",
    "rebound_rate": "反弹率", "median_days": "整改天数中位数", "fix_rate": "整改率", "site_pass_rate": "点位达标率",
    "entered": "创城办录入",
}
RATE_MEASURES = {"assessment_rate", "on_time_rate", "rebound_rate", "fix_rate", "site_pass_rate"}
VISIT_MEASURES = {"problem_density", "site_pass_rate"}   # need site visits: streets and 包保单位 only
VISIT_UNITS = {"street", "site_unit"}
CN_DIGITS = "零一两三四五六七八九十"


class IndexFileError(ValueError):
    """The ranking index file is wrong; the message names the file, the part and the field, in Chinese."""


@dataclass(frozen=True)
class IndexPart:
    name: str
    measure: str
    weight: float
    better: str   # higher | lower
    method: str   # rate | relative | entered (points the office enters each period, at most the weight)

    def as_tuple(self) -> tuple:
        return (self.name, self.measure, self.weight, self.better, self.method)

    @property
    def column(self) -> str:
        """The column of a unit's values the part reads (entered points: one column per entered part)."""
        return f"entered:{self.name}" if self.measure == "entered" else self.measure


@dataclass(frozen=True)
class IndexDef:
    unit: str
    title: str
    parts: tuple[IndexPart, ...]
    lists: ListRule = ListRule()
    talks: TalkRule = TalkRule()
    fair: FairRule = FairRule()

    @property
    def full(self) -> float:
        return float(sum(p.weight for p in self.parts))

    @property
    def label(self) -> str:
        return UNITS[self.unit]

    @property
    def entered(self) -> tuple[IndexPart, ...]:
        return tuple(p for p in self.parts if p.measure == "entered")

    def spec(self) -> tuple:
        """A hashable form for cached calls (the file can change while the data does not)."""
        return tuple(p.as_tuple() for p in self.parts)


def load_index(path: Path | str | None = None) -> dict[str, IndexDef]:
    """The rankings the office's file defines (street and department always; 包保单位 and community when the
    file has them), each with its composite index, its lists, its talk rule and the fair-comparison setting.
    Without ``path``: the file at RANKING_FILE (read at each call)."""
    path = Path(path if path is not None else RANKING_FILE)
    raw = read_yaml(path, "排名指数文件", IndexFileError)
    if not isinstance(raw, dict):
        raise IndexFileError(f"排名指数文件 {path.name} 应当包含 street 和 department 两部分")
    unknown = set(raw) - set(UNITS) - {"fair"}
    if unknown:
        raise IndexFileError(f"{path.name}：不认识的部分 {'、'.join(sorted(map(str, unknown)))}；"
                             f"可用：{'、'.join(f'{k}（{v}）' for k, v in UNITS.items())}、fair（正常波动判断）")
    try:
        fair = ranking_rules.parse_fair(raw.get("fair"), path.name)
    except ranking_rules.RuleError as exc:
        raise IndexFileError(str(exc)) from None
    out = {}
    for unit, label in UNITS.items():
        block = raw.get(unit)
        if block is None and unit not in REQUIRED_UNITS:
            continue
        where = f"{path.name} 的 {unit}（{label}）"
        if not isinstance(block, dict) or not isinstance(block.get("parts"), list) or not block["parts"]:
            raise IndexFileError(f"{where}：缺少 parts 列表")
        parts = tuple(_part(p, f"{where} 第 {i} 个部分", unit) for i, p in enumerate(block["parts"], start=1))
        names = [p.name for p in parts]
        if len(set(names)) < len(names):
            raise IndexFileError(f"{where}：部分名称 “{next(n for n in names if names.count(n) > 1)}” 重复")
        full = float(sum(p.weight for p in parts))
        try:
            lists = ranking_rules.parse_lists(block.get("lists"), where, full)
            talks = ranking_rules.parse_talks(block.get("talks"), where)
        except ranking_rules.RuleError as exc:
            raise IndexFileError(str(exc)) from None
        out[unit] = IndexDef(unit, str(block.get("title") or f"{label}综合指数"), parts, lists, talks, fair)
    return out


def _part(raw, where: str, unit: str) -> IndexPart:
    if not isinstance(raw, dict):
        raise IndexFileError(f"{where}：应写成 name / measure / weight / better / method 五项")
    for key in ("name", "measure", "weight"):
        if raw.get(key) in (None, ""):
            raise IndexFileError(f"{where}：缺少 {key}")
    measure = str(raw["measure"])
    if measure not in MEASURES:
        raise IndexFileError(f"{where}（{raw['name']}）：measure “{measure}” 不可用，可用：{'、'.join(MEASURES)}")
    try:
        weight = float(raw["weight"])
    except (TypeError, ValueError):
        raise IndexFileError(f"{where}（{raw['name']}）：weight “{raw['weight']}” 不是数字") from None
    if weight <= 0:
        raise IndexFileError(f"{where}（{raw['name']}）：weight 应大于 0")
    if measure == "entered":
        if raw.get("method") not in (None, "", "entered"):
            raise IndexFileError(f"{where}（{raw['name']}）：创城办录入的部分 method 只能是 entered（或不写）")
        return IndexPart(str(raw["name"]), measure, weight, "higher", "entered")
    for key in ("better", "method"):
        if raw.get(key) in (None, ""):
            raise IndexFileError(f"{where}：缺少 {key}")
    if measure in VISIT_MEASURES and unit not in VISIT_UNITS:
        raise IndexFileError(f"{where}（{raw['name']}）：{measure} 只能用于街道和包保单位排名（需要巡查点位次）")
    if measure == "lost" and unit not in ("street", "department"):
        raise IndexFileError(f"{where}（{raw['name']}）：lost 只能用于街道和责任单位排名")
    better, method = str(raw["better"]), str(raw["method"])
    if better not in ("higher", "lower"):
        raise IndexFileError(f"{where}（{raw['name']}）：better 只能是 higher 或 lower，而不是“{better}”")
    if method not in ("rate", "relative"):
        raise IndexFileError(f"{where}（{raw['name']}）：method 只能是 rate 或 relative，而不是“{method}”"
                             + ("（创城办录入的分数请写 measure: entered）" if method == "entered" else ""))
    if method == "rate" and measure not in RATE_MEASURES:
        raise IndexFileError(f"{where}（{raw['name']}）：{measure} 不是比率，method 应为 relative")
    return IndexPart(str(raw["name"]), measure, weight, better, method)


# ----------------------------------------------------------------------------------------------------
# composite index
def with_rates(measures: pd.DataFrame) -> pd.DataFrame:
    """Add the derived measures to unit_ledger_measures rows: density, on-time and rebound rates, overdue, open."""
    m = measures.copy()
    inspections = m["inspections"].astype(float) if "inspections" in m else pd.Series(np.nan, index=m.index)
    m["problem_density"] = 100.0 * m["problems"] / inspections.where(inspections > 0)
    m["on_time_rate"] = m["due_on_time"] / m["due"].where(m["due"] > 0)
    m["rebound_rate"] = m["rebounds"] / m["problems"].where(m["problems"] > 0)
    if "fixed" in m:
        m["fix_rate"] = m["fixed"] / m["problems"].where(m["problems"] > 0)
    if "passed_visits" in m:
        m["site_pass_rate"] = m["passed_visits"].astype(float) / inspections.where(inspections > 0)
    m["overdue"] = m["overdue_at_end"]
    m["open"] = m["open_at_end"]
    m["median_days"] = m["median_days"].astype(float)
    return m


def composite_index(values: pd.DataFrame, parts: tuple[IndexPart, ...] | list[IndexPart]) -> pd.DataFrame:
    """Points per part, total and rank (1 = best; ties share the better rank) for one period's units.

    values: one row per unit (column ``unit``) with a column per measure the parts use.
    rate: weight × value (higher better) or weight × (1 − value); relative: best unit full marks, worst 0,
    linear between (all equal: full marks); entered: the points entered, at most the weight. A missing value
    scores the other units' mean points for that part.
    """
    out = pd.DataFrame({"unit": values["unit"].to_numpy()})
    total = np.zeros(len(values))
    for p in parts:
        col = values[p.column] if p.column in values else pd.Series(np.nan, index=values.index)
        v = pd.to_numeric(col, errors="coerce").astype(float).to_numpy()
        pts = ranking_rules.part_points(p, v[:, None])[:, 0]
        out[p.name] = pts + 0.0  # no negative zero
        total += pts
    out["total"] = total
    out["rank"] = out["total"].round(6).rank(ascending=False, method="min").astype(int)
    return out.sort_values(["rank", "unit"], ignore_index=True)


def rank_change(current: pd.Series, previous: pd.Series) -> pd.Series:
    """Places gained since the previous period (positive = up); NaN where there was no previous rank."""
    return previous.astype(float) - current.astype(float)


def change_label(change: float) -> str:
    """↑2 / ↓1 / — (no change) / 新 (not ranked before)."""
    if change is None or pd.isna(change):
        return "新"
    if change > 0:
        return f"↑{int(change)}"
    if change < 0:
        return f"↓{int(-change)}"
    return "—"


def streak(history: pd.DataFrame, where: str = "bottom") -> tuple[str | None, int]:
    """The unit alone at the bottom (or top) in the latest period, and for how many periods in a row.

    history: columns k (0 = latest, 1 = the one before, …), unit, rank (1 = best).
    """
    if history.empty:
        return None, 0
    holders = []
    for _, g in history.groupby("k", sort=True):
        target = g["rank"].max() if where == "bottom" else g["rank"].min()
        holders.append(set(g.loc[g["rank"].eq(target), "unit"]))
    if len(holders[0]) != 1:
        return None, 0
    unit = next(iter(holders[0]))
    n = 0
    for s in holders:
        if unit not in s:
            break
        n += 1
    return unit, n


def cn_count(n: int) -> str:
    """两 / 三 / … / 十, then digits (连续三周)."""
    return CN_DIGITS[n] if 0 <= n <= 10 else str(n)


def red_yellow(table: pd.DataFrame, rule: ListRule | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The red list (best first) and the low list (流动黄旗 or 黑榜, worst first) of a ranked table by the office's
    rule (default: the best 3 and the worst 3 places); a published table (column ``flag``) keeps the lists it was
    published with."""
    ls = ranking_rules.lists(table, rule)
    return ls.red, ls.low


@dataclass
class Ranking:
    unit: str                 # street | department | site_unit | community
    parts: tuple[IndexPart, ...]
    table: pd.DataFrame       # latest period: unit, rank, change, total, part points, measures (with
                              # assessment_rate_before: the round before), lost; delta (index change since the
                              # period before), noise (half width of its bootstrap interval), steady (the change
                              # lies within the unit's own noise; NA without a period before)
    history: pd.DataFrame     # k, period_start, period_end, unit, total, rank, problems, fix_rate, on_time_rate
    excluded: list[str]       # units without any data (not ranked)
    published: object = None  # publish.Publication when this is the published ranking (publish.published_view)
    live: "Ranking | None" = None  # then: the ranking computed from today's data
    missing_entries: list[str] = dataclasses.field(default_factory=list)  # units without this period's entered points


HISTORY_COLUMNS = ["k", "period_start", "period_end", "unit", "total", "rank", "problems", "fix_rate", "on_time_rate"]


def ranking(con: duckdb.DuckDBPyConnection, unit: str, spec: tuple, start: date, end: date,
            round_id: int | None = None, street: str | None = None, department: str | None = None,
            site_type: str | None = None, category: str | None = None, periods: int = 4,
            rebound_days: int = 30, fair: tuple | None = FairRule().spec()) -> Ranking:
    """Units of one kind (street, department, 包保单位, community) by the composite index, for the period and the
    ``periods - 1`` before it.

    spec: IndexDef.spec() of the office's file. The ranked dimension's own filter is ignored (streets are
    ranked among all streets; a department filter narrows the street ranking to that department's problems).
    The assessment parts use round ``round_id`` for every period; entered parts read the points the office
    entered for each period (ranking_entries). fair: FairRule.spec() (level, draws, seed), or None to skip the
    comparison with each unit's noise.
    """
    parts = tuple(IndexPart(*p) for p in spec)
    if unit == "street":
        street = None
    elif unit == "department":
        department = None
    filt = dict(street=street, department=department, site_type=site_type, category=category)
    led = with_rates(queries.run(con, "unit_ledger_measures", unit=unit, start=start, end=end, periods=periods,
                                 rebound_days=rebound_days, **filt))
    ass = queries.run(con, "unit_assessment_by_round", unit=unit, **{**filt, "category": None})
    ass = ass.assign(assessment_rate=ass["score"] / ass["max_score"].where(ass["max_score"] > 0))
    order = queries.run(con, "assessment_rounds")["round_id"].tolist()
    before = order[order.index(round_id) - 1] if round_id in order and order.index(round_id) > 0 else None
    prev_rate = ass.loc[ass["round_id"].eq(before), ["unit", "assessment_rate"]].rename(
        columns={"assessment_rate": "assessment_rate_before"})
    ass = ass[ass["round_id"].eq(round_id)] if round_id is not None else ass.iloc[0:0]
    lost = _lost(con, unit, round_id, street, department)
    m = led.merge(ass[["unit", "assessment_rate", "observations"]], on="unit", how="left") \
           .merge(prev_rate, on="unit", how="left").merge(lost, on="unit", how="left")
    m["observations"] = m["observations"].fillna(0).astype(int)
    entered = [p for p in parts if p.measure == "entered"]
    missing_entries: list[str] = []
    if entered:
        m = _with_entries(con, m, unit, entered, start, end)
        now = m[m["k"].eq(0)]
        missing_entries = sorted(now.loc[now[[p.column for p in entered]].isna().any(axis=1), "unit"])
    active = m.groupby("unit")[["problems", "due", "open_at_end", "observations"]].sum().sum(axis=1) > 0
    excluded = sorted(active.index[~active]) if unit != "street" else []
    m = m[~m["unit"].isin(excluded)]
    missing_entries = [u for u in missing_entries if u not in excluded]
    hist, points = [], {}
    for k, g in m.groupby("k", sort=True):
        g = g.reset_index(drop=True)
        idx = composite_index(g, parts)
        points[k] = g
        idx.insert(0, "k", k)
        hist.append(idx.merge(g[["unit", "problems", "fix_rate", "on_time_rate"]], on="unit", how="left"))
    history = pd.concat(hist, ignore_index=True) if hist else pd.DataFrame(
        columns=[c for c in HISTORY_COLUMNS if c not in ("period_start", "period_end")])
    bounds = m[["k", "period_start", "period_end"]].drop_duplicates()
    history = history.merge(bounds, on="k", how="left")
    cur = history[history["k"].eq(0)].drop(columns=["k", "period_start", "period_end", "problems", "fix_rate",
                                                    "on_time_rate"])
    prev = history.loc[history["k"].eq(1), ["unit", "rank", "total"]].rename(
        columns={"rank": "prev_rank", "total": "prev_total"})
    table = cur.merge(prev, on="unit", how="left")
    table["change"] = rank_change(table["rank"], table["prev_rank"])
    table = table.merge(m[m["k"].eq(0)].drop(columns=["k"]), on="unit", how="left")
    table = table.sort_values(["rank", "unit"], ignore_index=True)
    table = _with_noise(table, points, parts, fair)
    return Ranking(unit, parts, table, history[HISTORY_COLUMNS], excluded, missing_entries=missing_entries)


def _with_entries(con, m: pd.DataFrame, unit: str, entered: list[IndexPart], start: date, end: date) -> pd.DataFrame:
    """One column per entered part (entered:<name>): the points the office entered for the unit and period."""
    e = queries.run(con, "ranking_entries_for_periods", unit=unit, start=start, end=end)
    e = e[e["part"].isin([p.name for p in entered])]
    wide = e.pivot_table(index=["unit", "period_end"], columns="part", values="points", aggfunc="last")
    wide.columns = [f"entered:{c}" for c in wide.columns]
    wide = wide.reset_index()
    wide["period_end"] = pd.to_datetime(wide["period_end"])
    out = m.assign(_end=pd.to_datetime(m["period_end"])).merge(
        wide.rename(columns={"period_end": "_end"}), on=["unit", "_end"], how="left").drop(columns=["_end"])
    for p in entered:
        if p.column not in out:
            out[p.column] = np.nan
    return out


def _with_noise(table: pd.DataFrame, points: dict, parts: tuple[IndexPart, ...], fair: tuple | None) -> pd.DataFrame:
    """delta, noise and steady per unit (ranking_rules: a bootstrap of both periods' ledger measures)."""
    table = table.assign(delta=table["total"] - table["prev_total"], noise=np.nan,
                         steady=pd.array([pd.NA] * len(table), dtype="boolean"))
    if fair is None or 0 not in points or 1 not in points:
        return table
    level, draws, seed = fair
    rng = np.random.default_rng(seed)
    g0, g1 = points[0], points[1]
    g0 = g0.set_index("unit").loc[table["unit"]].reset_index()
    now = ranking_rules.index_draws(g0, parts, ranking_rules.resample(_draw_input(g0), int(draws), rng))
    # the period before with its own units, then in the order of this one (units it did not rank: no draws)
    before_all = ranking_rules.index_draws(g1, parts, ranking_rules.resample(_draw_input(g1), int(draws), rng))
    pos = pd.Series(np.arange(len(g1)), index=g1["unit"]).reindex(table["unit"]).to_numpy()
    have = ~np.isnan(pos)
    before = before_all[np.nan_to_num(pos).astype(int)] if len(g1) else np.zeros_like(now)
    delta = table["delta"].to_numpy(dtype=float)
    ok = have & ~np.isnan(delta)
    st, half = ranking_rules.steady(np.nan_to_num(delta), now, np.nan_to_num(before), float(level))
    table["noise"] = np.where(ok, half, np.nan)
    table["steady"] = pd.array([bool(x) if o else pd.NA for x, o in zip(st, ok)], dtype="boolean")
    return table


def _draw_input(g: pd.DataFrame) -> pd.DataFrame:
    return g.assign(overdue=g.get("overdue_at_end", g.get("overdue")), open=g.get("open_at_end", g.get("open")))


def _lost(con, unit: str, round_id: int | None, street: str | None, department: str | None) -> pd.DataFrame:
    """Points the unit lost in the round (谁丢分谁负责), within the other dimension's filter (streets and
    departments only: the attribution names no 包保单位 or community)."""
    if round_id is None or unit not in ("street", "department"):
        return pd.DataFrame({"unit": pd.Series(dtype=str), "lost": pd.Series(dtype=float)})
    att = metrics.round_detail(con, round_id).attribution
    if street:
        att = att[att["street"].eq(street)]
    if department:
        att = att[att["department"].eq(department)]
    out = metrics.lost_by(att, unit).rename(columns={unit: "unit"})
    return out[out["unit"].ne(scoring.DISTRICT_LEVEL)]


def ranking_title(r: Ranking, word: str = "周") -> str:
    """The point of the ranking chart: a streak at the bottom or top, else who leads and who trails."""
    label = UNITS[r.unit][:2] if r.unit == "street" else "单位"
    if r.table.empty:
        return f"本{word}无可排名的{label}"
    bottom, nb = streak(r.history, "bottom")
    top, nt = streak(r.history, "top")
    periods = r.history["k"].nunique()
    if bottom and nb >= 2:
        span = f"近{cn_count(nb)}{word}均" if nb == periods and periods > 2 else f"连续{cn_count(nb)}{word}"
        return f"{bottom}{span}排名末位"
    if top and nt >= 2:
        span = f"近{cn_count(nt)}{word}均" if nt == periods and periods > 2 else f"连续{cn_count(nt)}{word}"
        return f"{top}{span}排名第一"
    first, last = r.table.iloc[0], r.table.iloc[-1]
    return f"本{word}{first.unit}居首，{last.unit}末位"


# ----------------------------------------------------------------------------------------------------
# trends
def group_rates_by_round(con: duckdb.DuckDBPyConnection, by: str = "item") -> pd.DataFrame:
    """Points, earned, lost and rate per round × section (by="section") or × item (by="item")."""
    std = metrics.standards(con)
    rounds = queries.run(con, "assessment_rounds")
    obs = queries.run(con, "observation_totals_by_round")
    survey = queries.run(con, "survey_rates_by_round")
    keys = ["section"] if by == "section" else ["section", "item"]
    out = []
    for r in rounds.itertuples(index=False):
        rates = scoring.standard_rates(std, obs[obs["round_id"].eq(r.round_id)],
                                       survey[survey["round_id"].eq(r.round_id)])
        g = scoring.group_scores(rates[rates["assessed"]], keys)
        g.insert(0, "round_name", r.round_name)
        g.insert(0, "round_id", r.round_id)
        out.append(g)
    if not out:
        return pd.DataFrame(columns=["round_id", "round_name", *keys, "points", "earned", "lost", "rate"])
    return pd.concat(out, ignore_index=True)


def street_rates_by_round(con: duckdb.DuckDBPyConnection, site_type: str | None = None) -> pd.DataFrame:
    """Each street's field achievement per round (scoring.street_achievement) and its rank among streets."""
    rounds = queries.run(con, "assessment_rounds")
    obs = queries.run(con, "unit_assessment_by_round", unit="street", site_type=site_type)
    out = []
    for r in rounds.itertuples(index=False):
        o = obs[obs["round_id"].eq(r.round_id)].rename(columns={"unit": "street"})
        if o.empty:
            continue
        g = scoring.street_achievement(o[["street", "score", "max_score"]])
        g["rank"] = g["rate"].rank(ascending=False, method="min").astype(int)
        g.insert(0, "held_on", r.held_on)
        g.insert(0, "round_name", r.round_name)
        g.insert(0, "round_id", r.round_id)
        out.append(g)
    if not out:
        return pd.DataFrame(columns=["round_id", "round_name", "held_on", "street", "score", "max_score", "rate",
                                     "rank"])
    return pd.concat(out, ignore_index=True)


def weakest_street(rates: pd.DataFrame, round_id: int | None = None) -> tuple[str | None, int, pd.DataFrame]:
    """The street alone at the bottom of round ``round_id`` (default: the latest) and for how many rounds in a
    row up to it, with that round's rows (indexed by street). rates: street_rates_by_round."""
    ids = sorted(rates["round_id"].unique())
    upto = [r for r in ids if round_id is None or r <= round_id] or ids
    k = {r: len(upto) - 1 - i for i, r in enumerate(upto)}
    h = rates[rates["round_id"].isin(upto)].assign(k=lambda d: d["round_id"].map(k), unit=lambda d: d["street"])
    bottom, n = streak(h, "bottom")
    return bottom, n, h[h["k"].eq(0)].set_index("street")


def total_title(rounds: pd.DataFrame, round_id: int | None, target: float) -> str:
    """The point of the score-trend chart: the round's total, its change, the gap to the target, the rank."""
    if rounds.empty:
        return "尚无测评数据"
    r = rounds[rounds["round_id"].eq(round_id)] if round_id is not None else rounds.tail(1)
    i = r.index[0] if len(r) else rounds.index[-1]
    cur = rounds.loc[i]
    name = short_round(cur.round_name)
    parts = [f"{name} {cur.total:.2f} 分"]
    ups = 0
    for j in range(rounds.index.get_loc(i), 0, -1):
        if rounds.iloc[j].total > rounds.iloc[j - 1].total:
            ups += 1
        else:
            break
    if ups >= 2:
        parts.append(f"连续{cn_count(ups)}轮上升")
    elif rounds.index.get_loc(i) > 0:
        d = cur.total - rounds.iloc[rounds.index.get_loc(i) - 1].total
        parts.append(f"较上轮{'+' if d >= 0 else '−'}{abs(d):.2f} 分")
    gap = target - cur.total
    parts.append(f"距目标 {target:g} 分差 {gap:.2f} 分" if gap > 0 else f"超过目标 {target:g} 分")
    if cur["rank"] is not None and not pd.isna(cur["rank"]):
        parts.append(f"同组第 {int(cur['rank'])} 名")
    return "，".join(parts)


def short_round(name: str) -> str:
    """2026年第四轮模拟测评 → 第四轮模拟测评 (charts); 2025年度测评 stays."""
    return name[5:] if len(name) > 5 and name[4] == "年" and name[5] != "度" else name


def biggest_change(groups: pd.DataFrame, key: str, round_id: int) -> tuple[str | None, float]:
    """The group whose rate moved most (either way) between round ``round_id`` and the round before it."""
    ids = sorted(groups["round_id"].unique())
    if round_id not in ids or ids.index(round_id) == 0:
        return None, float("nan")
    before = ids[ids.index(round_id) - 1]
    p = groups.pivot_table(index=key, columns="round_id", values="rate")
    d = (p[round_id] - p[before]).dropna()
    if d.empty:
        return None, float("nan")
    k = d.abs().idxmax()
    return k, float(d[k])


# ----------------------------------------------------------------------------------------------------
# short boards
def standard_losses(con: duckdb.DuckDBPyConnection, round_id: int, start: date, end: date,
                    street: str | None = None, department: str | None = None, site_type: str | None = None,
                    category: str | None = None, framework: str = "city") -> pd.DataFrame:
    """Assessed standards of the round ranked by points lost, with the pass line and the period's ledger; the
    city's framework, or the minors' (framework="minors": its own points, out of 100).

    lost: the standard's lost points (points × (1 − rate)); with a street or department filter, the part of
    them attributed to it (谁丢分谁负责). Site-type and category filters keep the standards that cover them.
    Columns: code, name, section, item, method, points, rate, lost, below_pass, problems, deduction, cum_share.
    """
    # the city's detail is the one the other sections share (one memo key for it)
    detail = metrics.round_detail(con, round_id) if framework == "city" else \
        metrics.round_detail(con, round_id, framework=framework)
    pass_rate = metrics.settings(con).pass_rate
    r = detail.rates[detail.rates["assessed"]].copy()
    if street or department:
        att = detail.attribution
        if street:
            att = att[att["street"].eq(street)]
        if department:
            att = att[att["department"].eq(department)]
        r["lost"] = r["code"].map(att.groupby("standard_code")["lost"].sum()).fillna(0.0)
    if site_type:
        r = r[r["site_types"].map(lambda v: v is not None and site_type in list(v))]
    if category:
        r = r[r["categories"].map(lambda v: v is not None and category in list(v))]
    led = queries.run(con, "problems_by_standard", start=start, end=end, street=street, department=department,
                      site_type=site_type, category=category).set_index("standard_code")
    r["problems"] = r["code"].map(led["problems"]).fillna(0).astype(int)
    r["deduction"] = r["code"].map(led["deduction"]).fillna(0.0)
    r["below_pass"] = r["rate"] < pass_rate
    r = r.sort_values(["lost", "code"], ascending=[False, True], ignore_index=True)
    total = r["lost"].sum()
    r["cum_share"] = r["lost"].cumsum() / total if total > 0 else 0.0
    return r[["code", "name", "section", "item", "method", "points", "rate", "lost", "below_pass", "problems",
              "deduction", "cum_share"]]


def pareto_count(losses: pd.DataFrame, share: float = 0.8) -> int:
    """How many standards (largest first) make up ``share`` of the lost points."""
    if losses.empty or losses["lost"].sum() <= 0:
        return 0
    return int((losses["cum_share"] < share - 1e-12).sum()) + 1


def unit_lost_by_standard(con: duckdb.DuckDBPyConnection, round_id: int, unit: str, who: str) -> pd.DataFrame:
    """The standards a street or department lost points on in the round (谁丢分谁负责), largest first."""
    detail = metrics.round_detail(con, round_id)
    att = detail.attribution[detail.attribution[unit].eq(who)]
    g = att.groupby("standard_code", as_index=False)["lost"].sum()
    std = detail.rates[["code", "name", "item", "method", "rate"]].rename(columns={"code": "standard_code"})
    out = g.merge(std, on="standard_code", how="left")
    return out[out["lost"] > 0].sort_values("lost", ascending=False, ignore_index=True)


# ----------------------------------------------------------------------------------------------------
# the office's lists, talks and fair comparisons on a ranking
@dataclass
class Outcome:
    lists: ranking_rules.Lists
    talks: pd.DataFrame      # unit, reason (约谈), lowest first


def outcome(r: Ranking, rules: IndexDef | None = None, word: str = "周") -> Outcome:
    """The red and low lists and the talk list of a ranking by the office's rules; a published ranking keeps
    the lists, the names and the talks it was published with."""
    lr = rules.lists if rules is not None else ListRule()
    tr = rules.talks if rules is not None else TalkRule()
    pub = r.published
    if pub is not None:
        lr = dataclasses.replace(lr, red_name=pub.red_name, low_name=pub.low_name)
    ls = ranking_rules.lists(r.table, lr)
    if pub is not None and "talk" in r.table.columns:
        t = r.table[r.table["talk"].notna()].sort_values(["rank", "unit"], ascending=[False, True])
        return Outcome(ls, pd.DataFrame({"unit": t["unit"].astype(str).tolist(),
                                         "reason": t["talk"].astype(str).tolist()}))
    return Outcome(ls, ranking_rules.talks(r.table, r.history, ls, tr, word))


def judgement(change, steady) -> str:
    """变化在正常波动范围内 where the unit's place changed but its index moved within its own noise; 超出正常波动
    where the move is beyond it; empty where its place held or there is nothing to compare with."""
    if change is None or pd.isna(change) or change == 0 or steady is None or pd.isna(steady):
        return ""
    return ranking_rules.STEADY_TEXT if bool(steady) else "超出正常波动"


def change_with_noise(change, steady) -> str:
    """↑2 / ↓1 / — / 新, with （正常波动） where the move lies within the unit's noise: read as no move."""
    label = change_label(change)
    return f"{label}（正常波动）" if judgement(change, steady) == ranking_rules.STEADY_TEXT else label


def steady_units(r: Ranking) -> tuple[list[str], list[str]]:
    """(units whose place fell but within noise, units whose place rose but within noise)."""
    t = r.table
    if "steady" not in t.columns:
        return [], []
    s = t["steady"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    ch = pd.to_numeric(t["change"], errors="coerce").fillna(0).to_numpy()
    return t.loc[s & (ch < 0), "unit"].tolist(), t.loc[s & (ch > 0), "unit"].tolist()


# ----------------------------------------------------------------------------------------------------
# the minors' framework
def minors_text(total, gate_line, share, passed) -> str:
    """未成年人测评 82.4 分，低于 85 分申报线，按规定不能申报 — or that it reaches the line and counts for its
    share; empty when the round did not assess the minors' framework."""
    if total is None or pd.isna(total):
        return ""
    if passed is not None and not pd.isna(passed) and not bool(passed):
        return f"未成年人测评 {float(total):.1f} 分，低于 {float(gate_line):g} 分申报线，按规定不能申报"
    return f"未成年人测评 {float(total):.1f} 分，达到 {float(gate_line):g} 分申报线，按 {float(share):.0%} 计入总分"
