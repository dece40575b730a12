"""The forecast's results: the odds, the interval, the sites and standards carrying the risk."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from campaign import scoring
from campaign.forecast.backtest import Backtest
from campaign.forecast.estimate import Model, build
from campaign.forecast.rule import Rule
from campaign.forecast.scenario import Alpha, settings_of
from campaign.forecast.simulate import Simulation, max_total, simulate
from campaign.forecast.stats import expit


@dataclass
class Forecast:
    target_score: float
    target_rank: int | None
    runs: int
    seed: int
    p_target_score: float
    p_target_rank: float | None
    interval: tuple[float, float]          # 10 % and 90 % of the simulated totals
    quantiles: dict[float, float]          # 0.1, 0.25, 0.5, 0.75, 0.9
    mean: float
    max_total: float
    as_of: date
    round_name: str
    round_total: float
    current_rank: int | None
    sites: pd.DataFrame                    # every site: p_sampled, exp_failures, exp_lost (largest first)
    standards: pd.DataFrame                # every standard: exp_rate, exp_lost, share (largest first)
    peers: pd.DataFrame
    effects: pd.DataFrame
    warnings: list[str]
    seconds: float
    totals: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))

    def headline(self, n_sites: int = 20) -> str:
        """按目前状况，下次测评达到 90 分的把握约 63%，保住第 1 名的把握约 41%；以下 20 个点位最可能被抽到且失分"""
        parts = [f"按目前状况，下次测评达到 {self.target_score:g} 分的把握约 {pct(self.p_target_score)}"]
        if self.p_target_rank is not None and self.target_rank:
            keep = self.current_rank is not None and self.current_rank <= self.target_rank
            place = "第 1 名" if self.target_rank == 1 else f"前 {self.target_rank} 名"
            word = ("保住" if keep else "拿到" if self.target_rank == 1 else "进入") + place
            parts.append(f"{word}的把握约 {pct(self.p_target_rank)}")
        return "，".join(parts) + f"；以下 {n_sites} 个点位最可能被抽到且失分"


def pct(p: float) -> str:
    """A probability as leaders read it: 63%, and never a flat 0% or 100% for what merely is unlikely."""
    if p is None or not np.isfinite(p):
        return "—"
    if p >= 0.995:
        return "100%" if p >= 1.0 else ">99%"
    if p <= 0.005:
        return "0%" if p <= 0.0 else "<1%"
    return f"{p * 100:.0f}%"


def _site_table(model: Model, sim: Simulation, alpha: Alpha) -> pd.DataFrame:
    n_obs = sim.counts
    pts = model.field["points"].to_numpy()
    q = model.field["q"].to_numpy()
    fails = np.zeros(len(model.sites))
    lost = np.zeros(len(model.sites))
    for bi, b in enumerate(model.blocks):
        p = expit(b.base + model.level_shift)
        p = p + alpha.field[bi] * (1 - p)
        fails[b.sites] += (1 - p).sum(axis=1)
        per = (1 - (p + (1 - p) * q[b.stds])) * (pts[b.stds] / np.maximum(n_obs[b.stds], 1e-9))[None, :]
        lost[b.sites] += per.sum(axis=1)
    out = model.sites.assign(p_sampled=sim.p_sampled, exp_failures=fails, lost_if_sampled=lost,
                             exp_lost=sim.p_sampled * lost)
    return out.sort_values(["exp_lost", "site_id"], ascending=[False, True], ignore_index=True)


def _standard_table(model: Model, sim: Simulation) -> pd.DataFrame:
    std = model.standards
    rate = sim.rates.mean(axis=0)
    out = std[["code", "name", "section", "item", "method", "points", "department"]].assign(
        exp_rate=rate, exp_lost=std["points"].to_numpy() * (1 - rate),
        p10_rate=np.quantile(sim.rates, 0.1, axis=0), p90_rate=np.quantile(sim.rates, 0.9, axis=0))
    total = float(out["exp_lost"].sum())
    out["share"] = out["exp_lost"] / total if total > 0 else 0.0
    return out.sort_values(["exp_lost", "code"], ascending=[False, True], ignore_index=True)


def summarise(model: Model, sim: Simulation, alpha: Alpha, target_score: float, target_rank: int | None,
              runs: int, seed: int, warnings: list[str] | None = None) -> Forecast:
    t = sim.totals
    qs = {k: float(np.quantile(t, k)) for k in (0.1, 0.25, 0.5, 0.75, 0.9)}
    p_rank = float((sim.ranks <= target_rank).mean()) if sim.ranks is not None and target_rank else None
    last_peers = model.peers["last"].to_numpy() if len(model.peers) else np.empty(0)
    current = scoring.peer_rank(model.round_total, last_peers.tolist()) if len(last_peers) else None
    peers = model.peers.copy()
    return Forecast(
        target_score=float(target_score), target_rank=target_rank, runs=runs, seed=seed,
        p_target_score=float((t >= target_score - 1e-9).mean()), p_target_rank=p_rank,
        interval=(qs[0.1], qs[0.9]), quantiles=qs, mean=float(t.mean()), max_total=max_total(model),
        as_of=model.as_of, round_name=model.round_name, round_total=model.round_total, current_rank=current,
        sites=_site_table(model, sim, alpha), standards=_standard_table(model, sim), peers=peers,
        effects=alpha.effects, warnings=list(model.warnings) + list(warnings or []), seconds=sim.seconds, totals=t)


def forecast(con: duckdb.DuckDBPyConnection, *, target_score: float | None = None, target_rank: int | None = None,
             runs: int | None = None, seed: int | None = None, rates_override=None, rule: Rule | None = None,
             before: date | None = None, model: Model | None = None) -> Forecast:
    """The odds at the next assessment. target_score / target_rank default to data/office.yaml's; rates_override
    takes the what-if's settings ({KEY: rate}, "KEY=RATE;…" text, or whatif.Setting objects)."""
    from campaign.config import load_office

    office = load_office()
    target_score = office.target_total if target_score is None else float(target_score)
    target_rank = office.target_rank if target_rank is None else int(target_rank)
    model = model or build(con, rule, before)
    runs = int(runs or model.rule.runs)
    seed = model.rule.seed if seed is None else int(seed)
    settings, warnings = settings_of(rates_override)
    sim, alpha = simulate(model, runs, seed, settings)
    return summarise(model, sim, alpha, target_score, target_rank, runs, seed, warnings)


