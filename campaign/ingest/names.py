"""Names that almost match a known one (北关街到 / 北关街道, 区城管局 / 区城市管理局) are held back for the
office to confirm, instead of silently becoming a second street or department."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

ENTITY_LABELS = {"street": "街道", "department": "责任单位", "round": "测评轮次", "peer": "兄弟区县"}
_AFFIXES_START = ("区", "市", "县")
_AFFIXES_END = ("街道办事处", "办事处", "街道", "镇", "乡", "园区", "局", "委员会", "委", "中心", "大队")


@dataclass(frozen=True)
class NameFlag:
    entity: str       # street / department / round / peer
    name: str         # as written in the file
    suggestion: str   # the known name it probably means
    rows: int         # rows carrying it

    @property
    def reason(self) -> str:
        what = ENTITY_LABELS.get(self.entity, self.entity)
        return f"{what}「{self.name}」不在已知名单中，可能是「{self.suggestion}」的笔误"


def levenshtein(a: str, b: str, limit: int = 3) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _core(s: str) -> str:
    for p in _AFFIXES_START:
        if s.startswith(p) and len(s) > len(p) + 1:
            s = s[len(p):]
            break
    for e in _AFFIXES_END:
        if s.endswith(e) and len(s) > len(e) + 1:
            return s[: -len(e)]
    return s


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def closeness(a: str, b: str, typos: bool = True) -> int | None:
    """How near two different names are (lower is nearer), or None when they are simply different names.

    ``typos=False`` (round and peer names, which legitimately differ by one character: 第二轮/第三轮,
    江北区/江南区) only counts a name contained in the other."""
    if a == b:
        return None
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if not typos:
        return 2 if len(short) >= 2 and short in long else None
    ca, cb = _core(a), _core(b)
    if ca == cb and ca:
        return 0
    d = levenshtein(a, b)
    n = min(len(a), len(b))
    if (d == 1 and n >= 3) or (d == 2 and n >= 6):
        return d
    if len(short) >= 2 and short in long:
        return 2
    if len(short) >= 3 and len(short) >= 0.5 * len(long) and _subsequence(short, long):
        return 3
    return None


def suggest(name: str, known: list[str], typos: bool = True) -> str | None:
    best, best_d = None, None
    for k in known:
        d = closeness(name, k, typos)
        if d is not None and (best_d is None or d < best_d):
            best, best_d = k, d
    return best


def check(entity: str, counts: Counter, known: set[str], confirmed: set[str]) -> list[NameFlag]:
    """Flags for the names in ``counts`` (name → rows) that are neither known nor confirmed but near a known
    name, or — within the file — a rare spelling near a much more common one."""
    flags = []
    typos = entity in ("street", "department")
    known_list = sorted(known)
    new = [n for n in counts if n not in known and n not in confirmed]
    for n in new:
        s = suggest(n, known_list, typos)
        if s is None and typos:
            # among the file's own new names: a rare spelling of a common one
            common = [m for m in counts if m != n and counts[m] >= max(3, 3 * counts[n])]
            s = suggest(n, common)
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
