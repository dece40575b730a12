"""Tables the 数据导入 page shows, built from import results (no Streamlit here)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from campaign.ingest import profiles
from campaign.ingest.engine import ImportResult
from campaign.ingest.mapping import IND_PREFIX, KINDS, load_aliases
from campaign.ingest.names import CODED_ENTITIES, ENTITY_LABELS
from campaign.ingest.profiles import UNUSED, Profile


def metrics(res: ImportResult) -> list[tuple[str, int, str]]:
    """(label, value, help) for the counts row."""
    return [
        ("新增", res.accepted, "库里原来没有的行"),
        ("更新", res.updated, "同一问题（同一编号或同一日期、点位、类别、描述）状态、完成日期等有变化，旧版本保留在历史中"),
        ("未变", res.unchanged, "库里已有、内容相同的行"),
        ("重复", res.duplicates, "与文件中另一行完全相同的行，只算一次"),
        ("隔离", res.quarantined, "有错误或缺必填项的行，整行未导入，见下方清单"),
        ("跳过", res.skipped, "空行、合计/小计行、说明行"),
    ] + ([("回退", res.older, "库中状态比本文件新的问题（如已销号，文件中仍是待整改），默认不按文件回退")] if res.older else []) + (
        [("无属地", res.no_street, "没有所属街道、也无法从点位或地址判断的行，记入“未明确属地”")] if res.no_street else [])


def fates_table(res: ImportResult) -> pd.DataFrame | None:
    """Each data row of a 负面清单事件 file with the item it matched and what happens to it (None for other kinds)."""
    if res.row_fates is None or res.refused:
        return None
    return res.row_fates.drop(columns=["_i"], errors="ignore").reset_index(drop=True)


def fates_caption(res: ImportResult, checking: bool) -> str:
    """"确认导入后：新增 3 行，已有 1 行，隔离 4 行" — the fates counted."""
    t = res.row_fates["结果"].str.replace(r"[（：].*$", "", regex=True).value_counts()
    order = ["新增", "更新", "已有，不重复导入", "隔离"]
    parts = [f"{k.split('，')[0]} {int(t[k])} 行" for k in order if k in t.index]
    lead = "确认导入后：" if checking and res.dry_run else ""
    skipped = f"；另有空行、合计行等 {res.skipped} 行跳过" if res.skipped else ""
    dup = f"，完全重复的 {res.duplicates} 行只算一次" if res.duplicates else ""
    return lead + "，".join(parts) + skipped + dup


def mapping_table(res: ImportResult) -> pd.DataFrame:
    rows = []
    for s in res.sheets:
        for header, label in s.columns.items():
            rows.append({"工作表": s.name, "表头行": "、".join(str(r) for r in s.header_rows), "文件中的表头": header,
                         "对应字段": label})
        for header in s.unmapped:
            rows.append({"工作表": s.name, "表头行": "、".join(str(r) for r in s.header_rows), "文件中的表头": header,
                         "对应字段": "（未使用）"})
    return pd.DataFrame(rows, columns=["工作表", "表头行", "文件中的表头", "对应字段"])


def flags_table(results: list[ImportResult]) -> pd.DataFrame:
    """One row per name to confirm (once across the files, rows added up), the suggestion taken by default."""
    rows: dict[tuple[str, str], dict] = {}
    for res in results:
        for f in res.name_flags:
            r = rows.get((f.entity, f.name))
            if r is not None:
                r["行数"] += f.rows
                continue
            others = tuple(f.others)
            shown = f.suggestion + (f" {f.label}" if getattr(f, "label", "") else "") + (
                f"（另可能是{'、'.join(others)}）" if others else "")
            rows[(f.entity, f.name)] = {"类型": entity_label(f.entity), "文件中的写法": f.name, "行数": f.rows,
                                        "建议": shown, "采用建议": True, "作为新名称": False,
                                        "_entity": f.entity, "_suggestion": f.suggestion}
    return pd.DataFrame(list(rows.values()), columns=FLAG_COLUMNS)


FLAG_COLUMNS = ["类型", "文件中的写法", "行数", "建议", "采用建议", "作为新名称", "_entity", "_suggestion"]


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity)


def decisions(edited: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(entity, name, canonical) for the rows the office decided: the name confirmed as new (作为新名称 wins
    over 采用建议), or the suggestion taken. A standard's or a negative-list item's wording cannot be a new
    one: only its suggested code can be taken."""
    out = []
    for r in edited.to_dict("records"):
        if bool(r.get("作为新名称")) and r["_entity"] not in CODED_ENTITIES:
            out.append((r["_entity"], r["文件中的写法"], r["文件中的写法"]))
        elif bool(r.get("采用建议")) and r.get("_suggestion"):
            out.append((r["_entity"], r["文件中的写法"], r["_suggestion"]))
    return out


