"""Near-miss names (笔误) and unit short forms (区城管局 → 区城市管理局)."""
from __future__ import annotations

import os
import random
import time
from collections import Counter

import pytest

from campaign.ingest import names
from campaign.ingest.names import (NameFlag, check, closeness, expansions, load_short_forms, parse_short_forms,
                                   resolve_names, resolve_short_form, suggest)

FORMS = {"城管局": ["城市管理局", "城市管理综合行政执法局", "城市管理和综合执法局"], "住建局": ["住房和城乡建设局"],
         "卫健委": ["卫生健康委员会", "卫生健康局"], "环卫中心": ["环境卫生管理中心", "环境卫生服务中心"],
         "公安分局": ["公安局临江区分局"], "交警大队": ["公安局交通警察大队", "交通警察大队"],
         "街道办": ["街道办事处"]}


# --- edit distance through rapidfuzz -------------------------------------------------------------------
@pytest.mark.parametrize("a,b,d", [
    ("北关街到", "北关街道", 1),            # one typo
    ("北关", "北关街道", 0),                # the same street without its ending
    ("区城管局", "区城市管理局", 3),        # characters in order
    ("区城市管理局 ", "区城市管理局", 1),
    ("东湖街道", "城东街道", None), ("青山镇", "柳林镇", None), ("区教育局", "区商务局", None),
    ("区城市管理局", "区城市管理局", None),  # the same name is not a near miss
    ("人民路街道办事处", "人民路街道", 0),
    ("区市场监督管理局", "区市场监督管里局", 1),
    ("解放路社区居委会", "解放路社区居委员", 1),
])
def test_closeness(a, b, d):
    assert closeness(a, b) == d
    assert closeness(b, a) == d


def test_rounds_and_peers_differ_by_one_character_legitimately():
    assert closeness("第二轮", "第三轮", typos=False) is None
    assert closeness("江北区", "江南区", typos=False) is None
    assert closeness("2026年第二轮模拟测评", "2026年第三轮模拟测评", typos=False) is None
    assert closeness("第二轮模拟测评", "2026年第二轮模拟测评", typos=False) == 2
    assert suggest("江北区", ["江南区", "江东区"], typos=False) is None
    assert suggest("江北", ["江南区", "江北区"], typos=False) == "江北区"


def test_levenshtein_is_capped():
    assert names.levenshtein("北关街到", "北关街道") == 1
    assert names.levenshtein("一二三四五六", "甲乙丙丁戊己", limit=3) == 4


def test_suggest_picks_the_nearest():
    known = ["东湖街道", "北关街道", "北门街道", "柳林镇"]
    assert suggest("北关街到", known) == "北关街道"
    assert suggest("北关", known) == "北关街道"
    assert suggest("青山镇", known) is None
    assert suggest("北关街到", []) is None
    # ties: the closer spelling wins, whatever the order of the list
    assert suggest("北关", ["北关街道办事处", "北关街道"]) == "北关街道"
    assert suggest("北关", ["北关街道", "北关街道办事处"]) == "北关街道"


def test_suggest_for_a_whole_file():
    rng = random.Random(7)
    chars = "东南西北关门湖山林青柳河桥城新安和平人民解放文化建设"
    known = sorted({"".join(rng.choices(chars, k=rng.randint(2, 5))) + rng.choice(["街道", "镇", "局", "中心"])
                    for _ in range(260)})[:200]
    new = ["".join(rng.choices(chars, k=rng.randint(2, 6))) + "街道" for _ in range(300)]
    flags = check("street", Counter({n: 1 for n in new}), set(known), set())
    assert all(f.suggestion in known for f in flags)


def test_check_keeps_flagging_typos():
    flags = check("street", Counter({"北关街到": 2, "柳林镇": 1}), known={"北关街道", "东湖街道"}, confirmed=set())
    assert flags == [NameFlag("street", "北关街到", "北关街道", 2)]
    assert flags[0].reason == "街道「北关街到」不在已知名单中，可能是「北关街道」的笔误"
    assert check("street", Counter({"北关街到": 2}), {"北关街道"}, confirmed={"北关街到"}) == []


# --- the short-form dictionary ---------------------------------------------------------------------------
def test_the_shipped_dictionary():
    text = names.SHORT_FORMS_FILE.read_text(encoding="utf-8")
    assert text.startswith("# 政府部门及单位常用简称对照表") and "添加" in text
    forms = load_short_forms()
    assert len(forms) >= 50
    assert forms["城管局"] == ["城市管理局", "城市管理综合行政执法局", "城市管理和综合执法局"]
    assert forms["住建局"] == ["住房和城乡建设局"]
    assert set(forms["卫健局"]) == set(forms["卫健委"]) == {"卫生健康局", "卫生健康委员会"}
    assert forms["市场监管局"] == ["市场监督管理局"]
    assert forms["街道办"] == ["街道办事处"]
    for short in ["房管局", "交警大队", "环卫中心", "园林中心", "应急局", "文旅局", "教体局", "发改局", "发改委",
                  "人社局", "自规局", "生态环境分局", "水务局", "农业局", "商务局", "民政", "司法", "财政", "交通局",
                  "公安分局", "宣传部", "文明办", "团区委", "妇联", "残联", "工会", "城投", "供电公司", "水务集团"]:
        assert forms.get(short), short
    # {区县} is the office's district
    assert "共青团临江区委员会" in forms["团区委"]
    assert all("{" not in f for fs in forms.values() for f in fs)
    assert load_short_forms() is forms  # cached


