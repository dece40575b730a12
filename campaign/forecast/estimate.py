"""The model's estimates: pass probabilities per site × field standard, online and survey levels and spreads,
peers' next totals, and the candidates of the 六个周边 rule."""
from __future__ import annotations

import hashlib

from dataclasses import dataclass, field, replace
from collections.abc import Sequence
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from campaign.forecast.inputs import Inputs, read_inputs
from campaign.forecast.rule import Rule, load_rule
from campaign.forecast.stats import expit, line, logit, weights
from campaign.model import geo, scoring

PASS_AT = 0.999      # an observation at ≥ 99.9 % of its max score has passed
STREET_PRIOR = 20.0  # pseudo-observations shrinking a street's pass share towards the district's
TYPE_PRIOR = 4.0     # pseudo-observations shrinking a standard's share at one site type towards its overall share
LEVEL_SPREAD = 0.10  # the least common shift (log-odds) between rounds, when the recent rounds sit on a line


@dataclass
class TypeBlock:
    """The sites of one type and the field standards assessed there."""
    site_type: str
    sites: np.ndarray      # global site indices (into Model.sites)
    stds: np.ndarray       # indices into Model.field
    base: np.ndarray       # (sites, stds): log-odds of passing before the round's shift
    k_fixed: int           # how many are drawn as fixed sites

    @property
    def odds32(self) -> np.ndarray:
        """odds of passing, float32, with a row of zeros after the last site (empty slots never pass)"""
        if getattr(self, "_odds", None) is None or self._odds.shape[0] != self.base.shape[0] + 1:
            with np.errstate(over="ignore"):
                o = np.exp(self.base).astype(np.float32)
            self._odds = np.vstack([o, np.zeros((1, o.shape[1]), dtype=np.float32)])
        return self._odds


@dataclass
class Model:
    rule: Rule
    as_of: date
    round_name: str              # the latest round known
    round_total: float           # its total (our own figure, as the trends page shows it)
    standards: pd.DataFrame      # every standard, framework order
    sites: pd.DataFrame          # site_id, site, site_type, street, department, lon, lat
    field: pd.DataFrame          # field standards: code, name, points, q (partial credit), tau (log-odds sd)
    blocks: list[TypeBlock]
    level_shift: float           # field log-odds moved to the next round
    level_sd: float
    online: pd.DataFrame         # code, name, points, department, mu, sd
    online_shift: float
    online_sd: float
    survey: pd.DataFrame         # street, indicator, mu, sd, w (respondent share within the indicator)
    indicators: pd.DataFrame     # indicator, points (Σ of its standards), shift, sd
    peers: pd.DataFrame          # peer, mean, sd, last
    bonus: float
    deduction: float
    anchors_around: set[str]
    # group (alleys / compounds) → (candidates of every site, one after another; offsets into them per site, and
    # after the last; (least, most) drawn per fixed site): only the fixed sites of the ``around`` types have any
    candidates: dict[str, tuple[np.ndarray, np.ndarray, tuple[int, int]]]
    warnings: list[str] = field(default_factory=list)
    minors: tuple[float, float] | None = None  # (share, gate) when the minors' standards are in ``standards``

    def surroundings(self, group: str, i: int) -> np.ndarray:
        """The sites (indices) the 六个周边 rule may add around site i: group alleys or compounds."""
        flat, offsets, _ = self.candidates[group]
        return flat[offsets[i]:offsets[i + 1]]

    @property
    def max_total(self) -> float:
        """The deterministic maximum: every standard that can be assessed at 100 %, through campaign.model.scoring."""
        from campaign.forecast.simulate import max_total  # simulate builds on this module

        return max_total(self)


