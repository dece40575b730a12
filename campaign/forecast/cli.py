"""``python -m campaign forecast`` and the forecast's part of ``campaign bench``."""
from __future__ import annotations

import time
from pathlib import Path

import duckdb
import numpy as np

from campaign.forecast.backtest import backtest
from campaign.forecast.estimate import build
from campaign.forecast.plan import odds_plan
from campaign.forecast.report import forecast, result_json
from campaign.forecast.rule import ForecastError
from campaign.forecast.simulate import simulate


def run_cli(db: Path | str, target_score: float | None, target_rank: int | None, runs: int | None, seed: int | None,
            sets: list[str], as_json: bool, backtest_runs: int = 2_000, plan: float | None = None) -> int:
    import json
    import sys

    from campaign import whatif
    from campaign.store import StoreBusy, open_for_write

    db = Path(db)
    if not db.is_file():
        print(f"错误：找不到数据库「{db}」。", file=sys.stderr)
        return 2
    if runs is not None and runs < 1:
        print("错误：--runs 应为正整数（模拟次数，如 10000）。", file=sys.stderr)
        return 2
    if plan is not None:
        plan = plan / 100 if plan > 1 else plan
        if not 0 < plan < 1:
            print("错误：--plan 应为 0 到 1 之间的把握（如 0.8 或 80）。", file=sys.stderr)
            return 2
    try:
        con = open_for_write(db, 60.0, log=lambda m: print(m, file=sys.stderr), hint="", read_only=True)
    except StoreBusy as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    try:
        fc = forecast(con, target_score=target_score, target_rank=target_rank, runs=runs, seed=seed,
                      rates_override=";".join(sets) or None)
        bt = backtest(con, target_score=fc.target_score, runs=min(backtest_runs, fc.runs), seed=seed)
        op = None if plan is None else odds_plan(con, plan, target_score=fc.target_score if target_rank is None else None,
                                                 target_rank=target_rank)
    except (ForecastError, whatif.WhatIfError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        print(f"错误：数据库无法读取（{str(exc).splitlines()[0][:200]}）", file=sys.stderr)
        return 2
    finally:
        con.close()
    out = result_json(fc, bt)
    if op is not None:
        out["plan"] = plan_json(op)
    if as_json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(out["headline"] + "：")
    for i, s in enumerate(out["risk_sites"], start=1):
        print(f"  {i:2d}. {s['site']}（{s['site_type']}，{s['street']}，{s['department']}）"
              f"被抽到 {s['p_sampled']:.0%}，预计失分 {s['exp_lost']:.3f}")
    print(f"预计总分 {out['median']:.2f}（80% 区间 {out['interval'][0]:.2f}–{out['interval'][1]:.2f}），"
          f"满分 {out['max_total']:.2f}；模拟 {fc.runs:,} 次，随机种子 {fc.seed}")
    print(bt.line())
    for w in fc.warnings:
        print("注意：" + w)
    if op is not None:
        print(op.message)
        for a in out["plan"]["actions"]:
            print(f"  {a['key']}：{a['from_rate']:.1%} → {a['rate']:.1%}（{a['department'] or '—'}，增 {a['points']:.3f} 分）")
    return 0


def plan_json(op) -> dict:
    """The cheapest plan for a probability, as the JSON output carries it."""
    acts = op.plan.actions
    return {"probability": op.probability, "kind": op.kind, "target": op.target,
            "gain": round(op.gain, 3) if np.isfinite(op.gain) else None, "before": round(op.before, 4),
            "after": None if op.after is None else round(op.after, 4), "status": op.plan.status,
            "message": op.message, "effort": round(float(op.plan.total_effort), 1), "effort_unit": op.plan.effort_unit,
            "actions": [dict(key=r.key, department=r.department, from_rate=round(float(r.from_rate), 4),
                             rate=round(float(r.rate), 4), points=round(float(r.points), 4),
                             effort=round(float(r.effort), 1)) for r in acts.itertuples()]}


def benchmark(con: duckdb.DuckDBPyConnection, runs: int = 10_000, repeats: int = 5) -> dict:
    """Model building and simulation times (ms), for campaign bench."""
    t = time.perf_counter()
    model = build(con)
    build_ms = (time.perf_counter() - t) * 1000
    sims = []
    for i in range(repeats):
        t = time.perf_counter()
        simulate(model, runs, seed=i)
        sims.append((time.perf_counter() - t) * 1000)
    sims.sort()
    return {"sites": len(model.sites), "runs": runs, "build_ms": round(build_ms, 1),
            "simulate_p50_ms": round(sims[len(sims) // 2], 1), "simulate_max_ms": round(sims[-1], 1),
            "repeats": repeats}
