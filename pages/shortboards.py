"""短板指标: standards ranked by points lost against the pass line, Pareto, street × category, rebounds, drill-down."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaign import analysis
from campaign.analysis import figures, metrics
from campaign.app import ui
from campaign.config import load_office

f = ui.filters()
office = load_office()
st.title(f"短板指标 · {f.round_name}")
who = f.street or f.department
st.caption(f"测评失分按所选轮次；{'失分为记到' + who + '的部分（谁丢分谁负责）；' if who else ''}"
           f"督查问题、热力图和反弹按{f.period_label}（{f.start:%m月%d日}至{f.end:%m月%d日}）及侧边栏筛选统计。")
if f.round_id is None:
    st.info("尚无测评数据：导入模拟测评结果后，这里列出丢分最多的指标。")
    st.stop()

p = f.params()
rnd = ui.call(metrics.round_scores).set_index("round_id").loc[f.round_id]
framework = "city"
if pd.notna(rnd.get("minors_total")):  # the round assessed the minors' framework too: either one's short boards
    shown = st.segmented_control("测评体系", ["城市测评", "未成年人测评"], default="城市测评", key="fw",
                                 bind="query-params") or "城市测评"
    framework = "minors" if shown == "未成年人测评" else "city"
    if framework == "minors":
        st.caption(f"{analysis.minors_text(rnd.minors_total, rnd.minors_line, rnd.minors_share, rnd.minors_gate)}；"
                   "以下失分为未成年人测评体系自身的分值（满分 100）。")
losses = ui.call(analysis.standard_losses, round_id=f.round_id, start=f.start, end=f.end, street=f.street,
                 department=f.department, site_type=f.site_type, category=f.category, framework=framework)
pass_rate = ui.call(metrics.settings).pass_rate
reb = ui.query("period_indicators", **p, rebound_days=office.rebound_days).iloc[0]
k80 = analysis.pareto_count(losses)
below = losses[losses["below_pass"]]

c = st.columns(4)
c[0].metric(f"低于及格线（{pass_rate:.0%}）的指标", f"{len(below)} 项", help="本轮达标率低于测评体系及格线的标准数")
c[1].metric("本轮失分合计", f"{losses['lost'].sum():.2f} 分")
c[2].metric("占八成失分的指标", f"{k80} 项", help="按失分从大到小累计到 80% 所需的指标数")
c[3].metric(f"本{f.period_word}反弹问题", f"{int(reb.rebounds):,} 条",
            None if reb.problems == 0 else f"占发现问题 {reb.rebound_rate:.0%}", delta_color="off", delta_arrow="off")

left, right = st.columns(2)
with left:
    top = losses.head(12)
    lead = losses.iloc[0] if len(losses) else None
    title = (f"{len(below)} 项低于及格线，丢分最多：{lead.code}（{lead.lost:.2f} 分）" if lead is not None
             else "丢分最多的指标")
    fig = figures.hbars([f"{r.code} {r.name[:9]}" for r in top.itertuples()], top["lost"],
                        [ui.RED if b else ui.GREY for b in top["below_pass"]],
                        [f"{v:.2f} · {r:.0%}" for v, r in zip(top["lost"], top["rate"])],
                        f"失分 · 达标率（红色：低于 {pass_rate:.0%}）", float(top["lost"].max() or 1) * 1.45, title,
                        height=520, hover=top["name"])
    st.plotly_chart(fig, width="stretch", key="toplost")
with right:
    pl = losses[losses["lost"] > 0]
    share10 = float(pl["cum_share"].iloc[min(9, len(pl) - 1)]) if len(pl) else 0.0
    ptitle = (f"前 {k80} 项指标占全部失分的八成" if k80 <= max(10, len(pl) // 3) else
              f"失分分散：前 10 项只占 {share10:.0%}，{k80} 项才到八成")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(range(1, len(pl) + 1)), y=pl["lost"], name="失分",
                         hovertext=pl["code"] + " " + pl["name"],
                         marker_color=[ui.RED if i < k80 else ui.GREY for i in range(len(pl))]))
    fig.add_trace(go.Scatter(x=list(range(1, len(pl) + 1)), y=pl["cum_share"] * 100, name="累计占比", yaxis="y2",
                             mode="lines", line=dict(color=ui.BLUE, width=3)))
    fig.add_trace(go.Scatter(x=[1, max(len(pl), 1)], y=[80, 80], yaxis="y2", mode="lines", showlegend=False,
                             line=dict(color=ui.BLUE, dash="dot", width=2), hoverinfo="skip"))
    ui.style(fig, ptitle, height=520)
    fig.update_layout(yaxis=dict(title="失分"), xaxis=dict(title="指标（按失分从大到小）"),
                      yaxis2=dict(title="累计占比", overlaying="y", side="right", range=[0, 105], ticksuffix="%",
                                  tickvals=[0, 20, 40, 60, 80, 100],
                                  showgrid=False, tickfont=dict(size=16)))
    st.plotly_chart(fig, width="stretch", key="pareto")

heat = ui.query("problems_by_street_category", **p)
if not heat.empty:
    streets = [s for s in ui.query("street_list")["street"] if s in set(heat["street"])]
    cats = heat.groupby("category")["problems"].sum().sort_values(ascending=False).index.tolist()
    z = heat.pivot_table(index="street", columns="category", values="problems", fill_value=0).reindex(
        index=streets, columns=cats, fill_value=0)
    hot = heat.sort_values(["problems", "street", "category"], ascending=[False, True, True]).iloc[0]
    xlabels = [c if len(c) <= 4 else f"{c[:4]}<br>{c[4:]}" for c in cats]
    fig = go.Figure(go.Heatmap(z=z.values, x=xlabels, y=streets, colorscale=[[0, "#ffffff"], [1, ui.RED]],
                               text=z.values, texttemplate="%{text}", textfont=dict(size=15), showscale=False,
                               hovertemplate="%{y} · %{x}：%{z} 条<extra></extra>", xgap=2, ygap=2))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(tickangle=0)
    st.plotly_chart(ui.style(fig, f"{hot.street}·{hot.category}问题最多（{int(hot.problems)} 条）",
                             height=110 + 34 * len(streets)), width="stretch", key="heat")

st.subheader(f"反弹问题 · {int(reb.rebounds):,} 条")
sites = ui.query("rebound_sites", **p, rebound_days=office.rebound_days)
if sites.empty:
    st.info(f"本{f.period_word}没有反弹问题。")
else:
    s0 = sites.iloc[0]
    st.markdown(f"同一点位、同一类别在整改完成后 {office.rebound_days} 天内再次出现即为反弹。"
                f"反弹最多：**{s0.site}·{s0.category}**（{s0.street}，{int(s0.rebounds)} 次）。")
    rt = sites.rename(columns={"site": "点位", "street": "街道（镇）", "category": "问题类别", "department": "责任单位",
                               "rebounds": "反弹次数", "last_found": "最近发现"})[
        ["点位", "街道（镇）", "问题类别", "责任单位", "反弹次数", "最近发现"]]
    st.dataframe(rt, hide_index=True, width="stretch", height=280,
                 column_config={"最近发现": st.column_config.DateColumn(format="YYYY-MM-DD")})
    if int(s0.total_rows) > len(sites):
        st.caption(f"共 {int(s0.total_rows):,} 个点位·类别有反弹，仅显示反弹最多的 {len(sites)} 个；下载同样只含这些。")
    ui.excel_download(rt, "反弹问题", key="dl_rebounds")

st.subheader("全部指标失分")
table = losses.assign(rate=(losses["rate"] * 100).round(1), lost=losses["lost"].round(3),
                      below_pass=losses["below_pass"].map({True: "未达", False: "达到"}))
table = table.rename(columns={"code": "编码", "name": "测评标准", "item": "测评项目", "method": "测评方式",
                              "points": "分值", "rate": "达标率（%）", "lost": "失分", "below_pass": "及格线",
                              "problems": "本期督查问题", "deduction": "本期督查扣分"})[
    ["编码", "测评标准", "测评项目", "测评方式", "分值", "达标率（%）", "失分", "及格线", "本期督查问题", "本期督查扣分"]]
st.dataframe(table, hide_index=True, width="stretch", height=320)
ui.excel_download(table, f"指标失分_{f.round_name}", key="dl_losses")

st.subheader("指标下钻：点位与问题")
labels = {r.code: f"{r.code} {r.name}" for r in losses.itertuples()}  # stable labels: the URL keeps them
code = st.selectbox("选择指标", list(labels), format_func=labels.get, index=None, key="std", bind="query-params",
                    placeholder="选一项指标，查看它在本轮测评的点位和本期的督查问题")
if code:
    obs = ui.query("standard_observations", **p, standard_code=code)
    rows = ui.query("problem_rows", **p, standard_code=code)
    a, b = st.columns([2, 3])
    with a:
        st.markdown(f"**{code} 本轮测评点位**（{len(obs)} 条，达标率从低到高）")
        ot = obs.assign(rate=(obs["rate"] * 100).round(0)).rename(columns={
            "site": "点位", "site_type": "点位类型", "street": "街道（镇）", "department": "责任单位", "score": "得分",
            "max_score": "满分", "rate": "得分率（%）"})[["点位", "点位类型", "街道（镇）", "责任单位", "得分", "满分", "得分率（%）"]]
        st.dataframe(ot, hide_index=True, width="stretch", height=300)
        ui.excel_download(ot, f"{code}_测评点位", key="dl_std_sites")
    with b:
        total = int(rows["total_rows"].iloc[0]) if len(rows) else 0
        st.markdown(f"**{code} 本期督查问题**（{total:,} 条" + (f"，显示最新 {len(rows)} 条）" if total > len(rows) else "）"))
        pt = rows.rename(columns={"problem_id": "问题编号", "found_on": "发现日期", "street": "街道（镇）", "department": "责任单位",
                                  "site": "点位", "category": "问题类别", "description": "问题描述", "card": "督办卡",
                                  "status": "状态"})[["问题编号", "发现日期", "街道（镇）", "责任单位", "点位", "问题类别",
                                                    "问题描述", "督办卡", "状态"]]
        st.dataframe(pt, hide_index=True, width="stretch", height=300,
                     column_config={"发现日期": st.column_config.DateColumn(format="YYYY-MM-DD")})
        ui.excel_download(pt, f"{code}_督查问题", key="dl_std_problems")
