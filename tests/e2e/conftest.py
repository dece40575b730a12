"""A dashboard server for browser tests: `streamlit run dashboard.py` on a free port against the session's demo store.

DuckDB lets one process at a time open a store for writing, so while the server runs this process must not hold
the demo store open: compute expected numbers before asking for ``dashboard_url`` (fixtures are set up in the
order a test lists them), and the fixture first drops the connection the in-process page tests cached.
The server lives for one test module and is stopped afterwards.
"""
from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from screenshots import CHROMIUM_ARGS, chromium_path  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _release_store() -> None:
    ui = sys.modules.get("campaign.app.ui")
    if ui is not None:
        ui._connection.clear()
    gc.collect()


@contextlib.contextmanager
def dashboard_server(db: Path, log: Path, env: dict | None = None, address: str | None = None):
    """`streamlit run dashboard.py` on a free port against ``db``; yields its base URL once it answers, and
    stops it (its whole process group) when the block ends. ``address`` 0.0.0.0 listens as an office server."""
    port = free_port()
    env = {**os.environ, "CAMPAIGN_DB": str(db), **(env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    if address:
        cmd += ["--server.address", address]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}" if address else f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def dashboard_url(demo_db, tmp_path_factory):
    """Base URL of a running dashboard on the demo store (open "/" or any page link; both work)."""
    _release_store()
    with dashboard_server(demo_db, tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser_page():
    """A headless Chromium page (the system Chromium; downloads allowed), closed after the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN", accept_downloads=True)
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        yield page
        ctx.close()
        browser.close()
