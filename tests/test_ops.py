"""Operations: backup and restore in one command each, automatic backups, read-only ad-hoc SQL, upload checks,
command-line writers that wait for the dashboard, and the 系统管理 page."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from campaign import ops
from campaign.config import ROOT
from campaign.ingest.bench import ledger_rows, write_csv, write_xlsx
from campaign.store import bump_data_version, data_version, init_store
from tests.reliability_helpers import cli, fingerprint_file, held

ENTRY = str(ROOT / "dashboard.py")


@pytest.fixture()
def store(demo_db, tmp_path):
    """A copy of the demo store (taken with the backup function itself, through this process's instance)."""
    con = duckdb.connect(str(demo_db))
    try:
        return ops.backup(con, tmp_path / "store" / "campaign.duckdb")
    finally:
        con.close()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("ops") / "台账.csv"
    rows = ledger_rows(500, seed=5)
    for i, r in enumerate(rows):
        r[1] = f"OPS{i:06d}"  # problem numbers the demo does not use: all 500 are new
    return write_csv(path, rows)


def count(db, view: str = "problems") -> int:
    con = duckdb.connect(str(db))
    try:
        return con.execute("SELECT count(*) FROM " + view).fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------------- backup/restore
def test_backup_then_restore_by_command(store, ledger, tmp_path):
    before = fingerprint_file(store)
    out = cli("backup", "--db", store, "--out", tmp_path / "backups")
    assert out.returncode == 0, out.stderr
    assert "已备份到" in out.stdout and f"问题 {before['problems'][0]:,} 条" in out.stdout
    [backup] = list((tmp_path / "backups").glob("campaign-*.duckdb"))
    assert not list((tmp_path / "backups").glob(".*"))  # no temporary file left
    assert cli("import", ledger, "--db", store).returncode == 0
    changed = fingerprint_file(store)
    assert changed["problems"][0] == before["problems"][0] + 500
    out = cli("restore", backup, "--db", store)
    assert out.returncode == 0, out.stderr
    assert "已恢复" in out.stdout and "before-restore" in out.stdout
    assert fingerprint_file(store) == before
    kept = store.with_name(store.name + ".before-restore")
    assert fingerprint_file(kept) == changed  # the replaced store can be put back in turn
    assert count(store, "import_log") == 0 and count(store, "assessment_scores") > 0


def test_backup_keeps_every_view_and_table(store, tmp_path):
    out = ops.backup_file(store, tmp_path / "b.duckdb")
    summary = ops.inspect_store(out)
    assert summary.counts == {v: count(store, v) for v in summary.counts}
    assert fingerprint_file(out) == fingerprint_file(store)


@pytest.mark.parametrize("kind", ["random bytes", "not a store", "truncated", "missing"])
def test_restore_refuses_a_bad_backup_and_changes_nothing(store, tmp_path, kind):
    bad = tmp_path / "bad.duckdb"
    if kind == "random bytes":
        bad.write_bytes(b"\x00\x01garbage" * 1000)
    elif kind == "not a store":
        con = duckdb.connect(str(bad))
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        con.close()
    elif kind == "truncated":
        good = ops.backup_file(store, tmp_path / "good.duckdb")
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    before = fingerprint_file(store)
    listing = sorted(p.name for p in store.parent.iterdir())
    out = cli("restore", bad, "--db", store)
    assert out.returncode == 1
    assert "数据库未作任何改动" in out.stderr
    assert any(w in out.stderr for w in ("不是有效的数据库备份", "不是创城指挥台的数据库备份", "找不到备份文件", "可能已损坏"))
    assert fingerprint_file(store) == before
    assert sorted(p.name for p in store.parent.iterdir()) == listing


def test_restore_and_demo_wait_while_the_dashboard_holds_the_store(store, tmp_path):
    backup = ops.backup_file(store, tmp_path / "b.duckdb")
    before = fingerprint_file(store)
    with held(store):
        out = cli("restore", backup, "--db", store, "--wait", "1")
        assert out.returncode == 1
        assert f"看板正在使用数据库 {store}，等待中……" in out.stderr and "已等待 1 秒" in out.stderr
        out = cli("demo", "--db", store, "--wait", "1", "--quiet")
        assert out.returncode != 0 and "看板正在使用数据库" in out.stderr
        out = cli("backup", "--db", store, "--out", tmp_path / "x.duckdb", "--wait", "1")
        assert out.returncode != 0 and "看板正在使用数据库" in out.stderr
    assert fingerprint_file(store) == before
    assert cli("restore", backup, "--db", store).returncode == 0


def test_a_new_store_is_made_whole_or_not_at_all(tmp_path):
    path = tmp_path / "new.duckdb"
    init_store(path)
    assert count(path, "standards") == 213  # 188 city + 25 minors standards
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.duckdb"]
    init_store(path)  # an existing store is kept, its framework reloaded
    assert count(path, "standards") == 213  # 188 city + 25 minors standards


# ---------------------------------------------------------------------------------------------------- automatic
def test_automatic_backups_when_due_and_pruned(store, tmp_path):
    settings = ops.BackupSettings(tmp_path / "auto", every_hours=24, keep=2)
    con = duckdb.connect(str(store))
    try:
        t0 = datetime(2026, 11, 23, 3, 0, 0)
        first = ops.maybe_backup(con, store, settings, now=t0)
        assert first is not None and first.name == f"campaign-20261123-030000-v{data_version(con)}.duckdb"
        assert ops.maybe_backup(con, store, settings, now=t0 + timedelta(days=3)) is None  # nothing changed
        bump_data_version(con)
        assert ops.maybe_backup(con, store, settings, now=t0 + timedelta(hours=2)) is None  # too soon
        made = [ops.maybe_backup(con, store, settings, now=t0 + timedelta(days=d)) for d in (1, 2)]
        bump_data_version(con)
        made.append(ops.maybe_backup(con, store, settings, now=t0 + timedelta(days=3)))
        assert made[0] is not None and made[1] is None and made[2] is not None
        kept = ops.list_backups(settings.directory, "campaign")
        assert [b.path for b in kept] == [made[2], made[0]]  # the newest two
        assert ops.inspect_store(made[2]).data_version == data_version(con)
    finally:
        con.close()


def test_the_automatic_backup_thread_writes_one(store, tmp_path):
    settings = ops.BackupSettings(tmp_path / "auto", every_hours=24, keep=3)
    con = duckdb.connect(str(store))
    thread = ops.AutoBackup(con, store, settings, check_seconds=0.05, first_delay=0.0)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not ops.list_backups(settings.directory) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        thread.stop.set()
        thread.join(timeout=30)
        con.close()
    [b] = ops.list_backups(settings.directory)
    assert ops.inspect_store(b.path).counts["problems"] == count(store)


def test_backup_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CAMPAIGN_BACKUP_DIR", str(tmp_path))
    monkeypatch.setenv("CAMPAIGN_BACKUP_HOURS", "6")
    monkeypatch.setenv("CAMPAIGN_BACKUP_KEEP", "30")
    assert ops.backup_settings("x.duckdb") == ops.BackupSettings(tmp_path, 6.0, 30)
    monkeypatch.setenv("CAMPAIGN_BACKUP_HOURS", "0")
    assert not ops.backup_settings("x.duckdb").enabled
    monkeypatch.setenv("CAMPAIGN_BACKUP_KEEP", "many")
    with pytest.raises(ops.OpsError, match="CAMPAIGN_BACKUP_KEEP"):
        ops.backup_settings("x.duckdb")


# ---------------------------------------------------------------------------------------------------- SQL
def test_sql_command_reads_the_views(store):
    out = cli("sql", "SELECT street, count(*) AS n FROM problems GROUP BY 1 ORDER BY n DESC LIMIT 3", "--db", store,
              "--csv")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "street,n" and len(lines) == 4
    con = duckdb.connect(str(store))
    try:
        top = con.execute("SELECT street, count(*) FROM problems GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
    finally:
        con.close()
    assert lines[1] == f"{top[0]},{top[1]}"


@pytest.mark.parametrize("sql,message", [
    ("INSERT INTO problems SELECT * FROM problems", "只允许查询"),
    ("DELETE FROM problems", "只允许查询"),
    ("UPDATE problems SET status = '已销号'", "只允许查询"),
    ("CREATE TABLE x AS SELECT 1", "只允许查询"),
    ("DROP VIEW problems", "只允许查询"),
    ("COPY problems TO '{tmp}/leak.csv'", "只允许查询"),
    ("COPY (SELECT * FROM problems) TO '{tmp}/leak.parquet' (FORMAT parquet)", "只允许查询"),
    ("EXPORT DATABASE '{tmp}/leak'", "只允许查询"),
    ("ATTACH '{tmp}/other.duckdb' AS other", "只允许查询"),
    ("SET enable_external_access = true", "只允许查询"),
    ("INSTALL httpfs", "只允许查询"),
    ("LOAD httpfs", "只允许查询"),
    ("PRAGMA database_list", "只允许查询"),
    ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{tmp}/dump.csv'", "只允许查询"),
    ("EXPLAIN ANALYZE COPY (SELECT * FROM problems) TO '.tmp/dump.csv'", "只允许查询"),
    ("EXPLAIN SELECT 1", "只允许查询"),
    ("SELECT * FROM read_csv('{secret}')", "不能读写文件"),
    ("SELECT * FROM read_text('{secret}')", "不能读写文件"),
    ("SELECT * FROM glob('{tmp}/*')", "不能读写文件"),
    ("SELECT * FROM '{secret}'", "不能读写文件"),
    ("SELECT count(*) FROM store.problems", "找不到表"),
    ("SELECT 1; SELECT 2", "一次只能执行一条"),
    ("SELEC 1", "SQL 语法错误"),
])
def test_ad_hoc_sql_cannot_write_or_reach_files(store, tmp_path, sql, message):
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n")
    sql = sql.format(tmp=tmp_path, secret=secret)
    before = fingerprint_file(store)
    con = duckdb.connect(str(store))
    try:
        with pytest.raises(ops.OpsError, match=message):
            ops.run_sql(con, sql)
    finally:
        con.close()
    out = cli("sql", sql, "--db", store)
    assert out.returncode == 2 and message in out.stderr
    assert fingerprint_file(store) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv", "store"]


def run(store, sql, **kw):
    con = duckdb.connect(str(store))
    try:
        return ops.run_sql(con, sql, **kw)
    finally:
        con.close()


def test_ad_hoc_sql_spills_to_a_private_capped_folder_removed_afterwards(store):
    got = run(store, "SELECT current_setting('temp_directory') AS d, current_setting('max_temp_directory_size') AS m, "
                     "current_setting('memory_limit') AS mem")
    folder = Path(got["d"][0])
    assert folder.name.startswith("campaign-sql-") and not folder.is_relative_to(Path.cwd())
    assert not folder.exists()  # removed when the query ended
    assert got["m"][0] == got["mem"][0] == "953.6 MiB"  # 1 GB each, as DuckDB writes it


def test_ad_hoc_sql_result_stops_at_its_row_and_byte_limits(store):
    rows = run(store, "SELECT range AS n FROM range(25000)")
    assert len(rows) == ops.SQL_ROWS == 10_000 and "超过 10,000 行" in rows.attrs["truncated"]
    big = run(store, "SELECT range AS n, repeat('x', 100000) AS s FROM range(1000)", max_mb=1)
    assert len(big) < 20 and "超过 1 MB" in big.attrs["truncated"]
    small = run(store, "SELECT range AS n FROM range(30)")
    assert len(small) == 30 and "truncated" not in small.attrs


def test_ad_hoc_sql_reads_a_view_twice_only_within_its_cap(store, monkeypatch):
    con = duckdb.connect(str(store))
    try:
        n = con.execute("SELECT count(*) FROM problems").fetchone()[0]
    finally:
        con.close()
    pairs = run(store, "SELECT count(*) AS n FROM problems a JOIN problems b USING (problem_id)")
    assert pairs["n"][0] == n > 0
    monkeypatch.setattr(ops, "SQL_VIEWS_MB", 0.01)
    with pytest.raises(ops.OpsError, match="超过 0 MB 的上限|自连接"):
        run(store, "SELECT count(*) AS n FROM problems a JOIN problems b USING (problem_id)")
    assert run(store, "SELECT count(*) AS n FROM problems")["n"][0] == n  # one scan: streamed, no cap needed


def test_ad_hoc_sql_stops_a_runaway_query(store):
    con = duckdb.connect(str(store))
    try:
        with pytest.raises(ops.OpsError, match="已中止"):
            ops.run_sql(con, "SELECT count(*) FROM range(1000000000000) a", timeout=0.5)
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------------- uploads
XLSX_BYTES = b"PK\x03\x04" + b"\x00" * 64
XLS_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize("name,data,problem", [
    ("台账.xlsx", XLSX_BYTES, None),
    ("台账.xls", XLS_BYTES, None),
    ("台账.xls", "发现日期\t街道\n".encode("gbk"), None),  # WPS and many systems export text named .xls
    ("台账.csv", "发现日期,街道\n".encode("gbk"), None),
    ("台账.CSV", "\ufeff发现日期,街道\n".encode("utf-8"), None),
    ("截图.xlsx", PNG_BYTES, "内容与扩展名 .xlsx 不符：实际是无法识别的二进制文件"),
    ("台账.xlsx", "发现日期,街道\n".encode(), "内容与扩展名 .xlsx 不符：实际是文本表格"),
    ("台账.xlsx", XLS_BYTES, "内容与扩展名 .xlsx 不符：实际是旧版 Excel"),
    ("台账.xls", XLSX_BYTES, "内容与扩展名 .xls 不符"),
    ("台账.csv", XLSX_BYTES, "内容与扩展名 .csv 不符"),
    ("台账.csv", PNG_BYTES, "内容与扩展名 .csv 不符"),
    ("程序.exe", b"MZ\x90\x00", "类型“.exe”不能导入"),
    ("台账", b"a,b\n", "类型（无扩展名）不能导入"),
    ("空.csv", b"", "是空的"),
])
def test_upload_checks(name, data, problem):
    got = ops.upload_problem(name, data)
    assert got == problem if problem is None else problem in got


def test_upload_size_limit_is_configurable(monkeypatch):
    data = b"a,b\n" + b"1,2\n" * 300_000  # 1.2 MB
    assert ops.upload_problem("大.csv", data) is None
    monkeypatch.setenv("CAMPAIGN_MAX_UPLOAD_MB", "1")
    assert "有 1.2 MB，超过 1 MB 的上限" in ops.upload_problem("大.csv", data)


def test_the_import_page_refuses_what_the_checks_refuse(tmp_path, monkeypatch):
    db = tmp_path / "c.duckdb"
    init_store(db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    monkeypatch.setenv("CAMPAIGN_MAX_UPLOAD_MB", "0.05")
    big = write_xlsx(tmp_path / "大台账.xlsx", ledger_rows(2000, seed=3))
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.switch_page("pages/import.py").run()
    at.file_uploader[0].set_value([("截图.xlsx", PNG_BYTES, "image/png"), (big.name, big.read_bytes(), "x")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("截图.xlsx" in e and "不符" in e for e in errors)
    assert any("大台账.xlsx" in e and "超过 0.05 MB 的上限" in e for e in errors)
    assert at.button(key="imp_go").disabled
    assert count(db) == 0


# ---------------------------------------------------------------------------------------------------- admin page
def test_admin_page_undoes_an_import_and_runs_a_query(tmp_path, monkeypatch, ledger):
    db = tmp_path / "c.duckdb"
    assert cli("import", ledger, "--db", db, "--by", "王科员").returncode == 0
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.switch_page("pages/admin.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "系统管理"
    assert any(b.label == "下载数据库备份" for b in at.get("download_button"))
    log = at.main.dataframe[0].value
    assert log["文件"].tolist() == [ledger.name] and log["状态"].tolist() == ["有效"]
    box = at.selectbox(key="adm_undo_pick")
    box.set_value(box.options[0]).run()
    at.button(key="adm_undo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("已撤销第 1 次导入")
    con = duckdb.connect(str(db))  # the app's own instance in this process
    try:
        assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 0
    finally:
        con.close()
    at.text_area(key="adm_sql").input("SELECT count(*) AS n FROM import_log WHERE undone_at IS NOT NULL").run()
    at.button(key="adm_sql_run").click().run()
    assert at.main.dataframe[-1].value["n"].tolist() == [1]
    at.text_area(key="adm_sql").input("DELETE FROM problems").run()
    at.button(key="adm_sql_run").click().run()
    assert any("只允许查询" in e.value for e in at.error)

