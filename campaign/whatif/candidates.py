"""The improvements the optimizer may choose from: the round's units grouped into actions by their method's kind
(field: standard × street × department; material and opinion: standard; survey: indicator × street), each with
the points it can still gain, the highest share of its gap it may close, and its effort from the ledger's closing
times, the problems recurring in its street and the office's effort file."""
from __future__ import annotations

import numpy as np
import pandas as pd

from campaign.model import scoring
from campaign.whatif.effort import Effort, load_effort
from campaign.whatif.model import Model, _alpha
from campaign.whatif.settings import Terms, key_text

def actions(model: Model, effort: Effort | None = None) -> pd.DataFrame:
    """Every improvement the optimizer may choose, with its points at stake and effort (see the package doc)."""
    effort = effort or load_effort()
    u = model.units.assign(i=np.arange(len(model.units)))
    std = model.standards.set_index("code")
    kind_of = pd.Series(scoring.method_kinds(model.standards).to_numpy(), index=std.index)
    groups: list[tuple[Terms, np.ndarray, str, str]] = []   # terms, units, method (its own name), kind
    for code, g in u[~u["is_survey"]].groupby("std", sort=False):
        m, k = std.at[code, "method"], kind_of.at[code]
        if k == scoring.FIELD and g["street"].notna().all() and g["department"].notna().all():
            for (street, dept), gg in g.groupby(["street", "department"], sort=False):
                groups.append(((("standard", code), ("street", street), ("department", dept)),
                               gg["i"].to_numpy(), m, k))
        else:  # material and opinion kinds (and a field standard without its places): the standard as a whole
            groups.append(((("standard", code),), g["i"].to_numpy(), m, k))
    for ind, g in u[u["is_survey"]].groupby("indicator", sort=False):
        m = g["method"].iloc[0]
        if g["street"].notna().all():
            for street, gg in g.groupby("street", sort=False):
                groups.append(((("indicator", ind), ("street", street)), gg["i"].to_numpy(), m, scoring.SURVEY))
        else:
            groups.append(((("indicator", ind),), g["i"].to_numpy(), m, scoring.SURVEY))

    cd = model.close_days.astype({"closed": float, "days": float})

    def mean_days(by: str) -> pd.Series:
        g = cd.groupby(by)[["closed", "days"]].sum()
        g = g[g["closed"].ge(max(effort.min_cases, 1))]
        return g["days"] / g["closed"]

    by_std, by_dept = mean_days("standard_code"), mean_days("department")
    fallback = float(cd["days"].sum() / cd["closed"].sum()) if cd["closed"].sum() > 0 else effort.default_days
    gap, ppv = model.gap, model.ppv
    rows = []
    for terms, idx, m, k in groups:
        lost = float((gap[idx] * ppv[idx]).sum())
        if lost <= 1e-9:
            continue
        r = model.group_rate(idx)
        cap = _alpha(r, effort.rate_cap(m, k))
        if cap <= 0:
            continue
        t = dict(terms)
        code = t.get("standard")
        street = t.get("street")
        dept = t.get("department") or u.at[idx[0], "lead"] or (std.at[code, "department"] if code else None)
        if k == scoring.FIELD:
            days = by_std.get(code, by_dept.get(dept, fallback))
            days = max(float(days) if pd.notna(days) else fallback, effort.min_days)
            ts = std.at[code, "site_types"]
            sites = sum(model.site_counts.get((street, x), 0) for x in (ts if ts is not None else []))
            rec = min(effort.recurrence_cap, model.recent.get((code, street), 0) / max(sites, 1)) if street else 0.0
            fails = float((gap[idx] / np.where(model.top[idx] > 0, model.top[idx], 1)).sum())
            full = fails * days * (1 + rec)
        else:
            full = lost * (effort.survey_per_point if k == scoring.SURVEY else effort.online_per_point)
        for oterms, per_point in effort.overrides:
            if np.all(model.mask(oterms)[idx]):
                full = lost * per_point
        rows.append(dict(key=key_text(terms), method=m, standard_code=code, indicator=t.get("indicator"),
                         street=street, department=dept, from_rate=r, lost=lost, cap=cap, effort_full=full,
                         per_point=full / lost, fixed=effort.fixed_per_action, units=len(idx), kind=k))
    cols = ["key", "method", "standard_code", "indicator", "street", "department", "from_rate", "lost", "cap",
            "effort_full", "per_point", "fixed", "units", "kind"]
    return pd.DataFrame(rows, columns=cols)
