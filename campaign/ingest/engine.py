"""The import engine: one file → checked rows → one transaction (insert, update with history, log).

Steps: read the file (read.py) → find each sheet's header and map it (mapping.py) → decide the kind →
gather the rows of every sheet of that kind, skipping blank and total rows and dropping exact repeats →
parse and check every value (values.py, kinds.py) → rows with any problem go to quarantine, whole →
upsert the rest (upsert.py) and write the import log (log.py). A dry run does everything and rolls back.
"""
from __future__ import annotations

import copy
import dataclasses
import gc
import hashlib
import re
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from campaign.ingest import builders, kinds, mapping, profiles, values
from campaign.ingest.mapping import IND_PREFIX, KINDS, Aliases, Header
from campaign.ingest.read import ImportRefused, Workbook, read_bytes
from campaign.ingest.result import Frame, ImportResult, SheetInfo, round_from_title

__all__ = ["Frame", "ImportRefused", "ImportResult", "SheetInfo", "import_file", "round_from_title"]

_TOTAL_EXACT = re.compile(r"^(全区|全市|全县|本周|本月|总)?(合计|小计|总计|累计|汇总)[:：]?$")
_TOTAL_LOOSE = re.compile(r"^(全区|全市|全县|本周|本月)?(合计|小计|总计|累计|汇总)")
_NOTE = re.compile(r"^(注|备注|说明|制表|填表|填报|审核|审核人|统计人|数据来源|联系人|负责人|签发|单位负责人)[:：]?")
# the first characters the three patterns above can start with
_FLAG_FIRST = pa.array(sorted({w[0] for p in (_TOTAL_EXACT, _TOTAL_LOOSE, _NOTE)
                               for w in re.findall(r"[\u4e00-\u9fff]+", p.pattern)}), type=pa.string())


def _tables(wb: Workbook, al: Aliases, cur, profile_name: str | None = None
            ) -> tuple[list[tuple[str, list[list], Header]], list[str], Aliases, profiles.Profile | None]:
    """Each sheet's header, mapped through the import profile that fits the file (named, saved for exactly
    these headers, or a built-in format whose headers all appear) laid over the header aliases. A sheet whose
    header no alias knows gets its most header-like row, unmapped, so that the office can map it."""
    found, skipped, guessed = [], [], []
    for sh in wb.sheets:
        if not any(any(not values.is_empty(v) for v in r) for r in sh.rows[:200]):
            if len(wb.sheets) > 1:
                skipped.append(f"工作表「{sh.name}」是空的，已跳过。")
            continue
        h = mapping.locate_header(sh.rows, al)
        if h is None:
            g = mapping.guess_header(sh.rows)
            if g is not None:
                guessed.append((sh.name, sh.rows, g))
            skipped.append(f"工作表「{sh.name}」没有找到表头，已跳过。")
            continue
        found.append((sh.name, sh.rows, h))
    profile = None
    try:
        for _, _, h in found + guessed:
            profile = profiles.find_profile(cur, h.seen(), profile_name)
            if profile is not None:
                break
    except profiles.ProfileError as e:
        raise ImportRefused(str(e)) from None
    if profile is None:
        return found or guessed, skipped if found else [], al, None
    al_p = profiles.apply(al, profile)
    again, skipped2 = [], []
    for sh_name, rows, h in found + guessed:
        h2 = mapping.locate_header(rows, al_p)
        if h2 is None:
            skipped2.append(f"工作表「{sh_name}」没有找到表头，已跳过。")
            continue
        again.append((sh_name, rows, h2))
    names = {t[0] for t in again}
    skipped2 += [s for s in skipped if not any(f"「{n}」" in s for n in names) and "没有找到表头" not in s]
    return again, skipped2, al_p, profile


def _samples(rows: list[list], h: Header, col: int, k: int = 3) -> str:
    seen = []
    for r in rows[h.data_start:h.data_start + 200]:
        if col < len(r) and not values.is_empty(r[col]):
            t = values.plain(r[col]).strip()
            t = t if len(t) <= 24 else t[:23] + "…"
            if t not in seen:
                seen.append(t)
            if len(seen) >= k:
                break
    return "、".join(seen)


