"""发布排名: a publication keeps the ranking as it was, versions follow one another, nothing is half-written, and
the view matches the data contract."""
import shutil
from datetime import date
from types import SimpleNamespace

import duckdb
import pytest

from campaign import analysis, store
from campaign.outputs import publish
from test_store import documented_views

WEEK = (date(2026, 11, 16), date(2026, 11, 22))


@pytest.fixture()
def con(demo_db, tmp_path):
    db = tmp_path / "publish.duckdb"
    shutil.copy(demo_db, db)
    c = duckdb.connect(str(db))
    yield c
    c.close()


def street_ranking(con, start=WEEK[0], end=WEEK[1]):
    rid = int(con.execute("SELECT max(round_id) FROM assessment_rounds WHERE held_on <= ?", [end]).fetchone()[0])
    return analysis.ranking(con, "street", analysis.load_index()["street"].spec(), start, end, round_id=rid)


def test_publishing_keeps_the_ranking_and_its_flags(con):
    r = street_ranking(con)
    before = store.data_version(con)
    assert publish.latest(con, "street", *WEEK) is None
    assert publish.publish_ranking(con, r, *WEEK, round_name="2026年第四轮模拟测评", by="李科长") == 1
    assert store.data_version(con) == before + 1
    pub = publish.latest(con, "street", *WEEK)
    assert (pub.version, pub.published_by, pub.round_name) == (1, "李科长", "2026年第四轮模拟测评")
    t = r.table.sort_values("rank")
    assert pub.table["unit"].tolist() == t["unit"].tolist()
    assert pub.table["rank"].tolist() == t["rank"].tolist()
    assert pub.table["total"].tolist() == t["total"].round(1).tolist()
    red, yellow = analysis.red_yellow(r.table)
    assert pub.table.loc[pub.table["flag"].eq("red"), "unit"].tolist() == red["unit"].tolist()
    assert set(pub.table.loc[pub.table["flag"].eq("yellow"), "unit"]) == set(yellow["unit"])
    assert publish.changes_since(pub, r) == []
    assert publish.latest(con, "department", *WEEK) is None  # the other kind and other weeks stay unpublished
    assert publish.latest(con, "street", date(2026, 11, 9), date(2026, 11, 15)) is None


def test_a_later_publication_is_a_new_version_and_the_old_one_is_kept(con):
    r = street_ranking(con)
    publish.publish_ranking(con, r, *WEEK, by="甲")
    assert publish.publish_ranking(con, r, *WEEK, by="乙") == 2
    assert publish.latest(con, "street", *WEEK).published_by == "乙"
    log = publish.log(con)
    assert log["version"].tolist() == [2, 1] and log["units"].tolist() == [len(r.table)] * 2
    n = con.execute("SELECT count(*) FROM published_rankings").fetchone()[0]
    assert n == 2 * len(r.table)


def test_what_changed_after_publishing_is_named(con):
    r = street_ranking(con)
    publish.publish_ranking(con, r, *WEEK)
    pub = publish.latest(con, "street", *WEEK)
    first, last = r.table["unit"].iat[0], r.table["unit"].iat[-1]
    moved = r.table.copy()
    moved.loc[moved["unit"].eq(first), "rank"], moved.loc[moved["unit"].eq(last), "rank"] = \
        int(r.table["rank"].iat[-1]), int(r.table["rank"].iat[0])
    changes = publish.changes_since(pub, analysis.Ranking("street", r.parts, moved, r.history, []))
    assert any(c.startswith(f"{first}：发布时第1名，现为第") for c in changes)
    assert len(changes) == 2
    later = r.table.copy()
    later.loc[0, "total"] = later.loc[0, "total"] + 0.3
    assert publish.changes_since(pub, analysis.Ranking("street", r.parts, later, r.history, [])) == \
        [f"{first}：综合指数由 {pub.table['total'].iat[0]:.1f} 变为 {later.loc[0, 'total']:.1f}"]


def test_a_failed_publication_writes_nothing(con, monkeypatch):
    r = street_ranking(con)
    version = store.data_version(con)

    def boom(cur):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(store, "bump_data_version", boom)
    with pytest.raises(RuntimeError):
        publish.publish_ranking(con, r, *WEEK)
    assert con.execute("SELECT count(*) FROM published_rankings").fetchone()[0] == 0
    assert store.data_version(con) == version


def test_an_empty_ranking_is_refused_in_words(con):
    r = street_ranking(con)
    empty = analysis.Ranking("street", r.parts, r.table.iloc[0:0], r.history, [])
    with pytest.raises(publish.PublishError, match="没有可发布的排名"):
        publish.publish_ranking(con, empty, *WEEK)


def test_only_the_whole_districts_weekly_ranking_is_publishable():
    base = dict(by_range=False, street=None, department=None, site_type=None, category=None)
    assert publish.not_publishable(SimpleNamespace(**base)) is None
    assert "按日期区间" in publish.not_publishable(SimpleNamespace(**{**base, "by_range": True}))
    assert "责任单位、问题类别" in publish.not_publishable(
        SimpleNamespace(**{**base, "department": "区环卫中心", "category": "占道经营"}))


def test_the_view_matches_the_data_contract(con):
    actual = [(row[0], row[1]) for row in con.execute("DESCRIBE main.published_rankings").fetchall()]
    assert actual == documented_views()["published_rankings"]


def test_the_command_line_publishes_a_week_with_editor_rights(demo_db, tmp_path, monkeypatch, capsys):
    """``campaign publish`` publishes the latest week's ranking as the page does; where accounts exist, only an
    editor or an admin may, and the publication is signed with the account's display name."""
    from campaign import auth
    from campaign.cli import main

    db = tmp_path / "cli.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("CAMPAIGN_ACCOUNTS", str(tmp_path / "accounts.yaml"))
    auth.add_user("leader", "一二三四五六七八", "viewer", "张书记")
    auth.add_user("office", "一二三四五六七八", "editor", "李科长")
    assert main(["publish", "--db", str(db), "--week", "latest", "--entity", "street"]) == 2
    assert "--by" in capsys.readouterr().err
    assert main(["publish", "--db", str(db), "--entity", "street", "--by", "leader"]) == 2
    assert "不能发布排名" in capsys.readouterr().err
    assert main(["publish", "--db", str(db), "--week", "第52周", "--entity", "department", "--by", "office"]) == 0
    out = capsys.readouterr().out
    assert "第52周（2026-11-16 至 2026-11-22）责任单位排名 第1版" in out and "李科长" in out
    con = duckdb.connect(str(db))
    try:
        pub = publish.latest(con, "department", *WEEK)
        rid = int(con.execute("SELECT max(round_id) FROM assessment_rounds WHERE held_on <= ?", [WEEK[1]]).fetchone()[0])
        want = analysis.ranking(con, "department", analysis.load_index()["department"].spec(), *WEEK, round_id=rid)
    finally:
        con.close()
    assert (pub.version, pub.published_by) == (1, "李科长")
    assert pub.table["unit"].tolist() == want.table.sort_values(["rank", "unit"])["unit"].tolist()
    red, _ = analysis.red_yellow(want.table)
    assert f"流动红旗：{'、'.join(red['unit'])}；" in out
