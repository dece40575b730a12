"""The cheapest plan: the total a target score or peer rank asks for, the mixed-integer program over the
candidate actions solved with HiGHS (least effort for the points needed, within department capacities and
a number of actions), and the plan it gives, ordered per department, with its projection."""
from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from campaign.whatif.candidates import actions
from campaign.whatif.effort import Effort, load_effort
from campaign.whatif.model import Model, Projection, build_model, project
from campaign.whatif.settings import Setting, WhatIfError, parse_key

RANK_MARGIN = 0.01  # a target rank asks for this much more than the peer to pass (published totals have 2 decimals)
NEED_MARGIN = 1e-6  # solver tolerance headroom: the plan reaches the target, not 1e-7 short of it


@dataclass
class Plan:
    status: str                    # optimal / met / infeasible / time_limit
    message: str
    target_kind: str               # score / rank
    target_value: float
    required_total: float
    baseline_total: float
    need: float
    actions: pd.DataFrame          # PLAN_COLUMNS: method is its own name, kind field / material / opinion / survey
    total_effort: float
    projected: Projection | None
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0
    effort_unit: str = "天"

    @property
    def settings(self) -> list[Setting]:
        return [Setting(k, parse_key(k), float(r)) for k, r in zip(self.actions["key"], self.actions["rate"])]


PLAN_COLUMNS = ["key", "department", "street", "standard_code", "indicator", "method", "from_rate", "rate",
                "points", "effort", "kind"]


def required_total(model: Model, target_total: float | None = None, target_rank: int | None = None) -> float:
    if target_rank is not None:
        r = int(target_rank)
        if r < 1:
            raise WhatIfError(f"目标名次应为 1 或更大，实际为 {target_rank}")
        peers = model.peers["total"].tolist()
        if not peers:
            raise WhatIfError(f"{model.round_name}没有兄弟区县得分，无法按名次求解；请改按目标总分")
        return float(peers[r - 1]) + RANK_MARGIN if r <= len(peers) else -np.inf
    if target_total is None:
        raise WhatIfError("请给出目标总分或目标名次")
    return float(target_total)


def solve(acts: pd.DataFrame, need: float, capacity: dict | None = None, max_actions: int | None = None,
          time_limit: float = 20.0) -> tuple[np.ndarray, str, float | None, float | None]:
    """min Σ effort_a α_a + fixed_a y_a  s.t. Σ lost_a α_a ≥ need, 0 ≤ α_a ≤ cap_a y_a, y binary,
    Σ_(a of d) cost ≤ capacity_d, Σ y ≤ max_actions. Returns α, status, objective, dual bound."""
    import highspy

    n = len(acts)
    if need <= 0:
        return np.zeros(n), "met", 0.0, 0.0
    lost, cap = acts["lost"].to_numpy(float), acts["cap"].to_numpy(float)
    full, fixed = acts["effort_full"].to_numpy(float), acts["fixed"].to_numpy(float)
    if n == 0 or float((lost * cap).sum()) < need:
        return np.zeros(n), "infeasible", None, None
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    # columns: α_0..α_{n-1}, y_0..y_{n-1}
    h.addVars(2 * n, np.zeros(2 * n), np.concatenate([cap, np.ones(n)]))
    h.changeColsCost(2 * n, np.arange(2 * n, dtype=np.int32), np.concatenate([full, fixed]))
    h.changeColsIntegrality(n, np.arange(n, 2 * n, dtype=np.int32), np.ones(n, dtype=np.uint8))
    rows_lo, rows_hi, starts, index, values = [], [], [], [], []

    def row(lo, hi, idx, val):
        starts.append(len(index))
        rows_lo.append(lo)
        rows_hi.append(hi)
        index.extend(int(i) for i in idx)
        values.extend(float(v) for v in val)

    row(need + NEED_MARGIN, inf, range(n), lost)
    for a in range(n):  # α_a ≤ cap_a y_a
        row(-inf, 0.0, (a, n + a), (1.0, -cap[a]))
    for dept, limit in (capacity or {}).items():
        sel = np.flatnonzero(acts["department"].eq(dept).to_numpy())
        if len(sel):
            row(-inf, float(limit), list(sel) + list(n + sel), list(full[sel]) + list(fixed[sel]))
    if max_actions:
        row(-inf, float(max_actions), range(n, 2 * n), np.ones(n))
    h.addRows(len(starts), np.array(rows_lo), np.array(rows_hi), len(index), np.array(starts, dtype=np.int32),
              np.array(index, dtype=np.int32), np.array(values))
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kInfeasible:
        return np.zeros(n), "infeasible", None, None
    sol = np.array(h.getSolution().col_value[:n])
    info = h.getInfo()
    if st == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif info.primal_solution_status == 2:  # feasible, stopped early
        status = "time_limit"
    else:
        return np.zeros(n), "infeasible", None, None
    return np.clip(sol, 0.0, cap), status, float(info.objective_function_value), float(info.mip_dual_bound)


