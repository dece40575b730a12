"""The model of one round built from its observations and survey rows (units with their share of framework
points, open problems, site counts, the ledger's closing times), and the projection of a scenario on it:
the share of its gap each unit closes, and the total, rates and rank through the same scoring as the other
pages, so that a scenario without settings reproduces the round exactly."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from campaign import queries
from campaign.analysis import metrics
from campaign.model import scoring
from campaign.whatif.effort import load_effort
from campaign.whatif.settings import KINDS, SURVEY, Setting, Terms, WhatIfError, parse_scenario

@dataclass
class Projection:
    score: scoring.RoundScore
    rank: int | None
    ranked: int | None              # districts in the ranking (peers + us)
    rates: pd.DataFrame             # scoring.standard_rates output
    effects: pd.DataFrame           # per setting: key, label, fix, units, before, target, points
    warnings: list[str]

    @property
    def total(self) -> float:
        return self.score.total


@dataclass
class Model:
    round_id: int
    round_name: str
    standards: pd.DataFrame
    obs: pd.DataFrame               # standard_code, score, max_score (+ rows for standards the round missed)
    survey: pd.DataFrame            # street, indicator, rate, respondents (+ rows for indicators it missed)
    bonus: pd.DataFrame
    negatives: pd.DataFrame
    bonus_cap: float
    peers: pd.DataFrame             # peer, total (highest first)
    units: pd.DataFrame             # one row per obs row, then per survey row: std, street, site_type, ...
    value: np.ndarray               # score (obs) / rate (survey)
    top: np.ndarray                 # max_score (obs) / 1 (survey)
    share: np.ndarray               # framework points the unit holds
    ppv: np.ndarray                 # points per unit of value: share / top
    open_problems: pd.DataFrame     # standard_code, street, site_type, department, category, site_key, problems
    site_counts: dict               # (street, site_type) → sites
    fix_groups: pd.DataFrame        # field standard × street: std, street, rate (as assessed), sites
    unit_group: np.ndarray          # each unit's row in fix_groups (−1: not a field observation with a street)
    close_days: pd.DataFrame        # whatif_close_days: closed problems and days per standard × department
    recent: dict                    # (standard, street) → problems in the recent weeks
    recent_weeks: int
    baseline: Projection | None = None
    minors: tuple | None = None     # (minors' score or None, share, gate) as assessed (metrics.minors_round); when
    #                                 assessed, its standards are in ``standards`` (framework "minors") and move too
    _masks: dict = field(default_factory=dict, repr=False)

    @property
    def n_obs(self) -> int:
        return len(self.obs)

    @property
    def gap(self) -> np.ndarray:
        return np.maximum(self.top - self.value, 0.0)

    @property
    def earned0(self) -> np.ndarray:
        return self.ppv * self.value

    # -- vocabulary -----------------------------------------------------------------------------------
    def _std_set(self, kind: str, value: str) -> set[str]:
        s = self.standards
        if kind == "standard":
            return set(s.loc[s["code"].eq(value), "code"])
        if kind in ("section", "item"):
            return set(s.loc[s[f"{kind}_code"].eq(value) | s[kind].eq(value), "code"])
        if kind == "category":
            return set(s.loc[s["categories"].map(lambda c: value in list(c if c is not None else [])), "code"])
        return set()

    def known(self, kind: str, value: str) -> bool:
        u, s = self.units, self.standards
        if kind in ("standard", "section", "item", "category"):
            return bool(self._std_set(kind, value))
        if kind == "site_type":
            types = {t for ts in s["site_types"] for t in (ts if ts is not None else [])}
            return value in types or value in set(u["site_type"].dropna())
        if kind == "street":
            return value in set(u["street"].dropna()) or value in self.streets
        if kind == "department":
            return value in set(u["department"].dropna()) or value in set(s["department"])
        if kind == "indicator":
            return value in set(s["indicator"].dropna())
        return False

    @property
    def streets(self) -> list[str]:
        return sorted(set(self.units["street"].dropna()) | {k[0] for k in self.site_counts})

    # -- masks ----------------------------------------------------------------------------------------
    def _term(self, kind: str, value: str) -> np.ndarray:
        key = ("term", kind, value)
        if key not in self._masks:
            self._masks[key] = self._term_mask(kind, value)
        return self._masks[key]

    def _term_mask(self, kind: str, value: str) -> np.ndarray:
        u = self.units
        if kind in ("standard", "section", "item", "category"):
            stds = self._std_set(kind, value)
            m = u["std"].isin(stds).to_numpy(copy=True)
            if kind != "category":
                s = self.standards
                sv = s[s["code"].isin(stds) & scoring.method_kinds(s).eq(scoring.SURVEY)]
                m |= u["indicator"].isin(set(sv["indicator"])).to_numpy() & u["is_survey"].to_numpy()
            return m
        if kind in ("site_type", "street", "department", "indicator"):
            return u[kind].eq(value).to_numpy(copy=True)
        raise WhatIfError(f"未知的设定类型“{kind}”")

    def mask(self, terms: Terms) -> np.ndarray:
        if terms not in self._masks:
            m = np.ones(len(self.units), dtype=bool)
            for kind, value in terms:
                m &= self._term(kind, value)
            self._masks[terms] = m
        return self._masks[terms]

    def index(self, terms: Terms) -> np.ndarray:
        key = ("idx",) + terms
        if key not in self._masks:
            self._masks[key] = np.flatnonzero(self.mask(terms))
        return self._masks[key]

    def group_rate(self, idx: np.ndarray) -> float:
        share = float(self.share[idx].sum())
        return float(self.earned0[idx].sum()) / share if share > 0 else float("nan")

    def validate(self, settings: list[Setting]) -> tuple[list[Setting], list[str]]:
        """Settings naming things this round and framework know, and a warning for each one dropped."""
        ok, warnings = [], []
        for s in settings:
            bad = [(k, v) for k, v in s.terms if not self.known(k, v)]
            if bad:
                warnings.append(f"设定“{s.text}”中的{KINDS[bad[0][0]]}“{bad[0][1]}”不存在，已忽略")
            else:
                ok.append(s)
        return ok, warnings


def latest_round(con: duckdb.DuckDBPyConnection) -> int | None:
    rounds = queries.run(con, "assessment_rounds")
    return int(rounds["round_id"].iloc[-1]) if len(rounds) else None


def build_model(con: duckdb.DuckDBPyConnection, round_id: int | None = None) -> Model:
    """The round's observations as arrays, ready for fast projections (default: the latest round)."""
    rounds = queries.run(con, "assessment_rounds")
    if rounds.empty:
        raise WhatIfError("还没有测评数据：请先导入模拟测评结果")
    round_id = int(rounds["round_id"].iloc[-1]) if round_id is None else int(round_id)
    if not rounds["round_id"].eq(round_id).any():
        raise WhatIfError(f"测评轮次 {round_id} 不存在；已有：{'、'.join(map(str, rounds['round_id']))}")
    name = str(rounds.loc[rounds["round_id"].eq(round_id), "round_name"].iloc[0])
    cfg = metrics.settings(con)
    std = metrics.standards(con).assign(framework="city")
    obs = queries.run(con, "round_observations", round_id=round_id)
    survey = queries.run(con, "survey_rates_by_round")
    survey = survey[survey["round_id"].eq(round_id)].drop(columns="round_id").reset_index(drop=True)
    minors = metrics.minors_round(con, obs, survey)
    weight = pd.Series(1.0, index=std.index)  # what a point of each standard is worth in the total
    if minors is not None and minors[0] is not None:
        # the round assessed the minors' framework: its standards move with the city's, each framework's points
        # counting for its share of the total ((1 − share) × city + share × minors, as campaign.model.scoring
        # blends them)
        mstd = queries.run(con, "minors_standards").assign(framework="minors")
        share_m = float(minors[1])
        std = pd.concat([std, mstd], ignore_index=True)
        weight = pd.Series(np.where(std["framework"].eq("minors"), share_m, 1.0 - share_m), index=std.index)
    obs = obs[obs["standard_code"].isin(set(std["code"]))].reset_index(drop=True)
    bonus = queries.run(con, "bonus_by_round")
    neg = queries.run(con, "negatives_by_round")
    peers = queries.run(con, "peer_totals")
    peers = peers[peers["round_id"].eq(round_id)].sort_values("total", ascending=False)[["peer", "total"]]

    # standards the round did not assess score 0 anyway; one empty unit each lets a setting raise them
    kinds = scoring.method_kinds(std)
    is_sv = kinds.eq(scoring.SURVEY)
    missing = std[~is_sv & ~std["code"].isin(set(obs["standard_code"]))]
    if len(missing):
        obs = pd.concat([obs, pd.DataFrame({"standard_code": missing["code"], "department": missing["department"],
                                            "score": 0.0, "max_score": 1.0})], ignore_index=True)
    inds = std.loc[is_sv, "indicator"].dropna().unique()
    gone = [i for i in inds if i not in set(survey["indicator"])]
    if gone:
        survey = pd.concat([survey, pd.DataFrame({"street": None, "indicator": gone, "rate": 0.0,
                                                  "respondents": 1})], ignore_index=True)

    points = pd.Series((std["points"] * weight).to_numpy(float), index=std["code"])  # points of the total
    method = std.set_index("code")["method"]
    kind = pd.Series(kinds.to_numpy(), index=std["code"])
    smax = obs.groupby("standard_code")["max_score"].transform("sum").to_numpy(float)
    pts = obs["standard_code"].map(points).to_numpy(float)
    scored = obs["standard_code"].map(kind).ne(scoring.SURVEY).to_numpy()  # survey kinds score from the survey
    with np.errstate(invalid="ignore", divide="ignore"):
        o_share = np.where((smax > 0) & scored, pts * obs["max_score"].to_numpy(float) / smax, 0.0)
    ind_points = (std["points"] * weight)[is_sv].groupby(std.loc[is_sv, "indicator"]).sum()
    w = survey["respondents"].astype(float).fillna(0.0).to_numpy()
    wsum = survey.assign(w=w).groupby("indicator")["w"].transform("sum").to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_share = np.where(wsum > 0, survey["indicator"].map(ind_points).fillna(0.0).to_numpy(float) * w / wsum, 0.0)
    lead = std[is_sv].sort_values("points", ascending=False).groupby("indicator")["department"].first()
    # a survey row is scored by every survey-kind method of its indicator (问卷调查, 电话调查 …): named after them
    sv_method = std[is_sv].groupby("indicator", sort=False)["method"].agg(lambda m: "、".join(dict.fromkeys(m)))

    units = pd.DataFrame({
        "std": list(obs["standard_code"]) + [None] * len(survey),
        "method": list(obs["standard_code"].map(method)) + list(
            survey["indicator"].map(sv_method).fillna(scoring.method_names(std, scoring.SURVEY, SURVEY))),
        "kind": list(obs["standard_code"].map(kind)) + [scoring.SURVEY] * len(survey),
        "street": list(obs["street"]) + list(survey["street"]),
        "site_type": list(obs["site_type"]) + [None] * len(survey),
        "department": list(obs["department"]) + [None] * len(survey),
        "lead": list(obs["department"]) + list(survey["indicator"].map(lead)),
        "indicator": [None] * len(obs) + list(survey["indicator"]),
        "is_survey": [False] * len(obs) + [True] * len(survey),
    })
    units = units.astype(object).where(units.notna(), None)
    units["is_survey"] = units["is_survey"].astype(bool)
    value = np.concatenate([obs["score"].to_numpy(float), survey["rate"].to_numpy(float)])
    top = np.concatenate([obs["max_score"].to_numpy(float), np.ones(len(survey))])
    share = np.nan_to_num(np.concatenate([o_share, s_share]))
    with np.errstate(invalid="ignore", divide="ignore"):
        ppv = np.where(top > 0, share / top, 0.0)

    # ledger facts behind the effort defaults and the "mark as fixed" translation
    latest = queries.run(con, "latest_activity_date")["latest"].iloc[0]
    eff = load_effort()
    recent = {}
    if pd.notna(latest):
        end = pd.Timestamp(latest).date()
        rp = queries.run(con, "whatif_recent_problems", start=end - timedelta(weeks=eff.recent_weeks), end=end)
        recent = {(r.standard_code, r.street): int(r.problems) for r in rp.itertuples()}
    sc = queries.run(con, "whatif_site_counts")
    site_counts = {(r.street, r.site_type): int(r.sites) for r in sc.itertuples()}
    fix_groups, unit_group = _field_groups(units, value, share, ppv, std, site_counts)
    model = Model(
        round_id=round_id, round_name=name, standards=std,
        obs=obs[["standard_code", "score", "max_score"]].copy(),
        survey=survey[["street", "indicator", "rate", "respondents"]].copy(),
        bonus=bonus[bonus["round_id"].eq(round_id)], negatives=neg[neg["round_id"].eq(round_id)],
        bonus_cap=cfg.bonus_cap, peers=peers.reset_index(drop=True), units=units,
        value=value, top=top, share=share, ppv=ppv,
        open_problems=_open_problems(queries.run(con, "whatif_open_problems"), std),
        site_counts=site_counts, fix_groups=fix_groups, unit_group=unit_group,
        close_days=queries.run(con, "whatif_close_days"), recent=recent, recent_weeks=eff.recent_weeks,
        minors=minors,
    )
    model.baseline = project(model, [])
    return model


