"""创城指挥台 — entry point: sign-in, the pages each role may open, global filters."""
import streamlit as st

from campaign.app import printing, ui
from campaign.app.bootstrap import ensure_database

st.set_page_config(page_title="创城指挥台", page_icon="🏙️", layout="wide", initial_sidebar_state="expanded")
pages = {
    "指挥台": [
        st.Page("pages/overview.py", title="总览", icon="🏠", default=True, url_path="overview"),
        st.Page("pages/meeting.py", title="会议模式", icon="📽️", url_path="meeting"),
    ],
    "分析": [
        st.Page("pages/trends.py", title="得分趋势", icon="📈", url_path="trends"),
        st.Page("pages/shortboards.py", title="短板指标", icon="🎯", url_path="shortboards"),
        st.Page("pages/rankings.py", title="排名", icon="🏅", url_path="rankings"),
        st.Page("pages/rectification.py", title="整改", icon="🛠️", url_path="rectification"),
    ],
    "工作": [
        st.Page("pages/readiness.py", title="迎检", icon="🎲", url_path="readiness"),
        st.Page("pages/whatif.py", title="推演", icon="🧮", url_path="whatif"),
        st.Page("pages/briefing.py", title="周调度会通报", icon="📄", url_path="briefing"),
        st.Page("pages/notices.py", title="交办单", icon="📨", url_path="notices"),
        st.Page("pages/problem.py", title="问题查询", icon="🔎", url_path="problem"),
        st.Page("pages/import.py", title="数据导入", icon="📥", url_path="import"),
    ],
    "系统": [
        st.Page("pages/admin.py", title="系统管理", icon="⚙️", url_path="admin"),
    ],
}
# The least role that may open a page, by url_path; every other page is open to viewers (领导, read-only).
# A role's navigation leaves out what it may not open, so such a link shows the overview instead.
MIN_ROLE = {"import": "editor", "admin": "admin"}

st.session_state[ui.ENTERED] = True
user = ui.current_user()
if user is None:
    # nothing but the sign-in form; the link's page and query stay, and open after signing in
    st.navigation([p for entries in pages.values() for p in entries], position="hidden")
    ui.login_form()
    st.stop()
pages = {section: [p for p in entries if user.can(MIN_ROLE.get(p.url_path, "viewer"))]
         for section, entries in pages.items()}
pages = {section: entries for section, entries in pages.items() if entries}
nav = st.navigation(pages, expanded=True)  # every page listed (13 pages: Streamlit would fold them after ten)
ensure_database()
ui.connection()  # the store opens here, outside any cache: a store that cannot open says so, with the way out
st.sidebar.markdown("## 创城指挥台")
with st.sidebar.form("find_problem", clear_on_submit=True, border=False):
    # one box on every page: a ledger number, a site or words of a description open 问题查询
    found = st.text_input("查找问题", placeholder="台账编号、点位或描述", key="find_q")
    if st.form_submit_button("查找", icon=":material/search:") and found.strip():
        st.switch_page("pages/problem.py", query_params={"q": found.strip()})
st.session_state["_filters"] = ui.sidebar_filters()
ui.sidebar_account(user)
printing.setup()  # Ctrl+P on any page: A4 landscape, no sidebar, charts whole
nav.run()
