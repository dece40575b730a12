"""Writing checked rows: insert what is new, update what changed (keeping the old version), leave the rest.

All statements run on the import's cursor inside its transaction. SQL text is assembled only from the fixed
table and column names below (checked by ``_ident``); every value is bound or comes from a registered table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from campaign.store import create_schema

_IDENT = re.compile(r"^[a-z_][a-z0-9_.]*$")


@dataclass(frozen=True)
class TableSpec:
    table: str
    versions: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]          # every column of the table, import_id last
    derived: tuple[str, ...] = ()     # written but not compared (inspection_id)


PROBLEMS = TableSpec(
    "store.problems", "store.problem_versions", ("problem_id",),
    ("problem_id", "found_on", "site_id", "site", "site_type", "street", "department", "category",
     "standard_code", "description", "deduction", "card", "deadline", "status", "closed_on", "source",
     "inspection_id", "ledger_no", "lead_department", "responsible_units", "subcategory", "community", "address",
     "rebound", "result", "photos_before", "photos_after", "note", "deadline_at", "closed_seen_on",
     "reported_overdue", "extensions", "reworks", "import_id"), derived=("inspection_id", "closed_seen_on"))
STATUS_ORDER = ("待整改", "整改中", "已整改", "已销号")  # statuses only move forward unless the office confirms
NO_STREET = "未明确属地"  # problems with no territorial unit: counted for the district, not as a street
SCORES = TableSpec(
    "store.assessment_scores", "store.assessment_score_versions", ("round_id", "standard_code", "site"),
    ("round_id", "standard_code", "site_id", "site", "site_type", "street", "department", "score", "max_score",
     "import_id"))
SURVEY = TableSpec(
    "store.survey_rates", "store.survey_rate_versions", ("round_id", "street", "indicator"),
    ("round_id", "street", "indicator", "rate", "respondents", "import_id"))
PEERS = TableSpec("store.peer_scores", "store.peer_score_versions", ("round_id", "peer"),
                  ("round_id", "peer", "total", "import_id"))
REPORT_STREETS = TableSpec("store.report_street_scores", "store.report_street_score_versions", ("round_id", "street"),
                           ("round_id", "street", "max_score", "score", "pass_rate", "rank", "import_id"))
# one negative-list event: its item, its date and the unit concerned (entered on the page or imported)
NEGATIVES = TableSpec("store.negative_reports", "store.negative_report_versions", ("code", "occurred_on", "unit"),
                      ("report_id", "code", "occurred_on", "unit", "note", "entered_at", "entered_by", "info_source",
                       "reporter", "import_id"))
SPECS = {"ledger": PROBLEMS, "assessment": SCORES, "survey": SURVEY, "peers": PEERS,
         "report_streets": REPORT_STREETS, "negatives": NEGATIVES}


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"bad identifier {name!r}")
    return name


def sql(template: str, **parts: str | list[str]) -> str:
    """Fill a statement with identifiers (never values): lists are joined with ', '."""
    return Template(template).substitute({k: v if isinstance(v, str) else ", ".join(v) for k, v in parts.items()})


def one(cur: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a query, reading the result to its end (DuckDB keeps a half-read result open, which
    blocks registering tables on the cursor)."""
    rows = cur.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def ensure_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Stores made before imports existed get the import tables (schema.sql is idempotent)."""
    have = one(cur, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'store' "
                    "AND table_name IN ('import_log', 'problem_versions', 'name_aliases', 'import_profiles')")[0]
    cols = one(cur, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'store' "
                    "AND table_name IN ('problems', 'problem_versions') AND column_name = 'closed_seen_on'")[0]
    if have < 4 or cols < 2:
        create_schema(cur)


def _arrow(stage: pd.DataFrame) -> pa.Table:
    cols = {}
    for c in stage.columns:
        s = stage[c]
        if c == "responsible_units":
            v = s.to_numpy()
            has = np.not_equal(v, None)
            cols[c] = pa.array([list(x) if x else None for x in v], type=pa.list_(pa.string())) if has.any() \
                else pa.nulls(len(v), type=pa.list_(pa.string()))
        elif c == "deadline_at":
            cols[c] = pa.array(s.to_numpy().astype("datetime64[s]"), type=pa.timestamp("s"), from_pandas=True)
        elif c in ("rebound", "reported_overdue"):
            cols[c] = pa.array(s.to_numpy(), type=pa.bool_(), from_pandas=True)
        elif s.dtype.kind == "M":
            cols[c] = pa.array(s.to_numpy().astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
        elif s.dtype == object:
            cols[c] = pa.array(s.to_numpy(), type=pa.string(), from_pandas=True)
        else:
            cols[c] = pa.array(s, from_pandas=True)
    return pa.table(cols)


def insert_frame(cur: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    """Append a DataFrame whose columns are named like the table's."""
    cur.register("ingest_rows", df)
    try:
        cur.execute(sql("INSERT INTO $table BY NAME SELECT * FROM ingest_rows", table=_ident(table)))
    finally:
        cur.unregister("ingest_rows")


