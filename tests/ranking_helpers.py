"""Small stores whose ranking lists can be counted by hand, and ranking files with the office's rules.

Week 52 of the campaign (2026-11-16..22) and week 51 (2026-11-09..15). A problem is fixed when it was closed
by the end of the week it was found in.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import yaml

from campaign import store
from campaign.config import DATA_DIR

D = dt.date
W52 = (D(2026, 11, 16), D(2026, 11, 22))
W51 = (D(2026, 11, 9), D(2026, 11, 15))

# street: (problems, fixed) in week 52 and in week 51
STREETS = {
    "甲街道": ((10, 10), (10, 9)),   # 100 %  → red
    "乙街道": ((20, 18), (10, 10)),  # 90 %   → red (at the line)
    "丙街道": ((10, 8), (10, 10)),   # 80 %   → black, worst; last week 100 %
    "丁街道": ((8, 7), (10, 8)),     # 87.5 % → neutral band; last week 80 % (black)
    "戊街道": ((20, 17), (10, 9)),   # 85 %   → neutral (not under the line)
    "己街道": ((0, 0), (4, 4)),      # no problems this week → left out
    "庚街道": ((6, 5), (5, 3)),      # 83.3 % → black; last week 60 % (black): two weeks in a row
}
HAND = dict(red=["甲街道", "乙街道"], black=["丙街道", "庚街道"], left_out=["己街道"],
            talks={"丙街道": "整改率末位", "庚街道": "连续2周列入黑榜"})


def threshold_rules(path: Path, street_talks: dict | None = None, street_parts: list | None = None,
                    fair: dict | None = None) -> Path:
    """The shipped ranking file with the street lists by threshold: fix rate ≥ 90 % red, < 85 % black."""
    raw = yaml.safe_load((DATA_DIR / "ranking_index.yaml").read_text(encoding="utf-8"))
    raw["street"]["lists"] = {"rule": "threshold", "on": "fix_rate", "red": "90%", "low": "85%",
                              "red_name": "红榜", "low_name": "黑榜", "skip_without_problems": True}
    raw["street"]["talks"] = street_talks if street_talks is not None else {"bottom": 1, "weeks_on_low": 2}
    if street_parts is not None:
        raw["street"]["parts"] = street_parts
    if fair is not None:
        raw["fair"] = fair
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _problems(street: str, week: tuple[D, D], n: int, fixed: int, start: int, dept: str = "区城市管理局"):
    rows = []
    for i in range(n):
        found = week[0] + dt.timedelta(days=i % 5)
        done = i < fixed
        pid = f"T{start + i:05d}"
        rows.append([pid, found, street, dept, 1000 + start + i, f"{street}点位{i}", "背街小巷", "环境卫生", "黄",
                     found + dt.timedelta(days=3), "已整改" if done else "整改中",
                     min(found + dt.timedelta(days=1), week[1]) if done else None])
    return rows


def build_store(path: Path, plan: dict[str, tuple] = STREETS, weeks=(W52, W51)) -> Path:
    """A store with the framework, the plan's streets and, per street and week, that many problems of which
    the first ``fixed`` were closed in the week."""
    store.init_store(path)
    con = duckdb.connect(str(path))
    try:
        con.executemany("INSERT INTO store.streets VALUES (?, '街道', 10000, ?)",
                        [[s, i] for i, s in enumerate(plan, start=1)])
        con.executemany("INSERT INTO store.departments VALUES (?, '政府部门', ?)", [["区城市管理局", 1]])
        rows, k = [], 0
        for street, per_week in plan.items():
            for week, (n, fixed) in zip(weeks, per_week):
                rows += _problems(street, week, n, fixed, k)
                k += n
        con.executemany(
            "INSERT INTO store.problems (problem_id, found_on, street, department, site_id, site, site_type, "
            "category, card, deadline, status, closed_on, description, deduction, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '问题', 0.5, '创城办督查')", rows)
        store.set_meta(con, "unit_attribution", "first")
    finally:
        con.close()
    return path


# (problems, fixed) this week, last week: 97 % → 94 % (down a place, within noise), 96 % → 40 % (down a place,
# far beyond), 93 % → 95 % (up two places, within noise)
NOISE_PLAN = {
    "甲街道": ((100, 94), (100, 97)),
    "乙街道": ((100, 40), (100, 96)),
    "丙街道": ((100, 95), (100, 93)),
}
FIX_ONLY = [{"name": "整改率", "measure": "fix_rate", "weight": 100, "better": "higher", "method": "rate"}]
