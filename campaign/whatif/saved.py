"""Scenarios saved in the store under a name (table ``store.scenarios``, created on first use so that a store
from before them still opens): saving, deleting and listing them with their share text."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from campaign import queries
from campaign.store import bump_data_version, write_transaction
from campaign.whatif.settings import (Setting, WhatIfError, format_scenario, parse_scenario, scenario_json,
                                      settings_from_json)

def _ensure_scenarios(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS store.scenarios (name VARCHAR PRIMARY KEY, settings VARCHAR, "
                "created_at TIMESTAMP, created_by VARCHAR)")
    con.execute("CREATE VIEW IF NOT EXISTS main.scenarios AS "
                "SELECT name, settings, created_at, created_by FROM store.scenarios")


def save_scenario(con: duckdb.DuckDBPyConnection, name: str, settings: list[Setting] | str, by: str = "") -> None:
    name = (name or "").strip()
    if not name:
        raise WhatIfError("请给方案起个名字")
    if len(name) > 40:
        raise WhatIfError(f"方案名“{name[:20]}…”太长（最多 40 个字）")
    if isinstance(settings, str):
        settings = parse_scenario(settings)
    with write_transaction(con) as cur:
        _ensure_scenarios(cur)
        cur.execute("INSERT OR REPLACE INTO store.scenarios VALUES (?, ?, ?, ?)",
                    [name, scenario_json(settings), datetime.now().replace(microsecond=0), by])


def delete_scenario(con: duckdb.DuckDBPyConnection, name: str) -> None:
    cur = con.cursor()
    try:
        _ensure_scenarios(cur)
        cur.execute("DELETE FROM store.scenarios WHERE name = ?", [name])
        bump_data_version(cur)
    finally:
        cur.close()


def scenarios(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Saved scenarios with their share text (``text``), newest first; empty on a store from before them."""
    try:
        df = queries.run(con, "whatif_scenarios")
    except duckdb.CatalogException:
        df = pd.DataFrame(columns=["name", "settings", "created_at", "created_by"])
    df["text"] = [format_scenario(settings_from_json(s)) for s in df["settings"]]
    return df
