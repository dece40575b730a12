"""``python -m campaign whatif``: a scenario, and optionally the cheapest plan to a target, from the command
line as text or JSON; and the benchmark of one recompute after a slider moves (``python -m campaign bench``)."""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from campaign.whatif.display import change_by
from campaign.whatif.effort import load_effort
from campaign.whatif.model import Model, Projection, build_model, project
from campaign.whatif.settings import WhatIfError, format_scenario, parse_setting
from campaign.whatif.solver import Plan

def result_json(model: Model, p: Projection, plan: Plan | None = None) -> dict:
    base = model.baseline
    sec = change_by(model, p, "section")
    s = model.standards
    framework_of = (s.drop_duplicates("section").set_index("section")["framework"] if "framework" in s
                    else pd.Series(dtype=object))
    out = dict(
        round_id=model.round_id, round_name=model.round_name,
        baseline_total=round(base.total, 6), projected_total=round(p.total, 6),
        change=round(p.total - base.total, 6), baseline_rank=base.rank, projected_rank=p.rank, ranked=p.ranked,
        vetoed=p.score.vetoed, bonus=p.score.bonus, deduction=p.score.deduction, max_base=p.score.max_base,
        minors_total=None if p.score.minors_total is None else round(p.score.minors_total, 6),
        minors_gate=p.score.minors_gate,
        sections=[dict(section=r.section, framework=str(framework_of.get(r.section, "city")),
                       points=round(r.points, 6), baseline=round(r.earned_before, 6),
                       projected=round(r.earned_after, 6)) for r in sec.itertuples()],
        settings=[dict(key=r.key, fix=bool(r.fix), units=int(r.units),
                       before=None if pd.isna(r.before) else round(r.before, 6),
                       target=None if pd.isna(r.target) else r.target, points=round(r.points, 6))
                  for r in p.effects.itertuples()],
        warnings=p.warnings,
    )
    if plan is not None:
        out.update(
            target=dict(kind=plan.target_kind, value=plan.target_value,
                        required_total=None if not np.isfinite(plan.required_total) else round(plan.required_total, 6)),
            plan_status=plan.status, plan_message=plan.message, effort_unit=plan.effort_unit,
            plan_effort=round(plan.total_effort, 6),
            plan_projected_total=round(plan.projected.total, 6), plan_projected_rank=plan.projected.rank,
            plan=[dict(key=r.key, rate=float(r.rate), points=float(r.points), effort=float(r.effort),
                       department=r.department, street=r.street, standard_code=r.standard_code,
                       indicator=r.indicator, method=r.method, from_rate=float(r.from_rate))
                  for r in plan.actions.itertuples()],
        )
    return out


def run_cli(db: Path | str, round_id: int | None, sets: list[str], fixes: list[str], target_score: float | None,
            target_rank: int | None, max_actions: int | None, effort_file: str | None, as_json: bool) -> int:
    import sys

    try:
        settings = [parse_setting(s) for s in sets] + [parse_setting(f"fix:{f}") for f in fixes]
        if not Path(db).exists():
            raise WhatIfError(f"找不到数据库文件：{db}")
        con = duckdb.connect(str(db))  # the same configuration as the app and the tests in one process
        try:
            model = build_model(con, round_id)
        finally:
            con.close()
        bad = [w for s in settings for w in model.validate([s])[1]]
        if bad:
            raise WhatIfError("；".join(w.removesuffix("，已忽略") for w in bad))
        p = project(model, settings)
        plan = start = None
        if target_score is not None or target_rank is not None:
            from campaign.whatif.plan import plan_from  # the plan starts from the settings given

            effort = load_effort(effort_file) if effort_file else load_effort()
            ap = plan_from(model, settings, target_score, target_rank, effort, max_actions)
            plan, start = ap.plan, ap
    except (WhatIfError, duckdb.Error) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    out = result_json(model, p, plan)
    if start is not None:
        out.update(plan_start_total=round(start.start_total, 6), plan_message=start.message,
                   plan_scenario=format_scenario(start.settings))
    if as_json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    rank = f"，同组第 {p.rank} 名（共 {p.ranked} 个）" if p.rank else ""
    print(f"基准：{model.round_name} {model.baseline.total:.2f} 分" +
          (f"，第 {model.baseline.rank} 名" if model.baseline.rank else ""))
    print(f"推演：{p.total:.2f} 分（{p.total - model.baseline.total:+.2f}）{rank}")
    for w in p.warnings:
        print("提示：", w)
    if plan is not None:
        print(start.message)
        for r in plan.actions.itertuples():
            print(f"  {r.department}\t{r.street or '区级'}\t{r.key}\t{100 * r.from_rate:.1f}% → {100 * r.rate:.1f}%"
                  f"\t+{r.points:.3f} 分\t{r.effort:.1f} {plan.effort_unit}")
    return 0


def benchmark(con: duckdb.DuckDBPyConnection, runs: int = 60) -> float:
    """Median milliseconds of one recompute after one slider moves (a scenario of four settings)."""
    model = build_model(con)
    types = sorted(set(model.units["site_type"].dropna()))
    streets = model.streets
    fixed = [parse_setting(f"street:{streets[0]}=0.85"), parse_setting("section:A=0.9") if model.known(
        "section", "A") else parse_setting(f"street:{streets[-1]}=0.8"),
        parse_setting(f"site_type:{types[-1]}=0.9")]
    project(model, fixed + [parse_setting(f"site_type:{types[0]}=0.9")])  # warm the masks, as the page has
    samples = []
    for i in range(runs):
        moved = parse_setting(f"site_type:{types[0]}={0.8 + 0.2 * (i % 10) / 10:.2f}")
        t = time.perf_counter()
        project(model, fixed + [moved])
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)
