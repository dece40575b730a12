"""One problem's story in headless Chromium: two imports of the same 交办台账 (week 11, then week 12 moving it on);
the sidebar's search box finds the problem by the ledger's own number and its page shows both versions."""
from __future__ import annotations

import sys

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from campaign.config import ROOT
from campaign.ingest import import_file
from campaign.store import init_store
from tests.e2e.conftest import dashboard_server
from tests.ingest import realformats as rf

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import CHROMIUM_ARGS, chromium_path, wait_for_page  # noqa: E402

pytestmark = pytest.mark.e2e


def test_a_problem_found_by_its_ledger_number_shows_its_history(tmp_path):
    db = tmp_path / "story.duckdb"
    init_store(db)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    w11, _ = rf.build_jiaoban_week11(tmp_path / "a")
    w12, _ = rf.build_jiaoban_week12(tmp_path / "b")
    con = duckdb.connect(str(db))
    try:
        rf.seed_known_names(con)
        assert import_file(con, w11, imported_by="王科员").accepted == 10
        assert import_file(con, w12, imported_by="王科员", allow_older=False).updated > 0
        status = con.execute("SELECT status FROM problems WHERE ledger_no = 'JB25030301'").fetchone()[0]
    finally:
        con.close()
    assert status == "已销号"
    with dashboard_server(db, tmp_path / "server.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="zh-CN")
        page.goto(url)
        wait_for_page(page)
        box = page.locator('[data-testid="stSidebar"]').get_by_placeholder("台账编号、点位或描述")
        box.fill("JB25030301")
        box.press("Enter")
        page.get_by_role("heading", name="问题查询").wait_for(timeout=60_000)
        wait_for_page(page)
        page.get_by_text("每次导入后的状态").wait_for(timeout=60_000)
        assert "id=" in page.url  # one match opens the problem itself, at an address that can be shared
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.wait_for()
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "JB25030301" in text and "已销号" in text
        page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
        # the history grid is a canvas: read it through its download-free accessibility table
        cells = grid.locator('[role="gridcell"]').all_inner_texts()
        joined = " ".join(cells)
        assert "第 1 次导入" in joined and "第 2 次导入" in joined
        assert "待整改" in joined and "已销号" in joined
        browser.close()
