"""推演 (what-if): where the total and the rank land when achievement rates change, and the cheapest fixes
that reach a target.

The model is built once per round from the round's observations (``round_observations``) and survey rows.
Every projection changes only those inputs and goes through ``scoring.standard_rates`` / ``round_total``,
so a scenario without settings reproduces the round exactly.

Units and rates
    A *unit* is one observation row (a field site × standard, or an online standard) or one survey row
    (street × indicator). Each unit carries its share of framework points: an observation of standard s
    holds points_s × max / Σmax_s, a survey row holds Σ points of the standards of its indicator × w / Σw.
    The achievement rate of any set of units is Σ earned / Σ share, i.e. framework points weighted; for one
    standard it is the standard's rate, for an item or section it is the rate the other pages show.

Settings (a scenario is a list of them)
    ``KEY=RATE`` raises the units matching KEY to a joint rate of at least RATE by closing the same share
    α = (RATE − r) / (1 − r) of every unit's gap (r = the units' current rate; nothing is ever lowered).
    KEY is one term or several joined by "," (all must hold):

    ======================  =================================================================================
    ``B2.1.3``              a standard (survey standards: the rows of their indicator, shared by every
                            standard of that indicator, since the survey is scored per indicator)
    ``section:A``           a section (code or name): its standards' units
    ``item:A1``             an item (code or name): its standards' units
    ``category:占道经营``    field standards listing that problem category
    ``site_type:农贸市场``   field observations at sites of that type
    ``street:北关街道``      field observations in that street and the street's survey rows
    ``department:区商务局``  observations owned by that department (field and online)
    ``indicator:满意度``     survey rows of that indicator
    ======================  =================================================================================

    ``fix:KEY`` marks the open problems matching KEY (same terms, matched on the problem's own street,
    department, category, site type and standard; ``fix:all`` = every open problem) as fixed. For each
    field standard s and street t, fixing open problems at n distinct sites of the street, out of the N sites
    of s's site types there, raises the rate of s's observations in t by n / N (at most to 100 %): the
    round's sample stands for the street's sites. Problems without a standard count for every field standard
    listing their category and site type.

    When several settings touch a unit, the largest α applies; so raising any rate never lowers the total.

Optimizer
    Actions partition the units: field standard × street × department, online standard, survey indicator ×
    street. Action a closes α_a ∈ [0, cap_a] of its gap, gains α_a × lost_a points and costs
    α_a × effort_a + fixed × y_a (y_a = 1 when the action is taken). HiGHS solves the mixed-integer program
    min Σ cost s.t. Σ gain ≥ required − baseline, optional per-department capacity and at most K actions.
    Effort defaults come from the ledger (data/whatif_effort.yaml explains how and lets the office override).
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from campaign import metrics, queries, scoring
from campaign.config import DATA_DIR, read_yaml
from campaign.store import bump_data_version, write_transaction

EFFORT_FILE = DATA_DIR / "whatif_effort.yaml"
FIELD, ONLINE, SURVEY = "实地考察", "网上申报", "问卷调查"
RANK_MARGIN = 0.01  # a target rank asks for this much more than the peer to pass (published totals have 2 decimals)
NEED_MARGIN = 1e-6  # solver tolerance headroom: the plan reaches the target, not 1e-7 short of it

KINDS = {"standard": "测评标准", "section": "板块", "item": "测评项目", "site_type": "点位类型",
         "category": "问题类别", "street": "街道", "department": "责任单位", "indicator": "问卷指标"}
_ALIASES = {**{k: k for k in KINDS}, **{v: k for k, v in KINDS.items()},
            "标准": "standard", "项目": "item", "点位": "site_type", "类别": "category", "属地": "street",
            "街道（镇）": "street", "部门": "department", "dept": "department", "指标": "indicator"}
FIX_ALL = ("all", "全部", "*")


class WhatIfError(ValueError):
    """A wrong setting or effort file; the message says which, in Chinese."""


# ---------------------------------------------------------------------------------------------- settings
Terms = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Setting:
    key: str                 # normalised KEY text ("" = every open problem, for a fix)
    terms: Terms
    rate: float | None = None
    fix: bool = False

    @property
    def text(self) -> str:
        if self.fix:
            return f"fix:{self.key or 'all'}"
        return f"{self.key}={_fmt_rate(self.rate)}"


def _fmt_rate(rate: float) -> str:
    return f"{rate:.6f}".rstrip("0").rstrip(".") if rate not in (0, 1) else str(int(rate))


def _norm(text: str) -> str:
    return (text.replace("：", ":").replace("，", ",").replace("；", ";").replace("＝", "=")
            .replace("％", "%").strip())


def parse_key(text: str) -> Terms:
    """``"site_type:农贸市场,street:北关街道"`` → (("site_type", "农贸市场"), ("street", "北关街道"))."""
    terms = []
    for part in _norm(text).split(","):
        part = part.strip()
        if not part:
            continue
        kind, sep, value = part.partition(":")
        if sep and kind.strip() in _ALIASES:
            kind, value = _ALIASES[kind.strip()], value.strip()
        elif sep:
            raise WhatIfError(f"设定范围“{part}”的类型“{kind}”未知，应为：{'、'.join(KINDS)}"
                              f"（或{'、'.join(KINDS.values())}）")
        else:
            kind, value = "standard", part
        if not value:
            raise WhatIfError(f"设定范围“{part}”缺少名称")
        terms.append((kind, value))
    if not terms:
        raise WhatIfError(f"设定范围“{text}”为空")
    return tuple(terms)


def key_text(terms: Terms) -> str:
    return ",".join(v if k == "standard" else f"{k}:{v}" for k, v in terms)


def parse_rate(text: str, where: str) -> float:
    t = _norm(str(text)).rstrip("%")
    try:
        rate = float(t)
    except ValueError:
        raise WhatIfError(f"{where}：达标率“{text}”不是数字（写 0.9 或 90%）") from None
    if str(text).strip().endswith(("%", "％")) or rate > 1:
        rate /= 100
    if not 0 <= rate <= 1:
        raise WhatIfError(f"{where}：达标率“{text}”应在 0 到 1（0% 到 100%）之间")
    return rate


def parse_setting(text: str) -> Setting:
    t = _norm(text)
    if t.lower().startswith("fix:"):
        body = t[4:].strip()
        if body.lower() in FIX_ALL or not body:
            return Setting("", (), fix=True)
        terms = parse_key(body)
        return Setting(key_text(terms), terms, fix=True)
    key, sep, rate = t.rpartition("=")
    if not sep or not key.strip():
        raise WhatIfError(f"设定“{text}”应写成 范围=达标率（如 site_type:农贸市场=0.9）或 fix:范围")
    terms = parse_key(key)
    return Setting(key_text(terms), terms, parse_rate(rate, f"设定“{text}”"))


def parse_scenario(text: str | None) -> list[Setting]:
    """``"site_type:农贸市场=0.9;fix:street:北关街道"`` → settings (";" or new lines between them)."""
    parts = _norm(text or "").replace("\n", ";").split(";")
    return [parse_setting(p) for p in parts if p.strip()]


def format_scenario(settings: list[Setting]) -> str:
    return ";".join(s.text for s in settings)


def scenario_json(settings: list[Setting]) -> str:
    return json.dumps([{"fix": s.key or "all"} if s.fix else {"key": s.key, "rate": s.rate} for s in settings],
                      ensure_ascii=False)


def settings_from_json(text: str) -> list[Setting]:
    out = []
    for item in json.loads(text or "[]"):
        out.append(parse_setting(f"fix:{item['fix']}" if "fix" in item else f"{item['key']}={item['rate']}"))
    return out


# ---------------------------------------------------------------------------------------------- the model
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
    minors: tuple | None = None     # (minors' score or None, share, gate): held as assessed (metrics.minors_round)
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
                sv = self.standards[self.standards["code"].isin(stds) & self.standards["method"].eq(SURVEY)]
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
    std = metrics.standards(con)
    obs = queries.run(con, "round_observations", round_id=round_id)
    survey = queries.run(con, "survey_rates_by_round")
    survey = survey[survey["round_id"].eq(round_id)].drop(columns="round_id").reset_index(drop=True)
    minors = metrics.minors_round(con, obs, survey)
    if minors is not None:  # the minors' framework is held as assessed; the model moves the city framework
        obs = obs[obs["standard_code"].isin(set(std["code"]))].reset_index(drop=True)
    bonus = queries.run(con, "bonus_by_round")
    neg = queries.run(con, "negatives_by_round")
    peers = queries.run(con, "peer_totals")
    peers = peers[peers["round_id"].eq(round_id)].sort_values("total", ascending=False)[["peer", "total"]]

    # standards the round did not assess score 0 anyway; one empty unit each lets a setting raise them
    is_sv = std["method"].eq(SURVEY)
    missing = std[~is_sv & ~std["code"].isin(set(obs["standard_code"]))]
    if len(missing):
        obs = pd.concat([obs, pd.DataFrame({"standard_code": missing["code"], "department": missing["department"],
                                            "score": 0.0, "max_score": 1.0})], ignore_index=True)
    inds = std.loc[is_sv, "indicator"].dropna().unique()
    gone = [i for i in inds if i not in set(survey["indicator"])]
    if gone:
        survey = pd.concat([survey, pd.DataFrame({"street": None, "indicator": gone, "rate": 0.0,
                                                  "respondents": 1})], ignore_index=True)

    points = std.set_index("code")["points"]
    method = std.set_index("code")["method"]
    smax = obs.groupby("standard_code")["max_score"].transform("sum").to_numpy(float)
    pts = obs["standard_code"].map(points).to_numpy(float)
    scored = obs["standard_code"].map(method).ne(SURVEY).to_numpy()  # survey standards score from the survey
    with np.errstate(invalid="ignore", divide="ignore"):
        o_share = np.where((smax > 0) & scored, pts * obs["max_score"].to_numpy(float) / smax, 0.0)
    ind_points = std[is_sv].groupby("indicator")["points"].sum()
    w = survey["respondents"].astype(float).fillna(0.0).to_numpy()
    wsum = survey.assign(w=w).groupby("indicator")["w"].transform("sum").to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_share = np.where(wsum > 0, survey["indicator"].map(ind_points).fillna(0.0).to_numpy(float) * w / wsum, 0.0)
    lead = std[is_sv].sort_values("points", ascending=False).groupby("indicator")["department"].first()

    units = pd.DataFrame({
        "std": list(obs["standard_code"]) + [None] * len(survey),
        "method": list(obs["standard_code"].map(method)) + [SURVEY] * len(survey),
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
    if minors is not None and minors[0] is not None:  # city points count for (1 − the minors' share) of the total
        share = share * (1.0 - float(minors[1]))
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


def _field_groups(units: pd.DataFrame, value: np.ndarray, share: np.ndarray, ppv: np.ndarray, std: pd.DataFrame,
                  site_counts: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """Field observations per standard × street: the groups "mark as fixed" lifts."""
    on = (units["method"].eq(FIELD) & units["street"].notna()).to_numpy(bool)
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
    field_std = std[std["method"].eq(FIELD)]
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


# ---------------------------------------------------------------------------------------------- projection
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


def project(model: Model, settings: list[Setting]) -> Projection:
    """The round's total, rates and rank with the settings applied (none: the round as it was)."""
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
    new = np.where(alpha > 0, model.value + alpha * gap, model.value)
    obs = model.obs.assign(score=new[:model.n_obs])
    survey = model.survey.assign(rate=new[model.n_obs:])
    rates = scoring.standard_rates(model.standards, obs, survey)
    score = scoring.round_total(rates, model.bonus, model.negatives, model.bonus_cap, model.minors)
    peers = model.peers["total"].tolist()
    rank = scoring.peer_rank(score.total, peers) if peers else None
    effects = pd.DataFrame(rows, columns=["key", "fix", "units", "before", "target", "points", "problems", "sites"])
    return Projection(score, rank, len(peers) + 1 if peers else None, rates, effects, warnings)


