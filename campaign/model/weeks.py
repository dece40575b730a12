"""Campaign weeks (第N周), counted from the office's start date (a Monday)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Week:
    number: int
    start: date
    end: date

    @property
    def name(self) -> str:
        """第12周; a week before week 1 (findings older than the campaign calendar) by its dates instead."""
        return f"第{self.number}周" if self.number >= 1 else f"{self.start:%Y.%m.%d}–{self.end:%m.%d}（第1周前）"

    @property
    def label(self) -> str:
        if self.number < 1:
            return self.name
        return f"第{self.number}周（{self.start:%m.%d}–{self.end:%m.%d}）"

    @property
    def previous(self) -> "Week":
        return Week(self.number - 1, self.start - timedelta(days=7), self.end - timedelta(days=7))


def week_of(day: date, campaign_start: date) -> Week:
    n = (day - campaign_start).days // 7 + 1
    return week_number(n, campaign_start)


def week_number(n: int, campaign_start: date) -> Week:
    start = campaign_start + timedelta(days=7 * (n - 1))
    return Week(n, start, start + timedelta(days=6))


def parse_week(text: str, campaign_start: date, latest: date) -> Week:
    """'latest', 'YYYY-Www' (ISO week), '第N周' or 'N', or a date inside the week."""
    t = text.strip()
    if t.lower() == "latest":
        return week_of(latest, campaign_start)
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", t, flags=re.I)
    if m:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return week_of(monday + timedelta(days=(campaign_start.weekday() - monday.weekday()) % 7), campaign_start)
    m = re.fullmatch(r"第?(\d{1,3})周?", t)
    if m:
        return week_number(int(m.group(1)), campaign_start)
    try:
        return week_of(date.fromisoformat(t), campaign_start)
    except ValueError:
        raise ValueError(f"无法识别的周次“{text}”：可写 latest、2026-W47、第52周 或 2026-11-20") from None
