"""The office's ranking rules (data/ranking_index.yaml): threshold lists with a neutral band and units without
problems left out, talks, separately ranked unit kinds, points entered by the office, the published ranking and
the briefing following the rule, and changes within a unit's own noise — on small stores counted by hand."""
import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from ranking_helpers import FIX_ONLY, HAND, NOISE_PLAN, STREETS, W52, build_store, threshold_rules

from campaign import analysis
from campaign.analysis import ranking_entries, ranking_rules
from campaign.outputs import publish

D = dt.date


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("rules") / "small.duckdb")


@pytest.fixture()
def rules_file(tmp_path, monkeypatch):
    f = threshold_rules(tmp_path / "ranking_index.yaml")
    monkeypatch.setattr(analysis, "RANKING_FILE", f)
    return f


@pytest.fixture()
def con(small_db, tmp_path):
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(small_db, db)
    c = duckdb.connect(str(db))
    yield c
    c.close()


def street_ranking(con, rules, week=W52):
    return analysis.ranking(con, "street", rules.spec(), *week, fair=rules.fair.spec())


# ----------------------------------------------------------------------------------------------------
# the file
def test_the_shipped_file_keeps_the_composite_index_and_flags_by_place():
    idx = analysis.load_index()
    for unit in ("street", "department"):
        lr = idx[unit].lists
        assert (lr.rule, lr.red, lr.low, lr.red_name, lr.low_name) == ("rank", 3, 3, "流动红旗", "流动黄旗")
    assert idx["site_unit"].lists.by_threshold and idx["site_unit"].lists.red == pytest.approx(0.9)
    assert idx["street"].fair == ranking_rules.FairRule(0.9, 1000, 2026)


def test_a_threshold_rule_reads_percent_in_either_spelling(tmp_path):
    idx = analysis.load_index(threshold_rules(tmp_path / "r.yaml"))
    lr = idx["street"].lists
    assert (lr.rule, lr.on, lr.red, lr.low) == ("threshold", "fix_rate", pytest.approx(0.9), pytest.approx(0.85))
    assert lr.describe() == "整改率≥90%列入红榜，<85%列入黑榜，85%至90%之间不列入；本期无督查问题的单位不列入"
    raw = yaml.safe_load((tmp_path / "r.yaml").read_text(encoding="utf-8"))
    raw["street"]["lists"].update(red=90, low=0.85)
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    lr2 = analysis.load_index(tmp_path / "r.yaml")["street"].lists
    assert (lr2.red, lr2.low) == (pytest.approx(0.9), pytest.approx(0.85))


@pytest.mark.parametrize("change, message", [
    (lambda r: r["street"]["lists"].update(rule="by_rate"), "street（街道（镇）） 的 lists（红黄榜规则）：rule 只能是"),
    (lambda r: r["street"]["lists"].update(low="95%"), "low（95%）不能高于 red（90%）"),
    (lambda r: r["street"]["lists"].update(red="九成"), "red “九成” 不是数字"),
    (lambda r: r["street"]["lists"].update(on="speed"), "on “speed” 不可用"),
    (lambda r: r["street"]["lists"].update(red="120%"), "应在 0% 到 100% 之间"),
    (lambda r: r["street"]["lists"].pop("low"), "按达标线分榜时须写 low"),
    (lambda r: r["street"].update(talks={"bottom": -1}), "talks（约谈规则）：bottom 应为 0 或正整数"),
    (lambda r: r.update(fair={"level": 2}), "fair（正常波动判断）：level 应在 0.5 到 1 之间"),
    (lambda r: r.update(towns={}), "不认识的部分 towns"),
    (lambda r: r["department"]["parts"].append({"name": "点位", "measure": "site_pass_rate", "weight": 5,
                                                 "better": "higher", "method": "rate"}),
     "只能用于街道和包保单位排名"),
    (lambda r: r["street"]["parts"].append({"name": "工作台账", "measure": "entered", "weight": "三十"}),
     "weight “三十” 不是数字"),
])
def test_a_wrong_rule_is_named_in_chinese_with_its_place(tmp_path, change, message):
    f = threshold_rules(tmp_path / "idx.yaml")
    raw = yaml.safe_load(f.read_text(encoding="utf-8"))
    change(raw)
    f.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(analysis.IndexFileError) as e:
        analysis.load_index(f)
    assert "idx.yaml" in str(e.value) and message in str(e.value)


