"""Streamlit glue shared by the pages: one connection per process, cached queries, global filters, sign-in;
the palette (campaign.analysis.figures) and the drawing helpers (campaign.app.draw) under the names the pages use.

Like the rest of campaign/app/, the only part of the package that imports Streamlit (tests/app/test_package_shape.py).
"""
from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from campaign import queries
from campaign.analysis.figures import AMBER, BLUE, FONT, GREEN, GREY, RED, style  # noqa: F401 (the pages' palette)
from campaign.app.draw import excel_bytes, excel_download, fmt_delta, small_multiples  # noqa: F401 (the pages' helpers)
from campaign.config import OfficeFileError, db_path, load_office
from campaign.model.weeks import Week, week_number, week_of
from campaign.store import data_version, sync_office_settings, writes_in_process

ALL = "全部"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> tuple[duckdb.DuckDBPyConnection | None, str | None, str | None]:
    """(connection, read-only note, error): opened once per process; a store that cannot be opened is
    tried again on the next visit."""
    import atexit

    from campaign import ops
    from campaign.store import StoreOpenError, checkpoint_and_close, open_app_store

    ops.clean_stale_temp(Path(path).parent, ops.backup_settings(path).directory)
    try:
        con, note = open_app_store(path)
    except StoreOpenError as e:
        return None, None, str(e)
    # SIGTERM/SIGINT stop the server, then the interpreter exits: checkpoint on the way (a weak reference, so a
    # connection dropped from the cache still lets the file go)
    ref = weakref.ref(con)
    atexit.register(lambda: (c := ref()) is not None and checkpoint_and_close(c))
    return con, note, None


def _connection(path: str) -> duckdb.DuckDBPyConnection:
    from campaign import ops

    con, note, error = _open(path)
    done = st.session_state.pop("_restored", None)
    if done:
        (st.success if done[0] == "success" else st.error)(done[1])
    if error:
        _open.clear()
        st.error(error)
        _offer_restore(path)
        st.stop()
    if note:
        st.warning(note)
        return con
    if id(con) in _started:
        return con
    try:
        sync_office_settings(con)  # office.yaml's unit_attribution → store.meta, read by the problem_units view
    except OfficeFileError as exc:
        st.error(str(exc))  # tried again on the next visit, once the file is put right
        st.stop()
    _started.add(id(con))
    try:
        ops.start_auto_backup(con, path)  # CAMPAIGN_BACKUP_HOURS / _DIR / _KEEP; the app holds the file's lock
    except ops.OpsError as exc:
        st.warning(f"自动备份未启动：{exc}")
    return con


def _store_or_none() -> duckdb.DuckDBPyConnection | None:
    """The connection when the store opens, else None, drawing nothing (sign-in works without the store)."""
    path = str(db_path())
    if not Path(path).exists():
        return None  # the first start builds the demo after the sign-in (bootstrap.ensure_database)
    con, _, error = _open(path)
    if error:
        _open.clear()
        return None
    return con


def _offer_restore(path: str) -> None:
    """On the screen that says the store cannot be opened: an administrator can put the newest automatic
    backup in its place from here (the damaged file is kept beside it as .before-restore)."""
    from campaign import auth, ops

    try:
        newest = ops.list_backups(ops.backup_settings(path).directory, Path(path).stem)
    except ops.OpsError:
        newest = []
    if not newest:
        return
    user = st.session_state.get("_user")
    local = not auth.login_required(st.get_option("server.address"), headers=request_headers(),
                                    remote=client_address())
    if not (local or (user is not None and user.role == "admin")):
        st.caption("管理员登录后可在此页用最新的自动备份恢复。")
        if user is None:
            login_form()
        return
    b = newest[0]
    st.button(f"用最新的自动备份恢复（{b.taken:%Y-%m-%d %H:%M}，数据版本 {b.version}；原文件保留为 .before-restore）",
              type="primary", key="restore_newest", on_click=_restore, args=(str(b.path), path))


