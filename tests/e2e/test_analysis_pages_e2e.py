"""The analysis pages in headless Chromium: every page renders (and is photographed for docs/screenshots), a
sidebar filter changes the numbers and lands in the URL, a drill-down opens, a reload of the URL gives the same
view, and a table downloads as an Excel file holding the numbers the store holds."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from campaign.config import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import wait_for_page  # noqa: E402

pytestmark = pytest.mark.e2e

PAGES = {"overview": "总览", "trends": "得分趋势", "shortboards": "短板指标", "rankings": "排名", "rectification": "整改"}
# UPDATE_SCREENSHOTS=1 ./test.sh tests/e2e refreshes the pictures in docs/; otherwise they go to a temporary folder
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else \
    Path(tempfile.mkdtemp(prefix="campaign-shots-"))
WEEK = ("2026-11-16", "2026-11-22")


@pytest.fixture(scope="module")
def expected(demo_db):
    """Numbers straight from the store, read before the server opens it."""
    con = duckdb.connect(str(demo_db))
    try:
        found = dict(con.execute("SELECT coalesce(street, ''), count(*) FROM problems WHERE found_on BETWEEN ? AND ? "
                                 "GROUP BY ALL", list(WEEK)).fetchall())
        overdue = con.execute(
            "SELECT problem_id, CAST(? AS DATE) - deadline AS days FROM problems WHERE found_on <= ? AND deadline < ? "
            "AND (closed_on IS NULL OR closed_on > ?) ORDER BY days DESC, found_on, problem_id",
            [WEEK[1]] * 4).df()
        name = con.execute("SELECT name FROM standards WHERE code = 'B4.1.3'").fetchone()[0]
        b413 = con.execute("SELECT count(*) FROM problems WHERE standard_code = 'B4.1.3' AND street = '北关街道' "
                           "AND found_on BETWEEN ? AND ?", list(WEEK)).fetchone()[0]
    finally:
        con.close()
    return dict(found_all=sum(found.values()), found_beiguan=found["北关街道"], overdue=overdue,
                standard=f"B4.1.3 {name}", b413_beiguan=b413)


def metric_value(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return m.locator('[data-testid="stMetricValue"]').inner_text().strip()


def choose(page, label: str, text: str, option: str | None = None) -> None:
    """Pick an option of the selectbox labelled ``label`` by typing ``text`` and clicking the first match."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(text)
    opt = page.get_by_role("option", name=option, exact=True) if option else page.get_by_role("option").first
    opt.click()
    wait_for_page(page)


def photograph(page, path) -> None:
    """The whole page: Streamlit scrolls inside its main area, so grow the window to the content first."""
    h = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
        return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }""")
    page.set_viewport_size({"width": 1600, "height": min(int(h) + 40, 9000)})
    page.wait_for_timeout(2500)  # charts and tables repaint at the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1600, "height": 1000})


def test_every_page_renders_and_is_photographed(expected, dashboard_url, browser_page):
    page = browser_page
    SHOTS.mkdir(parents=True, exist_ok=True)
    # a link to a page is the first thing this server is asked for: it must open that page, not a bare one
    page.goto(f"{dashboard_url}/rankings")
    wait_for_page(page, "排名 · 第52周")
    assert page.get_by_role("link", name="得分趋势").count() == 1
    for slug, title in PAGES.items():
        page.goto(f"{dashboard_url}/{'' if slug == 'overview' else slug}")  # the default page lives at /
        wait_for_page(page)
        heading = page.locator("h1").first.inner_text()
        assert heading.startswith(title), heading
        assert page.locator('[data-testid="stException"]').count() == 0
        if slug != "overview":
            assert page.locator(".js-plotly-plot").count() >= 1
        photograph(page, SHOTS / f"{slug}.png")
        assert (SHOTS / f"{slug}.png").stat().st_size > 50_000
    assert metric_value(page, "逾期未整改") == f"{len(expected['overdue']):,}"


def test_filter_drill_down_reload_and_excel(expected, dashboard_url, browser_page, tmp_path):
    page = browser_page
    page.goto(f"{dashboard_url}/trends")
    wait_for_page(page, "得分趋势 · 第52周")
    assert metric_value(page, "发现问题") == f"{expected['found_all']:,}"
    choose(page, "街道（镇）", "北关", "北关街道")
    assert "street=" in page.url
    assert metric_value(page, "发现问题") == f"{expected['found_beiguan']:,}"

    # the filter follows to another page; open a drill-down there
    page.get_by_role("link", name="短板指标").click()
    wait_for_page(page, "短板指标 · 2026年第四轮模拟测评")
    choose(page, "选择指标", "B4.1.3")
    assert "std=B4.1.3" in page.url and "street=" in page.url
    drill = page.locator("p").filter(has_text="B4.1.3 本期督查问题")
    assert drill.inner_text().startswith(f"B4.1.3 本期督查问题（{expected['b413_beiguan']:,} 条")
    drill_text = drill.inner_text()
    lost = metric_value(page, "本轮失分合计")

    url = page.url
    page.reload()
    wait_for_page(page, "短板指标 · 2026年第四轮模拟测评")
    assert page.url == url
    assert page.get_by_role("combobox", name="选择指标").input_value() == expected["standard"]
    assert page.get_by_role("combobox", name="街道（镇）").input_value() == "北关街道"
    assert page.locator("p").filter(has_text="B4.1.3 本期督查问题").inner_text() == drill_text
    assert metric_value(page, "本轮失分合计") == lost

    # the overdue list as Excel, checked against the store
    page.goto(f"{dashboard_url}/rectification")
    wait_for_page(page, "整改 · 第52周")
    button = page.locator('[data-testid="stDownloadButton"]').last
    with page.expect_download() as d:
        button.click()
    saved = tmp_path / d.value.suggested_filename
    d.value.save_as(saved)
    assert saved.name.startswith("逾期清单") and saved.suffix == ".xlsx"
    sheet = pd.read_excel(saved, engine="calamine")
    want = expected["overdue"]
    assert len(sheet) == min(len(want), 500)
    assert sheet["问题编号"].iloc[0] == want["problem_id"].iloc[0]
    assert int(sheet["逾期天数"].iloc[0]) == int(want["days"].iloc[0])
    assert sheet["问题编号"].tolist() == want["problem_id"].head(500).tolist()
