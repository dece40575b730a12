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

    guard = _hold(args.db, args.wait, "可先停止看板再生成") if Path(args.db).exists() else None
    try:  # holding the old store's lock: a running dashboard is never left reading a replaced file
        summary = build_demo(args.db, scale=args.scale, seed=args.seed, progress=None if args.quiet else _progress)
    finally:
        if guard is not None:
            guard.close()
    size_mb = Path(summary.path).stat().st_size / 1e6
    result = dict(summary.__dict__, size_mb=round(size_mb, 1), seconds=round(summary.seconds, 2))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"演示数据已生成：{summary.path}\n  点位 {summary.sites:,} 个，巡查 {summary.inspections:,} 次，"
              f"问题 {summary.problems:,} 条，测评 {summary.rounds} 轮；用时 {summary.seconds:.1f} 秒，"
              f"文件 {size_mb:.1f} MB")
    return 0


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _hold(db: Path, wait: float, hint: str, read_only: bool = False):
    """The store opened for this process, waiting while the dashboard holds it; exits with a message if it stays
    busy."""
    from campaign.store import StoreBusy, open_for_write

    try:
        return open_for_write(db, wait, log=_say, hint=hint, read_only=read_only)
    except StoreBusy as exc:
        raise SystemExit(f"错误：{exc}") from None


