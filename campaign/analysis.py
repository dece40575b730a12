"""The analysis pages' numbers: trends, short boards, rankings (composite index, rank change, red and yellow
lists) and rectification. Plain functions over DataFrames; those that need data take the connection first and
read it through named queries and the scoring model.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from campaign import metrics, queries, scoring
from campaign.config import DATA_DIR, read_yaml

RANKING_FILE = DATA_DIR / "ranking_index.yaml"
UNITS = {"street": "街道（镇）", "department": "责任单位"}
MEASURES = {
    "assessment_rate": "测评达标率", "lost": "测评失分", "problem_density": "问题密度", "problems": "问题数",
    "deduction": "督查扣分", "on_time_rate": "按期整改率", "overdue": "逾期数", "open": "未整改数",
    "rebound_rate": "反弹率", "median_days": "整改天数中位数",
}
RATE_MEASURES = {"assessment_rate", "on_time_rate", "rebound_rate"}
STREET_ONLY = {"problem_density"}
CN_DIGITS = "零一两三四五六七八九十"


class IndexFileError(ValueError):
    """The ranking index file is wrong; the message names the file, the part and the field, in Chinese."""


@dataclass(frozen=True)
class IndexPart:
    name: str
    measure: str
    weight: float
    better: str   # higher | lower
    method: str   # rate | relative

    def as_tuple(self) -> tuple:
        return (self.name, self.measure, self.weight, self.better, self.method)


@dataclass(frozen=True)
class IndexDef:
    unit: str
    title: str
    parts: tuple[IndexPart, ...]

    @property
    def full(self) -> float:
        return float(sum(p.weight for p in self.parts))

    def spec(self) -> tuple:
        """A hashable form for cached calls (the file can change while the data does not)."""
        return tuple(p.as_tuple() for p in self.parts)


def load_index(path: Path | str = RANKING_FILE) -> dict[str, IndexDef]:
    """Both composite indices (street, department) from the office's file, validated."""
    path = Path(path)
    raw = read_yaml(path, "排名指数文件", IndexFileError)
    if not isinstance(raw, dict):
        raise IndexFileError(f"排名指数文件 {path.name} 应当包含 street 和 department 两部分")
    out = {}
    for unit, label in UNITS.items():
        block = raw.get(unit)
        where = f"{path.name} 的 {unit}（{label}）"
        if not isinstance(block, dict) or not isinstance(block.get("parts"), list) or not block["parts"]:
            raise IndexFileError(f"{where}：缺少 parts 列表")
        parts = tuple(_part(p, f"{where} 第 {i} 个部分", unit) for i, p in enumerate(block["parts"], start=1))
        out[unit] = IndexDef(unit, str(block.get("title") or f"{label}综合指数"), parts)
    return out


def _part(raw, where: str, unit: str) -> IndexPart:
    if not isinstance(raw, dict):
        raise IndexFileError(f"{where}：应写成 name / measure / weight / better / method 五项")
    for key in ("name", "measure", "weight", "better", "method"):
        if raw.get(key) in (None, ""):
            raise IndexFileError(f"{where}：缺少 {key}")
    measure = str(raw["measure"])
    if measure not in MEASURES:
        raise IndexFileError(f"{where}（{raw['name']}）：measure “{measure}” 不可用，可用：{'、'.join(MEASURES)}")
    if measure in STREET_ONLY and unit != "street":
        raise IndexFileError(f"{where}（{raw['name']}）：{measure} 只能用于街道排名")
    try:
        weight = float(raw["weight"])
    except (TypeError, ValueError):
        raise IndexFileError(f"{where}（{raw['name']}）：weight “{raw['weight']}” 不是数字") from None
    if weight <= 0:
        raise IndexFileError(f"{where}（{raw['name']}）：weight 应大于 0")
    better, method = str(raw["better"]), str(raw["method"])
    if better not in ("higher", "lower"):
        raise IndexFileError(f"{where}（{raw['name']}）：better 只能是 higher 或 lower，而不是“{better}”")
    if method not in ("rate", "relative"):
        raise IndexFileError(f"{where}（{raw['name']}）：method 只能是 rate 或 relative，而不是“{method}”")
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
    m["overdue"] = m["overdue_at_end"]
    m["open"] = m["open_at_end"]
    m["median_days"] = m["median_days"].astype(float)
    return m


