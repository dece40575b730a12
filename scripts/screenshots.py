"""Screenshots of every page in headless Chromium: python scripts/screenshots.py [URL] [OUT_DIR].

Starts nothing; point it at a running dashboard (./run.sh). Used for docs/ and the README.
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {"overview": "总览", "trends": "得分趋势", "shortboards": "短板指标", "rankings": "排名",
         "rectification": "整改", "whatif": "推演", "briefing": "周调度会通报", "import": "数据导入",
         "admin": "系统管理"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(p).exists():
            return p
    return None


def wait_for_page(page, title: str | None = None) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_timeout(500)
    page.wait_for_function(
        """() => document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
                 && !document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]')""",
        timeout=60_000)
    if page.query_selector('[data-testid="stDataFrame"]'):
        page.wait_for_timeout(2500)  # tables paint on a canvas after load
    if title:
        page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)


def main(base: str = "http://localhost:8501", out: str = "docs/screenshots", only: list[str] | None = None) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        for slug in only or PAGES:
            resp = page.goto(f"{base}/{'' if slug == 'overview' else slug}")
            if resp is None or resp.status >= 400:
                continue
            wait_for_page(page)
            page.wait_for_timeout(2500)  # a cold first run may not have started when the first wait looked
            wait_for_page(page)
            page.screenshot(path=str(out_dir / f"{slug}.png"), full_page=True)
            print("saved", out_dir / f"{slug}.png")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3], only=sys.argv[3:] or None)