def upsert(cur: duckdb.DuckDBPyConnection, spec: TableSpec, stage: pd.DataFrame, import_id: int,
           allow_older: bool = False) -> dict:
    """Classify the staged rows (registered as ``ingest_stage``) against the table by key, keep old versions
    of changed rows, update them, insert new ones. A problem whose stored status is further on (已销号) than
    the file's (待整改) is an older export: left as stored ('older') unless ``allow_older``. Returns counts:
    inserted, updated, unchanged, older."""
    given = [c for c in stage.columns if c in spec.columns and c != "import_id"]
    keys = list(spec.keys)
    compare = [c for c in given if c not in keys and c not in spec.derived]
    ident = {c: _ident(c) for c in given}
    join = " AND ".join(f"t.{ident[k]} IS NOT DISTINCT FROM s.{ident[k]}" for k in keys)
    changed = " OR ".join(f"t.{ident[c]} IS DISTINCT FROM s.{ident[c]}" for c in compare) or "false"
    cur.execute(sql("""
        CREATE OR REPLACE TEMP TABLE ingest_cls AS
        SELECT s._k, CASE WHEN bool_or(t._hit) IS NULL THEN 'new'
                          WHEN bool_or($changed) THEN 'changed' ELSE 'same' END AS cls
        FROM ingest_stage s LEFT JOIN (SELECT *, true AS _hit FROM $table) t ON $join
        GROUP BY s._k""", changed=changed, table=_ident(spec.table), join=join))
    counts = dict(cur.execute("SELECT cls, count(*) FROM ingest_cls GROUP BY cls").fetchall())
    if spec is PROBLEMS and "status" in given and not allow_older and counts.get("changed"):
        cur.execute("""
            UPDATE ingest_cls AS c SET cls = 'older'
            FROM ingest_stage s, store.problems t
            WHERE c.cls = 'changed' AND s._k = c._k AND t.problem_id = s.problem_id
              AND list_position(?, t.status) > list_position(?, s.status)""", [list(STATUS_ORDER)] * 2)
        counts = dict(cur.execute("SELECT cls, count(*) FROM ingest_cls GROUP BY cls").fetchall())
    writes = counts.get("new", 0) + counts.get("changed", 0)
    live = "c.cls IN ('new', 'changed')"
    touched: list[int] = []
    if spec is PROBLEMS and writes:
        touched = _inspections_of_changed(cur)
        linked = link_inspections(cur, "source" in given, import_id)
    else:
        cur.execute("CREATE OR REPLACE TEMP VIEW ingest_src AS "
                    f"SELECT s.*, c.cls FROM ingest_stage s JOIN ingest_cls c USING (_k) WHERE {live}")
    if counts.get("changed"):
        tcols = [f"t.{_ident(c)}" for c in spec.columns]
        cur.execute(sql("""
            INSERT INTO $versions BY NAME
            SELECT $tcols, ? AS superseded_by, now()::TIMESTAMP AS superseded_at
            FROM $table t SEMI JOIN (SELECT * FROM ingest_src WHERE cls = 'changed') s ON $join""",
                        versions=_ident(spec.versions), tcols=tcols, table=_ident(spec.table), join=join),
                    [import_id])
        keep_first = {"closed_seen_on"}  # the first export that showed a problem closed bounds its closing date
        sets = [f"{ident[c]} = coalesce(t.{ident[c]}, s.{ident[c]})" if c in keep_first else
                f"{ident[c]} = s.{ident[c]}" for c in given if c not in keys] + ["import_id = ?"]
        cur.execute(sql("""
            UPDATE $table AS t SET $sets
            FROM (SELECT * FROM ingest_src WHERE cls = 'changed') s
            WHERE $join""", table=_ident(spec.table), sets=sets, join=join), [import_id])
    if counts.get("new"):
        cur.execute(sql("""
            INSERT INTO $table BY NAME
            SELECT $cols, ? AS import_id FROM ingest_src s WHERE s.cls = 'new'""",
                        table=_ident(spec.table), cols=[f"s.{ident[c]}" for c in given]), [import_id])
    if spec is PROBLEMS and writes:
        # new inspections were written with their count; existing ones touched are counted again
        recount_inspections(cur, touched + linked)
    return {"inserted": counts.get("new", 0), "updated": counts.get("changed", 0),
            "unchanged": counts.get("same", 0), "older": counts.get("older", 0)}


