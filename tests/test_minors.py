"""The minors' framework (未成年人思想道德建设) in the framework file: its share of the total and its gate, the
methods declared in the file, and the round total, the what-if and the briefing following them — on a small
store whose numbers are counted by hand."""
import copy
import datetime as dt
import json

import duckdb
import pytest
import yaml
from ranking_helpers import W52, _problems

from campaign import analysis, whatif
from campaign.analysis import metrics
from campaign.config import FRAMEWORK_FILE
from campaign.model.framework import FrameworkError, parse_framework
from campaign.store import init_store

RAW = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
MINORS = {
    "name": "未成年人思想道德建设测评体系", "share": 0.2, "gate": 85,
    "sections": [{"code": "M", "name": "未成年人思想道德建设", "items": [{
        "code": "M1", "name": "学校德育", "contents": [{"code": "M1.1", "name": "德育工作", "standards": [
            {"code": "M1.1.1", "name": "德育工作有计划、有记录", "method": "网上申报", "points": 60,
             "methods": ["网上申报", "问卷调查"], "department": "区教育局"},
            {"code": "M1.1.2", "name": "学校周边无违规经营", "method": "实地考察", "points": 40,
             "site_types": ["学校周边"], "categories": ["占道经营"], "department": "区教育局"},
        ]}]}]}],
}


def with_minors(**change) -> dict:
    raw = copy.deepcopy(RAW)
    raw["minors"] = copy.deepcopy(MINORS) | change
    return raw


def build(path, minors_rates: tuple[float, float]):
    """Every city standard at 90 %; the minors' two standards at the given rates (60 and 40 points)."""
    fw = parse_framework(with_minors(), "framework.yaml")
    init_store(path, fw)
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO store.streets VALUES ('甲街道', '街道', 10000, 1)")
        con.execute("INSERT INTO store.departments VALUES ('区城市管理局', '政府部门', 1)")
        con.executemany(
            "INSERT INTO store.problems (problem_id, found_on, street, department, site_id, site, site_type, "
            "category, card, deadline, status, closed_on, description, deduction, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '问题', 0.5, '创城办督查')", _problems("甲街道", W52, 4, 3, 0))
        con.execute("INSERT INTO store.assessment_rounds VALUES (1, '2026年第四轮模拟测评', '第三方', ?, 2026)",
                    [dt.date(2026, 11, 13)])
        std = fw.standards
        city = std[std["framework"].eq("city") & std["method"].ne("问卷调查")]
        con.executemany("INSERT INTO store.assessment_scores (round_id, standard_code, street, department, score, "
                        "max_score) VALUES (1, ?, '甲街道', '区城市管理局', 0.9, 1.0)", [[c] for c in city["code"]])
        con.executemany("INSERT INTO store.survey_rates VALUES (1, '甲街道', ?, 0.9, 100, 0)",
                        [[i] for i in ("知晓率", "支持率", "参与率", "满意度")])
        con.executemany("INSERT INTO store.assessment_scores (round_id, standard_code, street, department, score, "
                        "max_score) VALUES (1, ?, '甲街道', '区教育局', ?, 1.0)",
                        [["M1.1.1", minors_rates[0]], ["M1.1.2", minors_rates[1]]])
    finally:
        con.close()
    return path


@pytest.fixture()
def below(tmp_path):
    return build(tmp_path / "below.duckdb", (0.8, 0.5))   # 48 + 20 = 68 < 85


@pytest.fixture()
def above(tmp_path):
    return build(tmp_path / "above.duckdb", (1.0, 0.75))  # 60 + 30 = 90 ≥ 85