def all_suggestions(results: list[ImportResult]) -> list[tuple[str, str, str]]:
    """Every suggestion taken (全部采用建议)."""
    return decisions(flags_table(results).assign(作为新名称=False, 采用建议=True))


def waiting_rows(results: list[ImportResult]) -> tuple[int, int]:
    """(rows held back for a name to confirm, rows held back for a value to map) over the files."""
    names = sum(f.rows for r in results for f in r.name_flags)
    vals = sum(int(n) for r in results for pairs in r.unknown_values.values() for _, n in pairs)
    return names, vals


def import_label(results: list[ImportResult]) -> str:
    """确认导入, saying how many rows stay behind for a question still open."""
    names, vals = waiting_rows(results)
    waits = ([f"{names:,} 行待名称核对"] if names else []) + ([f"{vals:,} 行待取值对照"] if vals else [])
    return "确认导入" + (f"（另有 {'、'.join(waits)}，不导入）" if waits else "")


def resolved_lines(results: list[ImportResult]) -> list[str]:
    """"已按简称对应：区城管局 → 区城市管理局（12 行）", one line per name resolved without asking."""
    seen: dict[tuple[str, str, str], dict] = {}
    for res in results:
        for r in res.resolved:
            k = (r["how"], r["name"], r["canonical"])
            if k in seen:
                seen[k]["rows"] += int(r.get("rows") or 0)
            else:
                seen[k] = {**r, "rows": int(r.get("rows") or 0)}
    out = []
    for how in ("简称", "建议"):
        items = [r for r in seen.values() if r["how"] == how]
        if items:
            lead = "已按简称对应" if how == "简称" else "已采用建议"
            out.append(lead + "：" + "；".join(f"{r['name']} → {r['canonical']}（{r['rows']:,} 行）" for r in items))
    other = [r for r in seen.values() if r["how"] not in ("简称", "建议")]
    if other:
        out.append("已自动对应：" + "；".join(f"{r['name']} → {r['canonical']}（{r['rows']:,} 行）" for r in other))
    return out


# --- the check step: what the file is, and what the office still has to say ---------------------------------
def profile_caption(res: ImportResult) -> str | None:
    if not res.profile:
        return None
    return f"按内置格式「{res.profile}」识别" if res.profile_builtin else f"按导入配置「{res.profile}」识别"


def saved_profile_used(res: ImportResult) -> bool:
    return bool(res.profile) and not res.profile_builtin


def unrecognised(res: ImportResult) -> list[str]:
    """Headers of the main sheet nothing recognised."""
    return [c["header"] for c in res.columns if not c["field"] and c["how"] == "未识别"]


def needs_column_editor(res: ImportResult) -> bool:
    """Columns to map: required fields missing, or columns nothing recognised (unless a saved profile, made
    for exactly these headers, already said what every column is)."""
    if not res.columns:
        return False
    return res.needs_mapping or (not saved_profile_used(res) and bool(unrecognised(res)))


