"""The forecast's figures in the meeting-room style (plotly, no Streamlit): the fan chart beside the rounds so far,
the map of the riskiest sites over the street outlines (no map tiles, nothing from the internet), the standards
carrying the risk."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from campaign.analysis.figures import BLUE, GREY, RED, hbars, style
from campaign.forecast.report import Forecast, pct
from campaign.forecast.rule import Rule
from campaign.model import geo

NEXT = "下次测评"
OUTLINE_FILL = "#eef1f5"


def fan_title(fc: Forecast) -> str:
    return (f"下次测评预计 {fc.quantiles[0.5]:.1f} 分（80% 把握在 {fc.interval[0]:.1f}–{fc.interval[1]:.1f}），"
            f"达到 {fc.target_score:g} 分的把握约 {pct(fc.p_target_score)}")


def fan_chart(names: Sequence[str], totals: Sequence[float], fc: Forecast, height: int = 430,
              last: int = 6) -> go.Figure:
    """The ``last`` rounds so far and, after them, the next assessment's 10–90 % and 25–75 % bands (a fan opening
    from the last total) with its median; the target as a dashed line."""
    from campaign.briefing.model import two_lines

    names, totals = [two_lines(n, br="<br>") for n in names][-last:], [float(t) for t in totals][-last:]
    q = fc.quantiles
    fig = go.Figure()
    fig.add_hline(y=fc.target_score, line=dict(color=RED, dash="dash", width=2),
                  annotation=dict(text=f"目标 {fc.target_score:g} 分", font=dict(size=16, color=RED)),
                  annotation_position="top left")
    if names:
        x0, y0 = names[-1], totals[-1]
        for lo, hi, colour, label in ((0.1, 0.9, "rgba(31,78,156,0.18)", "80% 区间（10%–90%）"),
                                      (0.25, 0.75, "rgba(31,78,156,0.38)", "50% 区间（25%–75%）")):
            fig.add_trace(go.Scatter(x=[x0, NEXT, NEXT, x0], y=[y0, q[hi], q[lo], y0], fill="toself",
                                     fillcolor=colour, line=dict(width=0), mode="lines", name=label,
                                     hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[x0, NEXT], y=[y0, q[0.5]], mode="lines", line=dict(color=BLUE, width=3,
                                 dash="dot"), showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=names, y=totals, mode="lines+markers+text", text=[f"{t:.1f}" for t in totals],
                             textposition="top center", textfont=dict(size=15), line=dict(color=BLUE, width=3),
                             marker=dict(size=9, color=BLUE), name="历次测评总分", cliponaxis=False))
    fig.add_trace(go.Scatter(
        x=[NEXT], y=[q[0.5]], mode="markers+text", marker=dict(size=14, color=BLUE, symbol="diamond"),
        text=[f"预计 {q[0.5]:.1f}<br>{fc.interval[0]:.1f}–{fc.interval[1]:.1f}"], textposition="bottom right",
        textfont=dict(size=16, color=BLUE), name="预计（中位数）", cliponaxis=False,
        hovertext=[f"10%: {q[0.1]:.2f}　25%: {q[0.25]:.2f}　中位数: {q[0.5]:.2f}　75%: {q[0.75]:.2f}　"
                   f"90%: {q[0.9]:.2f}"], hoverinfo="text"))
    lo = min(totals + [q[0.1], fc.target_score]) - 3
    hi = max(totals + [q[0.9], fc.target_score]) + 4
    fig.update_yaxes(title="总分", range=[lo, hi])
    fig.update_xaxes(categoryorder="array", categoryarray=names + [NEXT], tickangle=0,
                     range=[-0.4, len(names) + 0.9])  # room for the label right of the forecast
    style(fig, fan_title(fc), height=height + 40)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
                      margin=dict(b=60))
    return fig


def street_outlines(rule: Rule) -> tuple[dict[str, list[np.ndarray]] | None, str | None]:
    """The street outlines the rule names, or (None, why not) when it names none or the file is wrong."""
    path = rule.outline_path
    if path is None:
        return None, None
    try:
        return geo.load_outlines(path), None
    except geo.GeoFileError as exc:
        return None, f"{exc}：地图只画点位，不画街道边界。"


def map_title(sites: pd.DataFrame) -> str:
    if sites.empty:
        return "没有预计失分的点位"
    top = sites["street"].value_counts()
    most = sorted(top.index[top.eq(top.iloc[0])])
    if top.iloc[0] <= 1 or len(most) > 2:
        return f"前 {len(sites)} 个风险点位的分布"
    return f"前 {len(sites)} 个风险点位：{'、'.join(most)}{'各' if len(most) > 1 else ''}有 {int(top.iloc[0])} 个，最多"


def risk_map(sites: pd.DataFrame, outlines: dict[str, list[np.ndarray]] | None, height: int = 560) -> go.Figure:
    """Street outlines as filled grey polygons with their names, the sites as red circles sized by expected lost
    points and numbered as in the table. Longitude is scaled by cos(latitude) so distances look right."""
    fig = go.Figure()
    lats = []
    for name, rings in sorted((outlines or {}).items()):
        for k, ring in enumerate(rings):
            fig.add_trace(go.Scatter(x=ring[:, 0], y=ring[:, 1], mode="lines", fill="toself", fillcolor=OUTLINE_FILL,
                                     line=dict(color=GREY, width=1.5), hoverinfo="text", hovertext=name,
                                     showlegend=False))
            lats.append(ring[:, 1].mean())
        big = max(rings, key=len)
        cx, cy = big[:, 0].mean(), big[:, 1].mean()
        fig.add_trace(go.Scatter(x=[cx], y=[cy], mode="text", text=[name], textfont=dict(size=13, color="#6b7480"),
                                 hoverinfo="skip", showlegend=False))
    placed = sites.assign(n=np.arange(1, len(sites) + 1)).dropna(subset=["lon", "lat"])
    if len(placed):
        size = 14 + 26 * np.sqrt(placed["exp_lost"] / max(float(placed["exp_lost"].max()), 1e-9))
        hover = [f"{r.n}. {r.site}（{r.site_type}）<br>{r.street} · {r.department}<br>被抽到 {r.p_sampled:.0%}，"
                 f"预计失分 {r.exp_lost:.3f}" for r in placed.itertuples()]
        fig.add_trace(go.Scatter(x=placed["lon"], y=placed["lat"], mode="markers+text", text=placed["n"].astype(str),
                                 textfont=dict(size=13, color="white"), hovertext=hover, hoverinfo="text",
                                 marker=dict(size=size, color=RED, opacity=0.85, line=dict(color="white", width=1)),
                                 showlegend=False))
        lats.append(float(placed["lat"].mean()))
    ratio = 1 / np.cos(np.radians(np.mean(lats))) if lats else 1.0
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=ratio)
    style(fig, map_title(sites), height=height)
    fig.update_layout(margin=dict(l=10, r=10, t=70, b=10))
    return fig


def standards_title(std: pd.DataFrame, total_lost: float) -> str:
    if std.empty:
        return "没有预计失分的标准"
    top = std.iloc[0]
    name = top["name"] if len(top["name"]) <= 20 else top["name"][:19] + "…"
    return f"“{name}”预计失分最多（{top['exp_lost']:.2f} 分）" if total_lost > 0 else "各标准预计失分"


def risk_standards_chart(std: pd.DataFrame, total_lost: float) -> go.Figure:
    """The standards carrying most of the risk: expected lost points (points × (1 − expected rate))."""
    labels = [f"{r.code} {r.name[:12]}…" if len(r.name) > 13 else f"{r.code} {r.name}" for r in std.itertuples()]
    colours = [RED if i < 3 else GREY for i in range(len(std))]
    texts = [f"{r.exp_lost:.2f} 分 · {r.method} · 预计达标率 {r.exp_rate:.0%}" for r in std.itertuples()]
    return hbars(labels, std["exp_lost"], colours, texts, "预计失分（分）",
                 float(std["exp_lost"].max() if len(std) else 1) * 2.3, standards_title(std, total_lost),
                 height=130 + 42 * len(std), hover=std["name"])
