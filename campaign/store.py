"""The embedded DuckDB store: schema, framework loading, data version."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from campaign.framework import Framework, load_framework

SCHEMA_FILE = Path(__file__).with_name("schema.sql")

CONTRACT_VIEWS = (
    "standards", "streets", "departments", "sites", "inspections", "problems",
    "assessment_rounds", "assessment_scores", "survey_rates", "peer_scores",
)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=read_only)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def load_framework_into(con: duckdb.DuckDBPyConnection, fw: Framework | None = None) -> Framework:
    """Replace the framework tables with ``fw`` (default: data/framework.yaml)."""
    fw = fw or load_framework()
    std = fw.standards.copy()
    con.execute("DELETE FROM store.standards")
    con.execute("DELETE FROM store.bonus_items")
    con.execute("DELETE FROM store.negative_items")
    con.register("fw_std", std)
    con.execute("INSERT INTO store.standards SELECT code, section_code, section, item_code, item, content_code, "
                "content, name, method, points, site_types, categories, indicator, department, sort_order FROM fw_std")
    con.unregister("fw_std")
    if len(fw.bonus):
        con.executemany("INSERT INTO store.bonus_items VALUES (?, ?, ?)", fw.bonus.values.tolist())
    if len(fw.negative):
        con.executemany("INSERT INTO store.negative_items VALUES (?, ?, ?, ?)",
                        [[r.code, r.name, r.deduction, bool(r.veto)] for r in fw.negative.itertuples()])
    set_meta(con, "framework", f"{fw.name} {fw.version}")
    set_meta(con, "bonus_cap", str(fw.bonus_cap))
    set_meta(con, "pass_rate", str(fw.pass_rate))
    set_meta(con, "year_weights", json.dumps(fw.year_weights))
    return fw


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO store.meta VALUES (?, ?)", [key, str(value)])


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    row = con.execute("SELECT value FROM store.meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def bump_data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Every write ends by bumping this; caches are keyed on it."""
    version = int(get_meta(con, "data_version", "0")) + 1
    set_meta(con, "data_version", str(version))
    return version


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Read on a fresh cursor: safe from any thread of the app."""
    cur = con.cursor()
    try:
        return int(get_meta(cur, "data_version", "0"))
    finally:
        cur.close()


def init_store(path: Path | str, fw: Framework | None = None) -> Framework:
    """Create an empty store with the framework loaded (used by import into a new --db)."""
    con = connect(path)
    try:
        con.execute("BEGIN")
        create_schema(con)
        fw = load_framework_into(con, fw)
        bump_data_version(con)
        con.execute("COMMIT")
        return fw
    finally:
        con.close()


def table_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    rows = [(v, con.cursor().table(v).count("*").fetchone()[0]) for v in CONTRACT_VIEWS]
    return pd.DataFrame(rows, columns=["view", "rows"])
