"""Points the office enters by hand each week for a ranking part (data/ranking_index.yaml, measure: entered, e.g.
工作台账 30 points): kept in store.ranking_entries with who entered them and when; entering again adds a row and
the latest one counts (view ranking_entries)."""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from campaign import analysis, queries, store


class EntryError(ValueError):
    """Points that cannot be kept, in words for the user."""


def enter(con: duckdb.DuckDBPyConnection, rules: analysis.IndexDef, start: date, end: date, rows: pd.DataFrame,
          by: str = "") -> int:
    """Keep the points in ``rows`` (columns unit, part, points) for the period; returns how many were kept.

    Every row is checked first (a known entered part, a number from 0 to the part's weight); one bad row keeps
    nothing and its place is named."""
    weights = {p.name: p.weight for p in rules.entered}
    if not weights:
        raise EntryError(f"{rules.title}没有由创城办录入的部分（ranking_index.yaml 中 measure: entered）。")
    clean = []
    for i, r in enumerate(rows.itertuples(index=False), start=1):
        where = f"第 {i} 行（{r.unit}，{r.part}）"
        if r.part not in weights:
            raise EntryError(f"{where}：“{r.part}”不是可录入的部分，可录入：{'、'.join(weights)}")
        if r.points is None or pd.isna(r.points):
            continue
        try:
            v = float(r.points)
        except (TypeError, ValueError):
            raise EntryError(f"{where}：得分“{r.points}”不是数字") from None
        if not 0 <= v <= weights[r.part]:
            raise EntryError(f"{where}：得分 {v:g} 应在 0 到 {weights[r.part]:g} 之间")
        if not str(r.unit).strip():
            raise EntryError(f"{where}：缺少单位名称")
        clean.append((str(r.unit).strip(), str(r.part), v))
    if not clean:
        return 0
    now = datetime.now()
    df = pd.DataFrame(clean, columns=["unit", "part", "points"]).assign(
        unit_kind=rules.unit, period_start=start, period_end=end, entered_at=now, entered_by=by)
    with store.write_transaction(con) as cur:
        cur.register("entry_rows", df)
        cur.execute("INSERT INTO store.ranking_entries BY NAME SELECT * FROM entry_rows")
        cur.unregister("entry_rows")
    return len(df)


def current(con: duckdb.DuckDBPyConnection, unit: str, start: date, end: date) -> pd.DataFrame:
    """The entries in force for the period (unit, part, points, entered_at, entered_by)."""
    e = queries.run(con, "ranking_entries_for_periods", unit=unit, start=start, end=end)
    e = e[pd.to_datetime(e["period_end"]).eq(pd.Timestamp(end))]
    return e[["unit", "part", "points", "entered_at", "entered_by"]].reset_index(drop=True)
