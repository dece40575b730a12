"""推演 plans an office can act on: the plan starts from the user's settings (cheaper, and its total checked by
hand on a two-standard framework), target dates in working days across 国庆, settings in words, the workbook,
and saving over an existing name only when asked."""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from campaign import whatif
from campaign.config import OfficeFileError, load_office
from campaign.demo import build_demo
from campaign.whatif import plan as wp


# ------------------------------------------------------------------------------------------ a tiny framework
def tiny_model() -> whatif.Model:
    """Two field standards in one street, no survey, bonus or peers:
    A1 (10 points, 农贸市场, 区商务局): sites scored 0 and 1 of 1 → 50 %, 5 points;
    B1 (20 points, 背街小巷, 区城管局): sites scored 1, 1, 1, 0 → 75 %, 15 points. Total 20."""
    std = pd.DataFrame({
        "code": ["A1", "B1"], "name": ["农贸市场划行归市", "背街小巷路面整洁"], "method": [whatif.FIELD] * 2,
        "points": [10.0, 20.0], "indicator": [None, None], "site_types": [["农贸市场"], ["背街小巷"]],
        "categories": [["占道经营"], ["环境卫生"]], "department": ["区商务局", "区城管局"],
        "item_code": ["I1", "I2"], "item": ["市场秩序", "街巷环境"], "section_code": ["S1", "S1"],
        "section": ["城市管理", "城市管理"]})
    codes = ["A1", "A1", "B1", "B1", "B1", "B1"]
    score = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    top = np.ones(6)
    share = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 5.0])  # points × max / Σmax of the standard
    units = pd.DataFrame({"std": codes, "method": [whatif.FIELD] * 6, "street": ["北关街道"] * 6,
                          "site_type": ["农贸市场"] * 2 + ["背街小巷"] * 4,
                          "department": ["区商务局"] * 2 + ["区城管局"] * 4,
                          "lead": ["区商务局"] * 2 + ["区城管局"] * 4, "indicator": [None] * 6,
                          "is_survey": [False] * 6})
    units = units.astype(object).where(units.notna(), None)
    units["is_survey"] = units["is_survey"].astype(bool)
    site_counts = {("北关街道", "农贸市场"): 2, ("北关街道", "背街小巷"): 4}
    fg, ug = whatif._field_groups(units, score, share, share / top, std, site_counts)
    op_cols = ["standard_code", "street", "site_type", "department", "category", "item_code", "item",
               "section_code", "section", "site_key", "problems", "pid"]
    m = whatif.Model(
        round_id=1, round_name="小测评", standards=std,
        obs=pd.DataFrame({"standard_code": codes, "score": score, "max_score": top}),
        survey=pd.DataFrame(columns=["street", "indicator", "rate", "respondents"]),
        bonus=pd.DataFrame(columns=["points"]), negatives=pd.DataFrame(columns=["deduction", "veto"]),
        bonus_cap=6.0, peers=pd.DataFrame(columns=["peer", "total"]), units=units, value=score, top=top,
        share=share, ppv=share / top, open_problems=pd.DataFrame(columns=op_cols), site_counts=site_counts,
        fix_groups=fg, unit_group=ug,
        close_days=pd.DataFrame(columns=["standard_code", "department", "closed", "days"]),
        recent={}, recent_weeks=12)
    m.baseline = whatif.project(m, [])
    return m


def test_the_tiny_framework_scores_as_by_hand():
    m = tiny_model()
    assert m.baseline.total == pytest.approx(20.0)
    # 农贸市场 to 90 %: A1 earns 9 → 24
    assert whatif.project(m, whatif.parse_scenario("site_type:农贸市场=0.9")).total == pytest.approx(24.0)


