"""The import log, and undo: put the store back as it was before one import, in one transaction."""
from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from campaign.ingest.upsert import SPECS, ensure_tables, one, recount_inspections, sql
from campaign.store import write_transaction


class UndoRefused(Exception):
    """The import cannot be undone (message in Chinese); nothing was changed."""


def next_import_id(cur: duckdb.DuckDBPyConnection) -> int:
    return int(one(cur, "SELECT coalesce(max(import_id), 0) + 1 FROM store.import_log")[0])


def previous_import(cur: duckdb.DuckDBPyConnection, file_hash: str) -> int | None:
    row = one(cur, "SELECT max(import_id) FROM store.import_log WHERE file_hash = ? AND undone_at IS NULL",
              [file_hash])
    return row[0] if row and row[0] is not None else None


def write(cur: duckdb.DuckDBPyConnection, res, imported_by: str) -> None:
    details = dict(kind_label=res.kind_label, fmt=res.fmt, encoding=res.encoding, notes=res.notes,
                   created=res.created, skipped_detail=res.skipped_detail, skipped_sheets=res.skipped_sheets,
                   sheets=[dict(name=s.name, header_rows=s.header_rows, columns=s.columns, data_rows=s.data_rows)
                           for s in res.sheets],
                   name_flags=[dict(entity=f.entity, name=f.name, suggestion=f.suggestion, rows=f.rows)
                               for f in res.name_flags])
    cur.execute("""INSERT INTO store.import_log VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                   NULL, NULL)""",
                [res.import_id, res.file_name, res.file_hash, res.kind, imported_by or None, res.rows_read,
                 res.accepted, res.updated, res.unchanged, res.duplicates, res.quarantined, res.skipped,
                 json.dumps(details, ensure_ascii=False, default=str)])
    if len(res.quarantine):
        q = res.quarantine.rename(columns={"工作表": "sheet", "行号": "row_number", "列": "column_name",
                                           "原值": "value", "原因": "reason"})
        q = q.assign(import_id=res.import_id, row_number=q["row_number"].astype("int64"))
        cur.register("ingest_q", q[["import_id", "sheet", "row_number", "column_name", "value", "reason"]])
        try:
            cur.execute("INSERT INTO store.import_quarantine SELECT * FROM ingest_q")
        finally:
            cur.unregister("ingest_q")


@dataclass
class UndoResult:
    import_id: int
    file_name: str
    removed: int      # rows the import had added
    restored: int     # rows put back to their version before the import

    def text(self) -> str:
        return (f"已撤销第 {self.import_id} 次导入（{self.file_name}）：删除新增的 {self.removed:,} 行，"
                f"恢复被更新的 {self.restored:,} 行。")


_REFERENCES = {
    "street": ["SELECT street FROM store.sites", "SELECT street FROM store.problems",
               "SELECT street FROM store.assessment_scores", "SELECT street FROM store.survey_rates",
               "SELECT street FROM store.inspections", "SELECT street FROM store.report_street_scores"],
    "department": ["SELECT department FROM store.sites", "SELECT department FROM store.problems",
                   "SELECT department FROM store.assessment_scores"],
    "site": ["SELECT site_id::VARCHAR FROM store.problems", "SELECT site_id::VARCHAR FROM store.assessment_scores",
             "SELECT site_id::VARCHAR FROM store.inspections"],
    "round": ["SELECT round_id::VARCHAR FROM store.assessment_scores", "SELECT round_id::VARCHAR FROM store.survey_rates",
              "SELECT round_id::VARCHAR FROM store.peer_scores", "SELECT round_id::VARCHAR FROM store.bonus_awards",
              "SELECT round_id::VARCHAR FROM store.negative_events",
              "SELECT round_id::VARCHAR FROM store.report_street_scores"],
}
_DIM_DELETE = {
    "street": "DELETE FROM store.streets WHERE street = ?",
    "department": "DELETE FROM store.departments WHERE department = ?",
    "site": "DELETE FROM store.sites WHERE site_id = CAST(? AS INTEGER)",
    "round": "DELETE FROM store.assessment_rounds WHERE round_id = CAST(? AS INTEGER)",
}