def project_text(model: Model, text: str) -> Projection:
    settings, warnings = model.validate(parse_scenario(text))
    p = project(model, settings)
    p.warnings[:0] = warnings
    return p


# ---------------------------------------------------------------------------------------------- effort
@dataclass
class Effort:
    unit: str = "天"
    fixed_per_action: float = 1.0
    min_days: float = 1.0
    default_days: float = 3.0
    min_cases: int = 20
    recent_weeks: int = 12
    recurrence_cap: float = 3.0
    online_per_point: float = 30.0
    survey_per_point: float = 60.0
    max_rate: dict = field(default_factory=lambda: {FIELD: 1.0, ONLINE: 1.0, SURVEY: 0.95})
    capacity: dict = field(default_factory=dict)
    overrides: list = field(default_factory=list)   # (Terms, per_point)


def load_effort(path: Path | str = EFFORT_FILE) -> Effort:
    path = Path(path)
    if not path.exists():
        return Effort()
    raw = read_yaml(path, "工作量文件", WhatIfError) or {}
    e = Effort()

    def num(value, where: str, positive: bool = False) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise WhatIfError(f"工作量文件 {path.name}：{where} 应为数字，实际为“{value}”") from None
        if x < 0 or (positive and x == 0):
            raise WhatIfError(f"工作量文件 {path.name}：{where} 应为{'正数' if positive else '非负数'}，实际为“{value}”")
        return x

    e.unit = str(raw.get("unit", e.unit))
    e.fixed_per_action = num(raw.get("fixed_per_action", e.fixed_per_action), "fixed_per_action")
    fld = raw.get("field") or {}
    e.min_days = num(fld.get("min_days", e.min_days), "field.min_days", positive=True)
    e.default_days = num(fld.get("default_days", e.default_days), "field.default_days", positive=True)
    e.min_cases = int(num(fld.get("min_cases", e.min_cases), "field.min_cases"))
    e.recent_weeks = int(num(fld.get("recent_weeks", e.recent_weeks), "field.recent_weeks", positive=True))
    e.recurrence_cap = num(fld.get("recurrence_cap", e.recurrence_cap), "field.recurrence_cap")
    e.online_per_point = num(raw.get("online_per_point", e.online_per_point), "online_per_point", positive=True)
    e.survey_per_point = num(raw.get("survey_per_point", e.survey_per_point), "survey_per_point", positive=True)
    for m, v in (raw.get("max_rate") or {}).items():
        if m not in (FIELD, ONLINE, SURVEY):
            raise WhatIfError(f"工作量文件 {path.name}：max_rate 中的测评方式“{m}”未知")
        e.max_rate[m] = parse_rate(v, f"工作量文件 {path.name} max_rate.{m}")
    e.capacity = {str(d): num(v, f"capacity.{d}") for d, v in (raw.get("capacity") or {}).items()}
    for i, o in enumerate(raw.get("overrides") or [], start=1):
        if not isinstance(o, dict) or "key" not in o or "per_point" not in o:
            raise WhatIfError(f"工作量文件 {path.name}：overrides 第 {i} 条应写成 {{key: 范围, per_point: 每分工作量}}")
        e.overrides.append((parse_key(str(o["key"])), num(o["per_point"], f"overrides 第 {i} 条 per_point", True)))
    return e