def _restore(backup: str, path: str) -> None:
    """The restore button's action (run before the page is drawn again, so the store opens at once)."""
    from campaign import ops

    try:
        st.session_state["_restored"] = ("success", ops.restore(backup, path, wait=5).text())
    except ops.OpsError as e:
        st.session_state["_restored"] = ("error", str(e))
    _open.clear()


_connection.clear = _open.clear  # type: ignore[attr-defined]  # tests and the benchmark let the file go
_started: set[int] = set()  # connections whose office settings are synced and backups started


def connection() -> duckdb.DuckDBPyConnection:
    """The process's one connection; callers take a cursor per query (queries.run does)."""
    return _connection(str(db_path()))


_seen = {"db": None, "version": 0, "writes": -1, "at": 0.0}
VERSION_TTL_S = 1.0


def version() -> tuple[int, int]:
    """The data version caches are keyed on: this process's own writes show at once; the stored version is
    re-read at most once a second (another process can only write while this one has let the file go)."""
    db, writes, now = str(db_path()), writes_in_process(), time.monotonic()
    if db != _seen["db"] or writes != _seen["writes"] or now - _seen["at"] > VERSION_TTL_S:
        _seen.update(db=db, version=data_version(connection()), writes=writes, at=now)
    return _seen["version"], writes


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(key: str, db: str, kind: str, name: str, _params: dict, _fn=None) -> object:
    """``key`` names the call (database, data version, name, parameters); the parameters themselves are passed
    unhashed: hashing them is what Streamlit would otherwise spend most of a cache hit on."""
    con = _connection(db)
    if kind == "query":
        return queries.run(con, name, **_params)
    return _fn(con, **_params)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _once(kind: str, name: str, params: dict, fn=None):
    """Cached call; sessions asking the same thing at once wait for one computation instead of repeating it.

    A query is keyed on the parameters its SQL uses only, so that filters it ignores share one result."""
    if kind == "query":
        params = {p: params.get(p) for p in queries.params_of(name)}
    db = str(db_path())
    call = repr((kind, name, sorted(params.items())))
    with _locks_guard:
        lock = _locks.setdefault(call, threading.Lock())
    with lock:
        return _cached(repr((db, version())) + call, db, kind, name, params, fn)


def query(name: str, **params) -> pd.DataFrame:
    """A named query's result, cached until the data changes."""
    return _once("query", name, params)


def call(fn, **params):
    """``fn(connection, **params)``, cached until the data changes: a domain function's result (``ui.call(
    analysis.ranking, unit=…)``). The function itself is passed; the cache is keyed on its module and name with
    the parameters (which must have a stable repr)."""
    return _once("call", f"{fn.__module__}.{fn.__qualname__}", params, fn)


# ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    week: Week
    round_id: int | None
    round_name: str
    street: str | None
    department: str | None
    site_type: str | None
    category: str | None
    date_from: date | None = None  # a date range (按日期区间) replaces the week when both ends are set
    date_to: date | None = None

    @property
    def by_range(self) -> bool:
        return self.date_from is not None and self.date_to is not None

    @property
    def start(self) -> date:
        return min(self.date_from, self.date_to) if self.by_range else self.week.start

    @property
    def end(self) -> date:
        return max(self.date_from, self.date_to) if self.by_range else self.week.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def prev_start(self) -> date:
        """The period just before, of the same length (the week before, or the range shifted back)."""
        return self.start - timedelta(days=self.days)

    @property
    def prev_end(self) -> date:
        return self.start - timedelta(days=1)

    @property
    def period_label(self) -> str:
        """第52周 or 2026-10-01至2026-11-22."""
        return f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}" if self.by_range else self.week.name

    @property
    def period_word(self) -> str:
        """周 for a campaign week, 期 for a date range (上周 / 上期)."""
        return "期" if self.by_range else "周"

    def params(self) -> dict:
        """The filter values as bound parameters of a named query."""
        return dict(start=self.start, end=self.end, prev_start=self.prev_start,
                    prev_end=self.prev_end, round_id=self.round_id, street=self.street,
                    department=self.department, site_type=self.site_type, category=self.category)