# ----------------------------------------------------------------------------------------------------
# threshold lists and talks, counted by hand
def test_threshold_lists_equal_a_hand_count(con, rules_file):
    rules = analysis.load_index()["street"]
    r = street_ranking(con, rules)
    t = r.table.set_index("unit")
    for s, ((n, fixed), _) in STREETS.items():
        assert t.at[s, "problems"] == n
        assert (np.isnan(t.at[s, "fix_rate"]) if n == 0 else t.at[s, "fix_rate"] == pytest.approx(fixed / n))
    out = analysis.outcome(r, rules)
    assert out.lists.red["unit"].tolist() == HAND["red"]          # best first
    assert out.lists.low["unit"].tolist() == HAND["black"]        # worst first
    assert out.lists.left_out == HAND["left_out"]
    assert dict(zip(out.talks["unit"], out.talks["reason"])) == HAND["talks"]
    flags = dict(zip(r.table["unit"], ranking_rules.flags(r.table, out.lists)))
    assert flags["丁街道"] == flags["戊街道"] == ""                 # the neutral band
    assert flags["己街道"] == "none"


def test_rank_lists_stay_the_best_and_worst_three(con):
    rules = analysis.load_index()["street"]
    r = street_ranking(con, rules)
    out = analysis.outcome(r, rules)
    t = r.table.sort_values(["rank", "unit"])
    assert out.lists.red["unit"].tolist() == t["unit"].head(3).tolist()
    assert out.lists.low["unit"].tolist() == t["unit"].tail(3).iloc[::-1].tolist()


def test_lists_on_the_index_follow_points_not_places(con, tmp_path):
    parts = [{"name": "整改率", "measure": "fix_rate", "weight": 100, "better": "higher", "method": "rate"}]
    f = threshold_rules(tmp_path / "r.yaml", street_parts=parts)
    raw = yaml.safe_load(f.read_text(encoding="utf-8"))
    raw["street"]["lists"].update(on="index", red=90, low=85)
    f.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    rules = analysis.load_index(f)["street"]
    out = analysis.outcome(street_ranking(con, rules), rules)
    assert out.lists.red["unit"].tolist() == HAND["red"]
    assert out.lists.low["unit"].tolist() == HAND["black"]
    assert out.lists.left_out == HAND["left_out"]


def test_the_published_ranking_keeps_the_rules_lists(con, rules_file):
    rules = analysis.load_index()["street"]
    r = street_ranking(con, rules)
    assert publish.publish_ranking(con, r, *W52, by="李科长") == 1
    pub = publish.latest(con, "street", *W52)
    t = pub.table.set_index("unit")
    assert sorted(t.index[t["flag"].eq("red")]) == sorted(HAND["red"])
    assert sorted(t.index[t["flag"].eq("yellow")]) == sorted(HAND["black"])
    assert t.index[t["flag"].eq("none")].tolist() == HAND["left_out"]
    assert t.at["乙街道", "list_value"] == pytest.approx(0.9)
    assert {u: t.at[u, "talk"] for u in t.index if pd.notna(t.at[u, "talk"])} == HAND["talks"]
    assert (pub.red_name, pub.low_name) == ("红榜", "黑榜") and pub.list_rule == rules.lists.describe()
    # what leaders see for the published week: the same lists, in the same order, whatever comes later
    out = analysis.outcome(publish.published_view(r, pub), rules)
    assert out.lists.red["unit"].tolist() == HAND["red"] and out.lists.low["unit"].tolist() == HAND["black"]
    assert dict(zip(out.talks["unit"], out.talks["reason"])) == HAND["talks"]
    log = publish.log(con)
    assert log["red"].iat[0] == "甲街道、乙街道"