def estimate(inputs: Inputs, rule: Rule) -> Model:
    """The model from what the store knew (inputs) and the rule (module doc of campaign.forecast)."""
    std = inputs.standards.reset_index(drop=True)
    sites = inputs.sites.reset_index(drop=True)
    warnings: list[str] = []
    std = std.assign(kind=scoring.method_kinds(std).to_numpy())
    obs = inputs.obs.merge(std[["code", "kind", "points"]], left_on="standard_code", right_on="code")
    obs["w"] = weights(obs["held_on"], inputs.as_of, rule.half_life_weeks)
    with np.errstate(invalid="ignore", divide="ignore"):
        obs["rate"] = (obs["score"] / obs["max_score"]).where(obs["max_score"] > 0)
    obs = obs[obs["rate"].notna()]
    rounds = inputs.rounds.reset_index(drop=True)
    fstd, blocks, level_shift, level_sd = _field(std, sites, obs, rounds, inputs, rule, warnings)
    ostd, online_shift, online_sd = _online(std, obs, rounds, inputs, rule, warnings)
    survey, indicators = _survey(std, rounds, inputs, rule)
    peers = _peers(inputs, rule)
    cands = _surroundings(sites, rule, warnings)
    around = set(rule.around)
    last = rounds["round_id"].iloc[-1]
    totals = scoring.round_total(scoring.standard_rates(std, inputs.obs[inputs.obs["round_id"].eq(last)],
                                                        inputs.survey[inputs.survey["round_id"].eq(last)]))
    return Model(
        rule=rule, as_of=inputs.as_of, round_name=str(rounds["round_name"].iloc[-1]),
        round_total=totals.base + inputs.bonus, standards=std, sites=sites, field=fstd, blocks=blocks,
        level_shift=float(level_shift), level_sd=float(level_sd), online=ostd, online_shift=float(online_shift),
        online_sd=float(online_sd), survey=survey, indicators=indicators, peers=peers, bonus=inputs.bonus,
        deduction=0.0, anchors_around=around, candidates=cands, warnings=warnings, minors=inputs.minors)



