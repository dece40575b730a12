"""Running the store on an office server: backup and restore, automatic backups, read-only ad-hoc SQL,
and the checks an uploaded file passes before the import engine reads it. No Streamlit here."""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from campaign.store import CONTRACT_VIEWS, data_version

log = logging.getLogger(__name__)

STORE_TABLES = ("meta", "standards", "problems", "inspections", "sites", "streets", "departments",
                "assessment_rounds", "assessment_scores", "survey_rates", "peer_scores")


class OpsError(RuntimeError):
    """An operation refused or failed; the message is in Chinese and says what to do."""


def _ident(name: str) -> str:
    """A database name as a quoted SQL identifier (names come from DuckDB itself, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def _remove_db(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


_attach_lock = threading.Lock()  # one ATTACH alias at a time on a shared connection


# ---------------------------------------------------------------------------------------------------- backup
def backup(con: duckdb.DuckDBPyConnection, out: Path | str, source: str | None = None) -> Path:
    """Copy the store behind ``con`` (the app's own connection, or one the command line opened) to ``out``.

    A consistent snapshot: the copy is one read transaction, so an import running meanwhile is either wholly in
    it or wholly absent. Written under a temporary name and renamed when complete."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    _remove_db(tmp)
    cur = con.cursor()
    try:
        with _attach_lock:
            src = source or cur.execute("SELECT current_database()").fetchone()[0]
            cur.execute("ATTACH ? AS campaign_backup_target", [str(tmp)])
            try:
                cur.execute("COPY FROM DATABASE " + _ident(src) + " TO campaign_backup_target")
            finally:
                cur.execute("DETACH campaign_backup_target")
        os.replace(tmp, out)
    finally:
        cur.close()
        _remove_db(tmp)
    return out


def backup_file(db: Path | str, out: Path | str, wait: float = 60.0, log_fn=None, hint: str = "") -> Path:
    """Back up a store file this process is not holding open (the command line): attached read-only to an
    in-memory database, waiting while another process holds it (StoreBusy when it stays busy)."""
    from campaign.store import wait_for

    con = duckdb.connect()
    try:
        wait_for(db, lambda: con.execute("ATTACH ? AS campaign_source (READ_ONLY)", [str(db)]), wait, log_fn,
                 hint or "看板运行时会自动备份，也可在「系统管理」页下载备份")
        return backup(con, out, source="campaign_source")
    finally:
        con.close()


def default_backup_name(db: Path | str, when: datetime | None = None) -> str:
    return f"{Path(db).stem}-{(when or datetime.now()):%Y%m%d-%H%M%S}.duckdb"


# ---------------------------------------------------------------------------------------------------- restore
@dataclass
class StoreSummary:
    path: str
    data_version: int
    framework: str
    counts: dict[str, int]

    def text(self) -> str:
        c = self.counts
        return (f"测评体系 {self.framework or '（未载入）'}，标准 {c.get('standards', 0):,} 条，问题 {c.get('problems', 0):,} 条，"
                f"测评得分 {c.get('assessment_scores', 0):,} 条，测评轮次 {c.get('assessment_rounds', 0):,} 轮，"
                f"数据版本 {self.data_version}")


def inspect_store(path: Path | str) -> StoreSummary:
    """Open a store file read-only and check it is one: the contract views and the store tables are there and
    readable. Raises OpsError (Chinese) when not."""
    path = Path(path)
    if not path.is_file():
        raise OpsError(f"找不到备份文件「{path}」。")
    con = duckdb.connect()
    try:
        try:
            con.execute("ATTACH ? AS candidate (READ_ONLY)", [str(path)])
        except duckdb.Error as e:
            raise OpsError(f"「{path.name}」不是有效的数据库备份，无法打开（{str(e).splitlines()[0][:120]}）。") from None
        con.execute("USE candidate")
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'candidate' AND schema_name = 'store'"
        ).fetchall()}
        views = {r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'candidate' AND schema_name = 'main'"
        ).fetchall()}
        missing = [f"store.{t}" for t in STORE_TABLES if t not in tables] + \
                  [v for v in CONTRACT_VIEWS if v not in views]
        if missing:
            raise OpsError(f"「{path.name}」不是创城指挥台的数据库备份：缺少 {'、'.join(missing[:8])}"
                           f"{'等' if len(missing) > 8 else ''}。")
        counts = {}
        try:
            for v in CONTRACT_VIEWS:
                counts[v] = con.execute("SELECT count(*) FROM candidate.main." + v).fetchone()[0]
            meta = dict(con.execute("SELECT key, value FROM candidate.store.meta").fetchall())
        except duckdb.Error as e:
            raise OpsError(f"「{path.name}」中的数据无法读取，备份可能已损坏（{str(e).splitlines()[0][:120]}）。") from None
        return StoreSummary(str(path), int(meta.get("data_version") or 0), meta.get("framework", ""), counts)
    finally:
        con.close()


