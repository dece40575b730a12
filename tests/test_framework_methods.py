"""Methods declared in the framework file, not in code: a framework that calls its material method 材料审核 and adds
电话调查 (a survey kind) and 主管部门意见 (an opinion kind) is scored, projected, planned, forecast and imported
by each method's kind, and every text a user reads names the method as the file does — on a small store whose
numbers are counted by hand.

The framework (100 points):
    M1 材料审核 30 (区委宣传部)     F1 实地考察 40 (农贸市场, 区商务局)    P1 主管部门意见 10 (区文明办)
    S1 问卷调查 10 (满意度)          T1 电话调查 5 (知晓率)                   T2 电话调查 5 (满意度)
The round:
    M1 24 / 30 = 80 %  → 24        F1 甲 1/1, 乙 0/1 = 50 % → 20       P1 6 / 10 = 60 % → 6
    满意度 甲 90 %, 乙 70 % (100 respondents each) = 80 %: S1 8, T2 4;  知晓率 甲 60 %, 乙 80 % = 70 %: T1 3.5
    total 24 + 20 + 6 + 8 + 4 + 3.5 = 65.5
"""
import datetime as dt
import json

import duckdb
import pytest

from campaign import forecast, whatif
from campaign.analysis import metrics
from campaign.ingest import import_file
from campaign.model import scoring
from campaign.model.framework import parse_framework
from campaign.store import init_store
from campaign.whatif import plan as wplan
from tests.ingest.conftest import write_xlsx

METHODS = {"材料审核": "material", "实地考察": "field", "问卷调查": "survey", "电话调查": "survey",
           "主管部门意见": "opinion"}
RAW = {
    "name": "测评体系（方式自定）", "version": "测试", "methods": METHODS,
    "method_shares": {"材料审核": 30, "实地考察": 40, "问卷调查": 10, "电话调查": 10, "主管部门意见": 10},
    "site_types": ["农贸市场"], "categories": ["占道经营"],
    "sections": [{"code": "A", "name": "城市文明", "items": [
        {"code": "A1", "name": "制度建设", "contents": [{"code": "A1.1", "name": "工作机制", "standards": [
            {"code": "M1", "name": "创建工作有方案、有台账", "method": "材料审核", "points": 30,
             "department": "区委宣传部"},
            {"code": "P1", "name": "主管部门对创建工作的评价", "method": "主管部门意见", "points": 10,
             "department": "区文明办"}]}]},
        {"code": "A2", "name": "市场秩序", "contents": [{"code": "A2.1", "name": "农贸市场", "standards": [
            {"code": "F1", "name": "农贸市场划行归市、无占道经营", "method": "实地考察", "points": 40,
             "site_types": ["农贸市场"], "categories": ["占道经营"], "department": "区商务局"}]}]},
        {"code": "A3", "name": "群众评价", "contents": [{"code": "A3.1", "name": "满意度与知晓率", "standards": [
            {"code": "S1", "name": "群众对创建工作满意", "method": "问卷调查", "points": 10, "indicator": "满意度",
             "department": "区委宣传部"},
            {"code": "T1", "name": "群众知晓创建工作", "method": "电话调查", "points": 5, "indicator": "知晓率",
             "department": "区委宣传部"},
            {"code": "T2", "name": "群众电话回访满意", "method": "电话调查", "points": 5, "indicator": "满意度",
             "department": "区委宣传部"}]}]},
    ]}],
}
BASE = 65.5


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "methods.duckdb"
    init_store(path, parse_framework(RAW, "framework.yaml"))
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO store.streets VALUES ('甲街道', '街道', 10000, 1), ('乙街道', '街道', 8000, 2)")
        con.execute("INSERT INTO store.departments VALUES ('区商务局', '政府部门', 1), ('区委宣传部', '党委部门', 2), "
                    "('区文明办', '党委部门', 3)")
        con.execute("INSERT INTO store.sites (site_id, site, site_type, street, department) VALUES "
                    "(1, '甲市场', '农贸市场', '甲街道', '区商务局'), (2, '乙市场', '农贸市场', '乙街道', '区商务局')")
        con.execute("INSERT INTO store.assessment_rounds VALUES (1, '2026年第一轮模拟测评', '第三方', ?, 2026)",
                    [dt.date(2026, 10, 16)])
        con.executemany(
            "INSERT INTO store.assessment_scores (round_id, standard_code, site_id, site, site_type, street, "
            "department, score, max_score) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
            [["M1", None, None, None, None, "区委宣传部", 24.0, 30.0],
             ["P1", None, None, None, None, "区文明办", 6.0, 10.0],
             ["F1", 1, "甲市场", "农贸市场", "甲街道", "区商务局", 1.0, 1.0],
             ["F1", 2, "乙市场", "农贸市场", "乙街道", "区商务局", 0.0, 1.0]])
        con.executemany("INSERT INTO store.survey_rates VALUES (1, ?, ?, ?, 100, 0)",
                        [["甲街道", "满意度", 0.9], ["乙街道", "满意度", 0.7],
                         ["甲街道", "知晓率", 0.6], ["乙街道", "知晓率", 0.8]])
    finally:
        con.close()
    return path


