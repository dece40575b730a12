"""What each kind of file becomes: typed rows for the store, and the rows held back with their reasons.

A builder parses every field once per distinct value, records every problem of every row (row, column,
reason in Chinese), and returns only the rows without any problem — a row is imported whole or not at all.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from campaign.ingest import names as namecheck
from campaign.ingest import values
from campaign.ingest.result import Frame, ImportResult, round_from_title
from campaign.ingest.mapping import IND_PREFIX, Aliases
from campaign.model import scoring

OPEN, CLOSED = ("待整改", "整改中"), ("已整改", "已销号")
CANCELLED = "作废"
MISSING = "必填项为空"
NO_STREET = "未明确属地"
VALUE_FIELDS = {"status": "整改状态", "card": "督办卡", "passed": "测评情况"}
_MAYBE_NOWHERE = re.compile(r"[无不未暂详知－\-/—…_.。,，?？]|^\W*$")
_STREET_ENDINGS = ("街道办事处", "街道办", "街道", "镇人民政府", "镇政府", "镇", "乡", "园区", "开发区", "管委会")


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
    site_coords: pd.DataFrame | None = None  # 经度/纬度 a file gives for known sites (stored where they have none)
    coded: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)  # id → (array, codes, distinct)
    source: str | None = None           # the profile's source for every row (数字城管, 12345 …)
    accept_suggestions: bool = False    # take suggested names and standards instead of holding rows back
    allow_older: bool = False           # let statuses move back (a correction the office confirmed)

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
        if fld in VALUE_FIELDS:
            self.note_unknown(fld, codes, uniq, errs)
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

    def note_unknown(self, fld: str, codes: np.ndarray, uniq: np.ndarray, errs: np.ndarray) -> None:
        """Values of a vocabulary field nobody has mapped yet, with their row counts, for the check step."""
        bad = [i for i in range(len(uniq)) if errs[i] is not None]
        if not bad:
            return
        counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
        seen = dict(self.res.unknown_values.get(fld, []))
        for i in bad:
            v = values.plain(uniq[i]).strip()
            seen[v] = seen.get(v, 0) + int(counts[i])
        self.res.unknown_values[fld] = [[v, n] for v, n in sorted(seen.items(), key=lambda x: -x[1])]

    def number(self, fld: str, cell=values.parse_number_cell) -> np.ndarray:
        vals, errs = values.numbers(self.fact(fld), cell)
        self.errors(fld, errs)
        self.issue(self.nan_cells(fld), fld, values.NOT_FINITE)
        return vals

    def nan_cells(self, fld: str) -> np.ndarray:
        """Rows whose cell is a number cell holding NaN (factorising counts it as empty): held, not blank."""
        out = np.zeros(self.n, dtype=bool)
        if fld not in self.frame.cols:
            return out
        f = self.frame
        col: dict[str, int | None] = {}
        for i in np.nonzero(self.fact(fld)[0] < 0)[0]:
            sheet = f.sheet[i]
            names, rows = f.originals[sheet]
            if sheet not in col:
                header = f.headers.get((sheet, fld))
                col[sheet] = names.index(header) if header in names else None
            c = col[sheet]
            if c is None:
                continue
            r = rows[f.row[i] - 1]
            v = r[c] if c < len(r) else None
            out[i] = isinstance(v, float) and v != v
        return out

    def name(self, entity: str, fld: str | None = None, known: set[str] | None = None) -> np.ndarray:
        """A name column (street, department, round, peer) with the office's corrections applied
        (header_aliases.yaml ``names``, and the 名称核对 answers kept in store.name_aliases); department names
        written in a known short form (区城管局) become the store's full name when exactly one matches."""
        text = self.text(fld or entity)
        return self.fixed(entity, text, known)

    def fixed(self, entity: str, text: np.ndarray, known: set[str] | None = None) -> np.ndarray:
        fixes = {**self.al.names.get(entity, {}), **self.stored_aliases(entity)}
        if entity == "department" and known:
            codes, uniq = self.codes(text)
            todo = [u for u in uniq.tolist() if u not in known and u not in fixes]
            short = namecheck.resolve_names(entity, todo, known) if todo else {}
            if short:
                counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
                rows = dict(zip(uniq.tolist(), counts.tolist()))
                for name, canonical in short.items():
                    self.note_resolved(entity, name, canonical, "简称", rows.get(name, 0))
                fixes = {**fixes, **short}
        if not fixes:
            return text
        out, codes, uniq = values.texts_coded(self.codes(text), lambda v: fixes.get(v, v))
        self.coded[id(out)] = (out, codes, uniq)
        return out

    def note_resolved(self, entity: str, name: str, canonical: str, how: str, rows: int) -> None:
        for r in self.res.resolved:
            if (r["entity"], r["name"]) == (entity, name):
                r["rows"] += rows
                return
        self.res.resolved.append({"entity": entity, "name": name, "canonical": canonical, "how": how, "rows": rows})

    def stored_aliases(self, entity: str) -> dict[str, str]:
        rows = self.cur.execute("SELECT name, canonical FROM store.name_aliases WHERE entity = ?",
                                [entity]).fetchall()
        return dict(rows)

    def confirmed(self, entity: str) -> set[str]:
        both = {**self.al.names.get(entity, {}), **self.stored_aliases(entity)}
        return {k for k, v in both.items() if k == v}

    def check_names(self, entity: str, fld: str, col: np.ndarray, known: set[str]) -> np.ndarray:
        """Names near a known one are held back for the office to confirm — or, with ``accept_suggestions``,
        replaced by the suggestion. Returns the column as it will be stored."""
        codes, uniq = self.codes(col)
        counts = Counter(dict(zip(uniq.tolist(), np.bincount(codes[codes >= 0], minlength=len(uniq)).tolist())))
        flags = namecheck.check(entity, counts, known | {NO_STREET}, self.confirmed(entity))
        if self.accept_suggestions and flags:
            fixes = {f.name: f.suggestion for f in flags}
            for f in flags:
                self.note_resolved(entity, f.name, f.suggestion, "建议", f.rows)
            out, c2, u2 = values.texts_coded((codes, uniq), lambda v: fixes.get(v, v))
            self.coded[id(out)] = (out, c2, u2)
            return out
        for f in flags:
            self.issue(col == f.name, fld, f.reason)
        self.name_flags.extend(flags)
        return col

    def scalar_list(self, sql: str, params: list | None = None) -> list:
        return [r[0] for r in self.cur.execute(sql, params or []).fetchall()]

    # --- dates -----------------------------------------------------------------------------------------
    def reference_date(self, parsed: list[np.ndarray]) -> tuple[date, str]:
        """The "as of" date of the export: its latest full date (of the columns given: findings and closings,
        not deadlines, which lie ahead), else a year in the title or file name."""
        latest = None
        for p in parsed:
            for v in self.distinct(p)[1]:
                if isinstance(v, datetime):
                    v = v.date()
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
        return self.check_names("round", "round", names, known)

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


