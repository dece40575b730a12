"""Honest calibration: each past round predicted from what was known the day before it."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from campaign.analysis import metrics
from campaign.forecast.estimate import build
from campaign.forecast.rule import Rule, load_rule
from campaign.forecast.simulate import simulate


@dataclass
class Backtest:
    rounds: pd.DataFrame   # round_name, held_on, actual, low, median, high, inside, p_target, reached
    coverage: float | None
    brier: float | None
    target_score: float

    @property
    def n(self) -> int:
        return len(self.rounds)

    @property
    def inside(self) -> int:
        return int(self.rounds["inside"].sum()) if len(self.rounds) else 0

    def line(self) -> str:
        """过去 6 轮：5 轮落在预测区间内"""
        if not self.n:
            return "测评轮次不足，尚无法回测（至少需要 3 轮）"
        text = (f"过去 {self.n} 轮：{self.inside} 轮落在预测区间内（80% 区间）；"
                f"“达到 {self.target_score:g} 分”的把握的 Brier 分数 {self.brier:.3f}（0 最好，总说 50% 为 0.25）")
        reached = int(self.rounds["reached"].sum())
        if reached in (0, self.n):  # one-sided history: the score only says no false hope (or doubt) was given
            text += f"，这 {self.n} 轮{'都未' if reached == 0 else '都'}达到 {self.target_score:g} 分"
        return text


def backtest(con: duckdb.DuckDBPyConnection, *, rule: Rule | None = None, runs: int = 2_000, seed: int | None = None,
             target_score: float | None = None, min_history: int = 2) -> Backtest:
    """Predict each past round from what was known the day before it (at least ``min_history`` rounds before it)
    and compare with what happened: how often the real total fell inside the 10–90 % interval, and the Brier
    score of P(total ≥ target)."""
    from campaign.config import load_office

    target = load_office().target_total if target_score is None else float(target_score)
    return judged(predictions(con, rule=rule, runs=runs, seed=seed, min_history=min_history), target)


def predictions(con: duckdb.DuckDBPyConnection, *, rule: Rule | None = None, runs: int = 2_000,
                seed: int | None = None, min_history: int = 2) -> list[tuple]:
    """Each past round with enough rounds before it: (name, date, actual total, its simulated totals, sorted)."""
    rule = rule or load_rule()
    scores = metrics.round_scores(con)
    out = []
    for k in range(min_history, len(scores)):
        r = scores.iloc[k]
        held = pd.Timestamp(r["held_on"]).date()
        earlier = pd.to_datetime(scores["held_on"].iloc[:k]) < pd.Timestamp(held)
        if earlier.sum() < min_history:
            continue
        m = build(con, rule, before=held)
        sim, _ = simulate(m, runs, rule.seed if seed is None else seed)
        out.append((r["round_name"], held, float(r["total"]), np.sort(sim.totals)))
    return out


def judged(preds: list[tuple], target: float) -> Backtest:
    """The predictions against what happened, for one target score."""
    rows = []
    for name, held, actual, totals in preds:
        lo, med, hi = np.quantile(totals, [0.1, 0.5, 0.9])
        p = float((totals >= target - 1e-9).mean())
        rows.append(dict(round_name=name, held_on=held, actual=actual, low=float(lo), median=float(med),
                         high=float(hi), inside=bool(lo <= actual <= hi), p_target=p, reached=actual >= target))
    df = pd.DataFrame(rows, columns=["round_name", "held_on", "actual", "low", "median", "high", "inside", "p_target",
                                     "reached"])
    if df.empty:
        return Backtest(df, None, None, target)
    brier = float(((df["p_target"] - df["reached"].astype(float)) ** 2).mean())
    return Backtest(df, float(df["inside"].mean()), brier, target)


_PREDICTIONS: dict = {}  # the page's predictions of the store as it is now: another target needs no new simulation


def page_backtest(con: duckdb.DuckDBPyConnection, target_score: float, stamp: float = 0.0) -> Backtest:
    """The backtest the 迎检 page shows (cached by the app on the data version and the rule file's ``stamp``);
    the simulations are kept while neither changes, so that another target score only judges them again."""
    from campaign.store import data_version

    key = (id(con), data_version(con), stamp)
    if key not in _PREDICTIONS:
        _PREDICTIONS.clear()
        _PREDICTIONS[key] = predictions(con)
    return judged(_PREDICTIONS[key], float(target_score))


def backtest_table(bt: Backtest) -> pd.DataFrame:
    """The backtest round by round, as the 迎检 page shows it."""
    r = bt.rounds
    return pd.DataFrame({
        "测评轮次": r["round_name"], "测评日期": r["held_on"], "实际总分": r["actual"].round(2),
        "预测下限（10%）": r["low"].round(2), "预测中位数": r["median"].round(2), "预测上限（90%）": r["high"].round(2),
        "落在区间内": r["inside"].map({True: "是", False: "否"}),
        f"预测达到 {bt.target_score:g} 分的把握": (r["p_target"] * 100).round(1).astype(str) + "%",
        "实际是否达到": r["reached"].map({True: "是", False: "否"})})
