"""Shared by the reliability and operations tests: another process holding the store (as the dashboard does), the
command line, and a fingerprint of a store's content."""
from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import duckdb

from campaign.config import ROOT

HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
con.close()
"""


@contextlib.contextmanager
def held(path: Path):
    """Another process keeps the store open for writing (what a running dashboard does) until the block ends."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def cli(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "campaign", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


TABLES = ("problems", "problem_versions", "inspections", "sites", "streets", "departments", "assessment_scores",
          "survey_rates", "peer_scores", "import_log", "import_quarantine", "import_created", "meta")


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Row count and an order-independent hash of every row, per store table (import times left out)."""
    out = {}
    cur = con.cursor()
    try:
        for t in TABLES:
            cols = [r[0] for r in cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'store' AND table_name = ? "
                "AND column_name NOT IN ('imported_at', 'superseded_at', 'undone_at') ORDER BY ordinal_position",
                [t]).fetchall()]
            if not cols:
                continue
            row = "hash(" + ", ".join(f'"{c}"' for c in cols) + ")"
            out[t] = cur.execute("SELECT count(*), coalesce(bit_xor(" + row + "), 0) FROM store." + t).fetchone()
    finally:
        cur.close()
    return out


def fingerprint_file(path: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(path))
    try:
        return fingerprint(con)
    finally:
        con.close()
