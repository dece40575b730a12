"""``python -m campaign <command>``: the office's batch work."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from campaign.config import db_path


def _progress(frac: float, msg: str) -> None:
    print(f"\r[{frac * 100:5.1f}%] {msg}      ", end="", file=sys.stderr, flush=True)
    if frac >= 1:
        print(file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> int:
    from campaign.demo import build_demo

    summary = build_demo(args.db, scale=args.scale, seed=args.seed, progress=None if args.quiet else _progress)
    size_mb = Path(summary.path).stat().st_size / 1e6
    result = dict(summary.__dict__, size_mb=round(size_mb, 1), seconds=round(summary.seconds, 2))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"演示数据已生成：{summary.path}\n  点位 {summary.sites:,} 个，巡查 {summary.inspections:,} 次，"
              f"问题 {summary.problems:,} 条，测评 {summary.rounds} 轮；用时 {summary.seconds:.1f} 秒，"
              f"文件 {size_mb:.1f} MB")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m campaign", description="创城指挥台 批处理命令")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="生成演示数据库（确定性，可按规模放大）")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--scale", type=float, default=1.0, help="规模倍数：1 ≈ 2 万条问题，500 ≈ 1000 万条")
    p.add_argument("--seed", type=int, default=2026, help="随机种子（相同种子，数据相同）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出摘要")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.set_defaults(func=cmd_demo)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "db", "unset") is None:
        args.db = db_path()
    return int(args.func(args) or 0)
