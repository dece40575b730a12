"""Named queries: one ``queries/<name>.sql`` file per question, parameters bound by name ($name)."""
from __future__ import annotations

import re
from functools import lru_cache

import duckdb
import pandas as pd

from campaign.config import QUERIES_DIR

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"没有名为 {name} 的查询（{path}）")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def params_of(name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_PARAM.findall(_strip_comments(sql(name)))))


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run a named query on a fresh cursor; parameters the query does not use are ignored, missing ones are None."""
    bound = {p: params.get(p) for p in params_of(name)}
    cur = con.cursor()
    try:
        return cur.execute(sql(name), bound).df()
    finally:
        cur.close()


def scalar(con: duckdb.DuckDBPyConnection, name: str, **params):
    df = run(con, name, **params)
    return None if df.empty else df.iat[0, 0]
