"""Paths and office settings."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
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


@dataclass(frozen=True)
class OfficeSettings:
    """What an office sets once: its name, when week 1 starts, its target."""

    district: str
    campaign_start: date
    target_total: float
    target_rank: int
    rebound_days: int


def load_office(path: Path = OFFICE_FILE) -> OfficeSettings:
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
    )
