"""The forecast's results: the odds, the interval, the sites and standards carrying the risk."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from campaign.forecast.backtest import Backtest
from campaign.forecast.estimate import Model, build
from campaign.forecast.rule import Rule
from campaign.forecast.scenario import Alpha, settings_of
from campaign.forecast.simulate import Simulation, max_total, simulate
from campaign.forecast.stats import expit
from campaign.model import scoring


HELP = """**怎样算的**（详见 docs/forecast.md）

1. **抽点位**：按 data/readiness.yaml 的测评规则，每类固定点位随机抽若干个；农贸市场、学校周边等固定点位周边
   500 米–2 公里内再随机加抽 1–2 条背街小巷和 1–2 个小区（点位没有经纬度时在同一街道内抽）。
2. **每个点位每条标准达标的概率**：以该标准在同类点位近几轮的达标比例为起点，按所在街道近期的达标水平、该点位近
   12 周督查发现问题的多少调整，再加上该点位自己的测评记录（越近的权重越大）。全区水平按最近几轮的走势外推一轮。
3. **{per_standard}、{survey}**按最近几轮的结果及其波动模拟；**兄弟区县**按各自公布总分的走势和波动模拟。
4. 以上模拟 {runs:,} 次（随机种子 {seed}，相同数据、相同种子结果相同），统计达到目标的比例、总分的区间和名次。
5. **回测**：对过去每一轮，只用该轮之前的测评和督查数据预测，看实际总分是否落在 80% 区间内；Brier 分数衡量
   “达到目标分”的把握说得准不准（0 最好，总说 50% 为 0.25）。
"""


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
    minors_gate: float | None = None       # the minors' framework's gate (85) when the forecast includes it
    p_minors_gate: float | None = None     # the odds its score reaches the gate
    minors_median: float | None = None

    def headline(self, n_sites: int = 20) -> str:
        """按目前状况，下次测评达到 90 分的把握约 63%，保住第 1 名的把握约 41%；以下 20 个点位最可能被抽到且失分"""
        parts = [f"按目前状况，下次测评达到 {self.target_score:g} 分的把握约 {pct(self.p_target_score)}"]
        if self.p_target_rank is not None and self.target_rank:
            keep = self.current_rank is not None and self.current_rank <= self.target_rank
            place = "第 1 名" if self.target_rank == 1 else f"前 {self.target_rank} 名"
            word = ("保住" if keep else "拿到" if self.target_rank == 1 else "进入") + place
            parts.append(f"{word}的把握约 {pct(self.p_target_rank)}")
        if self.p_minors_gate is not None and self.p_minors_gate < 0.995:
            parts.append(f"未成年人测评达到 {self.minors_gate:g} 分申报线的把握约 {pct(self.p_minors_gate)}")
        return "，".join(parts) + f"；以下 {n_sites} 个点位最可能被抽到且失分"


def help_text(fc: Forecast) -> str:
    """HELP for this forecast: the runs, the seed and the framework's own method names (网上申报 / 材料审核,
    主管部门意见, 问卷调查 / 电话调查 …)."""
    std = fc.standards
    per_standard = "、".join(n for n in (scoring.method_names(std, scoring.MATERIAL),
                                         scoring.method_names(std, scoring.OPINION)) if n) or "网上申报"
    return HELP.format(runs=fc.runs, seed=fc.seed, per_standard=per_standard,
                       survey=scoring.method_names(std, scoring.SURVEY, "问卷调查"))


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
    cols = ["code", "name", "section", "item", "method", "points", "department"]
    out = std[cols + (["method_kind"] if "method_kind" in std else [])].assign(
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
        effects=alpha.effects, warnings=list(model.warnings) + list(warnings or []), seconds=sim.seconds, totals=t,
        **_minors(model, sim))


def _minors(model: Model, sim: Simulation) -> dict:
    if model.minors is None or sim.minors is None:
        return {}
    gate = float(model.minors[1])
    return dict(minors_gate=gate, p_minors_gate=float((sim.minors >= gate - 1e-9).mean()),
                minors_median=float(np.median(sim.minors)))


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
        "序号": np.arange(1, len(sites) + 1), "点位": sites["site"], "街道": sites["street"],
        "责任单位": sites["department"], "预计失分": sites["exp_lost"].round(3),
        "被抽到的概率": sites["p_sampled"].round(3), "被抽到时预计失分": sites["lost_if_sampled"].round(3),
        "预计不达标标准数": sites["exp_failures"].round(1), "点位类型": sites["site_type"]})


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
        "minors_gate": fc.minors_gate,
        "p_minors_gate": None if fc.p_minors_gate is None else round(fc.p_minors_gate, 4),
        "minors_median": None if fc.minors_median is None else round(fc.minors_median, 2),
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


_models: dict[tuple, Model] = {}


def page_model(con: duckdb.DuckDBPyConnection, stamp: float = 0.0) -> Model:
    """The model of the store as it is now, kept while neither the data (its version) nor the rule file (its
    ``stamp``) changes: the pages ask for several targets and what-ifs of one model."""
    from campaign.store import data_version

    key = (id(con), data_version(con), stamp)
    model = _models.get(key)
    if model is None:
        model = build(con)
        _models.clear()
        _models[key] = model
    return model


SITE_RUNS = 20_000_000  # sites × simulated assessments a page may ask for (memory and time grow with both)


def page_runs(model: Model) -> int:
    """The rule's runs (10,000) for a district; fewer, down to 2,000, for a store of many thousand sites."""
    return int(min(model.rule.runs, max(2_000, SITE_RUNS // max(len(model.sites), 1))))


def page_forecast(con: duckdb.DuckDBPyConnection, target_score: float, target_rank: int | None, stamp: float = 0.0,
                  runs: int | None = None, rates: str | None = None) -> Forecast:
    """What the 迎检 page, the trends page and the what-if page show (cached by the app on the data version;
    ``stamp`` is the rule file's, which can change while the data does not)."""
    model = page_model(con, stamp)
    return forecast(con, target_score=target_score, target_rank=target_rank, runs=runs or page_runs(model),
                    rates_override=rates or None, model=model)