def _field(std: pd.DataFrame, sites: pd.DataFrame, obs: pd.DataFrame, rounds: pd.DataFrame, inputs: Inputs,
           rule: Rule, warnings: list[str]) -> tuple[pd.DataFrame, list[TypeBlock], float, float]:
    """Field standards: a Beta posterior per site × standard (blocks by site type), the district's level one round
    ahead and its spread."""
    fstd = std[std["kind"].eq(scoring.FIELD)].reset_index(drop=True)
    fo = obs[obs["kind"].eq(scoring.FIELD) & obs["site_id"].notna()].copy()
    fo["pass"] = (fo["rate"] >= PASS_AT).astype(float)
    fo["wp"], fo["wf"] = fo["w"] * fo["pass"], fo["w"] * (1 - fo["pass"])
    g = fo.groupby("standard_code")[["wp", "wf"]].sum()
    S = fstd["code"].map(g["wp"]).fillna(0.0).to_numpy()
    F = fstd["code"].map(g["wf"]).fillna(0.0).to_numpy()
    m_s = (S + 1) / (S + F + 2)
    tau = np.sqrt(1 / (S + 1) + 1 / (F + 1))  # the log-odds sd of Beta(S + 1, F + 1), roughly
    fail = fo[fo["pass"].eq(0)]
    all_q = float(np.average(fail["rate"], weights=fail["w"])) if len(fail) and fail["w"].sum() > 0 else 0.0
    qg = fail.assign(wr=fail["w"] * fail["rate"]).groupby("standard_code")[["wr", "w"]].sum()
    q = fstd["code"].map(qg["wr"] / qg["w"]).fillna(all_q).clip(0, 1).to_numpy()
    fstd = fstd.assign(q=q, tau=tau, m=m_s)
    sidx = {c: j for j, c in enumerate(fstd["code"])}
    # per standard × site type, shrunk towards the standard's share
    gt = fo.groupby(["standard_code", "site_type"])[["wp", "wf"]].sum()
    gt = gt.reset_index()
    gt = gt[gt["standard_code"].isin(sidx)]
    prior_s = m_s[gt["standard_code"].map(sidx).to_numpy(int)] if len(gt) else np.empty(0)
    m_st = dict(zip(zip(gt["standard_code"], gt["site_type"]),
                    (gt["wp"].to_numpy() + TYPE_PRIOR * prior_s) / (gt["wp"].to_numpy() + gt["wf"].to_numpy() + TYPE_PRIOR)))
    # the street's pass share relative to the district's
    overall = float(fo["wp"].sum() / max(fo["w"].sum(), 1e-9)) if len(fo) else 0.5
    gs = fo.groupby("street")[["wp", "w"]].sum()
    d_street = (logit((gs["wp"] + STREET_PRIOR * overall) / (gs["w"] + STREET_PRIOR)) - logit(overall)).to_dict()
    # inspection problems per site relative to its type in its street
    sp = sites[["site_id", "site_type", "street"]].merge(inputs.site_problems, on="site_id", how="left").fillna(
        {"inspections": 0.0, "problems": 0.0})
    grp = sp.groupby(["site_type", "street"])[["problems", "inspections"]].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_t = np.where(grp["inspections"] > 0, grp["problems"] / grp["inspections"], 0.0)
    ratio = (sp["problems"].to_numpy() + 1.0) / (sp["inspections"].to_numpy() * rate_t + 1.0)
    rho = -rule.problem_weight * np.log(ratio)
    # the site's own observations
    own = fo.groupby(["site_id", "standard_code"])[["wp", "wf"]].sum().reset_index()

    n0 = rule.prior_strength
    blocks: list[TypeBlock] = []
    types = list(dict.fromkeys(sites["site_type"]))
    st_arr, street_arr = sites["site_type"].to_numpy(), sites["street"].to_numpy()
    id_arr, codes_arr = sites["site_id"].to_numpy(int), fstd["code"].to_numpy()
    type_sets = [set(ts) if ts is not None else set() for ts in fstd["site_types"]]
    # the own observations as (site index, field standard index, wp, wf), the pairs both sides know
    o_site = pd.Series(np.arange(len(sites)), index=id_arr).reindex(own["site_id"].astype(int)).to_numpy()
    o_std = pd.Series(np.arange(len(codes_arr)), index=codes_arr).reindex(own["standard_code"]).to_numpy()
    known = ~(np.isnan(o_site) | np.isnan(o_std))
    o_site, o_std = o_site[known].astype(np.int64), o_std[known].astype(np.int64)
    o_wp, o_wf = own["wp"].to_numpy(float)[known], own["wf"].to_numpy(float)[known]
    row_of = np.full(len(sites), -1, dtype=np.int64)
    col_of = np.full(len(codes_arr), -1, dtype=np.int64)
    for t in types:
        idx = np.flatnonzero(st_arr == t)
        js = np.array([j for j, ts in enumerate(type_sets) if t in ts], dtype=int)
        k = rule.fixed.get(t, rule.default_per_type)
        if not len(js):
            continue
        prior = np.array([m_st.get((c, t), m_s[sidx[c]]) for c in codes_arr[js]])
        ds = np.array([d_street.get(x, 0.0) for x in street_arr[idx]])
        mu = expit(logit(prior)[None, :] + ds[:, None] + rho[idx][:, None])
        a = n0 * mu
        b = n0 * (1 - mu)
        row_of[idx], col_of[js] = np.arange(len(idx)), np.arange(len(js))
        r, c_ = row_of[o_site], col_of[o_std]
        mine = (r >= 0) & (c_ >= 0)
        np.add.at(a, (r[mine], c_[mine]), o_wp[mine])
        np.add.at(b, (r[mine], c_[mine]), o_wf[mine])
        row_of[idx], col_of[js] = -1, -1
        blocks.append(TypeBlock(t, idx, js, logit(a / (a + b)), int(min(k, len(idx)))))
    missing = [t for ts in fstd["site_types"] for t in (ts if ts is not None else []) if t not in set(types)]
    if missing:
        what = scoring.method_names(fstd, scoring.FIELD, "实地考察")
        warnings.append(f"本区没有以下类型的点位，相关{what}标准按未测评计 0 分：{'、'.join(sorted(set(missing)))}")

    # the district's field level, one round ahead
    per_round = fo.groupby("round_id").agg(p=("pass", "mean"))
    per_round = per_round.loc[[r for r in rounds["round_id"] if r in per_round.index]]
    recent = per_round.tail(max(rule.trend_rounds, 2))
    nxt, _slope, sd = line(logit(recent["p"].to_numpy()))
    level_w = logit(overall)
    level_shift = rule.trend * (nxt - level_w) if np.isfinite(nxt) else 0.0
    level_sd = max(LEVEL_SPREAD, sd if np.isfinite(sd) else 2 * LEVEL_SPREAD)
    return fstd, blocks, float(level_shift), float(level_sd)


