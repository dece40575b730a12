"""``python -m campaign import``: import files, list imports, undo one."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from campaign.ingest.mapping import KINDS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", type=Path, help="要导入的文件（.xlsx / .xls / .csv），可以多个")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（不存在时新建空库并载入测评体系）")
    p.add_argument("--kind", choices=list(KINDS), default=None,
                   help="数据类型：ledger 督查问题台账 / assessment 模拟测评结果 / survey 问卷调查结果 / "
                        "peers 兄弟区县得分 / negatives 负面清单事件（不填则自动识别）")
    p.add_argument("--round", dest="round_name", default=None, help="测评轮次名称（文件中没有轮次列时使用）")
    p.add_argument("--by", default=None, help="导入人（记入导入日志，默认为当前系统用户）")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入数据库")
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="按这个导入配置导入（内置格式或在看板上保存的；不填则按表头自动选用）")
    p.add_argument("--accept-suggestions", action="store_true",
                   help="名称或测评标准与已知的相近时，直接采用建议（否则这些行暂缓导入）")
    p.add_argument("--allow-older", action="store_true",
                   help="允许较旧的导出文件把问题的整改状态改回去（默认不回退）")
    p.add_argument("--quarantine", type=Path, default=None, help="把被隔离的行写入这个 Excel 文件")
    p.add_argument("--undo", type=int, default=None, metavar="IMPORT_ID", help="撤销第 N 次导入")
    p.add_argument("--list", action="store_true", help="列出导入日志")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="数据库被看板占用时最多等待的秒数（默认 60），超时则不作任何改动并退出")


def _user(args: argparse.Namespace) -> str:
    if args.by:
        return args.by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _connect(path: Path, wait: float = 60.0):
    from campaign.store import StoreBusy, init_store, open_for_write

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        init_store(path)
    try:
        return open_for_write(path, wait, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    except StoreBusy as e:
        raise SystemExit(f"错误：{e}") from None


def run(args: argparse.Namespace) -> int:
    if args.undo is None and not args.list and not args.files:
        print("请给出要导入的文件，或使用 --undo 导入编号 / --list。", file=sys.stderr)
        return 2
    con = _connect(args.db, getattr(args, "wait", 60.0))
    try:
        if args.undo is not None:
            return _undo(con, args)
        if args.list:
            return _list(con, args)
        return _import(con, args)
    finally:
        con.close()


def _undo(con, args: argparse.Namespace) -> int:
    from campaign.ingest.log import UndoRefused, undo_import

    try:
        res = undo_import(con, args.undo, _user(args))
    except UndoRefused as e:
        print(json.dumps({"undone": False, "reason": str(e)}, ensure_ascii=False) if args.json else f"未撤销：{e}")
        return 1
    print(json.dumps(dict(res.__dict__, undone=True), ensure_ascii=False) if args.json else res.text())
    return 0


def _list(con, args: argparse.Namespace) -> int:
    from campaign.ingest.engine import json_default
    from campaign.ingest.log import imports

    log = imports(con)
    if args.json:
        print(json.dumps(log.to_dict("records"), ensure_ascii=False, default=json_default))
        return 0
    if log.empty:
        print("还没有导入记录。")
        return 0
    for r in log.itertuples():
        state = f"已于 {r.undone_at:%Y-%m-%d %H:%M} 撤销" if r.undone_at is not None and str(r.undone_at) != "NaT" \
            else "有效"
        print(f"第 {r.import_id} 次  {r.imported_at:%Y-%m-%d %H:%M}  {r.imported_by or ''}  {r.file_name}  "
              f"{KINDS[r.kind].label if r.kind in KINDS else r.kind}  新增 {r.accepted}  更新 {r.updated}  "
              f"隔离 {r.quarantined}  {state}")
    return 0


def _import(con, args: argparse.Namespace) -> int:
    from campaign.ingest.engine import ImportResult, import_file, json_default, summary_text
    from campaign.ingest.report import COUNT_LABELS, quarantine_excel, totals

    results: list[ImportResult] = []
    for f in args.files:
        if not f.is_file():
            res = ImportResult(file_name=str(f), file_hash="", refused=f"找不到文件「{f}」。")
        else:
            res = import_file(con, f, kind=args.kind, imported_by=_user(args), round_name=args.round_name,
                              dry_run=args.dry_run, profile=args.profile,
                              accept_suggestions=args.accept_suggestions, allow_older=args.allow_older)
        results.append(res)
        if not args.json:
            print(summary_text(res))
            if len(res.quarantine):
                shown = res.quarantine.head(20)
                for q in shown.itertuples(index=False):
                    print(f"    隔离：工作表「{q.工作表}」第 {q.行号} 行「{q.列}」"
                          f"{'=' + str(q.原值) if q.原值 is not None else ''}：{q.原因}")
                if len(res.quarantine) > len(shown):
                    print(f"    ……共 {len(res.quarantine)} 处问题" + ("，完整清单见 --quarantine 文件" if args.quarantine
                                                              else "，可加 --quarantine 文件.xlsx 导出完整清单"))
    if args.quarantine is not None and any(len(r.quarantine) for r in results):
        args.quarantine.write_bytes(quarantine_excel(results))
        if not args.json:
            print(f"隔离清单已写入：{args.quarantine}")
    tot = totals(results)
    if args.json:
        print(json.dumps(dict(tot, dry_run=args.dry_run, files=[r.to_dict() for r in results]),
                         ensure_ascii=False, default=json_default))
    elif len(results) > 1:
        print("合计：" + "，".join(f"{COUNT_LABELS[k]} {tot[k]:,}" for k in COUNT_LABELS) +
              (f"；{tot['refused']} 个文件未导入" if tot["refused"] else ""))
    return 1 if tot["refused"] else 0