def _review(tables, al: Aliases, profile, res: ImportResult) -> None:
    """Every column of the main sheet (the one with most mapped fields) with samples and the field it maps to,
    for the check step; and whether the office must map columns before anything can be imported."""
    from campaign.ingest.profiles import UNUSED

    if not tables:
        return
    name, rows, h = max(tables, key=lambda t: len(t[2].fields))
    configured = {mapping.norm_header(k) for k in (profile.columns if profile else {})}
    res.header_names = [n for n in h.names if n]
    res.columns = []
    for c, header in enumerate(h.names):
        if not header:
            continue
        fld = h.fields.get(c, UNUSED)
        how = "配置" if mapping.norm_header(header) in configured else ("表头" if fld or
                                                                       mapping.map_header(header, al) == "" else "未识别")
        res.columns.append({"sheet": name, "header": header, "samples": _samples(rows, h, c), "field": fld,
                            "label": al.label(fld) if fld else "不使用", "how": how})


def _choose_kind(tables, kind: str | None, file_name: str, al: Aliases, round_name: str | None,
                 res: ImportResult) -> tuple[str, list]:
    def title_ok(h: Header) -> bool:
        return bool(round_name) or round_from_title(h.title) is not None

    if not tables:
        raise ImportRefused(f"文件「{file_name}」中没有找到数据表（没有可识别的表头行）。"
                            "请确认这是督查问题台账、测评结果、问卷调查结果、兄弟区县得分或负面清单事件的导出表。")
    if kind is None:
        votes: dict[str, int] = {}
        for _, _, h in tables:
            fits = [(k, *mapping.kind_fit(h, KINDS[k], title_ok(h))) for k in KINDS]
            fits = [f for f in fits if f[1]]
            if fits:
                best = max(fits, key=lambda f: f[2])[0]
                votes[best] = votes.get(best, 0) + 1
        if not votes:
            _refuse_missing(tables, None, file_name, al, title_ok)
        kind = max(votes, key=lambda k: (votes[k], k != "report_streets"))  # a report's detail comes first
    spec = KINDS[kind]
    chosen = []
    for name, rows, h in tables:
        if mapping.missing_required(h, spec, title_ok(h)):
            res.skipped_sheets.append(f"工作表「{name}」不是{spec.label}（缺少必需列），已跳过。")
        else:
            chosen.append((name, rows, h))
    if not chosen:
        _refuse_missing(tables, kind, file_name, al, title_ok)
    return kind, chosen


def _refuse_missing(tables, kind: str | None, file_name: str, al: Aliases, title_ok) -> None:
    name, _, h = max(tables, key=lambda t: len(t[2].fields))
    if kind is None:
        kind = max(KINDS, key=lambda k: mapping.kind_fit(h, KINDS[k], title_ok(h))[1])
        lead = f"文件「{file_name}」不是可识别的数据表：最接近{KINDS[kind].label}，但"
    else:
        lead = f"文件「{file_name}」不是{KINDS[kind].label}："
    miss = mapping.missing_required(h, KINDS[kind], title_ok(h))
    need = "、".join("或".join(al.label(a) if a != IND_PREFIX else "知晓率等指标列" for a in alts) for alts in miss)
    seen = "、".join(h.seen()) or "（无）"
    raise NeedsMapping(f"{lead}工作表「{name}」缺少必需列：{need}。看到的表头：{seen}。"
                       "请在检查结果中为各列选择对应字段并保存为导入配置（同样表头的文件以后直接导入），"
                       "或用命令行 --profile 指定已保存的导入配置。")


class NeedsMapping(ImportRefused):
    """Required fields are missing: the office maps the columns (saved as an import profile) first."""


def _report_sheets(tables, chosen, res: ImportResult, round_name: str | None) -> list:
    """Beside an assessment report's detail sheet: its street table (街道, 得分, 排名 …), imported with it."""
    if res.kind != "assessment" or not round_name:
        return []
    taken = {t[0] for t in chosen}
    spec = KINDS["report_streets"]
    out = [t for t in tables if t[0] not in taken and not mapping.missing_required(t[2], spec, True)]
    names = {t[0] for t in out}
    res.skipped_sheets[:] = [s for s in res.skipped_sheets if not any(f"「{n}」" in s for n in names)]
    return out