def unit_kinds(units: pd.DataFrame) -> pd.Series:
    """Each unit's method kind (field, material, opinion, survey); units made without a ``kind`` column are
    read by the classic method names."""
    if "kind" in units:
        return units["kind"]
    return units["method"].map(scoring.CLASSIC_KINDS).fillna(scoring.MATERIAL).where(~units["is_survey"],
                                                                                       scoring.SURVEY)


def _field_groups(units: pd.DataFrame, value: np.ndarray, share: np.ndarray, ppv: np.ndarray, std: pd.DataFrame,
                  site_counts: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """Field observations per standard × street: the groups "mark as fixed" lifts."""
    on = (unit_kinds(units).eq(scoring.FIELD) & units["street"].notna()).to_numpy(bool)
    keys = units.loc[on, ["std", "street"]]
    codes, uniques = pd.MultiIndex.from_frame(keys).factorize()
    unit_group = np.full(len(units), -1, dtype=np.int64)
    unit_group[on] = codes
    groups = pd.DataFrame(list(uniques), columns=["std", "street"]) if len(uniques) else \
        pd.DataFrame(columns=["std", "street"])
    earned = np.bincount(codes, weights=(ppv * value)[on], minlength=len(groups))
    held = np.bincount(codes, weights=share[on], minlength=len(groups))
    with np.errstate(invalid="ignore", divide="ignore"):
        groups["rate"] = np.where(held > 0, earned / np.where(held > 0, held, 1), 1.0)
    types = std.set_index("code")["site_types"]
    groups["sites"] = [sum(site_counts.get((t, x), 0) for x in (types.get(c) if types.get(c) is not None else []))
                       for c, t in zip(groups["std"], groups["street"])]
    return groups, unit_group


def _open_problems(op: pd.DataFrame, std: pd.DataFrame) -> pd.DataFrame:
    """Open problems with a field standard each; a problem without one counts for every field standard
    listing its category and site type."""
    field_std = std[scoring.method_kinds(std).eq(scoring.FIELD).to_numpy()]
    op = op.assign(pid=np.arange(len(op)))  # one id per ledger group, kept through the expansion below
    known = op[op["standard_code"].notna()]
    bare = op[op["standard_code"].isna() & op["category"].notna() & op["site_type"].notna()]
    if len(bare):
        pairs = [(c, t, code) for code, cats, types in zip(field_std["code"], field_std["categories"],
                                                            field_std["site_types"])
                 for c in (cats if cats is not None else []) for t in (types if types is not None else [])]
        cand = pd.DataFrame(pairs, columns=["category", "site_type", "standard_code"])
        bare = bare.drop(columns="standard_code").merge(cand, on=["category", "site_type"])
    out = pd.concat([known, bare], ignore_index=True)
    out = out.merge(std[["code", "item_code", "item", "section_code", "section"]],
                    left_on="standard_code", right_on="code", how="left").drop(columns="code")
    text = ["standard_code", "street", "site_type", "department", "category", "item_code", "item", "section_code",
            "section"]
    return out.astype({c: "category" for c in text})  # small and quick to copy out of the page cache


def _alpha(rate_now: float, target: float) -> float:
    if not np.isfinite(rate_now) or rate_now >= 1 or target <= rate_now:
        return 0.0
    return min(1.0, (target - rate_now) / (1.0 - rate_now))


def _fix_alpha(model: Model, fixes: list[Setting]) -> tuple[np.ndarray, dict]:
    """Open problems marked fixed → α per unit (field standard × street groups), and counts for the report."""
    op = model.open_problems
    info = {"problems": 0, "sites": 0, "groups": 0}
    alpha = np.zeros(len(model.value))
    if not fixes or op.empty:
        return alpha, info
    sel = np.zeros(len(op), dtype=bool)
    for s in fixes:
        m = np.ones(len(op), dtype=bool)
        for kind, value in s.terms:
            if kind == "standard":
                m &= op["standard_code"].eq(value).to_numpy(bool)
            elif kind in ("section", "item"):
                m &= (op[f"{kind}_code"].eq(value) | op[kind].eq(value)).to_numpy(bool)
            elif kind in ("category", "site_type", "street", "department"):
                m &= op[kind].eq(value).to_numpy(bool)
            else:
                m &= False
        sel |= m
    info["problems"] = int(op.loc[sel].drop_duplicates("pid")["problems"].sum())
    chosen = op.loc[sel & op["street"].notna().to_numpy(bool), ["standard_code", "street", "site_key"]]
    info["sites"] = int(chosen["site_key"].nunique())
    groups = model.fix_groups
    gid = pd.MultiIndex.from_frame(groups[["std", "street"]]).get_indexer(
        pd.MultiIndex.from_arrays([chosen["standard_code"].astype(object), chosen["street"].astype(object)]))
    pairs = pd.DataFrame({"gid": gid, "site": chosen["site_key"].to_numpy()})
    pairs = pairs[pairs["gid"] >= 0].drop_duplicates()
    n = np.bincount(pairs["gid"].to_numpy(), minlength=len(groups)).astype(float)
    rate, sites = groups["rate"].to_numpy(float), groups["sites"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where(n > 0, n / np.maximum(sites, n), 0.0)
        a = np.where((rate < 1) & (lift > 0), np.minimum(1.0, lift / (1.0 - rate)), 0.0)
    ug = model.unit_group
    alpha[ug >= 0] = a[ug[ug >= 0]]
    info["groups"] = int((a > 0).sum())
    return alpha, info


def lift_alpha(model: Model, settings: list[Setting]) -> tuple[np.ndarray, list[dict], list[str]]:
    """The share α of its gap each unit closes under the settings, one effects row per setting, warnings."""
    alpha = np.zeros(len(model.value))
    rows, warnings = [], []
    gap, ppv = model.gap, model.ppv
    for s in settings:
        if s.fix:
            continue
        idx = model.index(s.terms)
        r = model.group_rate(idx) if len(idx) else float("nan")
        a = _alpha(r, s.rate) if len(idx) else 0.0
        if len(idx):
            alpha[idx] = np.maximum(alpha[idx], a)
        else:
            warnings.append(f"设定“{s.text}”在本轮测评中没有对应的观测，不影响得分")
        rows.append(dict(key=s.key, fix=False, units=len(idx), before=r, target=s.rate,
                         points=a * float((gap[idx] * ppv[idx]).sum())))
    fixes = [s for s in settings if s.fix]
    if fixes:
        fa, info = _fix_alpha(model, fixes)
        np.maximum(alpha, fa, out=alpha)
        rows.append(dict(key="；".join(s.text for s in fixes), fix=True, units=int((fa > 0).sum()),
                         before=float("nan"), target=float("nan"), points=float((fa * gap * ppv).sum()),
                         problems=info["problems"], sites=info["sites"]))
        if info["groups"] == 0:
            warnings.append("所选未整改问题所在的街道和标准本轮均未抽到，或已达标，不影响得分")
    return alpha, rows, warnings


def project(model: Model, settings: list[Setting]) -> Projection:
    """The round's total, rates and rank with the settings applied (none: the round as it was)."""
    alpha, rows, warnings = lift_alpha(model, settings)
    new = np.where(alpha > 0, model.value + alpha * model.gap, model.value)
    obs = model.obs.assign(score=new[:model.n_obs])
    survey = model.survey.assign(rate=new[model.n_obs:])
    rates = scoring.standard_rates(model.standards, obs, survey)
    minors = model.minors
    if "framework" in rates and rates["framework"].eq("minors").any():
        mine = rates["framework"].eq("minors")
        minors = (scoring.minors_score(rates[mine]), minors[1], minors[2])
        score = scoring.round_total(rates[~mine], model.bonus, model.negatives, model.bonus_cap, minors)
    else:
        score = scoring.round_total(rates, model.bonus, model.negatives, model.bonus_cap, minors)
    peers = model.peers["total"].tolist()
    rank = scoring.peer_rank(score.total, peers) if peers else None
    effects = pd.DataFrame(rows, columns=["key", "fix", "units", "before", "target", "points", "problems", "sites"])
    return Projection(score, rank, len(peers) + 1 if peers else None, rates, effects, warnings)


def project_text(model: Model, text: str) -> Projection:
    settings, warnings = model.validate(parse_scenario(text))
    p = project(model, settings)
    p.warnings[:0] = warnings
    return p