def test_the_dictionary_is_reread_when_the_office_edits_it(tmp_path):
    p = tmp_path / "forms.yaml"
    p.write_text("# 简称\n城管局: [城市管理局]\n", encoding="utf-8")
    assert load_short_forms(p) == {"城管局": ["城市管理局"]}
    p.write_text("# 简称\n城管局: [城市管理局]\n执法局: 综合行政执法局\n", encoding="utf-8")
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert load_short_forms(p) == {"城管局": ["城市管理局"], "执法局": ["综合行政执法局"]}
    assert load_short_forms(tmp_path / "missing.yaml") == {}
    p.write_text("城管局: [城市管理局\n", encoding="utf-8")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    with pytest.raises(names.ShortFormsError, match="不是有效的 YAML"):
        load_short_forms(p)


def test_parsing_the_dictionary():
    assert parse_short_forms({"团区委": ["共青团{区县}委员会"], " 住建局 ": "住房和城乡建设局", "x": ["x"]}, "临江区") == {
        "团区委": ["共青团临江区委员会"], "住建局": ["住房和城乡建设局"]}
    assert parse_short_forms({"团区委": ["共青团{区县}委员会"]}, "") == {}
    with pytest.raises(names.ShortFormsError, match="方括号列表"):
        parse_short_forms({"城管局": {"a": 1}})
    with pytest.raises(names.ShortFormsError):
        parse_short_forms(["城管局"])


# --- resolving short forms ------------------------------------------------------------------------------
@pytest.mark.parametrize("name,known,want", [
    ("区住建局", {"区住房和城乡建设局", "区城市管理局"}, "区住房和城乡建设局"),
    ("区城管局", {"区城市管理局", "区住房和城乡建设局"}, "区城市管理局"),
    ("区卫健委", {"区卫生健康委员会"}, "区卫生健康委员会"),
    ("区城管局", {"区城市管理局", "区城市管理综合行政执法局"}, None),     # ambiguous: the office decides
    ("住建局", {"区住房和城乡建设局"}, None),                          # the prefix is not guessed
    ("区住建局", {"住房和城乡建设局"}, None),
    ("区住建分局", {"区住房和城乡建设局"}, None),                      # 分局 is not 局
    ("区城市管理局", {"区城市管理局"}, None),                          # already known
    ("区教育局", {"区城市管理局"}, None),                              # no short form in it
    ("区环境卫生管理中心", {"区环卫中心"}, "区环卫中心"),                # the store holds the short form
    ("区公安分局交警大队", {"区公安分局交通警察大队"}, "区公安分局交通警察大队"),  # two forms in one name
    ("公安分局交警大队", {"公安局临江区分局交通警察大队"}, "公安局临江区分局交通警察大队"),
    ("北关街道办", {"北关街道办事处"}, "北关街道办事处"),
    ("北关街道办事处", {"北关街道办事处事处"}, None),                   # a full form is not expanded again
])
def test_resolve_short_form(name, known, want):
    assert resolve_short_form(name, known, FORMS) == want


def test_resolve_with_the_shipped_dictionary():
    known = {"区住房和城乡建设局", "区城市管理局", "区卫生健康委员会", "区市场监督管理局", "区文明办", "区委宣传部",
             "区城管执法大队", "区应急管理局", "团区委", "区妇联"}
    assert resolve_short_form("区住建局", known) == "区住房和城乡建设局"
    assert resolve_short_form("区市场监管局", known) == "区市场监督管理局"
    assert resolve_short_form("区市监局", known) == "区市场监督管理局"
    assert resolve_short_form("区精神文明建设办公室", known) == "区文明办"
    assert resolve_short_form("区宣传部", known) == "区委宣传部"
    assert resolve_short_form("区应急局", known) == "区应急管理局"
    assert resolve_short_form("区城市管理综合行政执法大队", known) == "区城管执法大队"
    assert resolve_short_form("区妇女联合会", known) == "区妇联"
    assert resolve_short_form("共青团临江区委员会", known) == "团区委"


def test_expansions_follow_the_dictionary_order():
    assert expansions("区城管局", FORMS) == ["区城市管理局", "区城市管理综合行政执法局", "区城市管理和综合执法局"]
    assert expansions("区教育局", FORMS) == []


def test_resolve_names_only_for_departments():
    known = {"区住房和城乡建设局", "区城市管理局", "区城市管理综合行政执法局"}
    got = resolve_names("department", ["区住建局", "区城管局", "区教育局", "区住建局"], known)
    assert got == {"区住建局": "区住房和城乡建设局"}
    assert resolve_names("street", ["区住建局"], known) == {}
    assert resolve_names("department", [], known) == {}


def test_check_never_flags_a_resolved_short_form_and_flags_an_ambiguous_one():
    known = {"区住房和城乡建设局", "区城市管理局", "区城市管理综合行政执法局", "区教育局"}
    flags = check("department", Counter({"区住建局": 4, "区城管局": 3, "区教育局 ": 1}), known, set())
    by_name = {f.name: f for f in flags}
    assert "区住建局" not in by_name
    amb = by_name["区城管局"]
    assert (amb.suggestion, amb.others, amb.rows) == ("区城市管理局", ("区城市管理综合行政执法局",), 3)
    assert amb.reason == ("责任单位「区城管局」不在已知名单中，是简称，可能是「区城市管理局」或「区城市管理综合行政执法局」，"
                          "请确认")
    assert by_name["区教育局 "].suggestion == "区教育局"
    # the office's answer stands
    assert check("department", Counter({"区城管局": 3}), known, confirmed={"区城管局"}) == []


def test_a_short_form_of_one_known_unit_is_not_a_typo_any_more():
    # the case the ledger test exercised: 区城管局 next to 区城市管理局 (and 区城管执法大队, a different unit)
    known = {"区城市管理局", "区城管执法大队"}
    assert check("department", Counter({"区城管局": 1}), known, set()) == []
    assert resolve_names("department", ["区城管局"], known) == {"区城管局": "区城市管理局"}
