"""Paths and office settings."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
FRAMEWORK_FILE = DATA_DIR / "framework.yaml"
OFFICE_FILE = DATA_DIR / "office.yaml"


def read_yaml(path: Path | str, what: str, error: type[Exception]):
    """An office-editable YAML file's content; a missing or malformed file raises ``error`` naming the file
    (``what`` is its name in words, e.g. 排名指数文件)."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"找不到{what}：{path}") from None
    except yaml.YAMLError as exc:
        raise error(f"{what} {path.name} 不是有效的 YAML：{exc}") from None


def db_path() -> Path:
    """The store: ``data/campaign.duckdb`` unless ``CAMPAIGN_DB`` names another file."""
    env = os.environ.get("CAMPAIGN_DB")
    return Path(env) if env else DATA_DIR / "campaign.duckdb"


# How a problem with several responsible units is attributed to them (store.meta unit_attribution, read by the
# problem_units view): the rule and its name in the office's words.
UNIT_ATTRIBUTIONS = {"lead": "牵头单位负责", "first": "第一责任单位", "shared": "各责任单位平分"}
DEFAULT_UNIT_ATTRIBUTION = "first"
DEFAULT_MAX_DEDUCTION = 10.0  # points one problem may cost; more is a typing or export error


class OfficeFileError(ValueError):
    """The office settings file is wrong; the message names the file, the setting and the value, in Chinese."""


@dataclass(frozen=True)
class OfficeSettings:
    """What an office sets once: its name, when week 1 starts, its target, how problems are attributed."""

    district: str
    campaign_start: date
    target_total: float
    target_rank: int
    rebound_days: int
    unit_attribution: str = DEFAULT_UNIT_ATTRIBUTION
    max_deduction: float = DEFAULT_MAX_DEDUCTION
    next_assessment: date | None = None  # the next assessment's first day: what-if plans are dated to it


def load_office(path: Path = OFFICE_FILE) -> OfficeSettings:
    """The office settings, read again whenever the file changes."""
    path = Path(path)
    return _load_office_cached(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_office_cached(path: Path, _mtime: int) -> OfficeSettings:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    start = raw.get("campaign_start", "2025-11-24")
    if isinstance(start, str):
        start = date.fromisoformat(start)
    return OfficeSettings(
        district=str(raw.get("district", "本区")),
        campaign_start=start,
        target_total=float(raw.get("target_total", 90)),
        target_rank=int(raw.get("target_rank", 1)),
        rebound_days=int(raw.get("rebound_days", 30)),
        unit_attribution=_unit_attribution(raw.get("unit_attribution"), path),
        max_deduction=_max_deduction(raw.get("max_deduction"), path),
        next_assessment=_optional_date(raw.get("next_assessment"), "next_assessment", path),
    )


def _optional_date(value, key: str, path: Path) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise OfficeFileError(f"本办设置文件 {path.name} 中 {key} 的值“{value}”不是日期，"
                              f"应写成 2027-03-15 这样的年-月-日（{path}）") from None


def _max_deduction(value, path: Path) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_MAX_DEDUCTION
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not math.isfinite(x) or x <= 0 or isinstance(value, bool):
        raise OfficeFileError(f"本办设置文件 {path.name} 中 max_deduction 的值“{value}”不可用，"
                              f"应为大于 0 的分数，例如 {DEFAULT_MAX_DEDUCTION:g}（{path}）")
    return x


def _unit_attribution(value, path: Path) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_UNIT_ATTRIBUTION
    rule = str(value).strip().lower()
    if rule not in UNIT_ATTRIBUTIONS:
        options = "、".join(f"{k}（{v}）" for k, v in UNIT_ATTRIBUTIONS.items())
        raise OfficeFileError(f"本办设置文件 {path.name} 中 unit_attribution 的值“{value}”不可用，"
                              f"应为 {options} 之一（{path}）")
    return rule


def set_campaign_start(monday: date, path: Path = OFFICE_FILE) -> date:
    """Make ``monday`` (moved back to its week's Monday) the first day of week 1 in the office settings file,
    keeping the file's comments and other settings as they are. Returns the date written."""
    import re
    from datetime import timedelta

    path = Path(path)
    monday = monday - timedelta(days=monday.weekday())
    text = path.read_text(encoding="utf-8")
    line = f"campaign_start: {monday.isoformat()}"
    new, n = re.subn(r"(?m)^campaign_start:.*$", line, text)
    if not n:
        new = text.rstrip("\n") + "\n" + line + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)  # whole or not at all
    return monday