def _options(name: str, column: str) -> list[str]:
    return query(name)[column].dropna().tolist()


def sidebar_filters() -> Filters:
    """Global filters, kept in the URL so that a link reproduces the view."""
    office = load_office()
    latest = query("latest_activity_date")["latest"].iloc[0]
    latest = pd.Timestamp(latest).date() if pd.notna(latest) else date.today()
    last_week = week_of(latest, office.campaign_start)
    weeks = {f"第{n}周": n for n in range(last_week.number, 0, -1)} or {f"第{last_week.number}周": last_week.number}
    rounds = query("assessment_rounds").sort_values("held_on", ascending=False)
    round_ids = dict(zip(rounds["round_name"], rounds["round_id"]))
    sb = st.sidebar
    sb.markdown("#### 筛选")
    date_from = date_to = None
    week = last_week
    if sb.toggle("按日期区间", key="by_range", bind="query-params",
                 help="打开后按起止日期统计，代替周次；与之比较的上一期为紧挨着的同样天数。"):
        date_from = sb.date_input("起始日期", value=last_week.start - timedelta(days=21), key="from",
                                  bind="query-params", format="YYYY-MM-DD")
        date_to = sb.date_input("结束日期", value=last_week.end, key="to", bind="query-params",
                                format="YYYY-MM-DD")
        if date_from and date_to:
            date_from, date_to = min(date_from, date_to), max(date_from, date_to)
            sb.caption(f"{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}（{(date_to - date_from).days + 1} 天）")
    else:
        wlabel = sb.selectbox("周次", list(weeks), key="week", bind="query-params")
        week = week_number(weeks.get(wlabel, last_week.number), office.campaign_start)
        sb.caption(f"{week.start:%Y-%m-%d} 至 {week.end:%Y-%m-%d}")
    rname = sb.selectbox("测评轮次", list(round_ids), key="round", bind="query-params") if round_ids else None
    street = sb.selectbox("街道（镇）", _options("street_list", "street"), index=None, placeholder=ALL,
                          key="street", bind="query-params")
    dept = sb.selectbox("责任单位", _options("department_list", "department"), index=None, placeholder=ALL,
                        key="dept", bind="query-params")
    stype = sb.selectbox("点位类型", _options("site_type_list", "site_type"), index=None, placeholder=ALL,
                         key="site_type", bind="query-params")
    cat = sb.selectbox("问题类别", _options("category_list", "category"), index=None, placeholder=ALL,
                       key="category", bind="query-params")
    rid = round_ids.get(rname) if rname is not None else None
    return Filters(week=week, round_id=int(rid) if rid is not None else None,
                   round_name=rname or "（无测评数据）", street=street, department=dept,
                   site_type=stype, category=cat, date_from=date_from or None, date_to=date_to or None)


def filters() -> Filters:
    """The filters set by the sidebar in this run (dashboard.py sets them before the page runs)."""
    f = st.session_state.get("_filters")
    if f is None:
        through_entry()
        signed_in()
    return f if f is not None else sidebar_filters()


def through_entry() -> None:
    """Make sure this run goes through dashboard.py (navigation, login, roles).

    The first visitor after a start who opens a page's link directly gets that page run alone, as in Streamlit's
    old pages/ folder mode, because dashboard.py has not yet called st.navigation in this process. Switch the
    process to dashboard.py's navigation and run again, so the link shows the page it names, behind the login.
    """
    from streamlit.runtime.pages_manager import PagesManager

    # A session that already went through dashboard.py needs no second pass (rerunning would drop the click
    # that started this run; the page itself still checks the user). Streamlit's AppTest re-enters the folder
    # mode on every run; a server leaves it for good at the first st.navigation.
    if PagesManager.uses_pages_directory and not st.session_state.get(ENTERED):
        PagesManager.uses_pages_directory = False
        st.rerun()


