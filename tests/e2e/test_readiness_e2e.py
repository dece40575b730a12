"""迎检 page in headless Chromium at a meeting-room laptop's and a projector's size: it renders its odds, fan chart,
risk map and standards with nothing fetched from outside the dashboard (no map tiles), and is photographed."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from campaign.config import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import wait_for_page  # noqa: E402

pytestmark = pytest.mark.e2e
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else \
    Path(tempfile.mkdtemp(prefix="campaign-shots-"))


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_the_readiness_page_draws_without_the_internet(dashboard_url, browser_page, width, height):
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    hosts = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname))
    page.goto(f"{dashboard_url}/readiness")
    wait_for_page(page, "迎检预测 · 下次测评的把握")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".js-plotly-plot").count() == 3  # fan chart, risk map, standards
    assert page.locator(".mapboxgl-map, .maplibregl-map").count() == 0
    page.get_by_text("前 20 个风险点位").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() > 20  # the outlines are drawn
    assert hosts <= {"localhost", "127.0.0.1"}, hosts  # nothing from outside: no tiles, no fonts, no scripts
    page.screenshot(path=str(SHOTS / f"readiness-map-{width}.png"))
    assert (SHOTS / f"readiness-map-{width}.png").stat().st_size > 30_000
