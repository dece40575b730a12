"""The office's ranking rules beyond the composite index (data/ranking_index.yaml): the lists a ranking
publishes (red and yellow by place, or red and black by a threshold on a measure, with a neutral band and units
without problems left out), who is called in for a talk (约谈), and how a unit's change is weighed against its
own week-to-week noise (a seeded bootstrap over its problems and site visits, vectorised with numpy).

Plain functions over DataFrames; campaign.analysis reads the file and builds the rankings these apply to.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LIST_MEASURES = {"index": "综合指数", "fix_rate": "整改率", "on_time_rate": "按期整改率"}
STEADY_TEXT = "变化在正常波动范围内"


class RuleError(ValueError):
    """A rule in the ranking file is wrong; the message names the place in Chinese."""


@dataclass(frozen=True)
class ListRule:
    rule: str = "rank"            # rank: the best ``red`` and the worst ``low`` places; threshold: by value
    on: str = "index"             # threshold: index | fix_rate | on_time_rate
    red: float = 3                # rank: how many; threshold: red at value ≥ red (rates as fractions)
    low: float = 3                # rank: how many; threshold: low list at value < low
    red_name: str = "流动红旗"
    low_name: str = "流动黄旗"
    skip_without_problems: bool = True  # threshold: units without problems in the period are on no list

    @property
    def by_threshold(self) -> bool:
        return self.rule == "threshold"

    def value_of(self, table: pd.DataFrame) -> pd.Series:
        """The value the lists are decided on, per row of a ranking table."""
        col = "total" if self.on == "index" else self.on
        if col not in table.columns:
            return pd.Series(np.nan, index=table.index)
        return pd.to_numeric(table[col], errors="coerce").astype(float)

    def show(self, value: float) -> str:
        """90% for a rate, 88.5 for the index."""
        if value is None or pd.isna(value):
            return "—"
        return f"{value * 100:.1f}%" if self.on != "index" else f"{value:.1f}"

    @property
    def left_out_because(self) -> str:
        """Why a unit is on no list under a threshold rule: it had nothing the measure could be taken on."""
        return "无督查问题或无到期问题" if self.on == "on_time_rate" else "无督查问题"

    def describe(self) -> str:
        """The rule in words (shown on the page, kept with a publication, said in the briefing)."""
        if not self.by_threshold:
            return f"前{int(self.red)}名{self.red_name}，后{int(self.low)}名{self.low_name}"
        what = LIST_MEASURES[self.on]
        cut = (lambda v: f"{v * 100:g}%") if self.on != "index" else (lambda v: f"{v:g}分")
        band = f"{cut(self.low)}至{cut(self.red)}之间不列入" if self.red > self.low else ""
        out = f"{what}≥{cut(self.red)}列入{self.red_name}，<{cut(self.low)}列入{self.low_name}"
        out += f"，{band}" if band else ""
        return out + (f"；本期{self.left_out_because}的单位不列入" if self.skip_without_problems
                      or self.on == "on_time_rate" else "")


@dataclass(frozen=True)
class TalkRule:
    bottom: int = 0         # the last ``bottom`` units (by the lists' measure) are called in
    weeks_on_low: int = 0   # so is a unit on the low list this many periods in a row (this one included)

    @property
    def active(self) -> bool:
        return self.bottom > 0 or self.weeks_on_low > 0


@dataclass(frozen=True)
class FairRule:
    level: float = 0.9      # the bootstrap interval's coverage
    draws: int = 1000
    seed: int = 2026

    def spec(self) -> tuple:
        return (self.level, self.draws, self.seed)


# ----------------------------------------------------------------------------------------------------
# reading the file's blocks
def _number(raw, where: str, key: str, rate: bool) -> float:
    v = raw
    pct = False
    if isinstance(v, str):
        t = v.strip()
        pct = t.endswith("%") or t.endswith("％")
        t = t.rstrip("%％").strip()
        try:
            v = float(t)
        except ValueError:
            raise RuleError(f"{where}：{key} “{raw}” 不是数字") from None
    elif isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RuleError(f"{where}：{key} “{raw}” 不是数字")
    v = float(v)
    if rate:
        v = v / 100.0 if pct or v > 1 else v
        if not 0 <= v <= 1:
            raise RuleError(f"{where}：{key} “{raw}” 应在 0% 到 100% 之间")
    elif v < 0:
        raise RuleError(f"{where}：{key} 不能为负数")
    return v


def parse_lists(raw, where: str, full: float) -> ListRule:
    """The ``lists`` block of one unit kind (absent: the best 3 and the worst 3 places, as before)."""
    if raw is None:
        return ListRule()
    where = f"{where} 的 lists（红黄榜规则）"
    if not isinstance(raw, dict):
        raise RuleError(f"{where}：应写成 rule / red / low 等几项")
    rule = str(raw.get("rule", "rank"))
    if rule not in ("rank", "threshold"):
        raise RuleError(f"{where}：rule 只能是 rank（按名次）或 threshold（按达标线），而不是“{rule}”")
    if rule == "rank":
        red = raw.get("red", 3)
        low = raw.get("low", 3)
        for key, v in (("red", red), ("low", low)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise RuleError(f"{where}：{key} 应为名次个数（0 或正整数），而不是“{v}”")
        return ListRule("rank", "index", red, low, str(raw.get("red_name") or "流动红旗"),
                        str(raw.get("low_name") or "流动黄旗"), bool(raw.get("skip_without_problems", False)))
    on = str(raw.get("on", "fix_rate"))
    if on not in LIST_MEASURES:
        raise RuleError(f"{where}：on “{on}” 不可用，可用：" + "、".join(f"{k}（{v}）" for k, v in LIST_MEASURES.items()))
    for key in ("red", "low"):
        if raw.get(key) in (None, ""):
            raise RuleError(f"{where}：按达标线分榜时须写 {key}")
    red = _number(raw["red"], where, "red", on != "index")
    low = _number(raw["low"], where, "low", on != "index")
    if on == "index" and max(red, low) > full:
        raise RuleError(f"{where}：red、low 不能超过综合指数满分 {full:g}")
    if low > red:
        raise RuleError(f"{where}：low（{raw['low']}）不能高于 red（{raw['red']}）")
    skip = raw.get("skip_without_problems", True)
    if not isinstance(skip, bool):
        raise RuleError(f"{where}：skip_without_problems 只能是 true 或 false")
    return ListRule("threshold", on, red, low, str(raw.get("red_name") or "红榜"), str(raw.get("low_name") or "黑榜"),
                    skip)


def parse_talks(raw, where: str) -> TalkRule:
    if raw is None:
        return TalkRule()
    where = f"{where} 的 talks（约谈规则）"
    if not isinstance(raw, dict):
        raise RuleError(f"{where}：应写成 bottom / weeks_on_low 两项")
    out = {}
    for key in ("bottom", "weeks_on_low"):
        v = raw.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise RuleError(f"{where}：{key} 应为 0 或正整数，而不是“{v}”")
        out[key] = v
    unknown = set(raw) - {"bottom", "weeks_on_low"}
    if unknown:
        raise RuleError(f"{where}：不认识的项 {'、'.join(sorted(map(str, unknown)))}")
    return TalkRule(**out)


def parse_fair(raw, where: str) -> FairRule:
    if raw is None:
        return FairRule()
    where = f"{where} 的 fair（正常波动判断）"
    if not isinstance(raw, dict):
        raise RuleError(f"{where}：应写成 level / draws / seed 三项")
    level = raw.get("level", 0.9)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 <= float(level) < 1:
        raise RuleError(f"{where}：level 应在 0.5 到 1 之间（如 0.9），而不是“{level}”")
    draws = raw.get("draws", 1000)
    if isinstance(draws, bool) or not isinstance(draws, int) or not 100 <= draws <= 20000:
        raise RuleError(f"{where}：draws 应为 100 到 20000 之间的整数，而不是“{draws}”")
    seed = raw.get("seed", 2026)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise RuleError(f"{where}：seed 应为非负整数，而不是“{seed}”")
    return FairRule(float(level), draws, seed)


# ----------------------------------------------------------------------------------------------------
# lists and talks
@dataclass
class Lists:
    red: pd.DataFrame        # best first
    low: pd.DataFrame        # worst first
    left_out: list[str]      # threshold: units on no list because they had no problems in the period
    rule: ListRule


def lists(table: pd.DataFrame, rule: ListRule | None = None) -> Lists:
    """The red and the low list of a ranked table (columns unit, rank, total and the measures); a published table
    (column ``flag``) keeps the lists it was published with."""
    rule = rule or ListRule()
    t = table.sort_values(["rank", "unit"])
    if "flag" in t.columns:
        red = t[t["flag"].eq("red")]
        low = t[t["flag"].eq("yellow")]
        if rule.by_threshold and "list_value" in t.columns:
            red = red.sort_values(["list_value", "rank"], ascending=[False, True])
            low = low.sort_values(["list_value", "rank"], ascending=[True, False])
        else:
            low = low.iloc[::-1]
        left = t.loc[t["flag"].eq("none"), "unit"].tolist() if rule.by_threshold else []
        return Lists(red.reset_index(drop=True), low.reset_index(drop=True), left, rule)
    if not rule.by_threshold:
        n_red = min(int(rule.red), len(t) // 2)
        n_low = min(int(rule.low), len(t) // 2)
        return Lists(t.head(n_red).reset_index(drop=True),
                     t.tail(n_low).iloc[::-1].reset_index(drop=True) if n_low else t.iloc[0:0], [], rule)
    v = rule.value_of(t)
    eligible = v.notna()
    if rule.skip_without_problems and "problems" in t.columns:
        eligible &= pd.to_numeric(t["problems"], errors="coerce").fillna(0).gt(0)
    left = t.loc[~eligible, "unit"].tolist()
    t = t.assign(list_value=v)
    red = t[eligible & (v >= rule.red - 1e-9)].sort_values(["list_value", "rank"], ascending=[False, True])
    low = t[eligible & (v < rule.low - 1e-9)].sort_values(["list_value", "rank"], ascending=[True, False])
    return Lists(red.reset_index(drop=True), low.reset_index(drop=True), left, rule)


def flags(table: pd.DataFrame, ls: Lists) -> list[str]:
    """red | yellow (the low list) | none (left out by the rule) | "" per row of ``table``."""
    red, low, left = set(ls.red["unit"]), set(ls.low["unit"]), set(ls.left_out)
    return ["red" if u in red else "yellow" if u in low else "none" if u in left else "" for u in table["unit"]]


def talks(table: pd.DataFrame, history: pd.DataFrame, ls: Lists, rule: TalkRule, word: str = "期") -> pd.DataFrame:
    """Units called in for a talk (约谈) with the reason: the last ``bottom`` by the lists' measure (among the units
    the lists consider), and units on the low list ``weeks_on_low`` periods in a row up to this one.

    history: columns k (0 = this period), unit, rank, total and the list measures (campaign.analysis.Ranking).
    """
    out: dict[str, list[str]] = {}
    lr = ls.rule
    if rule.bottom > 0 and len(table):
        t = table[~table["unit"].isin(ls.left_out)].copy()
        t["v"] = lr.value_of(t) if lr.by_threshold else -t["rank"].astype(float)
        t = t[t["v"].notna()].sort_values(["v", "rank"], ascending=[True, False])
        what = LIST_MEASURES[lr.on] if lr.by_threshold else "排名"
        for u in t["unit"].head(rule.bottom):
            out.setdefault(u, []).append(f"{what}末{rule.bottom}名" if rule.bottom > 1 else f"{what}末位")
    if rule.weeks_on_low > 0 and len(history):
        on_low = {0: set(ls.low["unit"])}
        for k, g in history[history["k"].gt(0)].groupby("k"):
            on_low[int(k)] = set(lists(g.drop(columns=["flag"], errors="ignore"), lr).low["unit"])
        for u in ls.low["unit"]:
            n = 0
            while n in on_low and u in on_low[n]:
                n += 1
            if n >= rule.weeks_on_low:
                out.setdefault(u, []).append(f"连续{n}{word}列入{lr.low_name}")
    order = {u: i for i, u in enumerate(table.sort_values(["rank", "unit"])["unit"])}
    units = sorted(out, key=lambda u: -order.get(u, 0))
    return pd.DataFrame({"unit": units, "reason": ["；".join(out[u]) for u in units]})


# ----------------------------------------------------------------------------------------------------
# fair comparisons
def resample(m: pd.DataFrame, draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Bootstrap draws (units × draws) of a period's ledger measures for each unit: a problem count is redrawn as
    Poisson around what was seen, a share of problems or of site visits as binomial over the same number of
    problems (or visits). Counts that are not drawn (assessment, entered points, median days) stay as they are.
    """
    n = len(m)

    def col(name):
        return pd.to_numeric(m[name], errors="coerce").astype(float).to_numpy() if name in m else np.full(n, np.nan)

    def binom(num, den):
        den = np.nan_to_num(den, nan=0.0)
        k = np.maximum(np.rint(den), 0).astype(np.int64)
        p = np.clip(np.divide(num, den, out=np.zeros(n), where=den > 0), 0, 1)
        x = rng.binomial(k[:, None], p[:, None], size=(n, draws)).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(k[:, None] > 0, x / np.maximum(k, 1)[:, None], np.nan)

    def pois(x):
        lam = np.nan_to_num(np.maximum(x, 0), nan=0.0)
        return rng.poisson(lam[:, None], size=(n, draws)).astype(float)

    problems, visits = col("problems"), col("inspections")
    out = {}
    drawn = pois(problems)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["problems"] = drawn
        out["problem_density"] = np.where(np.nan_to_num(visits)[:, None] > 0,
                                          100.0 * drawn / np.where(visits > 0, visits, 1)[:, None], np.nan)
        out["deduction"] = np.where(problems[:, None] > 0, col("deduction")[:, None] * drawn
                                    / np.where(problems > 0, problems, 1)[:, None], pois(col("deduction")))
    out["fix_rate"] = binom(col("fixed"), problems)
    out["on_time_rate"] = binom(col("due_on_time"), col("due"))
    out["rebound_rate"] = binom(col("rebounds"), problems)
    out["site_pass_rate"] = binom(col("passed_visits"), visits)
    out["overdue"] = pois(col("overdue"))
    out["open"] = pois(col("open"))
    return out


