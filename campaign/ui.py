"""Streamlit glue shared by the pages: one connection per process, cached queries, global filters, chart style.

The only module of the package that imports Streamlit.
"""
from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaign import metrics, queries
from campaign.config import db_path, load_office
from campaign.store import data_version
from campaign.weeks import Week, week_number, week_of

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
BLUE, RED, GREY, GREEN, AMBER = "#1f4e9c", "#c8102e", "#9aa3ad", "#2e7d32", "#e0a100"
ALL = "全部"


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(path)


def connection() -> duckdb.DuckDBPyConnection:
    """The process's one connection; callers take a cursor per query (queries.run does)."""
    return _connection(str(db_path()))


def version() -> int:
    return data_version(connection())


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(db: str, ver: int, kind: str, name: str, params: tuple) -> object:
    con = _connection(db)
    if kind == "query":
        return queries.run(con, name, **dict(params))
    module, _, func = name.rpartition(".")
    mod = importlib.import_module(f"campaign.{module}") if module else metrics
    return getattr(mod, func)(con, **dict(params))


_locks: dict[tuple, threading.Lock] = {}
_locks_guard = threading.Lock()


def _once(kind: str, name: str, params: dict):
    """Cached call; sessions asking the same thing at once wait for one computation instead of repeating it."""
    key = (str(db_path()), version(), kind, name, tuple(sorted(params.items())))
    with _locks_guard:
        lock = _locks.setdefault(key[2:], threading.Lock())
    with lock:
        return _cached(*key)


def query(name: str, **params) -> pd.DataFrame:
    """A named query's result, cached until the data changes."""
    return _once("query", name, params)


def metric(name: str, **params):
    """A domain function's result, cached until the data changes.

    ``name`` is a function of campaign.metrics (``"round_scores"``) or ``"module.function"`` of another
    campaign module (``"analysis.street_ranking"``); it takes the connection first, then keyword parameters.
    """
    return _once("metric", name, params)


# ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    week: Week
    round_id: int | None
    round_name: str
    street: str | None
    department: str | None
    site_type: str | None
    category: str | None

    def params(self) -> dict:
        """The filter values as bound parameters of a named query."""
        return dict(start=self.week.start, end=self.week.end, prev_start=self.week.previous.start,
                    prev_end=self.week.previous.end, round_id=self.round_id, street=self.street,
                    department=self.department, site_type=self.site_type, category=self.category)


def _options(name: str, column: str) -> list[str]:
    return query(name)[column].dropna().tolist()


def sidebar_filters() -> Filters:
    """Global filters, kept in the URL so that a link reproduces the view."""
    office = load_office()
    latest = query("latest_activity_date")["latest"].iloc[0]
    latest = pd.Timestamp(latest).date() if pd.notna(latest) else date.today()
    last_week = week_of(latest, office.campaign_start)
    weeks = {f"第{n}周": n for n in range(last_week.number, 0, -1)} or {f"第{last_week.number}周": last_week.number}
    rounds = query("assessment_rounds").sort_values("held_on", ascending=False)
    round_ids = dict(zip(rounds["round_name"], rounds["round_id"]))
    sb = st.sidebar
    sb.markdown("#### 筛选")
    wlabel = sb.selectbox("周次", list(weeks), key="week", bind="query-params")
    week = week_number(weeks.get(wlabel, last_week.number), office.campaign_start)
    sb.caption(f"{week.start:%Y-%m-%d} 至 {week.end:%Y-%m-%d}")
    rname = sb.selectbox("测评轮次", list(round_ids), key="round", bind="query-params") if round_ids else None
    street = sb.selectbox("街道（镇）", _options("street_list", "street"), index=None, placeholder=ALL,
                          key="street", bind="query-params")
    dept = sb.selectbox("责任单位", _options("department_list", "department"), index=None, placeholder=ALL,
                        key="dept", bind="query-params")
    stype = sb.selectbox("点位类型", _options("site_type_list", "site_type"), index=None, placeholder=ALL,
                         key="site_type", bind="query-params")
    cat = sb.selectbox("问题类别", _options("category_list", "category"), index=None, placeholder=ALL,
                       key="category", bind="query-params")
    rid = round_ids.get(rname) if rname is not None else None
    return Filters(week=week, round_id=int(rid) if rid is not None else None,
                   round_name=rname or "（无测评数据）", street=street, department=dept,
                   site_type=stype, category=cat)


def filters() -> Filters:
    """The filters set by the sidebar in this run (dashboard.py sets them before the page runs)."""
    f = st.session_state.get("_filters")
    return f if f is not None else sidebar_filters()


# ----------------------------------------------------------------------------------------------------
def style(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    """Meeting-room style: the point of the chart in its title, big labels, few colours."""
    fig.update_layout(
        title=dict(text=title, font=dict(size=24, family=FONT, color="#1a1a1a"), x=0, xanchor="left"),
        font=dict(family=FONT, size=17, color="#222"), height=height,
        margin=dict(l=10, r=20, t=70, b=10), plot_bgcolor="white", paper_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1, font=dict(size=16)),
        hoverlabel=dict(font=dict(family=FONT, size=16)),
    )
    fig.update_xaxes(showgrid=False, tickfont=dict(size=16), title_font=dict(size=16))
    fig.update_yaxes(gridcolor="#e6e6e6", tickfont=dict(size=16), title_font=dict(size=16))
    return fig


def fmt_delta(value: float, digits: int = 2, unit: str = "") -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{value:+.{digits}f}{unit}"


def db_file() -> Path:
    return db_path()
