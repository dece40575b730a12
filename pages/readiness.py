"""迎检: the odds of reaching the target score and rank at the next assessment, the sites most likely sampled and
marked down (table and map), the standards carrying the risk, and how well the forecast did on past rounds."""
import streamlit as st

from campaign import analysis, forecast
from campaign.analysis import metrics
from campaign.app import ui
from campaign.config import load_office
from campaign.forecast import charts

ui.require("viewer")  # the page's first call: through the entry and the sign-in
office = load_office()
st.title("迎检预测 · 下次测评的把握")
rounds = ui.call(metrics.round_scores)
if rounds.empty:
    st.info("尚无测评数据：导入模拟测评结果后，这里按历次测评和督查台账估计下次测评的把握和最可能失分的点位。")
    st.stop()

c = st.columns([1, 1, 3])
target = c[0].number_input("目标总分", 0.0, 200.0, float(office.target_total), 0.5, format="%.1f", key="rd_score")
rank = c[1].number_input("目标名次（同组）", 1, 100, int(office.target_rank), key="rd_rank")
stamp = forecast.rule_stamp()
try:
    fc = ui.call(forecast.page_forecast, target_score=float(target), target_rank=int(rank), stamp=stamp)
except forecast.ForecastError as exc:
    st.error(str(exc))
    st.stop()

st.markdown(f"#### {fc.headline()}")
m = st.columns(5 if fc.p_minors_gate is not None else 4)
m[0].metric(f"达到 {fc.target_score:g} 分的把握", forecast.pct(fc.p_target_score))
if fc.p_target_rank is not None:
    m[1].metric(f"{'第 1 名' if fc.target_rank == 1 else f'前 {fc.target_rank} 名'}的把握", forecast.pct(fc.p_target_rank),
                f"目前第 {fc.current_rank} 名" if fc.current_rank else None, delta_color="off", delta_arrow="off")
m[2].metric("预计总分（中位数）", f"{fc.quantiles[0.5]:.1f}", f"80% 区间 {fc.interval[0]:.1f}–{fc.interval[1]:.1f}",
            delta_color="off", delta_arrow="off")
last = rounds.iloc[-1]
m[3].metric("上轮总分", f"{last.total:.2f}", analysis.short_round(last.round_name), delta_color="off", delta_arrow="off")
if fc.p_minors_gate is not None:
    m[4].metric("未成年人过线把握", forecast.pct(fc.p_minors_gate),
                f"预计 {fc.minors_median:.1f} 分（线 {fc.minors_gate:g}）", delta_color="off", delta_arrow="off",
                help=f"未成年人思想道德建设测评达到 {fc.minors_gate:g} 分申报线的把握")
backtest_line = st.empty()  # filled last: the forecast shows while the past rounds are predicted again
for w in fc.warnings:
    st.warning(w)

fig = charts.fan_chart([analysis.short_round(n) for n in rounds["round_name"]], rounds["total"], fc)
st.plotly_chart(fig, width="stretch", key="rd_fan")

# --- sites -----------------------------------------------------------------------------------------------
st.subheader("最可能被抽到且失分的点位")
f = ui.filters()
n = st.segmented_control("显示", [20, 50, 100], default=20, format_func=lambda k: f"前 {k} 个", key="rd_n") or 20
sites = forecast.risk_sites(fc, int(n), street=f.street, site_type=f.site_type, department=f.department)
table = forecast.risk_table(sites)
st.dataframe(table, hide_index=True, width="stretch", height=38 + 35 * min(len(table), 12),
             column_config={"被抽到的概率": st.column_config.NumberColumn(format="percent"),
                            "预计失分": st.column_config.NumberColumn(format="%.3f"),
                            "被抽到时预计失分": st.column_config.NumberColumn(format="%.3f"),
                            "预计不达标标准数": st.column_config.NumberColumn(format="%.1f")})
st.caption("预计失分 = 被抽到的概率 × 被抽到时预计失去的分数（各标准不达标的概率 × 该标准的分值 ÷ 预计观测数）；"
           "侧边栏的街道、责任单位、点位类型筛选作用于本表和地图。")
ui.excel_download(forecast.risk_table(forecast.risk_sites(fc, len(fc.sites))), "迎检风险点位", key="rd_dl")
outlines, why = charts.street_outlines(forecast.load_rule())
st.plotly_chart(charts.risk_map(sites, outlines), width="stretch", key="rd_map")
missing = int(sites["lon"].isna().sum())
if why:
    st.caption(why)
if missing:
    st.caption(f"{missing} 个点位没有经度、纬度，未画在图上（导入带“经度”“纬度”列的督查台账后显示）。")

# --- standards -----------------------------------------------------------------------------------------------
std = forecast.risk_standards(fc, 10)
st.plotly_chart(charts.risk_standards_chart(std, float(fc.standards["exp_lost"].sum())), width="stretch",
                key="rd_std")

with backtest_line, st.spinner("回测：按过去几轮测评前的数据重新预测，与实际得分比较……"):
    bt = ui.call(forecast.page_backtest, target_score=float(target), stamp=stamp)
backtest_line.info(f"回测：{bt.line()}", icon=":material/fact_check:")
with st.expander("回测明细与模型说明"):
    st.dataframe(forecast.backtest_table(bt), hide_index=True, width="stretch")
    st.markdown(forecast.help_text(fc))
