"""``python -m campaign notices --db DB --week W|latest --out DIR [--by department|street]``: one 交办单 (.docx) per
unit with open problems at the week's end, named for the unit, and one workbook (汇总, a sheet per unit, 催办清单)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--week", default="latest", help="周次：latest（最近一周，默认）、2026-W47、第52周 或 52")
    p.add_argument("--out", type=Path, default=Path("."), help="输出目录（默认当前目录）")
    p.add_argument("--by", choices=["department", "street"], default="department",
                   help="department 每个责任单位一份（默认）；street 每个街道（镇）一份")
    p.add_argument("--street", default=None, help="只交办该街道（镇）的问题")
    p.add_argument("--soon", type=int, default=3, help="催办清单：几个工作日内到期（默认 3）")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")


def open_store(db: Path, wait: float, read_only: bool = True):
    """The store for a command, waiting while the dashboard holds it; None (after a Chinese message) when it is
    missing or cannot be opened."""
    from campaign.store import StoreBusy, open_for_write

    if not Path(db).is_file():
        print(f"错误：找不到数据库文件 {db}（可用 --db 指定）。", file=sys.stderr)
        return None
    try:
        return open_for_write(db, wait, log=lambda m: print(m, file=sys.stderr, flush=True), read_only=read_only)
    except (StoreBusy, duckdb.Error) as exc:
        print(f"错误：无法打开数据库 {db}：{exc}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    from campaign.briefing import BriefingError
    from campaign.outputs import notices

    con = open_store(args.db, args.wait)
    if con is None:
        return 2
    try:
        ns = notices.build(con, args.week, by=args.by, street=args.street, soon_days=args.soon)
    except (BriefingError, notices.NoticeError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    if not ns.notices:
        print(f"{ns.week.name}末没有未整改的问题，未生成交办单。")
        return 0
    files = notices.write_all(ns, args.out)
    for n, f in zip(ns.notices, files):
        print(f"{f}\t未整改 {n.open} 条，逾期 {n.overdue} 条")
    print(files[-1])
    return 0


def add_slides_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--week", default="latest", help="周次：latest（最近一周，默认）、2026-W47、第52周 或 52")
    p.add_argument("--out", type=Path, default=Path("."), help="输出目录（默认当前目录）")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")


def run_slides(args: argparse.Namespace) -> int:
    """``python -m campaign slides --db DB --week W|latest --out DIR``: the meeting deck (.pptx)."""
    from campaign.analysis import IndexFileError
    from campaign.briefing import BriefingError, TemplateError
    from campaign.outputs import slides

    con = open_store(args.db, args.wait)
    if con is None:
        return 2
    try:
        m = slides.build(con, args.week)
    except (BriefingError, TemplateError, IndexFileError, ValueError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = slides.deck(m, out / f"{m.title}.pptx")
    print(f"{path}\t{len(m.points) + 1} 页：{'、'.join(p.heading for p in m.points)}")
    return 0
