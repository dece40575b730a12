"""Monte Carlo over sampled sites and outcomes, vectorised with NumPy."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from campaign.forecast.estimate import Model
from campaign.forecast.scenario import Alpha, alphas, settings_of
from campaign.model import scoring

CHUNK = 2_500        # simulated assessments per block (bounded memory at any size)


@dataclass
class Simulation:
    totals: np.ndarray        # (runs,)
    ranks: np.ndarray | None  # (runs,) 1 = first; None without peers
    rates: np.ndarray         # (runs, standards): each standard's simulated rate (framework order)
    p_sampled: np.ndarray     # (sites,)
    counts: np.ndarray        # (field standards,) mean observations per simulated assessment
    seconds: float
    peers: np.ndarray | None = None  # (runs, peers): the peers' simulated totals
    minors: np.ndarray | None = None  # (runs,): the minors' framework's simulated score out of 100, if assessed


def _draw_without_replacement(rng: np.random.Generator, size: np.ndarray, k: int, shape: tuple) -> np.ndarray:
    """k positions drawn without replacement among 0..size−1 (size broadcast to ``shape``), as (…, k) int64:
    the j-th draw picks among the positions still free and skips those taken (ascending)."""
    chosen: list[np.ndarray] = []
    for step in range(k):
        j = np.floor(rng.random(shape, dtype=np.float32) * np.maximum(size - step, 1)).astype(np.int64)
        if chosen:
            for prev in np.sort(np.stack(chosen, axis=-1), axis=-1).transpose(-1, *range(len(shape))):
                j += j >= prev
        chosen.append(j)
    return np.stack(chosen, axis=-1) if chosen else np.zeros(shape + (0,), dtype=np.int64)


@dataclass
class Sample:
    visited: np.ndarray                                   # (runs, sites) booleans
    by_type: dict[str, tuple[np.ndarray, np.ndarray]]     # type → (local site index (runs, k), valid (runs, k))


def sample_sites(model: Model, runs: int, rng: np.random.Generator) -> Sample:
    """The sites each simulated assessment visits (a site drawn twice is visited once)."""
    n_sites = len(model.sites)
    out = np.zeros((runs, n_sites + 1), dtype=bool)  # the last column takes the picks that do not happen
    rows = np.arange(runs)[:, None]
    anchors, fixed = [], {}
    for idx, k, t in _all_types(model):
        if k <= 0:
            continue
        local = np.broadcast_to(np.arange(len(idx)), (runs, len(idx))) if k >= len(idx) else \
            _draw_without_replacement(rng, np.array(len(idx)), k, (runs,))
        pick = idx[local]
        out[rows, pick] = True
        fixed[t] = local
        if t in model.anchors_around:
            anchors.append(pick)
    extra_types: set[str] = set()
    if anchors:
        anc = np.concatenate(anchors, axis=1)
        for group, types in (("alleys", model.rule.alley_types), ("compounds", model.rule.compound_types)):
            flat, offsets, (lo, hi) = model.candidates[group]
            if hi <= 0 or not len(flat):
                continue
            L = (offsets[1:] - offsets[:-1])[anc]
            want = np.minimum(rng.integers(lo, hi + 1, size=anc.shape), L)
            j = _draw_without_replacement(rng, L, hi, anc.shape)
            site = flat[np.minimum(offsets[anc][..., None] + j, len(flat) - 1)]
            ok = np.arange(hi) < want[..., None]
            out[rows[:, :, None], np.where(ok, site, n_sites)] = True
            extra_types |= set(types)
    visited = out[:, :n_sites]
    by_type = {}
    for idx, k, t in _all_types(model):
        if t not in extra_types:
            if t in fixed:
                by_type[t] = (np.ascontiguousarray(fixed[t]), np.ones(fixed[t].shape, dtype=bool))
            continue
        mask = visited[:, idx]
        r_i, c_i = np.nonzero(mask)
        if not len(r_i):
            continue
        per_run = np.bincount(r_i, minlength=runs)  # nonzero runs row by row, columns ascending
        pos = np.arange(len(r_i)) - (np.cumsum(per_run) - per_run)[r_i]
        kmax = int(pos.max()) + 1
        order = np.zeros((runs, kmax), dtype=np.int64)
        valid = np.zeros((runs, kmax), dtype=bool)
        order[r_i, pos] = c_i
        valid[r_i, pos] = True
        by_type[t] = (order, valid)
    return Sample(visited, by_type)


def _all_types(model: Model):
    """(global site indices, fixed count, type) of every site type, including types no standard uses."""
    seen = set()
    for b in model.blocks:
        seen.add(b.site_type)
        yield b.sites, b.k_fixed, b.site_type
    st = model.sites["site_type"].to_numpy()
    for t in dict.fromkeys(st):
        if t not in seen:
            idx = np.flatnonzero(st == t)
            yield idx, int(min(model.rule.fixed.get(t, model.rule.default_per_type), len(idx))), t


def simulate(model: Model, runs: int | None = None, seed: int | None = None, rates_override=None,
             alpha: Alpha | None = None) -> tuple[Simulation, Alpha]:
    """``runs`` simulated assessments, vectorised in blocks of CHUNK; same seed, same numbers."""
    t0 = time.perf_counter()
    runs = int(runs or model.rule.runs)
    rng = np.random.default_rng(model.rule.seed if seed is None else seed)
    sample = sample_sites(model, runs, rng)
    p_sampled = sample.visited.mean(axis=0)
    if alpha is None:
        settings, _ = settings_of(rates_override)
        alpha = alphas(model, settings, p_sampled)
    std = model.standards
    code_pos = {c: j for j, c in enumerate(std["code"])}
    nf = len(model.field)
    f_pos = np.array([code_pos[c] for c in model.field["code"]], dtype=int)
    o_ok = model.online["mu"].notna().to_numpy()
    o_pos = np.array([code_pos[c] for c in model.online["code"]], dtype=int)
    ind = model.indicators.reset_index(drop=True)
    sv = model.survey
    s_ind = sv["indicator"].map({i: k for k, i in enumerate(ind["indicator"])}).to_numpy(int) if len(sv) else \
        np.zeros(0, dtype=int)
    sstd = std[scoring.method_kinds(std).eq(scoring.SURVEY).to_numpy()]
    s_pos = np.array([code_pos[c] for c in sstd["code"]], dtype=int)
    s_of = sstd["indicator"].map({i: k for k, i in enumerate(ind["indicator"])}).to_numpy()
    q = model.field["q"].to_numpy()
    tau = model.field["tau"].to_numpy()
    rates = np.zeros((runs, len(std)))
    counts = np.zeros(nf)
    for start in range(0, runs, CHUNK):
        n = min(CHUNK, runs - start)
        # --- field
        shift = model.level_shift + model.level_sd * rng.standard_normal((n, 1)) + tau * rng.standard_normal((n, nf))
        odds_shift = np.exp(shift).astype(np.float32)
        ssum = np.zeros((n, nf))
        cnt = np.zeros((n, nf))
        for bi, b in enumerate(model.blocks):
            if b.site_type not in sample.by_type:
                continue
            order, valid = (x[start:start + n] for x in sample.by_type[b.site_type])
            # pass ⟺ u < p, p = y / (1 + y), y = odds(base) · e^shift ⟺ u < y (1 − u); an empty slot has y = 0
            y = b.odds32[np.where(valid, order, len(b.sites))]
            y *= odds_shift[:, None, b.stds]
            u = rng.random(y.shape, dtype=np.float32)
            a = alpha.field[bi]
            if a.any():  # p' = p + α (1 − p) ⟺ u' < p with u' = (u − α) / (1 − α)
                aa = a.astype(np.float32)[order]
                u = np.where(aa >= 1, np.float32(-1), (u - aa) / np.maximum(1 - aa, np.float32(1e-6)))
            y *= 1 - u
            passed = u < y
            if a.any():  # an empty slot has y = 0 but may have u' < 0
                passed &= valid[:, :, None]
            k_pass = passed.view(np.int8).sum(axis=1, dtype=np.int32)
            k_obs = valid.sum(axis=1)[:, None]
            qb = q[b.stds][None, :]
            ssum[:, b.stds] += k_pass + qb * (k_obs - k_pass)
            cnt[:, b.stds] += k_obs
        with np.errstate(invalid="ignore", divide="ignore"):
            rates[start:start + n, f_pos] = np.where(cnt > 0, ssum / np.maximum(cnt, 1), 0.0)
        counts += cnt.sum(axis=0)
        # --- online
        if len(model.online):
            mu = model.online["mu"].fillna(0).to_numpy()
            sd = model.online["sd"].to_numpy()
            r = mu + model.online_shift + model.online_sd * rng.standard_normal((n, 1)) + sd * rng.standard_normal(
                (n, len(mu)))
            r = np.clip(r, 0, 1)
            r = r + alpha.online * (1 - r)
            rates[start:start + n, o_pos] = np.where(o_ok, r, 0.0)
        # --- survey
        if len(ind):
            common = ind["shift"].to_numpy(float) + ind["sd"].to_numpy(float) * rng.standard_normal((n, len(ind)))
            if len(sv):
                r = sv["mu"].to_numpy() + common[:, s_ind] + sv["sd"].to_numpy() * rng.standard_normal((n, len(sv)))
                r = np.clip(r, 0, 1)
                r = r + alpha.survey * (1 - r)
                wr = np.zeros((n, len(ind)))
                np.add.at(wr.T, s_ind, (r * sv["w"].to_numpy()).T)
            else:
                wr = np.zeros((n, len(ind)))
            ok = ind["assessed"].to_numpy(bool)
            rates[start:start + n, s_pos] = np.where(ok[s_of], wr[:, s_of], 0.0)
    totals = rates @ std["points"].to_numpy(float) + model.bonus - model.deduction
    ranks = peers = None
    if len(model.peers):
        peers = model.peers["mean"].to_numpy() + model.peers["sd"].to_numpy() * rng.standard_normal((runs, len(model.peers)))
        ranks = 1 + (peers > totals[:, None] + 1e-9).sum(axis=1)
    return Simulation(totals, ranks, rates, p_sampled, counts / runs, time.perf_counter() - t0, peers,
                      minors_scores(model, rates)), alpha


def minors_scores(model: Model, rates: np.ndarray) -> np.ndarray | None:
    """The minors' framework's score out of 100 in each simulated assessment (None without one)."""
    if model.minors is None:
        return None
    mine = model.standards["framework"].eq("minors").to_numpy()
    return rates[:, mine] @ (model.standards.loc[mine, "points"].to_numpy(float) / model.minors[0])


def max_total(model: Model) -> float:
    """Every standard that can be assessed at 100 %, scored by campaign.model.scoring (the deterministic maximum)."""
    std = model.standards
    can = set(model.field["code"].iloc[np.unique(np.concatenate([b.stds for b in model.blocks]))]) if model.blocks \
        else set()
    can |= set(model.online.loc[model.online["mu"].notna(), "code"])
    obs = pd.DataFrame({"standard_code": sorted(can), "score": 1.0, "max_score": 1.0})
    ok = model.indicators.loc[model.indicators["assessed"].astype(bool), "indicator"]
    survey = pd.DataFrame({"street": None, "indicator": list(ok), "rate": 1.0, "respondents": 1})
    rates = scoring.standard_rates(std, obs, survey)
    bonus = pd.DataFrame({"points": [model.bonus]})
    return scoring.round_total(rates, bonus, None, bonus_cap=max(model.bonus, 0.0)).total - model.deduction


def total_of(model: Model, rates_row: np.ndarray) -> float:
    """One simulated assessment's total through campaign.model.scoring (the vectorised total must equal it)."""
    std = model.standards
    obs = pd.DataFrame({"standard_code": std["code"], "score": rates_row, "max_score": 1.0})
    is_sv = scoring.method_kinds(std).eq(scoring.SURVEY).to_numpy()
    obs = obs[~is_sv]
    sv = std[is_sv].assign(rate=rates_row[is_sv])
    survey = sv.groupby("indicator", as_index=False)["rate"].first().assign(street=None, respondents=1)
    rates = scoring.standard_rates(std, obs, survey)
    return scoring.round_total(rates, pd.DataFrame({"points": [model.bonus]}), None,
                               bonus_cap=max(model.bonus, 0.0)).total - model.deduction
