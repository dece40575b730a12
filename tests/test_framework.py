import copy

import pytest
import yaml

from campaign.config import FRAMEWORK_FILE
from campaign.model.framework import FrameworkError, load_framework, parse_framework


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
    sums = std[std["framework"].eq("city")].groupby("method")["points"].sum()
    assert sums["网上申报"] == pytest.approx(40) and sums["实地考察"] == pytest.approx(40)
    assert sums["问卷调查"] == pytest.approx(20)
    assert fw.max_base == pytest.approx(100)  # the city's part; the minors' part has 100 of its own
    assert fw.year_weights == [0.15, 0.25, 0.60] and fw.bonus_cap == 6
    assert fw.negative["veto"].any() and (fw.negative["deduction"] > 0).any()
    city = std[std["framework"].eq("city")]
    assert city["section"].nunique() == 3 and city["item"].nunique() == 12


def test_the_shipped_framework_is_a_sample_in_the_published_shape():
    """3 板块, 12 测评项目, 90 测评内容, 188 测评标准; 29 negative items, 12 of them vetoes; +1 per national honour up
    to 6; a minors' framework out of 100 counting 20 % with its line at 85 — and it says it is a sample."""
    fw = load_framework()
    city = fw.standards[fw.standards["framework"].eq("city")]
    shape = [city[c].nunique() for c in ("section_code", "item_code", "content_code", "code")]
    assert shape == [3, 12, 90, 188]
    assert city.groupby("method")["points"].sum().round(6).to_dict() == {"实地考察": 40, "网上申报": 40, "问卷调查": 20}
    assert len(fw.negative) == 29 and int(fw.negative["veto"].sum()) == 12
    assert set(fw.negative.loc[fw.negative["veto"], "sanction"]) == {"暂停提名资格", "暂停称号一年", "撤销称号"}
    assert (fw.negative.loc[~fw.negative["veto"], "deduction"] > 0).all()
    assert (fw.bonus["points"] == 1).all() and len(fw.bonus) > 6 and fw.bonus_cap == 6
    assert (fw.minors.share, fw.minors.gate) == (0.2, 85)
    minors = fw.standards[fw.standards["framework"].eq("minors")]
    assert minors["points"].sum() == pytest.approx(100) and len(minors) >= 20
    assert "示例" in fw.name and "示例" in fw.version
    assert "示例" in FRAMEWORK_FILE.read_text(encoding="utf-8").splitlines()[0]


def test_an_office_edition_replaces_the_sample(tmp_path, raw):
    """The office's own edition is the same kind of file: other standards, no minors' block, its own name."""
    from campaign.store import connect, init_store

    own = copy.deepcopy(raw)
    own.pop("minors")
    own["name"], own["version"] = "全国文明城市测评体系（区县级）", "2024年版"
    items = own["sections"][0]["items"]
    first = items[0]["contents"][0]["standards"][0]
    first["name"] = "区委理论学习中心组每年专题学习不少于12次"
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(own, allow_unicode=True, sort_keys=False), encoding="utf-8")
    fw = load_framework(path)
    assert fw.minors is None and fw.version == "2024年版"
    db = tmp_path / "own.duckdb"
    init_store(db, fw)
    con = connect(db, read_only=True)
    try:
        got = con.execute("SELECT count(*), count(*) FILTER (WHERE framework = 'minors'), "
                          "any_value(name) FILTER (WHERE code = ?) FROM standards", [first["code"]]).fetchone()
    finally:
        con.close()
    assert got == (188, 0, "区委理论学习中心组每年专题学习不少于12次")


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
