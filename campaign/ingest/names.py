"""Names that almost match a known one (北关街到 / 北关街道, 区城管局 / 区城市管理局) are held back for the
office to confirm, instead of silently becoming a second street or department.

Department names written in a common short form (区住建局 for 区住房和城乡建设局) are resolved through the
office-editable dictionary ``data/unit_short_forms.yaml`` when exactly one expansion is a known unit."""
from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import process
from rapidfuzz.distance import Indel, LCSseq, Levenshtein

from campaign.config import DATA_DIR, OFFICE_FILE

ENTITY_LABELS = {"street": "街道", "department": "责任单位", "round": "测评轮次", "peer": "兄弟区县",
                 "standard": "测评标准", "negative_item": "负面清单事项"}
# entities whose canonical form is a code of the framework: a wording can be matched to one, never be a new one
CODED_ENTITIES = ("standard", "negative_item")
SHORT_FORMS_FILE = DATA_DIR / "unit_short_forms.yaml"
DISTRICT_PLACEHOLDER = "{区县}"
_AFFIXES_START = ("区", "市", "县")
_AFFIXES_END = ("街道办事处", "办事处", "街道", "镇", "乡", "园区", "局", "委员会", "委", "中心", "大队")
_MAX_EXPANSIONS = 512


@dataclass(frozen=True)
class NameFlag:
    entity: str       # street / department / round / peer / standard
    name: str         # as written in the file
    suggestion: str   # the known name it probably means
    rows: int         # rows carrying it
    others: tuple[str, ...] = ()  # further known names it may mean (a short form of several units)
    label: str = ""               # what the suggestion is called, when it is a code (N02 → its item's name)

    @property
    def reason(self) -> str:
        what = ENTITY_LABELS.get(self.entity, self.entity)
        if self.entity == "negative_item":
            shown = self.name if len(self.name) <= 30 else self.name[:29] + "…"
            what_is = f"{self.suggestion}（{self.label}）" if self.label else self.suggestion
            return f"负面清单事项「{shown}」与 {what_is}相近但不完全相同，请确认是否为该事项"
        if self.entity == "standard":
            shown = self.name if len(self.name) <= 30 else self.name[:29] + "…"
            return f"测评标准「{shown}」与测评体系中的 {self.suggestion} 相近但不完全相同，请确认是否为该标准"
        if self.others:
            alts = "或".join(f"「{x}」" for x in (self.suggestion, *self.others))
            return f"{what}「{self.name}」不在已知名单中，是简称，可能是{alts}，请确认"
        return f"{what}「{self.name}」不在已知名单中，可能是「{self.suggestion}」的笔误"


def levenshtein(a: str, b: str, limit: int = 3) -> int:
    """Edit distance, capped at ``limit + 1``."""
    return Levenshtein.distance(a, b, score_cutoff=limit)


@lru_cache(maxsize=1 << 16)
def _core(s: str) -> str:
    for p in _AFFIXES_START:
        if s.startswith(p) and len(s) > len(p) + 1:
            s = s[len(p):]
            break
    for e in _AFFIXES_END:
        if s.endswith(e) and len(s) > len(e) + 1:
            return s[: -len(e)]
    return s


_FAR = np.inf


def _distances(name: str, known: list[str], typos: bool = True) -> np.ndarray:
    """closeness() of ``name`` to every known name at once (``inf`` where they are simply different names).

    0: the same name but for a prefix (区/市/县) or an ending (街道, 局 …); 1–2: one or two typos (two only in
    names of six or more characters); 2: one name inside the other; 3: the shorter one's characters appear
    in order in the longer one, which is at most twice as long (区城管局 / 区城市管理局)."""
    n_known = len(known)
    out = np.full(n_known, _FAR)
    if not n_known or not isinstance(name, str):
        return out
    lens = np.fromiter((len(k) for k in known), dtype=np.int64, count=n_known)
    short = np.minimum(lens, len(name))
    long = np.maximum(lens, len(name))
    contained = np.fromiter(((name in k) if len(name) <= len(k) else (k in name) for k in known),
                            dtype=bool, count=n_known) & (short >= 2)
    out[contained] = 2
    if typos:
        lev = process.cdist([name], known, scorer=Levenshtein.distance, score_cutoff=2, dtype=np.int32)[0]
        lcs = process.cdist([name], known, scorer=LCSseq.similarity, dtype=np.int32)[0]
        subseq = (lcs == short) & (short >= 3) & (short >= 0.5 * long)
        out[subseq & ~contained] = 3
        typo = ((lev == 1) & (short >= 3)) | ((lev == 2) & (short >= 6))
        out[typo] = np.minimum(out[typo], lev[typo])
        core = _core(name)
        if core:
            same_core = np.fromiter((_core(k) == core for k in known), dtype=bool, count=n_known)
            out[same_core] = 0
    same = np.fromiter((k == name for k in known), dtype=bool, count=n_known)
    out[same] = _FAR
    return out


