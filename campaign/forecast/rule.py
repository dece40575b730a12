"""The sampling rule (data/readiness.yaml): which sites the assessors visit, and the model's settings."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from campaign.config import DATA_DIR, read_yaml

RULE_FILE = DATA_DIR / "readiness.yaml"
FIELD, ONLINE, SURVEY = "实地考察", "网上申报", "问卷调查"


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


def load_rule(path: Path | str = RULE_FILE) -> Rule:
    path = Path(path)
    raw = read_yaml(path, "迎检抽样规则文件", ForecastError)
    if not isinstance(raw, dict):
        raise ForecastError(f"迎检抽样规则文件 {path.name} 应为键值结构（fixed、surroundings、model 等）")
    where = f"迎检抽样规则文件 {path.name}"

    def num(block: dict, key: str, default, kind=float, lo: float | None = 0.0, hi: float | None = None):
        v = block.get(key, default)
        try:
            v = kind(v)
        except (TypeError, ValueError):
            raise ForecastError(f"{where}：{key} 应为数字，实际为“{v}”") from None
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"{lo:g} 到 {hi:g}" if hi is not None else f"不小于 {lo:g}"
            raise ForecastError(f"{where}：{key} 应{rng}，实际为 {v:g}")
        return v

    def pair(block: dict, key: str, default, kind=int) -> tuple:
        v = block.get(key, default)
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ForecastError(f"{where}：surroundings.{key} 应写成 [最少, 最多]，实际为“{v}”")
        try:
            a, b = kind(v[0]), kind(v[1])
        except (TypeError, ValueError):
            raise ForecastError(f"{where}：surroundings.{key} 应为两个数字，实际为“{v}”") from None
        if a < 0 or b < a:
            raise ForecastError(f"{where}：surroundings.{key} 应满足 0 ≤ 最少 ≤ 最多，实际为 {v}")
        return a, b

    fixed_raw = raw.get("fixed") or {}
    if not isinstance(fixed_raw, dict):
        raise ForecastError(f"{where}：fixed 应写成「点位类型: 个数」")
    fixed = {}
    for t, k in fixed_raw.items():
        try:
            fixed[str(t)] = int(k)
        except (TypeError, ValueError):
            raise ForecastError(f"{where}：fixed 中“{t}”的个数应为整数，实际为“{k}”") from None
        if fixed[str(t)] < 0:
            raise ForecastError(f"{where}：fixed 中“{t}”的个数不能为负")
    sur = raw.get("surroundings") or {}
    on, sv, pe, mo = (raw.get(k) or {} for k in ("online", "survey", "peers", "model"))
    for name, block in (("surroundings", sur), ("online", on), ("survey", sv), ("peers", pe), ("model", mo)):
        if not isinstance(block, dict):
            raise ForecastError(f"{where}：{name} 应为键值结构")
    lo_m, hi_m = pair(sur, "radius_m", [500, 2000], float)
    return Rule(
        fixed=fixed, default_per_type=num(raw, "default_per_type", 2, int),
        around=tuple(str(x) for x in sur.get("around") or []), radius_m=(lo_m, hi_m),
        back_alleys=pair(sur, "back_alleys", [1, 2]), compounds=pair(sur, "compounds", [1, 2]),
        alley_types=tuple(str(x) for x in sur.get("alley_types") or ["背街小巷"]),
        compound_types=tuple(str(x) for x in sur.get("compound_types") or ["老旧小区", "居民小区"]),
        online_rounds=num(on, "recent_rounds", 4, int, 1), online_spread=num(on, "min_spread", 0.02, float, 0, 1),
        survey_rounds=num(sv, "recent_rounds", 4, int, 1), survey_spread=num(sv, "min_spread", 0.02, float, 0, 1),
        peer_rounds=num(pe, "recent_rounds", 4, int, 1), peer_spread=num(pe, "min_spread", 0.5),
        half_life_weeks=num(mo, "half_life_weeks", 16, float, 0.5), prior_strength=num(mo, "prior_strength", 6, float, 0.1),
        problem_weight=num(mo, "problem_weight", 0.8), problem_weeks=num(mo, "problem_weeks", 12, int, 1),
        trend=num(mo, "trend", 0.5, float, 0, 1), runs=num(mo, "runs", 10_000, int, 100, 1_000_000),
        seed=num(mo, "seed", 2026, int, None), outlines=str(raw["outlines"]) if raw.get("outlines") else None,
    )
