"""周调度会通报 page: the same briefing as the files, with the week's numbers from the store, printable, with
both downloads; the week filter picks the week."""
import duckdb
from apptest_helpers import WEEK40, WEEK52, chart, chart_titles, open_page, values

from campaign import briefing


def found(con, period) -> int:
    return con.execute("SELECT count(*) FROM problems WHERE found_on BETWEEN ? AND ?", list(period)).fetchone()[0]


def page_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_briefing_page_shows_the_weeks_briefing(app_env):
    at = open_page("briefing")
    assert at.title[0].value == "周调度会通报 · 第52周"
    con = duckdb.connect(str(app_env))
    n = found(con, WEEK52)
    overdue = con.execute("SELECT count(*) FROM problems WHERE found_on <= ? AND deadline < ? AND "
                          "(closed_on IS NULL OR closed_on > ?)", [WEEK52[1]] * 3).fetchone()[0]
    charts = briefing.build(con, 52).charts()
    con.close()
    text = page_text(at)
    assert f"本周共发现问题{n}个" in text
    assert f"截至11月22日，逾期未整改问题{overdue}个" in text
    heads = ["一、本周概况", "二、模拟测评得分与排名", "三、短板指标", "四、红黄榜", "五、逾期未整改问题", "六、反弹问题",
             "七、下周工作重点"]
    pos = [text.index(h) for h in heads]
    assert pos == sorted(pos)
    assert "创建全国文明城市工作通报" in text and "第52期" in text and "@media print" in text
    tables = [t.value for t in at.table]
    assert len(tables) == 10
    summary = tables[0].set_index("指标")
    assert summary.loc["发现问题", "本周"] == str(n)
    assert len(tables[8]) == min(15, overdue)
    # the charts are drawn on the page (Plotly) from the same data as the .docx images, titled by their point
    assert [t.replace("<br>", "") for t in chart_titles(at)] == [c.title for c in charts]
    ranking = next(c for c in charts if c.kind == "street_ranking")
    bars = chart(at, ranking.title)["data"][0]
    assert values(bars["x"])[::-1] == ranking.data["total"].tolist()
    assert bars["y"][-1] == f"1. {ranking.data['unit'].iat[0]}"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载 Word 通报", "下载 Excel 附表"]


def test_week_filter_picks_the_briefings_week(app_env):
    at = open_page("briefing", week="第40周")
    assert at.title[0].value == "周调度会通报 · 第40周"
    assert "2026年第三轮模拟测评" in at.caption[0].value
    con = duckdb.connect(str(app_env))
    n = found(con, WEEK40)
    con.close()
    assert f"本周共发现问题{n}个" in page_text(at)
    assert at.table[0].value.set_index("指标").loc["发现问题", "本周"] == str(n)
