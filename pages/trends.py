"""得分趋势: the total per round against the target and the peers, sections and items, streets, weekly indicators,
and the negative-list risk register."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaign import analysis, forecast
from campaign.analysis import figures, metrics
from campaign.app import negative_view, ui
from campaign.config import load_office
from campaign.forecast import charts

f = ui.filters()
office = load_office()
st.title(f"得分趋势 · {f.period_label}")
st.caption("测评得分为全区口径；点位类型筛选作用于街道达标率；督查指标按侧边栏全部筛选统计。")

# --- total per round ------------------------------------------------------------------------------------
rounds = ui.call(metrics.round_scores)
st.subheader("测评总分与同组排名")
if rounds.empty:
    st.info("尚无测评数据：导入模拟测评结果后，这里显示各轮得分、目标线和同组排名。")
else:
    names = [analysis.short_round(n) for n in rounds["round_name"]]
    fig = figures.score_trend(names, rounds["total"].tolist(), rounds["rank"].tolist(),
                              rounds["round_id"].eq(f.round_id).tolist(), office.target_total,
                              analysis.total_title(rounds, f.round_id, office.target_total))
    if "minors_total" in rounds and rounds["minors_total"].notna().any():
        last = rounds[rounds["minors_total"].notna()].iloc[-1]
        minors = analysis.minors_text(last.minors_total, last.minors_line, last.minors_share, last.minors_gate)
        (st.caption if bool(last.minors_gate) else st.error)(f"{analysis.short_round(last.round_name)}{minors}。")
    st.plotly_chart(fig, width="stretch", key="totals")
    table = pd.DataFrame({
        "测评轮次": rounds["round_name"], "组织方": rounds["assessor"], "测评日期": rounds["held_on"],
        "测评得分": rounds["base"].round(2), "加分": rounds["bonus"].round(2), "负面清单扣分": rounds["deduction"].round(2),
        "总分": rounds["total"].round(2), "同组排名": rounds["rank"], "同组区县数": rounds["ranked"]})
    if "minors_total" in rounds and rounds["minors_total"].notna().any():
        table.insert(6, "未成年人测评", rounds["minors_total"].astype(float).round(1))
    with st.expander("各轮得分明细"):
        st.dataframe(table, hide_index=True, width="stretch")
        ui.excel_download(table, "各轮测评得分", key="dl_totals")
    try:  # the next assessment's odds, beside the rounds so far
        fc = ui.call(forecast.page_forecast, target_score=float(office.target_total), target_rank=office.target_rank,
                     stamp=forecast.rule_stamp())
        st.plotly_chart(charts.fan_chart(names, rounds["total"].tolist(), fc), width="stretch", key="fan")
        st.page_link("pages/readiness.py", label=f"{fc.headline()} → 迎检预测", icon=":material/casino:")
    except forecast.ForecastError as exc:
        st.caption(f"下次测评预测：{exc}")

# --- sections and items ------------------------------------------------------------------------------------
sections = ui.call(analysis.group_rates_by_round, by="section")
items = ui.call(analysis.group_rates_by_round, by="item")
if not sections.empty:
    rid = f.round_id if f.round_id in set(sections["round_id"]) else int(sections["round_id"].max())
    order = list(dict.fromkeys(sections["round_name"]))
    short = {n: analysis.short_round(n) for n in order}
    cur = sections[sections["round_id"].eq(rid)].sort_values("rate")
    weakest = cur.iloc[0]
    moved, delta = analysis.biggest_change(items, "item", rid)
    fig = go.Figure()
    for i, (sec, g) in enumerate(sections.groupby("section", sort=False)):
        colour = ui.RED if sec == weakest.section else [ui.BLUE, ui.GREY, ui.AMBER][i % 3]
        fig.add_trace(go.Scatter(x=[short[n] for n in g["round_name"]], y=g["rate"] * 100, name=sec,
                                 mode="lines+markers", line=dict(width=3, color=colour)))
    fig.update_yaxes(title="达标率（%）", ticksuffix="%")
    ui.style(fig, f"{short[weakest.round_name]}{weakest.section}板块达标率最低（{weakest.rate:.1%}）", height=400)
    fig.update_layout(legend=dict(orientation="v", y=0.02, yanchor="bottom", x=0.99, xanchor="right",
                                  bgcolor="rgba(255,255,255,0.8)"))
    st.plotly_chart(fig, width="stretch", key="sections")
    piv = items.pivot_table(index=["section", "item"], columns="round_name", values="rate", sort=False)[order] * 100
    piv.columns = [short[c] for c in order]
    piv = piv.reset_index().rename(columns={"section": "板块", "item": "测评项目"})
    sel_name = short[sections.loc[sections["round_id"].eq(rid), "round_name"].iloc[0]]
    pos = list(piv.columns).index(sel_name)
    if pos > 2:
        piv["较上轮（百分点）"] = (piv[sel_name] - piv.iloc[:, pos - 1]).round(1)
    st.markdown(f"**各测评项目达标率（%）** · {sel_name}较上轮变化最大：{moved}（{delta * 100:+.1f} 个百分点）"
                if moved else "**各测评项目达标率（%）**")
    st.dataframe(piv.round(1), hide_index=True, width="stretch", height=40 + 35 * len(piv),
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in piv.columns[2:]})
    ui.excel_download(piv.round(1), "测评项目达标率", key="dl_items")

# --- streets as small multiples ----------------------------------------------------------------------
streets = ui.call(analysis.street_rates_by_round, site_type=f.site_type)
if not streets.empty:
    bottom, n, latest = analysis.weakest_street(streets, f.round_id)
    what = f"{f.site_type}点位" if f.site_type else ui.call(metrics.method_name, kind="field", default="实地考察")
    title = (f"{bottom}连续{analysis.cn_count(n)}轮{what}达标率末位" if bottom and n >= 2 else
             f"{bottom}本轮{what}达标率末位（{latest.loc[bottom, 'rate']:.0%}）" if bottom else f"各街道{what}达标率")
    order = latest.sort_values("rate").index.tolist() + [s for s in streets["street"].unique() if s not in latest.index]
    panels = []
    for s in order:
        g = streets[streets["street"].eq(s)]
        panels.append(dict(name=s, title=f"{s}  {latest.loc[s, 'rate']:.0%}" if s in latest.index else s,
                           x=[analysis.short_round(rn) for rn in g["round_name"]], y=g["rate"] * 100,
                           colour=ui.RED if s == bottom else ui.BLUE if s == f.street else ui.GREY))
    fig = ui.small_multiples(panels, title, cols=5, y_range=[30, 105], y_suffix="%")
    st.plotly_chart(fig, width="stretch", key="streets")
    names = "、".join(analysis.short_round(rn) for rn in streets.drop_duplicates("round_id")["round_name"])
    st.caption(f"每格一个街道，横轴为各轮测评（从左到右：{names}），按所选轮次达标率从低到高排列。")

# --- the assessor's own street table, beside ours -----------------------------------------------------------
report = ui.query("report_street_comparison", round_id=f.round_id) if f.round_id is not None else pd.DataFrame()
if not report.empty:
    far = report[report["difference"].abs() > 1]
    st.markdown(f"**测评报告街道得分核对** · {f.round_name}：报告自列 {int(report['report_score'].notna().sum())} 个街道，"
                + (f"{len(far)} 个与本系统按明细计算的得分相差超过 1 分" if len(far) else "与本系统按明细计算的得分一致（相差不超过 1 分）"))
    shown = pd.DataFrame({
        "街道": report["street"], "报告得分": report["report_score"].round(2), "报告分值": report["report_max"],
        "报告得分（百分制）": report["report_percent"].round(2), "报告排名": report["report_rank"],
        "报告及格率": (report["report_pass_rate"] * 100).round(1), "本系统得分（百分制）": report["our_score"].round(2),
        "本系统排名": report["our_rank"], "相差（分）": report["difference"].round(2), "明细条数": report["observations"]})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption("报告得分按报告的指标分值折算为百分制后与本系统比较；本系统得分 = 该街道已导入的测评明细得分合计 ÷ 分值合计 × 100。"
               "相差较大时，多半是有明细行未导入（见导入记录中的隔离清单）。")

# --- weekly inspection indicators ----------------------------------------------------------------------
st.subheader(f"督查指标 · {f.period_label}")
p = {**f.params(), "rebound_days": office.rebound_days}
now = ui.query("period_indicators", **p)
before = ui.query("period_indicators", **{**p, "start": f.prev_start, "end": f.prev_end})
w, b = now.iloc[0], before.iloc[0]


def _d(col: str, digits: int = 0, scale: float = 1.0, unit: str = ""):
    if pd.isna(w[col]) or pd.isna(b[col]) or w[col] == b[col]:
        return None
    return ui.fmt_delta(float(w[col] - b[col]) * scale, digits, unit)


c = st.columns(5)
c[0].metric("巡查点位次", f"{int(w.inspections):,}", _d("inspections"))
c[1].metric("发现问题", f"{int(w.problems):,}", _d("problems"), delta_color="inverse")
c[2].metric("每百点位问题数", "—" if pd.isna(w.per_100_sites) else f"{w.per_100_sites:.1f}",
            _d("per_100_sites", 1), delta_color="inverse")
c[3].metric("督查扣分", f"{w.deduction:.1f}", _d("deduction", 1), delta_color="inverse")
c[4].metric("按期整改率", "—" if pd.isna(w.on_time_rate) else f"{w.on_time_rate:.1%}",
            _d("on_time_rate", 1, 100, " 个百分点"))
st.caption(f"与上一{f.period_word}（{f.prev_start:%m月%d日}至{f.prev_end:%m月%d日}）比较。"
           f"按期整改率 = 整改时限在本{f.period_word}内的问题中按期完成的比例。"
           + (f"另有 {int(w.due_unknown):,} 条已整改问题无完成日期，未计入按期率。" if w.due_unknown > 0 else ""))

weekly = ui.query("weekly_indicators", campaign_start=office.campaign_start, **f.params())
if not weekly.empty:
    x = weekly["week"].tolist()
    last = weekly.iloc[-1]
    prev = weekly.iloc[-2] if len(weekly) > 1 else None
    d100 = last.per_100_sites - prev.per_100_sites if prev is not None else float("nan")
    t1 = f"第{last.week}周每百点位问题数 {last.per_100_sites:.1f}" + (
        f"，较上周{'上升' if d100 > 0 else '下降'} {abs(d100):.1f}" if pd.notna(d100) else "")
    dot = (last.on_time_rate - prev.on_time_rate) * 100 if prev is not None else float("nan")
    t2 = f"第{last.week}周按期整改率 {last.on_time_rate:.0%}" + (
        f"，较上周{'提高' if dot > 0 else '下降'} {abs(dot):.1f} 个百分点" if pd.notna(dot) else "")
    l2, r2 = st.columns(2)
    with l2:
        fig = go.Figure(go.Scatter(x=x, y=weekly["per_100_sites"], mode="lines", line=dict(color=ui.BLUE, width=3),
                                   name="每百点位问题数"))
        fig.add_trace(go.Scatter(x=[x[-1]], y=[last.per_100_sites], mode="markers", marker=dict(size=12, color=ui.RED),
                                 showlegend=False))
        fig.update_xaxes(title="周次", dtick=4)
        st.plotly_chart(ui.style(fig, t1, height=360), width="stretch", key="density")
    with r2:
        fig = go.Figure(go.Scatter(x=x, y=weekly["on_time_rate"] * 100, mode="lines",
                                   line=dict(color=ui.GREEN, width=3),
                                   name="按期整改率"))
        fig.add_trace(go.Scatter(x=[x[-1]], y=[last.on_time_rate * 100], mode="markers",
                                 marker=dict(size=12, color=ui.RED), showlegend=False))
        fig.update_yaxes(ticksuffix="%")
        fig.update_xaxes(title="周次", dtick=4)
        st.plotly_chart(ui.style(fig, t2, height=360), width="stretch", key="ontime")
    wt = weekly.rename(columns={"week": "周次", "week_start": "起", "week_end": "止", "inspections": "巡查点位次",
                                "problems": "发现问题", "deduction": "扣分", "per_100_sites": "每百点位问题数",
                                "due": "到期问题", "due_on_time": "按期完成", "on_time_rate": "按期整改率"})
    with st.expander("逐周指标"):
        wt = wt.assign(每百点位问题数=wt["每百点位问题数"].round(1), 按期整改率=wt["按期整改率"].round(3))
        st.dataframe(wt, hide_index=True, width="stretch",
                     column_config={"按期整改率": st.column_config.NumberColumn(format="percent")})
        ui.excel_download(wt, "逐周督查指标", key="dl_weekly")

# --- negative list ------------------------------------------------------------------------------------------
negative_view.register(f.end)