@dataclass
class RestoreResult:
    restored: StoreSummary
    previous: Path | None

    def text(self) -> str:
        kept = f"；原数据库已保存为 {self.previous}" if self.previous else ""
        return f"已恢复：{self.restored.text()}{kept}。"


def restore(backup_path: Path | str, db: Path | str, wait: float = 60.0, log_fn=None) -> RestoreResult:
    """Put a backup in place of the store ``db``, atomically; the replaced file is kept as ``db.before-restore``.

    The backup is checked first and copied next to the store (a clean copy: nothing half-written is ever
    renamed into place). The swap happens while this process holds the store's lock, so a running dashboard
    makes the restore wait (and finally refuse) instead of losing its connection's file."""
    from campaign.store import StoreBusy, open_for_write

    db = Path(db)
    inspect_store(backup_path)
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.restore-{os.getpid()}.tmp")
    _remove_db(tmp)
    try:
        con = duckdb.connect()
        try:
            con.execute("ATTACH ? AS campaign_source (READ_ONLY)", [str(backup_path)])
            con.execute("ATTACH ? AS campaign_target", [str(tmp)])
            con.execute("COPY FROM DATABASE campaign_source TO campaign_target")
            con.execute("DETACH campaign_target")
        finally:
            con.close()
        summary = inspect_store(tmp)
        previous = None
        if db.exists():
            try:
                guard = open_for_write(db, wait, log_fn, hint="请先停止看板服务（如 systemctl stop campaign-dashboard）再恢复")
            except StoreBusy as e:
                raise OpsError(str(e)) from None
            except duckdb.Error:  # the store itself is damaged (what the restore is for): set it aside whole
                previous = db.with_name(db.name + ".before-restore")
                _remove_db(previous)
                os.replace(db, previous)
                stale = Path(f"{db}.wal")
                if stale.exists():
                    stale.replace(Path(f"{previous}.wal"))
                os.replace(tmp, db)
                return RestoreResult(StoreSummary(str(db), summary.data_version, summary.framework, summary.counts),
                                     previous)
            try:
                guard.execute("CHECKPOINT")  # everything committed is in the file; no log left to replay
                previous = db.with_name(db.name + ".before-restore")
                _remove_db(previous)
                try:
                    os.link(db, previous)
                except OSError:
                    shutil.copy2(db, previous)
                os.replace(tmp, db)  # atomic: the path names the old store or the new one, never neither
            finally:
                guard.close()
            stale = Path(f"{db}.wal")
            if stale.exists():  # the replaced store's log must not be replayed onto the restored one
                stale.replace(Path(f"{previous}.wal"))
        else:
            os.replace(tmp, db)
        return RestoreResult(StoreSummary(str(db), summary.data_version, summary.framework, summary.counts), previous)
    finally:
        _remove_db(tmp)


def recovery_hint(db: Path | str) -> str:
    """The way out when the store cannot be opened: the newest automatic backup and the command to restore it."""
    db = Path(db)
    try:
        settings = backup_settings(db)
        newest = list_backups(settings.directory, db.stem)
    except OpsError:
        newest = []
    if newest:
        b = newest[0]
        return (f"最新的自动备份是 {b.path}（{b.taken:%Y-%m-%d %H:%M}，数据版本 {b.version}）。停止看板后在服务器上运行："
                f"python -m campaign restore {b.path} --db {db}，再启动看板；原文件会保留为 {db.name}.before-restore。")
    return (f"没有找到自动备份（{db.parent / 'backups'}）。如有手工备份，停止看板后运行：python -m campaign restore 备份文件 "
            f"--db {db}；没有备份时可重新导入各期导出表。")


_STALE = re.compile(r"^\.(?P<name>.+?)\.(?:restore-(?P<rpid>\d+)|(?P<bpid>\d+)-[0-9a-f]{8}|init-(?P<ipid>\d+)-\d+)"
                    r"(?:\.tmp)?(?:\.wal)?$")


def clean_stale_temp(*folders: Path | str) -> list[Path]:
    """Remove what a killed backup, restore or store creation left behind (its temporary copy, up to the
    store's size, and that copy's .wal): files named for a process that no longer runs. Returns them."""
    removed = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            m = _STALE.match(p.name)
            if not m or not p.is_file():
                continue
            pid = int(m["rpid"] or m["bpid"] or m["ipid"])
            if pid == os.getpid() or _alive(pid):
                continue
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------------------------------- automatic backups
@dataclass(frozen=True)
class BackupSettings:
    directory: Path
    every_hours: float
    keep: int

    @property
    def enabled(self) -> bool:
        return self.every_hours > 0 and self.keep > 0


