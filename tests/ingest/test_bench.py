"""The import benchmark runs end to end (speed itself is measured by scripts/import_bench.py, not asserted)."""
from campaign.ingest.bench import HEADER, import_rows_per_s, ledger_rows


def test_benchmark_reports_rows_per_second_for_both_formats():
    out = import_rows_per_s(rows=1500, runs=1)
    assert out["rows"] == 1500
    assert out["xlsx"] > 0 and out["csv"] > 0
    assert len(out["xlsx_s"]) == 1 and len(out["csv_s"]) == 1


def test_benchmark_ledger_looks_like_an_office_export():
    rows = ledger_rows(200)
    assert len(rows) == 200 and all(len(r) == len(HEADER) for r in rows)
    assert len({r[1] for r in rows}) == 200  # every problem has its own 编号
    assert {r[12] for r in rows} <= {"待整改", "整改中", "已整改", "已销号"}