def optimize(model: Model, target_total: float | None = None, target_rank: int | None = None,
             effort: Effort | None = None, max_actions: int | None = None) -> Plan:
    """The cheapest improvements (from the round as it was) that reach a target total or peer rank."""
    t0 = time.perf_counter()
    effort = effort or load_effort()
    req = required_total(model, target_total, target_rank)
    kind, tval = ("rank", float(target_rank)) if target_rank is not None else ("score", float(target_total))
    base = model.baseline.total
    need = req - base
    acts = actions(model, effort)
    alpha, status, obj, bound = solve(acts, need, effort.capacity, max_actions)
    take = alpha > 1e-9
    a = acts[take].copy()
    al = alpha[take]
    al = np.where(al > a["cap"].to_numpy() - 1e-9, a["cap"].to_numpy(), al)
    a["rate"] = np.minimum(1.0, 1.0 - (1.0 - al) * (1.0 - a["from_rate"]))
    a["points"] = al * a["lost"]
    a["effort"] = al * a["effort_full"] + a["fixed"]
    a = _order(a)[PLAN_COLUMNS] if len(a) else pd.DataFrame(columns=PLAN_COLUMNS)
    for c in ("department", "street", "standard_code", "indicator"):
        a[c] = a[c].astype(object).where(a[c].notna(), None)
    plan = Plan(status, "", kind, tval, req, base, need, a.reset_index(drop=True), float(a["effort"].sum()),
                None, obj, bound, 0.0, effort.unit)
    plan.projected = project(model, plan.settings) if len(a) else model.baseline
    target_txt = f"第 {int(tval)} 名（需 {req:.2f} 分）" if kind == "rank" else f"{req:.2f} 分"
    if status == "met":
        plan.message = f"{model.round_name}已达到目标 {target_txt if np.isfinite(req) else f'第 {int(tval)} 名'}，无需整改"
    elif status == "infeasible":
        most = base + float((acts["lost"] * acts["cap"]).sum())
        plan.message = (f"达不到目标 {target_txt}：全部可整改项做到上限也只到 {most:.2f} 分"
                        + ("（或受部门工作量上限、行动数限制）" if effort.capacity or max_actions else ""))
    else:
        plan.message = (f"{len(a)} 项整改，共增 {a['points'].sum():.2f} 分，推演总分 {plan.projected.total:.2f}，"
                        f"工作量约 {plan.total_effort:.1f} {effort.unit}"
                        + ("（求解超时，为当前最好方案）" if status == "time_limit" else ""))
    plan.seconds = time.perf_counter() - t0
    return plan


def _order(a: pd.DataFrame) -> pd.DataFrame:
    """Per department (most points first), then per street, then the action's points."""
    dept_pts = a.groupby("department")["points"].transform("sum")
    return a.assign(_d=-dept_pts, _s=a["street"].fillna("")).sort_values(
        ["_d", "department", "_s", "points"], ascending=[True, True, True, False]).drop(columns=["_d", "_s"])


def plan_for(con: duckdb.DuckDBPyConnection, round_id: int | None = None, target_total: float | None = None,
             target_rank: int | None = None, max_actions: int | None = None, effort_stamp: float = 0.0) -> Plan:
    """A plan for the page (cacheable: the connection first, plain parameters; ``effort_stamp`` only keys the
    cache so that an edited effort file gives a new plan)."""
    return optimize(build_model(con, round_id), target_total, target_rank, max_actions=max_actions or None)
