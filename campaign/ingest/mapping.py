"""Header aliases (data/header_aliases.yaml), what each kind of file needs, and finding the header row."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from campaign.config import DATA_DIR

ALIASES_FILE = DATA_DIR / "header_aliases.yaml"
HEADER_SCAN_ROWS = 30
IND_PREFIX = "ind:"  # wide survey tables: one column per indicator (知晓率, 满意度 …)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    # each entry is a tuple of alternatives: at least one of them must be mapped
    required: tuple[tuple[str, ...], ...]
    fields: tuple[str, ...]
    # required fields that may come from elsewhere (the title row or --round) instead of a column
    from_title: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "ledger": Kind(
        "ledger", "督查问题台账",
        required=(("found_on",), ("street", "handler"),
                  ("description", "category", "standard_text", "standard_code")),
        fields=("problem_id", "found_on", "site", "address", "site_type", "street", "community", "handler",
                "lead_department", "department", "category", "subcategory", "standard_code", "standard_text",
                "description", "deduction", "card", "deadline", "status", "closed_on", "source", "passed",
                "rebound", "photos_before", "photos_after", "note", "reported_overdue", "extensions", "reworks",
                "lon", "lat")),
    "assessment": Kind(
        "assessment", "模拟测评结果",
        required=(("round",), ("standard_code", "standard_text"), ("score", "passed")),
        fields=("round", "held_on", "standard_code", "standard_text", "content", "site", "site_type", "street",
                "department", "score", "max_score", "passed"),
        from_title=("round",)),
    "survey": Kind(
        "survey", "问卷调查结果",
        required=(("round",), ("street",), ("rate", IND_PREFIX)),
        fields=("round", "held_on", "street", "indicator", "rate", "respondents"),
        from_title=("round",)),
    "peers": Kind(
        "peers", "兄弟区县得分",
        required=(("round",), ("peer",), ("score",)),
        fields=("round", "held_on", "peer", "score"),
        from_title=("round",)),
    "report_streets": Kind(
        "report_streets", "测评报告街道得分",
        required=(("round",), ("street",), ("score",), ("rank", "pass_rate")),
        fields=("round", "held_on", "street", "max_score", "score", "pass_rate", "rank"),
        from_title=("round",)),
    # 负面清单事项报送台账: one event per row, the item by its code or its name as written, on a date, at a unit
    "negatives": Kind(
        "negatives", "负面清单事件",
        required=(("negative_code", "negative_item"), ("occurred_on",)),
        fields=("negative_code", "negative_item", "occurred_on", "unit", "department", "street", "details", "note",
                "source", "reporter")),
}
KIND_BY_LABEL = {k.label: k.key for k in KINDS.values()}


@dataclass
class Aliases:
    labels: dict[str, str]            # field → 中文名
    exact: dict[str, str]             # normalised alias → field
    contains: list[tuple[str, str]]   # (alias, field), longest first, for "问题发现日期" ⊃ "发现日期"
    ignore: set[str]
    statuses: dict[str, str]          # written form → canonical status
    cards: dict[str, str]
    indicators: dict[str, str]
    passed: dict[str, float]
    names: dict[str, dict[str, str]]  # entity → {written: canonical}
    yes_no: dict[str, bool] = field(default_factory=dict)

    def label(self, fld: str) -> str:
        if fld.startswith(IND_PREFIX):
            return fld[len(IND_PREFIX):]
        return self.labels.get(fld, fld)


_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_SPACES = re.compile(r"[\s\u3000*※]+")


def norm_header(text: object) -> str:
    """Header text as compared with the aliases: no spaces, stars or bracketed units, half-width."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACES.sub("", s)
    s = _BRACKETS.sub("", s) or s
    return s.lower()


def _vocab(raw: dict | None, key=str) -> dict:
    out = {}
    for canonical, forms in (raw or {}).items():
        for f in [canonical, *(forms or [])]:
            out[norm_header(f)] = key(canonical)
    return out


def parse_aliases(raw: dict) -> Aliases:
    labels, exact, contains = {}, {}, []
    for fld, spec in (raw.get("fields") or {}).items():
        labels[fld] = str(spec.get("label", fld))
        for a in [labels[fld], *(spec.get("aliases") or [])]:
            n = norm_header(a)
            if n and n not in exact:
                exact[n] = fld
                if len(n) >= 3:
                    contains.append((n, fld))
    contains.sort(key=lambda x: -len(x[0]))
    names = {e: {str(k).strip(): str(v).strip() for k, v in (m or {}).items()}
             for e, m in (raw.get("names") or {}).items()}
    return Aliases(labels=labels, exact=exact, contains=contains,
                   ignore={norm_header(x) for x in raw.get("ignore") or []},
                   statuses=_vocab(raw.get("statuses")), cards=_vocab(raw.get("cards")),
                   indicators=_vocab(raw.get("indicators")), passed=_vocab(raw.get("passed"), float),
                   names=names, yes_no=_vocab(raw.get("yes_no"), lambda k: str(k).lower() == "true"))


