"""Address texts as 数字城管, 12345 and the patrol app export them, reduced to the place they name."""
from __future__ import annotations

import pytest

from campaign.ingest.addresses import address_key, is_no_location, normalise_address


@pytest.mark.parametrize("raw, expected", [
    # the brief's examples
    ("人民路128号附近", "人民路128号"),
    ("北关街道建设路与解放路交叉口东南方向约20米", "北关街道建设路与解放路交叉口"),
    ("幸福小区3号院", "幸福小区3号"),
    # proximity tails
    ("人民路128号旁", "人民路128号"),
    ("人民路128号旁边", "人民路128号"),
    ("市第一人民医院对面", "市第一人民医院"),
    ("实验小学门口", "实验小学"),
    ("人民公园东门口", "人民公园东门"),       # a named gate stays a gate
    ("火车站周边", "火车站"),
    ("老城区一带", "老城区"),
    ("胜利街农贸市场的附近", "胜利街农贸市场"),
    ("人民路128号(附近)", "人民路128号"),
    ("人民路128号（旁边）", "人民路128号"),
    # side tails
    ("建设路45号东侧", "建设路45号"),
    ("建设路45号西侧", "建设路45号"),
    ("建设路45号南侧", "建设路45号"),
    ("建设路45号北侧", "建设路45号"),
    ("建设路与解放路交叉口东北侧", "建设路与解放路交叉口"),
    # direction + distance tails
    ("建设路与解放路交叉口的正东方向15米", "建设路与解放路交叉口"),
    ("建设路与解放路交叉口的正东方向15米处", "建设路与解放路交叉口"),
    ("解放路与文化路交叉口往北50米", "解放路与文化路交叉口"),
    ("向阳路与人民路交叉口向西30米处", "向阳路与人民路交叉口"),
    ("人民路128号北侧50米左右", "人民路128号"),
    ("长途汽车站西南方向大约100米", "长途汽车站"),
    ("滨河公园东门往南约二十米", "滨河公园东门"),
    ("高速出口向东1.5公里处", "高速出口"),
    ("文化广场东南方向", "文化广场"),
    # stacked tails, punctuation, 处
    ("幸福小区3号院门口东侧", "幸福小区3号"),
    ("人民路128号东侧20米处附近。", "人民路128号"),
    ("建设路与解放路交叉口处", "建设路与解放路交叉口"),
    ("解放路拐角处", "解放路拐角"),
    ("人民路128号。", "人民路128号"),
    ("人民路128号；", "人民路128号"),
    # 处 that is part of a name stays
    ("北关街道办事处", "北关街道办事处"),
    ("滨河公园管理处", "滨河公园管理处"),
    ("幸福小区垃圾堆放处", "幸福小区垃圾堆放处"),
    ("北关街道办事处门口", "北关街道办事处"),
    # width, whitespace, labels
    ("人民路１２８号　旁边。", "人民路128号"),
    ("  人民路 128 号\t附近\n", "人民路128号"),
    ("人民路\u00a0128号\u200b", "人民路128号"),
    ("地址：人民路128号", "人民路128号"),
    ("事发地点:胜利街56号附近", "胜利街56号"),
    ("ＡＢＣ商务楼Ｂ座", "ABC商务楼B座"),
    ("幸福小区3号院2单元", "幸福小区3号2单元"),
    ("新华路12—3号", "新华路12-3号"),
    # names that only look like tails are kept
    ("向阳路", "向阳路"),
    ("城南", "城南"),
    ("河西区", "河西区"),
    ("解放路与文化路交叉口东南角", "解放路与文化路交叉口东南角"),
    ("无锡路18号", "无锡路18号"),
])
def test_normalise_address(raw, expected):
    assert normalise_address(raw) == expected


@pytest.mark.parametrize("raw", [
    None, float("nan"), "", "   ", "\u3000", "无位置描述", "  无位置描述 ", "无", "不详", "未知", "暂无", "无地址",
    "-", "/", "--", "——", "\\", "…", "。", "*", "无位置信息", "位置不详", "地址不详", "暂无地址", "无详细地址",
    "地址：无", "地址:不详", "位置描述：暂无", "（无）", "附近", "nan", "NaN", "None", "null", "<NA>", "NaT", "N/A",
])
def test_no_location(raw):
    assert normalise_address(raw) is None
    assert is_no_location(raw) is True
    assert address_key(raw) is None


def test_pandas_missing_values():
    pd = pytest.importorskip("pandas")
    for v in (pd.NA, pd.NaT):
        assert is_no_location(v)


def test_real_addresses_are_locations():
    for raw in ("人民路128号", "人民路128号附近", "北关街道办事处", "128"):
        assert is_no_location(raw) is False


def test_non_string_cells():
    assert normalise_address(128) == "128"
    assert normalise_address("人民路128号".encode("utf-8")) == "人民路128号"


def test_normalise_is_idempotent():
    for raw in ("北关街道建设路与解放路交叉口东南方向约20米", "幸福小区3号院门口东侧", "人民路（东段）128号附近",
                "人民公园东门口", "北关街道办事处"):
        once = normalise_address(raw)
        assert normalise_address(once) == once
        assert address_key(once) == address_key(raw)


@pytest.mark.parametrize("a, b", [
    ("人民路128号附近", "人民路128号"),
    ("人民路（东段）128号附近", "人民路东段128号"),
    ("幸福小区3号院", "幸福小区3号"),
    ("ＡＢＣ商务楼Ｂ座门口", "abc商务楼b座"),
    ("“胜利”农贸市场旁边", "胜利农贸市场"),
    ("建设路、解放路交叉口东南方向约20米", "建设路解放路交叉口"),
])
def test_keys_match(a, b):
    assert address_key(a) == address_key(b)


@pytest.mark.parametrize("a, b", [
    ("人民路128号", "人民路129号"),
    ("新华路12-3号", "新华路123号"),
    ("人民公园东门", "人民公园西门"),
])
def test_keys_keep_distinct_places_apart(a, b):
    assert address_key(a) != address_key(b)
