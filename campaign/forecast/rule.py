"""The sampling rule (data/readiness.yaml): which sites the assessors visit, and the model's settings."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from campaign.config import DATA_DIR, read_yaml

RULE_FILE = DATA_DIR / "readiness.yaml"
FIELD, ONLINE, SURVEY = "实地考察", "网上申报", "问卷调查"   # the classic names; the model goes by method kind


class ForecastError(ValueError):
    """The forecast cannot be made, or the rule file is wrong; the message (Chinese) says why."""


# --------------------------------------------------------------------------------------------------- the rule
@dataclass(frozen=True)
class Rule:
    fixed: dict[str, int]
    default_per_type: int
    around: tuple[str, ...]
    radius_m: tuple[float, float]
    back_alleys: tuple[int, int]
    compounds: tuple[int, int]
    alley_types: tuple[str, ...]
    compound_types: tuple[str, ...]
    online_rounds: int = 4
    online_spread: float = 0.02
    survey_rounds: int = 4
    survey_spread: float = 0.02
    peer_rounds: int = 4
    peer_spread: float = 0.5
    half_life_weeks: float = 16.0
    prior_strength: float = 6.0
    problem_weight: float = 0.8
    problem_weeks: int = 12
    trend: float = 0.5
    trend_rounds: int = 4
    runs: int = 10_000
    seed: int = 2026
    outlines: str | None = None

    @property
    def outline_path(self) -> Path | None:
        return DATA_DIR / self.outlines if self.outlines else None


def rule_stamp(path: Path | str = RULE_FILE) -> float:
    """The rule file's modification time: part of a cached forecast's key (the file can change, the data not)."""
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


KEYS = {
    None: {"fixed", "default_per_type", "surroundings", "online", "survey", "peers", "model", "outlines"},
    "surroundings": {"around", "radius_m", "back_alleys", "compounds", "alley_types", "compound_types"},
    "online": {"recent_rounds", "min_spread"}, "survey": {"recent_rounds", "min_spread"},
    "peers": {"recent_rounds", "min_spread"},
    "model": {"half_life_weeks", "prior_strength", "problem_weight", "problem_weeks", "trend", "trend_rounds", "runs",
              "seed"},
}


def load_rule(path: Path | str = RULE_FILE) -> Rule:
    """The rule file, checked: a wrong entry raises ForecastError naming the file and the entry (e.g.
    “迎检抽样规则文件 readiness.yaml：model.runs 应为数字，实际为“很多””)."""
    path = Path(path)
    raw = read_yaml(path, "迎检抽样规则文件", ForecastError)
    where = f"迎检抽样规则文件 {path.name}"
    if not isinstance(raw, dict):
        raise ForecastError(f"{where} 应为键值结构（fixed、surroundings、model 等）")
    blocks = {None: raw}
    for name in ("surroundings", "online", "survey", "peers", "model"):
        block = raw.get(name) or {}
        if not isinstance(block, dict):
            raise ForecastError(f"{where}：{name} 应为键值结构（每行「名称: 值」），实际为“{block}”")
        blocks[name] = block
    for name, block in blocks.items():
        unknown = [str(k) for k in block if k not in KEYS[name]]
        if unknown:
            at = f"{name} 中" if name else ""
            raise ForecastError(f"{where}：{at}有无法识别的项“{'、'.join(unknown)}”，可用的项为："
                                f"{'、'.join(sorted(KEYS[name]))}（请检查拼写和缩进）")

    def num(name: str | None, key: str, default, kind=float, lo: float | None = 0.0, hi: float | None = None):
        full = f"{name}.{key}" if name else key
        v = blocks[name].get(key, default)
        try:
            if isinstance(v, bool):
                raise TypeError
            v = kind(v)
        except (TypeError, ValueError):
            word = "整数" if kind is int else "数字"
            raise ForecastError(f"{where}：{full} 应为{word}，实际为“{v}”") from None
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"在 {lo:g} 到 {hi:g} 之间" if hi is not None else f"不小于 {lo:g}"
            raise ForecastError(f"{where}：{full} 应{rng}，实际为 {v:g}")
        return v

    def pair(key: str, default, kind=int) -> tuple:
        v = blocks["surroundings"].get(key, default)
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ForecastError(f"{where}：surroundings.{key} 应写成 [最少, 最多]，实际为“{v}”")
        try:
            if any(isinstance(x, bool) for x in v):
                raise TypeError
            a, b = kind(v[0]), kind(v[1])
        except (TypeError, ValueError):
            raise ForecastError(f"{where}：surroundings.{key} 应为两个数字，实际为“{v}”") from None
        if a < 0 or b < a:
            raise ForecastError(f"{where}：surroundings.{key} 应满足 0 ≤ 最少 ≤ 最多，实际为 {v}")
        return a, b

    def types(key: str, default: list[str]) -> tuple[str, ...]:
        v = blocks["surroundings"].get(key, default)
        if v is None:
            v = default
        if isinstance(v, str) or not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and x for x in v):
            raise ForecastError(f"{where}：surroundings.{key} 应写成点位类型的列表，如 [背街小巷]，实际为“{v}”")
        return tuple(v)

    fixed_raw = raw.get("fixed") or {}
    if not isinstance(fixed_raw, dict):
        raise ForecastError(f"{where}：fixed 应写成「点位类型: 个数」，每类一行")
    fixed = {}
    for t, k in fixed_raw.items():
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ForecastError(f"{where}：fixed 中“{t}”的个数应为不小于 0 的整数，实际为“{k}”")
        fixed[str(t)] = k
    outlines = raw.get("outlines")
    if outlines is not None and not isinstance(outlines, str):
        raise ForecastError(f"{where}：outlines 应为 data/ 目录下的文件名（如 streets.geojson），实际为“{outlines}”")
    lo_m, hi_m = pair("radius_m", [500, 2000], float)
    return Rule(
        fixed=fixed, default_per_type=num(None, "default_per_type", 2, int),
        around=types("around", []), radius_m=(lo_m, hi_m),
        back_alleys=pair("back_alleys", [1, 2]), compounds=pair("compounds", [1, 2]),
        alley_types=types("alley_types", ["背街小巷"]), compound_types=types("compound_types", ["老旧小区", "居民小区"]),
        online_rounds=num("online", "recent_rounds", 4, int, 1),
        online_spread=num("online", "min_spread", 0.02, float, 0, 1),
        survey_rounds=num("survey", "recent_rounds", 4, int, 1),
        survey_spread=num("survey", "min_spread", 0.02, float, 0, 1),
        peer_rounds=num("peers", "recent_rounds", 4, int, 1), peer_spread=num("peers", "min_spread", 0.5),
        half_life_weeks=num("model", "half_life_weeks", 16, float, 0.5),
        prior_strength=num("model", "prior_strength", 6, float, 0.1),
        problem_weight=num("model", "problem_weight", 0.8), problem_weeks=num("model", "problem_weeks", 12, int, 1),
        trend=num("model", "trend", 0.5, float, 0, 1), trend_rounds=num("model", "trend_rounds", 4, int, 2),
        runs=num("model", "runs", 10_000, int, 100, 1_000_000),
        seed=num("model", "seed", 2026, int, None), outlines=outlines or None,
    )
