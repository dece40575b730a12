"""First start: build the demo store when none exists, showing progress."""
from __future__ import annotations

import streamlit as st

from campaign.config import db_path


def ensure_database() -> None:
    path = db_path()
    if path.exists():
        return
    from campaign.demo import build_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    st.title("创城指挥台")
    st.info("首次启动：正在生成演示数据（临江区，52周督查台账、8轮测评），约需十几秒。")
    bar = st.progress(0.0, text="准备中……")
    build_demo(path, progress=lambda frac, msg: bar.progress(min(frac, 1.0), text=msg))
    bar.empty()
    st.rerun()
