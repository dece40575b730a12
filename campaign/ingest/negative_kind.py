"""负面清单事件 from an office's 报送台账 (one event per row): the item by its code or its name as written, the date
it happened, the unit concerned, what happened. Events land in store.negative_reports beside those entered on the
得分趋势 page and count in the round totals the same way (queries/negatives_by_round.sql).

An item's name matches the framework's negative list by code (N02, n2, "N02 发生较大…"), by its exact wording (with
or without its bracketed remark, "（测评前12个月内）"), or by a close wording — a close wording is held for the office
to confirm (名称核对) with the nearest item offered, like a standard's wording; a wording near nothing is held with
the closest items named. Unit names go through the office's corrections and short forms (区城管局 → 区城市管理局)."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date

import numpy as np
import pandas as pd

from campaign.ingest import names as namecheck
from campaign.ingest import values
from campaign.ingest.kinds import _STREET_ENDINGS, MISSING, Context, frame, known_departments, known_streets
from campaign.ingest.standard_match import StandardMatch, match_standards, normalise

ENTITY = "negative_item"
NOTE_MAX = 500          # as on the page's form
PENDING = "待写入"
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_CODE = re.compile(r"^([A-Z]{1,2})0*(\d{1,3})$")


def code_key(text: object) -> str | None:
    """"N02", "n2", "Ｎ０２" → "N2": codes compared without case, width or leading zeros."""
    if values.is_empty(text):
        return None
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", values.plain(text))).upper()
    m = _CODE.match(s)
    return f"{m[1]}{int(m[2])}" if m else s


def match_items(texts: list[str], items: pd.DataFrame) -> dict[str, StandardMatch]:
    """text → match for every distinct text: certain for an item's exact wording with or without its bracketed
    remark; otherwise the standards' matching (a code in the text, the whole wording inside it, a score of 95 and
    8 above the next item are certain; from 70 a suggestion; below, the closest items as candidates)."""
    if not texts:
        return {}
    exact: dict[str, set[str]] = {}
    for c, n in zip(items["code"], items["name"]):
        for v in {normalise(n, strip_code=False), normalise(_BRACKETS.sub("", str(n)), strip_code=False)}:
            if v:
                exact.setdefault(v, set()).add(c)
    out = match_standards(texts, items.assign(content="", item=""))
    for t in texts:
        hit = exact.get(normalise(t))
        if hit is not None and len(hit) == 1:
            out[t] = StandardMatch(t, next(iter(hit)), None, 100.0, out[t].candidates)
    return out


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _item_codes(ctx: Context, items: pd.DataFrame) -> np.ndarray:
    """The item's code per row (None where it cannot be decided: those rows are held with the reason)."""
    names = dict(zip(items["code"], items["name"]))
    by_key = {code_key(c): c for c in items["code"]}
    n = ctx.n
    # by code
    code_raw = ctx.text("negative_code")
    codes_c, uniq_c = ctx.codes(code_raw)
    per_c = np.array([by_key.get(code_key(u)) for u in uniq_c.tolist()] + [None], dtype=object)
    from_code = per_c[codes_c]
    bad_code = values.present(code_raw) & ~values.present(from_code)
    ctx.issue(bad_code, "negative_code",
              np.array([f"负面清单中没有编码为「{c}」的事项" for c in code_raw], dtype=object))
    # by name
    text = ctx.text("negative_item", values.free_text)
    codes_t, uniq_t = ctx.codes(text)
    fixes = {**ctx.al.names.get(ENTITY, {}), **ctx.stored_aliases(ENTITY)}
    todo = [u for u in uniq_t.tolist() if fixes.get(u) not in names]
    found = match_items(todo, items)
    counts = np.bincount(codes_t[codes_t >= 0], minlength=len(uniq_t))
    per_t = np.empty(len(uniq_t) + 1, dtype=object)
    sure = np.zeros(len(uniq_t) + 1, dtype=bool)
    why = np.empty(len(uniq_t) + 1, dtype=object)
    flags = []
    for i, u in enumerate(uniq_t.tolist()):
        if fixes.get(u) in names:
            per_t[i], sure[i] = fixes[u], True
            continue
        m = found[u]
        if m.code is not None:
            per_t[i], sure[i] = m.code, True
        elif m.suggestion is not None and ctx.accept_suggestions:
            per_t[i] = m.suggestion
            ctx.note_resolved(ENTITY, u, m.suggestion, "建议", int(counts[i]))
        elif m.suggestion is not None:
            flags.append(namecheck.NameFlag(ENTITY, u, m.suggestion, int(counts[i]), label=names[m.suggestion]))
            why[i] = flags[-1].reason
        else:
            cands = [x for x in m.candidates[:3] if x[2] > 0] or m.candidates[:1]
            near = "；".join(f"{c} {_short(nm, 20)}（相似度 {s:.0f}）" for c, nm, s in cands) or "无"
            why[i] = f"负面清单事项「{_short(u)}」在负面清单中找不到，最接近的是：{near}"
    from_name, name_sure, name_why = per_t[codes_t], sure[codes_t], why[codes_t]
    has_code = values.present(code_raw)
    # a name is asked about only where no code decides the item
    ask = ~has_code & values.present(name_why)
    ctx.issue(ask, "negative_item", name_why)
    ctx.name_flags.extend(f for f in flags if (ask & (text == f.name)).any())
    clash = has_code & values.present(from_code) & name_sure & (from_name != from_code)
    ctx.issue(clash, "negative_item", np.array(
        [f"事项编码 {c} 与事项名称「{_short(t or '', 20)}」（{m}）不一致" for c, t, m in zip(from_code, text, from_name)],
        dtype=object))
    neither = ~has_code & ~values.present(text)
    ctx.issue(neither, "negative_item" if ctx.has("negative_item") else "negative_code", MISSING)
    return np.where(has_code, from_code, from_name)


