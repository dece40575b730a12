"""负面清单 risk register: the events the office reports (date, unit) and, per item, whether a test is exposed
to its sanction now (an event within the item's window), who owns the risk, and what it would cost.

Plain functions; the events count in the round totals through queries/negatives_by_round.sql."""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from campaign import queries, store


class ReportError(ValueError):
    """An event that cannot be kept, in words for the user."""


def report(con: duckdb.DuckDBPyConnection, code: str, occurred_on: date, unit: str = "", note: str = "",
           by: str = "") -> int:
    """Keep one event of negative-list item ``code``; returns its number."""
    items = queries.run(con, "negative_items_list")
    if code not in set(items["code"]):
        raise ReportError(f"负面清单中没有编码为“{code}”的事项。")
    if occurred_on is None or pd.isna(occurred_on):
        raise ReportError("请填写事件发生日期。")
    if occurred_on > date.today():
        raise ReportError(f"发生日期 {occurred_on:%Y-%m-%d} 晚于今天。")
    unit, note = (unit or "").strip(), (note or "").strip()
    if len(note) > 500:
        raise ReportError("情况说明不超过 500 字。")
    with store.write_transaction(con) as cur:
        n = cur.execute("SELECT coalesce(max(report_id), 0) + 1 FROM store.negative_reports").fetchall()[0][0]
        cur.execute("INSERT INTO store.negative_reports (report_id, code, occurred_on, unit, note, entered_at, "
                    "entered_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [int(n), code, occurred_on, unit or None, note or None, datetime.now().replace(microsecond=0),
                     by or None])
    return int(n)


def sanction_text(row) -> str:
    """扣3分 / 暂停提名资格 …"""
    return f"扣{row.deduction:g}分" if row.sanction == "扣分" else str(row.sanction)


def register(con: duckdb.DuckDBPyConnection, asof: date) -> pd.DataFrame:
    """One row per item: code, name, sanction (in words), window_months, owner, events in the window before
    ``asof`` (count, latest date and units), status and until when a test stays exposed."""
    items = queries.run(con, "negative_items_list")
    ev = queries.run(con, "negative_event_list")
    ev = ev[ev["occurred_on"].notna()].assign(occurred_on=lambda d: pd.to_datetime(d["occurred_on"]))
    asof_ts = pd.Timestamp(asof)
    rows = []
    for it in items.itertuples():
        start = asof_ts - pd.DateOffset(months=int(it.window_months))
        mine = ev[ev["code"].eq(it.code) & (ev["occurred_on"] > start) & (ev["occurred_on"] <= asof_ts)]
        if mine.empty:
            status, until = "未发生", None
        else:
            last = mine["occurred_on"].max()
            until = (last + pd.DateOffset(months=int(it.window_months)) - pd.Timedelta(days=1)).date()
            cost = f"每次扣{it.deduction:g}分" if it.sanction == "扣分" else f"{it.sanction}（视同一票否决）"
            status = f"近{int(it.window_months)}个月发生{len(mine)}次：{until:%Y-%m-%d}前举行的测评{cost}"
        units = "、".join(dict.fromkeys(u for u in mine["unit"].dropna() if u)) if len(mine) else ""
        rows.append(dict(code=it.code, name=it.name, sanction=sanction_text(it), window_months=int(it.window_months),
                         owner=_text(it.department), applying=_text(it.when_applying), events=len(mine),
                         last=mine["occurred_on"].max().date() if len(mine) else None, units=units, status=status,
                         until=until, exposed=not mine.empty))
    out = pd.DataFrame(rows, columns=["code", "name", "sanction", "window_months", "owner", "applying", "events",
                                      "last", "units", "status", "until", "exposed"])
    return out.sort_values(["exposed", "code"], ascending=[False, True], ignore_index=True)


def _text(v) -> str:
    return v if isinstance(v, str) else ""
