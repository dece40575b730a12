"""What each kind of file becomes: typed rows for the store, and the rows held back with their reasons.

A builder parses every field once per distinct value, records every problem of every row (row, column,
reason in Chinese), and returns only the rows without any problem — a row is imported whole or not at all.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from campaign.ingest import names as namecheck
from campaign.ingest import values
from campaign.ingest.engine import Frame, ImportResult, round_from_title
from campaign.ingest.mapping import IND_PREFIX, Aliases

OPEN, CLOSED = ("待整改", "整改中"), ("已整改", "已销号")
MISSING = "必填项为空"


@dataclass
class Context:
    cur: duckdb.DuckDBPyConnection
    al: Aliases
    res: ImportResult
    frame: Frame
    round_name: str | None = None
    issues: list[tuple[np.ndarray, str, object]] = field(default_factory=list)
    name_flags: list[namecheck.NameFlag] = field(default_factory=list)
    new_sites: pd.DataFrame | None = None
    coded: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)  # id → (array, codes, distinct)

    @property
    def n(self) -> int:
        return self.frame.n

    def has(self, fld: str) -> bool:
        return fld in self.frame.cols

    def raw(self, fld: str) -> np.ndarray:
        col = self.frame.col(fld)
        return col if col is not None else np.full(self.n, None, dtype=object)

    def issue(self, mask: np.ndarray, fld: str, reason: object) -> None:
        idx = np.nonzero(mask)[0]
        if len(idx):
            self.issues.append((idx, fld, reason[idx] if isinstance(reason, np.ndarray) else reason))

    def errors(self, fld: str, errs: np.ndarray) -> None:
        self.issue(values.present(errs), fld, errs)

    def fact(self, fld: str) -> tuple[np.ndarray, np.ndarray]:
        if fld in self.frame.cols:
            return self.frame.fact(fld)
        return np.full(self.n, -1, dtype=np.intp), np.empty(0, dtype=object)

    def empty(self, fld: str) -> np.ndarray:
        flags, _ = values.per_unique(self.fact(fld), lambda v: (values.is_empty(v), None), fill=True)
        return flags.astype(bool)

    def require(self, fld: str) -> None:
        """Rows whose cell for ``fld`` is empty are held back (a missing column counts as empty)."""
        self.issue(self.empty(fld), fld, MISSING)

    # --- typed columns ------------------------------------------------------------------------------
    def text(self, fld: str, fn=values.name_text) -> np.ndarray:
        out, codes, uniq = values.texts_coded(self.fact(fld), fn)
        self.coded[id(out)] = (out, codes, uniq)
        return out

    def codes(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of a text column: remembered from ``text``, else computed."""
        hit = self.coded.get(id(arr))
        if hit is not None and hit[0] is arr:
            return hit[1], hit[2]
        codes, uniq = pd.factorize(arr, use_na_sentinel=True)
        return codes, np.asarray(uniq, dtype=object)

    def parsed(self, fld: str, cell) -> np.ndarray:
        codes, uniq = self.fact(fld)
        out = [cell(u) for u in uniq]
        per = np.empty(len(uniq) + 1, dtype=object)
        errs = np.empty(len(uniq) + 1, dtype=object)
        per[:-1], errs[:-1] = [v for v, _ in out], [e for _, e in out]
        self.errors(fld, errs[codes])
        vals = per[codes]
        self.coded[id(vals)] = (vals, np.where(codes >= 0, codes, len(uniq)), per)
        return vals

    def distinct(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(codes, values) of an array this context parsed (cells, not necessarily distinct values),
        else of any array."""
        hit = self.coded.get(id(arr))
        if hit is not None and hit[0] is arr:
            return hit[1], hit[2]
        return values.factorize(arr)

    def number(self, fld: str, cell=values.parse_number_cell) -> np.ndarray:
        vals, errs = values.numbers(self.fact(fld), cell)
        self.errors(fld, errs)
        return vals

    def name(self, entity: str) -> np.ndarray:
        """A name column (street, department, round, peer) with the office's corrections applied
        (header_aliases.yaml ``names``, and the 名称核对 answers kept in store.name_aliases)."""
        text = self.text(entity)
        fixes = {**self.al.names.get(entity, {}), **self.stored_aliases(entity)}
        if not fixes:
            return text
        out, codes, uniq = values.texts_coded(self.codes(text), lambda v: fixes.get(v, v))
        self.coded[id(out)] = (out, codes, uniq)
        return out

    def stored_aliases(self, entity: str) -> dict[str, str]:
        rows = self.cur.execute("SELECT name, canonical FROM store.name_aliases WHERE entity = ?",
                                [entity]).fetchall()
        return dict(rows)

    def confirmed(self, entity: str) -> set[str]:
        both = {**self.al.names.get(entity, {}), **self.stored_aliases(entity)}
        return {k for k, v in both.items() if k == v}

    def check_names(self, entity: str, fld: str, col: np.ndarray, known: set[str]) -> None:
        codes, uniq = self.codes(col)
        counts = Counter(dict(zip(uniq.tolist(), np.bincount(codes[codes >= 0], minlength=len(uniq)).tolist())))
        flags = namecheck.check(entity, counts, known, self.confirmed(entity))
        for f in flags:
            self.issue(col == f.name, fld, f.reason)
        self.name_flags.extend(flags)

    def scalar_list(self, sql: str, params: list | None = None) -> list:
        return [r[0] for r in self.cur.execute(sql, params or []).fetchall()]

    # --- dates -----------------------------------------------------------------------------------------
    def reference_date(self, parsed: list[np.ndarray]) -> tuple[date, str]:
        """The "as of" date of the export: its latest full date, else a year in the title or file name."""
        latest = None
        for p in parsed:
            for v in self.distinct(p)[1]:
                if isinstance(v, date) and (latest is None or v > latest):
                    latest = v
        if latest is not None:
            return latest, "文件中其他日期"
        for text, why in [(" ".join(self.frame.titles), "表格标题"), (self.res.file_name, "文件名")]:
            m = re.search(r"(20\d{2})\s*年?", text)
            if m:
                return date(int(m[1]), 12, 31), why
        return date.today(), "今天的日期"

    def dates(self, fld: str, parsed: np.ndarray, ref: tuple[date, str]) -> np.ndarray:
        out, n_yearless = values.resolve_dates(self.distinct(parsed), ref[0])
        if n_yearless:
            self.res.notes.append(f"「{self.al.label(fld)}」有 {n_yearless} 个日期没写年份（如“3月12日”），"
                                  f"已按 {ref[0].year} 年补全（依据：{ref[1]}）；跨年的按上一年计。")
        return out

    # --- rounds ------------------------------------------------------------------------------------------
    def round_names(self) -> np.ndarray:
        """Round name per row: from its column, else from --round or the title ("2026年第二轮模拟测评…")."""
        fallback = self.round_name or round_from_title(" ".join(self.frame.titles))
        if self.has("round"):
            names = self.name("round")
            if fallback:
                names = np.where(values.present(names), names, fallback)
            else:
                self.require("round")
        else:
            names = np.full(self.n, fallback, dtype=object)
            if fallback:
                self.res.notes.append(f"测评轮次取自{'命令参数' if self.round_name else '表格标题'}：{fallback}")
        known = {r[0] for r in self.cur.execute("SELECT round_name FROM store.assessment_rounds").fetchall()}
        self.check_names("round", "round", names, known)
        return names

    def held_dates(self) -> np.ndarray:
        if not self.has("held_on"):
            return np.full(self.n, np.datetime64("NaT", "D"))
        p = self.parsed("held_on", values.parse_date_cell)
        return self.dates("held_on", p, self.reference_date([p]))

    def drop_rows(self, mask: np.ndarray, label: str) -> None:
        """Rows that are not data of this kind (全区 averages, our own district among peers): skipped, counted."""
        if mask.any():
            self.res.skipped += int(mask.sum())
            self.res.skipped_detail[label] = self.res.skipped_detail.get(label, 0) + int(mask.sum())
            self.frame = self.frame.take(np.nonzero(~mask)[0])

    # --- quarantine ------------------------------------------------------------------------------------
    def quarantine(self) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        cols = ["_i", "工作表", "行号", "列", "原值", "原因"]
        if not self.issues:
            return pd.DataFrame(columns=cols), {}
        parts = []
        for idx, fld, reason in self.issues:
            sheets = self.frame.sheet[idx]
            header = np.array([self.frame.headers.get((s, fld), self.al.label(fld)) for s in sheets], dtype=object)
            raw = self.raw(fld)[idx]
            shown = values.texts(raw, lambda v: None if values.is_empty(v) else values.plain(v))
            parts.append(pd.DataFrame({"_i": idx, "工作表": sheets, "行号": self.frame.row[idx], "列": header,
                                       "原值": shown, "原因": reason}))
        q = pd.concat(parts, ignore_index=True)
        order = {s: i for i, s in enumerate(self.frame.originals)}
        q["_o"] = q["工作表"].map(order)
        q = q.sort_values(["_o", "行号", "列"], kind="stable").drop(columns="_o").reset_index(drop=True)
        rows = {}
        for sheet, g in q.groupby("工作表", sort=False):
            names_, all_rows = self.frame.originals[sheet]
            why = g.groupby("行号")["原因"].agg(lambda r: "；".join(dict.fromkeys(r)))
            width = len(names_)
            cells = [list(all_rows[r - 1][:width]) for r in why.index]
            body = [c + [""] * (width - len(c)) for c in cells]
            header = [n or f"第{c + 1}列" for c, n in enumerate(names_)]
            df = pd.DataFrame(body, columns=header, dtype=object)
            df.insert(0, "隔离原因", why.to_numpy())
            df.insert(0, "原行号", why.index.to_numpy())
            rows[sheet] = df
        return q[cols], rows

    def accepted(self) -> np.ndarray:
        bad = np.zeros(self.n, dtype=bool)
        for idx, _, _ in self.issues:
            bad[idx] = True
        return ~bad

    def duplicate_keys(self, key: pd.Series, fld: str, what: str) -> None:
        """Rows whose key repeats an earlier row's (but that are not exact repeats) are held back."""
        dup = key.duplicated(keep="first").to_numpy() & key.notna().to_numpy()
        if dup.any():
            first = pd.Series(self.frame.row, index=key.index).groupby(key).transform("first").to_numpy()
            reason = np.array([f"与第 {r} 行{what}相同，但其他内容不同" for r in first], dtype=object)
            self.issue(dup, fld, reason)


def frame(cols: dict[str, object]) -> pd.DataFrame:
    """A DataFrame that keeps object columns as object (no string inference: Arrow conversion happens once,
    in upsert)."""
    return pd.DataFrame({k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v
                         for k, v in cols.items()}, copy=False)


def assessor_of(name: str) -> str:
    if "国测" in name or "国家" in name or "全国" in name:
        return "国测"
    if "省" in name:
        return "省级"
    if "市" in name:
        return "市级"
    return "第三方"


def _known(cur, sql: str) -> set[str]:
    return {r[0] for r in cur.execute(sql).fetchall() if r[0] is not None}


def known_streets(cur) -> set[str]:
    return _known(cur, "SELECT street FROM store.streets UNION SELECT street FROM store.sites")


def known_departments(cur) -> set[str]:
    return _known(cur, "SELECT department FROM store.departments UNION SELECT department FROM store.standards "
                       "UNION SELECT department FROM store.sites")


def _sites(cur) -> pd.DataFrame:
    return cur.execute("SELECT site_id, site, site_type, street, department FROM store.sites "
                       "ORDER BY site_id").df()


def _first_of_groups(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(groups, index of each group's first row), by hashing rather than sorting."""
    first = pd.Series(group).drop_duplicates()
    return first.to_numpy(), first.index.to_numpy()


def _first_valid(values_: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """The first non-empty value of each group (rows in file order)."""
    out = np.full(n_groups, None, dtype=object)
    has = values.present(values_)
    g, first = _first_of_groups(group[has])
    out[g] = values_[has][first]
    return out


def attach_sites(ctx: Context, site: np.ndarray, street: np.ndarray, site_type: np.ndarray,
                 dept: np.ndarray, ok: np.ndarray) -> pd.DataFrame:
    """Match site names to store.sites (same street preferred); sites not yet known become new sites
    (ctx.new_sites, written by apply). Returns per row: site_id, site_type, street, department, the file's
    values first."""
    sites = _sites(ctx.cur)
    by_name: dict[str, list[tuple]] = {}
    for r in sites.itertuples(index=False, name=None):
        by_name.setdefault(r[1], []).append(r)
    pair, uniq = pd.factorize(values.combine_codes([ctx.codes(site)[0], ctx.codes(street)[0]]))
    use = ok & values.present(site)
    grp = np.where(use, pair, -1)
    n_pairs = len(uniq)
    first_row = np.full(n_pairs, -1, dtype=np.int64)
    g, idx = _first_of_groups(grp[use])
    first_row[g] = np.nonzero(use)[0][idx]
    first_type = _first_valid(site_type[use], grp[use], n_pairs)
    first_dept = _first_valid(dept[use], grp[use], n_pairs)
    look = np.full((n_pairs + 1, 4), None, dtype=object)  # site_id, site_type, street, department
    new = []
    next_id = int(sites["site_id"].max()) + 1 if len(sites) else 1
    for k in g:
        s, st = site[first_row[k]], street[first_row[k]]
        cands = by_name.get(s, [])
        hit = next((c for c in cands if c[3] == st), cands[0] if cands else None)
        if hit is None:
            hit = (next_id, s, first_type[k], st, first_dept[k])
            new.append(hit)
            by_name[s] = [hit]
            next_id += 1
        look[k] = (hit[0], hit[2], hit[3], hit[4])
    at = look[np.where(use, pair, n_pairs)]
    ctx.new_sites = pd.DataFrame(new, columns=["site_id", "site", "site_type", "street", "department"])
    ids = at[:, 0]
    has_id = pd.notna(ids)
    site_id = pd.array(np.where(has_id, ids, 0).astype(np.int32), dtype="Int32")
    site_id[~has_id] = pd.NA
    return {
        "site_id": site_id,
        "site_type": np.where(values.present(site_type), site_type, at[:, 1]),
        "street": np.where(values.present(street), street, at[:, 2]),
        "department": np.where(values.present(dept), dept, at[:, 3]),
    }


# ----------------------------------------------------------------------------------------------------
def build_ledger(ctx: Context) -> pd.DataFrame:
    res, al = ctx.res, ctx.al
    site = ctx.text("site")
    street = ctx.name("street")
    dept = ctx.name("department")
    category = ctx.text("category")
    desc = ctx.text("description", values.free_text)
    site_type = ctx.text("site_type")
    source = ctx.text("source", values.free_text)
    code = _standard_codes(ctx)

    found_p = ctx.parsed("found_on", values.parse_date_cell)
    closed_p = ctx.parsed("closed_on", values.parse_date_cell)
    dl_p = ctx.parsed("deadline", values.parse_deadline_cell)  # a date, or days after the finding (int)
    ref = ctx.reference_date([found_p, closed_p, dl_p])
    found = ctx.dates("found_on", found_p, ref)
    closed = ctx.dates("closed_on", closed_p, ref)
    days, _ = values.per_unique(dl_p, lambda v: (v if type(v) is int else -1, None), fill=-1)
    days = days.astype(np.int64)
    deadline = ctx.dates("deadline", np.where(days >= 0, None, dl_p), ref)
    deadline = np.where(days >= 0, found + np.maximum(days, 0).astype("timedelta64[D]"), deadline)

    deduction = ctx.number("deduction", values.parse_deduction_cell)
    card = ctx.parsed("card", values.card_cell(al.cards))
    status = ctx.parsed("status", values.status_cell(al.statuses))

    for f in ("found_on", "street", "site"):
        ctx.require(f)
    has_what = values.present(category) | values.present(desc)
    ctx.issue(~has_what, "description" if ctx.has("description") else "category",
              "问题描述和问题类别都为空")
    ok_found = ~np.isnat(found)
    ctx.issue(ok_found & ~np.isnat(closed) & (closed < found), "closed_on", "整改完成日期早于发现日期")
    ctx.issue(ok_found & ~np.isnat(deadline) & (deadline < found), "deadline", "整改时限早于发现日期")

    # status and closing date agree: a closing date means closed; a closed status needs a closing date
    st = pd.Series(status, dtype=object)
    has_closed = ~np.isnat(closed)
    promote = has_closed & ~st.isin(CLOSED).to_numpy()
    st[promote] = "已整改"
    st[~has_closed & st.isna().to_numpy()] = "待整改"
    fill_closed = st.isin(CLOSED).to_numpy() & ~has_closed

    ctx.check_names("street", "street", street, known_streets(ctx.cur))
    ctx.check_names("department", "department", dept, known_departments(ctx.cur))
    pid = _problem_ids(ctx, found, site, category, desc, dept)
    ok = ctx.accepted()
    promoted = promote & ok & values.present(status)
    if promoted.any():
        res.notes.append(f"{int(promoted.sum())} 条问题有整改完成日期但状态为未完成，已按“已整改”计。")
    if (fill_closed & ok).any():
        # the store's closing date stands; a problem first seen closed gets the export's date
        known_closed = _closed_dates(ctx.cur, pid[fill_closed & ok])
        prev = pd.Series(pid, dtype=object).map(known_closed).to_numpy()
        from_store = fill_closed & pd.notna(prev)
        closed = np.where(from_store, prev.astype("datetime64[D]"), closed)
        fresh = fill_closed & ok & ~from_store
        closed = np.where(fresh, np.datetime64(ref[0], "D"), closed).astype("datetime64[D]")
        if fresh.any():
            res.notes.append(f"{int(fresh.sum())} 条已整改问题没有整改完成日期，"
                             f"完成日期按导出日（文件中最晚日期 {ref[0]:%Y-%m-%d}）计。")

    at = attach_sites(ctx, site, street, site_type, dept, ok)
    stage = frame({
        "_i": np.arange(ctx.n), "problem_id": pid, "found_on": found, "site_id": at["site_id"], "site": site,
        "site_type": at["site_type"], "street": street, "department": at["department"],
        "category": category, "standard_code": code, "description": desc, "deduction": deduction,
        "card": card, "deadline": deadline, "status": st.to_numpy(), "closed_on": closed, "source": source,
    })
    stage["_visit"] = values.combine_codes([pd.factorize(found)[0], ctx.codes(site)[0], ctx.codes(street)[0],
                                            ctx.codes(source)[0]])
    provided = {"_visit", "problem_id", "found_on", "site_id", "site", "site_type", "street", "department",
                "status", "closed_on"}
    provided |= {f for f in ("category", "standard_code", "description", "deduction", "card", "deadline", "source")
                 if ctx.has(f)}
    cols = ["_i", *[c for c in stage.columns if c in provided]]
    return stage[cols] if ok.all() else stage.loc[ok, cols].reset_index(drop=True)


def _closed_dates(cur, pids: np.ndarray) -> dict:
    cur.register("ingest_pids", pd.DataFrame({"problem_id": pd.unique(pids).astype(object)}))
    try:
        rows = cur.execute("SELECT p.problem_id, p.closed_on FROM store.problems p SEMI JOIN ingest_pids i "
                           "ON p.problem_id = i.problem_id WHERE p.closed_on IS NOT NULL").fetchall()
    finally:
        cur.unregister("ingest_pids")
    return {k: np.datetime64(v, "D") for k, v in rows}


def _standard_codes(ctx: Context) -> np.ndarray | None:
    if not ctx.has("standard_code"):
        return np.full(ctx.n, None, dtype=object)
    known = set(ctx.scalar_list("SELECT code FROM store.standards"))
    code, errs = values.per_unique(ctx.raw("standard_code"), lambda v: (
        (None, None) if values.is_empty(v) else
        (c, None) if (c := values.name_text(values._nfkc(v)).upper()) in known else
        (None, f"测评标准编码「{c}」不在测评体系中")))
    ctx.errors("standard_code", errs)
    return code


def _problem_ids(ctx: Context, found, site, category, desc, dept) -> np.ndarray:
    """The ledger's own 编号 when it has one; otherwise a stable key of (date, site, category, description) and
    the occurrence of that key in the file — two different problems at one site on one day stay two."""
    pid = ctx.text("problem_id")
    if ctx.has("problem_id"):
        given = pid[values.present(pid)]
        digits = len(given) > 1 and given[0].isdigit() and pc.all(pc.match_substring_regex(
            pa.array(given, type=pa.string()), r"^\d{1,9}$")).as_py()
        nums = np.sort(given.astype(np.int64)) if digits else None
        if digits and (nums == np.arange(nums[0], nums[0] + len(nums))).all():
            header = ctx.frame.headers.get((ctx.frame.sheet[0], "problem_id"), "编号")
            ctx.res.notes.append(f"「{header}」列是顺序号，不作为问题编号使用。")
            pid = np.full(ctx.n, None, dtype=object)
        elif not values.all_distinct(ctx.codes(pid)[0]):  # as stored: "DC1" and "DC1 " are one number
            ctx.duplicate_keys(pd.Series(pid, dtype=object), "problem_id", "问题编号")
    need = ~values.present(pid)
    if need.any():
        key = (pd.Series(np.datetime_as_string(found, unit="D")) + "|" + pd.Series(site, dtype=object).fillna("")
               + "|" + pd.Series(category, dtype=object).fillna("") + "|"
               + pd.Series(desc, dtype=object).fillna(""))
        order = pd.DataFrame({"key": key, "dept": pd.Series(dept, dtype=object).fillna(""),
                              "sheet": ctx.frame.sheet, "row": ctx.frame.row})
        occ = order.sort_values(["key", "dept", "sheet", "row"], kind="stable").groupby("key").cumcount() + 1
        full = (key + "#" + occ.sort_index().astype(str)).to_numpy()[need]
        pid = pid.copy()
        pid[need] = hashed_ids(ctx.cur, full)
    return pid


def hashed_ids(cur: duckdb.DuckDBPyConnection, keys: np.ndarray) -> np.ndarray:
    """"H" + the first 15 hex digits of the key's MD5: stable across versions and machines."""
    cur.register("ingest_keys", pa.table({"k": pa.array(keys, type=pa.string())}))
    try:
        ids = cur.execute("SELECT 'H' || left(md5(k), 15) AS id FROM ingest_keys").fetchnumpy()["id"]
    finally:
        cur.unregister("ingest_keys")
    return np.asarray(ids, dtype=object)


# ----------------------------------------------------------------------------------------------------
def _framework(ctx: Context) -> pd.DataFrame:
    return ctx.cur.execute("SELECT code, method, department, indicator FROM store.standards").df().set_index("code")


def build_assessment(ctx: Context) -> pd.DataFrame:
    fw = _framework(ctx)
    held = ctx.held_dates()
    rounds = ctx.round_names()
    code = _standard_codes(ctx)
    ctx.require("standard_code")
    method = pd.Series(code, dtype=object).map(fw["method"]).to_numpy(dtype=object)
    lead = pd.Series(code, dtype=object).map(fw["department"]).to_numpy(dtype=object)
    score = ctx.number("score") if ctx.has("score") else np.full(ctx.n, np.nan)
    max_score = ctx.number("max_score") if ctx.has("max_score") else np.full(ctx.n, np.nan)
    if ctx.has("passed"):
        passed = ctx.number("passed", values.vocab_cell(ctx.al.passed, "达标情况"))
        use = np.isnan(score) & ~np.isnan(passed)
        score = np.where(use, passed, score)
        max_score = np.where(use & np.isnan(max_score), 1.0, max_score)
    unread = ~ctx.accepted()
    ctx.issue(np.isnan(score) & ~unread, "score" if ctx.has("score") else "passed", MISSING)
    ctx.issue(np.isnan(max_score) & ~np.isnan(score) & ~unread, "max_score" if ctx.has("max_score") else "score",
              "缺少满分（分值）")
    with np.errstate(invalid="ignore"):
        ctx.issue(score < 0, "score", "得分不能为负数")
        ctx.issue(max_score <= 0, "max_score", "满分应大于 0")
        ctx.issue(score > max_score + 1e-9, "score", "得分大于满分")
    ctx.issue(method == "问卷调查", "standard_code", "问卷调查类标准请按“问卷调查结果”导入")
    on_site = method == "实地考察"
    site = np.where(on_site, ctx.text("site"), None)
    ctx.issue(on_site & ~values.present(site), "site" if ctx.has("site") else "standard_code", "实地考察标准须填写点位")
    street = np.where(on_site, ctx.name("street"), None)
    dept = ctx.name("department")
    ctx.check_names("street", "street", street, known_streets(ctx.cur))
    ctx.check_names("department", "department", dept, known_departments(ctx.cur))
    key = pd.Series([f"{r}|{c}|{s}" if r is not None and c is not None else None
                     for r, c, s in zip(rounds, code, site)], dtype=object)
    ctx.duplicate_keys(key, "standard_code", "轮次、标准和点位")
    ok = ctx.accepted()
    at = attach_sites(ctx, site, street, np.where(on_site, ctx.text("site_type"), None), dept, ok & on_site)
    department = np.where(values.present(dept), dept,
                          np.where(values.present(at["department"]), at["department"], lead))
    stage = frame({
        "_i": np.arange(ctx.n), "round_name": rounds, "_held": held, "standard_code": code,
        "site_id": pd.array(np.where(on_site, at["site_id"].astype(object), None), dtype="Int32"), "site": site,
        "site_type": np.where(on_site, at["site_type"], None), "street": np.where(on_site, at["street"], None),
        "department": department, "score": score, "max_score": max_score,
    })
    return stage[ok].reset_index(drop=True)


DISTRICT_ROWS = ("全区", "全区平均", "平均", "全区合计", "区平均", "全区汇总")


def build_survey(ctx: Context) -> pd.DataFrame:
    ctx.drop_rows(np.isin(ctx.name("street").astype(str), DISTRICT_ROWS), "全区汇总行")
    held = ctx.held_dates()
    rounds = ctx.round_names()
    indicators = set(ctx.scalar_list("SELECT DISTINCT indicator FROM store.standards WHERE indicator IS NOT NULL"))
    street = ctx.name("street")
    ctx.require("street")
    if ctx.has("respondents"):
        respondents = ctx.number("respondents")
        ctx.require("respondents")
        bad = ~np.isnan(respondents) & ~((respondents >= 0) & (respondents < 2**31))  # stored as INTEGER
        ctx.issue(bad, "respondents", "样本量不是有效的人数")
        respondents = np.where(bad, np.nan, respondents)
    else:
        respondents = np.full(ctx.n, 1.0)
        ctx.res.notes.append("文件没有样本量列：各街道按等权计算问卷比率。")
    wide = sorted(f for f in ctx.frame.cols if f.startswith(IND_PREFIX))
    parts = []  # (indicator per row, rate per row, field for messages)
    if wide:
        for f in wide:
            parts.append((np.full(ctx.n, f[len(IND_PREFIX):], dtype=object),
                          ctx.parsed(f, values.parse_rate_cell), f))
    else:
        ind = ctx.parsed("indicator", values.vocab_cell(ctx.al.indicators, "调查指标"))
        ctx.require("indicator")
        rate = ctx.parsed("rate", values.parse_rate_cell)
        ctx.require("rate")
        parts.append((ind, rate, "indicator"))
    for ind, _, f in parts:
        ctx.issue(np.array([v is not None and v not in indicators for v in ind], dtype=bool), f,
                  "测评体系中没有这个问卷指标")
    ctx.check_names("street", "street", street, known_streets(ctx.cur))
    frames = [frame({"_i": np.arange(ctx.n), "round_name": rounds, "_held": held, "street": street,
                     "indicator": ind, "rate": pd.array(rate, dtype="Float64"),
                     "respondents": pd.array(np.round(respondents), dtype="Int32")})
              for ind, rate, _ in parts]
    stage = pd.concat(frames, ignore_index=True)
    stage = stage[stage["rate"].notna()]
    key = stage["round_name"].astype(str) + "|" + stage["street"].astype(str) + "|" + stage["indicator"].astype(str)
    later = stage.loc[key.duplicated(keep="first"), "_i"].to_numpy()
    if len(later):
        ctx.issue(np.isin(np.arange(ctx.n), later), "street", "同一轮次、同一街道的同一指标重复出现，但数值不同")
    ok = ctx.accepted()
    return stage[ok[stage["_i"].to_numpy()]].reset_index(drop=True)


def build_peers(ctx: Context) -> pd.DataFrame:
    from campaign.config import load_office
    from campaign.store import get_meta

    ours = [x for x in {load_office().district, get_meta(ctx.cur, "district") or ""} if x]
    own = np.isin(ctx.name("peer").astype(str), ours)
    if own.any():
        ctx.res.notes.append("本区的得分行已跳过：本区得分由测评结果计算。")
    ctx.drop_rows(own, "本区得分行")
    held = ctx.held_dates()
    rounds = ctx.round_names()
    peer = ctx.name("peer")
    ctx.require("peer")
    total = ctx.number("score")
    ctx.require("score")
    known = set(ctx.scalar_list("SELECT DISTINCT peer FROM store.peer_scores"))
    ctx.check_names("peer", "peer", peer, known)
    key = pd.Series([f"{r}|{p}" if r is not None and p is not None else None for r, p in zip(rounds, peer)],
                    dtype=object)
    ctx.duplicate_keys(key, "peer", "轮次和区县")
    ok = ctx.accepted()
    stage = frame({"_i": np.arange(ctx.n), "round_name": rounds, "_held": held, "peer": peer, "total": total})
    return stage[ok].reset_index(drop=True)


BUILDERS = {"ledger": build_ledger, "assessment": build_assessment, "survey": build_survey, "peers": build_peers}