def actions(model: Model, effort: Effort | None = None) -> pd.DataFrame:
    """Every improvement the optimizer may choose, with its points at stake and effort (see the module doc)."""
    effort = effort or load_effort()
    u = model.units.assign(i=np.arange(len(model.units)))
    std = model.standards.set_index("code")
    groups: list[tuple[Terms, np.ndarray, str]] = []
    for code, g in u[~u["is_survey"]].groupby("std", sort=False):
        m = std.at[code, "method"]
        if m == FIELD and g["street"].notna().all() and g["department"].notna().all():
            for (street, dept), gg in g.groupby(["street", "department"], sort=False):
                groups.append(((("standard", code), ("street", street), ("department", dept)),
                               gg["i"].to_numpy(), m))
        else:
            groups.append(((("standard", code),), g["i"].to_numpy(), m))
    for ind, g in u[u["is_survey"]].groupby("indicator", sort=False):
        if g["street"].notna().all():
            for street, gg in g.groupby("street", sort=False):
                groups.append(((("indicator", ind), ("street", street)), gg["i"].to_numpy(), SURVEY))
        else:
            groups.append(((("indicator", ind),), g["i"].to_numpy(), SURVEY))

    cd = model.close_days.astype({"closed": float, "days": float})

    def mean_days(by: str) -> pd.Series:
        g = cd.groupby(by)[["closed", "days"]].sum()
        g = g[g["closed"].ge(max(effort.min_cases, 1))]
        return g["days"] / g["closed"]

    by_std, by_dept = mean_days("standard_code"), mean_days("department")
    fallback = float(cd["days"].sum() / cd["closed"].sum()) if cd["closed"].sum() > 0 else effort.default_days
    gap, ppv = model.gap, model.ppv
    rows = []
    for terms, idx, m in groups:
        lost = float((gap[idx] * ppv[idx]).sum())
        if lost <= 1e-9:
            continue
        r = model.group_rate(idx)
        cap = _alpha(r, effort.max_rate.get(m, 1.0))
        if cap <= 0:
            continue
        t = dict(terms)
        code = t.get("standard")
        street = t.get("street")
        dept = t.get("department") or u.at[idx[0], "lead"] or (std.at[code, "department"] if code else None)
        if m == FIELD:
            days = by_std.get(code, by_dept.get(dept, fallback))
            days = max(float(days) if pd.notna(days) else fallback, effort.min_days)
            ts = std.at[code, "site_types"]
            sites = sum(model.site_counts.get((street, x), 0) for x in (ts if ts is not None else []))
            rec = min(effort.recurrence_cap, model.recent.get((code, street), 0) / max(sites, 1)) if street else 0.0
            fails = float((gap[idx] / np.where(model.top[idx] > 0, model.top[idx], 1)).sum())
            full = fails * days * (1 + rec)
        else:
            full = lost * (effort.online_per_point if m == ONLINE else effort.survey_per_point)
        for oterms, per_point in effort.overrides:
            if np.all(model.mask(oterms)[idx]):
                full = lost * per_point
        rows.append(dict(key=key_text(terms), method=m, standard_code=code, indicator=t.get("indicator"),
                         street=street, department=dept, from_rate=r, lost=lost, cap=cap, effort_full=full,
                         per_point=full / lost, fixed=effort.fixed_per_action, units=len(idx)))
    cols = ["key", "method", "standard_code", "indicator", "street", "department", "from_rate", "lost", "cap",
            "effort_full", "per_point", "fixed", "units"]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------------------------- optimizer
