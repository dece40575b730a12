"""The forecast's model on a small demo: certainty at 100 %, losses when the weakest standards fail, what-ifs that
only raise the odds, the same numbers from the same seed, totals scored as campaign.model.scoring scores them."""
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.forecast import estimate, forecast, load_rule, read_inputs, simulate, total_of, with_failing
from campaign.forecast.simulate import max_total
from campaign.model import geo

RUNS = 400
EVERYTHING = "section:A=1;section:B=1;section:C=1;section:MA=1;section:MB=1"  # city and minors


def odds(model, target, runs=RUNS, seed=11, rates=None):
    sim, _ = simulate(model, runs, seed, rates)
    return float((sim.totals >= target - 1e-9).mean()), sim


def test_every_rate_at_100_percent_makes_the_target_certain(small_con, small_model):
    top = max_total(small_model)
    p, sim = odds(small_model, top, rates=EVERYTHING)
    assert p == 1.0
    assert np.allclose(sim.totals, top)  # every simulated assessment scores the deterministic maximum
    fc = forecast(small_con, model=small_model, target_score=90, runs=RUNS, seed=1, rates_override=EVERYTHING)
    assert fc.p_target_score == 1.0 and fc.interval[0] == pytest.approx(top)
    base = forecast(small_con, model=small_model, target_score=90, runs=RUNS, seed=1)
    assert base.p_target_score < 1.0  # and without the what-if it is not certain


def test_the_weakest_standards_failing_everywhere_lowers_the_odds(small_con, small_model):
    fc = forecast(small_con, model=small_model, runs=RUNS, seed=2, target_score=90)
    target = fc.quantiles[0.5]
    weakest = fc.standards.head(5)["code"].tolist()
    p0, sim0 = odds(small_model, target)
    p1, sim1 = odds(with_failing(small_model, weakest), target)
    assert 0.2 < p0 < 0.8 and p1 < p0 - 0.15
    lost = fc.standards.head(5)["points"].sum() * 0.3
    assert sim1.totals.mean() < sim0.totals.mean() - lost  # most of those points go


def test_same_seed_same_numbers_other_seed_other_numbers(small_con, small_model):
    a = forecast(small_con, model=small_model, runs=RUNS, seed=5, target_score=85, target_rank=3)
    b = forecast(small_con, model=small_model, runs=RUNS, seed=5, target_score=85, target_rank=3)
    c = forecast(small_con, model=small_model, runs=RUNS, seed=6, target_score=85, target_rank=3)
    assert np.array_equal(a.totals, b.totals) and a.p_target_rank == b.p_target_rank
    assert a.sites["exp_lost"].equals(b.sites["exp_lost"])
    assert not np.array_equal(a.totals, c.totals)


def test_simulated_totals_are_scored_as_campaign_scoring_scores_them(small_model):
    sim, _ = simulate(small_model, 50, 3)
    for k in (0, 17, 49):
        assert sim.totals[k] == pytest.approx(total_of(small_model, sim.rates[k]), abs=1e-6)


def test_fixed_sites_are_sampled_at_the_rule_s_rate(small_model):
    sim, _ = simulate(small_model, 2_000, 4)
    sites = small_model.sites.assign(p=sim.p_sampled)
    markets = sites[sites["site_type"].eq("农贸市场")]
    k = min(small_model.rule.fixed["农贸市场"], len(markets))
    assert markets["p"].mean() == pytest.approx(k / len(markets), abs=0.02)
    alleys = sites[sites["site_type"].eq("背街小巷")]
    assert alleys["p"].max() > 0  # not fixed (0 in the rule), reached only through the 六个周边 rule


KEYS = ["site_type:农贸市场", "site_type:公共厕所", "section:B", "section:C", "indicator:满意度", "item:B4",
        "category:环境卫生", "street:北关街道"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(KEYS), rate=st.floats(0.5, 1.0), seed=st.integers(0, 1000))
def test_raising_a_rate_never_lowers_the_odds(small_model, key, rate, seed):
    base, sim0 = odds(small_model, 0, runs=200, seed=seed)
    sim1, alpha = simulate(small_model, 200, seed, {key: rate})
    assert alpha.effects["units"].iloc[0] > 0  # the key reaches something
    assert (sim1.totals >= sim0.totals - 1e-6).all()  # every simulated assessment, not just on average
    for target in np.quantile(sim0.totals, [0.2, 0.5, 0.8]):
        assert (sim1.totals >= target - 1e-9).mean() >= (sim0.totals >= target - 1e-9).mean()
    if sim1.ranks is not None:
        assert (sim1.ranks <= sim0.ranks).all()


