"""Who may see and do what: the sign-in gate, the pages each role finds in its navigation, forbidden pages that do
not run when their link is opened, and writes a viewer cannot make (import, saved scenario, undo)."""
from __future__ import annotations

import re
import textwrap

import duckdb
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from campaign import auth
from campaign.config import ROOT

ENTRY = str(ROOT / "dashboard.py")
USERS = {"viewer": ("wang", "王书记"), "editor": ("li", "李科长"), "admin": ("zhao", "赵主任")}
PASSWORD = "correct-horse-9"
ALL = ["overview", "meeting", "trends", "shortboards", "rankings", "rectification", "readiness", "whatif", "briefing",
       "notices", "problem", "import", "admin"]
ALLOWED = {"viewer": ALL[:11], "editor": ALL[:12], "admin": ALL}


def page_files() -> dict[str, str]:
    """url_path → page file, as dashboard.py registers them."""
    text = (ROOT / "dashboard.py").read_text(encoding="utf-8")
    return {url: file for file, url in re.findall(r'st\.Page\("([^"]+)".*?url_path="([^"]+)"', text)}


FOLDER_MODE_INIT = PagesManager.__init__


@pytest.fixture(autouse=True)
def as_on_a_server(monkeypatch):
    """Every run goes through dashboard.py, as on a server after its first page view. (AppTest otherwise starts
    each run in Streamlit's old pages/ folder mode, which a server leaves for good at the first st.navigation.)"""

    def init(self, *args, **kwargs):
        FOLDER_MODE_INIT(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "accounts.yaml"
    for role, (name, display) in USERS.items():
        auth.add_user(name, PASSWORD, role, display, path=path)
    return path


@pytest.fixture()
def accounts(accounts_file, app_env, monkeypatch):
    """Accounts exist, so a login is required even on localhost; the dashboard reads the demo store."""
    monkeypatch.setenv("CAMPAIGN_ACCOUNTS", str(accounts_file))
    auth.throttle.succeeded(USERS["viewer"][0])
    return accounts_file


def user(role: str) -> auth.User:
    name, display = USERS[role]
    return auth.User(name, role, display)


def app(role: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    if role:
        at.session_state["_user"] = user(role)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def is_login(at: AppTest) -> bool:
    return bool(at.title) and at.title[0].value == "创城指挥台 · 登录"


def open_url(at: AppTest, url_path: str) -> AppTest:
    """What a browser does with a link to /<url_path>: ask for the page by the hash of its URL path."""
    at._page_hash = calc_hash(url_path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_page_table_matches_the_roles():
    assert list(page_files()) == ALL


def test_nothing_but_the_login_form_before_signing_in(accounts):
    at = app()
    assert is_login(at)
    assert not at.main.metric and not at.sidebar.selectbox  # no numbers, no filters
    for url in ALL:
        at = open_url(at, url)
        assert is_login(at), url
        assert not at.main.metric and not at.get("file_uploader") and not at.main.dataframe, url


def test_the_first_visitor_opening_a_page_link_meets_the_login(accounts, monkeypatch):
    """Before any st.navigation in a fresh server process, Streamlit would run a pages/ file on its own; the page's
    first call sends the run through dashboard.py, so the login still comes first."""
    monkeypatch.setattr(PagesManager, "__init__", FOLDER_MODE_INIT)
    for file in ("pages/admin.py", "pages/import.py", "pages/overview.py"):
        at = AppTest.from_file(ENTRY, default_timeout=120)
        at.switch_page(file)  # before any run: Streamlit looks the file up in the pages/ folder
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert is_login(at), file
        assert not at.main.metric and not at.get("file_uploader") and not at.main.dataframe


def test_a_link_opens_its_page_after_signing_in(accounts):
    at = app()
    at.switch_page("pages/briefing.py").run()
    assert is_login(at)
    at.text_input(key="login_name").input("wang")
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert is_login(at) and at.error[0].value == "用户名或密码不正确。"
    at.text_input(key="login_name").input("wang")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not is_login(at)
    assert at.session_state["_user"] == user("viewer")
    assert "通报" in at.title[0].value  # the page the link named


def test_repeated_wrong_passwords_lock_the_name_for_a_while(accounts):
    at = app()
    for _ in range(auth.throttle.limit):
        at.text_input(key="login_name").input("wang")
        at.text_input(key="login_password").input("guess-guess")
        at.button[0].click().run()
    at.text_input(key="login_name").input("wang")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert is_login(at) and "登录失败次数过多" in at.error[0].value
    auth.throttle.succeeded("wang")


def test_behind_a_proxy_without_accounts_the_first_visitor_creates_the_admin(app_env, tmp_path, monkeypatch):
    """A proxy on the same machine forwards to 127.0.0.1: that visit is not the local admin."""
    from campaign.app import ui

    path = tmp_path / "accounts.yaml"
    monkeypatch.setenv("CAMPAIGN_ACCOUNTS", str(path))
    monkeypatch.setattr(ui, "request_headers", lambda: {"X-Forwarded-For": "203.0.113.9"})
    monkeypatch.setattr(ui, "client_address", lambda: "127.0.0.1")
    at = app()
    assert is_login(at) and not at.main.metric and "还没有账号" in at.info[0].value
    at.text_input(key="first_name").input("chuangcheng")
    at.text_input(key="first_password").input("first-pass-1")
    at.text_input(key="first_again").input("first-pass-2")
    at.button[0].click().run()
    assert is_login(at) and at.error[0].value == "两次输入的密码不一致。" and not path.exists()
    at.text_input(key="first_again").input("first-pass-1")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not is_login(at) and at.main.metric  # signed in, on the overview
    assert auth.load_accounts(path)["chuangcheng"]["role"] == "admin"
    other = app()  # the next visitor meets the ordinary sign-in form
    assert is_login(other) and other.text_input(key="login_name") and not other.info


def test_a_direct_visit_on_this_machine_without_accounts_is_the_local_admin(app_env, tmp_path, monkeypatch):
    from campaign.app import ui

    monkeypatch.setenv("CAMPAIGN_ACCOUNTS", str(tmp_path / "none.yaml"))
    monkeypatch.setattr(ui, "request_headers", lambda: {"Host": "localhost:8501"})
    monkeypatch.setattr(ui, "client_address", lambda: "127.0.0.1")
    at = app()
    assert not is_login(at) and at.main.metric


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_finds_its_pages_in_the_navigation(accounts, role):
    at = app(role)
    assert not is_login(at) and at.main.metric  # the overview
    name, display = USERS[role]
    assert any(f"当前用户：{display}（{auth.ROLES[role]}）" in c.value for c in at.sidebar.caption)
    files = page_files()
    for url in ALL:
        if url in ALLOWED[role]:
            at.switch_page(files[url])  # registered: no error
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(files[url])


@pytest.mark.parametrize("role,url", [("viewer", "import"), ("viewer", "admin"), ("editor", "admin")])
def test_a_forbidden_page_does_not_run_from_its_link(accounts, role, url):
    at = open_url(app(role), url)
    assert not at.get("file_uploader") and not at.get("download_button")
    assert not any(t.value in ("数据导入", "系统管理") for t in at.title)
    assert any("此页面需要" in e.value for e in at.error) or (at.title and "数据导入" not in at.title[0].value)


@pytest.mark.parametrize("url", ALLOWED["viewer"])
def test_a_viewer_opens_every_reading_page(accounts, url):
    at = app("viewer")
    at.switch_page(page_files()[url]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("此页面需要" in e.value for e in at.error)
    assert at.title and not is_login(at)


def test_an_editor_opens_the_import_page_and_an_admin_the_admin_page(accounts):
    at = app("editor")
    at.switch_page("pages/import.py").run()
    assert at.title[0].value == "数据导入" and at.get("file_uploader")
    at = app("admin")
    at.switch_page("pages/admin.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "系统管理"
    names = at.main.dataframe[-1].value["用户名"].tolist() if at.main.dataframe else []
    assert {"wang", "li", "zhao"} <= set(names)


def test_a_viewer_is_not_offered_saving_a_scenario(accounts):
    at = app("viewer")
    at.switch_page("pages/whatif.py").run()
    assert not at.exception
    assert "保存当前设定" not in [b.label for b in at.get("form_submit_button")] + [b.label for b in at.button]
    assert any("保存方案需要“创城办”权限" in c.value for c in at.caption)
    editor = app("editor")
    editor.switch_page("pages/whatif.py").run()
    assert "保存当前设定" in [b.label for b in editor.get("form_submit_button")]


def test_only_the_office_is_offered_publishing_the_ranking(accounts):
    viewer = app("viewer")
    viewer.switch_page("pages/rankings.py").run()
    assert not viewer.exception
    assert "publish" not in [b.key for b in viewer.button]
    assert any("排名尚未发布" in m.value or "排名已发布" in m.value for m in viewer.markdown)  # leaders see the status
    editor = app("editor")
    editor.switch_page("pages/rankings.py").run()
    assert "publish" in [b.key for b in editor.button]


WRITE_SCRIPT = textwrap.dedent('''
    import streamlit as st
    from campaign.app import ui

    def mark(con):
        cur = con.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS store.role_probe (x INTEGER)")
        cur.execute("INSERT INTO store.role_probe VALUES (1)")
        return "written"

    st.write(ui.write(mark))
''')


@pytest.mark.parametrize("role,allowed", [("viewer", False), ("editor", True)])
def test_the_write_path_itself_checks_the_role(accounts, tmp_path, monkeypatch, role, allowed):
    """A hidden button is not a permission: ui.write refuses a viewer even when called."""
    from campaign.store import init_store

    db = tmp_path / "probe.duckdb"
    init_store(db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    script = tmp_path / "probe_app.py"
    script.write_text(WRITE_SCRIPT, encoding="utf-8")
    at = AppTest.from_file(str(script), default_timeout=60)
    at.session_state["_user"] = user(role)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    con = duckdb.connect(str(db))  # in this process: the app's own database instance
    try:
        n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'role_probe'").fetchone()[0]
    finally:
        con.close()
    assert bool(n) == allowed
    if not allowed:
        assert "此页面需要“创城办（导入、发布）”权限。" in at.error[0].value


def test_a_removed_account_or_a_lowered_role_takes_effect_at_the_next_click(accounts_file, app_env, monkeypatch,
                                                                           tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_bytes(accounts_file.read_bytes())
    monkeypatch.setenv("CAMPAIGN_ACCOUNTS", str(path))
    at = app("editor")
    at.switch_page("pages/import.py").run()
    assert at.title[0].value == "数据导入"
    auth.add_user("li", PASSWORD, "viewer", "李科长", path=path)
    open_url(at, "import")
    assert not at.get("file_uploader")
    assert at.session_state["_user"].role == "viewer"
    auth.remove_user("li", path=path)
    at.run()
    assert is_login(at)


def test_signing_out(accounts):
    at = app("viewer")
    at.sidebar.button(key="logout").click().run()
    assert is_login(at)
    assert "_user" not in at.session_state


def test_on_this_machine_without_accounts_no_login_and_full_rights(app_env):
    at = app()
    assert not is_login(at)
    assert any("本机用户（管理员）" in c.value for c in at.sidebar.caption)
    assert not [b for b in at.sidebar.button if b.label == "退出登录"]
    at.switch_page("pages/admin.py").run()
    assert at.title[0].value == "系统管理"


def test_login_throttle_grows_per_name_and_address_and_never_locks_out_the_owner():
    t = auth.Throttle(limit=3, window=900, max_delay=300)
    for i in range(3):
        assert t.begin("a", "10.0.0.9", now=100 + i) == 0  # three free guesses
    assert t.begin("a", "10.0.0.9", now=102) == 2          # then 2 s after the last failure ...
    assert t.begin("a", "10.0.0.9", now=104) == 0
    assert t.begin("a", "10.0.0.9", now=105) == 3          # ... then 4 s, 8 s, growing
    assert t.blocked("a", "10.0.0.1", now=105) == 0        # the owner at another address is not delayed
    assert t.begin("a", "10.0.0.1", now=105) == 0
    t.succeeded("a", "10.0.0.1")
    for i in range(12):                                    # one guess every 5 minutes, all day
        t.failed("a", "10.0.0.9", now=1000 + 300 * i)
    assert t.blocked("a", "10.0.0.9", now=1000 + 300 * 11 + 301) == 0  # the delay never passes max_delay


def test_fifteen_attempts_at_once_are_checked_one_after_another():
    """Each attempt is counted when it starts: the sixth of fifteen simultaneous tries already waits."""
    import threading

    t = auth.Throttle(limit=5)
    answers, gate = [], threading.Barrier(15)

    def attempt():
        gate.wait()
        answers.append(t.begin("admin", "10.0.0.9"))

    threads = [threading.Thread(target=attempt) for _ in range(15)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(answers).count(0) == 5 and all(a > 0 for a in sorted(answers)[5:])


def test_passwords_over_72_bytes(tmp_path):
    path = tmp_path / "accounts.yaml"
    auth.add_user("wang", "correct-horse", "viewer", path=path)
    long = "密" * 25  # 75 bytes
    assert auth.authenticate("wang", long, path=path) is None
    assert auth.authenticate("nobody", long, path=path) is None  # the same answer: no name is revealed
    with pytest.raises(auth.AuthError, match="72 字节"):
        auth.add_user("li", long, "viewer", path=path)


# ---------------------------------------------------------------------------------------------------- in a browser
@pytest.fixture()
def office_server(demo_db, accounts_file, tmp_path):
    """The dashboard as on an office server: every interface (--server.address 0.0.0.0), accounts in a file."""
    from campaign import ops
    from tests.e2e.conftest import dashboard_server

    con = duckdb.connect(str(demo_db))
    try:
        db = ops.backup(con, tmp_path / "office.duckdb")  # its own copy: the server holds it for itself
    finally:
        con.close()
    env = {"CAMPAIGN_ACCOUNTS": str(accounts_file), "CAMPAIGN_BACKUP_HOURS": "0", "CAMPAIGN_REQUIRE_LOGIN": ""}
    with dashboard_server(db, tmp_path / "server.log", env=env, address="0.0.0.0") as url:
        yield url


@pytest.mark.e2e
def test_in_a_browser_the_login_comes_first_and_each_role_sees_its_pages(office_server):
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
    from screenshots import wait_for_page  # scripts/ is on the path once tests.e2e.conftest is imported

    def sign_in(page, role: str) -> None:
        name = USERS[role][0]
        page.get_by_role("heading", name="创城指挥台 · 登录").wait_for()
        assert page.locator('[data-testid="stMetric"]').count() == 0  # nothing before the login
        page.get_by_label("用户名").fill(name)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_text(f"当前用户：{USERS[role][1]}").wait_for(timeout=60_000)
        wait_for_page(page)

    def nav(page) -> set[str]:
        return {t.strip() for t in page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            page.set_default_timeout(60_000)
            page.goto(f"{office_server}/import")
            sign_in(page, "viewer")
            assert page.locator('[data-testid="stFileUploader"]').count() == 0  # the import page did not run
            assert page.url.rstrip("/") == office_server and "数据导入" not in nav(page) and "系统管理" not in nav(page)
            assert any("总览" in t for t in nav(page)) and any("推演" in t for t in nav(page))

            page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            page.goto(f"{office_server}/briefing?week=第51周")
            sign_in(page, "editor")
            assert "/briefing" in page.url
            page.get_by_role("heading", name="周调度会通报 · 第51周").wait_for()
            assert any("数据导入" in t for t in nav(page)) and not any("系统管理" in t for t in nav(page))

            page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            page.goto(f"{office_server}/import")
            sign_in(page, "admin")
            page.get_by_role("heading", name="数据导入").wait_for()
            assert page.locator('[data-testid="stFileUploader"]').count() == 1
            assert any("系统管理" in t for t in nav(page))
        finally:
            browser.close()


@pytest.mark.e2e
def test_in_a_browser_a_reload_keeps_the_user_signed_in_until_sign_out(office_server):
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
    from screenshots import wait_for_page

    login = "创城指挥台 · 登录"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(office_server)
            page.get_by_role("heading", name=login).wait_for()
            page.get_by_label("用户名").fill(USERS["viewer"][0])
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.get_by_text(f"当前用户：{USERS['viewer'][1]}").wait_for(timeout=60_000)
            wait_for_page(page)
            page.wait_for_function("document.cookie.includes('cc_session=')", timeout=30_000)
            cookie = next(c for c in context.cookies() if c["name"] == "cc_session")
            assert len(cookie["value"]) >= 40 and cookie["sameSite"] == "Strict" and cookie["expires"] > 0

            page.reload()  # a reload, or a new tab of the same browser: still signed in
            page.get_by_text(f"当前用户：{USERS['viewer'][1]}").wait_for(timeout=60_000)
            assert page.get_by_role("heading", name=login).count() == 0
            other = context.new_page()
            other.goto(f"{office_server}/briefing")
            other.get_by_text(f"当前用户：{USERS['viewer'][1]}").wait_for(timeout=60_000)
            other.close()

            page.get_by_role("button", name="退出登录").click()
            page.get_by_role("heading", name=login).wait_for()
            page.wait_for_function("!document.cookie.includes('cc_session=')", timeout=30_000)
            page.reload()
            page.get_by_role("heading", name=login).wait_for()

            # a copied cookie of a signed-out session signs nobody in
            stale = browser.new_context(locale="zh-CN")
            stale.add_cookies([{**cookie, "expires": -1}])
            again = stale.new_page()
            again.goto(office_server)
            again.get_by_role("heading", name=login).wait_for()
            stale.close()
        finally:
            browser.close()


def test_every_page_goes_through_the_entry_and_the_login_first():
    """A link opened before dashboard.py has run in a fresh server runs the page alone (Streamlit's folder
    mode): each page's first statement that shows or reads anything is ui.require or ui.filters, which send
    the run through the entry and the sign-in first."""
    for url, file in page_files().items():
        lines = [ln for ln in (ROOT / file).read_text(encoding="utf-8").splitlines()
                 if re.match(r"^[A-Za-z_][\w., ]*(=|\()", ln) and not ln.startswith(("def ", "class ", "import ",
                                                                                     "from "))]
        first = next(ln for ln in lines if re.search(r"\b(st|ui)\.", ln) and ln != "ss = st.session_state")
        assert re.search(r"ui\.(require|filters)\(", first), (url, first)
