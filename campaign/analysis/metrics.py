"""Numbers the pages show, built from named queries and the scoring model."""
from __future__ import annotations

import functools
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import duckdb
import pandas as pd

from campaign import queries
from campaign.model import scoring
from campaign.store import get_meta


@dataclass
class ScoringSettings:
    bonus_cap: float
    pass_rate: float
    year_weights: list[float]


def settings(con: duckdb.DuckDBPyConnection) -> ScoringSettings:
    cur = con.cursor()
    try:
        return ScoringSettings(
            bonus_cap=float(get_meta(cur, "bonus_cap", "6")),
            pass_rate=float(get_meta(cur, "pass_rate", "0.8")),
            year_weights=json.loads(get_meta(cur, "year_weights", "[0.15, 0.25, 0.6]")),
        )
    finally:
        cur.close()


def standards(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The city framework's standards (the minors' framework is scored on its own: minors_round)."""
    return queries.run(con, "framework_standards")


def method_name(con: duckdb.DuckDBPyConnection, kind: str = scoring.FIELD, default: str = "实地考察") -> str:
    """What the city framework calls its methods of one kind (field: 实地考察, or the office's own name), for
    the words a page shows."""
    return scoring.method_names(standards(con), kind, default)


@dataclass(frozen=True)
class MinorsSettings:
    name: str
    share: float
    gate: float


def minors_settings(con: duckdb.DuckDBPyConnection) -> MinorsSettings | None:
    """The minors' framework's share and gate (store.meta, from data/framework.yaml); None without one."""
    cur = con.cursor()
    try:
        raw = get_meta(cur, "minors", "")
    finally:
        cur.close()
    if not raw:
        return None
    m = json.loads(raw)
    return MinorsSettings(str(m.get("name", "")), float(m["share"]), float(m["gate"]))


def minors_round(con: duckdb.DuckDBPyConnection, obs: pd.DataFrame, survey: pd.DataFrame,
                 mstd: pd.DataFrame | None = None) -> tuple[float | None, float, float] | None:
    """(minors' score or None, share, gate) for one round's observations, or None without a minors' framework."""
    ms = minors_settings(con)
    if ms is None:
        return None
    mstd = queries.run(con, "minors_standards") if mstd is None else mstd
    if mstd.empty:
        return None
    return (scoring.minors_score(scoring.standard_rates(mstd, obs, survey)), ms.share, ms.gate)


_memo: ContextVar[dict | None] = ContextVar("metrics_memo", default=None)


@contextmanager
def shared_results():
    """Within the block, each round's scores and detail are computed once: a briefing or a ranking asks for
    the same round several times. The results live as long as the block, so they can never be stale."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _shared(fn):
    @functools.wraps(fn)
    def call(con, *args, **kwargs):
        memo = _memo.get()
        if memo is None:
            return fn(con, *args, **kwargs)
        key = (fn.__name__, id(con), args, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = fn(con, *args, **kwargs)
        return memo[key]
    return call


@_shared
def round_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per round: base, bonus, deduction, total, veto, peer rank and number of districts ranked."""
    cfg = settings(con)
    std = standards(con)
    rounds = queries.run(con, "assessment_rounds")
    obs = queries.run(con, "observation_totals_by_round")
    survey = queries.run(con, "survey_rates_by_round")
    bonus = queries.run(con, "bonus_by_round")
    neg = queries.run(con, "negatives_by_round")
    peers = queries.run(con, "peer_totals")
    mstd = queries.run(con, "minors_standards")
    ms = minors_settings(con)
    out = []
    for r in rounds.itertuples(index=False):
        o, s = obs[obs["round_id"].eq(r.round_id)], survey[survey["round_id"].eq(r.round_id)]
        rates = scoring.standard_rates(std, o, s)
        sc = scoring.round_total(rates, bonus[bonus["round_id"].eq(r.round_id)],
                                 neg[neg["round_id"].eq(r.round_id)], cfg.bonus_cap, minors_round(con, o, s, mstd))
        p = peers.loc[peers["round_id"].eq(r.round_id), "total"].tolist()
        out.append(dict(
            round_id=r.round_id, round_name=r.round_name, assessor=r.assessor, held_on=r.held_on, year=r.year,
            base=sc.base, bonus=sc.bonus, deduction=sc.deduction, total=sc.total, vetoed=sc.vetoed,
            minors_total=sc.minors_total, minors_gate=sc.minors_gate,
            minors_line=ms.gate if ms else None, minors_share=ms.share if ms else None,
            assessed=int(rates["assessed"].sum()), rank=scoring.peer_rank(sc.total, p) if p else None,
            ranked=len(p) + 1 if p else None,
        ))
    return pd.DataFrame(out)


@dataclass
class RoundDetail:
    round_id: int
    rates: pd.DataFrame        # per standard: points, rate, earned, lost, …
    attribution: pd.DataFrame  # per standard × street × department: lost
    score: scoring.RoundScore
    street_lost: pd.DataFrame      # lost per street, largest first (computed once with the round)
    department_lost: pd.DataFrame  # lost per department, largest first
    top_standards: pd.DataFrame    # the three standards that lost most


@_shared
def round_detail(con: duckdb.DuckDBPyConnection, round_id: int, framework: str = "city") -> RoundDetail:
    """The round per standard of one framework: the city's (default) or the minors' ("minors", out of 100); the
    score is the round's whatever the framework."""
    cfg = settings(con)
    city = standards(con)
    std = city if framework == "city" else queries.run(con, "minors_standards")
    obs = queries.run(con, "round_observations", round_id=round_id)
    survey = queries.run(con, "survey_rates_by_round")
    survey = survey[survey["round_id"].eq(round_id)]
    bonus = queries.run(con, "bonus_by_round")
    neg = queries.run(con, "negatives_by_round")
    rates = scoring.standard_rates(std, obs, survey)
    city_rates = rates if framework == "city" else scoring.standard_rates(city, obs, survey)
    score = scoring.round_total(city_rates, bonus[bonus["round_id"].eq(round_id)],
                                neg[neg["round_id"].eq(round_id)], cfg.bonus_cap, minors_round(con, obs, survey))
    attribution = scoring.attribute_lost(rates, obs, survey)
    return RoundDetail(round_id, rates, attribution, score, street_losses(attribution),
                       department_losses(attribution), top_losing_standards(rates, 3))


def lost_by(attribution: pd.DataFrame, by: str) -> pd.DataFrame:
    """Lost points summed per street or department, largest first (谁丢分谁负责)."""
    g = attribution.groupby(by, as_index=False)["lost"].sum()
    return g.sort_values("lost", ascending=False, ignore_index=True)


def top_losing_standards(rates: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    cols = ["code", "name", "item", "method", "points", "rate", "lost"]
    return rates[rates["assessed"]].sort_values("lost", ascending=False).head(n)[cols].reset_index(drop=True)


def street_losses(attribution: pd.DataFrame) -> pd.DataFrame:
    """Points lost per street (谁丢分谁负责); online material has no street and is left out."""
    lost = lost_by(attribution, "street")
    return lost[lost["street"].ne(scoring.DISTRICT_LEVEL)].reset_index(drop=True)


def department_losses(attribution: pd.DataFrame) -> pd.DataFrame:
    """Points lost per responsible department."""
    return lost_by(attribution, "department")


def bottom_table(lost: pd.DataFrame, week: pd.DataFrame, by: str, label: str) -> pd.DataFrame:
    """Round losses next to the week's problems, worst first: the overview's bottom lists."""
    keys = list(dict.fromkeys([*week[by], *lost[by]]))
    w = week.set_index(by).reindex(keys)
    out = pd.DataFrame({label: keys,
                        "测评失分": lost.set_index(by)["lost"].reindex(keys).fillna(0.0).to_numpy(),
                        # a problem of several units counts for each by its share: whole problems shown
                        "本周问题数": w["problems"].fillna(0).round().astype(int).to_numpy(),
                        "本周扣分": w["deduction"].fillna(0.0).to_numpy()})
    return out.sort_values(["测评失分", "本周问题数"], ascending=False, ignore_index=True)
