"""推演 page and the readiness forecast: a scenario shows its odds at the next assessment beside its projected
total, and the cheapest plan can target a probability."""
import re

import duckdb
from apptest_helpers import metric, open_page

from campaign import forecast


def test_a_scenario_shows_its_odds_beside_its_total(app_env):
    scenario = "site_type:农贸市场=0.95"
    con = duckdb.connect(str(app_env))
    try:
        base = forecast.forecast(con, target_score=90, target_rank=1)
        raised = forecast.forecast(con, target_score=90, target_rank=1, rates_override=scenario)
    finally:
        con.close()
    at = open_page("whatif", scenario=scenario)
    m = metric(at, "下次达 90 分把握")
    assert m.value == forecast.pct(raised.p_target_score) and m.delta == f"推演前 {forecast.pct(base.p_target_score)}"
    assert raised.p_target_score > base.p_target_score
    assert metric(at, "推演总分").value != metric(at, "基准总分").value  # the projected total beside it


def test_the_cheapest_plan_for_a_probability(app_env):
    at = open_page("whatif")
    at.radio[0].set_value("目标总分")
    next(n for n in at.number_input if n.label == "目标总分").set_value(90.0)
    next(n for n in at.number_input if n.label.startswith("下次测评的把握不低于")).set_value(80)
    next(b for b in at.button if b.label == "求最省方案").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    msg = at.success[0].value
    assert msg.startswith("达到 90 分的把握 ≥ 80%：") and "项整改" in msg, msg
    before, after = (int(x) for x in re.findall(r"约 (\d+)%", msg)[-2:])
    assert after >= 80 > before
    plan = next(d.value for d in at.dataframe if "整改项" in d.value.columns)
    assert len(plan) > 0 and (plan["增分"] > 0).all()
