"""``python -m campaign publish --db DB --week W|latest --entity street|department|site_unit|community [--by NAME]
[--round NAME]``:
publish a week's ranking from the command line, as 发布本周排名 on the 排名 page does.

Where the office keeps accounts (data/accounts.yaml), ``--by`` names the account that publishes and it must be
an editor or an admin, as in the app; without accounts (one office computer) the system user publishes."""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

ENTITIES = {"street": "街道（镇）", "department": "责任单位", "site_unit": "包保单位", "community": "社区"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="数据库文件（默认 CAMPAIGN_DB 或 data/campaign.duckdb）")
    p.add_argument("--week", default="latest", help="周次：latest（最近一周，默认）、2026-W47、第52周 或 52")
    p.add_argument("--entity", choices=list(ENTITIES), default="street",
                   help="street 街道（镇）排名；department 责任单位排名；site_unit 包保单位排名；community 社区排名"
                        "（后两类须在 ranking_index.yaml 中有）")
    p.add_argument("--by", default=None, help="发布人账号（有账号文件时必填，须为创城办或管理员账号）")
    p.add_argument("--round", default=None, help="测评部分所按的测评轮次名称（默认该周末前最近一轮）")
    p.add_argument("--wait", type=float, default=60.0, help="数据库被看板占用时最多等待的秒数（默认 60）")


class Refused(Exception):
    pass


def publisher(by: str | None) -> str:
    """The name the publication is signed with; Refused (Chinese) when the accounts do not allow it."""
    from campaign import auth

    accounts = auth.load_accounts()
    if not accounts:
        try:
            return by or getpass.getuser()
        except (KeyError, OSError):
            return by or ""
    if not by:
        raise Refused("本机设有账号，请用 --by 指定发布人账号（创城办或管理员）。")
    entry = accounts.get(by)
    if entry is None:
        raise Refused(f"没有账号「{by}」：请用“python -m campaign user list”查看账号。")
    if auth.RANK.get(entry.get("role"), -1) < auth.RANK["editor"]:
        raise Refused(f"账号「{by}」是{auth.ROLES.get(entry.get('role'), entry.get('role'))}，不能发布排名（须为创城办或管理员）。")
    return entry.get("display") or by


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from campaign import analysis
    from campaign.analysis import metrics
    from campaign.briefing import BriefingError
    from campaign.briefing.model import resolve_week
    from campaign.config import load_office
    from campaign.outputs import publish
    from campaign.outputs.cli import open_store

    try:
        who = publisher(args.by)
    except Refused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    con = open_store(args.db, args.wait, read_only=False)
    if con is None:
        return 2
    try:
        wk = resolve_week(con, args.week)
        rounds = metrics.round_scores(con)
        held = rounds[pd.to_datetime(rounds["held_on"]) <= pd.Timestamp(wk.end)] if len(rounds) else rounds
        if args.round:
            pick = rounds[rounds["round_name"].eq(args.round)]
            if pick.empty:
                raise publish.PublishError(f"没有测评轮次「{args.round}」，已有：{'、'.join(rounds['round_name'])}。")
        else:
            pick = held.tail(1)
        rid = int(pick["round_id"].iat[0]) if len(pick) else None
        rname = str(pick["round_name"].iat[0]) if len(pick) else ""
        rules = analysis.load_index()
        if args.entity not in rules:
            raise publish.PublishError(f"排名文件 ranking_index.yaml 中没有{ENTITIES[args.entity]}（{args.entity}）排名。")
        index = rules[args.entity]
        r = analysis.ranking(con, args.entity, index.spec(), wk.start, wk.end, round_id=rid,
                             rebound_days=load_office().rebound_days, fair=index.fair.spec())
        version = publish.publish_ranking(con, r, wk.start, wk.end, round_name=rname, by=who, rules=index)
        out = analysis.outcome(r, index)
        red, yellow = out.lists.red, out.lists.low
    except (BriefingError, publish.PublishError, analysis.IndexFileError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(f"已发布第{wk.number}周（{wk.start:%Y-%m-%d} 至 {wk.end:%Y-%m-%d}）{ENTITIES[args.entity]}排名 第{version}版，"
          f"{len(r.table)} 个单位，测评部分按{rname or '（无测评）'}；发布人 {who or '（未署名）'}。")
    lr = index.lists
    print(f"{lr.red_name}：{'、'.join(red['unit']) or '无'}；{lr.low_name}：{'、'.join(yellow['unit']) or '无'}"
          f"（{lr.describe()}）。")
    if len(out.talks):
        print("约谈：" + "、".join(f"{t.unit}（{t.reason}）" for t in out.talks.itertuples()) + "。")
    return 0