def _import_report_sheets(cur, al: Aliases, res: ImportResult, tables, round_name: str | None,
                          accept_suggestions: bool) -> None:
    """The report's street table, in the same transaction and under the same import id as its detail."""
    from campaign.ingest import upsert

    sub = ImportResult(res.file_name, res.file_hash)
    frame = _gather(tables, "report_streets", al, sub)
    ctx = kinds.Context(cur, al, sub, frame, round_name=round_name or round_from_title(" ".join(frame.titles)),
                        accept_suggestions=accept_suggestions)
    stage = builders.BUILDERS["report_streets"](ctx)
    q, q_rows = ctx.quarantine()
    if len(stage):
        upsert.APPLY["report_streets"](ctx, stage, res.import_id)
    res.sheets += sub.sheets
    for k in ("rows_read", "accepted", "updated", "unchanged", "duplicates", "skipped"):
        setattr(res, k, getattr(res, k) + getattr(sub, k))
    for k, v in sub.skipped_detail.items():
        res.skipped_detail[k] = res.skipped_detail.get(k, 0) + v
    if len(q):
        res.quarantined += int(q["_i"].nunique())
        res.quarantine = pd.concat([res.quarantine, q.drop(columns="_i")], ignore_index=True)
        res.quarantine_rows.update(q_rows)
    res.name_flags += ctx.name_flags
    n = len(stage)
    res.notes += [n for n in sub.notes if not n.startswith("测评轮次取自")] + [f"工作表「{'、'.join(t[0] for t in tables)}」：报告自列的 {n} 个街道得分已一并导入，"
                              "可在“得分趋势”页与本系统按明细计算的得分核对。"]


def _cell_flags(fact: tuple[np.ndarray, np.ndarray], words: bool = True) -> dict[str, np.ndarray]:
    """Per row: empty, total (合计 as the whole cell), total_loose (a cell starting with 合计), note (注：…).
    Tested once per distinct cell, strings by Arrow in one pass. ``words=False`` (a column of mostly distinct
    values, such as 编号 or 问题描述) only looks for empty cells."""
    codes, uniq = fact
    n = len(uniq)
    out = {k: np.zeros(n + 1, dtype=bool) for k in ("empty", "total", "total_loose", "note")}
    out["empty"][-1] = True  # NA cells
    is_str = values.is_str_mask(uniq)
    if not is_str.any():
        return {k: v[codes] for k, v in out.items()}
    if not words:
        out["empty"][:-1][is_str] = [not u.strip() for u in uniq[is_str]]
        return {k: v[codes] for k, v in out.items()}
    a = pc.utf8_trim_whitespace(pa.array(uniq[is_str], type=pa.string()))

    def np_(x: pa.Array) -> np.ndarray:
        return x.fill_null(False).to_numpy(zero_copy_only=False)

    at = np.nonzero(is_str)[0]
    out["empty"][at] = np_(pc.equal(pc.utf8_length(a), 0))
    # only cells that start as a total or a note can be one (a column of 100,000 numbers is looked at once)
    maybe = np_(pc.is_in(pc.utf8_slice_codeunits(a, 0, 1), value_set=_FLAG_FIRST))
    if not maybe.any():
        return {k: v[codes] for k, v in out.items()}
    at, a = at[maybe], a.filter(pa.array(maybe))
    squeezed = pc.replace_substring_regex(a, "[\\s\u3000]+", "")
    short = pc.less_equal(pc.utf8_length(squeezed), 16)
    out["total"][at] = np_(pc.match_substring_regex(squeezed, _TOTAL_EXACT.pattern))
    out["total_loose"][at] = np_(pc.and_(short, pc.match_substring_regex(squeezed, _TOTAL_LOOSE.pattern)))
    out["note"][at] = np_(pc.match_substring_regex(a, _NOTE.pattern))
    return {k: v[codes] for k, v in out.items()}