@pytest.fixture()
def model(db):
    con = duckdb.connect(str(db))
    try:
        yield whatif.build_model(con)
    finally:
        con.close()


# ----------------------------------------------------------------------------------------------------
def test_the_round_total_scores_every_declared_method(db):
    con = duckdb.connect(str(db))
    try:
        kinds = dict(con.execute("SELECT code, method_kind FROM standards").fetchall())
        r = metrics.round_scores(con).iloc[0]
        std = metrics.standards(con)
        obs = con.execute("SELECT * FROM assessment_scores").df()
        sv = con.execute("SELECT street, indicator, rate, respondents FROM survey_rates").df()
    finally:
        con.close()
    assert kinds == {"M1": "material", "P1": "opinion", "F1": "field", "S1": "survey", "T1": "survey",
                     "T2": "survey"}
    assert r["total"] == pytest.approx(BASE)
    rates = scoring.standard_rates(std, obs, sv).set_index("code")["rate"]
    # every survey-kind standard takes its indicator's rate: 电话调查 T2 shares 满意度 with 问卷调查 S1
    assert rates.to_dict() == pytest.approx({"M1": 0.8, "P1": 0.6, "F1": 0.5, "S1": 0.8, "T1": 0.7, "T2": 0.8})
    # lost points of the survey kinds go to the streets, as 问卷调查's always did: S1 2 + T2 1 + T1 1.5
    lost = scoring.attribute_lost(scoring.standard_rates(std, obs, sv), obs, sv)
    assert lost.loc[lost["standard_code"].isin(["S1", "T1", "T2"]), "lost"].sum() == pytest.approx(4.5)
    assert lost["lost"].sum() == pytest.approx(100 - BASE)


def test_raising_a_material_or_an_opinion_standard_moves_the_total(model):
    assert model.baseline.total == pytest.approx(BASE)
    assert whatif.project_text(model, "M1=1").total == pytest.approx(BASE + 6)        # 30 × (1 − 0.8)
    assert whatif.project_text(model, "P1=1").total == pytest.approx(BASE + 4)        # 10 × (1 − 0.6)
    assert whatif.project_text(model, "M1=1;P1=1").total == pytest.approx(BASE + 10)
    assert whatif.project_text(model, "department:区文明办=1").total == pytest.approx(BASE + 4)
    # a 电话调查 standard moves its indicator: 满意度 at 100 % lifts S1 by 2 and T2 by 1
    assert whatif.project_text(model, "T2=1").total == pytest.approx(BASE + 3)
    assert whatif.project_text(model, "indicator:知晓率=1").total == pytest.approx(BASE + 1.5)


def test_the_levers_follow_the_kind_and_carry_the_method_name(model):
    acts = whatif.actions(model).set_index("key")
    assert acts.loc["M1", "method"] == "材料审核" and acts.loc["M1", "lost"] == pytest.approx(6)
    assert acts.loc["P1", "method"] == "主管部门意见" and acts.loc["P1", "lost"] == pytest.approx(4)
    assert acts.loc["P1", "department"] == "区文明办"
    # field: standard × street × department; survey kinds: indicator × street, named after their methods
    assert acts.loc["F1,street:乙街道,department:区商务局", "method"] == "实地考察"
    assert acts.loc["indicator:满意度,street:乙街道", "method"] == "问卷调查、电话调查"
    assert acts.loc["indicator:知晓率,street:甲街道", "method"] == "电话调查"
    # 满意度 乙: 15 points × ½ of the respondents × (1 − 0.7) = 2.25; 电话调查 is capped as 问卷调查 (95 %)
    assert acts.loc["indicator:满意度,street:乙街道", "lost"] == pytest.approx(2.25)
    assert acts.loc["indicator:知晓率,street:甲街道", "cap"] == pytest.approx((0.95 - 0.6) / 0.4)
    eff = whatif.load_effort()
    assert eff.rate_cap("主管部门意见", "opinion") == 1.0 and eff.rate_cap("问卷调查、电话调查", "survey") == 0.95


