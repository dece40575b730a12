"""The part of ``python -m campaign bench`` that goes through the dashboard itself: every page rendered with
AppTest, and concurrent sessions through the app's cache layer (campaign.app.ui). Called by campaign.bench."""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from campaign import briefing, queries
from campaign.analysis import metrics
from campaign.bench import default_params, page_files, summarise
from campaign.config import ROOT


def time_pages(db: Path, runs: int) -> dict:
    """Render each page with AppTest; data caches are cleared before every run (a cold view)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["CAMPAIGN_DB"] = str(db)
    entry = str(ROOT / "dashboard.py")
    out = {}
    warm = AppTest.from_file(entry, default_timeout=300)
    warm.run()  # imports and the process's connection
    for slug, file in page_files():
        samples = []
        for _ in range(runs):
            at = AppTest.from_file(entry, default_timeout=300)
            at.run()
            at.switch_page(file)
            st.cache_data.clear()
            briefing.forget_built()
            t = time.perf_counter()
            at.run()
            samples.append(time.perf_counter() - t)
            if at.exception:
                raise RuntimeError(f"页面 {slug} 出错：{at.exception[0].value}")
        out[slug] = summarise(samples)
    return out


def overview_load(ui, f: dict) -> None:
    """What one leader's overview page asks, through the app's own cache layer (campaign.app.ui)."""
    rounds = ui.call(metrics.round_scores)
    rid = int(rounds["round_id"].iloc[-1]) if len(rounds) else None
    ui.query("week_summary", **f)
    ui.query("week_summary", **{**f, "start": f["prev_start"], "end": f["prev_end"]})
    if rid is not None:
        detail = ui.call(metrics.round_detail, round_id=rid)
        metrics.bottom_table(detail.street_lost,
                             ui.query("week_problems_by_street", **f), "street", "街道（镇）")
        metrics.bottom_table(detail.department_lost,
                             ui.query("week_problems_by_department", **f), "department", "责任单位")


def time_concurrent(db: Path, sessions: int = 16, loads: int = 5) -> dict:
    """``sessions`` threads load the overview at once, each with its own filters (4 weeks × 4 streets),
    sharing the process's one connection and data cache as the app's sessions do. Caches start cold."""
    import logging

    import streamlit as st

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["CAMPAIGN_DB"] = str(db)
    from campaign.app import ui

    con = ui.connection()
    base = default_params(con)
    streets = queries.run(con, "street_list")["street"].tolist()[:4] or [None]
    st.cache_data.clear()

    def session(i: int) -> list[float]:
        shift = timedelta(days=7 * (i % 4))
        f = {**base, "start": base["start"] - shift, "end": base["end"] - shift,
             "prev_start": base["prev_start"] - shift, "prev_end": base["prev_end"] - shift,
             "street": streets[(i // 4) % len(streets)]}
        samples = []
        for _ in range(loads):
            t = time.perf_counter()
            overview_load(ui, f)
            samples.append(time.perf_counter() - t)
        return samples

    with ThreadPoolExecutor(max_workers=sessions) as pool:
        results = list(pool.map(session, range(sessions)))
    return {"sessions": sessions, **summarise([s for r in results for s in r])}


def release_connections() -> None:
    """Close the app's cached connection before the interpreter shuts down (DuckDB aborts if it is torn down
    with the process)."""
    import gc

    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()