def field_options(res: ImportResult, kind: str | None) -> list[tuple[str, str]]:
    """The fields the columns of this file may be mapped to: those of ``kind`` (of every kind when unknown),
    and any the engine chose that are not among them (a survey's indicator columns, 知晓率 …)."""
    choices = profiles.field_choices(kind)
    have = {f for f, _ in choices}
    labels = {c["field"]: c.get("label") or c["field"] for c in res.columns}
    return choices + [(f, labels[f]) for f in labels if f and f not in have]


def choice_labels(choices: list[tuple[str, str]]) -> dict[str, str]:
    """field → label of the editor's options, each label once."""
    out, used = {}, set()
    for fld, label in choices:
        if label in used:
            label = f"{label}（{fld}）"
        used.add(label)
        out[fld] = label
    return out


def column_table(res: ImportResult, choices: list[tuple[str, str]]) -> pd.DataFrame:
    """Every column of the main sheet with its samples and the field the engine chose (as a label of
    ``choices``; a field outside them, e.g. of another kind, shows as 不使用)."""
    labels = choice_labels(choices)
    rows = [{"文件中的表头": c["header"], "示例": c["samples"], "对应字段": labels.get(c["field"], labels[UNUSED]),
             "自动识别": {"配置": "按导入配置", "表头": "按表头", "未识别": "未识别"}.get(c["how"], c["how"])}
            for c in res.columns]
    return pd.DataFrame(rows, columns=["文件中的表头", "示例", "对应字段", "自动识别"])


def columns_from_table(edited: pd.DataFrame, choices: list[tuple[str, str]]) -> dict[str, str]:
    """{header as written: field ("" = 不使用)} from the edited column table."""
    by_label = {v: k for k, v in choice_labels(choices).items()}
    return {str(r["文件中的表头"]): by_label.get(r["对应字段"] or "", UNUSED) for r in edited.to_dict("records")}


def missing_fields(kind: str, columns: dict[str, str], round_given: bool = False) -> list[str]:
    """The required fields (in Chinese, alternatives joined by 或) no column is mapped to yet; the round of
    a result table may also come from the title row or the 测评轮次 box."""
    al = load_aliases()
    have = set(columns.values())
    spec = KINDS[kind]
    out = []
    for alts in spec.required:
        if any(a in have or (a == IND_PREFIX and any(f.startswith(IND_PREFIX) for f in have)) for a in alts):
            continue
        if round_given and all(a in spec.from_title for a in alts):
            continue
        out.append("或".join(al.label(a) if a != IND_PREFIX else "知晓率等指标列" for a in alts))
    return out


def repeated_fields(columns: dict[str, str], choices: list[tuple[str, str]]) -> list[str]:
    """"「处置截止时间」「捆绑处置截止时间」→ 整改时限" for fields chosen for more than one column."""
    labels = choice_labels(choices)
    by: dict[str, list[str]] = {}
    for header, fld in columns.items():
        if fld:
            by.setdefault(fld, []).append(header)
    return ["".join(f"「{h}」" for h in hs) + f"→ {labels.get(f, f)}" for f, hs in by.items() if len(hs) > 1]


def guess_kind(columns: dict[str, str]) -> str:
    """The kind a mapping describes, when neither the office nor the engine said: the kind whose required
    fields are all mapped with most of its fields, else the one with most of its fields (督查台账 first)."""
    have = {f for f in columns.values() if f}

    def score(k: str) -> tuple[bool, int]:
        spec = KINDS[k]
        n = sum(1 for f in have if f in spec.fields or (k == "survey" and f.startswith(IND_PREFIX)))
        return not missing_fields(k, columns, round_given=True), n

    return max(KINDS, key=lambda k: (*score(k), k == "ledger"))


def default_profile_name(file_name: str) -> str:
    """A profile's first name: the file's name without its extension (60 characters at most)."""
    return (Path(file_name).stem or file_name).strip()[:60] or "导入配置"


def _base_profile(cur, res: ImportResult) -> Profile | None:
    """The profile the check used, as stored (saved) or shipped (built-in)."""
    if not res.profile:
        return None
    try:
        return profiles.find_profile(cur, res.header_names, res.profile)
    except profiles.ProfileError:
        return None