def test_the_effort_file_caps_a_method_by_name_or_by_kind(model, tmp_path):
    f = tmp_path / "effort.yaml"
    f.write_text("max_rate:\n  opinion: 0.9\n  电话调查: 0.85\n  材料审核: 0.95\n", encoding="utf-8")
    acts = whatif.actions(model, whatif.load_effort(f)).set_index("key")
    assert acts.loc["P1", "cap"] == pytest.approx((0.9 - 0.6) / 0.4)           # by kind
    assert acts.loc["M1", "cap"] == pytest.approx((0.95 - 0.8) / 0.2)          # by name
    assert acts.loc["indicator:知晓率,street:甲街道", "cap"] == pytest.approx((0.85 - 0.6) / 0.4)
    # 满意度 is scored by 问卷调查 (95 %, the file's default) and 电话调查 (85 %): the lower holds, so 甲 (at 90 %)
    # has nothing left to gain and 乙 (at 70 %) may close half its gap
    assert "indicator:满意度,street:甲街道" not in acts.index
    assert acts.loc["indicator:满意度,street:乙街道", "cap"] == pytest.approx((0.85 - 0.7) / 0.3)


def test_the_plan_names_the_method_in_its_actions(model):
    # 95 needs 29.5 more: F1 乙 (20 points, 3 days), then M1 (6) and P1 (4) at 30 days a point beat the survey's 60
    ap = wplan.plan_from(model, [], target_total=95)
    acts = ap.plan.actions.set_index("standard_code")
    assert ap.plan.status == "optimal" and set(acts.index) == {"F1", "M1", "P1"}
    assert acts.loc["P1", "method"] == "主管部门意见" and acts.loc["M1", "method"] == "材料审核"
    assert acts["points"].sum() == pytest.approx(29.5, abs=1e-3) and ap.plan.projected.total >= 95 - 1e-9
    table = wplan.action_table(model, ap, dt.date(2026, 11, 2)).set_index("整改项")
    p1 = table.loc[[k for k in table.index if k.startswith("P1")][0]]
    assert (p1["测评方式"], p1["点位类型"], p1["街道"], p1["责任单位"]) == ("主管部门意见", "主管部门意见", "区级", "区文明办")
    f1 = table.loc[[k for k in table.index if k.startswith("F1")][0]]
    assert (f1["测评方式"], f1["点位类型"], f1["街道"]) == ("实地考察", "农贸市场", "乙街道")
    assert "“材料审核标准”、“主管部门意见标准”" in whatif.help_text(model)
    assert "网上申报" not in whatif.help_text(model)


