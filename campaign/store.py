"""The embedded DuckDB store: schema, framework loading, data version."""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from campaign.config import OfficeSettings, load_office
from campaign.model.framework import Framework, load_framework

SCHEMA_FILE = Path(__file__).with_name("schema.sql")

CONTRACT_VIEWS = (
    "standards", "streets", "departments", "sites", "inspections", "problems",
    "assessment_rounds", "assessment_scores", "survey_rates", "peer_scores",
)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=read_only)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def schema_digest() -> str:
    import hashlib

    return hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()[:16]


def upgrade_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a store written by an earlier version up to this one's tables and views (idempotent). A store
    already at this schema (store.meta schema_digest) is left as it is: opening it writes nothing."""
    has_store = con.execute(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'store'").fetchone()[0]
    if not has_store:
        return
    digest = schema_digest()
    try:
        if get_meta(con, "schema_digest") == digest:
            return
    except duckdb.CatalogException:
        pass
    create_schema(con)
    set_meta(con, "schema_digest", digest)


class StoreOpenError(Exception):
    """The store cannot be opened; the message (Chinese) says why and what to do."""


_READ_ONLY_SIGNS = ("read-only file system", "permission denied", "no space left", "disk full",
                    "cannot open file", "could not open file")


def open_app_store(path: Path | str) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    """The dashboard's connection: (connection, None) normally; (read-only connection, a Chinese note) when
    the data folder cannot be written (read-only or full); StoreOpenError (Chinese, with the way out) when the
    file is missing or cannot be opened at all. The schema is upgraded here, once, and only when it changed."""
    from campaign.ops import recovery_hint

    path = Path(path)
    if not path.exists():
        raise StoreOpenError(f"找不到数据库文件 {path}。{recovery_hint(path)}")
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as e:
        if any(sign in str(e).lower() for sign in _READ_ONLY_SIGNS):
            return _read_only(path, e)
        raise StoreOpenError(f"数据库文件 {path} 无法打开，可能已损坏（{_first_line(e)}）。{recovery_hint(path)}") from None
    try:
        upgrade_schema(con)
    except duckdb.Error as e:
        con.close()
        if any(sign in str(e).lower() for sign in _READ_ONLY_SIGNS):
            return _read_only(path, e)
        raise StoreOpenError(f"数据库文件 {path} 无法升级到当前版本（{_first_line(e)}）。{recovery_hint(path)}") from None
    return con, None


def _read_only(path: Path, cause: BaseException) -> tuple[duckdb.DuckDBPyConnection, str]:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise StoreOpenError(f"数据库所在的文件夹 {path.parent} 不能写入（只读或磁盘已满），只读打开也失败"
                             f"（{_first_line(e)}）。请检查磁盘空间和文件夹权限后重启看板。") from None
    return con, (f"数据库所在的文件夹 {path.parent} 当前不能写入（只读或磁盘已满：{_first_line(cause)}）。看板以只读方式"
                 "打开：可以查看，不能导入、撤销、发布或保存方案。请检查磁盘空间和文件夹权限，然后重启看板。")


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0][:200]


def checkpoint_and_close(con: duckdb.DuckDBPyConnection) -> None:
    """On the way out (SIGTERM, SIGINT, a normal exit): everything committed goes into the file itself, so a
    plain copy of the stopped store holds the latest imports and no .wal is left beside it."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error:
        pass
    try:
        con.close()
    except duckdb.Error:
        pass


def load_framework_into(con: duckdb.DuckDBPyConnection, fw: Framework | None = None) -> Framework:
    """Replace the framework tables with ``fw`` (default: data/framework.yaml)."""
    fw = fw or load_framework()
    std = fw.standards.copy()
    con.execute("DELETE FROM store.standards")
    con.execute("DELETE FROM store.bonus_items")
    con.execute("DELETE FROM store.negative_items")
    con.register("fw_std", std)
    con.execute("INSERT INTO store.standards (code, section_code, section, item_code, item, content_code, content, "
                "name, method, points, site_types, categories, indicator, department, sort_order, framework, methods, "
                "method_kind) SELECT code, section_code, section, item_code, item, content_code, content, name, "
                "method, points, site_types, categories, indicator, department, sort_order, framework, methods, "
                "method_kind FROM fw_std")
    con.unregister("fw_std")
    if len(fw.bonus):
        con.executemany("INSERT INTO store.bonus_items VALUES (?, ?, ?)", fw.bonus.values.tolist())
    if len(fw.negative):
        con.executemany("INSERT INTO store.negative_items (code, name, deduction, veto, sanction, window_months, "
                        "department, when_applying) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [[r.code, r.name, r.deduction, bool(r.veto), r.sanction, int(r.window_months),
                          r.department or None, r.when_applying if isinstance(r.when_applying, str) else None]
                         for r in fw.negative.itertuples()])
    set_meta(con, "framework", f"{fw.name} {fw.version}")
    set_meta(con, "bonus_cap", str(fw.bonus_cap))
    set_meta(con, "pass_rate", str(fw.pass_rate))
    set_meta(con, "year_weights", json.dumps(fw.year_weights))
    # the minors' framework's share of the total and its gate; empty when the framework has no minors' part
    m = fw.minors
    set_meta(con, "minors", json.dumps({"name": m.name, "share": m.share, "gate": m.gate}, ensure_ascii=False)
             if m else "")
    return fw


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO store.meta VALUES (?, ?)", [key, str(value)])


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    rows = con.execute("SELECT value FROM store.meta WHERE key = ?", [key]).fetchall()  # fetched to the end
    return rows[0][0] if rows else default


