"""The data contract: every documented view exists with the documented columns and types."""
import re

import duckdb
import pytest

from campaign.config import ROOT
from campaign.store import CONTRACT_VIEWS, init_store


def documented_views() -> dict[str, list[tuple[str, str]]]:
    text = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    views: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"## (\w+) — ", line)
        if m:
            current = m.group(1)
            views[current] = []
            continue
        m = re.match(r"\| (\w+) \| ([A-Z\[\]]+) \|", line)
        if m and current and m.group(1) != "column":
            views[current].append((m.group(1), m.group(2)))
    return views


def test_contract_documents_every_view():
    assert set(CONTRACT_VIEWS) <= set(documented_views())


@pytest.mark.parametrize("view", CONTRACT_VIEWS)
def test_view_columns_match_the_contract(demo_con, view):
    described = demo_con.execute(f"DESCRIBE main.{view}").fetchall()
    actual = [(row[0], row[1]) for row in described]
    assert actual == documented_views()[view]


def test_problems_has_the_required_columns(demo_con):
    cols = {r[0] for r in demo_con.execute("DESCRIBE problems").fetchall()}
    assert {"problem_id", "found_on", "site", "site_type", "street", "department", "category", "standard_code",
            "description", "deduction", "card", "deadline", "status", "closed_on"} <= cols


def test_empty_store_has_views_and_framework(tmp_path):
    path = tmp_path / "new.duckdb"
    fw = init_store(path)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM standards").fetchone()[0] == len(fw.standards)
    for view in CONTRACT_VIEWS:
        con.execute(f"SELECT * FROM {view} LIMIT 0")
    assert con.execute("SELECT count(*) FROM problems").fetchone()[0] == 0
    con.close()