ENTERED = "_through_dashboard"  # set by dashboard.py on every run


def signed_in():
    """The current user; without one, the sign-in form instead of the page."""
    user = current_user()
    if user is None:
        login_form()
        st.stop()
    return user


# ----------------------------------------------------------------------------------------------------
def db_file() -> Path:
    return db_path()


# ----------------------------------------------------------------------------------------------------
def current_user():
    """The signed-in user; on a dashboard that only this machine can reach and has no accounts, a local admin.

    Returns None when a login is required and nobody has signed in yet.
    """
    from campaign import auth

    if not auth.login_required(st.get_option("server.address"), headers=request_headers(),
                               remote=client_address()):
        return auth.LOCAL_ADMIN
    user = st.session_state.get("_user")
    if user is None:
        user = _resume_session()
    if user is None:
        return None
    # looked up again on every run: a removed account or a changed role takes effect at the user's next click
    entry = auth.load_accounts().get(user.name)
    if not entry or entry.get("role") not in auth.ROLES:
        logout()
        return None
    if entry["role"] != user.role or entry.get("display", user.name) != user.display:
        user = auth.User(user.name, entry["role"], entry.get("display", user.name))
        st.session_state["_user"] = user
    return user


def can(role: str) -> bool:
    """Whether the current user has at least ``role`` (to show or hide a control; writes check again)."""
    user = current_user()
    return user is not None and user.can(role)


def require(role: str) -> None:
    """Stop the page for users below ``role`` (pages a role cannot use are also left out of the navigation)."""
    from campaign import auth

    through_entry()  # a page's first call: a page opened before dashboard.py ran goes through it first
    signed_in()
    if not can(role):
        st.error(f"此页面需要“{auth.ROLES[role]}”权限。")
        st.stop()


def write(fn, *args, role: str = "editor", **kwargs):
    """Run a write ``fn(connection, *args, **kwargs)`` for a user with at least ``role``, one write at a time.

    Every write of the app goes through here: the role is checked again at the moment of writing (a hidden
    button is not a permission), and the process-wide write lock makes concurrent imports, undos and saves
    follow one another; readers keep reading consistent snapshots on their own cursors meanwhile."""
    from campaign.store import write_lock

    require(role)
    with write_lock:
        return fn(connection(), *args, **kwargs)


def _resume_session():
    """A browser that signed in earlier (a reload, a dropped connection) carries its session cookie."""
    from campaign import auth, sessions

    try:
        token = st.context.cookies.get(sessions.COOKIE)
    except Exception:  # no request (a test without a browser)
        return None
    if not isinstance(token, str):
        return None
    con = _store_or_none()
    if con is None:
        return None
    accounts = auth.load_accounts()
    name = sessions.resume(con, token, accounts)
    if name is None:
        return None
    entry = accounts[name]
    user = auth.User(name, entry.get("role", "viewer"), entry.get("display", name))
    st.session_state["_user"], st.session_state["_token"] = user, token
    return user


def _start_session(user) -> None:
    """Remember the sign-in in the store and, on the next run, in the browser's cookie."""
    from campaign import auth, sessions
    from campaign.store import write_lock

    if sessions.hours() == 0:
        return
    entry = auth.load_accounts().get(user.name, {})
    con = _store_or_none()
    if con is None:
        return
    try:
        with write_lock:
            token = sessions.start(con, user.name, entry.get("password_hash", ""))
    except duckdb.Error:  # a read-only or full store: the sign-in holds for this connection only
        return
    st.session_state["_token"] = token
    st.session_state["_cookie"] = token


def session_cookie() -> None:
    """Write (after a sign-in) or remove (after a sign-out) the session cookie, once."""
    import streamlit.components.v1 as components

    from campaign import sessions

    if "_cookie" not in st.session_state:
        return
    token = st.session_state.pop("_cookie")
    components.html(sessions.cookie_script(token, int(sessions.hours() * 3600)), height=0)


