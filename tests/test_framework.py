import copy

import pytest
import yaml

from campaign.config import FRAMEWORK_FILE
from campaign.framework import FrameworkError, load_framework, parse_framework


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))


def test_default_framework_is_representative():
    fw = load_framework()
    std = fw.standards
    assert len(std) >= 80
    assert std["code"].is_unique
    used_types = {t for ts in std["site_types"] for t in ts}
    assert len(used_types) >= 12 and used_types <= set(fw.site_types)
    sums = std.groupby("method")["points"].sum()
    assert sums["网上申报"] == pytest.approx(40) and sums["实地考察"] == pytest.approx(40)
    assert sums["问卷调查"] == pytest.approx(20)
    assert fw.max_base == pytest.approx(100)
    assert fw.year_weights == [0.15, 0.25, 0.60] and fw.bonus_cap == 6
    assert fw.negative["veto"].any() and (fw.negative["deduction"] > 0).any()
    assert std["section"].nunique() == 3 and std["item"].nunique() == 12


def _first_standard(raw):
    return raw["sections"][0]["items"][0]["contents"][0]["standards"][0]


def _field_standard(raw):
    for s in raw["sections"]:
        for it in s["items"]:
            for c in it["contents"]:
                for st in c["standards"]:
                    if st["method"] == "实地考察":
                        return st
    raise AssertionError("no field standard")


def test_points_that_do_not_add_up(raw):
    bad = copy.deepcopy(raw)
    _field_standard(bad)["points"] += 1
    with pytest.raises(FrameworkError, match="分值不平衡：实地考察类标准分值合计 41.00，应为 40"):
        parse_framework(bad)


def test_unknown_method(raw):
    bad = copy.deepcopy(raw)
    st = _first_standard(bad)
    st["method"] = "电话抽查"
    with pytest.raises(FrameworkError, match=f"测评标准 {st['code']}：测评方式“电话抽查”未知"):
        parse_framework(bad)


def test_duplicate_code(raw):
    bad = copy.deepcopy(raw)
    first = _first_standard(bad)
    other = bad["sections"][1]["items"][0]["contents"][0]["standards"][0]
    other["code"] = first["code"]
    with pytest.raises(FrameworkError, match=f"编码 {first['code']} 重复"):
        parse_framework(bad)


def test_unknown_site_type(raw):
    bad = copy.deepcopy(raw)
    st = _field_standard(bad)
    st["site_types"] = ["月球基地"]
    with pytest.raises(FrameworkError, match="点位类型“月球基地”不在 site_types 列表中"):
        parse_framework(bad)


def test_all_problems_are_named_at_once(raw):
    bad = copy.deepcopy(raw)
    _field_standard(bad)["site_types"] = ["月球基地"]
    _first_standard(bad)["points"] = "很多"
    with pytest.raises(FrameworkError) as exc:
        parse_framework(bad, source="本办测评体系.yaml")
    msg = str(exc.value)
    assert "本办测评体系.yaml" in msg and "月球基地" in msg and "“很多”" in msg


def test_missing_file(tmp_path):
    with pytest.raises(FrameworkError, match="找不到测评体系文件"):
        load_framework(tmp_path / "none.yaml")
