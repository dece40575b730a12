"""得分趋势 page: the negative-list risk register and the office reporting an event, which then counts."""
import shutil
from datetime import date

import duckdb
import streamlit as st
from apptest_helpers import frame, open_page


def test_the_register_and_a_reported_event(demo_db, tmp_path, monkeypatch):
    db = tmp_path / "neg_page.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    at = open_page("trends")
    reg = frame(at, "编码")
    assert len(reg) == 29 and {"处理", "计入期限（月）", "责任单位", "状态"} <= set(reg.columns)
    # the demo's round-5 event of N18 (2026-04-08) is within its twelve months at week 52's end
    assert reg["编码"].iat[0] == "N18" and reg["状态"].iat[0].startswith("近12个月发生1次")
    assert any("1 项负面清单事项在计入期限内发生：N18（扣2分）" in e.value for e in at.error)
    at.selectbox(key="neg_item").select(next(o for o in at.selectbox(key="neg_item").options if o.startswith("N16")))
    at.date_input(key="neg_date").set_value(date(2026, 10, 1))
    at.text_input(key="neg_unit").input("北关街道")
    next(b for b in at.button if b.label == "登记").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已登记" in s.value for s in at.success)
    assert any("其中N16将使测评不合格" in e.value for e in at.error)
    reg = frame(at, "编码").set_index("编码")
    assert reg.at["N16", "状态"] == "近12个月发生1次：2027-09-30前举行的测评暂停提名资格（视同一票否决）"
    assert reg.at["N16", "涉及单位"] == "北关街道"
    st.cache_resource.clear()
    con = duckdb.connect(str(db))
    try:
        kept = con.execute("SELECT code, occurred_on, unit, entered_by FROM negative_reports").fetchall()
    finally:
        con.close()
    assert kept == [("N16", date(2026, 10, 1), "北关街道", "本机用户")]