def backup_settings(db: Path | str) -> BackupSettings:
    """CAMPAIGN_BACKUP_DIR (default: backups/ next to the store), CAMPAIGN_BACKUP_HOURS (default 24; 0 turns
    automatic backups off), CAMPAIGN_BACKUP_KEEP (default 14)."""
    directory = os.environ.get("CAMPAIGN_BACKUP_DIR") or str(Path(db).resolve().parent / "backups")
    try:
        hours = float(os.environ.get("CAMPAIGN_BACKUP_HOURS", "24"))
        keep = int(os.environ.get("CAMPAIGN_BACKUP_KEEP", "14"))
    except ValueError:
        raise OpsError("CAMPAIGN_BACKUP_HOURS 应为小时数、CAMPAIGN_BACKUP_KEEP 应为整数。") from None
    return BackupSettings(Path(directory), hours, keep)


_AUTO_NAME = re.compile(r"^(?P<stem>.+)-(?P<when>\d{8}-\d{6})-v(?P<ver>\d+)\.duckdb$")


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken: datetime
    version: int

    @property
    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6


def list_backups(directory: Path | str, stem: str | None = None) -> list[BackupFile]:
    """The automatic backups in ``directory``, newest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    out = []
    for p in directory.iterdir():
        m = _AUTO_NAME.match(p.name)
        if m and (stem is None or m["stem"] == stem):
            out.append(BackupFile(p, datetime.strptime(m["when"], "%Y%m%d-%H%M%S"), int(m["ver"])))
    return sorted(out, key=lambda b: b.taken, reverse=True)


def maybe_backup(con: duckdb.DuckDBPyConnection, db: Path | str, settings: BackupSettings,
                 now: datetime | None = None) -> Path | None:
    """Take an automatic backup when the data changed since the newest one and that one is old enough; keep the
    newest ``settings.keep``. Returns the new file, or None when none was due."""
    now = now or datetime.now()
    stem = Path(db).stem
    version = data_version(con)
    have = list_backups(settings.directory, stem)
    if have and (have[0].version == version or now - have[0].taken < timedelta(hours=settings.every_hours)):
        return None
    out = backup(con, settings.directory / f"{stem}-{now:%Y%m%d-%H%M%S}-v{version}.duckdb")
    for old in list_backups(settings.directory, stem)[settings.keep:]:
        old.path.unlink(missing_ok=True)
    return out


class AutoBackup(threading.Thread):
    """Checks every ``check_seconds`` whether a backup is due (see maybe_backup) through the app's connection.

    Holds the connection weakly: when the app drops it, the thread ends."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db: Path | str, settings: BackupSettings,
                 check_seconds: float = 600.0, first_delay: float = 60.0):
        super().__init__(name="campaign-auto-backup", daemon=True)
        self._con = weakref.ref(con)
        self.db, self.settings = Path(db), settings
        self.check_seconds, self.first_delay = check_seconds, first_delay
        self.stop = threading.Event()

    def run(self) -> None:
        delay = self.first_delay
        while not self.stop.wait(delay):
            delay = self.check_seconds
            con = self._con()
            if con is None:
                return
            try:
                made = maybe_backup(con, self.db, self.settings)
                if made:
                    log.info("automatic backup written: %s", made)
            except Exception:  # a full disk must not stop the dashboard; the next check tries again
                log.exception("automatic backup failed")
            finally:
                del con


def start_auto_backup(con: duckdb.DuckDBPyConnection, db: Path | str) -> AutoBackup | None:
    settings = backup_settings(db)
    if not settings.enabled:
        return None
    thread = AutoBackup(con, db, settings)
    thread.start()
    return thread


# ---------------------------------------------------------------------------------------------------- ad-hoc SQL
SQL_TIMEOUT = 30.0
SQL_ROWS = 10_000
SQL_RESULT_MB = 32       # the result a query may bring back (the page and the command line show it whole)
SQL_MEMORY = "1GB"       # what the query itself may use, views included
SQL_SPILL = "1GB"        # what it may spill to disk, in a private folder removed afterwards
SQL_VIEWS_MB = 512       # a view scanned twice (a self-join) is read into memory once, up to this
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def contract_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The views of the store's main schema (docs/data-contract.md): what ad-hoc SQL may read."""
    cur = con.cursor()
    try:
        return [r[0] for r in cur.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
            "AND database_name = current_database() ORDER BY view_name").fetchall()]
    finally:
        cur.close()


