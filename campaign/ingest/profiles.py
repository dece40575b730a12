"""Import profiles (导入配置): a header set mapped once — columns to fields, unknown values to our words — and
remembered, so the next file with the same headers goes in with no questions.

Two sources: the built-in formats of the systems offices export from (data/import_profiles.yaml: 数字城管, 12345,
the 创城 app's 交办台账, third-party assessment reports), recognised by the headers they must contain; and the
profiles the office saved on the 数据导入 page (store.import_profiles), recognised by their exact header set.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from campaign.config import DATA_DIR
from campaign.ingest.mapping import IND_PREFIX, KINDS, Aliases, load_aliases, norm_header

PROFILES_FILE = DATA_DIR / "import_profiles.yaml"
UNUSED = ""  # a column mapped to this is not used
VALUE_FIELDS = {"status": "整改状态", "card": "督办卡", "passed": "测评情况"}
MAX_PROFILE_BYTES = 1_000_000


class ProfileError(ValueError):
    """A profile that cannot be saved or read (message in Chinese)."""


@dataclass(frozen=True)
class Profile:
    name: str
    kind: str
    columns: dict[str, str] = field(default_factory=dict)         # header as written → field ("" = not used)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {written: canonical}
    source: str | None = None
    match: tuple[str, ...] = ()       # built-in: headers a file must contain
    headers: tuple[str, ...] = ()     # saved: the header set it was made for
    builtin: bool = False

    @property
    def key(self) -> str:
        return header_key(self.headers) if self.headers else ""

    def to_spec(self) -> dict:
        return {"kind": self.kind, "source": self.source, "headers": list(self.headers),
                "columns": dict(self.columns), "values": {k: dict(v) for k, v in self.values.items()}}


def header_key(names) -> str:
    """One key per header set, whatever the order, spacing or width of the headers."""
    norm = sorted({norm_header(n) for n in names if norm_header(n)})
    return hashlib.sha1("\x1f".join(norm).encode("utf-8")).hexdigest()[:16]


# --- the fields a column can be mapped to ------------------------------------------------------------------
def field_choices(kind: str | None, al: Aliases | None = None) -> list[tuple[str, str]]:
    """(field, 中文名) a column of a file of ``kind`` may be mapped to; the first entry is 不使用."""
    al = al or load_aliases()
    kinds = [KINDS[kind]] if kind in KINDS else list(KINDS.values())
    seen, out = set(), [(UNUSED, "不使用")]
    for k in kinds:
        for f in k.fields:
            if f not in seen:
                seen.add(f)
                out.append((f, al.label(f)))
    return out


def _check_spec(name: str, spec: dict, al: Aliases) -> Profile:
    if not isinstance(spec, dict):
        raise ProfileError(f"导入配置「{name}」的格式不对（应为键值对）。")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ProfileError(f"导入配置「{name}」的数据类型「{kind}」无法识别，可选：{'、'.join(KINDS)}。")
    known = set(KINDS[kind].fields)
    columns = {}
    for header, fld in (spec.get("columns") or {}).items():
        fld = "" if fld is None else str(fld)
        if fld and fld not in known and not (kind == "survey" and fld.startswith(IND_PREFIX)):
            raise ProfileError(f"导入配置「{name}」把表头「{header}」对应到未知字段「{fld}」。")
        columns[str(header)] = fld
    vals = {}
    for fld, mapping in (spec.get("values") or {}).items():
        if fld not in VALUE_FIELDS or not isinstance(mapping, dict):
            raise ProfileError(f"导入配置「{name}」的取值对照「{fld}」无法识别。")
        vals[fld] = {str(k): str(v) for k, v in mapping.items()}
    source = spec.get("source")
    return Profile(name=str(name), kind=kind, columns=columns, values=vals,
                   source=str(source) if source not in (None, "") else None,
                   match=tuple(str(m) for m in spec.get("match") or ()),
                   headers=tuple(str(h) for h in spec.get("headers") or ()))


def builtin_profiles(path: Path | str = PROFILES_FILE) -> list[Profile]:
    p = Path(path)
    return list(_builtin_cached(str(p), p.stat().st_mtime_ns))


@lru_cache(maxsize=4)
def _builtin_cached(path: str, _mtime: int) -> tuple[Profile, ...]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    al = load_aliases()
    return tuple(replace(_check_spec(n, s, al), builtin=True) for n, s in raw.items())


# --- stored profiles -------------------------------------------------------------------------------------
def _has_table(cur) -> bool:
    return bool(cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'store' "
                            "AND table_name = 'import_profiles'").fetchone()[0])


def saved_profiles(cur: duckdb.DuckDBPyConnection) -> list[Profile]:
    try:
        rows = cur.execute("SELECT name, spec FROM store.import_profiles ORDER BY name").fetchall()
    except duckdb.CatalogException:  # a store made before profiles existed
        return []
    if not rows:
        return []
    al = load_aliases()
    return [_check_spec(n, json.loads(s), al) for n, s in rows]


def find_profile(cur: duckdb.DuckDBPyConnection, headers, name: str | None = None) -> Profile | None:
    """The profile for a sheet with these headers: the one named (saved or built-in), else a saved profile
    made for exactly this header set, else the built-in format whose headers all appear."""
    saved = saved_profiles(cur)
    builtin = builtin_profiles()
    if name:
        for p in saved + builtin:
            if p.name == name:
                return p
        raise ProfileError(f"没有名为「{name}」的导入配置。可用的有：{'、'.join(p.name for p in saved + builtin)}。")
    key = header_key(headers)
    for p in saved:
        if p.key == key:
            return p
    have = {norm_header(h) for h in headers}
    fits = [p for p in builtin if p.match and all(norm_header(m) in have for m in p.match)]
    return max(fits, key=lambda p: len(p.match)) if fits else None


def apply(al: Aliases, profile: Profile | None) -> Aliases:
    """The aliases with a profile laid over them: its columns first, its values added to the vocabularies."""
    if profile is None:
        return al
    exact = dict(al.exact)
    for header, fld in profile.columns.items():
        exact[norm_header(header)] = fld
    vocab = {"status": dict(al.statuses), "card": dict(al.cards), "passed": dict(al.passed)}
    for fld, mapping in profile.values.items():
        for written, canonical in mapping.items():
            vocab[fld][norm_header(written)] = float(canonical) if fld == "passed" else canonical
    return replace(al, exact=exact, statuses=vocab["status"], cards=vocab["card"], passed=vocab["passed"])


def save_profile(con: duckdb.DuckDBPyConnection, profile: Profile, by: str = "") -> Profile:
    """Save (or replace) a profile of the office's; the header set is what it is recognised by."""
    from campaign.store import write_transaction

    name = (profile.name or "").strip()
    if not name or len(name) > 60:
        raise ProfileError("导入配置的名称不能为空，且不超过 60 个字。")
    if any(p.name == name for p in builtin_profiles()):
        raise ProfileError(f"「{name}」是内置格式的名称，请换一个名称。")
    checked = _check_spec(name, profile.to_spec(), load_aliases())
    with write_transaction(con) as cur:
        cur.execute("DELETE FROM store.import_profiles WHERE header_key = ? AND name <> ?", [checked.key, name])
        cur.execute("""INSERT INTO store.import_profiles VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, now()::TIMESTAMP)
                       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, header_key = excluded.header_key,
                           spec = excluded.spec, updated_at = excluded.updated_at""",
                    [name, checked.kind, checked.key, json.dumps(checked.to_spec(), ensure_ascii=False), by or None])
    return checked