def index_draws(m: pd.DataFrame, parts, draws: dict[str, np.ndarray]) -> np.ndarray:
    """The composite index of every unit (rows of ``m``) in every draw (units × draws), by the rules of
    campaign.analysis.composite_index applied within each draw: a relative part's best and worst, and the mean
    points that fill a missing value, are those of the draw. Measures without draws keep their observed value."""
    n = len(m)
    b = next(iter(draws.values())).shape[1] if draws else 1
    total = np.zeros((n, b))
    for p in parts:
        if p.measure in draws:
            v = draws[p.measure]
        else:
            seen = pd.to_numeric(m[p.column], errors="coerce").astype(float).to_numpy() if p.column in m \
                else np.full(n, np.nan)
            v = np.repeat(seen[:, None], b, axis=1)
        total += part_points(p, v)
    return total


def part_points(p, v: np.ndarray) -> np.ndarray:
    """The points of one index part (campaign.analysis.IndexPart) for values ``v`` (units × draws): rate: weight ×
    value (higher better) or weight × (1 − value); relative: best unit of the draw full marks, worst 0, linear
    between (all equal: full marks); entered: the points entered, at most the weight. A missing value scores
    the other units' mean points in its draw (none: full marks)."""
    if p.method == "entered":
        pts = np.clip(v, 0.0, p.weight)
    elif p.method == "rate":
        r = np.clip(v, 0.0, 1.0)
        pts = p.weight * (r if p.better == "higher" else 1.0 - r)
    else:
        with np.errstate(all="ignore"):
            hi = np.nanmax(np.where(np.isnan(v), -np.inf, v), axis=0)
            lo = np.nanmin(np.where(np.isnan(v), np.inf, v), axis=0)
            best, worst = (hi, lo) if p.better == "higher" else (lo, hi)
            span = best - worst
            pts = np.where(span == 0, p.weight, p.weight * (v - worst) / np.where(span == 0, 1, span))
    missing = np.isnan(pts)
    if missing.any():
        with np.errstate(all="ignore"):
            cnt = (~missing).sum(axis=0)
            mean = np.where(cnt > 0, np.nansum(pts, axis=0) / np.maximum(cnt, 1), p.weight)
        pts = np.where(missing, mean[None, :], pts)
    return pts


def steady(delta: np.ndarray, now: np.ndarray, before: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Whether each unit's change (``delta`` = index now − before) lies within its noise: the bootstrap interval
    of the change (draws now − draws before, centred on the change seen) holds 0. Returns (steady, half width)."""
    d = now - before
    lo = np.quantile(d, (1 - level) / 2, axis=1)
    hi = np.quantile(d, 1 - (1 - level) / 2, axis=1)
    centre = d.mean(axis=1)
    lo, hi = delta + (lo - centre), delta + (hi - centre)
    return (lo <= 0) & (hi >= 0), (hi - lo) / 2