def composite_index(values: pd.DataFrame, parts: tuple[IndexPart, ...] | list[IndexPart]) -> pd.DataFrame:
    """Points per part, total and rank (1 = best; ties share the better rank) for one period's units.

    values: one row per unit (column ``unit``) with a column per measure the parts use.
    rate: weight × value (higher better) or weight × (1 − value); relative: best unit full marks, worst 0,
    linear between (all equal: full marks). A missing value scores the other units' mean points for that part.
    """
    out = pd.DataFrame({"unit": values["unit"].to_numpy()})
    total = np.zeros(len(values))
    for p in parts:
        v = pd.to_numeric(values[p.measure], errors="coerce").astype(float).to_numpy()
        if p.method == "rate":
            r = np.clip(v, 0.0, 1.0)
            pts = p.weight * (r if p.better == "higher" else 1.0 - r)
        else:
            ok = ~np.isnan(v)
            if ok.any():
                best = np.nanmax(v) if p.better == "higher" else np.nanmin(v)
                worst = np.nanmin(v) if p.better == "higher" else np.nanmax(v)
                span = best - worst
                pts = np.full(len(v), p.weight) if span == 0 else p.weight * (v - worst) / span
            else:
                pts = np.full(len(v), np.nan)
        missing = np.isnan(pts)
        if missing.any():
            pts = np.where(missing, np.nanmean(pts) if (~missing).any() else p.weight, pts)
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


def red_yellow(table: pd.DataFrame, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """流动红旗 (the best n) and 流动黄旗 (the worst n, worst first) of a ranked table (columns unit, rank, total);
    a published table (column ``flag``) keeps the flags it was published with."""
    t = table.sort_values(["rank", "unit"])
    if "flag" in t.columns:
        return (t[t["flag"].eq("red")].reset_index(drop=True),
                t[t["flag"].eq("yellow")].iloc[::-1].reset_index(drop=True))
    n = min(n, len(t) // 2)
    return t.head(n).reset_index(drop=True), t.tail(n).iloc[::-1].reset_index(drop=True)


@dataclass
class Ranking:
    unit: str                 # street | department
    parts: tuple[IndexPart, ...]
    table: pd.DataFrame       # latest period: unit, rank, change, total, part points, measures (with
                              # assessment_rate_before: the round before), lost
    history: pd.DataFrame     # k, period_start, period_end, unit, total, rank
    excluded: list[str]       # units without any data (not ranked)
    published: object = None  # publish.Publication when this is the published ranking (publish.published_view)
    live: "Ranking | None" = None  # then: the ranking computed from today's data


def ranking(con: duckdb.DuckDBPyConnection, unit: str, spec: tuple, start: date, end: date,
            round_id: int | None = None, street: str | None = None, department: str | None = None,
            site_type: str | None = None, category: str | None = None, periods: int = 4,
            rebound_days: int = 30) -> Ranking:
    """Streets or departments by the composite index, for the period and the ``periods - 1`` before it.

    spec: IndexDef.spec() of the office's file. The ranked dimension's own filter is ignored (streets are
    ranked among all streets; a department filter narrows the street ranking to that department's problems).
    The assessment parts use round ``round_id`` for every period.
    """
    parts = tuple(IndexPart(*p) for p in spec)
    if unit == "street":
        street = None
    else:
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
    active = m.groupby("unit")[["problems", "due", "open_at_end", "observations"]].sum().sum(axis=1) > 0
    excluded = sorted(active.index[~active]) if unit == "department" else []
    m = m[~m["unit"].isin(excluded)]
    hist = []
    for k, g in m.groupby("k", sort=True):
        idx = composite_index(g.reset_index(drop=True), parts)
        idx.insert(0, "k", k)
        hist.append(idx)
    history = pd.concat(hist, ignore_index=True) if hist else pd.DataFrame(columns=["k", "unit", "total", "rank"])
    bounds = m[["k", "period_start", "period_end"]].drop_duplicates()
    history = history.merge(bounds, on="k", how="left")
    cur = history[history["k"].eq(0)].drop(columns=["k", "period_start", "period_end"])
    prev = history.loc[history["k"].eq(1), ["unit", "rank"]].rename(columns={"rank": "prev_rank"})
    table = cur.merge(prev, on="unit", how="left")
    table["change"] = rank_change(table["rank"], table["prev_rank"])
    table = table.merge(m[m["k"].eq(0)].drop(columns=["k"]), on="unit", how="left")
    table = table.sort_values(["rank", "unit"], ignore_index=True)
    return Ranking(unit, parts, table, history[["k", "period_start", "period_end", "unit", "total", "rank"]],
                   excluded)


def _lost(con, unit: str, round_id: int | None, street: str | None, department: str | None) -> pd.DataFrame:
    """Points the unit lost in the round (谁丢分谁负责), within the other dimension's filter."""
    if round_id is None:
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
                    category: str | None = None) -> pd.DataFrame:
    """Assessed standards of the round ranked by points lost, with the pass line and the period's ledger.

    lost: the standard's lost points (points × (1 − rate)); with a street or department filter, the part of
    them attributed to it (谁丢分谁负责). Site-type and category filters keep the standards that cover them.
    Columns: code, name, section, item, method, points, rate, lost, below_pass, problems, deduction, cum_share.
    """
    detail = metrics.round_detail(con, round_id)
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