def closeness(a: str, b: str, typos: bool = True) -> int | None:
    """How near two different names are (lower is nearer), or None when they are simply different names.

    ``typos=False`` (round and peer names, which legitimately differ by one character: 第二轮/第三轮,
    江北区/江南区) only counts a name contained in the other."""
    d = _distances(a, [b], typos)[0]
    return None if d == _FAR else int(d)


def suggest(name: str, known: list[str], typos: bool = True) -> str | None:
    """The nearest known name (ties: the more similar spelling, then the first in ``known``), or None."""
    if not known:
        return None
    known = known if isinstance(known, list) else list(known)
    d = _distances(name, known, typos)
    best = d.min()
    if best == _FAR:
        return None
    tied = np.flatnonzero(d == best)
    if len(tied) == 1:
        return known[tied[0]]
    sim = process.cdist([name], [known[i] for i in tied], scorer=Indel.normalized_similarity)[0]
    return known[tied[int(np.argmax(sim))]]


# --- short forms (区城管局 → 区城市管理局) ------------------------------------------------------------------
class ShortFormsError(ValueError):
    """The short-form dictionary is malformed; the message names the file, in Chinese."""


def _district() -> str:
    try:
        return _district_cached(str(OFFICE_FILE), Path(OFFICE_FILE).stat().st_mtime_ns)
    except OSError:
        return ""


@lru_cache(maxsize=4)
def _district_cached(path: str, _mtime: int) -> str:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return str(raw.get("district") or "").strip()
    except (OSError, yaml.YAMLError, AttributeError):
        return ""


def _clean(s: object) -> str:
    return unicodedata.normalize("NFKC", str(s)).strip()


def parse_short_forms(raw: object, district: str = "", source: str = "unit_short_forms.yaml") -> dict[str, list[str]]:
    """short form → full forms, ``{区县}`` replaced by ``district`` (forms naming it are dropped without one)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ShortFormsError(f"简称对照表 {source} 的内容应为“简称: [全称, …]”的键值结构")
    out: dict[str, list[str]] = {}
    for short, fulls in raw.items():
        s = _clean(short) if short is not None else ""
        if not s:
            continue
        if isinstance(fulls, str):
            fulls = [fulls]
        if not isinstance(fulls, list):
            raise ShortFormsError(f"简称对照表 {source} 中「{s}」的全称应写成方括号列表，如 {s}: [全称1, 全称2]")
        forms = []
        for f in fulls:
            f = _clean(f) if f is not None else ""
            if DISTRICT_PLACEHOLDER in f:
                if not district:
                    continue
                f = f.replace(DISTRICT_PLACEHOLDER, district)
            if f and f != s and f not in forms:
                forms.append(f)
        if forms:
            out.setdefault(s, [])
            out[s] += [f for f in forms if f not in out[s]]
    return out


def load_short_forms(path: Path | str = SHORT_FORMS_FILE) -> dict[str, list[str]]:
    """The office's short-form dictionary (cached until the file changes); a missing file is an empty one.
    The result is shared: do not change it."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    return _load_cached(str(p), mtime, _district())


@lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int, district: str) -> dict[str, list[str]]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ShortFormsError(f"简称对照表 {Path(path).name} 不是有效的 YAML：{exc}") from None
    return parse_short_forms(raw, district, Path(path).name)


@dataclass(frozen=True)
class _Patterns:
    regex: re.Pattern | None
    alternatives: dict[str, tuple[str, ...]]  # a form found in a name → what it may stand for


@lru_cache(maxsize=8)
def _patterns_cached(items: tuple[tuple[str, tuple[str, ...]], ...]) -> _Patterns:
    alts: dict[str, list[str]] = {}
    for short, fulls in items:
        alts.setdefault(short, [])
        alts[short] += [f for f in fulls if f not in alts[short]]   # expand a short form …
        for f in fulls:                                             # … and shorten a full one
            alts.setdefault(f, [])
            if short not in alts[f]:
                alts[f].append(short)
    if not alts:
        return _Patterns(None, {})
    # longest first, so that at any position the longest form wins (街道办事处 before 街道办)
    regex = re.compile("|".join(re.escape(k) for k in sorted(alts, key=lambda k: (-len(k), k))))
    return _Patterns(regex, {k: tuple(v) for k, v in alts.items()})