def test_the_plan_starts_from_the_users_rates_and_reaches_the_target_as_by_hand():
    m = tiny_model()
    eff = whatif.Effort()  # no ledger: 3 days a failed site, 1 day to set up each action
    user = whatif.parse_scenario("site_type:农贸市场=0.9")
    observed = wp.plan_from(m, [], target_total=27, effort=eff)
    mine = wp.plan_from(m, user, target_total=27, effort=eff)
    assert observed.start_total == pytest.approx(20.0) and mine.start_total == pytest.approx(24.0)
    # from 24, 3 more points: B1 alone from 75 % to 90 % (0.15 × 20), 0.6 failed sites × 3 days + 1 = 2.8 days
    assert mine.plan.status == "optimal"
    assert mine.plan.actions["key"].tolist() == ["B1,street:北关街道,department:区城管局"]
    assert mine.plan.actions["rate"].iloc[0] == pytest.approx(0.9, abs=1e-6)
    assert mine.plan.total_effort == pytest.approx(2.8, abs=1e-4)
    assert mine.plan.projected.total == pytest.approx(9 + 20 * 0.9, abs=1e-5)  # 27, by hand
    # from the round as assessed the same target needs 7 points from both standards: 7 × 0.6 + 2 = 6.2 days
    assert observed.plan.total_effort == pytest.approx(6.2, abs=1e-4)
    assert mine.plan.total_effort <= observed.plan.total_effort
    # the user's settings plus the plan, applied to the round as assessed, give the plan's total
    assert whatif.project(m, mine.settings).total == pytest.approx(mine.plan.projected.total, abs=1e-6)
    assert mine.message.startswith("从您设定的达标率出发（推演总分 24.00）")
    assert not observed.message.startswith("从您设定")


def test_on_the_demo_a_raised_start_never_costs_more(model):
    target = round(model.baseline.total + 2.0, 2)
    observed = wp.plan_from(model, [], target_total=target)
    for text in ("site_type:农贸市场=0.9", "street:北关街道=0.9", "fix:street:北关街道"):
        mine = wp.plan_from(model, whatif.parse_scenario(text), target_total=target)
        assert mine.start_total >= observed.start_total
        assert mine.plan.total_effort <= observed.plan.total_effort + 1e-6, text
        assert whatif.project(model, mine.settings).total >= target - 1e-6, text


@pytest.fixture(scope="module")
def model(demo_db):
    con = duckdb.connect(str(demo_db))
    try:
        return whatif.build_model(con)
    finally:
        con.close()


# ------------------------------------------------------------------------------------------ dates
def test_target_dates_count_working_days_across_national_day():
    # Mon 2026-09-28 + 3 working days: 29, 30 September, then 8 October (1–7 October are 国庆 holidays)
    t = wp.target_dates([2.2, 0.4, 5.0], date(2026, 9, 28))
    assert t["days"].tolist() == [3, 1, 5]
    # five: 29, 30 Sep, 8, 9 Oct and Saturday 10 October, a 调休 working day
    assert t["due"].tolist() == [date(2026, 10, 8), date(2026, 9, 29), date(2026, 10, 10)]
    assert (t["note"] == "").all()


def test_an_action_longer_than_the_time_left_is_due_before_the_assessment_and_marked():
    # assessment on Thu 2026-10-15: the last working day before it is Wed 14 October
    t = wp.target_dates([3, 20], date(2026, 9, 28), assessment=date(2026, 10, 15))
    assert t["due"].tolist() == [date(2026, 10, 8), date(2026, 10, 14)]
    # working days left: 29, 30 Sep; 8, 9, 10 (调休), 12, 13, 14 Oct = 8
    assert t["note"].iloc[0] == "" and t["note"].iloc[1] == "工期不足：需 20 个工作日，测评前只有 8 个"
    assert wp.last_working_day_before(date(2026, 10, 8)) == date(2026, 9, 30)


def test_the_action_table_gives_owner_place_and_date(model):
    ap = wp.plan_from(model, [], target_total=round(model.baseline.total + 1.0, 2))
    t = wp.action_table(model, ap, date(2026, 12, 7), date(2027, 3, 15))
    assert len(t) == len(ap.plan.actions) > 0
    assert t["责任单位"].notna().all() and (t["责任单位"] != "").all()
    assert (t["街道"] != "").all()
    field = t["测评方式"].eq(whatif.FIELD)
    assert field.any() and (t.loc[field, "点位类型"] != "").all()
    assert (t["完成时限"] > date(2026, 12, 7)).all() and (t["完成时限"] < date(2027, 3, 15)).all()
    assert (t["工作日"] >= np.ceil(t["工作量（天）"] - 0.05)).all()


def test_next_assessment_is_read_from_office_settings(tmp_path):
    p = tmp_path / "office.yaml"
    p.write_text("district: 测试区\nnext_assessment: 2027-03-15\n", encoding="utf-8")
    assert load_office(p).next_assessment == date(2027, 3, 15)
    q = tmp_path / "none.yaml"
    q.write_text("district: 测试区\n", encoding="utf-8")
    assert load_office(q).next_assessment is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("district: 测试区\nnext_assessment: 明年三月\n", encoding="utf-8")
    with pytest.raises(OfficeFileError, match="next_assessment.*明年三月.*年-月-日"):
        load_office(bad)