def undo_import(con: duckdb.DuckDBPyConnection, import_id: int, undone_by: str = "") -> UndoResult:
    """Delete what the import added, restore what it changed, drop the streets/sites/rounds it created that
    nothing refers to any more. Refused when a later import changed the same rows (undo that one first)."""
    with write_transaction(con) as cur:
        ensure_tables(cur)
        row = one(cur, "SELECT file_name, undone_at FROM store.import_log WHERE import_id = ?", [import_id])
        if row is None:
            raise UndoRefused(f"没有第 {import_id} 次导入的记录。")
        if row[1] is not None:
            raise UndoRefused(f"第 {import_id} 次导入（{row[0]}）已于 {row[1]:%Y-%m-%d %H:%M} 撤销过。")
        later = set()
        for spec in SPECS.values():
            later |= {r[0] for r in cur.execute(sql(
                "SELECT DISTINCT superseded_by FROM $versions WHERE import_id = ?", versions=spec.versions),
                [import_id]).fetchall()}
        if later:
            ids = "、".join(f"第 {i} 次" for i in sorted(later))
            raise UndoRefused(f"第 {import_id} 次导入的数据后来又被{ids}导入更新过，请先撤销{ids}导入。")
        removed = restored = 0
        touched: list[int] = []
        for kind, spec in SPECS.items():
            if kind == "ledger":
                touched = [r[0] for r in cur.execute(
                    "SELECT DISTINCT inspection_id FROM store.problems WHERE import_id = ? "
                    "AND inspection_id IS NOT NULL", [import_id]).fetchall()]
            n_now = one(cur, sql("SELECT count(*) FROM $table WHERE import_id = ?", table=spec.table),
                        [import_id])[0]
            n_old = one(cur, sql("SELECT count(*) FROM $versions WHERE superseded_by = ?",
                                 versions=spec.versions), [import_id])[0]
            if not n_now and not n_old:
                continue
            cur.execute(sql("DELETE FROM $table WHERE import_id = ?", table=spec.table), [import_id])
            cur.execute(sql("INSERT INTO $table BY NAME SELECT $cols FROM $versions WHERE superseded_by = ?",
                            table=spec.table, cols=list(spec.columns), versions=spec.versions), [import_id])
            cur.execute(sql("DELETE FROM $versions WHERE superseded_by = ?", versions=spec.versions),
                        [import_id])
            removed += n_now - n_old
            restored += n_old
        # inspections this import created and no problem refers to any more go; counts are redone
        touched += [r[0] for r in cur.execute(
            "SELECT inspection_id FROM store.inspections WHERE import_id = ?", [import_id]).fetchall()]
        recount_inspections(cur, touched)
        cur.execute("DELETE FROM store.inspections WHERE import_id = ? AND problems_found = 0", [import_id])
        _drop_created(cur, import_id)
        cur.execute("UPDATE store.import_log SET undone_at = now()::TIMESTAMP, undone_by = ? WHERE import_id = ?",
                    [undone_by or None, import_id])
    return UndoResult(import_id, row[0], removed, restored)


def _drop_created(cur: duckdb.DuckDBPyConnection, import_id: int) -> None:
    created = cur.execute("SELECT entity, key FROM store.import_created WHERE import_id = ?", [import_id]).fetchall()
    order = {"site": 0, "round": 1, "street": 2, "department": 3}  # sites refer to streets and departments
    for entity, key in sorted(created, key=lambda r: order.get(r[0], 9)):
        refs = _REFERENCES.get(entity, [])
        used = any(one(cur, "SELECT 1 FROM (" + q + ") r(v) WHERE v = ? LIMIT 1", [key]) for q in refs)
        if not used:
            cur.execute(_DIM_DELETE[entity], [key])
    cur.execute("DELETE FROM store.import_created WHERE import_id = ?", [import_id])


def imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The import log, newest first (stores made before imports existed get the tables first)."""
    cur = con.cursor()
    try:
        ensure_tables(cur)
        return cur.execute("SELECT * FROM main.import_log ORDER BY import_id DESC").df()
    finally:
        cur.close()


def quarantine_of(con: duckdb.DuckDBPyConnection, import_id: int) -> pd.DataFrame:
    """The rows one import held back, as kept in the store."""
    cur = con.cursor()
    try:
        ensure_tables(cur)
        return cur.execute("""SELECT sheet AS 工作表, row_number AS 行号, column_name AS 列, value AS 原值,
                                     reason AS 原因
                              FROM store.import_quarantine WHERE import_id = ?
                              ORDER BY sheet, row_number, column_name""", [import_id]).df()
    finally:
        cur.close()