def stage_table(cur: duckdb.DuckDBPyConnection, stage: pd.DataFrame) -> None:
    """The checked rows, visible to SQL as ``ingest_stage`` (an Arrow table, not copied)."""
    cur.register("ingest_stage", _arrow(stage))


def drop_stage(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("DROP VIEW IF EXISTS ingest_src")
    for table in ("ingest_visits", "ingest_keep", "ingest_cls"):
        cur.execute(sql("DROP TABLE IF EXISTS $t", t=table))
    cur.unregister("ingest_stage")


# --- inspections derived from the ledger ------------------------------------------------------------
def link_inspections(cur: duckdb.DuckDBPyConnection, with_source: bool, import_id: int) -> list[int]:
    """Each (date, site, street, source) of new problems — ``_visit`` in the stage — is a visit: an existing
    inspection that matches, else a new one carrying this import's id and its number of problems. A changed
    problem keeps its inspection unless its date, site or street changed. Creates ``ingest_src`` (the rows to
    write, with their inspection_id) and returns the existing inspections now linked."""
    src_col = "s.source" if with_source else "NULL::VARCHAR"
    src = "AND i.source IS NOT DISTINCT FROM v.source" if with_source else ""
    same_src = "AND t.source IS NOT DISTINCT FROM s.source" if with_source else ""
    cur.execute(sql("""
        CREATE OR REPLACE TEMP TABLE ingest_keep AS
        SELECT s._k, t.inspection_id
        FROM ingest_stage s JOIN ingest_cls c USING (_k) JOIN store.problems t ON t.problem_id = s.problem_id
        WHERE c.cls = 'changed' AND t.inspection_id IS NOT NULL AND t.found_on = s.found_on AND t.site = s.site
          AND t.street IS NOT DISTINCT FROM s.street $same_src""", same_src=same_src))
    cur.execute(sql("""
        CREATE OR REPLACE TEMP TABLE ingest_visits AS
        WITH v AS (
            SELECT s._visit, any_value(s.found_on) AS found_on, any_value(s.site) AS site,
                   any_value(s.street) AS street, any_value($src_col) AS source, any_value(s.site_id) AS site_id,
                   any_value(s.site_type) AS site_type, count(*) AS n
            FROM ingest_stage s JOIN ingest_cls c USING (_k) ANTI JOIN ingest_keep k USING (_k)
            WHERE c.cls IN ('new', 'changed') AND s.site IS NOT NULL
            GROUP BY s._visit
        ), m AS (
            SELECT v._visit, min(i.inspection_id) AS found_id
            FROM v JOIN store.inspections i
              ON i.inspected_on = v.found_on AND i.site = v.site AND i.street IS NOT DISTINCT FROM v.street $src
            GROUP BY v._visit
        )
        SELECT v.*, coalesce(m.found_id, (SELECT coalesce(max(inspection_id), 0) FROM store.inspections)
                             + row_number() OVER (PARTITION BY m.found_id IS NULL ORDER BY v._visit)) AS inspection_id,
               m.found_id IS NULL AS is_new
        FROM v LEFT JOIN m USING (_visit)""", src_col=src_col, src=src))
    cur.execute("""
        INSERT INTO store.inspections (inspection_id, inspected_on, site_id, site, site_type, street, source,
                                       problems_found, import_id)
        SELECT inspection_id, found_on, site_id, site, site_type, street, source, n, ? FROM ingest_visits
        WHERE is_new ORDER BY inspection_id""", [import_id])
    cur.execute("""
        CREATE OR REPLACE TEMP VIEW ingest_src AS
        SELECT s.* REPLACE (coalesce(k.inspection_id, v.inspection_id) AS inspection_id), c.cls
        FROM ingest_stage s JOIN ingest_cls c USING (_k)
        LEFT JOIN ingest_keep k USING (_k) LEFT JOIN ingest_visits v USING (_visit)
        WHERE c.cls IN ('new', 'changed')""")
    return [r[0] for r in cur.execute("SELECT inspection_id FROM ingest_visits WHERE NOT is_new").fetchall()]


def _inspections_of_changed(cur: duckdb.DuckDBPyConnection) -> list[int]:
    """The inspections changed problems were linked to before this import (their counts change too)."""
    return [r[0] for r in cur.execute("""
        SELECT DISTINCT p.inspection_id FROM store.problems p
        SEMI JOIN (SELECT s.problem_id FROM ingest_stage s JOIN ingest_cls c USING (_k) WHERE c.cls = 'changed') s
          ON p.problem_id = s.problem_id
        WHERE p.inspection_id IS NOT NULL""").fetchall()]


def recount_inspections(cur: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    """problems_found of the given inspections = the problems now linked to them."""
    if not ids:
        return
    cur.register("ingest_touched", pd.DataFrame({"inspection_id": np.unique(np.array(ids, dtype="int64"))}))
    try:
        cur.execute("""
            UPDATE store.inspections AS i SET problems_found = r.n
            FROM (SELECT t.inspection_id, count(p.problem_id) AS n
                  FROM ingest_touched t LEFT JOIN store.problems p ON p.inspection_id = t.inspection_id
                  GROUP BY t.inspection_id) r
            WHERE i.inspection_id = r.inspection_id AND i.problems_found IS DISTINCT FROM r.n""")
    finally:
        cur.unregister("ingest_touched")


# --- dimensions: streets, departments, sites, rounds ---------------------------------------------------
def _created(cur: duckdb.DuckDBPyConnection, import_id: int, entity: str, keys: list) -> None:
    if keys:
        insert_frame(cur, "store.import_created", pd.DataFrame(
            {"import_id": import_id, "entity": entity, "key": [str(k) for k in keys]}))


def street_type(name: str) -> str:
    if name.endswith(("镇", "乡")):
        return "镇"
    if name.endswith(("园区", "开发区", "新区", "管委会")):
        return "园区"
    return "街道"


def add_streets(cur, names: list[str], import_id: int) -> list[str]:
    have = {r[0] for r in cur.execute("SELECT street FROM store.streets").fetchall()}
    new = sorted({n for n in names if n and n not in have and n != NO_STREET})
    if new:
        start = one(cur, "SELECT coalesce(max(sort_order), 0) FROM store.streets")[0]
        insert_frame(cur, "store.streets", pd.DataFrame(
            {"street": new, "street_type": [street_type(n) for n in new],
             "sort_order": np.arange(start + 1, start + 1 + len(new), dtype="int32")}))
        _created(cur, import_id, "street", new)
    return new


def add_departments(cur, names: list[str], import_id: int) -> list[str]:
    have = {r[0] for r in cur.execute("SELECT department FROM store.departments").fetchall()}
    new = sorted({n for n in names if n and n not in have})
    if new:
        start = one(cur, "SELECT coalesce(max(sort_order), 0) FROM store.departments")[0]
        insert_frame(cur, "store.departments", pd.DataFrame(
            {"department": new, "sort_order": np.arange(start + 1, start + 1 + len(new), dtype="int32")}))
        _created(cur, import_id, "department", new)
    return new


def add_sites(cur, new_sites: pd.DataFrame | None, used: pd.Series, import_id: int) -> list[str]:
    if new_sites is None or new_sites.empty:
        return []
    rows = new_sites[new_sites["site_id"].isin(set(used.dropna().astype(int)))]
    if rows.empty:
        return []
    insert_frame(cur, "store.sites", rows.astype({"site_id": "int32"}))
    _created(cur, import_id, "site", rows["site_id"].astype(int).tolist())
    return rows["site"].tolist()


def fill_site_coordinates(cur, coords: pd.DataFrame | None, used: pd.Series) -> int:
    """经度/纬度 for known sites that have none yet (a stored pair is never overwritten); how many got one."""
    if coords is None or coords.empty:
        return 0
    rows = coords[coords["site_id"].isin(set(used.dropna().astype(int)))]
    if rows.empty:
        return 0
    cur.register("site_coords", rows)
    try:
        n = cur.execute("SELECT count(*) FROM store.sites s JOIN site_coords c USING (site_id) "
                        "WHERE s.lon IS NULL OR s.lat IS NULL").fetchone()[0]
        cur.execute("UPDATE store.sites SET lon = c.lon, lat = c.lat FROM site_coords c "
                    "WHERE store.sites.site_id = c.site_id AND (store.sites.lon IS NULL OR store.sites.lat IS NULL)")
    finally:
        cur.unregister("site_coords")
    return int(n)


def resolve_rounds(ctx, stage: pd.DataFrame, import_id: int) -> pd.DataFrame:
    """round_name → round_id; names not in the store become new rounds (dated by their rows, if any)."""
    from campaign.ingest.kinds import assessor_of

    cur = ctx.cur
    existing = dict(cur.execute("SELECT round_name, round_id FROM store.assessment_rounds").fetchall())
    next_id = max(existing.values(), default=0) + 1
    new = []
    for name in pd.unique(stage["round_name"]):
        if name in existing:
            continue
        held = stage.loc[stage["round_name"].eq(name), "_held"].dropna()
        when = pd.Timestamp(held.min()).date() if len(held) else None
        y = re.search(r"(20\d{2})年", name)
        year = int(y[1]) if y else (when.year if when else None)
        new.append([next_id, name, assessor_of(name), when, year])
        existing[name] = next_id
        next_id += 1
    if new:
        cur.executemany("INSERT INTO store.assessment_rounds VALUES (?, ?, ?, ?, ?)", new)
        _created(cur, import_id, "round", [r[0] for r in new])
        ctx.res.created["测评轮次"] = [r[1] for r in new]
        undated = [r[1] for r in new if r[3] is None]
        if undated:
            ctx.res.notes.append(f"新轮次「{'、'.join(undated)}」没有测评日期，可在导入测评结果时补上（测评日期列）。")
    out = stage.drop(columns=["round_name", "_held"])
    out.insert(1, "round_id", pd.array(stage["round_name"].map(existing).to_numpy(), dtype="Int32"))
    return out


# --- per kind --------------------------------------------------------------------------------------
def _write(ctx, spec: TableSpec, stage: pd.DataFrame, import_id: int) -> None:
    # _k numbers the rows to write (a wide survey row gives one per indicator; _i is the file row)
    stage = stage.assign(_k=np.arange(len(stage), dtype=np.int64))
    stage_table(ctx.cur, stage)
    try:
        counts = upsert(ctx.cur, spec, stage, import_id, allow_older=ctx.allow_older)
    finally:
        drop_stage(ctx.cur)
    ctx.res.accepted += counts["inserted"]
    ctx.res.updated += counts["updated"]
    ctx.res.unchanged += counts["unchanged"]
    ctx.res.older += counts["older"]
    if ctx.res.older:
        ctx.res.notes.append(f"{ctx.res.older} 条问题在库中的整改状态比本文件新（如已销号 → 待整改），按库中状态保留、"
                             "未回退；确认是更正时可选择“允许状态回退”（命令行 --allow-older）。")


def _dims(ctx, stage: pd.DataFrame, import_id: int) -> None:
    cur, res = ctx.cur, ctx.res
    if "street" in stage:
        res.created["街道"] = add_streets(cur, stage["street"].dropna().unique().tolist(), import_id)
    if "department" in stage:
        res.created["责任单位"] = add_departments(cur, stage["department"].dropna().unique().tolist(), import_id)
    if "site_id" in stage:
        res.created["点位"] = add_sites(cur, ctx.new_sites, stage["site_id"], import_id)
        located = fill_site_coordinates(cur, getattr(ctx, "site_coords", None), stage["site_id"])
        if located:
            res.notes.append(f"{located} 个已有点位按本文件补上了经度、纬度（已有经纬度的点位不改）。")
    res.created = {k: v for k, v in res.created.items() if v}


def apply_ledger(ctx, stage: pd.DataFrame, import_id: int) -> None:
    stage = stage.assign(inspection_id=pd.array([None] * len(stage), dtype="Int64"))
    _write(ctx, PROBLEMS, stage, import_id)
    if ctx.res.accepted or ctx.res.updated:
        _dims(ctx, stage, import_id)


def apply_scores(ctx, stage: pd.DataFrame, import_id: int) -> None:
    stage = resolve_rounds(ctx, stage, import_id)
    _write(ctx, SCORES, stage, import_id)
    if ctx.res.accepted or ctx.res.updated:
        _dims(ctx, stage, import_id)


def apply_survey(ctx, stage: pd.DataFrame, import_id: int) -> None:
    stage = resolve_rounds(ctx, stage, import_id)
    _write(ctx, SURVEY, stage, import_id)
    if ctx.res.accepted or ctx.res.updated:
        _dims(ctx, stage, import_id)


def apply_peers(ctx, stage: pd.DataFrame, import_id: int) -> None:
    stage = resolve_rounds(ctx, stage, import_id)
    _write(ctx, PEERS, stage, import_id)


def apply_report_streets(ctx, stage: pd.DataFrame, import_id: int) -> None:
    stage = resolve_rounds(ctx, stage, import_id)
    _write(ctx, REPORT_STREETS, stage, import_id)


def apply_negatives(ctx, stage: pd.DataFrame, import_id: int) -> None:
    """Events into store.negative_reports (a new one numbered after the last and stamped with the time), and each
    row's fate for the check step: 新增, 更新 (its 情况说明, 来源 or 报送人 changed; the old version kept) or 已有."""
    cur = ctx.cur
    _write(ctx, NEGATIVES, stage, import_id)
    start = one(cur, "SELECT coalesce(max(report_id), 0) FROM store.negative_reports")[0]
    cur.execute("""
        UPDATE store.negative_reports AS t SET report_id = n.id, entered_at = now()::TIMESTAMP
        FROM (SELECT rowid AS rid, ? + row_number() OVER (ORDER BY occurred_on, code, unit) AS id
              FROM store.negative_reports WHERE report_id IS NULL) n
        WHERE t.rowid = n.rid""", [int(start)])
    mine = set(cur.execute("SELECT code, occurred_on, unit FROM store.negative_reports WHERE import_id = ?",
                           [import_id]).fetchall())
    changed = set(cur.execute("SELECT code, occurred_on, unit FROM store.negative_report_versions "
                              "WHERE superseded_by = ?", [import_id]).fetchall())
    fates = ctx.res.row_fates
    if fates is None:
        return
    days = pd.to_datetime(stage["occurred_on"]).dt.date
    fate = {}
    for i, c, d, u in zip(stage["_i"], stage["code"], days, stage["unit"]):
        k = (c, d, None if u is None or u != u else u)
        fate[int(i)] = "更新（情况说明等有变化，旧版本保留）" if k in changed else "新增" if k in mine else "已有，不重复导入"
    ctx.res.row_fates = fates.assign(结果=[fate.get(int(i), r) for i, r in zip(fates["_i"], fates["结果"])])


APPLY = {"ledger": apply_ledger, "assessment": apply_scores, "survey": apply_survey, "peers": apply_peers,
         "report_streets": apply_report_streets, "negatives": apply_negatives}
