"""Cell values as offices write them."""
from datetime import date, datetime

import numpy as np
import pytest

from campaign.ingest import mapping, values
from campaign.ingest.names import check, closeness

AL = mapping.load_aliases()


@pytest.mark.parametrize("cell", [
    "2025-03-12", "2025.3.12", "2025/3/12", "2025年3月12日", "2025-3-12 09:30", "2025年3月12日10时30分",
    "20250312", 45728, 45728.0, "45728", datetime(2025, 3, 12, 8, 0), date(2025, 3, 12), "２０２５－０３－１２",
    " 2025 / 3 / 12 ",
])
def test_dates_in_every_form(cell):
    assert values.parse_date_cell(cell) == (date(2025, 3, 12), None)


def test_dates_without_a_year_take_the_year_of_the_export():
    parsed, errs = values.parse_dates(np.array(["3月12日", "12月30日", "2025-03-20", None], dtype=object))
    assert parsed[0] == (3, 12) and errs[0] is None
    dates, n = values.resolve_dates(parsed, date(2025, 3, 20))
    assert n == 2
    assert dates[0] == np.datetime64("2025-03-12")
    assert dates[1] == np.datetime64("2024-12-30")  # a December date in a March export is last year's
    assert np.isnat(dates[3])


@pytest.mark.parametrize("cell,reason", [
    ("2025-02-30", "不是有效日期"), ("1998-01-01", "年份 1998 超出合理范围"), ("下周一", "无法识别的日期"),
    (True, "不是日期"), (12.5, "不是日期"),
])
def test_bad_dates_say_why(cell, reason):
    assert values.parse_date_cell(cell) == (None, reason)


@pytest.mark.parametrize("cell,days,working", [("3天", 3, False), ("7日内", 7, False), ("5个工作日", 5, True),
                                              ("3个工作日内", 3, True), ("立行立改", 0, False), ("即知即改", 0, False),
                                              ("立即整改", 0, False), ("当日", 0, False)])
def test_deadlines_as_days(cell, days, working):
    """Working days and calendar days are told apart (3个工作日 is not 3 days: the calendar decides)."""
    out, err = values.parse_deadline_cell(cell)
    assert err is None and isinstance(out, values.Days) and (out.n, out.working) == (days, working)


def test_a_deadline_with_a_time_of_day_keeps_it():
    from datetime import datetime
    assert values.parse_deadline_cell("2025-03-14 18:00:00") == (datetime(2025, 3, 14, 18, 0), None)
    assert values.parse_deadline_cell("2025-03-14") == (date(2025, 3, 14), None)


@pytest.mark.parametrize("cell,expected", [
    (0.5, 0.5), (-0.5, 0.5), ("0.5", 0.5), ("-0.5", 0.5), ("扣0.5分", 0.5), ("扣 1 分", 1.0), ("0.5分", 0.5),
    ("０．５", 0.5), ("－１", 1.0), ("不扣分", 0.0), (2, 2.0),
])
def test_deductions(cell, expected):
    assert values.parse_deduction_cell(cell) == (expected, None)


def test_a_deduction_that_is_not_one():
    assert values.parse_deduction_cell("严重") == (None, "无法识别的扣分")


@pytest.mark.parametrize("cell,expected", [
    ("白", "白"), ("白牌", "白"), ("黄牌", "黄"), ("红牌", "红"), ("黄卡", "黄"), ("红色督办卡", "红"), ("黄 牌", "黄"),
    ("红色", "红"), (None, None), ("", None),
])
def test_cards(cell, expected):
    assert values.card_cell(AL.cards)(cell) == (expected, None)


def test_an_unknown_card():
    assert values.card_cell(AL.cards)("蓝牌") == (None, "无法识别的督办卡")


@pytest.mark.parametrize("cell,expected", [
    ("待整改", "待整改"), ("未整改", "待整改"), ("正在整改", "整改中"), ("整改中", "整改中"), ("已整改", "已整改"),
    ("整改完成", "已整改"), ("已完成", "已整改"), ("已销号", "已销号"), ("办结", "已销号"), ("是", "已整改"),
    ("否", "待整改"), ("未完成整改", "待整改"), ("整 改 中", "整改中"),
])
def test_statuses(cell, expected):
    assert values.status_cell(AL.statuses)(cell) == (expected, None)


def test_an_unknown_status():
    assert values.status_cell(AL.statuses)("研究中？")[1] == "无法识别的整改状态"


@pytest.mark.parametrize("cell,expected", [("85.3%", 0.853), ("0.853", 0.853), (85.3, 0.853), (0.853, 0.853),
                                           ("８５．３％", 0.853), ("100%", 1.0)])
def test_rates(cell, expected):
    v, err = values.parse_rate_cell(cell)
    assert err is None and v == pytest.approx(expected)


def test_rates_out_of_range():
    assert values.parse_rate_cell("120%") == (None, "比率应在 0 到 100% 之间")


def test_names_lose_spaces_and_full_width_digits_but_keep_chinese_brackets():
    got = values.texts(np.array([" 北关 街道 ", "人民路（２段）", "１２号院", "", None, 12.0], dtype=object))
    assert got.tolist() == ["北关街道", "人民路（2段）", "12号院", None, None, "12"]


def test_descriptions_keep_single_spaces():
    got = values.texts(np.array(["  路面  有垃圾\n未清扫 "], dtype=object), values.free_text)
    assert got.tolist() == ["路面 有垃圾 未清扫"]


@pytest.mark.parametrize("a,b,near", [
    ("北关街到", "北关街道", True), ("北关", "北关街道", True), ("区城管局", "区城市管理局", True),
    ("东湖街道", "城东街道", False), ("青山镇", "柳林镇", False), ("区教育局", "区商务局", False), ("区城市管理局 ", "区城市管理局", True),
])
def test_near_names(a, b, near):
    assert (closeness(a, b) is not None) is near


def test_rounds_and_peers_only_flag_a_name_inside_another():
    assert closeness("2026年第五轮模拟测评", "2026年第四轮模拟测评", typos=False) is None
    assert closeness("第四轮模拟测评", "2026年第四轮模拟测评", typos=False) is not None


def test_a_rare_spelling_of_a_common_new_name_is_flagged():
    from collections import Counter

    flags = check("street", Counter({"北关街道": 30, "北关街到": 1, "东湖街道": 12}), known=set(), confirmed=set())
    assert [(f.name, f.suggestion) for f in flags] == [("北关街到", "北关街道")]
    assert flags[0].reason == "街道「北关街到」不在已知名单中，可能是「北关街道」的笔误"