# ------------------------------------------------------------------------------------------ words
def test_settings_read_as_words_not_code():
    m = tiny_model()
    assert wp.scenario_words("site_type:农贸市场=0.9") == "农贸市场 达标率 90%"
    assert wp.scenario_words("street:北关街道=0.925;fix:street:北关街道;fix:all") == \
        "北关街道 达标率 92.5%；北关街道 未整改问题全部整改；全部未整改问题整改"
    assert wp.scenario_words("item:I2=0.8;A1=1", m) == "街巷环境 达标率 80%；A1 农贸市场划行归市 达标率 100%"
    assert wp.scenario_words("site_type:农贸市场,street:北关街道=0.95") == "农贸市场 北关街道 达标率 95%"
    assert wp.scenario_words("") == "无设定"
    saved = pd.DataFrame({"name": ["农贸攻坚"], "text": ["site_type:农贸市场=0.9"], "created_by": ["王科长"],
                          "created_at": [datetime(2026, 12, 1, 9, 30)]})
    t = wp.saved_table(saved)
    assert t.iloc[0].tolist() == ["农贸攻坚", "农贸市场 达标率 90%", "王科长", "2026-12-01 09:30"]
    assert not any(":" in v or "=" in v for v in t["设定"])


# ------------------------------------------------------------------------------------------ Excel
def test_the_plan_downloads_as_a_workbook_with_one_row_per_action(model, tmp_path):
    user = whatif.parse_scenario("site_type:农贸市场=0.9")
    ap = wp.plan_from(model, user, target_total=round(model.baseline.total + 2.0, 2))
    table = wp.action_table(model, ap, date(2026, 12, 7), date(2027, 3, 15))
    note = wp.calendar_note(date(2026, 12, 7), date(2027, 3, 15))
    path = tmp_path / "plan.xlsx"
    path.write_bytes(wp.workbook(model, ap, table, note))
    sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
    assert list(sheets) == ["整改方案", "按责任单位", "说明"]
    rows = sheets["整改方案"]
    assert len(rows) == len(ap.plan.actions) and rows["序号"].tolist() == list(range(1, len(rows) + 1))
    assert rows["责任单位"].tolist() == table["责任单位"].tolist()
    assert rows["增分"].sum() == pytest.approx(ap.plan.actions["points"].sum(), abs=0.01)
    assert pd.to_datetime(rows["完成时限"]).dt.date.tolist() == table["完成时限"].tolist()
    dept = sheets["按责任单位"]
    assert dept["项数"].sum() == len(rows)
    about = dict(zip(sheets["说明"]["项目"], sheets["说明"]["内容"].astype(str)))
    assert about["方案起点"] == "农贸市场 达标率 90%"
    assert float(about["方案推演总分"]) >= round(model.baseline.total + 2.0, 2) - 0.005


def test_text_that_looks_like_a_formula_stays_text(model, tmp_path):
    ap = wp.plan_from(model, [], target_total=round(model.baseline.total + 0.5, 2))
    table = wp.action_table(model, ap, date(2026, 12, 7))
    table.loc[0, "责任单位"] = "=HYPERLINK(\"http://x\",\"y\")"
    path = tmp_path / "plan.xlsx"
    path.write_bytes(wp.workbook(model, ap, table, "说明"))
    import zipfile
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    assert pd.read_excel(path, engine="calamine")["责任单位"].iloc[0] == "=HYPERLINK(\"http://x\",\"y\")"


# ------------------------------------------------------------------------------------------ saving
def test_saving_under_an_existing_name_needs_replace(tmp_path):
    db = tmp_path / "s.duckdb"
    build_demo(db, scale=0.2, seed=3)
    con = duckdb.connect(str(db))
    try:
        wp.save(con, "农贸攻坚", "site_type:农贸市场=0.9", by="王")
        with pytest.raises(wp.ScenarioExists, match="已有名为“农贸攻坚”的方案（农贸市场 达标率 90%）"):
            wp.save(con, " 农贸攻坚 ", "street:北关街道=0.8", by="李")
        assert whatif.scenarios(con).set_index("name").at["农贸攻坚", "text"] == "site_type:农贸市场=0.9"
        wp.save(con, "农贸攻坚", "street:北关街道=0.8", by="李", replace=True)
        s = whatif.scenarios(con).set_index("name")
        assert s.at["农贸攻坚", "text"] == "street:北关街道=0.8" and s.at["农贸攻坚", "created_by"] == "李"
        with pytest.raises(whatif.WhatIfError, match="名字"):
            wp.save(con, "  ", "street:北关街道=0.8")
    finally:
        con.close()
