"""Every analysis page printed to PDF in headless Chromium (the browser's own print path, at a 1920×1080 screen):
A4 landscape, nothing of the sidebar on paper, no word past the page's right edge (a chart cut at the paper's
edge leaves its axis labels there), and the charts on paper."""
from __future__ import annotations

import re
from collections import Counter
import shutil
import subprocess
import sys

import pytest

from campaign.config import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import CHROMIUM_ARGS, chromium_path, wait_for_page  # noqa: E402

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdfinfo, pdftotext) needed")]

PAGES = {"overview": "总览", "trends": "得分趋势", "shortboards": "短板指标", "rankings": "排名",
         "rectification": "整改", "whatif": "推演", "briefing": "周调度会通报"}
# words only the sidebar shows on these pages: navigation, the problem search, the filters' switch
SIDEBAR_WORDS = ["会议模式", "交办单", "问题查询", "数据导入", "系统管理", "查找问题", "按日期区间", "当前用户"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, width: int, height: int):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return ctx, page


@pytest.fixture(scope="module")
def wide_page(browser):
    ctx, page = new_page(browser, 1920, 1080)
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def small_page(browser):
    """A 1280×720 screen with the sidebar open: the main column is narrower than the paper."""
    ctx, page = new_page(browser, 1280, 720)
    yield page
    ctx.close()


def pdf_words(path) -> tuple[float, float, list[tuple[str, float]]]:
    """Page width and height (pt) and every word with its right edge, as pdftotext -bbox reads them."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    w, h = (float(x) for x in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html).groups())
    words = [(m.group(2), float(m.group(1))) for m in re.finditer(r'<word [^>]*xMax="([\d.]+)"[^>]*>([^<]*)</word>', html)]
    return w, h, words


@pytest.mark.parametrize("slug", list(PAGES))
def test_page_prints_to_a4_landscape_without_sidebar(slug, dashboard_url, wide_page, tmp_path):
    check_print(wide_page, dashboard_url, slug, tmp_path)


@pytest.mark.parametrize("slug", ["overview", "trends"])
def test_a_small_screen_prints_the_same_way(slug, dashboard_url, small_page, tmp_path):
    check_print(small_page, dashboard_url, slug, tmp_path)


def check_print(page, dashboard_url: str, slug: str, tmp_path) -> None:
    page.goto(f"{dashboard_url}/{'' if slug == 'overview' else slug}")
    wait_for_page(page)
    page.get_by_text("当前用户").wait_for()  # the sidebar is drawn to its end
    page.wait_for_function("() => document.__printFit === true")  # print stylesheet and its script are in
    assert page.locator("h1").first.inner_text().startswith(PAGES[slug])
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert all(w in sidebar for w in SIDEBAR_WORDS), sidebar  # on screen they are there
    charts = page.locator(".js-plotly-plot").count()
    main = page.locator('[data-testid="stMain"]').inner_text()
    only_sidebar = [w for w in SIDEBAR_WORDS if w not in main]  # a page may name another page in its own text

    pdf = tmp_path / f"{slug}.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    w, h = (float(x) for x in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert round(w) == 842 and round(h) in (595, 596), info  # A4 landscape, from the page's own @page rule

    width, _, words = pdf_words(pdf)
    text = "".join(t for t, _ in words)
    assert PAGES[slug] in text
    assert len(only_sidebar) >= 5 and not [s for s in only_sidebar if s in text]
    past = [(t, x) for t, x in words if x > width + 0.5]
    assert not past, past[:10]
    if charts:
        # a chart's axis labels are text on paper too: a chart cut at the paper's edge loses its right-most
        # labels, so every label drawn on screen must be on paper as often as it was drawn
        # (slanted labels are left out: the PDF gives their glyphs interleaved, so they cannot be read back)
        drawn = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot .xtick text')]
          .filter(t => !(t.getAttribute('transform') || '').includes('rotate')).flatMap(t => {
            const lines = t.querySelectorAll('tspan.line');  // a label broken over lines prints as one word a line
            return lines.length ? [...lines].map(l => l.textContent) : [t.textContent]; })""")
        labels = Counter(t.replace(" ", "") for t in drawn if t and t.strip())
        # counted in the page's text run together: a slanted label comes out of the PDF a glyph at a time
        missing = {t: n - text.count(t) for t, n in labels.items() if text.count(t) < n}
        assert labels and not missing, missing