def logout() -> None:
    from campaign import sessions
    from campaign.store import write_lock

    token = st.session_state.get("_token")
    if token:
        con = _store_or_none()
        try:
            if con is not None:
                with write_lock:
                    sessions.end(con, token)
        except duckdb.Error:
            pass
        st.session_state["_cookie"] = None  # removed from the browser on the next run
    for key in ("_user", "_filters", "_token"):
        st.session_state.pop(key, None)


def request_headers() -> dict:
    """The request's HTTP headers (empty without a browser)."""
    try:
        headers = st.context.headers
        return {str(k): str(v) for k, v in headers.items()} if hasattr(headers, "items") else {}
    except Exception:
        return {}


def client_address() -> str | None:
    """The address the request came from, as the server saw the connection (forwarding headers are not
    trusted for this: anybody can write them)."""
    try:
        ip = st.context.ip_address
    except Exception:  # no request (a test without a browser)
        return None
    return ip if isinstance(ip, str) else None


def login_form() -> None:
    """The sign-in form; nothing else of the dashboard is shown or run before a successful sign-in."""
    from campaign import auth

    session_cookie()  # a sign-out just now: the browser forgets its cookie
    _, box, _ = st.columns([1, 2, 1])
    with box:
        st.title("创城指挥台 · 登录")
        if not auth.load_accounts():
            first_admin_form()
            return
        with st.form("login"):
            name = st.text_input("用户名", key="login_name")
            password = st.text_input("密码", type="password", key="login_password")
            ok = st.form_submit_button("登录", type="primary")
        if not ok:
            st.caption("账号由系统管理员在服务器上建立；忘记密码请联系管理员重设。")
            return
        name = name.strip()
        address = client_address()
        wait = auth.throttle.begin(name, address)  # counted now: attempts submitted together queue up
        if wait:
            st.error(f"登录失败次数过多，请 {wait} 秒后再试。")
            return
        user = auth.authenticate(name, password)
        if user is None:
            st.error("用户名或密码不正确。")
            return
        auth.throttle.succeeded(name, address)
        st.session_state["_user"] = user
        _start_session(user)
    st.rerun()


def first_admin_form() -> None:
    """No accounts yet and the visit is not a direct one from this machine: the first visitor creates the
    admin account (or an administrator does it on the server)."""
    from campaign import auth

    st.info("这个看板还没有账号。请先建立管理员账号（第一个建立的账号为管理员，之后的账号由管理员添加）；"
            "也可以在服务器上运行：python -m campaign user add 用户名 --role admin")
    with st.form("first_admin"):
        name = st.text_input("管理员用户名", key="first_name")
        display = st.text_input("显示名称（可不填）", key="first_display")
        password = st.text_input("密码（至少 8 位）", type="password", key="first_password")
        again = st.text_input("再输入一次密码", type="password", key="first_again")
        ok = st.form_submit_button("建立管理员账号并登录", type="primary")
    if not ok:
        return
    if password != again:
        st.error("两次输入的密码不一致。")
        return
    try:
        user = auth.create_first_admin(name.strip(), password, display.strip())
    except auth.AuthError as e:
        st.error(str(e))
        return
    st.session_state["_user"] = user
    _start_session(user)
    st.rerun()


def sidebar_account(user) -> None:
    """Who is signed in, with what role, and the sign-out button."""
    from campaign import auth

    sb = st.sidebar
    with sb:
        session_cookie()  # a sign-in just now: the browser keeps its cookie
    sb.divider()
    sb.caption(f"当前用户：{user.display or user.name}（{auth.ROLES.get(user.role, user.role)}）")
    if user is not auth.LOCAL_ADMIN and sb.button("退出登录", key="logout", icon=":material/logout:"):
        logout()
        st.rerun()
