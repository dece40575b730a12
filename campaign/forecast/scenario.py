"""What-if settings (campaign.whatif's keys and rates) on the forecast's units: the share of each unit's gap closed."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from campaign.forecast.estimate import Model, expected_counts
from campaign.forecast.stats import expit
from campaign.model import scoring


def settings_of(rates_override) -> tuple[list, list[str]]:
    """rates_override as what-if settings: a {KEY: rate} mapping, a scenario text ("KEY=RATE;…") or settings."""
    from campaign import whatif

    if rates_override is None:
        return [], []
    if isinstance(rates_override, str):
        settings = whatif.parse_scenario(rates_override)
    elif isinstance(rates_override, Mapping):
        settings = [whatif.parse_setting(f"{k}={v}") for k, v in rates_override.items()]
    else:
        settings = list(rates_override)
    warnings = [f"“{s.text}”（视为已整改）不参与迎检预测，已忽略" for s in settings if s.fix]
    return [s for s in settings if not s.fix], warnings


def _units(model: Model) -> dict[str, pd.DataFrame]:
    """The forecast's units with the attributes a what-if key matches on."""
    std = model.standards.set_index("code")
    sites = model.sites
    frames = []
    for bi, b in enumerate(model.blocks):
        r, c = np.meshgrid(np.arange(len(b.sites)), np.arange(len(b.stds)), indexing="ij")
        r, c = r.ravel(), c.ravel()
        codes = model.field["code"].to_numpy()[b.stds[c]]
        frames.append(pd.DataFrame({"block": bi, "row": r, "col": c, "std": codes,
                                    "site_type": b.site_type, "street": sites["street"].to_numpy()[b.sites[r]],
                                    "department": sites["department"].to_numpy()[b.sites[r]]}))
    fu = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["block", "row", "col", "std", "site_type", "street", "department"])
    ou = pd.DataFrame({"std": model.online["code"], "department": model.online["department"]})
    su = model.survey[["street", "indicator"]].copy()
    for u in (fu, ou):
        u["section_code"] = u["std"].map(std["section_code"])
        u["section"] = u["std"].map(std["section"])
        u["item_code"] = u["std"].map(std["item_code"])
        u["item"] = u["std"].map(std["item"])
    return {"field": fu, "online": ou, "survey": su}


def _match(model: Model, u: pd.DataFrame, part: str, terms) -> np.ndarray:
    std = model.standards
    m = np.ones(len(u), dtype=bool)
    for kind, value in terms:
        if kind == "standard":
            if part == "survey":
                inds = set(std.loc[std["code"].eq(value) & scoring.method_kinds(std).eq(scoring.SURVEY), "indicator"])
                m &= u["indicator"].isin(inds).to_numpy()
            else:
                m &= u["std"].eq(value).to_numpy()
        elif kind in ("section", "item"):
            codes = std.loc[std[f"{kind}_code"].eq(value) | std[kind].eq(value)]
            if part == "survey":
                sv = codes.loc[scoring.method_kinds(codes).eq(scoring.SURVEY), "indicator"]
                m &= u["indicator"].isin(set(sv)).to_numpy()
            else:
                m &= u["std"].isin(set(codes["code"])).to_numpy()
        elif kind == "category":
            if part != "field":
                m &= False
            else:
                codes = set(std.loc[std["categories"].map(lambda c: value in list(c if c is not None else [])), "code"])
                m &= u["std"].isin(codes).to_numpy()
        elif kind in ("site_type", "street", "department", "indicator"):
            m &= u[kind].eq(value).to_numpy() if kind in u.columns else False
        else:
            m &= False
    return m


@dataclass
class Alpha:
    field: list[np.ndarray]   # per block: (sites, stds) share of the gap closed
    online: np.ndarray
    survey: np.ndarray
    effects: pd.DataFrame     # key, target, before, alpha, units


def alphas(model: Model, settings: list, p_sampled: np.ndarray) -> Alpha:
    """The share of the gap each setting closes, on the forecast's expected rates (what-if semantics)."""
    fa = [np.zeros_like(b.base) for b in model.blocks]
    oa = np.zeros(len(model.online))
    sa = np.zeros(len(model.survey))
    rows = []
    if not settings:
        return Alpha(fa, oa, sa, pd.DataFrame(columns=["key", "target", "before", "alpha", "units"]))
    units = _units(model)
    fu = units["field"]
    # expected score and weight of every field unit
    exp_score, weight = [], []
    n_obs = expected_counts(model, p_sampled)
    for b in model.blocks:
        p = expit(b.base + model.level_shift)
        q = model.field["q"].to_numpy()[b.stds]
        exp_score.append((p + (1 - p) * q).ravel())
        pts = model.field["points"].to_numpy()[b.stds] / np.maximum(n_obs[b.stds], 1e-9)
        weight.append((p_sampled[b.sites][:, None] * pts[None, :]).ravel())
    fe = np.concatenate(exp_score) if exp_score else np.empty(0)
    fw = np.concatenate(weight) if weight else np.empty(0)
    oe = np.clip(model.online["mu"].fillna(0).to_numpy() + model.online_shift, 0, 1)
    ow = model.online["points"].to_numpy(float) * model.online["mu"].notna().to_numpy()
    ind = model.indicators.set_index("indicator")
    se = np.clip(model.survey["mu"].to_numpy() + model.survey["indicator"].map(ind["shift"]).to_numpy(float), 0, 1)
    sw = model.survey["w"].to_numpy(float) * model.survey["indicator"].map(ind["points"]).to_numpy(float)
    offsets = np.cumsum([0] + [b.base.size for b in model.blocks])
    for s in settings:
        mf = _match(model, fu, "field", s.terms)
        mo = _match(model, units["online"], "online", s.terms)
        ms = _match(model, units["survey"], "survey", s.terms)
        w = np.concatenate([fw[mf], ow[mo], sw[ms]])
        e = np.concatenate([fe[mf], oe[mo], se[ms]])
        r = float((w * e).sum() / w.sum()) if w.sum() > 0 else float("nan")
        a = 0.0 if not np.isfinite(r) or r >= 1 or s.rate <= r else min(1.0, (s.rate - r) / (1 - r))
        rows.append(dict(key=s.key, target=s.rate, before=r, alpha=a, units=int(mf.sum() + mo.sum() + ms.sum())))
        if a <= 0:
            continue
        flat = np.flatnonzero(mf)
        for bi, b in enumerate(model.blocks):
            sel = flat[(flat >= offsets[bi]) & (flat < offsets[bi + 1])] - offsets[bi]
            if len(sel):
                v = fa[bi].reshape(-1)
                v[sel] = np.maximum(v[sel], a)
        oa[mo] = np.maximum(oa[mo], a)
        sa[ms] = np.maximum(sa[ms], a)
    return Alpha(fa, oa, sa, pd.DataFrame(rows, columns=["key", "target", "before", "alpha", "units"]))
