"""负面清单 with sanctions: each item's sanction, window and owner in the framework file; events the office reports
count against the tests held within the window (扣分 deducts, the other sanctions fail the round); the risk
register says which items a test is exposed to."""
from datetime import date

import pytest
import yaml

from campaign.analysis import metrics, negatives
from campaign.config import FRAMEWORK_FILE
from campaign.model.framework import FrameworkError, load_framework, parse_framework


@pytest.fixture()
def con(demo_copy):
    return demo_copy


def totals(con) -> dict:
    r = metrics.round_scores(con)
    return {int(x.round_id): (round(float(x.total), 6), float(x.deduction), bool(x.vetoed)) for x in r.itertuples()}


def test_the_shipped_list_names_a_sanction_window_and_owner_for_every_item():
    neg = load_framework().negative.set_index("code")
    assert set(neg["sanction"]) == {"扣分", "暂停提名资格", "暂停称号一年", "撤销称号"}
    assert (neg["department"] != "").all() and neg["window_months"].between(1, 60).all()
    assert neg.at["N01", "sanction"] == "扣分" and neg.at["N01", "deduction"] == 3
    assert neg.at["N01", "when_applying"] == "暂停提名资格"
    assert bool(neg.at["N16", "veto"]) and neg.at["N16", "deduction"] == 0
    assert (neg["veto"] == neg["sanction"].ne("扣分")).all()


@pytest.mark.parametrize("item, message", [
    ({"code": "N01", "name": "甲", "sanction": "通报批评"}, "负面清单 N01：处理方式 sanction“通报批评”未知"),
    ({"code": "N01", "name": "甲", "sanction": "扣分"}, "负面清单 N01：须给出扣分 deduction"),
    ({"code": "N01", "name": "甲", "deduction": 3, "window_months": 0}, "负面清单 N01：计入期限 window_months 应为 1 到 60"),
    ({"code": "N01", "name": "甲", "deduction": 3, "when_applying": "警告"}, "申报前发生时的处理 when_applying“警告”未知"),
    ({"code": "N01", "name": "甲", "deduction": 3, "veto": True, "sanction": "扣分"}, "veto: true 与 sanction: 扣分 矛盾"),
])
def test_a_wrong_item_is_named_in_chinese(item, message):
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    raw["negative"] = [item]
    with pytest.raises(FrameworkError) as e:
        parse_framework(raw, "framework.yaml")
    assert message in str(e.value)


def test_a_reported_event_counts_against_the_tests_in_its_window(con):
    before = totals(con)
    held = {int(r): d for r, d in con.execute("SELECT round_id, held_on FROM assessment_rounds").fetchall()}
    assert held[6] == date(2026, 7, 17) and held[7] == date(2026, 9, 18) and held[8] == date(2026, 11, 13)
    negatives.report(con, "N02", date(2026, 8, 1), "北关街道", "仓库火灾", by="王主任")  # 扣2分, 12 months
    after = totals(con)
    for rid in before:
        d = 2.0 if rid in (7, 8) else 0.0           # held after 8-01 and within 12 months
        assert after[rid][1] == pytest.approx(before[rid][1] + d), rid
        assert after[rid][0] == pytest.approx(before[rid][0] - d), rid
        assert not after[rid][2]
    negatives.report(con, "N16", date(2026, 10, 1), "", "", by="王主任")                 # 暂停提名资格
    vetoed = {rid: v[2] for rid, v in totals(con).items()}
    assert vetoed[8] and not vetoed[7] and not vetoed[6]


def test_the_window_ends_the_day_before_the_same_date_a_year_on(con):
    con.execute("INSERT INTO store.assessment_rounds VALUES (90, '2027年国测', '国测', DATE '2027-08-01', 2027), "
                "(91, '2027年复测', '国测', DATE '2027-07-31', 2027)")
    negatives.report(con, "N02", date(2026, 8, 1), "北关街道", "", by="王主任")
    neg = con.execute("SELECT round_id FROM (" + open_query("negatives_by_round") + ") WHERE code = 'N02'").fetchall()
    assert sorted(r for (r,) in neg) == [7, 8, 91]   # 2027-08-01 is twelve months on: out


def open_query(name):
    from campaign import queries

    return queries.sql(name).rstrip().rstrip(";")


def test_the_register_says_what_a_test_is_exposed_to(con):
    reg = negatives.register(con, date(2026, 11, 22)).set_index("code")
    assert reg.at["N02", "status"] == "未发生" and not reg.at["N02", "exposed"]
    negatives.report(con, "N02", date(2026, 8, 1), "北关街道", "仓库火灾", by="王主任")
    negatives.report(con, "N02", date(2026, 9, 5), "河口镇", "", by="王主任")
    negatives.report(con, "N15", date(2024, 1, 5), "", "", by="王主任")  # 36 months: still counts in 2026
    reg = negatives.register(con, date(2026, 11, 22))
    assert reg["exposed"].head(3).all()                  # exposed items first
    r = reg.set_index("code")
    assert r.at["N02", "events"] == 2 and r.at["N02", "units"] == "河口镇、北关街道"
    assert r.at["N02", "status"] == "近12个月发生2次：2027-09-04前举行的测评每次扣2分"
    assert r.at["N02", "owner"] == "区应急管理局" and r.at["N02", "sanction"] == "扣2分"
    assert r.at["N15", "status"] == "近36个月发生1次：2027-01-04前举行的测评撤销称号（视同一票否决）"
    assert r.at["N01", "applying"] == "暂停提名资格"


def test_a_wrong_report_is_refused_in_words_and_nothing_is_kept(con):
    with pytest.raises(negatives.ReportError, match="没有编码为“N99”的事项"):
        negatives.report(con, "N99", date(2026, 8, 1))
    with pytest.raises(negatives.ReportError, match="晚于今天"):
        negatives.report(con, "N02", date(2999, 1, 1))
    with pytest.raises(negatives.ReportError, match="请填写事件发生日期"):
        negatives.report(con, "N02", None)
    assert con.execute("SELECT count(*) FROM negative_reports").fetchone()[0] == 0
    n = negatives.report(con, "N02", date(2026, 8, 1), " 北关街道 ", by="李科长")
    row = con.execute("SELECT report_id, name, unit, entered_by FROM negative_reports").fetchone()
    assert row == (n, "发生较大及以上火灾事故造成人员伤亡", "北关街道", "李科长")