def load_aliases(path: Path | str = ALIASES_FILE) -> Aliases:
    p = Path(path)
    return _load_cached(str(p), p.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int) -> Aliases:
    return parse_aliases(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


def map_header(text: object, al: Aliases) -> str | None:
    """The field a header names, ``"ind:知晓率"`` for a survey indicator column, ``""`` if ignored, else None."""
    n = norm_header(text)
    if not n:
        return None
    if n in al.exact:
        return al.exact[n]
    if n in al.indicators:
        return IND_PREFIX + al.indicators[n]
    if n in al.ignore:
        return ""
    if len(n) <= 12:
        for a, fld in al.contains:
            if a in n:
                return fld
    return None


# ----------------------------------------------------------------------------------------------------
@dataclass
class Header:
    """Where a sheet's table starts and what its columns mean."""

    rows: tuple[int, ...]          # 0-based indices of the header row(s)
    data_start: int                # first data row (0-based)
    names: list[str]               # header text per column (two-row headers joined)
    fields: dict[int, str]         # column index → field (first column wins for a field)
    title: str                     # text above the header (e.g. "XX区创城第12周督查问题清单")
    ignored: list[str] = field(default_factory=list)  # headers mapped to a field already taken

    def seen(self) -> list[str]:
        return [n for n in self.names if n]

    def has(self, fld: str) -> bool:
        if fld == IND_PREFIX:
            return any(f.startswith(IND_PREFIX) for f in self.fields.values())
        return fld in self.fields.values()

    def column_of(self, fld: str) -> int | None:
        for c, f in self.fields.items():
            if f == fld:
                return c
        return None


def _is_text(v: object) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _cell_fields(row: list, al: Aliases) -> list[str | None]:
    return [map_header(v, al) if _is_text(v) else None for v in row]


def _score(mapped: list[str | None]) -> int:
    return sum(1 for m in mapped if m is not None)


def _looks_like_data(row: list) -> bool:
    """A row holding numbers or dates is data, not a second header row."""
    for v in row:
        if v is None or v == "":
            continue
        if not isinstance(v, str):
            return True
        s = unicodedata.normalize("NFKC", v).strip()
        if re.fullmatch(r"[-+]?\d+(\.\d+)?%?", s) or re.match(r"\d{4}[-/.年]\d{1,2}", s):
            return True
    return False


def locate_header(rows: list[list], al: Aliases) -> Header | None:
    """The header is the row (among the first 30) naming most known fields; a neighbouring row of
    sub-headers under merged group cells (整改情况 → 整改时限 / 整改状态 / 完成时间) is joined to it."""
    scan = rows[:HEADER_SCAN_ROWS]
    mapped = [_cell_fields(r, al) for r in scan]
    scores = [_score(m) for m in mapped]
    if not scores or max(scores) < 2:
        return None
    h = scores.index(max(scores))
    top, bottom = h, h
    width = max(len(r) for r in scan)

    def cell(r: int, c: int) -> object:
        return scan[r][c] if c < len(scan[r]) else None

    def mapped_at(r: int, c: int) -> str | None:
        return mapped[r][c] if c < len(mapped[r]) else None

    names = [str(cell(h, c)).strip() if _is_text(cell(h, c)) else "" for c in range(width)]
    chosen = {c: mapped_at(h, c) for c in range(width)}
    have = {f for f in chosen.values() if f}
    for n in (h + 1, h - 1):
        if n < 0 or n >= len(scan) or _looks_like_data(scan[n]):
            continue
        if len({str(v).strip() for v in scan[n] if _is_text(v)}) < 2:
            continue  # a title, even when merged across the width
        adds = {mapped_at(n, c) for c in range(width)} - have - {None, ""}
        if not adds:
            continue
        lower = max(n, h)
        for c in range(width):
            mine, theirs = chosen[c], mapped_at(n, c)
            pick_neighbour = theirs is not None and (mine is None or n == lower)
            if pick_neighbour:
                chosen[c] = theirs
                names[c] = str(cell(n, c)).strip()
            elif not names[c] and _is_text(cell(n, c)):
                names[c] = str(cell(n, c)).strip()
        top, bottom = min(top, n), max(bottom, n)
        have = {f for f in chosen.values() if f}
    fields: dict[int, str] = {}
    ignored = []
    taken: set[str] = set()
    for c in range(width):
        f = chosen[c]
        if not f:
            continue
        if f in taken:
            ignored.append(names[c])
            continue
        taken.add(f)
        fields[c] = f
    title = " ".join(str(v).strip() for r in rows[:top] for v in r if _is_text(v))
    return Header(rows=tuple(range(top, bottom + 1)), data_start=bottom + 1, names=names, fields=fields,
                  title=title, ignored=ignored)


def guess_header(rows: list[list]) -> Header | None:
    """A header no alias recognises: the row (among the first 30) with most text cells, at least two, that has
    rows under it — so the office can map its columns by hand. Cells count once per distinct text, so a title
    merged across the width is no header."""
    scan = rows[:HEADER_SCAN_ROWS]
    best, best_n = None, 1
    for i, r in enumerate(scan[:-1] if len(scan) > 1 else []):
        n = len({str(v).strip() for v in r if _is_text(v)})  # a merged title fills every cell with one text
        if n > best_n and not _looks_like_data(r):
            best, best_n = i, n
    if best is None:
        return None
    width = max(len(r) for r in scan)
    names = [str(scan[best][c]).strip() if c < len(scan[best]) and _is_text(scan[best][c]) else ""
             for c in range(width)]
    title = " ".join(str(v).strip() for r in rows[:best] for v in r if _is_text(v))
    return Header(rows=(best,), data_start=best + 1, names=names, fields={}, title=title)


def missing_required(header: Header, kind: Kind, title_ok: bool = False) -> list[tuple[str, ...]]:
    """Required fields (as alternatives) the header lacks."""
    out = []
    for alts in kind.required:
        if any(header.has(a) for a in alts):
            continue
        if title_ok and all(a in kind.from_title for a in alts):
            continue
        out.append(alts)
    return out


def kind_fit(header: Header, kind: Kind, title_ok: bool) -> tuple[bool, int]:
    """(all required present, number of this kind's fields present)."""
    ok = not missing_required(header, kind, title_ok)
    n = sum(1 for f in set(header.fields.values()) if f in kind.fields or
            (kind.key == "survey" and f.startswith(IND_PREFIX)))
    return ok, n