def coordinates(ctx: Context) -> tuple[np.ndarray | None, np.ndarray | None]:
    """经度/纬度 columns (degrees), checked: inside China's range, both or neither; None without them."""
    if not (ctx.has("lon") or ctx.has("lat")):
        return None, None
    lon, lat = ctx.number("lon"), ctx.number("lat")
    with np.errstate(invalid="ignore"):
        ctx.issue(~np.isnan(lon) & ((lon < 73) | (lon > 136)), "lon", "经度应在 73 到 136 度之间（如 113.2651）")
        ctx.issue(~np.isnan(lat) & ((lat < 3) | (lat > 54)), "lat", "纬度应在 3 到 54 度之间（如 23.1291）")
    no_lon, no_lat = ctx.empty("lon"), ctx.empty("lat")  # empty cells (an unreadable one says so itself)
    ctx.issue(~no_lon & no_lat, "lat", "有经度没有纬度：经度、纬度应同时填写")
    ctx.issue(no_lon & ~no_lat, "lon", "有纬度没有经度：经度、纬度应同时填写")
    return lon, lat


def attach_sites(ctx: Context, site: np.ndarray, street: np.ndarray, site_type: np.ndarray,
                 dept: np.ndarray, ok: np.ndarray, lon: np.ndarray | None = None,
                 lat: np.ndarray | None = None) -> pd.DataFrame:
    """Match site names to store.sites of the same street; sites not yet known become new sites
    (ctx.new_sites, written by apply). Returns per row: site_id, site_type, street, department, the file's
    values first. With 经度/纬度, a site takes the first row's pair (new sites, and known sites without one:
    ctx.site_coords)."""
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
    xy = np.full((n_pairs, 2), None, dtype=object)
    if lon is not None and lat is not None:
        both = ~np.isnan(lon) & ~np.isnan(lat)
        for j, v in enumerate((lon, lat)):
            xy[:, j] = _first_valid(np.where(both, v.astype(object), None)[use], grp[use], n_pairs)
    look = np.full((n_pairs + 1, 4), None, dtype=object)  # site_id, site_type, street, department
    new, coords = [], []
    next_id = int(sites["site_id"].max()) + 1 if len(sites) else 1
    for k in g:
        s, st = site[first_row[k]], street[first_row[k]]
        cands = by_name.get(s, [])
        hit = next((c for c in cands if c[3] == st), None)  # a site is matched only within its own street
        if hit is None:
            hit = (next_id, s, first_type[k], st, first_dept[k])
            new.append(hit + tuple(xy[k]))
            by_name[s] = [hit]
            next_id += 1
        elif xy[k, 0] is not None:
            coords.append((hit[0], *xy[k]))
        look[k] = (hit[0], hit[2], hit[3], hit[4])
    at = look[np.where(use, pair, n_pairs)]
    ctx.new_sites = pd.DataFrame(new, columns=["site_id", "site", "site_type", "street", "department", "lon", "lat"]
                                 ).astype({"lon": float, "lat": float})
    ctx.site_coords = pd.DataFrame(coords, columns=["site_id", "lon", "lat"]).astype(
        {"site_id": "int32", "lon": float, "lat": float})
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
    if ctx.has("status"):  # cancelled cases (作废) are no problems: skipped before anything is read
        st0, _ = values.per_unique(ctx.fact("status"), values.status_cell(al.statuses))
        ctx.drop_rows(st0 == CANCELLED, "作废案件")
    streets_known = known_streets(ctx.cur)
    depts_known = known_departments(ctx.cur)

    # units: the lead unit, the responsible units (one or several), and 承办单位 (a street or a department)
    handler_street, handler_dept = _handler(ctx, streets_known, depts_known)
    units, first, several = _units(ctx, depts_known)
    lead = ctx.check_names("department", "lead_department",
                           ctx.name("department", "lead_department", depts_known), depts_known)
    first = np.where(values.present(first), first, handler_dept)
    if _attribution() == "lead":
        dept = np.where(values.present(lead), lead, first)
    else:
        dept = np.where(values.present(first), first, lead)
    # kept only where they say more than the department column: several units, or one other than it
    units = np.where(several | (values.present(first) & (first != dept)), units, None)

    # where: site, address, street
    site = _no_location(ctx, ctx.text("site"))
    address = ctx.text("address", values.free_text)
    if ctx.has("address"):
        from campaign.ingest.addresses import normalise_address
        addr_site, _ = values.per_unique(ctx.distinct(address), lambda v: (normalise_address(v), None))
        site = np.where(values.present(site), site, addr_site)
    street = ctx.name("street")
    street = np.where(values.present(street), street, handler_street)
    street = ctx.check_names("street", "street", street, streets_known)
    street = _street_fallback(ctx, street, site, address, streets_known)

    category, subcategory = _categories(ctx)
    desc = ctx.text("description", values.free_text)
    site_type = ctx.text("site_type")
    coords = coordinates(ctx)
    source = ctx.text("source", values.free_text)
    if ctx.source and not ctx.has("source"):
        source = np.full(ctx.n, ctx.source, dtype=object)
    code = _standard_codes(ctx)
    if ctx.has("standard_text"):
        std_text = ctx.text("standard_text", values.free_text)
        code = np.where(values.present(code), code, _match_standard_texts(ctx, std_text, hold_unmatched=False))
        desc = np.where(values.present(desc), desc, std_text)
        if not ctx.has("category"):
            cats = dict(ctx.cur.execute("SELECT code, categories[1] FROM store.standards").fetchall())
            category = np.array([cats.get(c) if c is not None else None for c in code], dtype=object)

    # when: found, deadline (a date, a time, or a span in working or calendar days), closed
    found_p = ctx.parsed("found_on", values.parse_date_cell)
    closed_p = ctx.parsed("closed_on", values.parse_date_cell)
    dl_p = ctx.parsed("deadline", values.parse_deadline_cell)
    ref = ctx.reference_date([found_p, closed_p])
    found = ctx.dates("found_on", found_p, ref)
    closed = ctx.dates("closed_on", closed_p, ref)
    deadline, deadline_at = _deadlines(ctx, dl_p, found, ref)

    deduction = ctx.number("deduction", values.parse_deduction_cell)
    bound = _max_deduction()
    ctx.issue(deduction > bound, "deduction", f"扣分超过上限 {bound:g} 分（本办设置 office.yaml 的 max_deduction）")
    card = ctx.parsed("card", values.card_cell(al.cards))
    status = ctx.parsed("status", values.status_cell(al.statuses))
    yes_no = values.yes_no_cell(al.yes_no)
    rebound = ctx.parsed("rebound", yes_no)
    overdue = ctx.parsed("reported_overdue", yes_no)
    counts = {f: ctx.number(f) for f in ("extensions", "reworks")}
    for f, v in counts.items():
        with np.errstate(invalid="ignore"):
            ctx.issue(~np.isnan(v) & ((v < 0) | (v > 10_000) | (v != np.round(v))), f, "次数应为 0 或正整数")

    ctx.require("found_on")
    has_what = values.present(category) | values.present(desc) | values.present(code)
    ctx.issue(~has_what, "description" if ctx.has("description") else "category",
              "问题描述和问题类别都为空")
    ok_found = ~np.isnat(found)
    ctx.issue(ok_found & ~np.isnat(closed) & (closed < found), "closed_on", "整改完成日期早于发现日期")
    ctx.issue(ok_found & ~np.isnat(deadline) & (deadline < found), "deadline", "整改时限早于发现日期")

    # status and closing date agree: a closing date means closed; a closed status without a closing date stays
    # without one (the store's date stands; nothing is taken from another row or column)
    st = pd.Series(status, dtype=object)
    has_closed = ~np.isnat(closed)
    promote = has_closed & ~st.isin(CLOSED).to_numpy()
    st[promote] = "已整改"
    st[~has_closed & st.isna().to_numpy()] = "待整改"
    is_closed = st.isin(CLOSED).to_numpy()
    no_date = is_closed & ~has_closed

    pid = _problem_ids(ctx, found, site, category, desc, dept)
    ok = ctx.accepted()
    promoted = promote & ok & values.present(status)
    if promoted.any():
        res.notes.append(f"{int(promoted.sum())} 条问题有整改完成日期但状态为未完成，已按“已整改”计。")
    # the export's date bounds when a closed problem was closed (the store keeps the first such bound)
    seen_closed = np.where(is_closed, np.datetime64(ref[0], "D"), np.datetime64("NaT", "D")).astype("datetime64[D]")
    if (no_date & ok).any():
        stored = _closed_dates(ctx.cur, pid[no_date & ok])
        prev_closed = pd.Series(pid, dtype=object).map(stored).to_numpy() if stored else np.full(ctx.n, None)
        from_store = no_date & pd.notna(prev_closed)
        closed = np.where(from_store, prev_closed.astype("datetime64[D]"), closed).astype("datetime64[D]")
        unknown = no_date & ok & ~from_store
        res.unknown_closed_on = int(unknown.sum())
        if unknown.any():
            res.notes.append(f"{res.unknown_closed_on} 条已整改（已销号）问题文件中没有整改完成日期：完成日期留空，"
                             "不计入按期整改率和整改天数。")
    res.no_street = int((ok & (street == NO_STREET)).sum())
    if res.no_street:
        res.notes.append(f"{res.no_street} 条问题没有属地街道（承办单位不是街道，点位和地址也对不上已知街道），"
                         f"记为“{NO_STREET}”：计入全区，不计入任何街道。")
    no_site = ok & ~values.present(site)
    if no_site.any() and (ctx.has("address") or ctx.has("site")):
        res.notes.append(f"{int(no_site.sum())} 条问题没有具体位置（如“无位置描述”），不对应点位，只计入所属街道。")
    _outside_calendar(ctx, found, ok)

    at = attach_sites(ctx, site, street, site_type, dept, ok & (street != NO_STREET), *coords)
    # what the file says: a column it has no field for is neither written nor compared (an update keeps it)
    given = {"category": ("category",), "subcategory": ("category", "subcategory"), "source": ("source",),
             "standard_code": ("standard_code", "standard_text"), "description": ("description", "standard_text"),
             "deduction": ("deduction",), "card": ("card",), "deadline": ("deadline",), "deadline_at": ("deadline",),
             "community": ("community",), "address": ("address",),
             "rebound": ("rebound",), "result": ("passed",), "photos_before": ("photos_before",),
             "photos_after": ("photos_after",), "note": ("note",), "reported_overdue": ("reported_overdue",),
             "extensions": ("extensions",), "reworks": ("reworks",),
             "responsible_units": ("department", "handler", "lead_department"),
             "lead_department": ("lead_department",)}
    provided = {"_i", "problem_id", "found_on", "site_id", "site", "site_type", "street", "department",
                "status", "closed_on", "closed_seen_on"}
    provided |= {c for c, fs in given.items() if any(ctx.has(f) for f in fs)}
    if ctx.source:
        provided.add("source")
    if ctx.has("standard_text") and not ctx.has("category"):
        provided.add("category")  # the matched standard's category
    if "deadline_at" in provided and np.isnat(deadline_at).all():
        provided.discard("deadline_at")  # no deadline with a time of day in this file
    if "responsible_units" in provided and not values.present(units).any():
        provided.discard("responsible_units")  # one unit per problem throughout: the department column says it
    columns = {
        "_i": lambda: np.arange(ctx.n), "problem_id": lambda: pid, "found_on": lambda: found,
        "site_id": lambda: at["site_id"], "site": lambda: site, "site_type": lambda: at["site_type"],
        "street": lambda: street, "department": lambda: at["department"], "category": lambda: category,
        "standard_code": lambda: code, "description": lambda: desc, "deduction": lambda: deduction,
        "card": lambda: card, "deadline": lambda: deadline, "status": lambda: st.to_numpy(),
        "closed_on": lambda: closed, "source": lambda: source, "lead_department": lambda: lead,
        "responsible_units": lambda: units, "subcategory": lambda: subcategory,
        "community": lambda: ctx.text("community"), "address": lambda: address, "rebound": lambda: rebound,
        "result": lambda: ctx.text("passed"), "photos_before": lambda: ctx.text("photos_before", values.free_text),
        "photos_after": lambda: ctx.text("photos_after", values.free_text),
        "note": lambda: ctx.text("note", values.free_text), "deadline_at": lambda: deadline_at,
        "closed_seen_on": lambda: seen_closed, "reported_overdue": lambda: overdue,
        "extensions": lambda: _counts(counts["extensions"]), "reworks": lambda: _counts(counts["reworks"]),
    }
    stage = frame({c: make() for c, make in columns.items() if c in provided})
    stage["_visit"] = values.combine_codes([pd.factorize(found)[0], ctx.codes(site)[0], ctx.codes(street)[0],
                                            ctx.codes(source)[0]])
    cols = list(stage.columns)
    return stage[cols] if ok.all() else stage.loc[ok, cols].reset_index(drop=True)


