"""Cell values → typed columns. Each parser runs once per distinct value (ledgers repeat dates, streets,
statuses thousands of times) and is spread back over the rows with the factorisation codes.

Every parser returns ``(values, errors)``: ``errors`` holds a Chinese reason where a non-empty cell could not be
read, else None.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EXCEL_EPOCH = date(1899, 12, 30)
NAT = np.datetime64("NaT", "D")
MIN_YEAR = 2000

# full-width ASCII letters and digits → half-width (names keep their full-width brackets: 人民路（2段）)
_HALF = {cp: cp - 0xFEE0 for cp in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B))
         + list(range(0xFF41, 0xFF5B))}
_HALF[0x3000] = 0x20
WS = re.compile(r"\s+")


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def object_array(items: list) -> np.ndarray:
    """A 1-d object array of the items as they are (tuples stay tuples, not a second dimension)."""
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out


def all_distinct(codes: np.ndarray) -> bool:
    """Every row has a value and no value occurs twice (codes from a factorisation)."""
    return len(codes) > 0 and bool((codes >= 0).all()) and int(np.bincount(codes).max()) <= 1


def combine_codes(codes: list[np.ndarray]) -> np.ndarray:
    """One int64 per distinct combination of several factorisation codes (-1 allowed)."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    span = 1
    for c in codes:
        card = int(c.max(initial=-1)) + 2
        if span * card >= 2**62:  # too many combinations for one integer: renumber what we have
            key = pd.factorize(key)[0].astype(np.int64)
            span = int(key.max(initial=0)) + 1
        key = key * card + (c + 1)
        span *= card
    return key


def per_unique(values: np.ndarray | tuple[np.ndarray, np.ndarray],
               fn: Callable[[object], tuple[object, str | None]],
               fill: object = None) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``fn(cell) → (value, error)`` once per distinct cell; NA cells give ``fill`` and no error.
    ``values`` may be given already factorised as (codes, uniques)."""
    codes, uniq = values if isinstance(values, tuple) else factorize(values)
    out = [fn(u) for u in uniq]
    vals = np.empty(len(uniq) + 1, dtype=object)
    errs = np.empty(len(uniq) + 1, dtype=object)
    for i, (v, e) in enumerate(out):
        vals[i], errs[i] = v, e
    vals[-1], errs[-1] = fill, None
    return vals[codes], errs[codes]


def present(a: np.ndarray) -> np.ndarray:
    """Cells holding a value, for the object arrays this package builds (None marks a missing value)."""
    return np.not_equal(a, None)


def is_empty(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip() == ""
    if isinstance(v, float):
        return v != v
    return False


def plain(v: object) -> str:
    """A cell as text: 12.0 → "12"."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def name_text(v: object) -> str | None:
    """Street, department, site, round names: half-width letters and digits, no whitespace at all."""
    if is_empty(v):
        return None
    s = WS.sub("", plain(v).translate(_HALF))
    return s or None


def free_text(v: object) -> str | None:
    """Descriptions: half-width letters and digits, runs of whitespace collapsed."""
    if is_empty(v):
        return None
    s = WS.sub(" ", plain(v).translate(_HALF)).strip()
    return s or None


# strings name_text / free_text would change: whitespace, full-width letters and digits
_RE2_NAME_DIRTY = "[\\s\u3000\u00a0\uff10-\uff5a]"
_RE2_FREE_DIRTY = "^\\s|\\s$|\\s\\s|[\t\n\r\u3000\u00a0\uff10-\uff5a]"


NO_STRINGS = {"floating", "integer", "mixed-integer-float", "decimal", "boolean", "date", "datetime", "datetime64",
               "time", "timedelta", "empty"}


def is_str_mask(uniq: np.ndarray) -> np.ndarray:
    kind = pd.api.types.infer_dtype(uniq, skipna=False)
    if kind == "string":
        return np.ones(len(uniq), dtype=bool)
    if kind in NO_STRINGS:
        return np.zeros(len(uniq), dtype=bool)
    return np.fromiter((type(u) is str for u in uniq), dtype=bool, count=len(uniq))


def _texts_unique(uniq: np.ndarray, fn: Callable[[object], str | None]) -> np.ndarray:
    """name_text / free_text over distinct cells: Arrow finds the few strings that need changing."""
    out = np.empty(len(uniq), dtype=object)
    is_str = is_str_mask(uniq)
    if is_str.any():
        strs = uniq[is_str]
        pattern = _RE2_NAME_DIRTY if fn is name_text else _RE2_FREE_DIRTY
        dirty = pc.match_substring_regex(pa.array(strs, type=pa.string()), pattern).to_numpy(zero_copy_only=False)
        vals = strs.copy()
        if dirty.any():
            vals[dirty] = [fn(u) for u in strs[dirty]]
        vals[vals == ""] = None
        out[is_str] = vals
    if (~is_str).any():
        out[~is_str] = [fn(u) for u in uniq[~is_str]]
    return out