# ----------------------------------------------------------------------------------------------------
def test_the_file_holds_both_frameworks_with_the_share_the_gate_and_the_methods():
    fw = parse_framework(with_minors(), "framework.yaml")
    assert (fw.minors.share, fw.minors.gate) == (0.2, 85.0)
    assert fw.max_base == pytest.approx(100) and fw.standards["framework"].value_counts()["minors"] == 2
    m = fw.standards.set_index("code")
    assert m.at["M1.1.1", "methods"] == ["网上申报", "问卷调查"] and m.at["M1.1.2", "methods"] == ["实地考察"]
    assert m.at["M1.1.2", "method_kind"] == "field"
    # an office adds a method of its own and says which kind it is
    raw = with_minors()
    raw["methods"] = {"网上申报": "material", "实地考察": "field", "问卷调查": "survey", "电话调查": "survey"}
    raw["minors"]["sections"][0]["items"][0]["contents"][0]["standards"][0].update(
        method="电话调查", indicator="满意度", methods=["电话调查"])
    raw["minors"]["method_shares"] = {"电话调查": 60, "实地考察": 40}
    fw = parse_framework(raw, "framework.yaml")
    assert fw.methods["电话调查"] == "survey"
    assert fw.standards.set_index("code").at["M1.1.1", "method_kind"] == "survey"


@pytest.mark.parametrize("change, message", [
    (dict(share=1.5), "minors 的 share（占总成绩比重）应在 0 到 1 之间"),
    (dict(gate="八十五"), "minors 的 gate（申报线）应在 0 到 100 之间"),
    (dict(sections=[]), "minors（未成年人测评体系）中没有任何测评标准"),
    (dict(method_shares={"网上申报": 50, "实地考察": 50}), "未成年人测评体系 分值不平衡：网上申报类标准分值合计 60.00，应为 50"),
])
def test_a_wrong_minors_block_is_named_in_chinese(change, message):
    with pytest.raises(FrameworkError) as e:
        parse_framework(with_minors(**change), "framework.yaml")
    assert message in str(e.value)


def test_wrong_methods_are_named_in_chinese():
    raw = with_minors()
    raw["methods"] = {"网上申报": "material", "实地考察": "field", "问卷调查": "poll"}
    with pytest.raises(FrameworkError, match="测评方式“问卷调查”的类型“poll”未知"):
        parse_framework(raw, "framework.yaml")
    raw = with_minors()
    raw["minors"]["sections"][0]["items"][0]["contents"][0]["standards"][1]["points"] = 30
    with pytest.raises(FrameworkError, match="未成年人测评体系分值合计 90.00，应为 100"):
        parse_framework(raw, "framework.yaml")
    raw = with_minors()
    raw["minors"]["sections"][0]["items"][0]["contents"][0]["standards"][0]["methods"] = ["网上申报", "媒体调查"]
    with pytest.raises(FrameworkError, match="未成年人测评体系 测评标准 M1.1.1：methods 中的测评方式“媒体调查”未知"):
        parse_framework(raw, "framework.yaml")


def test_the_view_says_which_framework_and_methods(below):
    con = duckdb.connect(str(below))
    try:
        rows = con.execute("SELECT framework, methods, method_kind FROM standards WHERE code LIKE 'M1.1.%' "
                           "ORDER BY code").fetchall()
        n_city = con.execute("SELECT count(*) FROM standards WHERE framework = 'city'").fetchone()[0]
        assert len(metrics.standards(con)) == n_city   # the city's score reads the city framework only
    finally:
        con.close()
    assert rows == [("minors", ["网上申报", "问卷调查"], "material"), ("minors", ["实地考察"], "field")]


# ----------------------------------------------------------------------------------------------------
def test_below_the_gate_the_city_would_not_qualify(below):
    con = duckdb.connect(str(below))
    try:
        r = metrics.round_scores(con).iloc[0]
        model = whatif.build_model(con)
    finally:
        con.close()
    assert r.base == pytest.approx(90.0)                       # every city standard at 90 %
    assert r.minors_total == pytest.approx(0.8 * 60 + 0.5 * 40)  # 68
    assert not r.minors_gate
    assert r.total == pytest.approx(0.8 * 90 + 0.2 * 68)        # 85.6
    assert analysis.minors_text(r.minors_total, r.minors_line, r.minors_share, r.minors_gate) == \
        "未成年人测评 68.0 分，低于 85 分申报线，按规定不能申报"
    assert model.baseline.total == pytest.approx(85.6) and model.baseline.score.minors_gate is False


