"""The cheapest plan that targets a probability: “P(第1名) ≥ 80 % 的最省方案”.

How: the simulated assessments say how far every simulated total must move for the target to be reached in the
wanted share of them (the ``probability`` quantile of bar − total, where the bar is the target score or, per
simulated assessment, the simulated total of the peer at the target rank). The what-if optimizer
(campaign.whatif.optimize) then finds the cheapest fixes that raise the latest round's total by that much, and
the forecast is run again with those fixes to show the odds they actually buy; while they fall short, the
optimizer is asked again for the shortfall.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from campaign.forecast.report import page_model, page_runs, pct
from campaign.forecast.simulate import Simulation, simulate

RANK_MARGIN = 0.01  # a total this much above the peer's counts as ahead of it
ROUNDS = 8          # times the plan is asked again for what it fell short by


@dataclass
class OddsPlan:
    probability: float        # the odds wanted
    kind: str                 # score / rank
    target: float             # the target score, or rank
    gain: float               # points every simulated total must move by
    before: float             # the odds today
    after: float | None       # the odds with the plan's fixes (None: no plan)
    plan: object              # campaign.whatif.Plan
    message: str


def bars(sim: Simulation, target_score: float | None = None, target_rank: int | None = None) -> np.ndarray:
    """Per simulated assessment, the total that reaches the target."""
    if target_rank is None:
        return np.full(len(sim.totals), float(target_score))
    if sim.peers is None or sim.peers.shape[1] < int(target_rank):
        return np.full(len(sim.totals), -np.inf)
    return np.sort(sim.peers, axis=1)[:, -int(target_rank)] + RANK_MARGIN


def required_gain(sim: Simulation, probability: float, target_score: float | None = None,
                  target_rank: int | None = None) -> float:
    """The least d such that total + d reaches the target in at least ``probability`` of the simulated
    assessments (≤ 0: already so)."""
    need = np.sort(bars(sim, target_score, target_rank) - sim.totals)
    k = int(np.ceil(min(max(probability, 0.0), 1.0) * len(need) - 1e-9))
    return float(need[max(k, 1) - 1])


def odds_plan(con: duckdb.DuckDBPyConnection, probability: float, target_score: float | None = None,
              target_rank: int | None = None, max_actions: int | None = None, stamp: float = 0.0,
              effort_stamp: float = 0.0) -> OddsPlan:
    """The cheapest fixes for P(target) ≥ probability (cacheable: connection first, plain parameters)."""
    from campaign import whatif

    model = page_model(con, stamp)
    runs = page_runs(model)
    sim, _ = simulate(model, runs, model.rule.seed)
    kind, target = ("rank", float(target_rank)) if target_rank is not None else ("score", float(target_score))
    ok = sim.totals >= bars(sim, target_score, target_rank) - 1e-9
    before = float(ok.mean())
    gain = required_gain(sim, probability, target_score, target_rank)
    wm = whatif.build_model(con)
    want = ("第 1 名" if target == 1 else f"前 {target:g} 名") if kind == "rank" else f" {target:g} 分"
    head = f"达到{want}的把握 ≥ {probability:.0%}"
    if not np.isfinite(gain):
        plan = whatif.optimize(wm, target_total=wm.baseline.total, max_actions=max_actions)
        return OddsPlan(probability, kind, target, gain, before, before, plan, f"{head}：同组区县不足 {target:g} 个，已可达到")
    if gain <= 0:
        plan = whatif.optimize(wm, target_total=wm.baseline.total, max_actions=max_actions)
        return OddsPlan(probability, kind, target, gain, before, before, plan,
                        f"{head}：按目前状况把握已约 {pct(before)}，无需额外整改")
    # the what-if's points are the latest round's; the forecast credits a fix on its own expected rates (often
    # higher by then), so a plan may buy less than its points: ask for the shortfall again, a few times
    ask, p_after = gain, None
    for attempt in range(ROUNDS):
        plan = whatif.optimize(wm, target_total=wm.baseline.total + ask, max_actions=max_actions)
        if not len(plan.actions):
            return OddsPlan(probability, kind, target, gain, before, None, plan,
                            f"{head}：下次测评需整体多得约 {gain:.2f} 分，{plan.message}")
        after, _ = simulate(model, runs, model.rule.seed, plan.settings)
        p_after = float((after.totals >= bars(after, target_score, target_rank) - 1e-9).mean())
        short = required_gain(after, probability, target_score, target_rank)
        if p_after >= probability or short <= 0 or plan.status == "infeasible":
            break
        ask += short * (1.3 + 0.2 * attempt)
    enough = "" if p_after >= probability else (
        f"（仍未达到 {probability:.0%}：可整改的项目已到上限，或受整改项数、工作量上限限制）"
        if plan.status == "infeasible" or max_actions else f"（仍略低于 {probability:.0%}）")
    return OddsPlan(probability, kind, target, gain, before, p_after, plan,
                    f"{head}：{plan.message}；按此方案整改，把握由约 {pct(before)} 升至约 {pct(p_after)}{enough}")