def _online(std: pd.DataFrame, obs: pd.DataFrame, rounds: pd.DataFrame, inputs: Inputs, rule: Rule,
            warnings: list[str]) -> tuple[pd.DataFrame, float, float]:
    """Standards scored once per round (material and opinion kinds: 网上申报, 主管部门意见 …): each one's recent mean
    and spread, and the part's common trend and spread."""
    per_standard = std["kind"].isin([scoring.MATERIAL, scoring.OPINION])
    ostd = std[per_standard].reset_index(drop=True)
    oo = obs[obs["kind"].isin([scoring.MATERIAL, scoring.OPINION])]
    keep = list(rounds["round_id"])[-rule.online_rounds:]
    oo = oo[oo["round_id"].isin(keep)]
    per_std = oo.groupby(["standard_code", "round_id"]).agg(s=("score", "sum"), m=("max_score", "sum"), w=("w", "first"))
    per_std["r"] = per_std["s"] / per_std["m"]
    by_round = oo.groupby("round_id").apply(
        lambda d: float((d["rate"] * d["points"]).sum() / d["points"].sum()) if d["points"].sum() > 0 else np.nan,
        include_groups=False).reindex(keep)
    by_round = by_round.dropna()
    o_nxt, _, o_sd = line(by_round.to_numpy())
    wts = weights(rounds.set_index("round_id").loc[by_round.index, "held_on"].reset_index(drop=True), inputs.as_of,
                   rule.half_life_weeks) if len(by_round) else np.array([])
    o_level = float(np.average(by_round.to_numpy(), weights=wts)) if len(by_round) else 0.0
    online_shift = rule.trend * (o_nxt - o_level) if np.isfinite(o_nxt) else 0.0
    online_sd = max(rule.online_spread / 2, o_sd if np.isfinite(o_sd) else rule.online_spread)
    mus, sds = [], []
    for c in ostd["code"]:
        if c in per_std.index.get_level_values(0):
            d = per_std.loc[c]
            mus.append(float(np.average(d["r"], weights=d["w"])))
            dev = d["r"] - by_round.reindex(d.index).to_numpy()
            sds.append(max(rule.online_spread, float(np.nanstd(dev, ddof=1)) if len(d) > 2 else rule.online_spread * 2))
        else:
            mus.append(np.nan)
            sds.append(0.0)
    ostd = ostd.assign(mu=mus, sd=sds)
    if ostd["mu"].isna().any():
        gone = ostd[ostd["mu"].isna()]
        words = "、".join(f"{n} 条{m}" for m, n in gone.groupby("method", sort=False).size().items())
        warnings.append(f"{words}标准近几轮没有测评结果，按未测评计 0 分")
    return ostd, float(online_shift), float(online_sd)


