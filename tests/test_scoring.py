"""The scoring model on small hand-computed examples."""
import pandas as pd
import pytest

from campaign.model import scoring

STANDARDS = pd.DataFrame([
    # code, method, points, indicator, department
    ("F1", "实地考察", 4.0, None, "城管局"),
    ("F2", "实地考察", 2.0, None, "市场监管局"),
    ("O1", "网上申报", 3.0, None, "文明办"),
    ("S1", "问卷调查", 1.0, "满意度", "宣传部"),
], columns=["code", "method", "points", "indicator", "department"])

OBS = pd.DataFrame([
    # standard, street, department, score, max
    ("F1", "东街道", "城管局", 1.0, 1.0),
    ("F1", "东街道", "城管局", 0.0, 1.0),
    ("F1", "西街道", "环卫中心", 0.5, 1.0),
    ("F1", "西街道", "城管局", 1.0, 1.0),   # F1 rate = 2.5 / 4
    ("F2", "西街道", "市场监管局", 1.0, 1.0),  # F2 rate = 1
    ("O1", None, None, 2.4, 3.0),             # O1 rate = 0.8
], columns=["standard_code", "street", "department", "score", "max_score"])

SURVEY = pd.DataFrame([
    ("东街道", "满意度", 0.9, 100),
    ("西街道", "满意度", 0.6, 50),           # weighted: (90 + 30) / 150 = 0.8
    ("东街道", "知晓率", 0.1, 100),           # not used by any standard
], columns=["street", "indicator", "rate", "respondents"])


def rates():
    return scoring.standard_rates(STANDARDS, OBS, SURVEY)


def test_standard_rates_by_method():
    r = rates().set_index("code")
    assert r.loc["F1", "rate"] == pytest.approx(0.625)
    assert r.loc["F2", "rate"] == pytest.approx(1.0)
    assert r.loc["O1", "rate"] == pytest.approx(0.8)
    assert r.loc["S1", "rate"] == pytest.approx(0.8)
    assert r["assessed"].all()


def test_round_total_hand_computed():
    # 4 × 0.625 + 2 × 1 + 3 × 0.8 + 1 × 0.8 = 2.5 + 2 + 2.4 + 0.8 = 7.7; + 2 bonus − 0.5 = 9.2
    bonus = pd.DataFrame({"points": [1.0, 1.0]})
    neg = pd.DataFrame({"deduction": [0.5], "veto": [False]})
    s = scoring.round_total(rates(), bonus, neg)
    assert s.base == pytest.approx(7.7)
    assert s.max_base == pytest.approx(10.0)
    assert s.lost == pytest.approx(2.3)
    assert s.total == pytest.approx(9.2)
    assert not s.vetoed


def test_bonus_is_capped():
    bonus = pd.DataFrame({"points": [1.0] * 8})
    s = scoring.round_total(rates(), bonus, None, bonus_cap=6)
    assert s.bonus == 6
    assert s.total == pytest.approx(7.7 + 6)


def test_veto_fails_the_round():
    neg = pd.DataFrame({"deduction": [0.0, 3.0], "veto": [True, False]})
    s = scoring.round_total(rates(), None, neg)
    assert s.vetoed
    assert s.total == pytest.approx(7.7 - 3)


def test_unassessed_standard_counts_zero_and_is_flagged():
    r = scoring.standard_rates(STANDARDS, OBS[OBS["standard_code"] != "F2"], SURVEY).set_index("code")
    assert not r.loc["F2", "assessed"] and r.loc["F2", "rate"] == 0
    assert scoring.round_total(r.reset_index()).base == pytest.approx(5.7)


def test_cycle_weighting():
    assert scoring.cycle_total([80, 85, 90]) == pytest.approx(0.15 * 80 + 0.25 * 85 + 0.60 * 90)
    assert scoring.cycle_total([80, 90], [0.15, 0.25, 0.60]) == pytest.approx((0.15 * 80 + 0.25 * 90) / 0.4)
    with pytest.raises(ValueError):
        scoring.cycle_total([1, 2, 3, 4])


def test_attribution_adds_up_to_total_lost():
    r = rates()
    att = scoring.attribute_lost(r, OBS, SURVEY)
    assert att["lost"].sum() == pytest.approx(r["lost"].sum()) == pytest.approx(2.3)
    by_street = att.groupby("street")["lost"].sum()
    # F1: east loses 4 × 1/4 = 1.0, west 4 × 0.5/4 = 0.5; O1: 0.6 district level;
    # S1: east 1 × 100 × 0.1 / 150, west 1 × 50 × 0.4 / 150
    assert by_street["东街道"] == pytest.approx(1.0 + 10 / 150)
    assert by_street["西街道"] == pytest.approx(0.5 + 20 / 150)
    assert by_street[scoring.DISTRICT_LEVEL] == pytest.approx(0.6)
    by_dept = att.groupby("department")["lost"].sum()
    assert by_dept["环卫中心"] == pytest.approx(0.5)
    assert by_dept["文明办"] == pytest.approx(0.6)
    assert by_dept["宣传部"] == pytest.approx(0.2)


def test_group_scores_by_method():
    g = scoring.group_scores(rates(), "method").set_index("method")
    assert g.loc["实地考察", "earned"] == pytest.approx(4.5)
    assert g.loc["实地考察", "rate"] == pytest.approx(0.75)


def test_street_achievement():
    s = scoring.street_achievement(OBS).set_index("street")
    assert s.loc["东街道", "rate"] == pytest.approx(0.5)
    assert s.loc["西街道", "rate"] == pytest.approx(2.5 / 3)


def test_peer_rank():
    assert scoring.peer_rank(88.0, [90.1, 87.9, 88.0, 70]) == 2
    assert scoring.peer_rank(95.0, [90.0]) == 1
    assert scoring.peer_rank(60.0, []) == 1