class _Streams:
    """The views a query names, as Arrow streams read from the store only as the query pulls them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, names: list[str]):
        self.con, self.names, self.cursors = con, names, []

    def readers(self) -> dict:
        out = {}
        for v in self.names:
            cur = self.con.cursor()
            self.cursors.append(cur)
            out[v] = cur.sql("SELECT * FROM main." + v).to_arrow_reader(16_384)
        return out

    def tables(self, cap_bytes: int) -> dict:
        """Each view read whole (for a query that scans one twice), at most ``cap_bytes`` in all."""
        out, used = {}, 0
        for v, reader in self.readers().items():
            batches = []
            for batch in reader:
                used += batch.nbytes
                if used > cap_bytes:
                    raise OpsError(f"查询要把视图 {v} 等读入内存两次以上（如自连接），数据超过 {cap_bytes / 1e6:,.0f} MB 的上限，"
                                   "已中止。请先用子查询筛选出需要的行和列，或改用 GROUP BY 汇总后再连接。")
                batches.append(batch)
            out[v] = pa.Table.from_batches(batches, schema=reader.schema)
        return out

    def close(self) -> None:
        for cur in self.cursors:
            try:
                cur.close()
            except duckdb.Error:
                pass
        self.cursors = []


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int = SQL_ROWS,
            timeout: float = SQL_TIMEOUT, max_mb: float = SQL_RESULT_MB) -> pd.DataFrame:
    """Run one read-only query over the contract views, in a sandbox that cannot write, reach files or change
    its own settings.

    Only a plain SELECT (or WITH … SELECT) is run, as DuckDB's own parser classifies it: no EXPLAIN (EXPLAIN
    ANALYZE runs its statement), no COPY, PRAGMA or SET. The views the query names are streamed from ``con``
    into a fresh in-memory DuckDB that holds nothing else, where external access is off, memory capped, spill
    files go to a private folder with a size cap, and the configuration is locked before the query runs. The
    result is read in batches and stops at ``max_rows`` rows or ``max_mb`` MB; ``df.attrs["truncated"]`` then
    says so. Anything refused or stopped raises OpsError with a Chinese message."""
    sql = (sql or "").strip().rstrip(";").strip()
    if not sql:
        raise OpsError("请输入一条查询语句（SELECT …）。")
    spill = Path(tempfile.mkdtemp(prefix="campaign-sql-"))
    sandbox = duckdb.connect(config={"temp_directory": str(spill), "max_temp_directory_size": SQL_SPILL,
                                     "memory_limit": SQL_MEMORY, "threads": 2})
    streams = None
    try:
        try:
            statements = sandbox.extract_statements(sql)
        except duckdb.Error as e:
            raise OpsError(f"SQL 语法错误：{_first_line(e)}") from None
        if len(statements) != 1:
            raise OpsError("一次只能执行一条查询语句。")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise OpsError(f"只允许查询（SELECT 或 WITH … SELECT），不允许修改数据、读写文件、挂载数据库、"
                           f"查看执行计划或更改设置（这条语句是 {kind.name}）。")
        views = contract_views(con)
        words = {w.lower() for w in _WORD.findall(sql)}
        streams = _Streams(con, [v for v in views if v in words])
        for setting in ("SET enable_external_access = false", "SET lock_configuration = true"):
            sandbox.execute(setting)
        timer = threading.Timer(timeout, sandbox.interrupt)
        timer.start()
        try:
            try:
                return _fetch(sandbox, sql, streams.readers(), max_rows, max_mb)
            except duckdb.InvalidInputException as e:
                if "already been consumed" not in str(e):
                    raise
            streams.close()  # the query scans a view twice: read the views it names into memory, capped
            return _fetch(sandbox, sql, streams.tables(SQL_VIEWS_MB * 1_000_000), max_rows, max_mb)
        except duckdb.PermissionException:
            raise OpsError("查询不能读写文件或访问外部资源，只能查询数据视图。") from None
        except duckdb.InterruptException:
            raise OpsError(f"查询超过 {timeout:g} 秒，已中止。请缩小范围或加上筛选条件。") from None
        except duckdb.OutOfMemoryException:
            raise OpsError(f"查询所需内存超过 {SQL_MEMORY} 的上限（临时文件上限 {SQL_SPILL}），已中止。"
                           "请加上筛选条件、少选几列，或先用 GROUP BY 汇总。") from None
        except duckdb.CatalogException as e:
            raise OpsError(f"找不到表、列或函数：{_first_line(e)}。可查询的视图：{'、'.join(views)}。") from None
        except duckdb.Error as e:
            if "max_temp_directory_size" in str(e) or "temp directory" in str(e).lower():
                raise OpsError(f"查询需要的临时空间超过 {SQL_SPILL} 的上限，已中止。请缩小范围或先汇总。") from None
            raise OpsError(f"查询出错：{_first_line(e)}") from None
        finally:
            timer.cancel()
    finally:
        if streams is not None:
            streams.close()
        sandbox.close()
        shutil.rmtree(spill, ignore_errors=True)


def _fetch(sandbox: duckdb.DuckDBPyConnection, sql: str, sources: dict, max_rows: int,
           max_mb: float) -> pd.DataFrame:
    """Register the views, run the query and read its result in batches, up to the row and byte limits."""
    for name, source in sources.items():
        sandbox.register(name, source)
    rel = sandbox.sql(sql)
    if rel is None:
        return pd.DataFrame()
    reader = rel.limit(max_rows + 1).to_arrow_reader(128)
    batches, rows, size, cut = [], 0, 0, None
    for batch in reader:
        size += batch.nbytes
        if size > max_mb * 1e6:
            cut = f"结果超过 {max_mb:g} MB，只显示前 {rows:,} 行。请少选几列（特别是长文本）或加上筛选条件。"
            break
        batches.append(batch)
        rows += batch.num_rows
        if rows > max_rows:
            cut = f"结果超过 {max_rows:,} 行，只显示前 {max_rows:,} 行。"
            break
    table = pa.Table.from_batches(batches, schema=reader.schema).slice(0, max_rows)
    df = table.to_pandas()
    if cut:
        df.attrs["truncated"] = cut
    return df


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0][:300] if str(e) else type(e).__name__


# ---------------------------------------------------------------------------------------------------- uploads
UPLOAD_TYPES = (".xlsx", ".xls", ".csv")


def max_upload_mb() -> float:
    """CAMPAIGN_MAX_UPLOAD_MB (default 50); Streamlit's own server.maxUploadSize caps it from above."""
    try:
        return float(os.environ.get("CAMPAIGN_MAX_UPLOAD_MB", "50"))
    except ValueError:
        return 50.0


