"""Published means published: once a week's ranking is published, an import that changes the live order leaves
the briefing and the 排名 page showing the published ranks and flags; the live order is only shown beside them."""
import shutil
from datetime import date

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from campaign import analysis, briefing
from campaign.config import ROOT
from campaign.ingest import import_file
from campaign.outputs import publish
from tests.ingest.conftest import LEDGER_HEADER, ledger_row, write_xlsx

WEEK = (date(2026, 11, 16), date(2026, 11, 22))


def live(con, unit: str) -> analysis.Ranking:
    rid = int(con.execute("SELECT max(round_id) FROM assessment_rounds WHERE held_on <= ?", [WEEK[1]]).fetchone()[0])
    return analysis.ranking(con, unit, analysis.load_index()[unit].spec(), *WEEK, round_id=rid)


def flags(table) -> tuple[list[str], list[str]]:
    red, yellow = analysis.red_yellow(table)
    return red["unit"].tolist(), yellow["unit"].tolist()


@pytest.fixture()
def shaken(demo_db, tmp_path):
    """The demo with the week's street and department rankings published, then a ledger of 40 open red-card
    problems of the first street and first unit imported (found in the week, due before its end)."""
    db = tmp_path / "published.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    published = {}
    for unit in ("street", "department"):
        r = live(con, unit)
        publish.publish_ranking(con, r, *WEEK, round_name="本轮", by="王主任")
        published[unit] = publish.latest(con, unit, *WEEK)
    top_street = published["street"].table["unit"].iat[0]
    top_unit = published["department"].table["unit"].iat[0]
    rows = [ledger_row(i + 1, f"PX{i:03d}", date(2026, 11, 16), f"新华路{i}号商铺", top_street, top_unit, "环境卫生",
                       "店外乱堆放", deduction=1.0, card="红", deadline=date(2026, 11, 17), status="待整改")
            for i in range(40)]
    path = write_xlsx(tmp_path / "补报台账.xlsx", LEDGER_HEADER, rows, title="补报督查问题台账")
    res = import_file(con, path)
    assert res.accepted == 40, res.refused
    yield con, db, published
    con.close()


def test_the_live_order_moved_but_the_published_one_is_shown(shaken):
    con, _, published = shaken
    for unit in ("street", "department"):
        now = live(con, unit)
        pub = published[unit]
        was = flags(pub.table)
        assert flags(now.table) != was  # the import changed who gets the flags
        shown = publish.in_force(con, now, *WEEK)
        assert shown.published is not None and shown.published.version == 1
        assert shown.table["unit"].tolist() == pub.table["unit"].tolist()
        assert shown.table["rank"].tolist() == pub.table["rank"].tolist()
        assert flags(shown.table) == was
        assert shown.live is now
        assert publish.changes_since(pub, now)  # and what moved can be said


def test_the_briefing_awards_the_published_flags(shaken):
    con, _, published = shaken
    b = briefing.build(con, "latest")
    assert b.week.start == WEEK[0]
    assert b.values["street_red"] == flags(published["street"].table)[0]
    assert b.values["street_yellow"] == flags(published["street"].table)[1]
    assert b.values["dept_red"] == flags(published["department"].table)[0]
    table = next(t for t in b.tables() if t.key == "街道排名")
    assert table.frame["街道（镇）"].tolist() == published["street"].table["unit"].tolist()
    assert "已发布 第1版" in table.note


def test_the_ranking_page_shows_the_published_flags_and_the_live_order_beside(shaken, monkeypatch):
    con, db, published = shaken
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/rankings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(m.value for m in at.markdown)
    red, yellow = flags(published["street"].table)
    cards = [m.value for m in at.markdown if m.value.startswith("**第 ")]
    assert [c.split("　")[1].rstrip("*") for c in cards[:len(red)]] == red
    assert [c.split("　")[1].rstrip("*") for c in cards[len(red):len(red) + len(yellow)]] == yellow
    assert "已发布 第1版" in text
    now_red = flags(live(con, "street").table)[0]
    assert "按最新数据" in "\n".join(w.value for w in at.warning)
    assert now_red != red
