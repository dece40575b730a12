"""``python -m campaign profiles``: list, export, import, delete and rename the office's import profiles
(导入配置), as the 系统管理 page does."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ACTIONS = ("list", "export", "import", "delete", "rename")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=ACTIONS,
                   help="list 列出 / export 文件 导出 / import 文件 导入 / delete 名称 删除 / rename 原名称 新名称 改名")
    p.add_argument("args", nargs="*", metavar="参数", help="export、import：文件；delete：名称；rename：原名称 新名称")
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--by", default=None, help="导入人（import 时记入配置，默认为当前系统用户）")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="数据库被看板占用时最多等待的秒数（默认 60）")


_NEEDS = {"list": 0, "export": 1, "import": 1, "delete": 1, "rename": 2}
_USAGE = {"export": "export 文件.json", "import": "import 文件.json", "delete": "delete 名称",
          "rename": "rename 原名称 新名称", "list": "list"}


def run(args: argparse.Namespace) -> int:
    from campaign.ingest import profiles
    from campaign.ingest.cli import _connect, _user

    if len(args.args) != _NEEDS[args.action]:
        print(f"用法：python -m campaign profiles {_USAGE[args.action]} [--db 数据库]", file=sys.stderr)
        return 2
    db = Path(args.db)
    if args.action in ("list", "export", "delete", "rename") and not db.is_file():
        print(f"错误：找不到数据库「{db}」。", file=sys.stderr)
        return 2
    con = _connect(db, args.wait)
    try:
        if args.action == "list":
            table = profiles.profiles_table(con)
            for r in table.to_dict("records"):
                at = f"  {r['更新时间']:%Y-%m-%d %H:%M}" if r["更新时间"] is not None and str(r["更新时间"]) != "NaT" else ""
                by = f"  {r['保存人']}" if r["保存人"] else ""
                print(f"{r['名称']}\t{r['类型']}\t{r['来源']}\t{r['识别依据']}{by}{at}")
            return 0
        if args.action == "export":
            out = Path(args.args[0])
            data = profiles.export_profiles(con)
            out.write_bytes(data)
            n = len(json.loads(data)["导入配置"])
            print(f"已导出 {n} 个导入配置到 {out}")
            return 0
        if args.action == "import":
            src = Path(args.args[0])
            if not src.is_file():
                print(f"错误：找不到文件「{src}」。", file=sys.stderr)
                return 2
            n = profiles.import_profiles(con, src.read_bytes(), _user(args), src.name)
            print(f"已从 {src} 导入 {n} 个导入配置")
            return 0
        if args.action == "delete":
            if not profiles.delete_profile(con, args.args[0]):
                print(f"错误：没有名为「{args.args[0]}」的导入配置（内置格式不能删除）。", file=sys.stderr)
                return 1
            print(f"已删除导入配置「{args.args[0]}」")
            return 0
        old, new = args.args
        profiles.rename_profile(con, old, new)
        print(f"已把导入配置「{old}」改名为「{new.strip()}」")
        return 0
    except profiles.ProfileError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    finally:
        con.close()