def _units(ctx: Context) -> tuple[np.ndarray, str]:
    """涉及单位 per row (several joined with 、), each name corrected: a street by the office's corrections, a
    department also by its short form when exactly one known unit matches; names near a known one but not it
    are held for the office (or taken, with accept_suggestions). Returns the units and the field they came from."""
    use = [f for f in ("unit", "department", "street") if ctx.has(f)]
    fld = use[0] if use else "unit"
    raw = np.full(ctx.n, None, dtype=object)
    for f in reversed(use):  # the first column with a value wins
        col = ctx.raw(f)
        raw = np.where(values.present(col) & ~ctx.empty(f), col, raw)
    if not use:
        return raw, fld
    codes, uniq = values.factorize(raw)
    lists = [values.unit_list(u) for u in uniq]
    per_cell = np.bincount(codes[codes >= 0], minlength=len(uniq)).tolist()
    rows: Counter = Counter()
    for lst, k in zip(lists, per_cell):
        for u in lst:
            rows[u] += k
    streets, depts = known_streets(ctx.cur), known_departments(ctx.cur)
    street_list = sorted(streets)
    # a street: a known one, one named like a street (…街道, …镇), or an unknown name near a known street (北关街到)
    is_street = {u: u in streets or (u not in depts and (u.endswith(_STREET_ENDINGS) or
                                                        namecheck.suggest(u, street_list) is not None))
                 for u in rows}
    fix: dict[str, str] = {}
    for entity, known in (("street", streets), ("department", depts)):
        mine = np.array(sorted(u for u in rows if is_street[u] == (entity == "street")), dtype=object)
        if not len(mine):
            continue
        fixed = ctx.fixed(entity, mine, known)
        fix.update(zip(mine.tolist(), fixed.tolist()))
    for r in ctx.res.resolved:  # counted per distinct name above: in rows here
        if r["entity"] in ("street", "department") and r["name"] in rows:
            r["rows"] = rows[r["name"]]
    lists = [tuple(dict.fromkeys(fix.get(u, u) for u in lst)) for lst in lists]
    for entity, known in (("street", streets | {"未明确属地"}), ("department", depts)):
        counts: Counter = Counter()
        for lst, k in zip(lists, per_cell):
            for u in lst:
                if is_street.get(u, u in streets) == (entity == "street"):
                    counts[u] += k
        flags = namecheck.check(entity, counts, known, ctx.confirmed(entity)) if counts else []
        if flags and ctx.accept_suggestions:
            sub = {f.name: f.suggestion for f in flags}
            for f in flags:
                ctx.note_resolved(entity, f.name, f.suggestion, "建议", f.rows)
            lists = [tuple(dict.fromkeys(sub.get(u, u) for u in lst)) for lst in lists]
        elif flags:
            ctx.name_flags.extend(flags)
            for f in flags:
                bad = np.array([f.name in lst for lst in lists] + [False])
                ctx.issue(bad[codes], fld, f.reason)
    joined = np.array(["、".join(lst) if lst else None for lst in lists] + [None], dtype=object)
    return joined[codes], fld


