"""数据导入 in headless Chromium with a 负面清单事项报送台账: the check shows each row's fate (the item it matched, 新增 or
隔离 with the reason) before anything is written; confirming imports the three good rows. The row fates are
photographed at 1280×720 and 1920×1080 (UPDATE_SCREENSHOTS=1 writes them to docs/)."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from campaign.config import ROOT
from campaign.store import init_store
from tests.e2e.conftest import dashboard_server
from tests.ingest.negative_files import write_negative_ledger

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import wait_for_page  # noqa: E402

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else \
    Path(tempfile.mkdtemp(prefix="campaign-shots-"))

_SCROLL = """(el) => {
    // the main area scrolled so that the block starts 12 px below the window's top
    const main = document.querySelector('[data-testid="stMain"]');
    main.scrollBy(0, el.getBoundingClientRect().top - main.getBoundingClientRect().top - 12);
}"""


def photograph(page, heading, table, path: Path, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(1500)
    heading.evaluate(_SCROLL)
    page.wait_for_timeout(2500)  # the table repaints at the new size
    box = table.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)  # the whole table in the picture
    page.screenshot(path=str(path))
    assert path.stat().st_size > 30_000


def test_each_rows_fate_is_shown_before_the_import(browser_page, tmp_path):
    page = browser_page
    db = tmp_path / "campaign.duckdb"
    init_store(db)
    f = write_negative_ledger(tmp_path / "2026年负面清单事项报送台账.xlsx")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with dashboard_server(db, tmp_path / "streamlit.log") as url:
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.goto(f"{url}/import")
        wait_for_page(page, "数据导入")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(f))
        wait_for_page(page)
        page.get_by_role("heading", name="检查结果").wait_for()
        box = page.locator('[class*="st-key-imp_card_"]').first
        assert "负面清单事件" in box.inner_text()
        heading = box.locator('[data-testid="stMarkdownContainer"]').filter(has_text="逐行结果").first
        assert "确认导入后：新增 3 行，隔离 5 行" in heading.inner_text()
        # the table drawn right under the heading
        table = heading.locator("xpath=ancestor::div[@data-testid='stElementContainer'][1]"
                                "/following-sibling::div[1]").locator('[data-testid="stDataFrame"]').first
        assert table.is_visible()
        photograph(page, heading, table, SHOTS / "import-negatives-1280.png", 1280, 720)
        photograph(page, heading, table, SHOTS / "import-negatives-1920.png", 1920, 1080)
        # the top of the check: the kinds to choose from (负面清单事件 among them) and the file's counts
        page.set_viewport_size({"width": 1280, "height": 720})
        page.locator('[data-testid="stMain"]').evaluate("(m) => m.scrollTo(0, 0)")
        page.wait_for_timeout(1500)
        assert page.get_by_role("button", name="负面清单事件").count() + page.get_by_text("负面清单事件").count() >= 1
        box.locator('[data-testid="stMetric"]').first.evaluate(_SCROLL)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SHOTS / "import-negatives-check-1280.png"))
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.get_by_role("button", name="确认导入", exact=False).first.click()
        wait_for_page(page)
        page.get_by_role("heading", name="导入完成").wait_for()
    con = duckdb.connect(str(db))
    try:
        assert con.execute("SELECT count(*) FROM negative_reports").fetchone()[0] == 3
    finally:
        con.close()