def test_the_briefing_follows_the_rule(con, rules_file):
    from campaign import briefing

    b = briefing.build(con, "latest")
    assert b.week.start == W52[0]
    red, black, left = b.values["lists"]["street"]
    assert (red, black, left) == (HAND["red"], HAND["black"], HAND["left_out"])
    w = b.words["street_lists_text"]
    assert w == ("整改率达到90%列入红榜的：甲街道（100.0%）、乙街道（90.0%）；低于85%列入黑榜的：丙街道（80.0%）、"
                 "庚街道（83.3%）；己街道本周无督查问题，不列入")
    flags = next(s for s in b.sections if s.key == "flags")
    assert w in flags.paragraphs[0]
    assert "丙街道（整改率末位）" in b.words["talks_text"] and "庚街道（连续2周列入黑榜）" in b.words["talks_text"]
    table = b.table("街道排名").frame.set_index("街道（镇）")
    assert table["红黑榜"].to_dict() == {s: "红榜" if s in HAND["red"] else "黑榜" if s in HAND["black"] else ""
                                      for s in STREETS}
    assert table.at["庚街道", "整改率"] == pytest.approx(5 / 6)


# ----------------------------------------------------------------------------------------------------
# unit kinds and entered points
def test_communities_and_site_units_are_ranked_from_the_ledger(tmp_path):
    db = build_store(tmp_path / "k.duckdb", plan={"甲街道": ((4, 4), (2, 2)), "乙街道": ((5, 2), (2, 1))})
    c = duckdb.connect(str(db))
    try:
        c.execute("UPDATE store.problems SET community = CASE WHEN street = '甲街道' THEN '东风社区' ELSE '红旗社区' END "
                  "WHERE found_on >= ?", [W52[0]])
        c.execute("INSERT INTO store.sites (site_id, site, site_type, street, department) SELECT DISTINCT site_id, site, site_type, street, "
                  "CASE WHEN street = '甲街道' THEN '区园林绿化中心' ELSE '区商务局' END FROM store.problems")
        idx = analysis.load_index()
        comm = analysis.ranking(c, "community", idx["community"].spec(), *W52)
        assert dict(zip(comm.table["unit"], comm.table["fix_rate"])) == {"东风社区": 1.0, "红旗社区": 0.4}
        out = analysis.outcome(comm, idx["community"])
        assert out.lists.red["unit"].tolist() == ["东风社区"] and out.lists.low["unit"].tolist() == ["红旗社区"]
        su = analysis.ranking(c, "site_unit", idx["site_unit"].spec(), *W52)
        assert dict(zip(su.table["unit"], su.table["problems"])) == {"区园林绿化中心": 4, "区商务局": 5}
    finally:
        c.close()


def test_points_entered_by_the_office_count_and_are_kept_with_who(con, tmp_path):
    parts = [{"name": "工作台账", "measure": "entered", "weight": 30},
             {"name": "整改率", "measure": "fix_rate", "weight": 70, "better": "higher", "method": "rate"}]
    rules = analysis.load_index(threshold_rules(tmp_path / "r.yaml", street_parts=parts))["street"]
    assert [p.name for p in rules.entered] == ["工作台账"]
    rows = pd.DataFrame({"unit": ["甲街道", "乙街道"], "part": "工作台账", "points": [20.0, 30.0]})
    assert ranking_entries.enter(con, rules, *W52, rows, by="王主任") == 2
    ranking_entries.enter(con, rules, *W52, rows.iloc[:1].assign(points=25.0), by="李科长")  # a correction
    done = ranking_entries.current(con, "street", *W52).set_index("unit")
    assert done.at["甲街道", "points"] == 25 and done.at["甲街道", "entered_by"] == "李科长"
    assert done.at["乙街道", "entered_by"] == "王主任"
    assert con.execute("SELECT count(*) FROM store.ranking_entries").fetchone()[0] == 3
    r = street_ranking(con, rules)
    t = r.table.set_index("unit")
    assert t.at["甲街道", "工作台账"] == 25 and t.at["乙街道", "工作台账"] == 30
    assert t.at["甲街道", "total"] == pytest.approx(25 + 70 * 1.0)
    # streets not entered score the entered streets' mean, and are named
    assert t.at["丙街道", "工作台账"] == pytest.approx(27.5)
    assert set(r.missing_entries) == set(STREETS) - {"甲街道", "乙街道"}
    with pytest.raises(ranking_entries.EntryError, match=r"第 1 行（甲街道，工作台账）：得分 35 应在 0 到 30 之间"):
        ranking_entries.enter(con, rules, *W52, rows.assign(points=35.0), by="王主任")
    with pytest.raises(ranking_entries.EntryError, match="“点位达标”不是可录入的部分"):
        ranking_entries.enter(con, rules, *W52, rows.assign(part="点位达标"), by="王主任")
    assert con.execute("SELECT count(*) FROM store.ranking_entries").fetchone()[0] == 3  # nothing half-written


