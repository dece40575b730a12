"""The sampling rule file: the shipped one loads; a wrong entry is refused in Chinese naming the file and the entry."""
from pathlib import Path

import pytest
import yaml

from campaign.forecast import RULE_FILE, ForecastError, load_rule


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rule.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def with_change(tmp_path: Path, block: str | None, key: str, value) -> Path:
    raw = yaml.safe_load(RULE_FILE.read_text(encoding="utf-8"))
    (raw if block is None else raw[block])[key] = value
    return write(tmp_path, yaml.safe_dump(raw, allow_unicode=True))


def test_the_shipped_rule_loads():
    rule = load_rule()
    assert rule.fixed["农贸市场"] == 4 and rule.fixed["背街小巷"] == 0
    assert rule.radius_m == (500.0, 2000.0) and rule.back_alleys == (1, 2) and rule.compounds == (1, 2)
    assert "农贸市场" in rule.around and rule.alley_types == ("背街小巷",)
    assert rule.runs == 10_000 and rule.outline_path is not None and rule.outline_path.is_file()


@pytest.mark.parametrize("block,key,value,words", [
    ("model", "runs", "很多", ["model.runs", "整数", "很多"]),
    ("model", "trend", 3, ["model.trend", "0 到 1", "3"]),
    ("model", "half_life_weeks", True, ["model.half_life_weeks", "数字"]),
    ("surroundings", "radius_m", [2000, 500], ["surroundings.radius_m", "最少 ≤ 最多"]),
    ("surroundings", "back_alleys", "1-2", ["surroundings.back_alleys", "[最少, 最多]"]),
    ("surroundings", "around", "农贸市场", ["surroundings.around", "列表"]),
    ("online", "min_spread", -1, ["online.min_spread", "0 到 1"]),
    ("peers", "recent_rounds", 0, ["peers.recent_rounds", "不小于 1"]),
    (None, "default_per_type", "两个", ["default_per_type", "整数"]),
    (None, "outlines", 5, ["outlines", "文件名"]),
])
def test_a_wrong_entry_names_the_file_and_the_entry(tmp_path, block, key, value, words):
    with pytest.raises(ForecastError) as e:
        load_rule(with_change(tmp_path, block, key, value))
    msg = str(e.value)
    assert "迎检抽样规则文件 rule.yaml" in msg
    for w in words:
        assert w in msg, msg


def test_a_wrong_count_of_a_site_type_names_the_type(tmp_path):
    raw = yaml.safe_load(RULE_FILE.read_text(encoding="utf-8"))
    raw["fixed"]["农贸市场"] = "四个"
    with pytest.raises(ForecastError, match="fixed 中“农贸市场”的个数应为不小于 0 的整数"):
        load_rule(write(tmp_path, yaml.safe_dump(raw, allow_unicode=True)))


def test_a_misspelt_entry_is_not_silently_ignored(tmp_path):
    text = RULE_FILE.read_text(encoding="utf-8").replace("  half_life_weeks:", "  half_life_week:")
    with pytest.raises(ForecastError, match="model 中有无法识别的项“half_life_week”"):
        load_rule(write(tmp_path, text))
    with pytest.raises(ForecastError, match="无法识别的项“surrounding”"):
        load_rule(write(tmp_path, RULE_FILE.read_text(encoding="utf-8").replace("surroundings:", "surrounding:")))


def test_broken_yaml_and_a_missing_file(tmp_path):
    with pytest.raises(ForecastError, match="迎检抽样规则文件 rule.yaml 不是有效的 YAML"):
        load_rule(write(tmp_path, "fixed:\n  农贸市场: [4\n"))
    with pytest.raises(ForecastError, match="找不到迎检抽样规则文件"):
        load_rule(tmp_path / "none.yaml")
    with pytest.raises(ForecastError, match="应为键值结构"):
        load_rule(write(tmp_path, "- 农贸市场\n"))
