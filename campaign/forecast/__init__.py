"""迎检预测 (readiness forecast): the odds of reaching the target score and rank at the next assessment, and the
sites the assessors are most likely to sample and mark down.

The model, plainly (docs/forecast.md says the same in Chinese)
    Sampling. The assessors' rule is data (data/readiness.yaml): k sites of each type drawn at random among the
    district's sites of that type; around each fixed site of the ``around`` types, 1–2 back alleys and 1–2
    compounds drawn among those 500 m–2 km away (same street when a site has no coordinates). A site drawn
    twice is visited once.

    Field standards. Each observation of standard s at site i passes (full marks) with probability p, else it
    earns the standard's usual partial credit q_s (the mean achievement of its failed observations so far).
    p comes from a Beta posterior per site × standard: the prior mean is the standard's recent pass share at
    that site type, moved on the log-odds scale by the street's recent pass share (relative to the district)
    and by the site's recent inspection problems (relative to sites of its type in its street:
    −problem_weight × ln ratio); the prior counts as prior_strength observations; the site's own past
    observations of s are added as successes and failures. Every observation is weighted by its age: half
    the weight every half_life_weeks.
    The district's level moves between rounds: the field pass share's log-odds, fitted on a line over the
    recent rounds, is extrapolated one round ahead (a share ``trend`` of the way), and every simulated
    assessment draws a common shift around it (the line's prediction error) plus, per standard, a shift as
    wide as the standard's own Beta posterior. So outcomes of one simulated assessment are correlated, as
    real ones are (an assessor's strictness, a good or a bad month).

    Online material and survey. Standards go by their method's kind (the framework file names the methods):
    material and opinion kinds (网上申报 / 材料审核, 主管部门意见 …) form the "online" part, one rate per standard;
    survey kinds (问卷调查, 电话调查 …) all take their indicator's street × indicator rates. Each online
    standard's rate, and each street × indicator survey rate, is its recency-weighted mean over the recent
    rounds, moved by the common trend of its part, plus a common shift per simulated assessment and its own
    spread (at least min_spread); clipped to 0–1.

    Peers. Each peer's next total is its recent published totals' line one round ahead, with the line's
    prediction error as spread (at least min_spread points); peers are independent of us and of each other.

    Totals. Per simulated assessment the standards' rates are scored exactly as campaign.model.scoring does
    (Σ points × rate, a standard nobody assessed scores 0, plus the latest round's bonus up to the cap, minus
    no negative-list deduction: none is foreseen). With every rate at 100 % the total is the deterministic
    maximum. Rank = 1 + peers strictly ahead (scoring.peer_rank).

What-if (rates_override)
    Keys and rates are the what-if's own (campaign.whatif): ``KEY=RATE`` raises the units matching KEY to a joint
    expected rate of at least RATE by closing the same share α = (RATE − r) / (1 − r) of every unit's gap; here a
    unit's gap is its pass probability's (field: p → p + α (1 − p), which closes α of the expected score's gap
    as the what-if closes α of the observed one) or its simulated rate's (online, survey). Nothing is lowered;
    with several keys on one unit the largest α applies. The same seed gives the same random numbers with and
    without the override, so raising a rate can only raise every simulated total.
"""
from __future__ import annotations

from campaign.forecast.backtest import Backtest, backtest, backtest_table, page_backtest
from campaign.forecast.estimate import Model, build, estimate, with_failing
from campaign.forecast.inputs import Inputs, read_inputs
from campaign.forecast.report import (HELP, Forecast, forecast, help_text, page_forecast, page_model, pct,
                                      result_json, risk_sites, risk_standards, risk_table)
from campaign.forecast.rule import RULE_FILE, ForecastError, Rule, load_rule, rule_stamp
from campaign.forecast.simulate import Simulation, max_total, simulate, total_of

__all__ = ["HELP", "RULE_FILE", "Backtest", "Forecast", "ForecastError", "Inputs", "Model", "Rule", "Simulation",
           "backtest", "backtest_table", "build", "estimate", "forecast", "help_text", "load_rule", "max_total",
           "page_backtest", "page_forecast", "page_model", "pct", "read_inputs", "result_json", "risk_sites",
           "risk_standards", "risk_table", "rule_stamp", "simulate", "total_of", "with_failing"]