def test_a_what_if_below_today_changes_nothing(small_model):
    _, sim0 = odds(small_model, 0, runs=200, seed=9)
    sim1, alpha = simulate(small_model, 200, 9, {"site_type:农贸市场": 0.01})
    assert np.array_equal(sim0.totals, sim1.totals) and alpha.effects["alpha"].iloc[0] == 0


def test_without_coordinates_the_surroundings_come_from_the_same_street(small_con):
    rule = load_rule()
    inputs = read_inputs(small_con, rule)
    inputs = replace(inputs, sites=inputs.sites.assign(lon=np.nan, lat=np.nan))
    model = estimate(inputs, rule)
    street = model.sites["street"].to_numpy()
    st_type = model.sites["site_type"].to_numpy()
    anchors = np.flatnonzero(np.isin(st_type, rule.around))
    assert len(anchors)
    for group, types in (("alleys", rule.alley_types), ("compounds", rule.compound_types)):
        for i in anchors:
            cand = model.surroundings(group, i)
            assert (street[cand] == street[i]).all() and np.isin(st_type[cand], types).all()
            same = np.flatnonzero((street == street[i]) & np.isin(st_type, types))
            assert set(cand) == set(same)  # every such site of the street is a candidate
    assert any("经度、纬度" in w for w in model.warnings)


def test_with_coordinates_the_surroundings_lie_within_the_radius(small_model):
    """500 m–2 km away, or, when no site of the kind is, in the same street."""
    rule = small_model.rule
    s = small_model.sites
    lon, lat, street = s["lon"].to_numpy(), s["lat"].to_numpy(), s["street"].to_numpy()
    anchors = np.flatnonzero(s["site_type"].isin(rule.around).to_numpy())
    in_radius = 0
    for i in anchors:
        cand = small_model.surroundings("alleys", i)
        d = geo.distance_m(lon[i], lat[i], lon[cand], lat[cand])
        ok = (d >= rule.radius_m[0] * 0.99) & (d <= rule.radius_m[1] * 1.01)  # a plane within a district
        assert ok.all() or (street[cand] == street[i]).all()
        in_radius += ok.all()
    assert in_radius > len(anchors) / 2


def test_the_minors_framework_counts_for_its_share_and_has_its_own_odds(small_con, small_model):
    from campaign import queries
    from campaign.analysis import metrics
    assert small_model.minors == (0.2, 85.0)
    last = metrics.round_scores(small_con).iloc[-1]
    assert small_model.round_total == pytest.approx(last.total)  # the trends page's figure, minors included
    sim, _ = simulate(small_model, 200, 5)
    std = small_model.standards
    city_pts = std["code"].map(metrics.standards(small_con).set_index("code")["points"])
    minors_pts = std["code"].map(queries.run(small_con, "minors_standards").set_index("code")["points"])
    city = sim.rates[:, city_pts.notna().to_numpy()] @ city_pts.dropna().to_numpy()
    minors = sim.rates[:, minors_pts.notna().to_numpy()] @ minors_pts.dropna().to_numpy()
    assert np.allclose(sim.minors, minors)
    assert np.allclose(sim.totals, 0.8 * city + 0.2 * minors + small_model.bonus)
    fc = forecast(small_con, model=small_model, target_score=90, runs=RUNS, seed=3)
    assert fc.p_minors_gate == pytest.approx(float((sim.minors >= 85).mean()), abs=0.1)
    sure = forecast(small_con, model=small_model, target_score=90, runs=RUNS, seed=3,
                    rates_override="section:MA=1;section:MB=1")
    assert sure.p_minors_gate == 1.0 and sure.minors_median == pytest.approx(100.0)
    minors_codes = std.loc[std["framework"].eq("minors"), "code"].tolist()
    low = forecast(small_con, model=with_failing(small_model, minors_codes[:12]), target_score=90, runs=RUNS, seed=3)
    assert low.p_minors_gate < fc.p_minors_gate and low.minors_median < fc.minors_median