def _check_name(cur, name: str, key: str) -> None:
    for p in profiles.saved_profiles(cur):
        if p.name == name and p.key != key:
            raise profiles.ProfileError(f"已有名为「{name}」的导入配置（用于另一种表头），请换一个名称。")


def mapping_profile(con, res: ImportResult, kind: str, columns: dict[str, str], name: str) -> Profile:
    """The profile 保存为导入配置 saves: this file's header set with the columns as mapped; the source and the
    value mappings of the profile the check used (a built-in format's, or the office's own) come along, since
    the saved profile takes that one's place for these headers."""
    headers = tuple(res.header_names)
    cur = con.cursor()
    try:
        base = _base_profile(cur, res)
        name = (name or "").strip()
        _check_name(cur, name, profiles.header_key(headers))
    finally:
        cur.close()
    return Profile(name=name, kind=kind, columns=dict(columns), values=dict(base.values) if base else {},
                   source=base.source if base else None, headers=headers)


# the 对应为 choices of the value tables: label → the canonical value saved in the profile
VALUE_CHOICES: dict[str, dict[str, str]] = {
    "status": {"待整改": "待整改", "整改中": "整改中", "已整改": "已整改", "已销号": "已销号", "作废（不导入）": "作废"},
    "card": {"白": "白", "黄": "黄", "红": "红"},
    "passed": {"达标（1.0）": "1.0", "基本达标（0.5）": "0.5", "不达标（0.0）": "0.0"},
}


def value_tables(res: ImportResult) -> dict[str, pd.DataFrame]:
    """Per field (整改状态 / 督办卡 / 测评情况), the values nobody has mapped yet: 写法, 行数, 对应为 (to choose)."""
    out = {}
    for fld, pairs in res.unknown_values.items():
        if fld in VALUE_CHOICES and pairs:
            out[fld] = pd.DataFrame([{"写法": str(v), "行数": int(n), "对应为": None} for v, n in pairs],
                                    columns=["写法", "行数", "对应为"])
    return out


def value_label(fld: str) -> str:
    return profiles.VALUE_FIELDS.get(fld, fld)


