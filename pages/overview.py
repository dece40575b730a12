"""总览: where we stand this week — score and rank, the week's ledger, what costs most, who is at the bottom."""
import plotly.graph_objects as go
import streamlit as st

from campaign import analysis
from campaign.analysis import metrics
from campaign.app import ui
from campaign.app.text import md

f = ui.filters()
st.title(f"总览 · {f.period_label}")
st.caption(f"测评：{f.round_name}　｜　督查：{f.start:%Y年%m月%d日}至{f.end:%m月%d日}")

rounds = ui.call(metrics.round_scores)
week = ui.query("week_summary", **f.params())
prev = ui.query("week_summary", **{**f.params(), "start": f.prev_start, "end": f.prev_end})

c = st.columns(6)
if f.round_id is not None and not rounds.empty:
    i = rounds.index[rounds["round_id"].eq(f.round_id)][0]
    cur = rounds.loc[i]
    before = rounds.loc[i - 1] if i > 0 else None
    c[0].metric("测评总分", f"{cur.total:.2f}",
                ui.fmt_delta(cur.total - before.total if before is not None else None, unit=" 分"))
    if cur["rank"] is not None:
        move = (before["rank"] - cur["rank"]) if before is not None and before["rank"] else None
        # short label: six figures share a 1280-px screen; the group's size goes in the help and the delta
        c[1].metric("同组排名", f"第 {int(cur['rank'])} 名",
                    None if move is None else (f"进 {int(move)} 位" if move > 0 else
                                               f"-退 {int(-move)} 位" if move < 0 else "与上轮持平"),
                    delta_color="normal" if move else "off", delta_arrow="auto" if move else "off",
                    help=f"同组共 {int(cur.ranked)} 个区县")
    if cur.vetoed:
        st.error("本轮存在一票否决事项，测评结果不合格。")
    minors = analysis.minors_text(cur.get("minors_total"), cur.get("minors_line"), cur.get("minors_share"),
                                  cur.get("minors_gate"))
    if minors and not bool(cur.get("minors_gate")):
        st.error(f"{minors}。")
    elif minors:
        st.caption(f"{minors}。")


def _delta(col: str, digits: int = 0) -> str | None:
    if week.empty or prev.empty:
        return None
    change = float(week[col].iloc[0] - prev[col].iloc[0])
    return ui.fmt_delta(change, digits) if change else None  # no change, no arrow


w = week.iloc[0] if not week.empty else None
this = f"本{f.period_word}"
c[2].metric(f"{this}巡查点位", f"{int(w.sites_visited):,}" if w is not None else "—", _delta("sites_visited"))
c[3].metric(f"{this}发现问题", f"{int(w.problems_found):,}" if w is not None else "—", _delta("problems_found"),
            delta_color="inverse")
c[4].metric(f"{this}整改完成", f"{int(w.closed):,}" if w is not None else "—", _delta("closed"))
c[5].metric("逾期未整改", f"{int(w.overdue_at_end):,}" if w is not None else "—", _delta("overdue_at_end"),
            delta_color="inverse")

if f.round_id is None:
    st.info("尚无测评数据：导入模拟测评结果后，这里显示得分、排名和丢分最多的指标。")
    st.stop()

detail = ui.call(metrics.round_detail, round_id=f.round_id)
top = detail.top_standards
left, right = st.columns([3, 2])
with left:
    lead = top.iloc[0] if not top.empty else None
    title = f"丢分最多：{lead.code}（失 {lead.lost:.2f} 分）" if lead is not None else "丢分最多的指标"
    fig = go.Figure(go.Bar(
        x=top["lost"][::-1], y=[f"{r.code} {r.name[:12]}" for r in top.itertuples()][::-1], orientation="h",
        marker_color=([ui.GREY] * (len(top) - 1) + [ui.RED]) if len(top) else None,
        hovertext=top["name"][::-1], hoverinfo="text+x",
        text=[f"{v:.2f}（{r:.0%}）" for v, r in zip(top["lost"][::-1], top["rate"][::-1])],
        textposition="outside", textfont=dict(size=17), cliponaxis=False))
    fig.update_xaxes(title="失分（括号内为达标率）", range=[0, float(top["lost"].max() or 1) * 1.9])
    st.plotly_chart(ui.style(fig, title, height=300), width="stretch", key="top3")
with right:
    st.markdown(f"**{f.round_name} 得分构成**")
    s = detail.score
    parts = {"测评得分": s.base}
    if s.minors_total is not None:  # each framework counts for its share of the total
        share = float(cur.get("minors_share"))
        parts = {f"城市测评 {s.base:.2f} × {1 - share:.0%}": (1 - share) * s.base,
                 f"未成年人测评 {s.minors_total:.1f} × {share:.0%}": share * s.minors_total}
    st.dataframe(
        {"项目": list(parts) + ["加分", "负面清单扣分", "总分"],
         "分值": [round(v, 2) for v in parts.values()] + [round(s.bonus, 2), -round(s.deduction, 2),
                                                         round(s.total, 2)]},
        hide_index=True, width="stretch")

b1, b2 = st.columns(2)
week_streets = ui.query("week_problems_by_street", start=f.start, end=f.end)
week_depts = ui.query("week_problems_by_department", start=f.start, end=f.end)
streets = metrics.bottom_table(detail.street_lost, week_streets, "street", "街道（镇）")
depts = metrics.bottom_table(detail.department_lost, week_depts, "department", "责任单位")
with b1:
    st.subheader("街道失分榜")
    if len(streets):
        st.markdown(f"末位：**{md(streets.iloc[0]['街道（镇）'])}**")
    st.dataframe(streets.head(5), hide_index=True, width="stretch",
                 column_config={"测评失分": st.column_config.NumberColumn(format="%.2f")})
with b2:
    st.subheader("部门失分榜")
    if len(depts):
        st.markdown(f"末位：**{md(depts.iloc[0]['责任单位'])}**")
    st.dataframe(depts.head(5), hide_index=True, width="stretch",
                 column_config={"测评失分": st.column_config.NumberColumn(format="%.2f")})
