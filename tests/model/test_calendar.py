"""Working days by the official calendar: dates a person can check against the State Council's notice."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import numpy as np
import pytest

from campaign.model import calendar as cal
from campaign.model.calendar import (COVERED_YEARS, add_working_days, add_working_days_array, covered, is_workday,
                                     working_days_between)

D = date
NAT = np.datetime64("NaT")


def dt64(*days: str) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


# --- is_workday ---------------------------------------------------------------------------------------------

def test_ordinary_week():
    assert [is_workday(D(2025, 3, d)) for d in range(10, 17)] == [True] * 5 + [False] * 2  # Mon 10 … Sun 16


def test_national_day_2025():
    # 2025: Oct 1 (Wed) – Oct 8 (Wed) off; Sun 09-28 and Sat 10-11 worked (调休).
    assert all(not is_workday(D(2025, 10, d)) for d in range(1, 9))
    assert D(2025, 9, 28).weekday() == 6 and is_workday(D(2025, 9, 28))
    assert D(2025, 10, 11).weekday() == 5 and is_workday(D(2025, 10, 11))
    assert not is_workday(D(2025, 9, 27))  # the Saturday before stays a rest day
    assert is_workday(D(2025, 10, 9))


def test_spring_festival_2025():
    # 2025: Jan 28 (除夕, Tue) – Feb 4 (Tue) off; Sun 01-26 and Sat 02-08 worked.
    assert all(not is_workday(D(2025, 1, 28) + timedelta(days=i)) for i in range(8))
    assert is_workday(D(2025, 1, 26)) and is_workday(D(2025, 2, 8))
    assert is_workday(D(2025, 1, 27)) and is_workday(D(2025, 2, 5))


def test_accepts_datetime():
    assert is_workday(datetime(2025, 10, 11, 9, 30)) is True
    assert is_workday(datetime(2025, 10, 1, 9, 30)) is False


def test_rejects_non_dates():
    with pytest.raises(TypeError):
        is_workday("2025-03-12")


def test_agrees_with_package_on_every_covered_day():
    d, last = D(COVERED_YEARS[0], 1, 1), D(COVERED_YEARS[1], 12, 31)
    days = np.arange(np.datetime64(d), np.datetime64(last) + 1)
    flags = cal._workday_flags(int((days[0] - cal._EPOCH).astype(int)), int((days[-1] - cal._EPOCH).astype(int)))
    expected = [chinese_calendar.is_workday(x) for x in days.astype(object)]
    assert flags.tolist() == expected
    assert [is_workday(x) for x in days.astype(object)[::37]] == expected[::37]


# --- coverage and the Monday–Friday fallback ----------------------------------------------------------------

def test_covered_range_comes_from_the_package():
    assert COVERED_YEARS == (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)
    assert COVERED_YEARS[0] <= 2025 <= COVERED_YEARS[1]
    assert covered(D(2025, 10, 1))
    assert covered(D(COVERED_YEARS[0], 1, 1)) and covered(D(COVERED_YEARS[1], 12, 31))
    assert not covered(D(COVERED_YEARS[0] - 1, 12, 31))
    assert not covered(D(COVERED_YEARS[1] + 1, 1, 1))


def test_uncovered_years_fall_back_to_monday_to_friday():
    y = COVERED_YEARS[1] + 2
    d = D(y, 10, 1)
    while d.weekday() != 0:
        d += timedelta(days=1)
    week = [d + timedelta(days=i) for i in range(7)]
    assert [is_workday(x) for x in week] == [True] * 5 + [False] * 2  # no National Day outside coverage
    assert not covered(d)
    assert add_working_days(d + timedelta(days=4), 1) == d + timedelta(days=7)  # Fri + 1 → next Mon
    assert is_workday(D(2000, 1, 3)) and not is_workday(D(2000, 1, 1))  # Mon / Sat in 2000
    assert add_working_days(D(9999, 12, 24), 0) == D(9999, 12, 24)


def test_span_crossing_the_end_of_coverage():
    last = D(COVERED_YEARS[1], 12, 31)
    n = working_days_between(last - timedelta(days=20), last + timedelta(days=20))
    assert add_working_days(last - timedelta(days=20), n) <= last + timedelta(days=20)
    expected = sum(is_workday(last - timedelta(days=20) + timedelta(days=i)) for i in range(1, 41))
    assert n == expected


# --- add_working_days -------------------------------------------------------------------------------------

def test_three_working_days_from_wednesday_skip_the_weekend():
    assert add_working_days(D(2025, 3, 12), 3) == D(2025, 3, 17)  # Wed → Mon, not Sat 03-15


@pytest.mark.parametrize("start, n, due", [
    (D(2025, 3, 12), 0, D(2025, 3, 12)),
    (D(2025, 3, 12), 1, D(2025, 3, 13)),
    (D(2025, 3, 14), 1, D(2025, 3, 17)),   # Fri → Mon
    (D(2025, 3, 15), 1, D(2025, 3, 17)),   # found on a Saturday → Mon
    (D(2025, 3, 15), 0, D(2025, 3, 15)),   # n = 0 returns start even on a rest day
    (D(2025, 3, 12), 5, D(2025, 3, 19)),
    # National Day 2025
    (D(2025, 9, 26), 1, D(2025, 9, 28)),   # Fri → the worked Sunday
    (D(2025, 9, 30), 1, D(2025, 10, 9)),   # last day before the break → first day after
    (D(2025, 9, 29), 3, D(2025, 10, 10)),  # Tue 30 (1), Thu 10-09 (2), Fri 10-10 (3)
    (D(2025, 10, 1), 1, D(2025, 10, 9)),   # found during the holiday
    (D(2025, 10, 8), 3, D(2025, 10, 11)),  # Thu 9, Fri 10, Sat 11 (worked)
    (D(2025, 10, 10), 1, D(2025, 10, 11)),
    (D(2025, 10, 11), 1, D(2025, 10, 13)),
    # Spring Festival 2025
    (D(2025, 1, 24), 1, D(2025, 1, 26)),   # Fri → worked Sunday
    (D(2025, 1, 27), 1, D(2025, 2, 5)),    # Mon before 除夕 → first day back
    (D(2025, 1, 27), 4, D(2025, 2, 8)),    # Wed 5, Thu 6, Fri 7, Sat 8 (worked)
    (D(2025, 1, 27), 5, D(2025, 2, 10)),
])
def test_due_dates(start, n, due):
    assert add_working_days(start, n) == due


def test_accepts_datetime_and_numpy_int():
    assert add_working_days(datetime(2025, 3, 12, 16, 0), np.int64(3)) == D(2025, 3, 17)


@pytest.mark.parametrize("bad", [-1, -10])
def test_negative_n_is_refused(bad):
    with pytest.raises(ValueError):
        add_working_days(D(2025, 3, 12), bad)


@pytest.mark.parametrize("bad", [1.5, "3", True, None])
def test_non_integer_n_is_refused(bad):
    with pytest.raises(TypeError):
        add_working_days(D(2025, 3, 12), bad)


def test_long_horizon_matches_day_by_day_walk():
    start, n = D(2024, 11, 20), 300
    d, left = start, n
    while left:
        d += timedelta(days=1)
        left -= is_workday(d)
    assert add_working_days(start, n) == d


def test_one_year_of_working_days_is_about_250():
    assert 245 <= working_days_between(D(2024, 12, 31), D(2025, 12, 31)) <= 252


# --- working_days_between ---------------------------------------------------------------------------------

def test_working_days_between():
    assert working_days_between(D(2025, 3, 12), D(2025, 3, 12)) == 0
    assert working_days_between(D(2025, 3, 12), D(2025, 3, 17)) == 3
    assert working_days_between(D(2025, 3, 12), D(2025, 3, 16)) == 2   # Sunday not counted
    assert working_days_between(D(2025, 3, 17), D(2025, 3, 12)) == -3
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 8)) == 0   # the whole break
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 12)) == 3  # 9, 10, 11
    assert working_days_between(D(2025, 1, 25), D(2025, 2, 9)) == 6    # 26, 27, 5, 6, 7, 8


def test_between_inverts_add():
    start = D(2025, 1, 1)
    for i in range(0, 400, 7):
        b = start + timedelta(days=i)
        n = working_days_between(start, b)
        if is_workday(b):
            assert add_working_days(start, n) == b
        assert working_days_between(b, start) == -n
    for n in range(0, 60):
        assert working_days_between(start, add_working_days(start, n)) == n


# --- add_working_days_array -------------------------------------------------------------------------------

def test_array_matches_scalar_examples():
    got = add_working_days_array(dt64("2025-03-12", "2025-09-30", "2025-01-27", "2025-10-08"), np.array([3, 1, 4, 3]))
    assert got.dtype == np.dtype("datetime64[D]")
    assert got.tolist() == [D(2025, 3, 17), D(2025, 10, 9), D(2025, 2, 8), D(2025, 10, 11)]


def test_array_nat_and_negative_give_nat():
    got = add_working_days_array(dt64("2025-03-12", "NaT", "2025-03-12", "2025-03-15"), np.array([3, 3, -1, 0]))
    assert got[0] == np.datetime64("2025-03-17")
    assert np.isnat(got[1]) and np.isnat(got[2])
    assert got[3] == np.datetime64("2025-03-15")


def test_array_all_invalid():
    got = add_working_days_array(dt64("NaT", "NaT"), np.array([1, 2]))
    assert np.isnat(got).all() and got.shape == (2,)
    assert add_working_days_array(dt64(), np.array([], dtype=int)).shape == (0,)


def test_array_missing_n_as_nan_gives_nat():
    got = add_working_days_array(dt64("2025-03-12", "2025-03-12"), np.array([3.0, np.nan]))
    assert got[0] == np.datetime64("2025-03-17") and np.isnat(got[1])
    with pytest.raises(ValueError):
        add_working_days_array(dt64("2025-03-12"), np.array([1.5]))


def test_array_broadcasts_scalar_n_and_other_units():
    starts = np.array(["2025-03-12T15:30", "2025-09-30T08:00"], dtype="datetime64[m]")
    assert add_working_days_array(starts, 1).tolist() == [D(2025, 3, 13), D(2025, 10, 9)]
    assert add_working_days_array(np.array([D(2025, 3, 12), None], dtype=object), 3)[0] == np.datetime64("2025-03-17")


def test_array_matches_scalar_on_random_rows():
    rng = np.random.default_rng(7)
    starts = np.datetime64(f"{COVERED_YEARS[0] - 1}-06-01") + rng.integers(0, 365 * 25, 3000)
    ns = rng.integers(0, 40, 3000)
    got = add_working_days_array(starts, ns)
    for s, n, g in zip(starts.astype(object)[:400], ns[:400], got.astype(object)[:400]):
        assert add_working_days(s, int(n)) == g


def test_array_span_that_needs_extending():
    # Many working days from a single start: the initial span guess must grow until it reaches the answer.
    got = add_working_days_array(dt64("2025-01-01"), np.array([2000]))
    d, left = D(2025, 1, 1), 2000
    while left:
        d += timedelta(days=1)
        left -= is_workday(d)
    assert got[0] == np.datetime64(d)


def test_array_refuses_absurd_n():
    with pytest.raises(ValueError):
        add_working_days_array(dt64("2025-01-01"), np.array([10**9]))