@dataclass
class Plan:
    status: str                    # optimal / met / infeasible / time_limit
    message: str
    target_kind: str               # score / rank
    target_value: float
    required_total: float
    baseline_total: float
    need: float
    actions: pd.DataFrame          # key, department, street, standard_code, method, from_rate, rate, points, effort
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
                "points", "effort"]


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


def effort_stamp(path: Path | str = EFFORT_FILE) -> float:
    """When the effort file last changed (part of the page's cache key for plans)."""
    path = Path(path)
    return path.stat().st_mtime if path.exists() else 0.0


def plan_for(con: duckdb.DuckDBPyConnection, round_id: int | None = None, target_total: float | None = None,
             target_rank: int | None = None, max_actions: int | None = None, effort_stamp: float = 0.0) -> Plan:
    """A plan for the page (cacheable: the connection first, plain parameters; ``effort_stamp`` only keys the
    cache so that an edited effort file gives a new plan)."""
    return optimize(build_model(con, round_id), target_total, target_rank, max_actions=max_actions or None)


# ---------------------------------------------------------------------------------------------- scenarios
def _ensure_scenarios(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS store.scenarios (name VARCHAR PRIMARY KEY, settings VARCHAR, "
                "created_at TIMESTAMP, created_by VARCHAR)")
    con.execute("CREATE VIEW IF NOT EXISTS main.scenarios AS "
                "SELECT name, settings, created_at, created_by FROM store.scenarios")


def save_scenario(con: duckdb.DuckDBPyConnection, name: str, settings: list[Setting] | str, by: str = "") -> None:
    name = (name or "").strip()
    if not name:
        raise WhatIfError("请给方案起个名字")
    if len(name) > 40:
        raise WhatIfError(f"方案名“{name[:20]}…”太长（最多 40 个字）")
    if isinstance(settings, str):
        settings = parse_scenario(settings)
    with write_transaction(con) as cur:
        _ensure_scenarios(cur)
        cur.execute("INSERT OR REPLACE INTO store.scenarios VALUES (?, ?, ?, ?)",
                    [name, scenario_json(settings), datetime.now().replace(microsecond=0), by])


def delete_scenario(con: duckdb.DuckDBPyConnection, name: str) -> None:
    cur = con.cursor()
    try:
        _ensure_scenarios(cur)
        cur.execute("DELETE FROM store.scenarios WHERE name = ?", [name])
        bump_data_version(cur)
    finally:
        cur.close()


def scenarios(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Saved scenarios with their share text (``text``), newest first; empty on a store from before them."""
    try:
        df = queries.run(con, "whatif_scenarios")
    except duckdb.CatalogException:
        df = pd.DataFrame(columns=["name", "settings", "created_at", "created_by"])
    df["text"] = [format_scenario(settings_from_json(s)) for s in df["settings"]]
    return df


# ---------------------------------------------------------------------------------------------- display
def label(model: Model, key: str, short: int = 14) -> str:
    """A setting's key in words: ``site_type:农贸市场`` → 点位类型：农贸市场."""
    if key.startswith("fix:"):
        body = key[4:]
        return "整改：全部未整改问题" if body in FIX_ALL or not body else f"整改：{label(model, body)}"
    if "names" not in model._masks:
        s = model.standards
        model._masks["names"] = {"standard": dict(zip(s["code"], s["name"])),
                                 "item": dict(zip(s["item_code"], s["item"])),
                                 "section": dict(zip(s["section_code"], s["section"]))}
    names = model._masks["names"]
    parts = []
    for kind, value in parse_key(key):
        if kind == "standard":
            nm = str(names["standard"].get(value, ""))
            parts.append(f"{value} {nm[:short]}{'…' if len(nm) > short else ''}".strip())
        elif kind in ("section", "item"):
            nm = names[kind].get(value)
            parts.append(f"{KINDS[kind]}：{value} {nm}" if nm else f"{KINDS[kind]}：{value}")
        else:
            parts.append(f"{KINDS[kind]}：{value}")
    return " × ".join(parts)


def key_options(model: Model, extra: list[str] = ()) -> dict[str, str]:
    """key → label for the page's setting editor, broad scopes first."""
    s, u = model.standards, model.units
    keys = [f"site_type:{t}" for t in sorted(set(u["site_type"].dropna()))]
    keys += [f"street:{t}" for t in model.streets]
    cats = dict.fromkeys(c for cs in s["categories"] for c in (cs if cs is not None else []))
    keys += [f"category:{c}" for c in cats]
    keys += [f"item:{c}" for c in dict.fromkeys(s["item_code"])]
    keys += [f"section:{c}" for c in dict.fromkeys(s["section_code"])]
    keys += [f"indicator:{i}" for i in dict.fromkeys(s["indicator"].dropna())]
    keys += [f"department:{d}" for d in sorted(set(u["department"].dropna()))]
    keys += list(s["code"])
    keys += [k for k in extra if k not in keys]
    return {k: label(model, k) for k in keys}


def fix_options(model: Model) -> dict[str, str]:
    op = model.open_problems.drop_duplicates("pid")
    out = {"fix:all": f"全部未整改问题（{int(op['problems'].sum())} 个）"}
    for kind in ("street", "department", "category", "site_type"):
        counts = op.groupby(kind, observed=True)["problems"].sum()
        for value, n in counts[counts > 0].sort_values(ascending=False).items():
            out[f"fix:{kind}:{value}"] = f"{KINDS[kind]}：{value}（{int(n)} 个）"
    return out


def change_by(model: Model, p: Projection, by: str = "item") -> pd.DataFrame:
    """Earned points per section or item, before and after, in framework order."""
    b = scoring.group_scores(model.baseline.rates, by)[[by, "points", "earned"]]
    a = scoring.group_scores(p.rates, by)[[by, "earned"]]
    out = b.merge(a, on=by, suffixes=("_before", "_after"))
    out["change"] = out["earned_after"] - out["earned_before"]
    return out


def section_table(model: Model, p: Projection) -> pd.DataFrame:
    t = change_by(model, p, "section")
    return pd.DataFrame({"板块": t["section"], "分值": t["points"].round(2), "基准": t["earned_before"].round(2),
                         "推演": t["earned_after"].round(2), "变化": t["change"].round(2)})


def effects_table(model: Model, p: Projection) -> pd.DataFrame:
    e = p.effects
    return pd.DataFrame({
        "设定": [f"整改：{int(r.problems)} 个问题、{int(r.sites)} 个点位" if r.fix else label(model, r.key)
               for r in e.itertuples()],
        "当前": ["—" if r.fix or pd.isna(r.before) else f"{100 * r.before:.1f}%" for r in e.itertuples()],
        "目标": ["—" if r.fix else f"{100 * r.target:.1f}%" for r in e.itertuples()],
        "单独增分": e["points"].round(2)})


def plan_table(model: Model, plan: Plan) -> pd.DataFrame:
    a = plan.actions
    return pd.DataFrame({
        "责任单位": a["department"], "街道": a["street"].fillna("区级"),
        "整改项": [label(model, key_text(tuple((k, v) for k, v in parse_key(key) if k in ("standard", "indicator"))),
                      short=16) for key in a["key"]],
        "测评方式": a["method"],
        "当前达标率": (100 * a["from_rate"]).round(1), "目标达标率": (100 * a["rate"]).round(1),
        "增分": a["points"].round(3), f"工作量（{plan.effort_unit}）": a["effort"].round(1)})


def plan_by_department(plan: Plan) -> pd.DataFrame:
    g = plan.actions.groupby("department", sort=False).agg(项数=("key", "size"), 增分=("points", "sum"),
                                                           工作量=("effort", "sum")).reset_index()
    return g.rename(columns={"department": "责任单位"}).round({"增分": 2, "工作量": 1})


EDITOR_KEY, EDITOR_RATE = "范围", "目标（%）"


def editor_frame(settings: list[Setting]) -> pd.DataFrame:
    rates = [s for s in settings if not s.fix]
    return pd.DataFrame({EDITOR_KEY: pd.Series([s.key for s in rates], dtype=object),
                         EDITOR_RATE: pd.Series([round(100 * s.rate, 2) for s in rates], dtype=float)})


def settings_from_editor(table: pd.DataFrame, fixes: list[str]) -> list[Setting]:
    """The editor's complete rows (half-filled new rows are left out), then the fixes."""
    out = []
    for key, rate in zip(table[EDITOR_KEY], table[EDITOR_RATE]):
        if isinstance(key, str) and key and pd.notna(rate):
            terms = parse_key(key)
            out.append(Setting(key_text(terms), terms, min(max(float(rate) / 100, 0.0), 1.0)))
    return out + [parse_setting(f) for f in fixes]


def waterfall(model: Model, p: Projection, by: str = "item") -> pd.DataFrame:
    """The change from the round's total to the projection: base, one step per item that moved, result."""
    ch = change_by(model, p, by)
    ch = ch[ch["change"].abs() > 1e-9]
    code = model.standards.drop_duplicates(by).set_index(by)[f"{by}_code"]
    names = [f"{code.get(n, '')} {n[:12]}{'…' if len(n) > 12 else ''}" for n in ch[by]]
    # with the minors' framework assessed, city points count for (1 − its share) of the total
    factor = 1.0 - float(model.minors[1]) if model.minors is not None and model.minors[0] is not None else 1.0
    return pd.DataFrame({
        "label": ["基准总分"] + names + ["推演总分"],
        "measure": ["absolute"] + ["relative"] * len(ch) + ["total"],
        "value": [model.baseline.total] + (ch["change"] * factor).tolist() + [p.total],
    })


def share_query(params: dict, settings: list[Setting]) -> str:
    """The query string of a link that opens this page with these settings (and the current filters)."""
    from urllib.parse import quote

    def enc(v: str) -> str:  # Chinese stays readable in the link; only URL syntax is escaped
        return "".join(c if ord(c) > 127 or c.isalnum() or c in "-_.~:;=," else quote(c) for c in str(v))

    q = {k: v for k, v in params.items() if k != "scenario"}
    if settings:
        q["scenario"] = format_scenario(settings)
    text = "&".join(f"{enc(k)}={enc(v)}" for k, v in q.items())
    return f"?{text}" if text else ""


def compare_table(model: Model, named: dict[str, str]) -> pd.DataFrame:
    """Scenarios side by side: total, change, rank and each section."""
    base = model.baseline
    cols = {"项目": ["推演总分", "比基准", "同组排名"] + list(dict.fromkeys(model.standards["section"])) + ["设定"]}
    for name, text in named.items():
        p = project_text(model, text)
        sec = change_by(model, p, "section").set_index("section")["earned_after"]
        cols[name] = [f"{p.total:.2f}", f"{p.total - base.total:+.2f}", f"第 {p.rank} 名" if p.rank else "—"] + \
            [f"{sec.get(s, 0.0):.2f}" for s in cols["项目"][3:-1]] + [text or "（无）"]
    return pd.DataFrame(cols)


HELP = "\n".join([
    "**推演以所选测评轮次为基准**（左侧“测评轮次”），不做任何设定时与该轮成绩完全一致；算分与其他页面用同一套计分方法。",
    "",
    "- **设定达标率**：选一个范围并给出目标达标率，如“点位类型：农贸市场 90%”。该范围内每个测评观测的失分按同一比例补上，"
    "使范围整体达标率达到目标；已高于目标的不变，任何设定都不会降低得分。达标率按测评标准分值折算：单条标准即该标准达标率，"
    "测评项目、板块即其他页面显示的得分率。范围可以是测评标准、测评项目、板块、点位类型、问题类别（列出该类别的实地考察标准）、"
    "街道（该街道的实地点位和问卷样本）、责任单位、问卷指标。问卷类标准按指标计分，设定一条问卷标准即设定它的指标"
    "（同指标的标准一起变化）。几个设定覆盖同一观测时取较高者。",
    "- **标记问题已整改**：把所选的未整改问题视为已整改。某街道某标准涉及的点位中，有 n 个点位的问题整改完成、"
    "该街道同类点位共 N 个，则该标准在该街道的达标率提高 n/N（最多到 100%）；本轮未抽到的街道和标准不影响得分。"
    "台账中没填测评标准的问题，计入列有其问题类别和点位类型的各条实地考察标准。",
    "- **最省方案**：给出目标总分或目标名次（比该名次兄弟区县多 0.01 分），在“实地标准 × 街道 × 责任单位”、"
    "“网上申报标准”、“问卷指标 × 街道”这些整改项中求总工作量最小的组合。工作量按督查台账推算（以往整改用时、问题反复程度），"
    "办公室可在 `data/whatif_effort.yaml` 中调整；每项整改另计部署督办的固定工作量。",
    "- **分享与保存**：地址栏已带上当前设定（`?scenario=…`），复制链接即可分享；保存后可在下方并排比较各方案。",
])


# ---------------------------------------------------------------------------------------------- CLI & bench
def result_json(model: Model, p: Projection, plan: Plan | None = None) -> dict:
    base = model.baseline
    sec = change_by(model, p, "section")
    out = dict(
        round_id=model.round_id, round_name=model.round_name,
        baseline_total=round(base.total, 6), projected_total=round(p.total, 6),
        change=round(p.total - base.total, 6), baseline_rank=base.rank, projected_rank=p.rank, ranked=p.ranked,
        vetoed=p.score.vetoed, bonus=p.score.bonus, deduction=p.score.deduction, max_base=p.score.max_base,
        minors_total=None if p.score.minors_total is None else round(p.score.minors_total, 6),
        minors_gate=p.score.minors_gate,
        sections=[dict(section=r.section, points=round(r.points, 6), baseline=round(r.earned_before, 6),
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
        plan = None
        if target_score is not None or target_rank is not None:
            effort = load_effort(effort_file) if effort_file else load_effort()
            plan = optimize(model, target_score, target_rank, effort, max_actions)
    except (WhatIfError, duckdb.Error) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    out = result_json(model, p, plan)
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
        print(plan.message)
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