def rename_profile(con: duckdb.DuckDBPyConnection, old: str, new: str) -> None:
    from campaign.store import write_transaction

    new = (new or "").strip()
    if not new or len(new) > 60:
        raise ProfileError("导入配置的名称不能为空，且不超过 60 个字。")
    with write_transaction(con) as cur:
        if cur.execute("SELECT count(*) FROM store.import_profiles WHERE name = ?", [new]).fetchone()[0]:
            raise ProfileError(f"已有名为「{new}」的导入配置。")
        n = cur.execute("UPDATE store.import_profiles SET name = ?, updated_at = now()::TIMESTAMP WHERE name = ? "
                        "RETURNING name", [new, old]).fetchall()
        if not n:
            raise ProfileError(f"没有名为「{old}」的导入配置。")


def delete_profile(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    from campaign.store import write_transaction

    with write_transaction(con) as cur:
        return bool(cur.execute("DELETE FROM store.import_profiles WHERE name = ? RETURNING name", [name]).fetchall())


def profiles_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every profile, built-in and saved, for the admin page."""
    cur = con.cursor()
    try:
        rows = [{"名称": p.name, "类型": KINDS[p.kind].label, "来源": "内置格式", "识别依据": "含表头：" + "、".join(p.match),
                 "保存人": "", "更新时间": None} for p in builtin_profiles()]
        if _has_table(cur):
            for n, k, spec, by, at in cur.execute("SELECT name, kind, spec, created_by, updated_at "
                                                  "FROM store.import_profiles ORDER BY name").fetchall():
                headers = json.loads(spec).get("headers") or []
                rows.append({"名称": n, "类型": KINDS[k].label if k in KINDS else k, "来源": "本办保存",
                             "识别依据": f"表头完全相同（{len(headers)} 列：{'、'.join(headers[:6])}{'…' if len(headers) > 6 else ''}）",
                             "保存人": by or "", "更新时间": at})
        return pd.DataFrame(rows, columns=["名称", "类型", "来源", "识别依据", "保存人", "更新时间"])
    finally:
        cur.close()


def export_profiles(con: duckdb.DuckDBPyConnection) -> bytes:
    """The office's saved profiles as one JSON file (to carry them to another machine)."""
    cur = con.cursor()
    try:
        out = {p.name: p.to_spec() for p in saved_profiles(cur)}
    finally:
        cur.close()
    return json.dumps({"导入配置": out}, ensure_ascii=False, indent=2).encode("utf-8")


def import_profiles(con: duckdb.DuckDBPyConnection, data: bytes, by: str = "", file_name: str = "导入配置文件") -> int:
    """Profiles from a file written by ``export_profiles``; every one is checked before any is saved."""
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(f"文件「{file_name}」超过 1 MB，不是导入配置文件。")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProfileError(f"文件「{file_name}」不是导入配置文件（JSON 格式有误：第 {getattr(e, 'lineno', '?')} 行）。") from None
    specs = raw.get("导入配置") if isinstance(raw, dict) else None
    if not isinstance(specs, dict):
        raise ProfileError(f"文件「{file_name}」不是导入配置文件（缺少“导入配置”）。")
    al = load_aliases()
    checked = [_check_spec(n, s, al) for n, s in specs.items()]
    for p in checked:
        save_profile(con, p, by)
    return len(checked)
