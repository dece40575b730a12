"""The effort an improvement takes: the defaults and the office's overrides read from
data/whatif_effort.yaml (days per failed site, per point for material/opinion and survey standards, the highest
rate each method can reach, department capacities), and when that file last changed."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from campaign.config import DATA_DIR, read_yaml
from campaign.model import scoring
from campaign.whatif.settings import FIELD, ONLINE, SURVEY, WhatIfError, parse_key, parse_rate

EFFORT_FILE = DATA_DIR / "whatif_effort.yaml"


@dataclass
class Effort:
    unit: str = "天"
    fixed_per_action: float = 1.0
    min_days: float = 1.0
    default_days: float = 3.0
    min_cases: int = 20
    recent_weeks: int = 12
    recurrence_cap: float = 3.0
    online_per_point: float = 30.0                  # material and opinion kinds (网上申报, 主管部门意见 …)
    survey_per_point: float = 60.0                  # survey kinds (问卷调查, 电话调查 …)
    max_rate: dict = field(default_factory=lambda: {FIELD: 1.0, ONLINE: 1.0, SURVEY: 0.95})  # method or kind
    capacity: dict = field(default_factory=dict)
    overrides: list = field(default_factory=list)   # (Terms, per_point)

    def rate_cap(self, method: str, kind: str) -> float:
        """The highest rate an action may reach: max_rate of its method by name, else of its kind (field,
        material, opinion, survey), else of the classic method of that kind (电话调查 as 问卷调查), else 100 %.
        An action named after several methods ("问卷调查、电话调查") takes the lowest of theirs."""
        classic = {v: k for k, v in scoring.CLASSIC_KINDS.items()}.get(kind)
        caps = [self.max_rate.get(m, self.max_rate.get(kind, self.max_rate.get(classic, 1.0)))
                for m in str(method).split("、")]
        return min(caps)


def load_effort(path: Path | str = EFFORT_FILE) -> Effort:
    path = Path(path)
    if not path.exists():
        return Effort()
    raw = read_yaml(path, "工作量文件", WhatIfError) or {}
    e = Effort()

    def num(value, where: str, positive: bool = False) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise WhatIfError(f"工作量文件 {path.name}：{where} 应为数字，实际为“{value}”") from None
        if x < 0 or (positive and x == 0):
            raise WhatIfError(f"工作量文件 {path.name}：{where} 应为{'正数' if positive else '非负数'}，实际为“{value}”")
        return x

    e.unit = str(raw.get("unit", e.unit))
    e.fixed_per_action = num(raw.get("fixed_per_action", e.fixed_per_action), "fixed_per_action")
    fld = raw.get("field") or {}
    e.min_days = num(fld.get("min_days", e.min_days), "field.min_days", positive=True)
    e.default_days = num(fld.get("default_days", e.default_days), "field.default_days", positive=True)
    e.min_cases = int(num(fld.get("min_cases", e.min_cases), "field.min_cases"))
    e.recent_weeks = int(num(fld.get("recent_weeks", e.recent_weeks), "field.recent_weeks", positive=True))
    e.recurrence_cap = num(fld.get("recurrence_cap", e.recurrence_cap), "field.recurrence_cap")
    e.online_per_point = num(raw.get("online_per_point", e.online_per_point), "online_per_point", positive=True)
    e.survey_per_point = num(raw.get("survey_per_point", e.survey_per_point), "survey_per_point", positive=True)
    # max_rate names a method as the framework file does (实地考察, 材料审核 …) or a kind (field, material, opinion,
    # survey); a method the framework does not use applies to nothing
    for m, v in (raw.get("max_rate") or {}).items():
        if not str(m or "").strip():
            raise WhatIfError(f"工作量文件 {path.name}：max_rate 中有一项缺少测评方式名称")
        e.max_rate[str(m)] = parse_rate(v, f"工作量文件 {path.name} max_rate.{m}")
    e.capacity = {str(d): num(v, f"capacity.{d}") for d, v in (raw.get("capacity") or {}).items()}
    for i, o in enumerate(raw.get("overrides") or [], start=1):
        if not isinstance(o, dict) or "key" not in o or "per_point" not in o:
            raise WhatIfError(f"工作量文件 {path.name}：overrides 第 {i} 条应写成 {{key: 范围, per_point: 每分工作量}}")
        e.overrides.append((parse_key(str(o["key"])), num(o["per_point"], f"overrides 第 {i} 条 per_point", True)))
    return e


def effort_stamp(path: Path | str = EFFORT_FILE) -> float:
    """When the effort file last changed (part of the page's cache key for plans)."""
    path = Path(path)
    return path.stat().st_mtime if path.exists() else 0.0