def _survey(std: pd.DataFrame, rounds: pd.DataFrame, inputs: Inputs,
            rule: Rule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey: each street × indicator's recent mean and spread (weighted by respondents), each indicator's trend."""
    sstd = std[std["kind"].eq(scoring.SURVEY)]  # every survey kind of an indicator takes its rate
    ind_points = sstd.groupby("indicator")["points"].sum()
    sv = inputs.survey
    keep_s = list(rounds["round_id"])[-rule.survey_rounds:]
    sv = sv[sv["round_id"].isin(keep_s)].copy()
    sv["w"] = weights(sv["held_on"], inputs.as_of, rule.half_life_weeks)
    rows, inds = [], []
    last_sv = sv[sv["round_id"].eq(sv["round_id"].max())] if len(sv) else sv
    for ind, pts in ind_points.items():
        d = sv[sv["indicator"].eq(ind)]
        if d.empty:
            inds.append(dict(indicator=ind, points=float(pts), shift=0.0, sd=0.0, assessed=False))
            continue
        dist = d.groupby("round_id").apply(lambda x: float(np.average(x["rate"], weights=x["respondents"].clip(lower=1))),
                                           include_groups=False).reindex([r for r in keep_s if r in set(d["round_id"])])
        nx, _, sd_i = line(dist.to_numpy())
        wr = weights(rounds.set_index("round_id").loc[dist.index, "held_on"].reset_index(drop=True), inputs.as_of,
                      rule.half_life_weeks)
        lvl = float(np.average(dist.to_numpy(), weights=wr))
        inds.append(dict(indicator=ind, points=float(pts), shift=rule.trend * (nx - lvl) if np.isfinite(nx) else 0.0,
                         sd=max(rule.survey_spread / 2, sd_i if np.isfinite(sd_i) else rule.survey_spread),
                         assessed=True))
        resp = last_sv[last_sv["indicator"].eq(ind)].set_index("street")["respondents"]
        for street, e in d.groupby("street"):
            mu = float(np.average(e["rate"], weights=e["w"]))
            dev = e.set_index("round_id")["rate"] - dist.reindex(e["round_id"]).to_numpy()
            sd = max(rule.survey_spread, float(np.nanstd(dev.to_numpy(), ddof=1)) if len(e) > 2 else 2 * rule.survey_spread)
            rows.append(dict(street=street, indicator=ind, mu=mu, sd=sd,
                             respondents=float(resp.get(street, e["respondents"].iloc[-1]))))
    survey = pd.DataFrame(rows, columns=["street", "indicator", "mu", "sd", "respondents"])
    if len(survey):
        survey["w"] = survey["respondents"] / survey.groupby("indicator")["respondents"].transform("sum")
    else:
        survey["w"] = []
    indicators = pd.DataFrame(inds, columns=["indicator", "points", "shift", "sd", "assessed"])
    return survey, indicators


def _peers(inputs: Inputs, rule: Rule) -> pd.DataFrame:
    """Each peer's next total: its recent published totals' line one round ahead, with its prediction error."""
    prow = []
    for peer, d in inputs.peers.sort_values("held_on").groupby("peer", sort=True):
        y = d["total"].to_numpy(float)[-rule.peer_rounds:]
        nx, _, sd = line(y)
        fallback = 2 * rule.peer_spread
        prow.append(dict(peer=peer, mean=nx, sd=max(rule.peer_spread, sd if np.isfinite(sd) else fallback),
                         last=float(y[-1])))
    peers = pd.DataFrame(prow, columns=["peer", "mean", "sd", "last"])
    return peers


_NEAR: dict = {}  # the surroundings of the last few site lists: the same sites give the same surroundings


def _surroundings(sites: pd.DataFrame, rule: Rule, warnings: list[str]) -> dict:
    """The 六个周边 candidates of every fixed site of the ``around`` types: alleys and compounds 500 m–2 km away
    (the same street without coordinates or when none is in range). Computed once per site list and rule: the
    page's model, the what-ifs and every round of the backtest share them."""
    coords = sites[["lon", "lat"]].to_numpy(float)
    has = ~np.isnan(coords).any(axis=1)
    if rule.around and not has.any():
        warnings.append("点位没有经度、纬度：“六个周边”按固定点位所在街道内抽取")
    key = (hashlib.blake2b(pd.util.hash_pandas_object(sites[["site_type", "street", "lon", "lat"]], index=False)
                           .to_numpy().tobytes(), digest_size=16).digest(),
           tuple(rule.around), tuple(rule.alley_types), tuple(rule.compound_types), tuple(rule.back_alleys),
           tuple(rule.compounds), tuple(rule.radius_m))
    if key not in _NEAR:
        if len(_NEAR) >= 4:
            _NEAR.clear()
        _NEAR[key] = _candidates(sites, rule, coords, has)
    return _NEAR[key]


def _candidates(sites: pd.DataFrame, rule: Rule, coords: np.ndarray, has: np.ndarray) -> dict:
    st_arr, street_arr = sites["site_type"].to_numpy(), sites["street"].to_numpy()
    around = set(rule.around)
    x_m, y_m = geo.local_metres(coords[:, 0], coords[:, 1])
    cands = {}
    for group, tset, cnt in (("alleys", set(rule.alley_types), rule.back_alleys),
                             ("compounds", set(rule.compound_types), rule.compounds)):
        pool = np.flatnonzero(sites["site_type"].isin(tset).to_numpy())
        lengths = np.zeros(len(sites), dtype=np.int64)
        anchors = np.flatnonzero(np.isin(st_arr, list(around))) if len(pool) else np.empty(0, dtype=np.int64)
        located = anchors[has[anchors]]
        near_of = dict(zip(located, geo.within(x_m, y_m, located, pool[has[pool]], *rule.radius_m)))
        lists = []
        for i in anchors:
            near = near_of.get(i)
            if near is None or not len(near):  # no coordinates, or none in range: the same street
                near = pool[(street_arr[pool] == street_arr[i]) & (pool != i)]
            lists.append(near)
            lengths[i] = len(near)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        flat = np.concatenate(lists).astype(np.int32) if lists else np.empty(0, dtype=np.int32)
        cands[group] = (flat, offsets, cnt)
    return cands


def build(con: duckdb.DuckDBPyConnection, rule: Rule | None = None, before: date | None = None) -> Model:
    rule = rule or load_rule()
    return estimate(read_inputs(con, rule, before), rule)


def with_failing(model: Model, codes: Sequence[str]) -> Model:
    """The model with the given standards failing everywhere (field: never passing, no partial credit; online
    and survey: rate 0): what if the weakest boards collapse."""
    codes = set(codes)
    fstd = model.field.copy()
    hit = fstd["code"].isin(codes).to_numpy()
    fstd.loc[hit, "q"] = 0.0
    blocks = []
    for b in model.blocks:
        base = b.base.copy()
        base[:, hit[b.stds]] = -np.inf
        blocks.append(replace(b, base=base))
    online = model.online.copy()
    online.loc[online["code"].isin(codes), ["mu", "sd"]] = [0.0, 0.0]
    s = model.standards
    inds = set(s.loc[s["code"].isin(codes) & scoring.method_kinds(s).eq(scoring.SURVEY), "indicator"])
    survey = model.survey.copy()
    survey.loc[survey["indicator"].isin(inds), ["mu", "sd"]] = [0.0, 0.0]
    return replace(model, field=fstd, blocks=blocks, online=online, survey=survey)


def expected_counts(model: Model, p_sampled: np.ndarray) -> np.ndarray:
    """Mean observations of each field standard per simulated assessment."""
    n = np.zeros(len(model.field))
    for b in model.blocks:
        np.add.at(n, b.stds, p_sampled[b.sites].sum())
    return n
