"""The scoring model (测评计分): plain functions over DataFrames.

Round total = Σ points × achievement rate + min(Σ bonus, cap) − Σ negative deductions; a veto item fails
the round outright. When the round assessed the minors' framework (未成年人思想道德建设, out of 100), it counts
for its share of the total: (1 − share) × city + share × minors; below its gate the city may not apply.
Every page, the what-if model and the briefing use these functions.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DISTRICT_LEVEL = "区级（无属地）"

# The kinds of assessment method (the framework file declares each method's kind). A field standard is scored
# over its sites, a material or opinion standard once per round, a survey standard from its indicator's rate
# in the survey table (street × indicator): every survey-kind method of an indicator takes that one rate.
FIELD, MATERIAL, SURVEY, OPINION = "field", "material", "survey", "opinion"
CLASSIC_KINDS = {"实地考察": FIELD, "网上申报": MATERIAL, "问卷调查": SURVEY}  # a table without method_kind


def method_kinds(standards: pd.DataFrame) -> pd.Series:
    """Each standard's method kind: its ``method_kind`` (the framework's), else the classic three's by name
    (any other method counts as material)."""
    if "method_kind" in standards:
        k = standards["method_kind"]
        missing = k.isna() | k.eq("")
        if not missing.any():
            return k
    else:
        k, missing = None, None
    classic = standards["method"].map(CLASSIC_KINDS).fillna(MATERIAL)
    return classic if k is None else k.where(~missing, classic)


def method_names(standards: pd.DataFrame, kind: str, default: str = "") -> str:
    """The names of the methods of one kind the standards use, in framework order ("实地考察";
    "问卷调查、电话调查"), or ``default`` when none does: the words a user reads for that kind."""
    names = standards.loc[method_kinds(standards).eq(kind).to_numpy(), "method"]
    return "、".join(dict.fromkeys(str(m) for m in names)) or default


@dataclass(frozen=True)
class RoundScore:
    base: float          # Σ points × rate
    max_base: float      # Σ points
    bonus: float         # after the cap
    deduction: float     # negative-list deductions
    vetoed: bool         # a 一票否决 item occurred
    total: float
    minors_total: float | None = None  # the minors' framework's score out of 100 (None: not assessed)
    minors_gate: bool | None = None    # the minors' score reaches the gate (None: not assessed)

    @property
    def lost(self) -> float:
        return self.max_base - self.base


def standard_rates(standards: pd.DataFrame, observations: pd.DataFrame, survey: pd.DataFrame) -> pd.DataFrame:
    """Achievement rate per standard for one round.

    standards: code, method, points, indicator, method_kind (+ any descriptive columns, kept).
    observations: standard_code, score, max_score (field: one row per site; material, opinion: one row).
    survey: street, indicator, rate, respondents — a survey-kind standard's rate (问卷调查, 电话调查 …) is the
    respondent-weighted mean of its indicator over streets.
    A standard with no observation gets rate 0 and ``assessed`` False.
    """
    obs = observations.groupby("standard_code", as_index=True)[["score", "max_score"]].sum()
    rate_obs = (obs["score"] / obs["max_score"]).where(obs["max_score"] > 0)
    if len(survey):
        s = survey.assign(w=survey["respondents"].astype(float))
        s = s.assign(wr=s["w"] * s["rate"]).groupby("indicator")[["wr", "w"]].sum()
        rate_survey = s["wr"] / s["w"]
    else:
        rate_survey = pd.Series(dtype=float)
    out = standards.copy()
    is_survey = method_kinds(out).eq(SURVEY).to_numpy()
    rate = pd.Series(np.nan, index=out.index)
    rate[~is_survey] = out.loc[~is_survey, "code"].map(rate_obs)
    rate[is_survey] = out.loc[is_survey, "indicator"].map(rate_survey)
    out["assessed"] = rate.notna()
    out["rate"] = rate.fillna(0.0).clip(0.0, 1.0)
    out["earned"] = out["points"] * out["rate"]
    out["lost"] = out["points"] - out["earned"]
    return out


def round_total(rates: pd.DataFrame, bonus: pd.DataFrame | None = None,
                negatives: pd.DataFrame | None = None, bonus_cap: float = 6.0,
                minors: tuple[float | None, float, float] | None = None) -> RoundScore:
    """rates: output of standard_rates (points, earned). bonus: points. negatives: deduction, veto.
    minors: (minors' score out of 100 or None when not assessed, share of the total, gate)."""
    base = float(rates["earned"].sum())
    max_base = float(rates["points"].sum())
    b = float(bonus["points"].sum()) if bonus is not None and len(bonus) else 0.0
    b = min(b, bonus_cap)
    d = float(negatives["deduction"].fillna(0).sum()) if negatives is not None and len(negatives) else 0.0
    veto = bool(negatives["veto"].fillna(False).any()) if negatives is not None and len(negatives) else False
    m_total, m_gate, core = None, None, base
    if minors is not None and minors[0] is not None:
        m_total, share, gate = float(minors[0]), float(minors[1]), float(minors[2])
        m_gate = m_total >= gate - 1e-9
        core = (1.0 - share) * base + share * m_total
    return RoundScore(base=base, max_base=max_base, bonus=b, deduction=d, vetoed=veto, total=core + b - d,
                      minors_total=m_total, minors_gate=m_gate)


def minors_score(rates: pd.DataFrame) -> float | None:
    """The minors' framework's score out of 100 from its standards' rates (standard_rates over the minors'
    standards); None when the round assessed none of them."""
    if rates.empty or not rates["assessed"].any():
        return None
    return float(rates["earned"].sum())


def group_scores(rates: pd.DataFrame, by: str | list[str] = "section") -> pd.DataFrame:
    """Points, earned, lost and rate per section, item or method."""
    g = rates.groupby(by, sort=False)[["points", "earned", "lost"]].sum().reset_index()
    g["rate"] = g["earned"] / g["points"]
    return g


def street_achievement(observations: pd.DataFrame) -> pd.DataFrame:
    """A street's field achievement over its sites: Σ score / Σ max_score."""
    obs = observations.dropna(subset=["street"])
    g = obs.groupby("street")[["score", "max_score"]].sum().reset_index()
    g["rate"] = g["score"] / g["max_score"]
    return g.sort_values("rate", ascending=False, ignore_index=True)


def attribute_lost(rates: pd.DataFrame, observations: pd.DataFrame, survey: pd.DataFrame) -> pd.DataFrame:
    """谁丢分谁负责: split each standard's lost points over the street and department that own them.

    Field/material/opinion: each observation row loses points × (max − score) / Σ max of its standard.
    Rows without a street go to DISTRICT_LEVEL. Survey-kind standards: each street loses
    points × w (1 − rate_s) / Σ w, owned by the standard's lead department.
    Returns standard_code, street, department, lost; it sums to rates.lost.sum() for assessed standards.
    """
    parts = []
    obs = observations.merge(rates[["code", "points", "department"]].rename(
        columns={"code": "standard_code", "department": "lead"}), on="standard_code")
    if len(obs):
        tot = obs.groupby("standard_code")["max_score"].transform("sum")
        obs["lost"] = obs["points"] * (obs["max_score"] - obs["score"]) / tot
        obs["street"] = obs["street"].fillna(DISTRICT_LEVEL)
        obs["department"] = obs["department"].fillna(obs["lead"])
        parts.append(obs[["standard_code", "street", "department", "lost"]])
    sv = rates.loc[method_kinds(rates).eq(SURVEY) & rates["assessed"], ["code", "points", "indicator", "department"]]
    if len(sv) and len(survey):
        m = sv.merge(survey, on="indicator")
        w = m["respondents"].astype(float)
        m["lost"] = m["points"] * w * (1 - m["rate"]) / w.groupby([m["code"]]).transform("sum")
        parts.append(m.rename(columns={"code": "standard_code"})[["standard_code", "street", "department", "lost"]])
    if not parts:
        return pd.DataFrame(columns=["standard_code", "street", "department", "lost"])
    return pd.concat(parts, ignore_index=True)


def cycle_total(yearly_totals: Sequence[float], weights: Sequence[float] = (0.15, 0.25, 0.60)) -> float:
    """A 3-year cycle: Σ weight × year total; with fewer years so far, the weights present are rescaled."""
    if not yearly_totals:
        raise ValueError("没有年度得分")
    if len(yearly_totals) > len(weights):
        raise ValueError(f"年度得分有 {len(yearly_totals)} 个，但周期权重只有 {len(weights)} 个")
    w = np.asarray(weights[: len(yearly_totals)], dtype=float)
    return float(np.dot(w, yearly_totals) / w.sum())


def peer_rank(total: float, peer_totals: Sequence[float]) -> int:
    """1 + the number of peers strictly ahead."""
    return 1 + int(sum(1 for p in peer_totals if p > total + 1e-9))