def _counts(v: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """延期次数 / 返工次数 as whole numbers, empty where the cell was."""
    out = pd.array(np.where(np.isnan(v), 0, v).astype(np.int64), dtype="Int32")
    out[np.isnan(v)] = pd.NA
    return out


def _max_deduction() -> float:
    from campaign.config import load_office

    return load_office().max_deduction


def _attribution() -> str:
    from campaign.config import load_office

    return getattr(load_office(), "unit_attribution", "first") or "first"


def _is_street_name(name: str | None, streets: set[str]) -> bool:
    return name is not None and (name in streets or name.endswith(_STREET_ENDINGS))


def _handler(ctx: Context, streets: set[str], depts: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """承办单位 / 抄告对象 names a street or a department: (street per row, department per row)."""
    none = np.full(ctx.n, None, dtype=object)
    if not ctx.has("handler"):
        return none, none
    text = ctx.text("handler")
    codes, uniq = ctx.codes(text)
    is_street = np.array([_is_street_name(u, streets) and u not in depts for u in uniq.tolist()] + [False])
    as_street = np.where(is_street[codes], text, None)
    as_dept = np.where(~is_street[codes] & values.present(text), text, None)
    as_dept = ctx.check_names("department", "handler", ctx.fixed("department", as_dept, depts), depts)
    return ctx.fixed("street", as_street, streets), as_dept


def _units(ctx: Context, depts: set[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the responsible units (a tuple, each unit once, in the file's order), the first of them, and
    whether there are several; names corrected. Rows naming a unit that is near a known one but not it are held
    back (or corrected, with accept_suggestions)."""
    codes, uniq = ctx.fact("department")
    lists = [values.unit_list(u) for u in uniq]
    if not any(lists):
        return np.full(ctx.n, None, dtype=object), np.full(ctx.n, None, dtype=object), np.zeros(ctx.n, dtype=bool)
    per_cell = np.bincount(codes[codes >= 0], minlength=len(uniq))
    rows: Counter = Counter()
    for lst, n in zip(lists, per_cell.tolist()):
        for u in lst:
            rows[u] += n
    pieces = np.array(sorted(rows), dtype=object)
    fixed = ctx.fixed("department", pieces, depts)
    for name, canonical in zip(pieces.tolist(), fixed.tolist()):
        for r in ctx.res.resolved:
            if r["name"] == name and r["entity"] == "department" and r["how"] == "简称":
                r["rows"] = rows[name]
    fix = dict(zip(pieces.tolist(), fixed.tolist()))
    lists = [tuple(dict.fromkeys(fix.get(u, u) for u in lst)) for lst in lists]
    counts = Counter()
    for lst, n in zip(lists, per_cell.tolist()):
        for u in lst:
            counts[u] += n
    flags = namecheck.check("department", counts, depts, ctx.confirmed("department"))
    if flags and ctx.accept_suggestions:
        sub = {f.name: f.suggestion for f in flags}
        for f in flags:
            ctx.note_resolved("department", f.name, f.suggestion, "建议", f.rows)
        lists = [tuple(dict.fromkeys(sub.get(u, u) for u in lst)) for lst in lists]
    elif flags:
        ctx.name_flags.extend(flags)
        for f in flags:
            bad = np.array([f.name in lst for lst in lists] + [False])
            ctx.issue(bad[codes], "department", f.reason)
    first = np.array([u[0] if u else None for u in lists] + [None], dtype=object)
    several = np.array([len(u) > 1 for u in lists] + [False])
    return values.object_array(lists + [()])[codes], first[codes], several[codes]


def _no_location(ctx: Context, site: np.ndarray) -> np.ndarray:
    from campaign.ingest.addresses import is_no_location

    codes, uniq = ctx.codes(site)
    # "无位置描述", "不详", "/" …: short cells with such a word or sign only (this runs once per site name)
    drop = np.array([len(u) <= 12 and _MAYBE_NOWHERE.search(u) is not None and is_no_location(u)
                     for u in uniq.tolist()] + [False])
    return np.where(drop[codes], None, site) if drop.any() else site


def _street_fallback(ctx: Context, street: np.ndarray, site: np.ndarray, address: np.ndarray,
                     streets: set[str]) -> np.ndarray:
    """A row without a street takes the street of the known site of that name (when only one street has it),
    else a known street named in its address, else 未明确属地."""
    need = ~values.present(street)
    if not need.any():
        return street
    known = ctx.cur.execute("SELECT site, min(street), count(DISTINCT street) FROM store.sites "
                            "GROUP BY site").fetchall()
    by_site = {s: st for s, st, n in known if n == 1}
    out = street.copy()
    by_len = sorted(streets, key=len, reverse=True)
    cache: dict = {}
    for i in np.nonzero(need)[0]:
        key = (site[i], address[i])
        if key not in cache:
            hit = by_site.get(site[i]) if site[i] is not None else None
            if hit is None:
                text = "".join(t for t in (address[i], site[i]) if t)
                hit = next((s for s in by_len if s and s in text), None)
            cache[key] = hit or NO_STREET
        out[i] = cache[key]
    return out


def _categories(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(category, subcategory): a path (城乡建设>市容环卫>垃圾清运) splits; a 小类 column wins for the subcategory."""
    codes, uniq = ctx.fact("category")
    pairs = [values.category_path(u) for u in uniq]
    cat = np.array([p[0] for p in pairs] + [None], dtype=object)[codes]
    sub = np.array([p[1] for p in pairs] + [None], dtype=object)[codes]
    if ctx.has("subcategory"):
        given = ctx.text("subcategory", values.free_text)
        sub = np.where(values.present(given), given, sub)
    return cat, sub


def _deadlines(ctx: Context, parsed: np.ndarray, found: np.ndarray, ref) -> tuple[np.ndarray, np.ndarray]:
    """Deadline dates (spans in working days by the official calendar with its adjusted working days, or in
    calendar days, counted from the finding) and, where the file gives a time of day, the deadline's time."""
    from campaign.model.calendar import add_working_days_array, covered

    codes, uniq = ctx.distinct(parsed)
    is_days = np.array([isinstance(u, values.Days) for u in uniq.tolist()] + [False])[codes]
    n = np.array([u.n if isinstance(u, values.Days) else -1 for u in uniq.tolist()] + [-1], dtype=np.int64)[codes]
    working = np.array([isinstance(u, values.Days) and u.working for u in uniq.tolist()] + [False])[codes]
    at = np.array([np.datetime64(u, "s") if isinstance(u, datetime) else np.datetime64("NaT", "s")
                   for u in uniq.tolist()] + [np.datetime64("NaT", "s")], dtype="datetime64[s]")[codes]
    dates = ctx.dates("deadline", np.where(is_days, None, parsed), ref)
    cal = found + np.where(is_days & ~working, n, 0).astype("timedelta64[D]")
    out = np.where(is_days & ~working, cal, dates)
    if working.any():
        wd = add_working_days_array(np.where(working, found, np.datetime64("NaT", "D")), np.where(working, n, 0))
        out = np.where(working, wd, out)
        outside = [d for d in pd.unique(found[working & ~np.isnat(found)]) if not covered(pd.Timestamp(d).date())]
        if outside:
            ctx.res.notes.append(f"{len(outside)} 个发现日期超出法定节假日数据的年份范围，其工作日按周一至周五计。")
    return out.astype("datetime64[D]"), at


def _outside_calendar(ctx: Context, found: np.ndarray, ok: np.ndarray) -> None:
    from campaign.config import load_office

    start = np.datetime64(load_office().campaign_start, "D")
    today = np.datetime64(date.today(), "D")
    f = found[ok & ~np.isnat(found)]
    before, after = int((f < start).sum()), int((f > today).sum())
    if len(f):
        ctx.res.outside_calendar = {"before": before, "after": after, "first": str(f.min()), "last": str(f.max()),
                                    "campaign_start": str(start)}
    if before:
        ctx.res.notes.append(f"{before} 条问题的发现日期早于创建周期第1周（{start}），周次统计中不显示；"
                             "可在 data/office.yaml 中调整 campaign_start。")
    if after:
        ctx.res.notes.append(f"{after} 条问题的发现日期晚于今天，请核对。")


def _match_standard_texts(ctx: Context, text: np.ndarray, hold_unmatched: bool) -> np.ndarray:
    """Standard codes for standards written out as text: certain matches take the code; a close wording is a
    suggestion to confirm (held back, or taken with accept_suggestions); wording that matches nothing is held
    back with the closest candidates when ``hold_unmatched`` (assessment rows), else left without a code."""
    from campaign.ingest.standard_match import match_standards

    codes, uniq = ctx.codes(text)
    if not len(uniq):
        return np.full(ctx.n, None, dtype=object)
    stds = ctx.cur.execute("SELECT code, name, content, item FROM store.standards").df()
    stored = ctx.stored_aliases("standard")
    todo = [u for u in uniq.tolist() if u not in stored]
    found = match_standards(todo, stds) if todo else {}
    counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
    per = np.empty(len(uniq) + 1, dtype=object)
    why = np.empty(len(uniq) + 1, dtype=object)
    flags = []
    for i, u in enumerate(uniq.tolist()):
        if u in stored:
            per[i] = stored[u]
            continue
        m = found[u]
        if m.code is not None:
            per[i] = m.code
        elif m.suggestion is not None and ctx.accept_suggestions:
            per[i] = m.suggestion
            ctx.note_resolved("standard", u, m.suggestion, "建议", int(counts[i]))
        elif m.suggestion is not None:
            flags.append(namecheck.NameFlag("standard", u, m.suggestion, int(counts[i])))
            why[i] = flags[-1].reason
        elif hold_unmatched:
            near = "；".join(f"{c} {n}（相似度 {s:.0f}）" for c, n, s in m.candidates[:3]) or "无"
            why[i] = f"测评标准「{_short(u)}」在测评体系中找不到，最接近的是：{near}"
    ctx.name_flags.extend(flags)
    ctx.issue(values.present(why[codes]), "standard_text", why[codes])
    return per[codes]


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _closed_dates(cur, pids: np.ndarray) -> dict:
    """problem_id → closed_on as stored, for the given problems that have one."""
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


_SYSTEM_IDS = ("任务号", "工单编号", "工单号", "案件编号", "案卷编号")


def _problem_ids(ctx: Context, found, site, category, desc, dept) -> np.ndarray:
    """The ledger's own 编号 when it has one (the problems view shows it as ledger_no); otherwise a stable key
    of (date, site, category, description) and the occurrence of that key in the file — two different problems
    at one site on one day stay two."""
    pid = ctx.text("problem_id")
    if ctx.has("problem_id"):
        given = pid[values.present(pid)]
        header = ctx.frame.headers.get((ctx.frame.sheet[0], "problem_id"), "编号")
        digits = header not in _SYSTEM_IDS and len(given) > 1 and given[0].isdigit() and pc.all(pc.match_substring_regex(
            pa.array(given, type=pa.string()), r"^\d{1,9}$")).as_py()
        nums = np.sort(given.astype(np.int64)) if digits else None
        if digits and (nums == np.arange(nums[0], nums[0] + len(nums))).all():
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
    """The standards with their method's kind (field: one row per site; material, opinion: one row; survey
    kinds are imported as survey rates)."""
    fw = ctx.cur.execute("SELECT code, method, department, indicator, method_kind FROM store.standards").df()
    return fw.assign(kind=scoring.method_kinds(fw).to_numpy()).set_index("code")


def build_assessment(ctx: Context) -> pd.DataFrame:
    fw = _framework(ctx)
    held = ctx.held_dates()
    rounds = ctx.round_names()
    code = _standard_codes(ctx)
    if ctx.has("standard_text"):
        text = ctx.text("standard_text", values.free_text)
        code = np.where(values.present(code), code, _match_standard_texts(ctx, text, hold_unmatched=True))
        ctx.issue(~values.present(code) & ~values.present(text) & ctx.empty("standard_code"), "standard_text",
                  MISSING)
    else:
        ctx.require("standard_code")
    method = pd.Series(code, dtype=object).map(fw["method"]).to_numpy(dtype=object)
    kind = pd.Series(code, dtype=object).map(fw["kind"]).to_numpy(dtype=object)
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
    is_survey = kind == scoring.SURVEY
    if is_survey.any():  # named by the standard's own method (问卷调查, 电话调查 …)
        ctx.issue(is_survey, "standard_code", np.array([f"{m}类标准请按“问卷调查结果”导入" for m in method],
                                                       dtype=object))
    on_site = kind == scoring.FIELD
    site = np.where(on_site, ctx.text("site"), None)
    if (on_site & ~values.present(site)).any():
        ctx.issue(on_site & ~values.present(site), "site" if ctx.has("site") else "standard_code",
                  np.array([f"{m}标准须填写点位" for m in method], dtype=object))
    depts = known_departments(ctx.cur)
    street = ctx.check_names("street", "street", np.where(on_site, ctx.name("street"), None), known_streets(ctx.cur))
    dept = ctx.check_names("department", "department", ctx.name("department", known=depts), depts)
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
    street = ctx.check_names("street", "street", street, known_streets(ctx.cur))
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
    peer = ctx.check_names("peer", "peer", peer, known)
    key = pd.Series([f"{r}|{p}" if r is not None and p is not None else None for r, p in zip(rounds, peer)],
                    dtype=object)
    ctx.duplicate_keys(key, "peer", "轮次和区县")
    ok = ctx.accepted()
    stage = frame({"_i": np.arange(ctx.n), "round_name": rounds, "_held": held, "peer": peer, "total": total})
    return stage[ok].reset_index(drop=True)


def build_report_streets(ctx: Context) -> pd.DataFrame:
    """A report's own street table (街道, 指标分值, 得分, 及格率, 排名): kept to compare with ours."""
    ctx.drop_rows(np.isin(ctx.name("street").astype(str), DISTRICT_ROWS), "全区汇总行")
    held = ctx.held_dates()
    rounds = ctx.round_names()
    street = ctx.check_names("street", "street", ctx.name("street"), known_streets(ctx.cur))
    ctx.require("street")
    score = ctx.number("score")
    ctx.require("score")
    max_score = ctx.number("max_score") if ctx.has("max_score") else np.full(ctx.n, np.nan)
    pass_rate = ctx.parsed("pass_rate", values.parse_rate_cell) if ctx.has("pass_rate") else np.full(ctx.n, None)
    rank = ctx.number("rank") if ctx.has("rank") else np.full(ctx.n, np.nan)
    with np.errstate(invalid="ignore"):
        ctx.issue(score < 0, "score", "得分不能为负数")
        ctx.issue(~np.isnan(max_score) & (score > max_score + 1e-9), "score", "得分大于指标分值")
        ctx.issue(~np.isnan(rank) & ((rank < 1) | (rank > 10_000) | (rank != np.round(rank))), "rank",
                  "排名应为正整数")
    key = pd.Series([f"{r}|{s}" if r is not None and s is not None else None for r, s in zip(rounds, street)],
                    dtype=object)
    ctx.duplicate_keys(key, "street", "轮次和街道")
    ok = ctx.accepted()
    rank_i = pd.array(np.where(np.isnan(rank), 0, rank).astype(np.int64), dtype="Int32")
    rank_i[np.isnan(rank)] = pd.NA
    stage = frame({"_i": np.arange(ctx.n), "round_name": rounds, "_held": held, "street": street,
                   "max_score": max_score, "score": score,
                   "pass_rate": pd.array([np.nan if v is None else v for v in pass_rate], dtype="Float64"),
                   "rank": rank_i})
    return stage[ok].reset_index(drop=True)