def values_from_tables(edited: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """{field: {written: canonical}} for the values the office chose a meaning for."""
    out: dict[str, dict[str, str]] = {}
    for fld, df in edited.items():
        for r in df.to_dict("records"):
            label = r.get("对应为")
            if label and label in VALUE_CHOICES.get(fld, {}):
                out.setdefault(fld, {})[str(r["写法"])] = VALUE_CHOICES[fld][label]
    return out


def values_profile(con, res: ImportResult, new_values: dict[str, dict[str, str]], name: str) -> Profile:
    """The profile 保存取值对照 saves: the office's own profile for these headers with the values added; or,
    when the check used a built-in format or no profile, a new one copying that format's columns (and
    source and values) as the check applied them."""
    headers = tuple(res.header_names)
    cur = con.cursor()
    try:
        base = _base_profile(cur, res)
        if base is not None and not base.builtin:
            merged = {f: dict(v) for f, v in base.values.items()}
            for f, v in new_values.items():
                merged.setdefault(f, {}).update(v)
            return Profile(name=base.name, kind=base.kind, columns=dict(base.columns), values=merged,
                           source=base.source, headers=base.headers or headers)
        name = (name or "").strip()
        _check_name(cur, name, profiles.header_key(headers))
    finally:
        cur.close()
    columns = {c["header"]: c["field"] for c in res.columns}
    if base is not None:
        columns = {**{h: f for h, f in base.columns.items() if h in headers}, **columns}
    merged = {f: dict(v) for f, v in (base.values if base else {}).items()}
    for f, v in new_values.items():
        merged.setdefault(f, {}).update(v)
    return Profile(name=name, kind=res.kind or (base.kind if base else guess_kind(columns)), columns=columns,
                   values=merged, source=base.source if base else None, headers=headers)


def older_text(res: ImportResult) -> str | None:
    if not res.older:
        return None
    return f"{res.older:,} 条问题在库中的状态比本文件新（如 已销号 → 待整改），默认不回退。"


def first_week_from_data(res: ImportResult):
    """The Monday of the week of the file's earliest finding, when findings fall before week 1 (else None)."""
    from datetime import date, timedelta

    oc = res.outside_calendar or {}
    if not int(oc.get("before") or 0) or not oc.get("first"):
        return None
    first = date.fromisoformat(str(oc["first"])[:10])
    return first - timedelta(days=first.weekday())


def calendar_text(res: ImportResult) -> str | None:
    """Found dates outside the campaign's calendar, in one line."""
    oc = res.outside_calendar or {}
    before, after = int(oc.get("before") or 0), int(oc.get("after") or 0)
    if not before and not after:
        return None
    parts = []
    if before:
        start = oc.get("campaign_start")
        parts.append(f"{before:,} 条早于创城周期第 1 周" + (f"（{start}）" if start else "") + "，周次统计中不显示")
    if after:
        parts.append(f"{after:,} 条晚于今天，请核对")
    span = f"文件中的发现日期为 {oc.get('first')} 至 {oc.get('last')}；" if oc.get("first") else ""
    return span + "；".join(parts) + "。"


def notes(res: ImportResult) -> list[str]:
    """The engine's notes and skipped sheets, less those the page says in its own words (the calendar line,
    the warning about older statuses)."""
    oc = res.outside_calendar or {}
    said = []
    if calendar_text(res):
        said += [f"{oc.get('before')} 条问题的发现日期早于", f"{oc.get('after')} 条问题的发现日期晚于今天"]
    if res.older:
        said.append(f"{res.older} 条问题在库中的整改状态比本文件新")
    return [n for n in res.notes + res.skipped_sheets if not n.startswith(tuple(said))] if said else \
        res.notes + res.skipped_sheets


def upload_limit_mb(server_max_mb: float | None) -> float:
    """The size a file may have: the office's limit (CAMPAIGN_MAX_UPLOAD_MB), capped by Streamlit's own."""
    from campaign.ops import max_upload_mb

    limit = max_upload_mb()
    return min(limit, float(server_max_mb)) if server_max_mb else limit


def log_table(log: pd.DataFrame) -> pd.DataFrame:
    if log.empty:
        return pd.DataFrame(columns=["编号", "时间", "导入人", "文件", "类型", "新增", "更新", "隔离", "状态"])
    return pd.DataFrame({
        "编号": log["import_id"].astype(int),
        "时间": pd.to_datetime(log["imported_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        "导入人": log["imported_by"].fillna(""),
        "文件": log["file_name"],
        "类型": log["kind"].map(lambda k: KINDS[k].label if k in KINDS else k),
        "新增": log["accepted"].astype(int),
        "更新": log["updated"].astype(int),
        "隔离": log["quarantined"].astype(int),
        "状态": [f"已撤销（{pd.Timestamp(u):%m-%d %H:%M}）" if pd.notna(u) else "有效" for u in log["undone_at"]],
    })


def uploader_css(key_prefix: str, button: str = "选择文件") -> str:
    """A style rule for the uploaders keyed ``key_prefix…``: Streamlit's English size line hidden (the page
    says the limit in Chinese, in real text), and its English button label drawn in Chinese."""
    sel = f'[class*="st-key-{key_prefix}"] [data-testid="stFileUploaderDropzone"]'
    return ("<style>"
            f'[class*="st-key-{key_prefix}"] [data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}'
            f' {sel} button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}'
            f' {sel} button [data-testid="stMarkdownContainer"] p::after {{ content: "{button}"; font-size: 0.875rem; }}'
            "</style>")


def profile_rows(table: pd.DataFrame) -> pd.DataFrame:
    """profiles_table for display: the update time written out (empty for the built-in formats)."""
    at = pd.to_datetime(table["更新时间"])
    return table.assign(更新时间=at.dt.strftime("%Y-%m-%d %H:%M").fillna(""))
