"""The briefing's charts as PNG images (matplotlib, Agg), drawn with the Chinese font that the
``pylopdf-fonts-zh-cn`` requirement installs, so no font has to be installed on the machine by hand.

Each chart says its point in its title, with big labels and few colours (the dashboard's palette).
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from campaign.briefing.model import Chart, fit_title, two_lines

BLUE, RED, GREY, AMBER, BLACK = "#1f4e9c", "#c8102e", "#9aa3ad", "#e0a100", "#374151"
WIDTH_IN = 7.0   # drawn at 7 in, placed at about 15 cm in the document: labels print at about 10 pt
DPI = 200


@lru_cache(maxsize=1)
def font_path() -> Path:
    """Noto Sans SC from the pylopdf-fonts-zh-cn package (OFL), registered with matplotlib."""
    import pylopdf_fonts_zh_cn

    path = Path(pylopdf_fonts_zh_cn.sans_path())
    font_manager.fontManager.addfont(str(path))
    return path


def _fp(size: float, bold: bool = False) -> FontProperties:
    return FontProperties(fname=str(font_path()), size=size, weight="bold" if bold else "normal")


def render_chart(chart: Chart) -> bytes:
    draw = {"score_trend": _score_trend, "short_boards": _short_boards, "street_ranking": _street_ranking}[chart.kind]
    fig = draw(chart)
    fig.suptitle(fit_title(chart.title), x=0.01, ha="left", fontproperties=_fp(14))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#888")
    ax.spines["bottom"].set_color("#888")
    ax.tick_params(labelsize=11.5)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontproperties(_fp(11.5))


def _score_trend(chart: Chart) -> Figure:
    d = chart.data.reset_index(drop=True)
    target = float(chart.options["target"])
    sel = d["round_id"].eq(chart.options["round_id"]).to_numpy()
    fig = Figure(figsize=(WIDTH_IN, 4.3), layout="constrained")
    ax = fig.add_subplot()
    x = list(range(len(d)))
    ax.plot(x, d["total"], color=BLUE, linewidth=2.5, marker="o", markersize=6, zorder=2)
    ax.scatter([i for i in x if sel[i]], d.loc[sel, "total"], s=120, color=RED, zorder=3)
    ax.axhline(target, color=RED, linestyle="--", linewidth=1.5)
    ax.text(x[0] - 0.3, target, f"目标 {target:g} 分", color=RED, va="bottom", ha="left", fontproperties=_fp(11))
    for i, r in d.iterrows():
        label = f"{r.total:.2f}" + ("" if pd.isna(r["rank"]) else f"\n第{int(r['rank'])}名")
        ax.annotate(label, (i, r.total), textcoords="offset points", xytext=(0, 10), ha="center", va="bottom",
                    fontproperties=_fp(10.5, bold=bool(sel[i])), color=RED if sel[i] else "#222",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9), zorder=4)
    lo = min(d["total"].min(), target) - 4
    hi = max(d["total"].max(), target) + 6
    ax.set_ylim(lo, hi)
    ax.set_xlim(-0.5, len(d) - 0.5)
    ax.set_xticks(x, [two_lines(n) for n in d["short"]])
    ax.set_ylabel("总分", fontproperties=_fp(11))
    ax.grid(axis="y", color="#e6e6e6")
    _style(ax)
    return fig


def _short_boards(chart: Chart) -> Figure:
    d = chart.data.iloc[::-1].reset_index(drop=True)
    fig = Figure(figsize=(WIDTH_IN, 0.9 + 0.48 * len(d)), layout="constrained")
    ax = fig.add_subplot()
    colours = [RED if b else GREY for b in d["below_pass"]]
    ax.barh(range(len(d)), d["lost"], color=colours, height=0.62)
    top = float(d["lost"].max() or 1)
    for i, r in d.iterrows():
        ax.text(r.lost + top * 0.015, i, f"{r.lost:.2f} 分 · 达标率 {r.rate:.0%}", va="center", fontproperties=_fp(10.5))
    ax.set_yticks(range(len(d)), [f"{r.code} {r.content}" for r in d.itertuples()])
    ax.set_xlim(0, top * 1.45)
    pass_rate = chart.options["pass_rate"]
    ax.set_xlabel(f"本轮失分（红色：达标率低于及格线 {pass_rate:.0%}）", fontproperties=_fp(11))
    ax.grid(axis="x", color="#e6e6e6")
    ax.set_axisbelow(True)
    _style(ax)
    return fig


def _street_ranking(chart: Chart) -> Figure:
    d = chart.data.iloc[::-1].reset_index(drop=True)
    full = float(chart.options["full"])
    fig = Figure(figsize=(WIDTH_IN, 0.9 + 0.36 * len(d)), layout="constrained")
    ax = fig.add_subplot()
    red_name, low_name = chart.options.get("red_name", "流动红旗"), chart.options.get("low_name", "流动黄旗")
    low = AMBER if "黄" in low_name else BLACK
    colours = [RED if f == "red" else low if f == "yellow" else GREY for f in d["flag"]]
    ax.barh(range(len(d)), d["total"], color=colours, height=0.66)
    for i, r in d.iterrows():
        ax.text(r.total + full * 0.01, i, f"{r.total:.1f}  {r.change_label}", va="center", fontproperties=_fp(10.5))
    ax.set_yticks(range(len(d)), [f"{int(r['rank'])}. {r.unit}" for _, r in d.iterrows()])
    ax.set_xlim(0, full * 1.3)
    ax.set_xlabel(f"综合指数（满分 {full:g}；红色{red_name}，{'黄' if low == AMBER else '黑'}色{low_name}；"
                  "↑↓ 为较上周名次变化）", fontproperties=_fp(11))
    ax.grid(axis="x", color="#e6e6e6")
    ax.set_axisbelow(True)
    _style(ax)
    return fig