def sync_office_settings(con: duckdb.DuckDBPyConnection, office: OfficeSettings | None = None) -> bool:
    """Keep the office settings the views read in store.meta: data/office.yaml's unit_attribution → meta key
    unit_attribution (read by the problem_units view). Idempotent: writes, in one transaction that bumps the
    data version (so cached results follow the new rule), only when a stored value differs. Returns whether
    it wrote. A wrong office.yaml raises config.OfficeFileError (message in Chinese)."""
    office = office or load_office()
    wanted = {"unit_attribution": office.unit_attribution}
    changed = {k: v for k, v in wanted.items() if get_meta(con, k) != v}
    if not changed:
        return False
    with write_transaction(con) as cur:
        for key, value in changed.items():
            set_meta(cur, key, value)
    return True


_writes_in_process = 0


def bump_data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Every write ends by bumping this; caches are keyed on it."""
    global _writes_in_process
    version = int(get_meta(con, "data_version", "0")) + 1
    set_meta(con, "data_version", str(version))
    _writes_in_process += 1
    return version


@contextmanager
def bumps_rolled_back() -> Iterator[None]:
    """For a transaction that will be rolled back (a chain of import checks): the data versions it bumps do
    not count as this process's writes, so the caches keyed on them stay valid."""
    global _writes_in_process
    before = _writes_in_process
    try:
        yield
    finally:
        _writes_in_process = before


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, bump: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor in one transaction, committed at the end (after bumping the data version when ``bump``); any
    error rolls all of it back, so a write is either whole or not there at all."""
    cur = con.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            if bump:
                bump_data_version(cur)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()


@contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write the pages' caches must see: one transaction that ends by bumping the data version."""
    with transaction(con, bump=True) as cur:
        yield cur


def writes_in_process() -> int:
    """How many writes this process has made: lets a cache notice its own writes at once."""
    return _writes_in_process


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Read on a fresh cursor: safe from any thread of the app."""
    cur = con.cursor()
    try:
        return int(get_meta(cur, "data_version", "0"))
    finally:
        cur.close()


def init_store(path: Path | str, fw: Framework | None = None) -> Framework:
    """Create an empty store with the framework loaded (used by import into a new --db).

    A new file is built under a temporary name and linked into place only when complete, so a crash never
    leaves a store without its framework; when two processes race, the first one's file stays."""
    path = Path(path)
    if path.exists():
        return _init_into(path, fw)
    tmp = path.with_name(f".{path.name}.init-{os.getpid()}-{threading.get_ident()}")
    _remove_db(tmp)
    try:
        fw = _init_into(tmp, fw)
        try:
            os.link(tmp, path)  # atomic, and never replaces a store another process has just made
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
        return fw
    finally:
        _remove_db(tmp)


def _init_into(path: Path, fw: Framework | None) -> Framework:
    con = connect(path)
    try:
        con.execute("BEGIN")
        create_schema(con)
        fw = load_framework_into(con, fw)
        bump_data_version(con)
        con.execute("COMMIT")
        sync_office_settings(con)
        return fw
    finally:
        con.close()


def _remove_db(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------------------
# One process writes. The dashboard holds the store open for as long as it runs; within it, writes (imports,
# undo, saved scenarios) take ``write_lock`` so that they follow one another instead of conflicting, while
# readers keep reading consistent snapshots on their own cursors. Another process (the command line) waits.
write_lock = threading.RLock()

BUSY_HINT = "可在看板「数据导入」页导入"


class StoreBusy(RuntimeError):
    """Another process (the running dashboard) holds the store; the message is in Chinese."""


def is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, duckdb.IOException) and ("Could not set lock" in text or "Conflicting lock" in text)


def open_for_write(path: Path | str, wait: float = 60.0, log: Callable[[str], None] | None = None,
                   hint: str = BUSY_HINT, read_only: bool = False,
                   interval: float = 0.5) -> duckdb.DuckDBPyConnection:
    """Open the store for this process, waiting up to ``wait`` seconds while another process holds it.

    DuckDB lets one process open a file for writing and locks every other process out; a command-line
    import while the dashboard runs therefore says so (``log``), retries, and finally raises StoreBusy — the
    store is never touched by a process that did not get the lock."""
    return wait_for(path, lambda: duckdb.connect(str(path), read_only=read_only), wait, log, hint, interval)


def wait_for(path: Path | str, attempt: Callable, wait: float = 60.0, log: Callable[[str], None] | None = None,
             hint: str = BUSY_HINT, interval: float = 0.5):
    """``attempt()`` (which opens or attaches the store ``path``), retried while another process holds the file."""
    path = Path(path)
    deadline = time.monotonic() + max(0.0, wait)
    told = False
    while True:
        try:
            return attempt()
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc):
                raise
            if not told and log is not None:
                log(f"看板正在使用数据库 {path}，等待中……（{hint}）")
                told = True
            if time.monotonic() >= deadline:
                raise StoreBusy(f"数据库 {path} 仍被另一个程序（如正在运行的看板）占用，已等待 {wait:g} 秒，"
                                f"未作任何改动。{hint}，或稍后再试（--wait 可延长等待）。") from None
            time.sleep(interval)


def table_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    rows = [(v, con.cursor().table(v).count("*").fetchone()[0]) for v in CONTRACT_VIEWS]
    return pd.DataFrame(rows, columns=["view", "rows"])
