"""数据导入 in headless Chromium: a file whose headers nothing knows is mapped column by column in the browser,
saved as an import profile and imported; a second file with the same headers then goes in with no questions.
The mapping step is photographed at 1280×720 and 1920×1080 (UPDATE_SCREENSHOTS=1 writes them to docs/)."""
from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from campaign.config import ROOT
from campaign.store import init_store
from tests.e2e.conftest import dashboard_server
from tests.ingest.conftest import write_xlsx

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import wait_for_page  # noqa: E402

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else \
    Path(tempfile.mkdtemp(prefix="campaign-shots-"))
HEADER = ["发现日", "地段", "片区", "情况说明", "状况"]
FIELDS = {"发现日": "发现日期", "地段": "点位", "片区": "所属街道", "情况说明": "问题描述", "状况": "整改状态"}
STATUSES = ["待处理", "处理中", "已处理"]


def rows(start: int, n: int) -> list[list]:
    return [[date(2026, 3, 2 + i % 20), f"人民路{i}号", ["北关街道", "东湖街道"][i % 2], f"垃圾堆放第{i}处",
             STATUSES[i % 3]] for i in range(start, start + n)]


def settle(page) -> None:
    wait_for_page(page)


def card(page, file_name: str):
    """The bordered box of one file in 检查结果."""
    return page.locator('[class*="st-key-imp_card_"]').filter(has=page.get_by_text(file_name, exact=True)).first


def upload(page, path: Path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
    settle(page)
    page.get_by_role("heading", name="检查结果").wait_for()


def choose_field(page, editor, row: int, label: str) -> None:
    """In the column editor, set 对应字段 of one row: select its first cell, step to the field, open the
    dropdown, type to filter and pick the option."""
    canvas = editor.locator("canvas").first
    dropdown = page.locator("#portal input[role=combobox]")
    for attempt in range(3):  # on a busy machine the grid may take the first click before it is ready for keys
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + 30, box["y"] + 35 * (row + 1) + 17)
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            dropdown.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    page.keyboard.type(label)
    page.locator("#portal").get_by_role("option", name=label, exact=True).click()
    page.wait_for_timeout(300)
    settle(page)


def metric(box, label: str) -> str:
    m = box.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return m.locator('[data-testid="stMetricValue"]').inner_text().strip()


def cell_text(editor, col: int, row: int) -> str:
    return editor.locator(f"#glide-cell-{col}-{row}").inner_text()


_SCROLL = """(card) => {
    // scroll the main area so that the whole card shows and the window starts where a block starts
    // (no half line at the top): the lowest block top from which the card still fits, within reach
    const main = document.querySelector('[data-testid="stMain"]');
    const base = main.getBoundingClientRect().top - main.scrollTop;
    const top = card.getBoundingClientRect().top - base, bottom = card.getBoundingClientRect().bottom - base;
    const reach = main.scrollHeight - main.clientHeight;
    const tops = [...main.querySelectorAll('[data-testid="stElementContainer"], [data-testid="stHorizontalBlock"]')]
        .filter(el => !el.parentElement.closest('[data-testid="stHorizontalBlock"]'))  // not half a row of columns
        .map(el => el.getBoundingClientRect().top - base - 8)
        .filter(t => t >= 0 && t <= reach && t <= top && bottom - t <= main.clientHeight);
    main.scrollTo(0, bottom <= main.clientHeight ? 0 : Math.max(...tops, 0));
}"""


