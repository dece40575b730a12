"""Plotly figures in the meeting-room style, shared by the pages and the briefing page (no Streamlit here).

The point of each chart is its title; labels are big and colours few: blue for our own figures, red for what
needs attention, grey for the rest, amber for a yellow flag.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
BLUE, RED, GREY, GREEN, AMBER = "#1f4e9c", "#c8102e", "#9aa3ad", "#2e7d32", "#e0a100"
DARK = "#374151"  # a black list (黑榜)


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


def score_trend(names: Sequence[str], totals: Sequence[float], ranks: Sequence, selected: Sequence[bool],
                target: float, title: str, height: int = 430) -> go.Figure:
    """Total per assessment round with the target line; the selected round in red, rank under each total."""
    fig = go.Figure()
    fig.add_hline(y=target, line=dict(color=RED, dash="dash", width=2),
                  annotation=dict(text=f"目标 {target:g} 分", font=dict(size=16, color=RED)),
                  annotation_position="top left")
    labels = [f"{t:.2f}" + (f"<br>第{int(r)}名" if pd.notna(r) else "") for t, r in zip(totals, ranks)]
    fig.add_trace(go.Scatter(x=list(names), y=list(totals), mode="lines+markers+text", text=labels,
                             textposition="top center", textfont=dict(size=16), line=dict(color=BLUE, width=3),
                             marker=dict(size=[16 if s else 9 for s in selected],
                                         color=[RED if s else BLUE for s in selected]),
                             name="测评总分", cliponaxis=False))
    lo = min(min(totals, default=target), target) - 4
    fig.update_yaxes(title="总分", range=[lo, max(max(totals, default=target), target) + 5])
    return style(fig, title, height=height)


def hbars(labels: Sequence[str], values: Sequence[float], colours: Sequence[str], texts: Sequence[str],
          x_title: str, x_max: float, title: str, height: int, hover: Sequence[str] | None = None) -> go.Figure:
    """Horizontal bars, first item on top, each with its figure written after the bar."""
    fig = go.Figure(go.Bar(x=list(values)[::-1], y=list(labels)[::-1], orientation="h",
                           marker_color=list(colours)[::-1], text=list(texts)[::-1], textposition="outside",
                           textfont=dict(size=16), cliponaxis=False,
                           hovertext=list(hover)[::-1] if hover is not None else None))
    fig.update_xaxes(title=x_title, range=[0, x_max])
    return style(fig, title, height=height)


def flag_colour(flag: str) -> str:
    return RED if flag == "red" else AMBER if flag == "yellow" else GREY


def briefing_chart(chart) -> go.Figure:
    """One chart of the weekly briefing (campaign.briefing.Chart) for the page, which shows it in a column about
    750 px wide; the .docx draws the same data with matplotlib (campaign.briefing.charts)."""
    from campaign.briefing.model import fit_title, two_lines

    d, o = chart.data, chart.options
    title = fit_title(chart.title, limit=28, br="<br>")
    if chart.kind == "score_trend":
        fig = score_trend([two_lines(n, br="<br>") for n in d["short"]], d["total"].tolist(), d["rank"].tolist(),
                          d["round_id"].eq(o["round_id"]).tolist(), float(o["target"]), title, height=470)
        fig.update_xaxes(tickangle=0, tickfont=dict(size=14))
    elif chart.kind == "short_boards":
        fig = hbars([f"{r.code} {r.content}" for r in d.itertuples()], d["lost"],
                    [RED if b else GREY for b in d["below_pass"]],
                    [f"{r.lost:.2f} 分 · 达标率 {r.rate:.0%}" for r in d.itertuples()],
                    f"本轮失分（红色：达标率低于及格线 {o['pass_rate']:.0%}）", float(d["lost"].max() or 1) * 1.5,
                    title, height=130 + 40 * len(d), hover=d["name"])
    elif chart.kind == "street_ranking":
        full = float(o["full"])
        red_name, low_name = o.get("red_name", "流动红旗"), o.get("low_name", "流动黄旗")
        low = AMBER if "黄" in low_name else DARK
        fig = hbars([f"{int(r['rank'])}. {r.unit}" for _, r in d.iterrows()], d["total"],
                    [RED if x == "red" else low if x == "yellow" else GREY for x in d["flag"]],
                    [f"{t:.1f}  {c}" for t, c in zip(d["total"], d["change_label"])],
                    f"综合指数（满分 {full:g}；红色{red_name}，{'黄' if low == AMBER else '黑'}色{low_name}；"
                    "↑↓ 为较上周名次变化）", full * 1.3,
                    title, height=130 + 32 * len(d))
    else:
        raise ValueError(f"未知的图表类型：{chart.kind}")
    if "<br>" in title:
        fig.update_layout(margin=dict(t=105), height=fig.layout.height + 35)
    return fig