def test_the_entries_view_matches_the_data_contract(con):
    from test_store import documented_views

    for view in ("ranking_entries", "published_rankings"):
        actual = [(row[0], row[1]) for row in con.execute(f"DESCRIBE main.{view}").fetchall()]
        assert actual == documented_views()[view]


# ----------------------------------------------------------------------------------------------------
# fair comparisons
@pytest.fixture()
def noise_case(tmp_path):
    db = build_store(tmp_path / "noise.duckdb", plan=NOISE_PLAN)
    rules = analysis.load_index(threshold_rules(tmp_path / "r.yaml", street_parts=FIX_ONLY))["street"]
    c = duckdb.connect(str(db))
    yield c, rules
    c.close()


def test_a_change_within_noise_is_not_called_a_fall(noise_case):
    c, rules = noise_case
    t = street_ranking(c, rules).table.set_index("unit")
    assert t["change"].to_dict() == {"丙街道": 2, "甲街道": -1, "乙街道": -1}
    assert t.at["甲街道", "delta"] == pytest.approx(-3.0) and t.at["乙街道", "delta"] == pytest.approx(-56.0)
    # binomial noise of a 100-problem fix rate near 95 %: about 2–3 points a week each, so ±3 is noise
    assert 3 < t.at["甲街道", "noise"] < 8
    assert bool(t.at["甲街道", "steady"]) and bool(t.at["丙街道", "steady"]) and not bool(t.at["乙街道", "steady"])
    assert analysis.judgement(t.at["甲街道", "change"], t.at["甲街道", "steady"]) == "变化在正常波动范围内"
    assert analysis.judgement(t.at["乙街道", "change"], t.at["乙街道", "steady"]) == "超出正常波动"
    assert analysis.change_with_noise(-1, True) == "↓1（正常波动）" and analysis.change_with_noise(-1, False) == "↓1"