def photograph(page, target, path: Path, width: int, height: int) -> None:
    """The window at this size, showing the whole of ``target``."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(1500)
    target.evaluate(_SCROLL)
    page.wait_for_timeout(2500)  # the table repaints at the new size
    box = target.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)  # the whole step in the picture
    page.screenshot(path=str(path))
    assert path.stat().st_size > 30_000


def test_map_once_in_the_browser_then_import_with_no_questions(browser_page, tmp_path):
    page = browser_page
    db = tmp_path / "campaign.duckdb"
    init_store(db)
    first = write_xlsx(tmp_path / "街面巡查3月.xlsx", HEADER, rows(0, 9))
    second = write_xlsx(tmp_path / "街面巡查4月.xlsx", HEADER, rows(100, 6))
    SHOTS.mkdir(parents=True, exist_ok=True)

    with dashboard_server(db, tmp_path / "streamlit.log") as url:
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.goto(f"{url}/import")
        wait_for_page(page, "数据导入")
        # the uploader speaks Chinese: no English size line, the office's limit written out
        assert page.locator('[data-testid="stFileUploaderDropzoneInstructions"]').first.is_hidden()
        assert page.get_by_text("单个文件不超过 50 MB").count() == 1

        upload(page, first)
        box = card(page, first.name)
        assert "缺少必需列" in box.inner_text()
        editor = box.locator('[class*="st-key-imp_cols_"]')
        assert [cell_text(editor, 0, i) for i in range(5)] == HEADER
        assert cell_text(editor, 1, 1) == "人民路0号、人民路1号、人民路2号"
        assert page.get_by_role("button", name="确认导入").is_disabled()
        for i, header in enumerate(HEADER):
            choose_field(page, editor, i, FIELDS[header])
        box = card(page, first.name)
        editor = box.locator('[class*="st-key-imp_cols_"]')
        assert [cell_text(editor, 2, i) for i in range(5)] == list(FIELDS.values())
        assert "还需对应的字段" not in box.inner_text()
        name = box.get_by_role("textbox", name="导入配置名称")
        assert name.input_value() == "街面巡查3月"
        name.fill("街面巡查登记表")
        name.press("Enter")
        settle(page)

        photograph(page, card(page, first.name), SHOTS / "import-mapping-1280.png", 1280, 720)
        photograph(page, card(page, first.name), SHOTS / "import-mapping-1920.png", 1920, 1080)
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.wait_for_timeout(1000)

        card(page, first.name).get_by_role("button", name="保存为导入配置").click()
        settle(page)
        box = card(page, first.name)
        box.get_by_text("按导入配置「街面巡查登记表」识别").wait_for()
        assert box.locator('[class*="st-key-imp_cols_"]').count() == 0
        page.get_by_role("button", name="确认导入", exact=True).click()
        settle(page)
        page.get_by_role("heading", name="导入完成").wait_for()
        assert "第 1 次导入" in page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
        assert metric(page.locator('[class*="st-key-imp_card_d0"]'), "新增") == "9"

        upload(page, second)
        box = card(page, second.name)
        assert "按导入配置「街面巡查登记表」识别" in box.inner_text()
        assert metric(box, "新增") == "6" and metric(box, "隔离") == "0"
        assert box.locator('[class*="st-key-imp_cols_"]').count() == 0
        assert box.locator('[data-testid="stAlertContainer"]').count() == 0  # no question, no warning
        page.get_by_role("button", name="确认导入", exact=True).click()
        settle(page)
        page.get_by_role("heading", name="导入完成").wait_for()
        assert "第 2 次导入" in page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
        assert metric(page.locator('[class*="st-key-imp_card_d0"]'), "新增") == "6"

    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 15
        assert con.execute("SELECT file_name, accepted FROM import_log ORDER BY import_id").fetchall() == [
            (first.name, 9), (second.name, 6)]
        assert con.execute("SELECT street, count(*) FROM problems GROUP BY ALL ORDER BY 1").fetchall() == [
            ("东湖街道", 7), ("北关街道", 8)]
        assert con.execute("SELECT name, kind FROM import_profiles").fetchall() == [("街面巡查登记表", "ledger")]
    finally:
        con.close()


def test_markup_in_a_file_name_is_shown_as_written(browser_page, tmp_path):
    """A file name with Markdown, Streamlit directives and HTML is text on the check step and in the log."""
    page = browser_page
    db = tmp_path / "campaign.duckdb"
    init_store(db)
    src = write_xlsx(tmp_path / "x.xlsx", ["发现日期", "点位名称", "所属街道", "问题描述", "整改状态"],
                     [[date(2026, 3, 2), "人民路1号", "北关街道", "垃圾堆放", "待整改"]])
    name = '**粗体** [链接](http://x) :red[红字] $x^2$ <img src=x onerror=window.pwned=1>.xlsx'
    with dashboard_server(db, tmp_path / "streamlit.log") as url:
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.goto(f"{url}/import")
        wait_for_page(page, "数据导入")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
            {"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "buffer": src.read_bytes()})
        settle(page)
        page.get_by_role("heading", name="检查结果").wait_for()
        main = page.locator('[data-testid="stMain"]')
        shown = main.get_by_text(name, exact=False)
        assert shown.count() >= 1, main.inner_text()[:2000]
        page.get_by_role("button", name="确认导入").click()
        settle(page)
        page.get_by_role("heading", name="导入完成").wait_for()
        assert main.get_by_text(name, exact=False).count() >= 2  # the result and the import log
        assert main.locator("img[src='x']").count() == 0 and main.locator("a[href='http://x']").count() == 0
        inner_bold = page.evaluate("[...document.querySelectorAll('strong')].filter(e => e.textContent === '粗体').length")
        assert inner_bold == 0 and main.locator(".katex").count() == 0
        assert page.evaluate("[...document.querySelectorAll('[data-testid=stMain] span')]"
                             ".filter(e => e.textContent === '红字' && e.style.color).length") == 0
        assert page.evaluate("window.pwned === undefined")
