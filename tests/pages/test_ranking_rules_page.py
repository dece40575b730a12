"""排名 page under the office's own rules: threshold red and black lists counted by hand, the talk list, the
published ranking, points entered by the editor, the other unit kinds, and moves within noise."""
import shutil

import duckdb
import pytest
import streamlit as st
from apptest_helpers import frame, open_page, texts
from ranking_helpers import FIX_ONLY, HAND, NOISE_PLAN, STREETS, build_store, threshold_rules

from campaign import analysis


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("rules_page") / "small.duckdb")


@pytest.fixture()
def env(small_db, tmp_path, monkeypatch):
    db = tmp_path / "page.duckdb"
    shutil.copy(small_db, db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    f = threshold_rules(tmp_path / "ranking_index.yaml")
    monkeypatch.setattr(analysis, "RANKING_FILE", f)
    return db, f


def read(db, sql):
    st.cache_resource.clear()  # let the page's connection go before reading the file
    con = duckdb.connect(str(db))
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_the_page_shows_the_hand_counted_lists_and_talks(env):
    at = open_page("rankings")
    md = texts(at)
    assert "#### 🚩 红榜（2）" in md and "#### ⬛ 黑榜（2）" in md
    lines = [m.value for m in at.markdown if "（综合指数第 " in m.value]
    names = [next(s for s in STREETS if line.startswith(f"**{s}**")) for line in lines]
    assert names == HAND["red"] + HAND["black"]          # red best first, then black worst first
    assert "**甲街道**　整改率 100.0%　（综合指数第 " in lines[0]
    assert "**庚街道**　整改率 83.3%　（综合指数第 " in lines[-1]
    assert "本周无督查问题、按规则不列入红黑榜：己街道。" in md
    assert "#### 🗣️ 约谈名单（2）" in md
    assert "**丙街道**：整改率末位" in md and "**庚街道**：连续2周列入黑榜" in md
    assert "整改率≥90%列入红榜，<85%列入黑榜，85%至90%之间不列入" in md
    table = frame(at, "排名").set_index("街道（镇）")
    assert table["红黑榜"].to_dict() == {s: "红榜" if s in HAND["red"] else "黑榜" if s in HAND["black"] else ""
                                      for s in STREETS}
    assert table.at["丙街道", "整改率（%）"] == 80.0


def test_publishing_keeps_the_rules_lists(env):
    db, _ = env
    at = open_page("rankings")
    next(b for b in at.button if b.key == "publish").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "以上红黑榜、约谈名单、名次和综合指数均为发布时的结果。" in texts(at)
    pub = read(db, "SELECT unit, flag, talk, low_name FROM published_rankings")
    flags = dict(zip(pub["unit"], pub["flag"]))
    assert sorted(u for u, f in flags.items() if f == "red") == sorted(HAND["red"])
    assert sorted(u for u, f in flags.items() if f == "yellow") == sorted(HAND["black"])
    assert [u for u, f in flags.items() if f == "none"] == HAND["left_out"]
    assert {u: t for u, t in zip(pub["unit"], pub["talk"]) if isinstance(t, str)} == HAND["talks"]
    assert set(pub["low_name"]) == {"黑榜"}


def test_the_editor_enters_the_weekly_points(env, tmp_path, monkeypatch):
    db, _ = env
    parts = [{"name": "工作台账", "measure": "entered", "weight": 30},
             {"name": "整改率", "measure": "fix_rate", "weight": 70, "better": "higher", "method": "rate"}]
    monkeypatch.setattr(analysis, "RANKING_FILE", threshold_rules(tmp_path / "score.yaml", street_parts=parts))
    at = open_page("rankings")
    assert any("本周尚未录入的街道（镇）" in w.value for w in at.warning)
    at.selectbox(key="entry_unit").select("乙街道")
    at.number_input(key="entry_工作台账").set_value(24.5)
    next(b for b in at.button if "保存本周得分" in b.label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = frame(at, "排名").set_index("街道（镇）")
    assert table.at["乙街道", "工作台账得分（30）"] == 24.5
    assert table.at["乙街道", "综合指数"] == round(24.5 + 70 * 0.9, 1)
    kept = read(db, "SELECT unit, part, points, entered_by FROM ranking_entries")
    assert kept.to_dict("records") == [{"unit": "乙街道", "part": "工作台账", "points": 24.5, "entered_by": "本机用户"}]


def test_the_other_unit_kinds_have_their_own_tab(env):
    db, _ = env
    at = open_page("rankings", rank_of="社区")
    assert not at.exception
    assert any("督查台账没有“所属社区”一列" in i.value for i in at.info)
    con = duckdb.connect(str(db))  # the sites' responsible units: 甲 and 乙 streets' sites are 区商务局's
    con.execute("INSERT INTO store.sites (site_id, site, site_type, street, department) SELECT DISTINCT site_id, site, site_type, street, CASE WHEN street IN "
                "('甲街道', '乙街道') THEN '区商务局' ELSE '区城市管理局' END FROM store.problems")
    con.execute("UPDATE store.meta SET value = CAST(CAST(value AS INTEGER) + 1 AS VARCHAR) WHERE key = 'data_version'")
    con.close()
    at = open_page("rankings", rank_of="包保单位")
    assert not at.exception
    table = frame(at, "排名")
    assert table.columns[2] == "包保单位"
    # 区商务局: 甲 10/10 + 乙 18/20 = 28/30; 区城市管理局: 丙 8/10 + 丁 7/8 + 戊 17/20 + 庚 5/6 = 37/44
    assert dict(zip(table["包保单位"], table["整改率（%）"])) == {"区商务局": 93.3, "区城市管理局": 84.1}
    assert "#### 🚩 红榜（1）" in texts(at) and "#### ⬛ 黑榜（1）" in texts(at)


def test_moves_within_noise_are_said_so(tmp_path, monkeypatch):
    db = build_store(tmp_path / "noise.duckdb", plan=NOISE_PLAN)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    monkeypatch.setattr(analysis, "RANKING_FILE", threshold_rules(tmp_path / "r.yaml", street_parts=FIX_ONLY))
    at = open_page("rankings")
    table = frame(at, "排名").set_index("街道（镇）")
    assert table["较上周"].to_dict() == {"丙街道": "↑2", "甲街道": "↓1", "乙街道": "↓1"}
    assert table["变化判断"].to_dict() == {"丙街道": "变化在正常波动范围内", "甲街道": "变化在正常波动范围内",
                                       "乙街道": "超出正常波动"}
    assert "甲街道名次下降，但综合指数的变化在其正常波动范围内" in texts(at)
    assert any("甲街道" in c.value and "“正常波动”的标注同此" in c.value for c in at.caption)
    import json

    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    labels = dict(zip(bars["y"], bars["text"]))
    assert labels == {"丙街道": "95.0  ↑2（正常波动）", "甲街道": "94.0  ↓1（正常波动）", "乙街道": "40.0  ↓1"}
