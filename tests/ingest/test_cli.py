"""`python -m campaign import`: summary, --json, exit codes, a new store, undo and the log."""
import json
import subprocess
import sys

import duckdb
from python_calamine import CalamineWorkbook

from campaign.cli import main
from campaign.config import ROOT
from tests.ingest.conftest import LEDGER_HEADER, ledger_row, write_xlsx


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "campaign", "import", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_import_into_a_new_store_prints_json_and_exits_zero(tmp_path, base_rows):
    db = tmp_path / "new" / "campaign.duckdb"
    f = write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows + [base_rows[0]], title="第12周督查问题清单")
    out = run(f, "--db", db, "--json", "--by", "王科员")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {k: data[k] for k in ("accepted", "updated", "duplicates", "quarantined", "skipped")} == {
        "accepted": 12, "updated": 0, "duplicates": 1, "quarantined": 0, "skipped": 0}
    assert data["files"][0]["kind"] == "ledger" and data["files"][0]["import_id"] == 1
    con = duckdb.connect(str(db))
    try:
        assert con.execute("SELECT count(*) FROM standards").fetchone()[0] == 213  # the default framework: 188 city + 25 minors standards
        assert con.execute("SELECT imported_by FROM import_log").fetchone()[0] == "王科员"
    finally:
        con.close()


def test_a_refused_file_exits_non_zero_and_changes_nothing(tmp_path, base_rows):
    db = tmp_path / "c.duckdb"
    good = write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows)
    bad = tmp_path / "截图.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    out = run(good, bad, "--db", db)
    assert out.returncode == 1
    assert "第12周.xlsx：督查问题台账（第 1 次导入）" in out.stdout
    assert "未导入：文件「截图.xlsx」不是有效的 Excel 工作簿" in out.stdout
    assert "合计：读取 12，新增 12" in out.stdout and "1 个文件未导入" in out.stdout
    out = run(bad, "--db", db, "--json")
    assert out.returncode == 1 and json.loads(out.stdout)["refused"] == 1
    con = duckdb.connect(str(db))
    try:
        assert con.execute("SELECT count(*) FROM import_log").fetchone()[0] == 1
    finally:
        con.close()


def test_summary_lists_quarantine_and_writes_it_to_excel(tmp_path, base_rows, capsys):
    db = tmp_path / "c.duckdb"
    rows = base_rows + [ledger_row(13, "DC013", "2025-02-30", "解放路3巷", "北关街道", "区城市管理局", "环境卫生", "x")]
    f = write_xlsx(tmp_path / "t.xlsx", LEDGER_HEADER, rows)
    q = tmp_path / "隔离.xlsx"
    assert main(["import", str(f), "--db", str(db), "--quarantine", str(q)]) == 0
    text = capsys.readouterr().out
    assert "新增 12" in text and "隔离 1" in text
    assert "隔离：工作表「Sheet1」第 14 行「发现日期」=2025-02-30：不是有效日期" in text
    sheet = CalamineWorkbook.from_path(str(q)).get_sheet_by_name("隔离清单").to_python()
    assert sheet[1][1:] == ["Sheet1", 14.0, "发现日期", "2025-02-30", "不是有效日期"]


def test_list_and_undo(tmp_path, base_rows, capsys):
    db = str(tmp_path / "c.duckdb")
    f = write_xlsx(tmp_path / "t.xlsx", LEDGER_HEADER, base_rows)
    main(["import", str(f), "--db", db, "--by", "王科员"])
    capsys.readouterr()
    assert main(["import", "--list", "--db", db]) == 0
    assert "第 1 次" in capsys.readouterr().out
    assert main(["import", "--undo", "1", "--db", db]) == 0
    assert "已撤销第 1 次导入（t.xlsx）：删除新增的 12 行" in capsys.readouterr().out
    assert main(["import", "--undo", "1", "--db", db, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["undone"] is False
    assert main(["import", "--undo", "7", "--db", db]) == 1
    assert "没有第 7 次导入的记录" in capsys.readouterr().out


def test_dry_run_and_kind(tmp_path, base_rows, capsys):
    db = str(tmp_path / "c.duckdb")
    f = write_xlsx(tmp_path / "t.xlsx", LEDGER_HEADER, base_rows)
    assert main(["import", str(f), "--db", db, "--dry-run"]) == 0
    assert "（预检，未写入）" in capsys.readouterr().out
    assert main(["import", str(f), "--db", db, "--kind", "peers"]) == 1
    assert "不是兄弟区县得分" in capsys.readouterr().out
    con = duckdb.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 0
    finally:
        con.close()


def test_nothing_to_do_is_a_usage_error(tmp_path, capsys):
    assert main(["import", "--db", str(tmp_path / "c.duckdb")]) == 2