def test_the_same_seed_gives_the_same_verdict_and_more_problems_less_noise(noise_case, tmp_path):
    c, rules = noise_case
    a = street_ranking(c, rules).table
    b = street_ranking(c, rules).table
    assert a["noise"].tolist() == b["noise"].tolist()
    # the same rates over ten times fewer problems: the 56-point fall of 乙 stays beyond noise, and 甲's noise grows
    small = build_store(tmp_path / "small.duckdb", plan={s: ((n // 10, f // 10), (n2 // 10, f2 // 10))
                                                         for s, ((n, f), (n2, f2)) in NOISE_PLAN.items()})
    c2 = duckdb.connect(str(small))
    try:
        t2 = street_ranking(c2, rules).table.set_index("unit")
    finally:
        c2.close()
    assert t2.at["甲街道", "noise"] > 2 * a.set_index("unit").at["甲街道", "noise"]
    assert not bool(t2.at["乙街道", "steady"])


def test_the_briefing_says_which_moves_are_within_noise(noise_case, tmp_path, monkeypatch):
    from campaign import briefing

    c, _ = noise_case
    monkeypatch.setattr(analysis, "RANKING_FILE", threshold_rules(tmp_path / "r2.yaml", street_parts=FIX_ONLY))
    b = briefing.build(c, "latest")
    # 甲 fell a place within noise (named); 丙 rose within noise and 乙 fell beyond it (not named)
    assert b.words["street_steady_text"] == "甲街道名次下降，但综合指数变化在正常波动范围内，不作退位评价。"
    assert b.words["street_steady_text"] in next(s for s in b.sections if s.key == "flags").paragraphs[0]
    table = b.table("街道排名").frame.set_index("街道（镇）")
    assert table["变化判断"].to_dict() == {"丙街道": "正常波动", "甲街道": "正常波动", "乙街道": "超出波动"}
    chart = next(ch for ch in b.charts() if ch.kind == "street_ranking")
    assert dict(zip(chart.data["unit"], chart.data["change_label"])) == {
        "丙街道": "↑2（正常波动）", "甲街道": "↓1（正常波动）", "乙街道": "↓1"}


def test_the_command_line_publishes_by_the_rule(small_db, tmp_path, rules_file, capsys):
    import shutil

    from campaign.cli import main

    db = tmp_path / "cli.duckdb"
    shutil.copy(small_db, db)
    assert main(["publish", "--db", str(db), "--week", "latest", "--entity", "street"]) == 0
    out = capsys.readouterr().out
    assert "红榜：甲街道、乙街道；黑榜：丙街道、庚街道（整改率≥90%列入红榜，<85%列入黑榜" in out
    assert "约谈：" in out and "丙街道（整改率末位）" in out and "庚街道（连续2周列入黑榜）" in out
    c = duckdb.connect(str(db))
    try:
        pub = publish.latest(c, "street", *W52)
    finally:
        c.close()
    assert pub.table.loc[pub.table["flag"].eq("none"), "unit"].tolist() == HAND["left_out"]
    raw = yaml.safe_load(rules_file.read_text(encoding="utf-8"))
    del raw["community"]
    rules_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["publish", "--db", str(db), "--entity", "community"]) == 2
    assert "排名文件 ranking_index.yaml 中没有社区（community）排名" in capsys.readouterr().err


def test_on_the_on_time_rate_a_unit_without_due_problems_is_left_out_and_said_so():
    t = pd.DataFrame({"unit": ["甲", "乙", "丙"], "rank": [1, 2, 3], "total": [90.0, 80.0, 70.0],
                      "problems": [5, 4, 3], "on_time_rate": [0.95, np.nan, 0.5]})
    lr = ranking_rules.ListRule("threshold", "on_time_rate", 0.9, 0.85, "红榜", "黑榜", True)
    ls = ranking_rules.lists(t, lr)
    assert (ls.red["unit"].tolist(), ls.low["unit"].tolist(), ls.left_out) == (["甲"], ["丙"], ["乙"])
    assert lr.left_out_because == "无督查问题或无到期问题"
    assert lr.describe().endswith("；本期无督查问题或无到期问题的单位不列入")


def test_the_meeting_deck_marks_moves_within_noise(noise_case, tmp_path, monkeypatch):
    from campaign import briefing
    from campaign.outputs import slides

    c, _ = noise_case
    monkeypatch.setattr(analysis, "RANKING_FILE", threshold_rules(tmp_path / "r3.yaml", street_parts=FIX_ONLY))
    meeting = slides.points(briefing.build(c, "latest"))
    bottom = next(p for p in meeting.points if p.key == "bottom").table
    streets = bottom[bottom["类别"].eq("街道")].set_index("单位")["较上周"].to_dict()
    assert streets == {"乙街道": "↓1", "甲街道": "↓1（正常波动）", "丙街道": "↑2（正常波动）"}
    flags = next(p for p in meeting.points if p.key == "flags")
    assert flags.table[""].tolist() == ["红榜（红旗）", "黄榜、黑榜（黄旗）"]  # streets by threshold, departments by place
    assert "约谈：" in flags.note
