"""问题查询 page: a ledger number opens its problem with every version across imports; words of a site or a
description list the matches; what matches nothing says so."""
import duckdb
import pytest
from apptest_helpers import ENTRY
from streamlit.testing.v1 import AppTest

from campaign.ingest import import_file
from campaign.store import init_store
from tests.ingest import realformats as rf


@pytest.fixture(scope="module")
def story_db(tmp_path_factory):
    t = tmp_path_factory.mktemp("story")
    (t / "a").mkdir(), (t / "b").mkdir()
    db = t / "story.duckdb"
    init_store(db)
    w11, _ = rf.build_jiaoban_week11(t / "a")
    w12, _ = rf.build_jiaoban_week12(t / "b")
    con = duckdb.connect(str(db))
    try:
        rf.seed_known_names(con)
        import_file(con, w11)
        import_file(con, w12)
        market = con.execute("SELECT count(*) FROM problems WHERE site = '黄河路农贸市场'").fetchone()[0]
    finally:
        con.close()
    return db, market


def open_problem(monkeypatch, db, **query) -> AppTest:
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    at = AppTest.from_file(ENTRY, default_timeout=90)
    at.run()
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("pages/problem.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_ledger_number_opens_the_problem_and_its_versions(story_db, monkeypatch):
    db, _ = story_db
    at = open_problem(monkeypatch, db, q="JB25030301")
    assert at.subheader[0].value.startswith("JB25030301")
    story = at.dataframe[0].value
    assert story["导入"].tolist() == ["第 1 次导入", "第 2 次导入"]
    assert story["状态"].tolist() == ["待整改", "已销号"]
    assert story["版本"].tolist() == ["", "当前"]
    info = dict(at.dataframe[1].value.values.tolist())
    assert info["台账编号"] == "JB25030301" and info["属地街道"] == "北关街道"
    assert "整改状态：**已销号**" in at.markdown[1].value or any("整改状态：**已销号**" in m.value for m in at.markdown)


def test_words_of_a_site_list_the_matches(story_db, monkeypatch):
    db, market = story_db
    at = open_problem(monkeypatch, db, q="黄河路农贸")
    assert market > 1
    assert any(m.value.startswith(f"找到 **{market}** 个问题") for m in at.markdown)
    assert len(at.get("page_link")) >= market


def test_nothing_found_is_said(story_db, monkeypatch):
    db, _ = story_db
    at = open_problem(monkeypatch, db, q="没有这样的问题")
    assert "没有找到" in at.info[0].value
