"""Working days by the official Chinese calendar (法定节假日 and 调休), from the ``chinese_calendar`` package.

Deadlines such as "3个工作日" count working days: weekends and statutory holidays are skipped, and the
adjusted working days (调休, e.g. a Sunday worked before National Day) count. The holiday schedule comes
from the maintained package ``chinesecalendar`` (import name ``chinese_calendar``); nothing is hand-written
here. For years the package does not cover yet (or any more), every function falls back to Monday–Friday;
``covered(d)`` tells callers whether a date was judged by the official schedule or by that fallback.

Pure functions over ``datetime.date`` and numpy ``datetime64[D]``; no other project module is imported.
"""
from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import numpy as np

__all__ = ["COVERED_YEARS", "covered", "is_workday", "add_working_days", "add_working_days_array",
           "working_days_between"]

# The package answers for whole years between the first and last year of its holiday table and refuses
# others; it derives that range from the same table, so reading it here lets us decide before calling it.
COVERED_YEARS: tuple[int, int] = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)

_EPOCH = np.datetime64("1970-01-01", "D")
# Day numbers (days since 1970-01-01) of the first and last covered day, and the official working-day flag
# for every day in between, built once at import: ~8,400 days, so cheap.
_COV_LO = int((np.datetime64(f"{COVERED_YEARS[0]:04d}-01-01", "D") - _EPOCH).astype(np.int64))
_COV_HI = int((np.datetime64(f"{COVERED_YEARS[1]:04d}-12-31", "D") - _EPOCH).astype(np.int64))


def _weekday_flags(lo: int, hi: int) -> np.ndarray:
    """Monday–Friday flags for day numbers lo..hi inclusive (1970-01-01 was a Thursday, weekday 3)."""
    return (np.arange(lo, hi + 1, dtype=np.int64) + 3) % 7 < 5


def _day_numbers(days) -> np.ndarray:
    return (np.asarray(sorted(days), dtype="datetime64[D]") - _EPOCH).astype(np.int64)


def _build_covered_flags() -> np.ndarray:
    flags = _weekday_flags(_COV_LO, _COV_HI)
    flags[_day_numbers(chinese_calendar.holidays) - _COV_LO] = False
    flags[_day_numbers(chinese_calendar.workdays) - _COV_LO] = True  # 调休: worked weekend days
    return flags


_COVERED_FLAGS = _build_covered_flags()
_COVERED_FLAGS.setflags(write=False)

# Guard against absurd inputs that would make the day table huge; real deadlines are days to months.
_MAX_N = 1_000_000


def _as_date(d: date) -> date:
    if isinstance(d, datetime):  # also pandas.Timestamp
        return d.date()
    if isinstance(d, date):
        return d
    raise TypeError(f"需要日期（date），收到的是 {type(d).__name__}")


def covered(d: date) -> bool:
    """True when ``d`` falls in a year the official schedule covers; False means Monday–Friday was assumed."""
    return COVERED_YEARS[0] <= _as_date(d).year <= COVERED_YEARS[1]


def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day: official schedule where covered, otherwise Monday–Friday."""
    d = _as_date(d)
    if covered(d):
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < 5


def _workday_flags(lo: int, hi: int) -> np.ndarray:
    """Working-day flags for day numbers lo..hi inclusive: the official table where covered, else Mon–Fri."""
    flags = _weekday_flags(lo, hi)
    a, b = max(lo, _COV_LO), min(hi, _COV_HI)
    if a <= b:
        flags[a - lo:b - lo + 1] = _COVERED_FLAGS[a - _COV_LO:b - _COV_LO + 1]
    return flags


def _as_counts(n) -> tuple[np.ndarray, np.ndarray]:
    """Working-day counts as int64 plus a validity mask (NaN / None → invalid; non-integers are refused)."""
    arr = np.asarray(n)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64), np.ones(arr.shape, dtype=bool)
    if arr.dtype.kind == "b":
        raise TypeError("工作日数不能是布尔值")
    f = arr.astype(np.float64)
    ok = np.isfinite(f)
    if np.any(f[ok] != np.round(f[ok])):
        raise ValueError("工作日数必须是整数")
    return np.where(ok, f, 0).astype(np.int64), ok


def add_working_days_array(start, n) -> np.ndarray:
    """Vectorised :func:`add_working_days`: ``start`` (datetime64[D]-like) plus ``n`` working days, row by row.

    ``start`` and ``n`` broadcast against each other. NaT start, missing ``n`` (NaN) or ``n < 0`` give NaT.
    One cumulative working-day count over the span of dates needed, then ``np.searchsorted``.
    """
    s = np.asarray(start).astype("datetime64[D]")
    k, k_ok = _as_counts(n)
    s, k, k_ok = np.broadcast_arrays(s, k, k_ok)
    out = np.full(s.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    valid = ~np.isnat(s) & k_ok & (k >= 0)
    if not valid.any():
        return out
    days = (s[valid] - _EPOCH).astype(np.int64)
    kv = k[valid]
    k_max = int(kv.max())
    if k_max > _MAX_N:
        raise ValueError(f"工作日数过大：{k_max}（上限 {_MAX_N}）")
    lo = int(days.min())
    # At least 5 working days in every 7 outside the schedule, and no official break is longer than a few
    # weeks, so this span almost always suffices; if not, double it and try again.
    hi = int(days.max()) + k_max * 7 // 5 + 31
    while True:
        cum = np.cumsum(_workday_flags(lo, hi), dtype=np.int64)  # cum[i]: working days in lo..lo+i
        target = cum[days - lo] + kv
        pos = np.searchsorted(cum, target, side="left")  # first day reaching the target count
        if int(pos.max()) < len(cum):
            break
        hi = lo + 2 * (hi - lo + 1)
    result = np.where(kv == 0, days, lo + pos)  # n = 0 returns start itself, workday or not
    out[valid] = _EPOCH + result
    return out


def add_working_days(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself not counted; ``n = 0`` returns ``start``).

    A problem found on Wed 2025-03-12 with a 3-working-day limit is due Mon 2025-03-17.
    """
    start = _as_date(start)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"工作日数必须是整数，收到的是 {type(n).__name__}")
    if n < 0:
        raise ValueError(f"工作日数不能为负：{n}")
    if n == 0:
        return start
    day = add_working_days_array(np.array([start], dtype="datetime64[D]"), np.array([n]))[0]
    return day.astype(date)


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b``; negative (``-working_days_between(b, a)``) if b < a.

    For b ≥ a and b a working day, ``add_working_days(a, working_days_between(a, b)) == b``.
    """
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a)
    lo = int((np.datetime64(a, "D") - _EPOCH).astype(np.int64))
    hi = int((np.datetime64(b, "D") - _EPOCH).astype(np.int64))
    if lo == hi:
        return 0
    return int(np.count_nonzero(_workday_flags(lo + 1, hi)))
