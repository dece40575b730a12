"""What the forecast reads from the store for one moment, with nothing of the rounds after it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from campaign import queries
from campaign.analysis import metrics
from campaign.forecast.rule import ForecastError, Rule


@dataclass
class Inputs:
    """What the forecast reads from the store for one moment (as_of), with nothing of the rounds after it."""
    standards: pd.DataFrame
    sites: pd.DataFrame
    obs: pd.DataFrame
    rounds: pd.DataFrame
    survey: pd.DataFrame
    peers: pd.DataFrame
    bonus: float
    negatives: pd.DataFrame
    site_problems: pd.DataFrame
    as_of: date
    bonus_cap: float
    # the minors' framework when the latest round assessed it: (share of the total, gate); its standards are then
    # in ``standards`` with their points weighted by the share, the city's by the rest, so Σ points × rate is the total
    minors: tuple[float, float] | None = None


def read_inputs(con: duckdb.DuckDBPyConnection, rule: Rule, before: date | None = None) -> Inputs:
    """Everything known before ``before`` (default: everything): the rounds held before it, the ledger up to the
    day before."""
    rounds = queries.run(con, "assessment_rounds")
    if before is not None:
        rounds = rounds[pd.to_datetime(rounds["held_on"]) < pd.Timestamp(before)]
    if rounds.empty:
        raise ForecastError("还没有测评数据：请先导入模拟测评结果，才能预测下一次测评" if before is None else
                            f"{before:%Y-%m-%d} 之前没有测评数据，无法预测")
    ids = set(rounds["round_id"])
    if before is not None:
        as_of = before - timedelta(days=1)
    else:
        latest = queries.scalar(con, "latest_activity_date")
        held = pd.Timestamp(rounds["held_on"].max()).date()
        as_of = max(held, pd.Timestamp(latest).date()) if latest is not None and pd.notna(latest) else held
    cfg = metrics.settings(con)
    obs = queries.run(con, "forecast_observations", before=before)
    survey = queries.run(con, "survey_rates_by_round")
    peers = queries.run(con, "peer_totals")
    bonus = queries.run(con, "bonus_by_round")
    last = int(rounds["round_id"].iloc[-1])
    b = float(bonus.loc[bonus["round_id"].eq(last), "points"].sum())
    sp = queries.run(con, "forecast_site_problems", as_of=as_of, weeks=rule.problem_weeks,
                     half_life_weeks=rule.half_life_weeks)
    standards, minors = _standards(con, obs, last)
    return Inputs(
        standards=standards, sites=queries.run(con, "forecast_sites"), obs=obs, rounds=rounds,
        survey=survey[survey["round_id"].isin(ids)].merge(rounds[["round_id", "held_on"]], on="round_id"),
        peers=peers[peers["round_id"].isin(ids)].merge(rounds[["round_id", "held_on"]], on="round_id"),
        bonus=min(b, cfg.bonus_cap), negatives=pd.DataFrame(columns=["deduction", "veto"]),
        site_problems=sp, as_of=as_of, bonus_cap=cfg.bonus_cap, minors=minors)


def _standards(con: duckdb.DuckDBPyConnection, obs: pd.DataFrame,
               last: int) -> tuple[pd.DataFrame, tuple[float, float] | None]:
    """The city's standards, and the minors' framework's weighted into one list when the latest round assessed it
    (as campaign.model.scoring.round_total blends them: (1 − share) × city + share × minors)."""
    city = metrics.standards(con).assign(framework="city")
    ms = metrics.minors_settings(con)
    if ms is None:
        return city, None
    mstd = queries.run(con, "minors_standards")
    if mstd.empty or not obs.loc[obs["round_id"].eq(last), "standard_code"].isin(set(mstd["code"])).any():
        return city, None
    both = pd.concat([city.assign(points=city["points"] * (1.0 - ms.share)),
                      mstd.assign(points=mstd["points"] * ms.share, framework="minors")], ignore_index=True)
    return both, (ms.share, ms.gate)
