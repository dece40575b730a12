"""``python -m campaign briefing --db PATH --week latest|YYYY-Www|第N周 --out DIR [--template FILE]``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--week", default="latest", help="周次：latest（最近一周，默认）、2026-W47、第52周 或 52")
    p.add_argument("--out", type=Path, default=Path("."), help="输出目录（默认当前目录）")
    p.add_argument("--template", type=Path, default=None, help="文字模板（默认 data/briefing_template.yaml）")


def run(args: argparse.Namespace) -> int:
    from campaign.analysis import IndexFileError
    from campaign.briefing import BriefingError, TemplateError, build, write

    db = Path(args.db)
    if not db.is_file():
        print(f"错误：找不到数据库文件 {db}（可用 --db 指定，或先运行 python -m campaign demo 生成演示数据）",
              file=sys.stderr)
        return 2
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as exc:
        print(f"错误：无法打开数据库 {db}：{exc}", file=sys.stderr)
        return 2
    try:
        b = build(con, args.week, args.template)
        docx, xlsx = write(b, args.out)
    except (BriefingError, TemplateError, IndexFileError, ValueError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(docx)
    print(xlsx)
    return 0