def texts_coded(values: np.ndarray | tuple[np.ndarray, np.ndarray],
                fn: Callable[[object], str | None] = name_text) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(texts per row, their factorisation codes, the distinct texts): the codes come from the distinct
    cells, so no 100,000-row array is hashed again."""
    codes, uniq = values if isinstance(values, tuple) else factorize(values)
    if fn is name_text or fn is free_text:
        per = _texts_unique(uniq, fn)
    else:
        per = np.array([fn(u) for u in uniq], dtype=object)
    per_codes, distinct = pd.factorize(per, use_na_sentinel=True)
    return np.append(per, None)[codes], np.append(per_codes, -1)[codes], np.asarray(distinct, dtype=object)


def texts(values: np.ndarray | tuple[np.ndarray, np.ndarray],
          fn: Callable[[object], str | None] = name_text) -> np.ndarray:
    return texts_coded(values, fn)[0]


def _nfkc(v: object) -> str:
    return WS.sub("", unicodedata.normalize("NFKC", plain(v)))


# --- dates ------------------------------------------------------------------------------------------
_TIME = r"(?:(?:T|\s+|(?<=日))\d{1,2}[:时][\d:分秒.]*)?"
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + "$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NOYEAR = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + "$")
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")
_DAYS = re.compile(r"^(?:限期|限|须在|请在|要求)?(\d{1,3})(?:个)?(工作)?(?:天|日)(?:内)?(?:完成|整改|办结|整改到位)?$")
_AT_ONCE = ("立行立改", "即知即改", "立即整改", "立即", "当日", "当天", "即时", "当日整改", "当天整改", "当日办结",
            "马上整改", "立即处理")
_CLOCK = re.compile(r"(?:T|\s+|(?<=日))(\d{1,2})[:时](\d{1,2})?(?:[:分](\d{1,2}))?")


class Days(tuple):
    """A deadline given as a span after the finding: (n, working) — 3个工作日 is (3, True), 7天 is (7, False)."""

    def __new__(cls, n: int, working: bool):
        return super().__new__(cls, (int(n), bool(working)))

    @property
    def n(self) -> int:
        return self[0]

    @property
    def working(self) -> bool:
        return self[1]


def _checked(y: int, m: int, d: int) -> tuple[object, str | None]:
    try:
        out = date(y, m, d)
    except ValueError:
        return None, "不是有效日期"
    if not MIN_YEAR <= y <= date.today().year + 1:
        return None, f"年份 {y} 超出合理范围"
    return out, None


def parse_date_cell(v: object) -> tuple[object, str | None]:
    """date | (month, day) for a date without a year | None, with an error reason."""
    if is_empty(v):
        return None, None
    if isinstance(v, datetime):
        return _checked(v.year, v.month, v.day)
    if isinstance(v, date):
        return _checked(v.year, v.month, v.day)
    if isinstance(v, bool):
        return None, "不是日期"
    if isinstance(v, (int, float)):
        if 20000 <= v < 80000:  # an Excel serial day number (1954–2119)
            d = EXCEL_EPOCH + timedelta(days=int(v))
            return _checked(d.year, d.month, d.day)
        if 19000101 <= v <= 21001231 and float(v).is_integer():
            s = str(int(v))
            return _checked(int(s[:4]), int(s[4:6]), int(s[6:]))
        return None, "不是日期"
    s = WS.sub(" ", unicodedata.normalize("NFKC", v if isinstance(v, str) else plain(v))).strip()
    if m := _FULL.match(s):
        return _checked(int(m[1]), int(m[2]), int(m[3]))
    if m := _COMPACT.match(s):
        return _checked(int(m[1]), int(m[2]), int(m[3]))
    if m := _NOYEAR.match(s):
        mo, d = int(m[1]), int(m[2])
        try:
            date(2000, mo, d)  # a leap year: 2月29日 is possible
        except ValueError:
            return None, "不是有效日期"
        return (mo, d), None
    if _SERIAL.match(s):
        return parse_date_cell(float(s))
    return None, "无法识别的日期"


def clock_of(v: object) -> tuple[int, int, int] | None:
    """The time of day a cell gives (15:30, 2025-03-14 18:00:00, 3月14日18时), or None for a plain date."""
    if isinstance(v, datetime):
        return (v.hour, v.minute, v.second) if (v.hour or v.minute or v.second) else None
    if isinstance(v, float) and 20000 <= v < 80000 and not v.is_integer():
        secs = round((v - int(v)) * 86400)
        return (secs // 3600, secs // 60 % 60, secs % 60) if secs else None
    if not isinstance(v, str):
        return None
    m = _CLOCK.search(WS.sub(" ", unicodedata.normalize("NFKC", v)).strip())
    if not m:
        return None
    h, mi, se = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    return (h, mi, se) if h < 24 and mi < 60 and se < 60 and (h or mi or se) else None


def parse_deadline_cell(v: object) -> tuple[object, str | None]:
    """A deadline: a date (a datetime when the cell gives a time of day), or a span after the finding as
    ``Days``: "3个工作日" → Days(3, working), "7天" → Days(7, calendar), "当日" / "立行立改" → Days(0)."""
    if is_empty(v):
        return None, None
    if isinstance(v, str):
        s = _nfkc(v)
        if m := _DAYS.match(s):
            return Days(int(m[1]), bool(m[2])), None
        if s in _AT_ONCE:
            return Days(0, False), None
    out, err = parse_date_cell(v)
    if err is None and isinstance(out, date):
        t = clock_of(v)
        if t is not None:
            return datetime(out.year, out.month, out.day, *t), None
    return out, ("无法识别的整改时限" if err == "无法识别的日期" else err)


def yes_no_cell(vocab: dict[str, bool]) -> Callable[[object], tuple[object, str | None]]:
    """是 / 否 (and the vocabulary's other forms) → True / False."""
    def cell(v: object) -> tuple[object, str | None]:
        if is_empty(v):
            return None, None
        if isinstance(v, bool):
            return v, None
        s = _nfkc(v).lower()
        if s in vocab:
            return vocab[s], None
        return None, "应填“是”或“否”"
    return cell


_PATH = re.compile(r"\s*(?:->|>|＞|→|》)\s*")


def category_path(v: object) -> tuple[str | None, str | None]:
    """A category written as a path (城乡建设>市容环卫>垃圾清运) → (category, subcategory): with three or more
    levels the second and the last (the first names only the broad field), with two levels both; else as is."""
    t = free_text(v)
    if t is None:
        return None, None
    parts = [p for p in _PATH.split(t) if p]
    if len(parts) >= 3:
        return parts[1], parts[-1]
    if len(parts) == 2:
        return parts[0], parts[1]
    return (parts[0] if parts else None), None


_UNIT_SPLIT = re.compile(r"[；;、,，/|\n]+")


def unit_list(v: object) -> tuple[str, ...]:
    """A 责任单位 cell naming one or several units (区城管局；区住建局、北关街道) → the units, each once, in order."""
    if is_empty(v):
        return ()
    s = plain(v).translate(_HALF)
    out = []
    for part in _UNIT_SPLIT.split(s.strip()):
        n = name_text(part)
        if n and n not in out:
            out.append(n)
    return tuple(out)


def parse_dates(values: np.ndarray, cell=parse_date_cell) -> tuple[np.ndarray, np.ndarray]:
    return per_unique(values, cell)


def resolve_dates(parsed: np.ndarray | tuple[np.ndarray, np.ndarray], ref: date) -> tuple[np.ndarray, int]:
    """datetime64[D] from parsed cells; (month, day) gets the year of ``ref``, or the year before when that
    would fall more than a month after ``ref`` (a 12月28日 in a January export). Returns (dates, n_yearless).
    ``parsed`` may be given as (codes, parsed distinct cells)."""
    codes, uniq = parsed if isinstance(parsed, tuple) else factorize(parsed.astype(object))
    out = np.empty(len(uniq) + 1, dtype="datetime64[D]")
    n_yearless_codes = np.zeros(len(uniq) + 1, dtype=bool)
    for i, u in enumerate(uniq):
        if isinstance(u, tuple):
            mo, d = u
            y = ref.year
            if mo == 2 and d == 29:
                while y % 4:  # the nearest leap year not after ref
                    y -= 1
            cand = date(y, mo, d)
            if cand > ref + timedelta(days=31):
                cand = date(y - 1, mo, d) if not (mo == 2 and d == 29) else cand
            out[i] = np.datetime64(cand, "D")
            n_yearless_codes[i] = True
        elif isinstance(u, date):
            out[i] = np.datetime64(u, "D")
        else:
            out[i] = NAT
    out[-1] = NAT
    n_yearless_codes[-1] = False
    return out[codes], int(n_yearless_codes[codes].sum())


# --- numbers ----------------------------------------------------------------------------------------
_NUM = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_DEDUCT = re.compile(r"^(?:扣|减|扣除|-|−|－)?(\d+(?:\.\d+)?)分?$")
NOT_FINITE = "不是有限的数值（无穷大或 NaN）"
_NO_DEDUCTION = ("不扣分", "无", "无扣分", "0分", "-", "/", "—")


def parse_number_cell(v: object) -> tuple[object, str | None]:
    if is_empty(v):
        return None, None
    if isinstance(v, bool):
        return None, "不是数字"
    if isinstance(v, (int, float)):
        return (float(v), None) if math.isfinite(v) else (None, NOT_FINITE)
    s = _nfkc(v).replace(",", "").rstrip("分人份个")
    if _NUM.match(s):
        return float(s), None
    return None, "不是数字"


def parse_deduction_cell(v: object) -> tuple[object, str | None]:
    """0.5, -0.5, 扣0.5分 → 0.5 (deductions are stored positive)."""
    if is_empty(v):
        return None, None
    if isinstance(v, bool):
        return None, "不是扣分值"
    if isinstance(v, (int, float)):
        return (abs(float(v)), None) if math.isfinite(v) else (None, NOT_FINITE)
    s = _nfkc(v)
    if s in _NO_DEDUCTION:
        return 0.0, None
    if m := _DEDUCT.match(s):
        return float(m[1]), None
    return None, "无法识别的扣分"


def parse_rate_cell(v: object) -> tuple[object, str | None]:
    """85.3%, 0.853 or 85.3 → 0.853."""
    if is_empty(v):
        return None, None
    if isinstance(v, bool):
        return None, "不是比率"
    pct = False
    if isinstance(v, (int, float)):
        x = float(v)
    else:
        s = _nfkc(v)
        pct = s.endswith("%")
        s = s.rstrip("%")
        if not _NUM.match(s):
            return None, "无法识别的比率"
        x = float(s) / 100 if pct else float(s)
    if x > 1 and not pct:
        x = x / 100
    if not 0 <= x <= 1:
        return None, "比率应在 0 到 100% 之间"
    return x, None


def numbers(values: np.ndarray | tuple[np.ndarray, np.ndarray], cell=parse_number_cell
            ) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN where empty or unreadable) and errors."""
    codes, uniq = values if isinstance(values, tuple) else factorize(values)
    out = [cell(u) for u in uniq]
    vals = np.array([np.nan if v is None else v for v, _ in out] + [np.nan], dtype=float)
    errs = np.array([e for _, e in out] + [None], dtype=object)
    return vals[codes], errs[codes]


# --- vocabularies ------------------------------------------------------------------------------------
def vocab_cell(vocab: dict[str, object], what: str, strip: str = "") -> Callable[[object], tuple[object, str | None]]:
    """A cell looked up in a words → canonical table (statuses, cards, indicators), spacing and width ignored."""

    def cell(v: object) -> tuple[object, str | None]:
        if is_empty(v):
            return None, None
        s = _nfkc(v).lower()
        if s in vocab:
            return vocab[s], None
        t = s.strip(strip) if strip else s
        if t in vocab:
            return vocab[t], None
        return None, f"无法识别的{what}"

    return cell


def status_cell(vocab: dict[str, str]) -> Callable[[object], tuple[object, str | None]]:
    base = vocab_cell(vocab, "整改状态", strip="[]【】()（）")

    def cell(v: object) -> tuple[object, str | None]:
        out, err = base(v)
        if err is None:
            return out, None
        s = _nfkc(v)
        if "销号" in s and "未" not in s or "办结" in s and "未" not in s:
            return "已销号", None
        if any(w in s for w in ("未", "待", "没有")):
            return "待整改", None
        if any(w in s for w in ("整改中", "处理中", "办理中", "正在")):
            return "整改中", None
        if any(w in s for w in ("完成", "已整改", "到位")):
            return "已整改", None
        return None, err

    return cell


def card_cell(vocab: dict[str, str]) -> Callable[[object], tuple[object, str | None]]:
    base = vocab_cell(vocab, "督办卡")

    def cell(v: object) -> tuple[object, str | None]:
        out, err = base(v)
        if err is None or is_empty(v):
            return out, err
        s = re.sub(r"(督办|通知|提醒|警示)?(牌|卡|单)?(督办)?$", "", re.sub(r"色", "", _nfkc(v)))
        if s in ("白", "黄", "红"):
            return s, None
        if s in ("无", "-", "/"):
            return None, None
        return None, err

    return cell