def content_kind(data: bytes) -> str:
    """'zip' (xlsx), 'ole' (old .xls), 'text' or 'binary', from the first bytes."""
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" not in data[:4096]:
        return "text"
    return "binary"


_KIND_WORDS = {"zip": "Excel 2007 及以后的 .xlsx 工作簿（或其他压缩包）", "ole": "旧版 Excel .xls 工作簿",
               "text": "文本表格（CSV）", "binary": "无法识别的二进制文件"}
# what each extension may hold: WPS and many systems export text tables named .xls; the engine reads them
_ALLOWED = {".xlsx": {"zip"}, ".xls": {"ole", "text"}, ".csv": {"text"}}


def upload_problem(file_name: str, data: bytes, limit_mb: float | None = None) -> str | None:
    """Why an uploaded file is refused before it is read (type, size, content against extension), or None."""
    ext = Path(file_name).suffix.lower()
    if ext not in UPLOAD_TYPES:
        return f"文件「{file_name}」的类型{('“' + ext + '”') if ext else '（无扩展名）'}不能导入：只接受 .xlsx、.xls、.csv 文件。"
    limit = max_upload_mb() if limit_mb is None else limit_mb
    if len(data) > limit * 1e6:
        return (f"文件「{file_name}」有 {len(data) / 1e6:.1f} MB，超过 {limit:g} MB 的上限。请按月或按街道拆分后分别导入，"
                "或请管理员调整 CAMPAIGN_MAX_UPLOAD_MB。")
    if not data:
        return f"文件「{file_name}」是空的，没有可导入的内容。"
    kind = content_kind(data)
    if kind not in _ALLOWED[ext]:
        return (f"文件「{file_name}」的内容与扩展名 {ext} 不符：实际是{_KIND_WORDS[kind]}。"
                "请确认选对了文件；必要时用 Excel 或 WPS 打开后“另存为” .xlsx 再上传。")
    return None


def store_file_info(db: Path | str) -> dict:
    db = Path(db)
    wal = Path(f"{db}.wal")
    return {"path": str(db), "size_mb": db.stat().st_size / 1e6 if db.exists() else 0.0,
            "wal_mb": wal.stat().st_size / 1e6 if wal.exists() else 0.0,
            "modified": datetime.fromtimestamp(db.stat().st_mtime) if db.exists() else None}
