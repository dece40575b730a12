"""The cheapest plan for a probability: the gain asked of every simulated total, and a plan that buys the odds."""
import numpy as np
import pytest

from campaign.forecast import simulate
from campaign.forecast.plan import bars, odds_plan, required_gain


@pytest.mark.parametrize("p", [0.5, 0.8, 0.95])
def test_the_required_gain_is_the_least_that_reaches_the_odds(small_model, p):
    sim, _ = simulate(small_model, 500, 3)
    for kw in (dict(target_score=float(np.quantile(sim.totals, 0.7))), dict(target_rank=2)):
        d = required_gain(sim, p, **kw)
        bar = bars(sim, **kw)
        assert (sim.totals + d >= bar - 1e-9).mean() >= p
        assert (sim.totals + d - 1e-6 >= bar - 1e-9).mean() < p  # and not more than needed


def test_a_plan_for_80_percent_buys_it(small_con, small_model):
    sim, _ = simulate(small_model, small_model.rule.runs, small_model.rule.seed)
    op = odds_plan(small_con, 0.8, target_score=round(float(np.quantile(sim.totals, 0.75)), 1))
    assert op.before < 0.8 and len(op.plan.actions) > 0
    assert op.after >= 0.8 and f"升至约 {round(op.after * 100)}%" in op.message


def test_nothing_to_do_when_the_odds_are_already_there(small_con):
    op = odds_plan(small_con, 0.5, target_score=50)
    assert op.gain <= 0 and op.before == 1.0 and "无需额外整改" in op.message