def risk_sites(fc: Forecast, n: int = 20, street: str | None = None, site_type: str | None = None,
               department: str | None = None) -> pd.DataFrame:
    s = fc.sites
    for col, v in (("street", street), ("site_type", site_type), ("department", department)):
        if v:
            s = s[s[col].eq(v)]
    return s.head(n).reset_index(drop=True)


def risk_table(sites: pd.DataFrame) -> pd.DataFrame:
    """The risk list as the page and the Excel download show it (Chinese headers)."""
    return pd.DataFrame({
        "序号": np.arange(1, len(sites) + 1), "点位": sites["site"], "点位类型": sites["site_type"],
        "街道": sites["street"], "责任单位": sites["department"],
        "被抽到的概率": sites["p_sampled"].round(3), "预计不达标标准数": sites["exp_failures"].round(1),
        "预计失分": sites["exp_lost"].round(3)})


def risk_standards(fc: Forecast, n: int = 10) -> pd.DataFrame:
    return fc.standards[fc.standards["exp_lost"] > 0].head(n).reset_index(drop=True)


def result_json(fc: Forecast, bt: Backtest | None = None, n_sites: int = 20) -> dict:
    top = fc.sites.head(n_sites)
    out = {
        "as_of": fc.as_of.isoformat(), "last_round": fc.round_name, "last_total": round(fc.round_total, 2),
        "target_score": fc.target_score, "target_rank": fc.target_rank, "runs": fc.runs, "seed": fc.seed,
        "p_target_score": round(fc.p_target_score, 4),
        "p_target_rank": None if fc.p_target_rank is None else round(fc.p_target_rank, 4),
        "interval": [round(fc.interval[0], 2), round(fc.interval[1], 2)],
        "median": round(fc.quantiles[0.5], 2), "max_total": round(fc.max_total, 2),
        "headline": fc.headline(n_sites),
        "risk_sites": [dict(site_id=int(r.site_id), site=r.site, site_type=r.site_type, street=r.street,
                            department=r.department, p_sampled=round(float(r.p_sampled), 4),
                            exp_failures=round(float(r.exp_failures), 2), exp_lost=round(float(r.exp_lost), 4))
                       for r in top.itertuples()],
        "risk_standards": [dict(code=r.code, name=r.name, method=r.method, exp_rate=round(float(r.exp_rate), 4),
                                exp_lost=round(float(r.exp_lost), 3)) for r in risk_standards(fc).itertuples()],
        "warnings": fc.warnings, "seconds": round(fc.seconds, 3),
    }
    if bt is not None:
        out["backtest"] = {"coverage": None if bt.coverage is None else round(bt.coverage, 4),
                           "brier": None if bt.brier is None else round(bt.brier, 4), "rounds": bt.n,
                           "inside": bt.inside, "line": bt.line()}
    return out


def page_forecast(con: duckdb.DuckDBPyConnection, target_score: float, target_rank: int | None, stamp: float = 0.0,
                  runs: int | None = None, rates: str | None = None) -> Forecast:
    """What the 迎检 page, the trends page and the what-if page show (cached by the app on the data version;
    ``stamp`` is the rule file's, which can change while the data does not)."""
    return forecast(con, target_score=target_score, target_rank=target_rank, runs=runs, rates_override=rates or None)
