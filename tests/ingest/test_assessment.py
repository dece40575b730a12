"""Assessment results, survey rates and peer totals; a demo round exported and imported scores the same."""
from datetime import date

import duckdb
import pandas as pd
import pytest

from campaign.analysis import metrics
from campaign.ingest import import_file, undo_import
from tests.ingest.conftest import write_csv, write_xlsx

ROUND = "2026年第二轮模拟测评"
HEADER = ["测评轮次", "测评日期", "测评标准编码", "点位名称", "点位类型", "所属街道", "责任单位", "得分", "满分"]


def scores(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM assessment_scores ORDER BY standard_code, site").df()


@pytest.fixture()
def assessment_file(tmp_path):
    rows = [
        [ROUND, date(2026, 3, 20), "A1.3.1", "人民路", "主次干道", "北关街道", "区城市管理局", 1, 1],
        [ROUND, date(2026, 3, 20), "A1.3.1", "解放路", "主次干道", "东湖街道", "区城市管理局", 0.5, 1],
        [ROUND, date(2026, 3, 21), "A1.2.2", "东湖花园小区", "居民小区", "东湖街道", "区文明办", 0, 1],
        [ROUND, date(2026, 3, 21), "A1.1.1", None, None, None, None, "0.8", "1"],           # online: no site
        [ROUND, date(2026, 3, 21), "Z9.9.9", "人民路", "主次干道", "北关街道", "区城市管理局", 1, 1],  # not in framework
        [ROUND, date(2026, 3, 21), "C4.1.1", None, None, None, None, 2, 3],                 # a survey standard
        [ROUND, date(2026, 3, 21), "A1.3.2", None, None, "北关街道", "区城市管理局", 1, 1],       # field, no site
        [ROUND, date(2026, 3, 21), "A1.3.3", "滨江项目工地", "建筑工地", "北关街道", "区住建局", 2, 1],   # score > max
    ]
    return write_xlsx(tmp_path / "第二轮模拟测评实地考察得分.xlsx", HEADER, rows, title="临江区2026年第二轮模拟测评结果")


def test_assessment_results(con, assessment_file):
    res = import_file(con, assessment_file)
    assert res.kind == "assessment" and (res.accepted, res.quarantined) == (4, 4)
    reasons = dict(zip(res.quarantine["行号"].astype(int), res.quarantine["原因"]))
    assert reasons == {7: "测评标准编码「Z9.9.9」不在测评体系中", 8: "问卷调查类标准请按“问卷调查结果”导入",
                       9: "实地考察标准须填写点位", 10: "得分大于满分"}
    rounds = con.execute("SELECT * FROM assessment_rounds").fetchall()
    assert rounds == [(1, ROUND, "第三方", date(2026, 3, 20), 2026)]
    s = scores(con)
    online = s[s["standard_code"].eq("A1.1.1")].iloc[0]
    assert pd.isna(online["site"]) and online["department"] == "区委宣传部"  # the standard's lead department
    assert s.loc[s["site"].eq("解放路"), "street"].item() == "东湖街道"
    assert set(con.execute("SELECT street FROM streets").fetchall()) == {("北关街道",), ("东湖街道",)}
    rates = metrics.round_scores(con)
    a131 = 0.8 * (1 + 0.5) / 2  # A1.3.1 0.8 points, A1.2.2 0.5, A1.1.1 0.8 in the sample framework
    assert rates.loc[0, "base"] == pytest.approx(a131 + 0.5 * 0 + 0.8 * 0.8)


def test_a_corrected_result_updates_the_score_and_undo_restores_it(tmp_path, con, assessment_file):
    first = import_file(con, assessment_file)
    fixed = [[ROUND, date(2026, 3, 20), "A1.3.1", "解放路", "主次干道", "东湖街道", "区城市管理局", 1, 1]]
    res = import_file(con, write_xlsx(tmp_path / "复核.xlsx", HEADER, fixed))
    assert (res.accepted, res.updated) == (0, 1)
    assert scores(con).loc[lambda d: d["site"].eq("解放路"), "score"].item() == 1.0
    undo_import(con, res.import_id)
    assert scores(con).loc[lambda d: d["site"].eq("解放路"), "score"].item() == 0.5
    undo_import(con, first.import_id)
    assert con.execute("SELECT count(*) FROM assessment_rounds").fetchone()[0] == 0


def test_round_from_the_title_or_the_command(tmp_path, con):
    header = ["测评标准编码", "得分", "满分"]
    f = write_xlsx(tmp_path / "网上申报.xlsx", header, [["A1.1.1", 0.9, 1.0]], title="临江区2026年第三轮模拟测评网上申报得分")
    res = import_file(con, f)
    assert res.accepted == 1 and any("2026年第三轮模拟测评" in n for n in res.notes)
    g = write_xlsx(tmp_path / "无标题.xlsx", header, [["A1.1.2", 0.7, 1.0]])
    assert "缺少必需列：测评轮次" in import_file(con, g, kind="assessment").refused
    assert import_file(con, g, kind="assessment", round_name="2026年第三轮模拟测评").accepted == 1
    assert con.execute("SELECT count(*) FROM assessment_rounds").fetchone()[0] == 1


def test_pass_fail_columns_count_as_one_point(tmp_path, con):
    header = ["测评轮次", "测评标准编码", "点位", "所属街道", "是否达标"]
    rows = [[ROUND, "A1.3.1", "人民路", "北关街道", "达标"], [ROUND, "A1.3.1", "解放路", "北关街道", "不达标"],
            [ROUND, "A1.3.1", "建设路", "北关街道", "基本达标"]]
    res = import_file(con, write_xlsx(tmp_path / "t.xlsx", header, rows))
    assert res.accepted == 3
    assert sorted(scores(con)["score"].tolist()) == [0.0, 0.5, 1.0] and set(scores(con)["max_score"]) == {1.0}


def test_survey_rates_wide_with_percentages(tmp_path, con):
    header = ["测评轮次", "街道", "样本量", "知晓率", "支持率", "参与率", "满意度（%）"]
    rows = [[ROUND, "北关街道", 120, "85.3%", "92%", "66.1%", 80.5],
            [ROUND, "东湖街道", 100, "0.91", "95%", None, "88%"],
            [ROUND, "全区", 220, "88%", "93%", "70%", "84%"],
            [ROUND, "青山镇", 90, "81%", "90%", "120%", "85%"]]
    res = import_file(con, write_xlsx(tmp_path / "问卷.xlsx", header, rows, title="2026年第二轮模拟测评问卷调查结果"))
    assert res.kind == "survey" and res.accepted == 7 and res.quarantined == 1
    assert res.skipped_detail.get("全区汇总行") == 1
    assert res.quarantine.iloc[0]["列"] == "参与率" and res.quarantine.iloc[0]["原因"] == "比率应在 0 到 100% 之间"
    got = con.execute("SELECT street, indicator, rate, respondents FROM survey_rates ORDER BY 1, 2").fetchall()
    assert ("北关街道", "知晓率", pytest.approx(0.853), 120) in got and ("北关街道", "满意度", pytest.approx(0.805), 120) in got
    assert ("东湖街道", "知晓率", pytest.approx(0.91), 100) in got
    assert not any(r[0] == "东湖街道" and r[1] == "参与率" for r in got)  # an empty cell is no result, not zero


def test_survey_rates_long_in_gbk(tmp_path, con):
    header = ["轮次", "街道", "指标", "比率"]
    rows = [[ROUND, "北关街道", "群众满意度", "80%"], [ROUND, "北关街道", "知晓度", "0.75"], [ROUND, "北关街道", "好感度", "0.7"]]
    res = import_file(con, write_csv(tmp_path / "问卷.csv", header, rows, encoding="gbk"))
    assert (res.kind, res.accepted, res.quarantined) == ("survey", 2, 1)
    assert res.quarantine.iloc[0]["原因"] == "无法识别的调查指标"
    assert any("等权" in n for n in res.notes)
    assert con.execute("SELECT sum(respondents) FROM survey_rates").fetchone()[0] == 2


def test_peer_totals_skip_our_own_district(tmp_path, con):
    header = ["排名", "区县", "总分"]
    rows = [[1, "江北区", "91.2"], [2, "临江区", 90.1], [3, "城南区", 88.75], [4, "江北区", 91.2]]
    res = import_file(con, write_xlsx(tmp_path / "兄弟区县.xlsx", header, rows, title=f"全市{ROUND}各区县得分"))
    assert res.kind == "peers" and (res.accepted, res.duplicates) == (2, 1)
    assert res.skipped_detail == {"本区得分行": 1}
    assert sorted(con.execute("SELECT peer, total FROM peer_scores").fetchall()) == [("城南区", 88.75), ("江北区", 91.2)]


def test_a_demo_round_exported_and_imported_scores_the_same(demo_db, tmp_path, store):
    demo = duckdb.connect(str(demo_db))
    try:
        obs = demo.execute("""SELECT r.round_name AS 测评轮次, r.held_on AS 测评日期, s.standard_code AS 标准编码,
                                     s.site AS 点位名称, s.site_type AS 点位类型, s.street AS 所属街道,
                                     s.department AS 责任单位, s.score AS 得分, s.max_score AS 满分
                              FROM assessment_scores s JOIN assessment_rounds r USING (round_id)
                              WHERE round_id = 8 ORDER BY 3, 4""").df()
        survey = demo.execute("""SELECT r.round_name AS 测评轮次, street AS 街道, indicator AS 指标,
                                        printf('%.2f%%', rate * 100) AS 比率, respondents AS 样本量
                                 FROM survey_rates JOIN assessment_rounds r USING (round_id)
                                 WHERE round_id = 8""").df()
        peers = demo.execute("SELECT peer AS 区县, total AS 总分 FROM peer_scores WHERE round_id = 8").df()
        expected = metrics.round_scores(demo).set_index("round_id").loc[8]
    finally:
        demo.close()
    files = [
        write_xlsx(tmp_path / "测评.xlsx", obs.columns.tolist(), obs.astype(object).where(obs.notna(), None).values.tolist()),
        write_csv(tmp_path / "问卷.csv", survey.columns.tolist(), survey.values.tolist(), encoding="gbk"),
        write_xlsx(tmp_path / "兄弟区县.xlsx", peers.columns.tolist(), peers.values.tolist(),
                   title=f"{expected.round_name}各区县得分"),
    ]
    con = duckdb.connect(str(store))
    try:
        results = [import_file(con, f) for f in files]
        assert [r.quarantined for r in results] == [0, 0, 0] and [r.kind for r in results] == [
            "assessment", "survey", "peers"]
        got = metrics.round_scores(con).set_index("round_name").loc[expected.round_name]
    finally:
        con.close()
    # the rounded percentages of the survey move the base by well under a hundredth of a point
    assert got.base == pytest.approx(expected.base, abs=0.01)
    assert got.ranked == expected.ranked