def test_whatif_json_includes_the_opinion_standards(db, capsys):
    assert whatif.run_cli(db, None, ["P1=1"], [], 95, None, None, None, True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["baseline_total"] == pytest.approx(BASE) and out["projected_total"] == pytest.approx(BASE + 4)
    assert out["settings"] == [dict(key="P1", fix=False, units=1, before=0.6, target=1.0, points=4.0)]
    assert out["max_base"] == 100.0
    # starting from P1 at 100 %, the plan still needs 25.5: F1 乙 and M1 (and P1 is no longer an action)
    plan = {a["standard_code"]: a for a in out["plan"]}
    assert set(plan) == {"F1", "M1"} and plan["M1"]["method"] == "材料审核"
    assert out["plan_projected_total"] >= 95 - 1e-9
    # 98.5 needs the survey too (at most 95 % there: 100 − 20 × 5 % = 99): 知晓率 is 电话调查's alone
    assert whatif.run_cli(db, None, [], [], 98.5, None, None, None, True) == 0
    out = json.loads(capsys.readouterr().out)
    methods = {(a["indicator"], a["street"]): a["method"] for a in out["plan"] if a["indicator"]}
    assert methods[("知晓率", "甲街道")] == "电话调查" and methods[("满意度", "乙街道")] == "问卷调查、电话调查"
    assert {a["method"] for a in out["plan"]} >= {"材料审核", "主管部门意见", "实地考察"}
    assert out["plan_projected_total"] == pytest.approx(98.5, abs=1e-3)
    assert whatif.run_cli(db, None, ["P1=0.8", "M1=0.9"], [], None, None, None, None, True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["projected_total"] == pytest.approx(BASE + 2 + 3)
    assert [s["key"] for s in out["settings"]] == ["P1", "M1"]


def test_the_forecast_simulates_every_declared_method(db):
    con = duckdb.connect(str(db))
    try:
        m = forecast.build(con)
        fc = forecast.forecast(con, target_score=70, target_rank=None, runs=400, seed=7, model=m)
        up = forecast.forecast(con, target_score=70, target_rank=None, runs=400, seed=7, model=m,
                               rates_override="P1=1")
    finally:
        con.close()
    assert set(m.online["code"]) == {"M1", "P1"} and list(m.field["code"]) == ["F1"]
    assert dict(zip(m.indicators["indicator"], m.indicators["points"])) == {"满意度": 15.0, "知晓率": 5.0}
    assert m.max_total == pytest.approx(100)   # before, 材料审核 and 主管部门意见 could never score
    rates = {c: 1.0 for c in m.standards["code"]}
    assert forecast.total_of(m, m.standards["code"].map(rates).to_numpy(float)) == pytest.approx(100)
    assert (up.totals >= fc.totals - 1e-9).all() and up.mean > fc.mean
    assert "材料审核、主管部门意见" in forecast.help_text(fc) and "问卷调查、电话调查" in forecast.help_text(fc)


def test_the_assessment_import_takes_an_opinion_score_and_names_the_survey_method(db, tmp_path):
    header = ["测评轮次", "测评日期", "测评标准编码", "点位名称", "点位类型", "所属街道", "责任单位", "得分", "满分"]
    rnd = "2026年第二轮模拟测评"
    rows = [
        [rnd, dt.date(2026, 11, 20), "P1", None, None, None, None, 9, 10],                        # opinion: no site
        [rnd, dt.date(2026, 11, 20), "M1", None, None, None, None, 27, 30],                       # material
        [rnd, dt.date(2026, 11, 20), "F1", "甲市场", "农贸市场", "甲街道", "区商务局", 1, 1],
        [rnd, dt.date(2026, 11, 20), "T1", None, None, None, None, 4, 5],                         # a survey kind
        [rnd, dt.date(2026, 11, 20), "F1", None, None, "乙街道", "区商务局", 1, 1],               # field, no site
    ]
    f = write_xlsx(tmp_path / "第二轮模拟测评得分.xlsx", header, rows, title="2026年第二轮模拟测评结果")
    con = duckdb.connect(str(db))
    try:
        res = import_file(con, f)
        got = con.execute("SELECT standard_code, site, department, score, max_score FROM assessment_scores "
                          "WHERE round_id = 2 ORDER BY standard_code").fetchall()
    finally:
        con.close()
    assert res.kind == "assessment" and (res.accepted, res.quarantined) == (3, 2)
    reasons = dict(zip(res.quarantine["行号"].astype(int), res.quarantine["原因"]))
    assert reasons == {6: "电话调查类标准请按“问卷调查结果”导入", 7: "实地考察标准须填写点位"}
    assert got == [("F1", "甲市场", "区商务局", 1.0, 1.0), ("M1", None, "区委宣传部", 27.0, 30.0),
                   ("P1", None, "区文明办", 9.0, 10.0)]


def test_a_field_method_of_another_name_is_still_field(tmp_path):
    """An office that calls its field inspection 实地暗访: the pages and the plan say so, and it keeps its sites."""
    raw = json.loads(json.dumps(RAW, ensure_ascii=False).replace("实地考察", "实地暗访"))
    path = tmp_path / "renamed.duckdb"
    init_store(path, parse_framework(raw, "framework.yaml"))
    con = duckdb.connect(str(path))
    try:
        assert metrics.method_name(con) == "实地暗访"
        assert metrics.method_name(con, kind="opinion", default="") == "主管部门意见"
        kinds = dict(con.execute("SELECT method, method_kind FROM standards").fetchall())
    finally:
        con.close()
    assert kinds["实地暗访"] == "field"
    std = parse_framework(raw, "framework.yaml").standards
    assert scoring.method_kinds(std.drop(columns="method_kind")).tolist() == [
        "material", "material", "material", "survey", "material", "material"]  # without kinds: the classic three
    assert scoring.method_names(std, "field") == "实地暗访"
