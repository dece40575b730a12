"""Standards written as text: third-party assessment reports and the 创城 app's 测评标准 column carry a
standard's wording, not its code. Each distinct text gets the code of the standard it certainly is, or the
best code to suggest to the office, with the closest candidates."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import LCSseq

CERTAIN_SCORE = 95.0   # a score this high, …
CERTAIN_MARGIN = 8.0   # … this far above the next standard's, is certain
SUGGEST_SCORE = 70.0   # below this, no suggestion
N_CANDIDATES = 3
MIN_CONTAINED = 10     # a standard's whole wording inside a longer text counts when at least this long
MIN_FRAGMENT = 6       # a fragment shorter than this says too little to count its characters found in order

# a leading code: "B4.1.3", "【B4.1.3】", "1.", "1、", "（1）", "2.3" — a bare number only with a separator
_LEADING_CODE = re.compile(
    r"^[\s【\[（(]*(?:[A-Za-z]{1,2}\d+(?:\.\d+)*|\d+(?:\.\d+)+|\d+(?=\s*[.、)）:：]))\s*[】\]）).、:：]*\s*")
_CODE_TOKEN = re.compile(r"(?<![A-Za-z0-9.])([A-Za-z]{1,2}\d+(?:\.\d+)*)(?![.\d])")


@dataclass(frozen=True)
class StandardMatch:
    text: str                    # as written
    code: str | None             # the standard it certainly is
    suggestion: str | None       # the best code when not certain (score ≥ 70)
    score: float                 # best similarity, 0–100 (100 for an exact wording or a code in the text)
    candidates: list[tuple[str, str, float]] = field(default_factory=list)  # (code, name, score), best first


def _drop(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "PZ" or cat in ("Cc", "Cf", "Sk", "Sm") or ch.isspace()


def normalise(text: object, strip_code: bool = True) -> str:
    """Text as compared: NFKC, a leading code (B4.1.3, 1.) stripped, no whitespace or punctuation, lower case."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if strip_code:
        s = _LEADING_CODE.sub("", s, count=1)
    return "".join(ch for ch in s if not _drop(ch)).lower()


def _codes_in(text: str, codes) -> list[str]:
    s = unicodedata.normalize("NFKC", text)
    return list(dict.fromkeys(t.upper() for t in _CODE_TOKEN.findall(s) if t.upper() in codes))


def similarity(queries: list[str], choices: list[str]) -> np.ndarray:
    """Scores 0–100 (queries × choices), like rapidfuzz's WRatio but from one vectorised LCS pass: the Indel
    ratio; for strings of very different lengths (a truncated wording, a wording inside a longer text) also
    the share of the shorter one found in order in the longer, scaled by 0.9 (0.6 past eight times as long; not for fragments under six characters)."""
    lcs = process.cdist(queries, choices, scorer=LCSseq.similarity, dtype=np.int32, workers=-1).astype(np.float32)
    lq = np.fromiter((len(q) for q in queries), dtype=np.float32, count=len(queries))[:, None]
    lc = np.fromiter((len(c) for c in choices), dtype=np.float32, count=len(choices))[None, :]
    total, short, long = lq + lc, np.minimum(lq, lc), np.maximum(lq, lc)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total > 0, 200 * lcs / total, 0)
        cover = np.where(short > 0, 100 * lcs / short, 0)
        mismatch = long / np.maximum(short, 1)
    scale = np.where((mismatch < 1.5) | (short < MIN_FRAGMENT), 0.0, np.where(mismatch <= 8, 0.9, 0.6))
    return np.maximum(ratio, cover * scale).astype(np.float32)


def match_standards(texts: list[str], standards: pd.DataFrame) -> dict[str, StandardMatch]:
    """text → StandardMatch for every text given (duplicates matched once).

    Certain: the normalised text equals a standard's normalised wording (alone, or after its content and item
    names), contains exactly one standard's code, contains exactly one standard's whole wording (of ten
    characters or more), or scores ≥ 95 and ≥ 8 above the next standard. Otherwise a suggestion when the best
    score is ≥ 70. Scores compare the normalised text against the standard's wording, and
    against content + wording and item + content + wording, the best of the three (see ``similarity``)."""
    uniq = list(dict.fromkeys(t for t in texts))
    out: dict[str, StandardMatch] = {}
    if standards is None or standards.empty:
        return {t: StandardMatch(t, None, None, 0.0, []) for t in uniq}
    std = standards.reset_index(drop=True)
    codes = std["code"].astype(str).str.strip().str.upper().tolist()
    names = std["name"].fillna("").astype(str).tolist()
    content = std["content"].fillna("").astype(str).tolist() if "content" in std else [""] * len(std)
    item = std["item"].fillna("").astype(str).tolist() if "item" in std else [""] * len(std)
    n_std = len(std)
    code_index = {c: i for i, c in enumerate(codes)}

    norm_name = [normalise(x, strip_code=False) for x in names]
    variants = [norm_name,
                [normalise(c, False) + n for c, n in zip(content, norm_name)],
                [normalise(i, False) + normalise(c, False) + n for i, c, n in zip(item, content, norm_name)]]
    exact: dict[str, set[int]] = {}
    for v in variants:
        for j, s in enumerate(v):
            if s:
                exact.setdefault(s, set()).add(j)

    queries = [normalise(t) for t in uniq]
    distinct_q = list(dict.fromkeys(q for q in queries if q))
    scores = np.zeros((len(distinct_q), n_std), dtype=np.float32)
    if distinct_q:
        choices = [s for v in variants for s in v]
        scores = similarity(distinct_q, choices).reshape(len(distinct_q), len(variants), n_std).max(axis=1)
    row_of = {q: i for i, q in enumerate(distinct_q)}
    k = min(N_CANDIDATES, n_std)
    long_names = [(j, s) for j, s in enumerate(norm_name) if len(s) >= MIN_CONTAINED]

    for t, q in zip(uniq, queries):
        by_code = [code_index[c] for c in _codes_in(t, code_index)] if isinstance(t, str) else []
        if not q:
            if len(by_code) == 1:   # the code alone
                j = by_code[0]
                out[t] = StandardMatch(t, codes[j], None, 100.0, [(codes[j], names[j], 100.0)])
            else:
                out[t] = StandardMatch(t, None, None, 0.0, [])
            continue
        row = scores[row_of[q]]
        top = np.argsort(-row, kind="stable")[: max(k, 2)]
        best, second = float(row[top[0]]), (float(row[top[1]]) if n_std > 1 else 0.0)
        sure: set[int] = set()
        same_wording = exact.get(q, set())
        if len(same_wording) == 1:
            sure |= same_wording
        if len(by_code) == 1:
            sure.add(by_code[0])
        if not sure:
            inside = [j for j, s in long_names if s in q]
            if len(inside) == 1:
                sure.add(inside[0])
        if not sure and best >= CERTAIN_SCORE and best - second >= CERTAIN_MARGIN:
            sure.add(int(top[0]))
        cands = [(codes[j], names[j], round(float(row[j]), 1)) for j in top[:k]]
        if len(sure) == 1:
            j = sure.pop()
            score = 100.0 if same_wording or by_code else float(row[j])
            out[t] = StandardMatch(t, codes[j], None, score, cands)
        elif sure:   # two certain rules disagree (a code and another standard's exact wording): ask
            j = max(sure, key=lambda x: row[x])
            out[t] = StandardMatch(t, None, codes[j], float(row[j]), cands)
        elif best >= SUGGEST_SCORE:
            out[t] = StandardMatch(t, None, codes[int(top[0])], best, cands)
        else:
            out[t] = StandardMatch(t, None, None, best, cands)
    return out
