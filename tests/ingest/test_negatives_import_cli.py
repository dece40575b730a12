"""`python -m campaign import` with a 负面清单事项报送台账: the kind found by itself, each row's fate in --json, held rows
named by sheet, row and column, nothing added the second time."""
import json
import subprocess
import sys

import duckdb

from campaign.config import ROOT
from tests.ingest.negative_files import write_negative_ledger


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "campaign", "import", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_cli_imports_a_negative_list_ledger_once(tmp_path):
    db = tmp_path / "new" / "campaign.duckdb"
    f = write_negative_ledger(tmp_path / "负面清单报送台账.xlsx")
    out = run(f, "--db", db, "--json", "--by", "王科长")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {k: data[k] for k in ("accepted", "updated", "duplicates", "quarantined", "skipped")} == {
        "accepted": 3, "updated": 0, "duplicates": 1, "quarantined": 5, "skipped": 3}
    file = data["files"][0]
    assert file["kind"] == "negatives" and file["import_id"] == 1
    fates = {r["行号"]: (r["结果"], r["原因"]) for r in file["rows"]}
    assert [fates[r] for r in (4, 5, 6)] == [("新增", "")] * 3
    assert fates[10] == ("隔离", "负面清单中没有编码为「N99」的事项")

    text = run(f, "--db", db, "--kind", "negatives")
    assert text.returncode == 0, text.stderr
    assert "负面清单事件" in text.stdout and "新增 0" in text.stdout and "未变 3" in text.stdout
    assert "隔离：工作表「报送台账」第 10 行「事项编码」=N99：负面清单中没有编码为「N99」的事项" in text.stdout
    con = duckdb.connect(str(db))
    try:
        assert con.execute("SELECT count(*) FROM negative_reports").fetchone()[0] == 3
        assert con.execute("SELECT kind, imported_by FROM import_log").fetchall() == [("negatives", "王科长")]
    finally:
        con.close()
