"""A district that starts from nothing: import its exports into a new store, and every page shows them."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from campaign.config import ROOT
from campaign.ingest import import_file
from campaign.ingest.bench import HEADER, STREETS, ledger_rows, write_xlsx
from campaign.model.framework import load_framework
from campaign.model.weeks import week_of
from campaign.store import init_store
from tests.ingest.conftest import write_csv
from tests.ingest.conftest import write_xlsx as write_table

ENTRY = str(ROOT / "dashboard.py")
ROUND = "2026年第一轮模拟测评"
PEERS = ["江北区", "城南区", "云溪区", "凤凰区"]


def page_files() -> list[str]:
    text = (ROOT / "dashboard.py").read_text(encoding="utf-8")
    return re.findall(r'st\.Page\("([^"]+)"', text)


def main_text(at: AppTest) -> str:
    """What the page itself shows (not the sidebar): headings, text, metrics, tables, chart data."""
    m = at.main
    parts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                                       "success", "text") for e in getattr(m, kind)]
    parts += [f"{x.label} {x.value}" for x in m.metric]
    parts += [x.value.to_string() for x in m.dataframe]
    parts += [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in m.get("plotly_chart")]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A ledger of 3,000 problems, one assessment round, its survey and the peers' totals, all imported."""
    tmp = tmp_path_factory.mktemp("district")
    db = tmp / "campaign.duckdb"
    init_store(db)
    rows = ledger_rows(3000, seed=11)
    fw = load_framework().standards
    first = {}
    for r in rows:
        first.setdefault(r[3], (r[3], r[4], r[5], r[6]))
    sites = sorted(first.values())
    obs = []
    for i, s in enumerate(fw.itertuples()):
        if s.method == "实地考察":
            for j in range(3):
                site, stype, street, dept = sites[(7 * i + j) % len(sites)]
                obs.append([ROUND, "2026-01-16", s.code, site, stype, street, dept, float((i + j) % 3 > 0), 1.0])
        elif s.method == "网上申报":
            obs.append([ROUND, "2026-01-16", s.code, None, None, None, None, round(s.points * 0.8, 2), s.points])
    survey = [[ROUND, st, 100 + k, f"{80 + k % 7}.5%", f"{90 - k % 5}%", f"{60 + k}%", f"{85 - k % 4}.0%"]
              for k, st in enumerate(STREETS)]
    files = [
        write_xlsx(tmp / "2025-2026年度督查问题台账.xlsx", rows),
        write_table(tmp / "第一轮模拟测评.xlsx", ["测评轮次", "测评日期", "测评标准编码", "点位名称", "点位类型", "所属街道",
                                             "责任单位", "得分", "满分"], obs),
        write_csv(tmp / "问卷.csv", ["测评轮次", "街道", "样本量", "知晓率", "支持率", "参与率", "满意度"], survey),
        write_table(tmp / "兄弟区县.xlsx", ["区县", "总分"], [[p, 70.0 + 3 * k] for k, p in enumerate(PEERS)],
                    title=f"全市{ROUND}各区县得分"),
    ]
    con = duckdb.connect(str(db))
    try:
        results = [import_file(con, f, imported_by="测试") for f in files]
    finally:
        con.close()
    assert [r.refused for r in results] == [None] * 4
    assert [r.quarantined for r in results] == [0, 0, 0, 0]
    return db, rows, HEADER


@pytest.fixture()
def app(imported, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_DB", str(imported[0]))
    return imported


def run_page(file: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.switch_page(file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_counts_the_imported_week(app):
    db, rows, _ = app
    at = run_page("pages/overview.py")
    latest = max(r[2] for r in rows)
    from campaign.config import load_office

    week = week_of(latest, load_office().campaign_start)
    found = sum(1 for r in rows if week.start <= r[2] <= week.end)
    metric = next(m for m in at.metric if m.label.startswith("本周发现问题"))
    assert metric.value == f"{found:,}"
    assert f"第{week.number}周" in at.title[0].value
    sites = len({r[3] for r in rows if week.start <= r[2] <= week.end})
    assert next(m for m in at.metric if m.label.startswith("本周巡查点位")).value == f"{sites:,}"
    assert week.end - week.start == timedelta(days=6)


# 会议模式 opens on its title slide (week and district) and 问题查询 shows nothing until asked: both are tested
# on their own (tests/outputs/test_slides.py, tests/pages/test_problem_page.py)
@pytest.mark.parametrize("file", [f for f in page_files()
                                  if not f.endswith(("overview.py", "login.py", "meeting.py", "problem.py"))])
def test_every_page_shows_the_imported_data(app, file):
    at = run_page(file)
    text = main_text(at)
    names = set(STREETS) | set(PEERS) | {ROUND, "2025-2026年度督查问题台账.xlsx"}
    shown = {n for n in names if n in text}
    assert shown, f"{file} shows none of the imported streets, peers, round or file"
    assert "尚无测评数据" not in text
