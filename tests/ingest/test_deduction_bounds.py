"""Deductions must be finite and within the office's bound (office.yaml max_deduction); anything else is held
back with its reason. The hostile values are written as numeric cells, as a crafted file would hold them."""
from __future__ import annotations

import re

import pytest

from campaign.config import OfficeFileError, load_office
from campaign.ingest import import_file
from campaign.ingest.bench import write_xlsx
from tests.ingest.test_guard import SHEET, rewrite


def hostile_ledger(tmp_path, base_rows):
    """Eight problems of base_rows with deductions 0.5, 1e308, inf, NaN, 99999, -inf, 10 and 10.5."""
    rows = [r + [None] for r in base_rows[:8]]  # + 问题来源
    marks = [0.5, 1e308, 777001, 777002, 99999, 777003, 10, 10.5]
    for r, m in zip(rows, marks):
        r[9] = m
    path = write_xlsx(tmp_path / "台账.xlsx", rows)
    data = rewrite(path.read_bytes(), SHEET, lambda x: x.replace(b"<v>777001</v>", b"<v>inf</v>")
                   .replace(b"<v>777002</v>", b"<v>NaN</v>").replace(b"<v>777003</v>", b"<v>-inf</v>"))
    path.write_bytes(data)
    return path


def test_infinite_huge_and_nan_deductions_are_held_with_their_reason(con, tmp_path, base_rows):
    res = import_file(con, hostile_ledger(tmp_path, base_rows))
    assert res.refused is None
    q = res.quarantine
    held = q[q["列"] == "扣分"]
    # rows 3–8 of the sheet (title, header, then data): 1e308, inf, NaN, 99999, -inf and 10.5 are held
    assert sorted(held["行号"].astype(int).tolist()) == [4, 5, 6, 7, 8, 10]
    reasons = dict(zip(held["行号"].astype(int), held["原因"]))
    assert all("有限的数值" in reasons[r] for r in (5, 6, 8)), reasons
    assert all("超过上限 10 分" in reasons[r] for r in (4, 7, 10)), reasons
    assert res.accepted == 2  # 0.5 and exactly 10
    total, top = con.execute("SELECT sum(deduction), max(deduction) FROM problems").fetchone()
    assert (total, top) == (10.5, 10.0)


def test_the_bound_is_the_offices(con, tmp_path, base_rows, monkeypatch):
    office = tmp_path / "office.yaml"
    office.write_text(re.sub(r"max_deduction: .*", "max_deduction: 100000",
                             load_office.__globals__["OFFICE_FILE"].read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr("campaign.config.OFFICE_FILE", office)
    monkeypatch.setattr("campaign.ingest.kinds._max_deduction", lambda: load_office(office).max_deduction)
    res = import_file(con, hostile_ledger(tmp_path, base_rows))
    assert res.accepted == 4  # 0.5, 99999, 10, 10.5; the three non-finite and 1e308 are still held
    assert sorted(res.quarantine["行号"].astype(int).tolist()) == [4, 5, 6, 8]


@pytest.mark.parametrize("bad", ["0", "-1", "无穷", ".inf", "nan", "true"])
def test_a_bad_bound_is_named(tmp_path, bad):
    office = tmp_path / "office.yaml"
    office.write_text(f"district: 临江区\ncampaign_start: 2025-11-24\nmax_deduction: {bad}\n", encoding="utf-8")
    with pytest.raises(OfficeFileError, match="max_deduction"):
        load_office(office)
