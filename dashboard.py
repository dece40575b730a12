"""创城指挥台 — entry point: navigation and global filters only."""
import streamlit as st

from campaign import ui
from campaign.bootstrap import ensure_database

st.set_page_config(page_title="创城指挥台", page_icon="🏙️", layout="wide", initial_sidebar_state="expanded")
pages = {
    "指挥台": [
        st.Page("pages/overview.py", title="总览", icon="🏠", default=True, url_path="overview"),
    ],
    "分析": [
    ],
    "工作": [
    ],
}
pages = {section: entries for section, entries in pages.items() if entries}
nav = st.navigation(pages)
ensure_database()
st.sidebar.markdown("## 创城指挥台")
st.session_state["_filters"] = ui.sidebar_filters()
nav.run()
