"""Round results computed once where a caller asks for them repeatedly, and the overview's bottom lists."""
import pandas as pd

from campaign import briefing, queries
from campaign.analysis import metrics


def counting(monkeypatch) -> dict:
    """Count the named queries run, by name."""
    seen: dict[str, int] = {}
    real = queries.run

    def run(con, name, **params):
        seen[name] = seen.get(name, 0) + 1
        return real(con, name, **params)

    monkeypatch.setattr(queries, "run", run)
    return seen


def test_shared_results_compute_a_round_once_and_only_inside_the_block(demo_con, monkeypatch):
    rid = int(queries.run(demo_con, "assessment_rounds")["round_id"].iat[-1])
    seen = counting(monkeypatch)
    with metrics.shared_results():
        first = metrics.round_detail(demo_con, rid)
        assert metrics.round_detail(demo_con, rid) is first
        metrics.round_scores(demo_con)
        metrics.round_scores(demo_con)
    assert seen["round_observations"] == 1 and seen["observation_totals_by_round"] == 1
    outside = metrics.round_detail(demo_con, rid)
    assert outside is not first and seen["round_observations"] == 2
    assert outside.rates.equals(first.rates)


def test_the_briefing_scores_each_round_once(demo_con, monkeypatch):
    seen = counting(monkeypatch)
    briefing.build(demo_con, 52)
    assert seen["round_observations"] == 1       # its rankings and sections share the round's detail
    assert seen["observation_totals_by_round"] == 1


def test_round_detail_carries_its_losses_by_street_department_and_standard(demo_con):
    rid = int(queries.run(demo_con, "assessment_rounds")["round_id"].iat[-1])
    d = metrics.round_detail(demo_con, rid)
    pd.testing.assert_frame_equal(d.street_lost, metrics.street_losses(d.attribution))
    pd.testing.assert_frame_equal(d.department_lost, metrics.department_losses(d.attribution))
    pd.testing.assert_frame_equal(d.top_standards, metrics.top_losing_standards(d.rates, 3))
    assert abs(d.department_lost["lost"].sum() - d.attribution["lost"].sum()) < 1e-9


def test_bottom_table_lists_every_unit_of_either_side_worst_first():
    lost = pd.DataFrame({"street": ["甲", "乙", "丙"], "lost": [2.0, 0.5, 1.0]})
    week = pd.DataFrame({"street": ["乙", "丁", "甲"], "problems": [7, 3, 1], "deduction": [3.5, 1.5, 0.5]})
    out = metrics.bottom_table(lost, week, "street", "街道（镇）")
    assert list(out.columns) == ["街道（镇）", "测评失分", "本周问题数", "本周扣分"]
    assert out["街道（镇）"].tolist() == ["甲", "丙", "乙", "丁"]
    assert out["测评失分"].tolist() == [2.0, 1.0, 0.5, 0.0]
    assert out["本周问题数"].tolist() == [1, 0, 7, 3]
    assert out["本周扣分"].tolist() == [0.5, 0.0, 3.5, 1.5]