def test_above_the_gate_the_total_includes_its_share(above):
    con = duckdb.connect(str(above))
    try:
        r = metrics.round_scores(con).iloc[0]
        model = whatif.build_model(con)
    finally:
        con.close()
    assert r.minors_total == pytest.approx(90.0) and bool(r.minors_gate)
    assert r.total == pytest.approx(0.8 * 90 + 0.2 * 90)        # 90
    # a what-if on the city framework moves the total by 80 % of the city points it buys
    p = whatif.project(model, [whatif.parse_setting("section:A=1.0")])
    gained = float(p.rates["earned"].sum() - model.baseline.rates["earned"].sum())
    assert gained > 0 and p.total - model.baseline.total == pytest.approx(0.8 * gained)
    assert float(p.effects["points"].iat[0]) == pytest.approx(0.8 * gained)
    wf = whatif.waterfall(model, p)   # the steps add up to the projected total
    assert wf["value"].iat[0] + wf["value"].iloc[1:-1].sum() == pytest.approx(p.total)


def test_the_command_line_what_if_reports_the_gate(below, above, capsys):
    from campaign.cli import main

    assert main(["whatif", "--db", str(below), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["minors_total"] == pytest.approx(68.0) and out["minors_gate"] is False
    assert main(["whatif", "--db", str(above), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["minors_total"] == pytest.approx(90.0) and out["minors_gate"] is True
    assert out["baseline_total"] == pytest.approx(90.0)
    # the minors' framework moves too: at 100 % it is 100, and the total 0.8 × 90 + 0.2 × 100 = 92
    assert main(["whatif", "--db", str(below), "--json", "--set", "section:M=1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["minors_total"] == pytest.approx(100.0) and out["minors_gate"] is True
    assert out["projected_total"] == pytest.approx(92.0) and out["baseline_total"] == pytest.approx(0.8 * 90 + 0.2 * 68)
    sections = {s["section"]: s for s in out["sections"]}
    assert sections["未成年人思想道德建设"]["framework"] == "minors"
    assert sections["未成年人思想道德建设"]["projected"] == pytest.approx(100.0)
    assert {s["framework"] for s in out["sections"]} == {"city", "minors"}


def test_the_briefing_says_the_city_would_not_qualify(below, above):
    from campaign import briefing
    from campaign.outputs import slides

    for db, text in ((below, "未成年人测评 68.0 分，低于 85 分申报线，按规定不能申报。"),
                     (above, "未成年人测评 90.0 分，达到 85 分申报线，按 20% 计入总分。")):
        con = duckdb.connect(str(db))
        try:
            b = briefing.build(con, "latest")
        finally:
            con.close()
        assert b.words["minors_text"] == text
        assert text in next(s for s in b.sections if s.key == "score").paragraphs[0]
        first = slides.points(b).points[0]  # the meeting's and the deck's first point
        assert first.note == text
        assert first.title.endswith("；未成年人测评低于申报线，不能申报") == (db == below)


def test_without_a_minors_framework_nothing_changes(tmp_path):
    from campaign.demo import build_demo
    raw = copy.deepcopy(RAW)
    raw.pop("minors")
    path = build_demo(tmp_path / "city-only.duckdb", scale=0.1, fw=parse_framework(raw, "framework.yaml")).path
    con = duckdb.connect(path, read_only=True)
    try:
        r = metrics.round_scores(con)
    finally:
        con.close()
    assert r["minors_total"].isna().all() and r["minors_line"].isna().all()
    assert (r["total"] - (r["base"] + r["bonus"] - r["deduction"])).abs().max() < 1e-9


def test_the_demo_scores_the_minors_framework_by_its_share(demo_con):
    """The demo assesses the minors' framework every round: under the line at first, above it in the latest."""
    r = metrics.round_scores(demo_con)
    assert r["minors_total"].notna().all() and (r["minors_line"] == 85).all()
    assert not r["minors_gate"].iloc[0] and r["minors_gate"].iloc[-1]
    core = 0.8 * r["base"] + 0.2 * r["minors_total"]
    assert (r["total"] - (core + r["bonus"] - r["deduction"])).abs().max() < 1e-9
