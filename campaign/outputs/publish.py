"""发布排名: the office publishes a period's street or department ranking with its red and yellow flags.

What was published stays as it was, whatever later imports change; publishing the same period again adds a
new version, and the latest version is the one in force. Leaders see whether the ranking they are looking at
is the published one.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from campaign import analysis, queries, store
from campaign.analysis import ranking_rules

UNIT_KINDS = ("street", "department", "site_unit", "community")
PUBLISHED_COLUMNS = ["rank", "unit", "total", "change", "flag", "list_value", "talk", "steady"]


class PublishError(ValueError):
    """A publication that cannot be made, in words for the user."""


@dataclass(frozen=True)
class Publication:
    version: int
    published_at: datetime
    published_by: str
    round_name: str
    table: pd.DataFrame  # rank, unit, total, change, flag (red | yellow | none | ""), list_value, talk, steady
    red_name: str = "流动红旗"
    low_name: str = "流动黄旗"
    list_rule: str = ""


def _rules(ranking: analysis.Ranking, rules: analysis.IndexDef | None) -> analysis.IndexDef | None:
    if rules is not None:
        return rules
    try:
        return analysis.load_index().get(ranking.unit)
    except analysis.IndexFileError:
        return None


def snapshot(ranking: analysis.Ranking, rules: analysis.IndexDef | None = None) -> pd.DataFrame:
    """The rows a publication keeps: rank, unit, total (one decimal, as shown), change, flag by the office's list
    rule, the value the lists were decided on, the talk (约谈) reason and whether the change lay within noise."""
    rules = _rules(ranking, rules)
    out = analysis.outcome(ranking, rules)
    t = ranking.table.sort_values(["rank", "unit"], ignore_index=True)
    talk = dict(zip(out.talks["unit"], out.talks["reason"]))
    steady = t["steady"] if "steady" in t else pd.Series(pd.NA, index=t.index)
    return pd.DataFrame({"rank": t["rank"].astype(int), "unit": t["unit"].astype(str),
                         "total": t["total"].astype(float).round(1),
                         "change": pd.array(t["change"], dtype="Int64"),
                         "flag": ranking_rules.flags(t, out.lists),
                         "list_value": out.lists.rule.value_of(t).to_numpy(),
                         "talk": pd.array([talk.get(u) for u in t["unit"]], dtype="string"),
                         "steady": pd.array(steady, dtype="boolean")})


def publish_ranking(con: duckdb.DuckDBPyConnection, ranking: analysis.Ranking, start: date, end: date,
                    round_name: str = "", by: str = "", rules: analysis.IndexDef | None = None) -> int:
    """Publish the ranking for ``start``..``end`` with its lists by the office's rule (``rules``: the ranking's
    IndexDef, default the one in the ranking file); returns the new version number (1 for the first)."""
    if ranking.unit not in UNIT_KINDS:
        raise PublishError(f"未知的排名对象：{ranking.unit}")
    rules = _rules(ranking, rules)
    lr = rules.lists if rules is not None else ranking_rules.ListRule()
    rows = snapshot(ranking, rules).assign(red_name=lr.red_name, low_name=lr.low_name, list_rule=lr.describe())
    if rows.empty:
        raise PublishError("没有可发布的排名：本期没有参与排名的单位。")
    with store.write_transaction(con) as cur:
        version = cur.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM store.published_rankings "
            "WHERE unit_kind = ? AND period_start = ? AND period_end = ?", [ranking.unit, start, end]).fetchall()[0][0]
        rows = rows.assign(unit_kind=ranking.unit, period_start=start, period_end=end, version=int(version),
                           published_at=datetime.now().replace(microsecond=0), published_by=by,
                           round_name=round_name)
        cur.register("publish_rows", rows)
        cur.execute("INSERT INTO store.published_rankings BY NAME SELECT * FROM publish_rows")
        cur.unregister("publish_rows")
    return int(version)


def latest(con: duckdb.DuckDBPyConnection, unit: str, start: date, end: date) -> Publication | None:
    """The publication in force for the period, or None if it was never published."""
    df = queries.run(con, "published_ranking", unit=unit, start=start, end=end)
    if df.empty:
        return None
    head = df.iloc[0]
    table = df[PUBLISHED_COLUMNS].reset_index(drop=True)
    table["steady"] = table["steady"].astype("boolean")
    table["talk"] = table["talk"].astype("string")
    return Publication(int(head["version"]), pd.Timestamp(head["published_at"]).to_pydatetime(),
                       str(head["published_by"] or ""), str(head["round_name"] or ""), table,
                       str(head["red_name"] or "流动红旗") if pd.notna(head["red_name"]) else "流动红旗",
                       str(head["low_name"] or "流动黄旗") if pd.notna(head["low_name"]) else "流动黄旗",
                       str(head["list_rule"]) if pd.notna(head["list_rule"]) else "")


def changes_since(pub: Publication, ranking: analysis.Ranking, rules: analysis.IndexDef | None = None) -> list[str]:
    """How the ranking computed now differs from the published one, in words (empty if it does not)."""
    now = snapshot(ranking, rules).set_index("unit")
    was = pub.table.set_index("unit")
    out = [f"{u}：发布时第{int(was.at[u, 'rank'])}名，现为第{int(now.at[u, 'rank'])}名"
           for u in was.index.intersection(now.index, sort=False) if int(was.at[u, "rank"]) != int(now.at[u, "rank"])]
    out += [f"{u}：发布后新加入排名" for u in now.index.difference(was.index, sort=False)]
    out += [f"{u}：已不在排名中" for u in was.index.difference(now.index, sort=False)]
    if not out:
        out += [f"{u}：综合指数由 {was.at[u, 'total']:.1f} 变为 {now.at[u, 'total']:.1f}"
                for u in was.index if abs(float(was.at[u, "total"]) - float(now.at[u, "total"])) >= 0.05]
    return out


def published_view(ranking: analysis.Ranking, pub: Publication) -> analysis.Ranking:
    """The ranking as published: the published order, totals, rank changes and flags (column ``flag``, which
    ``analysis.red_yellow`` follows), with today's part points and measures beside them for the units that are
    still ranked. ``published`` on the result names the publication; ``live`` is the ranking computed now."""
    live = ranking.table.drop(columns=["rank", "total", "change", "prev_rank", "flag", "list_value", "talk",
                                       "steady"], errors="ignore")
    table = pub.table.merge(live, on="unit", how="left").sort_values(["rank", "unit"], ignore_index=True)
    history = ranking.history[ranking.history["k"].ne(0)]
    if len(ranking.history):
        now = ranking.history[ranking.history["k"].eq(0)].iloc[:1]
        live_k0 = ranking.history.loc[ranking.history["k"].eq(0), ["unit", "problems", "fix_rate", "on_time_rate"]]
        head = pub.table[["unit", "total", "rank"]].merge(live_k0, on="unit", how="left").assign(
            k=0, period_start=now["period_start"].iat[0] if len(now) else pd.NaT,
            period_end=now["period_end"].iat[0] if len(now) else pd.NaT)
        history = pd.concat([head[history.columns], history], ignore_index=True)
    return dataclasses.replace(ranking, table=table, history=history, published=pub, live=ranking)


def published_label(pub: Publication) -> str:
    """已发布 第2版（2026-11-30 17:05 王主任）."""
    return f"已发布 第{pub.version}版（{pub.published_at:%Y-%m-%d %H:%M}{' ' + pub.published_by if pub.published_by else ''}）"


def in_force(con: duckdb.DuckDBPyConnection, ranking: analysis.Ranking, start: date, end: date) -> analysis.Ranking:
    """The ranking to show for a whole-district period: the published one when the period was published."""
    pub = latest(con, ranking.unit, start, end)
    return ranking if pub is None else published_view(ranking, pub)


def log(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every publication, newest first (queries/publication_log.sql)."""
    return queries.run(con, "publication_log")


def not_publishable(filters) -> str | None:
    """Why the view in ``filters`` (campaign.app.ui.Filters) cannot be published, or None: what is published is the
    whole district's ranking of one campaign week."""
    if filters.by_range:
        return "按日期区间查看时不能发布：发布的是一个周次的排名，请关闭“按日期区间”。"
    narrowed = [name for name, value in (("街道（镇）", filters.street), ("责任单位", filters.department),
                                          ("点位类型", filters.site_type), ("问题类别", filters.category)) if value]
    if narrowed:
        return f"发布的是全区排名：请先清除侧边栏的{'、'.join(narrowed)}筛选。"
    return None
