"""A smoke run of the benchmark: it runs end to end and reports every field; it times nothing."""
import json
import subprocess
import sys

from campaign import queries
from campaign.bench import page_files
from campaign.config import ROOT


def test_bench_smoke(tmp_path):
    out = subprocess.run([sys.executable, "-m", "campaign", "bench", "--rows", "3000", "--runs", "1", "--smoke",
                          "--json"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout)
    assert res["rows"] > 1000
    assert set(res["queries"]) == set(queries.names())
    assert set(res["pages"]) == {slug for slug, _ in page_files()}
    for entry in list(res["queries"].values()) + list(res["pages"].values()):
        assert entry["p50_ms"] > 0 and entry["p95_ms"] >= entry["p50_ms"]
    assert res["import_rows_per_s"]["xlsx"] > 0 and res["import_rows_per_s"]["csv"] > 0
    assert set(res["matching_ms"]) == {"names_300", "standards_2000", "workdays_100k"}
    assert all(ms > 0 for ms in res["matching_ms"].values())
    assert res["whatif_ms"] > 0 and res["peak_rss_mb"] > 0 and res["pandas_ratio"] > 0
    assert res["concurrent"]["sessions"] == 16
    fc = res["forecast"]  # 10,000 simulated assessments of the full demo district, whatever --rows is
    assert fc["runs"] == 10_000 and fc["sites"] == 600 and fc["simulate_p50_ms"] > 0 and fc["load_1min"] >= 0


def test_every_registered_page_is_benchmarked():
    files = {f for _, f in page_files()}
    assert {"pages/overview.py", "pages/trends.py", "pages/import.py"} <= files
