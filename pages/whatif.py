"""推演: set achievement targets or mark open problems fixed and see the total, sections and rank move;
the cheapest plan to reach a target; scenarios saved, compared and shared by link."""
import plotly.graph_objects as go
import streamlit as st

from campaign import analysis, forecast, whatif
from campaign.app import ui, whatif_view
from campaign.config import load_office

f = ui.filters()
st.title(f"推演 · 以{f.round_name}为基准")
if f.round_id is None:
    st.info("尚无测评数据：导入模拟测评结果后即可推演。")
    st.stop()
model = ui.call(whatif.build_model, round_id=f.round_id)
base = model.baseline
ss = st.session_state
with st.expander("使用说明与计算口径"):
    st.markdown(whatif.help_text(model))


def load(text: str) -> None:
    """Put a scenario (a saved one, the plan) into the editor."""
    ss.wi_loaded = ss.wi_current = text
    ss.wi_gen = ss.get("wi_gen", 0) + 1


# the scenario comes from the link on the first visit; edits survive a visit to another page
if "wi_loaded" not in ss:
    load(st.query_params.get("scenario", ""))
elif f"wi_ed{ss.wi_gen}" not in ss and ss.get("wi_current", ss.wi_loaded) != ss.wi_loaded:
    load(ss.wi_current)
try:
    loaded, notes = model.validate(whatif.parse_scenario(ss.wi_loaded))
except whatif.WhatIfError as exc:
    loaded, notes = [], [f"链接中的设定有误：{exc}"]
opts = whatif.key_options(model, [s.key for s in loaded if not s.fix])
fix_opts = whatif.fix_options(model)

top = st.container()
left, right = st.columns(2, gap="medium")
with left:
    st.subheader("设定目标达标率")
    edited = st.data_editor(
        whatif.editor_frame(loaded), num_rows="dynamic", hide_index=True, width="stretch", key=f"wi_ed{ss.wi_gen}",
        column_config={
            whatif.EDITOR_KEY: st.column_config.SelectboxColumn(
                "范围", options=list(opts), format_func=lambda k: opts.get(k, k), required=True, width="medium"),
            whatif.EDITOR_RATE: st.column_config.NumberColumn(
                "目标（%）", min_value=0, max_value=100, step=1, format="%.1f", default=90.0, required=True,
                width="small")})
    st.caption("点表格下方“+”添加一行：选范围（点位类型、街道、问题类别、测评项目、板块、责任单位、问卷指标或单条标准），"
               "填目标达标率。")
    fixes = st.multiselect("把这些未整改问题标记为已整改", list(fix_opts), format_func=fix_opts.get,
                           default=[s.text for s in loaded if s.fix and s.text in fix_opts], key=f"wi_fix{ss.wi_gen}",
                           placeholder="可按街道、责任单位、问题类别、点位类型选择")
settings = whatif.settings_from_editor(edited, fixes)
ss.wi_current = text = whatif.format_scenario(settings)
if st.query_params.get("scenario", "") != text:
    if text:
        st.query_params["scenario"] = text
    elif "scenario" in st.query_params:
        del st.query_params["scenario"]
p = whatif.project(model, settings)
office = load_office()
try:  # the odds at the next assessment with the scenario, beside its projected total
    odds = [ui.call(forecast.page_forecast, target_score=float(office.target_total), target_rank=office.target_rank,
                    stamp=forecast.rule_stamp(), rates=r).p_target_score for r in ("", whatif.format_scenario(
                        [s for s in settings if not s.fix]))]
except forecast.ForecastError:
    odds = None

with top:
    c = st.columns(5 if odds else 4)
    c[0].metric("推演总分", f"{p.total:.2f}",
                ui.fmt_delta(p.total - base.total, unit=" 分") if abs(p.total - base.total) >= 0.005 else None)
    if p.rank is not None:
        move = base.rank - p.rank
        c[1].metric(f"同组排名（共{p.ranked}个）", f"第 {p.rank} 名",
                    f"进 {move} 位" if move > 0 else "与基准持平", delta_color="normal" if move else "off",
                    delta_arrow="auto" if move else "off")
    c[2].metric("基准总分", f"{base.total:.2f}", f"第 {base.rank} 名" if base.rank else None,
                delta_color="off", delta_arrow="off")
    deduction = f"−{p.score.deduction:.2f}" if p.score.deduction else "0"
    c[3].metric("加分 / 负面清单扣分", f"+{p.score.bonus:.2f} / {deduction}")
    if odds:
        c[4].metric(f"下次达 {office.target_total:g} 分把握", forecast.pct(odds[1]),
                    f"推演前 {forecast.pct(odds[0])}" if odds[1] != odds[0] else None, delta_arrow="up",
                    help=f"下次测评达到 {office.target_total:g} 分的把握：按迎检预测模型（历次测评、督查台账、测评抽样规则）"
                         "模拟下次测评；“标记为已整改”不计入")
    if p.score.vetoed:
        st.error("本轮存在一票否决事项：无论推演得分多少，测评结果均不合格。")
    if model.minors is not None and p.score.minors_total is not None:
        minors = analysis.minors_text(p.score.minors_total, model.minors[2], model.minors[1], p.score.minors_gate)
        (st.caption if p.score.minors_gate else st.error)(
            f"{minors}。" + ("" if p.score.minors_gate else "无论推演总分多少，都不具备申报资格。"))
    for note in notes + p.warnings:
        st.warning(note)

with right:
    st.subheader("各板块得分")
    st.dataframe(whatif.section_table(model, p), hide_index=True, width="stretch",
                 column_config={"板块": st.column_config.TextColumn(width="medium")})
    if len(p.effects):
        st.markdown("**各项设定的作用**（单独生效时的增分；几项重叠时合计小于相加）")
        st.dataframe(whatif.effects_table(model, p), hide_index=True, width="stretch",
                     column_config={"设定": st.column_config.TextColumn(width="medium")})

wf = whatif.waterfall(model, p)
change = p.total - base.total
if len(wf) > 2:
    moved = f"，排名升至第 {p.rank} 名" if p.rank is not None and p.rank < base.rank else ""
    title = f"推演总分 {p.total:.2f}，比基准 {change:+.2f} 分{moved}"
    fig = go.Figure(go.Waterfall(
        y=wf["label"], measure=wf["measure"], x=wf["value"], orientation="h", connector=dict(line=dict(color=ui.GREY)),
        increasing=dict(marker=dict(color=ui.GREEN)), decreasing=dict(marker=dict(color=ui.RED)),
        totals=dict(marker=dict(color=ui.BLUE)), textposition="outside", cliponaxis=False,
        text=[f"{v:.2f}" if m != "relative" else f"+{v:.2f}" for v, m in zip(wf["value"], wf["measure"])]))
    lo, hi = base.total, p.total
    fig.update_xaxes(range=[lo - max(1.0, (hi - lo) * 0.6), hi + max(0.8, (hi - lo) * 0.35)], title="总分")
    fig.update_yaxes(autorange="reversed")
    st.plotly_chart(ui.style(fig, title, height=140 + 38 * len(wf)), width="stretch", key="wi_waterfall")
else:
    st.info("在上方设定目标达标率或标记问题已整改，这里显示总分按测评项目的变化。")

st.divider()
whatif_view.plan_section(model, f.round_id, settings, text, load)
st.divider()
whatif_view.save_section(model, settings, text, load)