def _patterns(forms: dict[str, list[str]]) -> _Patterns:
    return _patterns_cached(tuple((k, tuple(v)) for k, v in forms.items()))


def expansions(name: str, forms: dict[str, list[str]] | None = None) -> list[str]:
    """Every spelling of ``name`` with its short forms written out (and full forms shortened), in the order
    of the dictionary; ``name`` itself is not included."""
    forms = load_short_forms() if forms is None else forms
    pats = _patterns(forms)
    if pats.regex is None or not isinstance(name, str) or not name:
        return []
    hits = list(pats.regex.finditer(name))[:6]
    if not hits:
        return []
    pieces, options, last = [], [], 0
    for m in hits:
        pieces.append(name[last:m.start()])
        options.append((*pats.alternatives[m.group()], m.group()))  # written as is: last
        last = m.end()
    tail = name[last:]
    out: dict[str, None] = {}
    for combo in itertools.islice(itertools.product(*options), _MAX_EXPANSIONS):
        s = "".join(p + c for p, c in zip(pieces, combo)) + tail
        if s != name:
            out[s] = None
    return list(out)


def short_form_candidates(name: str, known: set[str], forms: dict[str, list[str]] | None = None) -> list[str]:
    """The known names ``name`` may stand for through the short-form dictionary (exact matches only)."""
    return [e for e in expansions(name, forms) if e in known]


def resolve_short_form(name: str, known: set[str], forms: dict[str, list[str]] | None = None) -> str | None:
    """The known unit a name written in short form stands for (区住建局 → 区住房和城乡建设局), when exactly one
    expansion is known; None when none or several are (区城管局 with both 区城市管理局 and
    区城市管理综合行政执法局 known: the office decides)."""
    if name in known:
        return None
    c = short_form_candidates(name, known, forms)
    return c[0] if len(c) == 1 else None


def resolve_names(entity: str, names: list[str], known: set[str]) -> dict[str, str]:
    """name → known unit for the names resolved through the short-form dictionary (departments only)."""
    if entity != "department" or not names or not known:
        return {}
    forms = load_short_forms()
    if not forms:
        return {}
    out = {}
    for n in dict.fromkeys(names):
        r = resolve_short_form(n, known, forms)
        if r is not None:
            out[n] = r
    return out


def check(entity: str, counts: Counter, known: set[str], confirmed: set[str]) -> list[NameFlag]:
    """Flags for the names in ``counts`` (name → rows) that are neither known nor confirmed but near a known
    name, or — within the file — a rare spelling near a much more common one.

    Departments: a short form standing for exactly one known unit is never flagged (the caller resolves it);
    one standing for several (区城管局: 区城市管理局 and 区城市管理综合行政执法局) is, with all of them."""
    flags = []
    typos = entity in ("street", "department")
    known_list = sorted(known)
    new = [n for n in counts if n not in known and n not in confirmed]
    forms = load_short_forms() if entity == "department" and known and new else {}
    for n in new:
        if forms:
            cands = short_form_candidates(n, known, forms)
            if len(cands) == 1:
                continue
            if len(cands) > 1:
                flags.append(NameFlag(entity, n, cands[0], int(counts[n]), tuple(cands[1:])))
                continue
        s = suggest(n, known_list, typos)
        if s is None and typos:
            # among the file's own new names: a rare spelling of a common one
            floor = max(3, 3 * counts[n])
            common = [m for m, c in counts.items() if c >= floor and m != n]
            s = suggest(n, common) if common else None
        if s is not None:
            flags.append(NameFlag(entity, n, s, int(counts[n])))
    return flags


def save_decisions(con, decisions: list[tuple[str, str, str]], by: str = "") -> int:
    """Record the office's answers (entity, name as written, canonical name; equal names confirm a new one)
    in store.name_aliases, used by every later import. Returns how many were saved."""
    from campaign.ingest.upsert import ensure_tables
    from campaign.store import write_transaction

    if not decisions:
        return 0
    with write_transaction(con) as cur:
        ensure_tables(cur)
        for entity, name, canonical in decisions:
            cur.execute("INSERT OR REPLACE INTO store.name_aliases VALUES (?, ?, ?, now()::TIMESTAMP, ?)",
                        [entity, name, canonical, by or None])
    return len(decisions)