def cmd_backup(args: argparse.Namespace) -> int:
    from campaign import ops

    if not Path(args.db).is_file():
        _say(f"错误：找不到数据库「{args.db}」。")
        return 2
    out = Path(args.out) if args.out else Path(args.db).resolve().parent / "backups"
    if out.is_dir() or not out.suffix:
        out = out / ops.default_backup_name(args.db)
    from campaign.store import StoreBusy

    try:
        ops.backup_file(args.db, out, args.wait, _say)
    except StoreBusy as exc:
        raise SystemExit(f"错误：{exc}") from None
    summary = ops.inspect_store(out)
    print(f"已备份到 {out}（{out.stat().st_size / 1e6:.1f} MB）：{summary.text()}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from campaign import ops

    try:
        res = ops.restore(args.file, args.db, wait=args.wait, log_fn=_say)
    except ops.OpsError as exc:
        _say(f"错误：{exc} 数据库未作任何改动。")
        return 1
    print(res.text())
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from campaign import ops

    if not Path(args.db).is_file():
        _say(f"错误：找不到数据库「{args.db}」。")
        return 2
    con = _hold(args.db, args.wait, "可在看板「系统管理」页的自助查询中运行", read_only=True)
    try:
        df = ops.run_sql(con, args.query, max_rows=args.limit,
                         timeout=ops.SQL_TIMEOUT if args.timeout is None else args.timeout)
    except ops.OpsError as exc:
        _say(f"错误：{exc}")
        return 2
    finally:
        con.close()
    if df.attrs.get("truncated"):
        _say(df.attrs["truncated"])
    if args.csv:
        df.to_csv(sys.stdout, index=False)
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            print(df.to_string(index=False) if len(df) else "（没有结果）")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from campaign.bench import main as bench_main

    return bench_main(args.rows, args.runs, args.json, args.smoke)


def cmd_user(args: argparse.Namespace) -> int:
    import getpass

    from campaign import auth

    try:
        if args.action == "add":
            if args.password_stdin or not sys.stdin.isatty():
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = getpass.getpass("密码（至少 8 位）：")
                if getpass.getpass("再输一次：") != password:
                    print("两次输入的密码不一致。", file=sys.stderr)
                    return 2
            user = auth.add_user(args.name, password, args.role, args.display or "")
            print(f"已保存账号 {user.name}（{auth.ROLES[user.role]}）到 {auth.accounts_path()}")
        elif args.action == "remove":
            auth.remove_user(args.name)
            print(f"已删除账号 {args.name}")
        else:
            for name, entry in sorted(auth.load_accounts().items()):
                print(f"{name}\t{auth.ROLES.get(entry.get('role'), entry.get('role'))}\t{entry.get('display', '')}")
    except auth.AuthError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from campaign.ingest.cli import run

    return run(args)


def cmd_profiles(args: argparse.Namespace) -> int:
    from campaign.ingest.profiles_cli import run

    return run(args)


def cmd_whatif(args: argparse.Namespace) -> int:
    from campaign.whatif import run_cli

    return run_cli(args.db, args.round, args.set, args.fix, args.target_score, args.target_rank, args.max_actions,
                   args.effort, args.json)


def cmd_forecast(args: argparse.Namespace) -> int:
    from campaign.forecast.cli import run_cli

    return run_cli(args.db, args.target_score, args.target_rank, args.runs, args.seed, args.set, args.json,
                   backtest_runs=args.backtest_runs, plan=args.plan)


def cmd_briefing(args: argparse.Namespace) -> int:
    from campaign.briefing.cli import run

    return run(args)


def cmd_framework(args: argparse.Namespace) -> int:
    """Check a framework file and, unless --check, put it in the store in place of the one there (one transaction:
    the old one stays if anything fails); say which stored results name standards the new one does not have."""
    from campaign.config import FRAMEWORK_FILE
    from campaign.model.framework import FrameworkError, load_framework
    from campaign.store import load_framework_into, write_transaction

    path = Path(args.file) if args.file else FRAMEWORK_FILE
    try:
        fw = load_framework(path)
    except FrameworkError as exc:
        _say(str(exc))
        return 2
    std = fw.standards
    n_city, n_minors = int(std["framework"].eq("city").sum()), int(std["framework"].eq("minors").sum())
    head = (f"测评体系「{fw.name}」{fw.version}：城市测评标准 {n_city} 条"
            + (f"，未成年人测评标准 {n_minors} 条" if n_minors else "") + f"，负面清单 {len(fw.negative)} 项")
    if args.check:
        print(f"{head}，校验通过（未写入数据库）。")
        return 0
    if not Path(args.db).is_file():
        _say(f"错误：找不到数据库「{args.db}」。")
        return 2
    con = _hold(args.db, args.wait, "可先停止看板再载入")
    try:
        with write_transaction(con) as cur:
            load_framework_into(cur, fw)
            orphans = cur.execute(
                "SELECT (SELECT count(*) FROM store.assessment_scores s WHERE NOT EXISTS "
                "(SELECT 1 FROM store.standards d WHERE d.code = s.standard_code)), "
                "(SELECT count(*) FROM store.problems p WHERE p.standard_code IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM store.standards d WHERE d.code = p.standard_code))").fetchone()
    finally:
        con.close()
    print(f"{head}，已载入数据库 {args.db}。")
    if orphans[0] or orphans[1]:
        print(f"注意：已有 {orphans[0]:,} 条测评结果、{orphans[1]:,} 条督查问题的测评标准编码不在新测评体系中"
              "（计分时按未测评处理；可按新编码重新导入）。")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from campaign.outputs.publish_cli import run

    return run(args)


def cmd_notices(args: argparse.Namespace) -> int:
    from campaign.outputs.cli import run

    return run(args)


def cmd_slides(args: argparse.Namespace) -> int:
    from campaign.outputs.cli import run_slides

    return run_slides(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m campaign", description="创城指挥台 批处理命令")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="生成演示数据库（确定性，可按规模放大）")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--scale", type=float, default=1.0, help="规模倍数：1 ≈ 2 万条问题，500 ≈ 1000 万条")
    p.add_argument("--seed", type=int, default=2026, help="随机种子（相同种子，数据相同）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出摘要")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("framework", help="载入测评体系：校验 data/framework.yaml（或 --file 指定的文件），通过后替换数据库中的测评体系")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--file", default=None, help="测评体系文件（默认 data/framework.yaml）")
    p.add_argument("--check", action="store_true", help="只校验文件，不写入数据库")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")
    p.set_defaults(func=cmd_framework)

    p = sub.add_parser("backup", help="备份数据库（一致快照，写完才改名到位）")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--out", default=None, help="备份文件或目录（默认数据库旁的 backups/ 目录，文件名带时间）")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份恢复数据库（先检查备份，原子替换，原库保留为 .before-restore）")
    p.add_argument("file", type=Path, help="备份文件（.duckdb）")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("sql", help="只读查询数据视图（不能修改数据、不能读写文件）")
    p.add_argument("query", help="一条 SELECT 语句，如 \"SELECT street, count(*) FROM problems GROUP BY 1\"")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--csv", action="store_true", help="以 CSV 输出（可重定向到文件）")
    p.add_argument("--limit", type=int, default=100_000, help="最多输出的行数（默认 10 万）")
    p.add_argument("--timeout", type=float, default=None, help="查询超时秒数（默认 30）")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("bench", help="性能基准：查询、页面、导入、推演、并发、内存")
    p.add_argument("--rows", type=int, default=1_000_000, help="问题条数（生成或复用 .bench/ 下的演示库）")
    p.add_argument("--runs", type=int, default=5, help="每项重复次数（取中位数和 p95；正式测量至少 5 次）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--smoke", action="store_true", help="只检查能否跑通，不以目标判定退出码")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("user", help="账号管理：add / remove / list")
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?", default="")
    p.add_argument("--role", choices=["viewer", "editor", "admin"], default="viewer",
                   help="viewer 领导（只读）；editor 创城办（导入、发布）；admin 管理员")
    p.add_argument("--display", default="", help="显示名，如“王主任”")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读密码（脚本用）")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("import", help="导入督查台账、测评结果、问卷调查、兄弟区县得分、负面清单事件（.xlsx/.xls/.csv）；撤销导入")
    from campaign.ingest.cli import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("profiles", help="导入配置：list 列出 / export 导出 / import 导入 / delete 删除 / rename 改名")
    from campaign.ingest.profiles_cli import add_arguments as profiles_arguments

    profiles_arguments(p)
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("whatif", help="推演：调整达标率看总分和排名；或求达到目标总分/名次的最省整改方案")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--round", type=int, default=None, help="基准测评轮次编号（默认最近一轮）")
    p.add_argument("--set", action="append", default=[], metavar="KEY=RATE",
                   help="目标达标率，可多次给出：标准编码、item:、section:、site_type:、category:、street:、"
                        "department:、indicator:，如 site_type:农贸市场=0.9；多个条件用逗号连接")
    p.add_argument("--fix", action="append", default=[], metavar="KEY",
                   help="把匹配的未整改问题视为已整改，如 street:北关街道；all 为全部")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--target-score", type=float, default=None, help="求达到该总分的最省方案")
    target.add_argument("--target-rank", type=int, default=None, help="求达到该同组名次的最省方案")
    p.add_argument("--max-actions", type=int, default=None, help="方案最多包含的整改项数")
    p.add_argument("--effort", default=None, help="工作量估计文件（默认 data/whatif_effort.yaml）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("forecast", help="迎检预测：下次测评达到目标分、目标名次的把握，最可能被抽到且失分的点位，回测")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--target-score", type=float, default=None, help="目标总分（默认 data/office.yaml 的目标）")
    p.add_argument("--target-rank", type=int, default=None, help="目标同组名次（默认 data/office.yaml 的目标）")
    p.add_argument("--runs", type=int, default=None, help="模拟次数（默认 data/readiness.yaml 的 runs，一般 10000）")
    p.add_argument("--seed", type=int, default=None, help="随机种子（相同种子、相同数据，结果相同）")
    p.add_argument("--set", action="append", default=[], metavar="KEY=RATE",
                   help="推演设定（同 whatif --set），如 site_type:农贸市场=0.9：看整改后的把握")
    p.add_argument("--backtest-runs", type=int, default=2_000, help="回测每轮的模拟次数（默认 2000）")
    p.add_argument("--plan", type=float, default=None, metavar="P",
                   help="求“达到目标的把握 ≥ P”的最省整改方案，如 0.8（给了 --target-rank 时按名次，否则按总分）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("briefing", help="周调度会通报：生成某一周的 Word 通报和 Excel 附表")
    from campaign.briefing.cli import add_arguments as briefing_arguments

    briefing_arguments(p)
    p.set_defaults(func=cmd_briefing)

    p = sub.add_parser("publish", help="发布某一周的街道、责任单位、包保单位或社区排名（同“排名”页的发布本周排名）")
    from campaign.outputs.publish_cli import add_arguments as publish_arguments

    publish_arguments(p)
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("notices", help="交办单：为每个责任单位（或街道）生成本周未整改问题的 Word 交办单和 Excel 汇总")
    from campaign.outputs.cli import add_arguments as notices_arguments

    notices_arguments(p)
    p.set_defaults(func=cmd_notices)

    p = sub.add_parser("slides", help="周调度会幻灯片：本周进退、末位、短板、逾期、红黄榜（.pptx）")
    from campaign.outputs.cli import add_slides_arguments

    add_slides_arguments(p)
    p.set_defaults(func=cmd_slides)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "db", "unset") is None:
        args.db = db_path()
    return int(args.func(args) or 0)