def _gather(chosen, kind: str, al: Aliases, res: ImportResult) -> Frame:
    """Rows of the chosen sheets: blank, total and note rows skipped, repeated rows dropped."""
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    sheets, rownums, headers, originals, titles = [], [], {}, {}, []
    wanted = set(KINDS[kind].fields)
    fields_all = sorted({f for _, _, h in chosen for f in h.fields.values() if f in wanted or f.startswith(IND_PREFIX)})
    skipped = {"空行": 0, "合计行": 0, "说明行": 0}
    for name, rows, h in chosen:
        data = rows[h.data_start:]
        originals[name] = (h.names, rows)
        titles.append(h.title)
        mapped_names = {h.names[c]: al.label(f) for c, f in h.fields.items()}
        res.sheets.append(SheetInfo(name, [r + 1 for r in h.rows], mapped_names, len(data),
                                    [n for c, n in enumerate(h.names) if n and c not in h.fields]))
        if not data:
            continue
        lens = set(map(len, data))
        width = max(lens)
        if len(lens) > 1:
            data = [r + [""] * (width - len(r)) for r in data]
        arr = np.empty((len(data), width), dtype=object, order="F")  # columns contiguous: faster hashing
        arr[:] = data
        n = len(data)
        facts = {c: values.factorize(arr[:, c]) for c in h.fields if c < width}
        blank = np.ones(n, dtype=bool)
        total = np.zeros(n, dtype=bool)
        flags = {c: _cell_flags(fact, words=c < 2 or len(fact[1]) <= n // 2) for c, fact in facts.items()}
        for fl in flags.values():
            blank &= fl["empty"]
            total |= fl["total"]
        for c in range(min(2, width)):
            if c not in flags and pd.api.types.infer_dtype(arr[:, c], skipna=True) in values.NO_STRINGS:
                continue  # a 序号 column of numbers holds no 合计 or 注
            fl = flags.get(c) or _cell_flags(values.factorize(arr[:, c]))
            total |= fl["total_loose"]
            for i in np.nonzero(fl["note"])[0]:
                if len({str(v).strip() for v in arr[i] if not values.is_empty(v)}) <= 2:
                    total[i], blank[i] = False, True
                    skipped["说明行"] += 1
        total &= ~blank
        skipped["合计行"] += int(total.sum())
        skipped["空行"] += int(blank.sum())
        keep = np.nonzero(~blank & ~total)[0]
        by_field = {f: facts[c] for c, f in h.fields.items() if c in facts}
        for f in fields_all:
            if f in by_field:
                codes, uniq = by_field[f]
                parts.setdefault(f, []).append((codes if len(keep) == n else codes[keep], uniq))
            else:
                parts.setdefault(f, []).append((np.full(len(keep), -1, dtype=np.intp), np.empty(0, dtype=object)))
        sheets.append(np.full(len(keep), name, dtype=object))
        rownums.append(keep + h.data_start + 1)
        for c, f in h.fields.items():
            headers[(name, f)] = h.names[c]
    skipped["空行"] -= skipped["说明行"]
    res.skipped_detail = {k: v for k, v in skipped.items() if v}
    res.skipped = sum(skipped.values())
    if not sheets or sum(len(s) for s in sheets) == 0:
        raise ImportRefused(f"文件「{res.file_name}」只有表头，没有数据行。")
    cols, facts = {}, {}
    for f, ps in parts.items():
        codes, uniq = _concat_facts(ps)
        facts[f] = (codes, uniq)
        cols[f] = np.append(uniq, None)[codes]
    frame = Frame(cols, np.concatenate(sheets), np.concatenate(rownums).astype(np.int64), headers, originals,
                  titles, facts)
    res.rows_read = frame.n + res.skipped
    # repeats of another row (the same value in every mapped column, however written) are dropped and counted
    # a text column (compared as written) with a different value in every row: nothing can repeat
    unique_rows = any(values.all_distinct(frame.fact(f)[0]) for f in frame.cols if _parser_of(f, al) is None)
    if frame.n > 1 and frame.cols and not unique_rows:
        dup = _repeats([_canonical_codes(frame, f, al) for f in sorted(frame.cols)])
        res.duplicates = int(dup.sum())
        if res.duplicates:
            frame = frame.take(np.nonzero(~dup)[0])
    return frame


def _repeats(codes: list[np.ndarray]) -> np.ndarray:
    """Rows whose codes in every column equal an earlier row's."""
    return pd.Series(values.combine_codes(codes)).duplicated().to_numpy()


def _concat_facts(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join per-sheet factorisations; -1 (empty) stays -1."""
    if len(parts) == 1:
        return parts[0]
    codes, uniqs, offset = [], [], 0
    for c, u in parts:
        codes.append(np.where(c >= 0, c + offset, -1))
        uniqs.append(u)
        offset += len(u)
    return np.concatenate(codes), np.concatenate(uniqs) if uniqs else np.empty(0, dtype=object)


_DATE_FIELDS = {"found_on": values.parse_date_cell, "closed_on": values.parse_date_cell,
                "held_on": values.parse_date_cell, "deadline": values.parse_deadline_cell,
                "occurred_on": values.parse_date_cell}
_NUMBER_FIELDS = {"deduction": values.parse_deduction_cell, "score": values.parse_number_cell,
                  "max_score": values.parse_number_cell, "respondents": values.parse_number_cell,
                  "rate": values.parse_rate_cell}


def _parser_of(fld: str, al: Aliases):
    if fld in _DATE_FIELDS or fld in _NUMBER_FIELDS or fld.startswith(IND_PREFIX):
        return _DATE_FIELDS.get(fld) or _NUMBER_FIELDS.get(fld) or values.parse_rate_cell
    if fld == "status":
        return values.status_cell(al.statuses)
    if fld == "card":
        return values.card_cell(al.cards)
    return None


def _canonical_codes(frame: Frame, fld: str, al: Aliases) -> np.ndarray:
    """Codes of a field's cells by meaning: 2025/3/12 and 2025-03-12, ０.５ and 0.5, 黄牌 and 黄 are equal.
    Text compares as written."""
    parse = _parser_of(fld, al)
    if parse is None:
        return frame.fact(fld)[0]

    codes, uniq = frame.fact(fld)
    canon = []
    for v in uniq:
        out, err = parse(v)
        canon.append(out if err is None else values.plain(v))
    ids, _ = pd.factorize(np.array(canon + [None], dtype=object), use_na_sentinel=True)
    return ids[codes]


# ----------------------------------------------------------------------------------------------------
def import_file(con: duckdb.DuckDBPyConnection, source: Path | str | bytes, file_name: str | None = None,
                kind: str | None = None, imported_by: str = "", round_name: str | None = None,
                dry_run: bool = False, aliases: Aliases | None = None, profile: str | None = None,
                accept_suggestions: bool = False, allow_older: bool = False, prepare: bool = False) -> ImportResult:
    """Import one file into the store behind ``con`` in one transaction (rolled back when ``dry_run``).

    ``profile`` names an import profile to use (else the one that fits the headers, if any);
    ``accept_suggestions`` takes every suggested name and standard instead of holding the rows back;
    ``allow_older`` lets a file move problems back to an earlier status (a correction), which is otherwise
    refused row by row. A file that cannot be imported at all comes back with ``refused`` set and the store
    untouched. ``prepare`` (with ``dry_run``) keeps the checked rows in ``res.prepared``, so that
    ``commit_checked`` can write them without reading the file again."""
    data, file_name = _source(source, file_name)
    cur = con.cursor()
    try:
        res, _ = _run(cur, data, file_name, kind=kind, imported_by=imported_by, round_name=round_name,
                      dry_run=dry_run, aliases=aliases, profile=profile, accept_suggestions=accept_suggestions,
                      allow_older=allow_older, prepare=prepare)
    finally:
        cur.close()
    return res


def check_files(con: duckdb.DuckDBPyConnection, files: list[tuple[bytes, str]], kind: str | None = None,
                round_name: str | None = None, allow_older: bool = False) -> list[ImportResult]:
    """Checks (dry runs, rolled back) of several files as they will be imported: one after another, each
    against the store as the files before it leave it, so that the counts of the second file already see
    the first. Each result keeps its rows ready (``prepare``) where it can, chained to the one before, and
    ``commit_checked`` writes them in that order without reading the files again."""
    from campaign.store import bumps_rolled_back

    results: list[ImportResult] = []
    cur = con.cursor()
    try:
        with bumps_rolled_back():
            cur.execute("BEGIN TRANSACTION")
            try:
                applied: list[tuple[bytes, str, ImportResult]] = []  # what the transaction holds, in order
                for data, name in files:
                    res, tainted = _run(cur, data, name, kind=kind, round_name=round_name, dry_run=True,
                                        allow_older=allow_older, prepare=True, chained=True)
                    results.append(res)
                    if tainted:  # it wrote what it would not keep: start again from the files before it
                        cur.execute("ROLLBACK")
                        cur.execute("BEGIN TRANSACTION")
                        for d, n, r in applied:
                            _reapply(cur, d, n, r, kind=kind, round_name=round_name, allow_older=allow_older)
                    elif res.accepted + res.updated > 0:
                        applied.append((data, name, res))
            finally:
                cur.execute("ROLLBACK")
    finally:
        cur.close()
    before = None
    for r in results:
        if r.accepted + r.updated > 0 and not r.refused:
            if r.prepared is not None:
                r.prepared.after = before
            before = r.prepared if r.prepared is not None else _BROKEN
    return results


def _reapply(cur, data: bytes, name: str, res: ImportResult, **kw) -> None:
    """Bring a chain of checks back to where it was after ``res``: its prepared rows applied again, or the
    file checked again when nothing was prepared."""
    p = res.prepared
    if isinstance(p, Prepared):
        _apply_prepared(cur, p, "")
    else:
        _run(cur, data, name, dry_run=True, chained=True, **kw)


def _source(source: Path | str | bytes, file_name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), file_name or "上传文件"
    return Path(source).read_bytes(), file_name or Path(source).name


def _run(cur, data: bytes, file_name: str, kind: str | None = None, imported_by: str = "",
         round_name: str | None = None, dry_run: bool = False, aliases: Aliases | None = None,
         profile: str | None = None, accept_suggestions: bool = False, allow_older: bool = False,
         prepare: bool = False, chained: bool = False) -> tuple[ImportResult, bool]:
    """One file through the whole import on ``cur``: in its own transaction, or (``chained``) inside the
    caller's, where a file that changes something is logged and counted as a real import would be, so that
    the next file sees it. Returns the result and whether the caller's transaction now holds writes that
    must not stay (a chained file refused or left unchanged after writing began)."""
    from campaign.ingest import log, upsert

    t0 = time.perf_counter()
    res = ImportResult(file_name=file_name, file_hash=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    al = aliases or mapping.load_aliases()
    if kind is not None and kind not in KINDS:
        kind = mapping.KIND_BY_LABEL.get(kind, kind)
        if kind not in KINDS:
            res.refused = f"未知的数据类型「{kind}」，可选：{'、'.join(KINDS)}。"
            return res, False
    tainted = False
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of short-lived cells: the cycle collector would rescan every live object many times
    try:
        wb = read_bytes(data, file_name)
        res.fmt, res.encoding = wb.fmt, wb.encoding
        res.notes.extend(wb.notes)
        tables, skipped_sheets, al, prof = _tables(wb, al, cur, profile)
        res.skipped_sheets.extend(skipped_sheets)
        if prof is not None:
            res.profile, res.profile_builtin = prof.name, prof.builtin
        _review(tables, al, prof, res)
        try:
            res.kind, chosen = _choose_kind(tables, kind or (prof.kind if prof else None), file_name, al,
                                            round_name, res)
        except NeedsMapping:
            res.needs_mapping = True
            raise
        res.kind_label = KINDS[res.kind].label
        frame = _gather(chosen, res.kind, al, res)
        extra = _report_sheets(tables, chosen, res, round_name or round_from_title(" ".join(frame.titles)))
        if not chained:
            cur.execute("BEGIN TRANSACTION")
        tainted = chained
        try:
            upsert.ensure_tables(cur)
            ctx = kinds.Context(cur, al, res, frame, round_name=round_name, source=prof.source if prof else None,
                                accept_suggestions=accept_suggestions, allow_older=allow_older)
            stage = builders.BUILDERS[res.kind](ctx)
            res.quarantine, res.quarantine_rows = ctx.quarantine()
            res.quarantined = int(res.quarantine["_i"].nunique()) if len(res.quarantine) else 0
            res.quarantine = res.quarantine.drop(columns="_i")
            res.name_flags = ctx.name_flags
            res.import_id = log.next_import_id(cur)
            res.previous_import = log.previous_import(cur, res.file_hash)
            ready = None
            if dry_run and prepare and 0 < len(stage) <= PREPARE_MAX_ROWS and not extra:  # before the apply step
                from campaign.store import get_meta

                kept = copy.copy(ctx)  # the file's cells are not kept, only the rows to write
                kept.frame, kept.coded, kept.issues = None, {}, []
                kept.new_sites = None if ctx.new_sites is None else ctx.new_sites.copy()
                # the version as this transaction sees it (a chain of checks has bumped it for the files before)
                ready = Prepared(_snapshot(res), kept, stage.copy(), int(get_meta(cur, "data_version", "0")))
            if len(stage):
                upsert.APPLY[res.kind](ctx, stage, res.import_id)
            res.prepared = ready
            if extra:
                _import_report_sheets(cur, al, res, extra, round_name or round_from_title(" ".join(frame.titles)),
                                      accept_suggestions)
            changed = res.accepted + res.updated > 0
            if changed and (chained or not dry_run):
                from campaign.store import bump_data_version

                log.write(cur, res, imported_by)
                bump_data_version(cur)
                tainted = False
                if not chained:
                    cur.execute("COMMIT")
            elif not chained:
                cur.execute("ROLLBACK")
            if not changed:
                res.import_id = None
                if res.previous_import is not None and not dry_run:
                    res.notes.append(f"此文件已于第 {res.previous_import} 次导入时导入过，本次没有新数据，"
                                     "数据库未作任何改动。")
        except (duckdb.TransactionException, duckdb.ConstraintException) as e:
            if not chained:
                cur.execute("ROLLBACK")
            raise ImportRefused(f"文件「{file_name}」未导入：另一项导入同时在写数据库，请稍后再导入一次。（{e}）") from None
        except BaseException:
            if not chained:
                cur.execute("ROLLBACK")
            raise
    except ImportRefused as e:
        res.refused = str(e) + ("（" + "；".join(res.notes) + "）" if res.notes else "")
        res.import_id = None
        res.accepted = res.updated = res.unchanged = 0
        res.prepared = None
    finally:
        if gc_was_on:
            gc.enable()
    res.seconds = time.perf_counter() - t0
    return res, tainted


PREPARE_MAX_ROWS = 200_000  # a check keeps at most this many rows ready (150,000 rows of a ledger: about 32 MB); larger files are read again


@dataclasses.dataclass
class Prepared:
    """A check's result just before its rows were applied: what commit_checked writes."""
    result: ImportResult
    ctx: object
    stage: pd.DataFrame
    version: int
    after: "Prepared | None" = None   # in a chain of checks: the one that must be written just before
    written: bool = False


_BROKEN = Prepared(None, None, None, -1)  # stands for a file of a chain that had nothing prepared


def _snapshot(res: ImportResult) -> ImportResult:
    """A copy whose counters and lists the apply step can change without touching ``res``."""
    out = copy.copy(res)
    for f in dataclasses.fields(res):
        v = getattr(res, f.name)
        if isinstance(v, (list, dict)):
            setattr(out, f.name, copy.deepcopy(v))
    return out


def commit_checked(con: duckdb.DuckDBPyConnection, res: ImportResult, imported_by: str = "") -> ImportResult | None:
    """Write what a check (``import_file(..., dry_run=True, prepare=True)`` or ``check_files``) found, without
    reading the file again: the same rows, applied the same way, in one transaction. None when there is
    nothing prepared, the store has changed since the check, or (a chain of checks) the file checked just
    before was not written from its check first; the caller then imports the file itself."""
    p = res.prepared
    if not isinstance(p, Prepared) or p.result is None:
        return None
    if p.after is not None and not p.after.written:
        return None
    from campaign.store import data_version

    t0 = time.perf_counter()
    cur = con.cursor()
    try:
        if data_version(cur) != p.version:
            return None
        cur.execute("BEGIN TRANSACTION")
        try:
            if data_version(cur) != p.version:
                cur.execute("ROLLBACK")
                return None
            new = _apply_prepared(cur, p, imported_by)
            cur.execute("COMMIT" if new.written else "ROLLBACK")
        except (duckdb.TransactionException, duckdb.ConstraintException):
            cur.execute("ROLLBACK")
            return None  # another write came between: import the file itself
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()
    p.written = True
    res.prepared = None  # written once
    new.seconds = time.perf_counter() - t0
    return new


def _apply_prepared(cur, p: Prepared, imported_by: str) -> ImportResult:
    """Apply a check's prepared rows inside the caller's transaction, logged and counted as an import."""
    from campaign.ingest import log, upsert
    from campaign.store import bump_data_version

    new = _snapshot(p.result)
    new.dry_run, new.prepared = False, None
    ctx = copy.copy(p.ctx)
    ctx.cur, ctx.res = cur, new
    if ctx.new_sites is not None:
        ctx.new_sites = ctx.new_sites.copy()
    upsert.ensure_tables(cur)
    new.import_id = log.next_import_id(cur)
    new.previous_import = log.previous_import(cur, new.file_hash)
    upsert.APPLY[new.kind](ctx, p.stage.copy(), new.import_id)
    if new.accepted + new.updated > 0:
        log.write(cur, new, imported_by)
        bump_data_version(cur)
    else:
        new.import_id = None
    return new


def summary_text(res: ImportResult) -> str:
    """The import in a few lines of Chinese, for the command line and the page."""
    if res.refused:
        return f"未导入：{res.refused}"
    head = f"{res.file_name}：{res.kind_label}"
    if res.written:
        head += f"（第 {res.import_id} 次导入）"
    elif res.dry_run:
        head += "（预检，未写入）"
    parts = [f"读取 {res.rows_read:,} 行", f"新增 {res.accepted:,}", f"更新 {res.updated:,}",
             f"未变 {res.unchanged:,}", f"重复 {res.duplicates:,}", f"隔离 {res.quarantined:,}",
             f"跳过 {res.skipped:,}"]
    lines = [head, "  " + "，".join(parts) + f"；用时 {res.seconds:.2f} 秒"]
    if res.skipped_detail:
        lines.append("  跳过：" + "，".join(f"{k} {v}" for k, v in res.skipped_detail.items()))
    for s in res.skipped_sheets:
        lines.append("  " + s)
    for kind, names in res.created.items():
        if names:
            shown = "、".join(names[:8]) + ("等" if len(names) > 8 else "")
            lines.append(f"  新增{kind} {len(names)} 个：{shown}")
    if res.profile:
        lines.insert(1, f"  按{'内置格式' if res.profile_builtin else '导入配置'}「{res.profile}」识别")
    for r in res.resolved:
        how = "按简称对应" if r["how"] == "简称" else "采用建议"
        lines.append(f"  {how}：{r['name']} → {r['canonical']}（{r['rows']} 行）")
    for f in res.name_flags:
        lines.append(f"  名称待核对：{f.reason}（{f.rows} 行已隔离）")
    for fld, vals in res.unknown_values.items():
        shown = "、".join(f"{v}（{n} 行）" for v, n in vals[:6])
        lines.append(f"  无法识别的{mapping_label(fld)}：{shown}；请在看板上对照后再导入")
    if res.needs_mapping:
        lines.append("  表头需要对照：" + "、".join(f"{c['header']}→{c['label']}" for c in res.columns))
    for n in res.notes:
        lines.append("  " + n)
    return "\n".join(lines)


def mapping_label(fld: str) -> str:
    from campaign.ingest.kinds import VALUE_FIELDS

    return VALUE_FIELDS.get(fld, fld)


def json_default(o: object) -> object:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    return str(o)