def _notes(ctx: Context) -> tuple[np.ndarray, bool]:
    """情况说明, with a 备注 column's text after it; whether the file has either."""
    details = ctx.text("details", values.free_text)
    extra = ctx.text("note", values.free_text)
    note = np.array([f"{d}（备注：{e}）" if d and e else (d or e) for d, e in zip(details, extra)], dtype=object)
    long = np.array([v is not None and len(v) > NOTE_MAX for v in note], dtype=bool)
    fld = "details" if ctx.has("details") else "note"
    ctx.issue(long, fld, np.array([f"情况说明不超过 {NOTE_MAX} 字（本行 {len(v) if v else 0} 字）" for v in note],
                                  dtype=object))
    return note, ctx.has("details") or ctx.has("note")


def build_negatives(ctx: Context) -> pd.DataFrame:
    items = ctx.cur.execute("SELECT code, name FROM store.negative_items ORDER BY code").df()
    if items.empty:
        ctx.res.notes.append("测评体系中没有负面清单事项：请先载入测评体系（data/framework.yaml）。")
    code = _item_codes(ctx, items)
    parsed = ctx.parsed("occurred_on", values.parse_date_cell)
    when = ctx.dates("occurred_on", parsed, ctx.reference_date([parsed]))
    ctx.require("occurred_on")
    today = np.datetime64(date.today(), "D")
    future = ~np.isnat(when) & (when > today)
    ctx.issue(future, "occurred_on", np.array(
        [f"发生日期 {d} 晚于今天（{today}）" for d in np.datetime_as_string(when, unit="D")], dtype=object))
    unit, _ = _units(ctx)
    note, with_note = _notes(ctx)
    source = ctx.text("source", values.free_text)
    reporter = ctx.text("reporter", values.free_text)
    key = pd.Series([f"{c}|{d}|{u}" if c is not None and not np.isnat(d) else None
                     for c, d, u in zip(code, when, unit)], dtype=object)
    ctx.duplicate_keys(key, "occurred_on", "负面清单事项、发生日期和涉及单位")
    ok = ctx.accepted()
    ctx.res.row_fates = _fates(ctx, items, code, when, unit, ok)
    cols = {"_i": np.arange(ctx.n), "code": code, "occurred_on": when.astype("datetime64[D]"), "unit": unit}
    if with_note:
        cols["note"] = note
    if ctx.has("source"):
        cols["info_source"] = source
    if ctx.has("reporter"):
        cols["reporter"] = reporter
    stage = frame(cols)
    return stage[ok].reset_index(drop=True)


def _fates(ctx: Context, items: pd.DataFrame, code: np.ndarray, when: np.ndarray, unit: np.ndarray,
           ok: np.ndarray) -> pd.DataFrame:
    """Each data row as the office will see it before anything is written: the item it was matched to (or the
    wording, when it was not), the date, the unit and what happens to it (待写入 until the write step says
    新增 / 更新 / 已有; 隔离, with the reasons beside it)."""
    names = dict(zip(items["code"], items["name"]))
    reasons: dict[int, list[str]] = {}
    for idx, _, why in ctx.issues:
        for j, i in enumerate(idx.tolist()):
            r = why[j] if isinstance(why, np.ndarray) else why
            reasons.setdefault(i, [])
            if r not in reasons[i]:
                reasons[i].append(str(r))
    written = ctx.text("negative_item", values.free_text)
    code_written = ctx.text("negative_code")
    item = [f"{c} {names.get(c, '')}".strip() if ok[i] and c is not None else
            (" ".join(x for x in (code_written[i], written[i]) if x) or "")
            for i, c in enumerate(code)]
    out = pd.DataFrame({
        "_i": np.arange(ctx.n),
        "工作表": ctx.frame.sheet,
        "行号": ctx.frame.row.astype(int),
        "负面清单事项": item,
        "发生日期": ["" if np.isnat(d) else str(d) for d in when.astype("datetime64[D]")],
        "涉及单位": [u or "" for u in unit],
        "结果": [PENDING if ok[i] else "隔离" for i in range(ctx.n)],
        "原因": ["" if ok[i] else "；".join(reasons.get(i, [])) for i in range(ctx.n)],
    })
    if out["工作表"].nunique() <= 1:
        out = out.drop(columns="工作表")
    return out
