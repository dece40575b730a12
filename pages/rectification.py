"""整改: open, overdue, on-time closure and days to close by department and street; the overdue list."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaign import analysis
from campaign.app import ui
from campaign.config import load_office

CARD = {"红": "🟥 红", "黄": "🟨 黄", "白": "⬜ 白"}  # the card's colour at a glance

f = ui.filters()
office = load_office()
word = f.period_word
st.title(f"整改 · {f.period_label}")
st.caption(f"未整改、逾期为截至 {f.end:%Y年%m月%d日}的状态；与上一{word}（{f.prev_start:%m月%d日}至{f.prev_end:%m月%d日}）比较。"
           "逾期 = 已过整改时限仍未整改完成；按期整改率 = 整改时限在本期内的问题中按期完成的比例。")

p = {**f.params(), "rebound_days": office.rebound_days}
now = ui.query("period_indicators", **p).iloc[0]
before = ui.query("period_indicators", **{**p, "start": f.prev_start, "end": f.prev_end}).iloc[0]


def delta(col: str, digits: int = 0, scale: float = 1.0, unit: str = ""):
    if pd.isna(now[col]) or pd.isna(before[col]) or now[col] == before[col]:
        return None
    return ui.fmt_delta(float(now[col] - before[col]) * scale, digits, unit)


c = st.columns(6)
c[0].metric("期末未整改", f"{int(now.open_at_end):,}", delta("open_at_end"), delta_color="inverse")
c[1].metric("逾期未整改", f"{int(now.overdue_at_end):,}", delta("overdue_at_end"), delta_color="inverse")
c[2].metric("按期整改率", "—" if pd.isna(now.on_time_rate) else f"{now.on_time_rate:.1%}",
            delta("on_time_rate", 1, 100, " 个百分点"))
c[3].metric("整改天数中位数", "—" if pd.isna(now.median_days) else f"{now.median_days:g} 天",
            delta("median_days", 1, unit=" 天"), delta_color="inverse", help="本期整改完成的黄卡、红卡问题，从发现到整改完成")
c[4].metric(f"本{word}整改完成", f"{int(now.closed):,}", delta("closed"))
c[5].metric(f"本{word}反弹", f"{int(now.rebounds):,}", delta("rebounds"), delta_color="inverse",
            help=f"同一点位、同一类别在整改完成后 {office.rebound_days} 天内再次出现")
if now.due_unknown > 0:
    st.caption(f"另有 {int(now.due_unknown):,} 条已整改问题无完成日期，未计入按期率。")


def by_unit(unit: str) -> pd.DataFrame:
    q = dict(p, unit=unit, periods=2)
    if unit == "street":
        q["street"] = None
    else:
        q["department"] = None
    m = analysis.with_rates(ui.query("unit_ledger_measures", **q))
    cur = m[m["k"].eq(0)].set_index("unit")
    prev = m[m["k"].eq(1)].set_index("unit")
    cur = cur.assign(overdue_change=cur["overdue"] - prev["overdue"].reindex(cur.index))
    return cur[(cur[["problems", "open", "due", "closed"]].sum(axis=1) > 0)].reset_index()


def whole(s: pd.Series) -> pd.Series:
    """Counts as whole problems (a problem of several units counts for each by its share: unit_attribution)."""
    return s.round().astype("Int64")


label = {"street": "街道（镇）", "department": "责任单位"}
tables = {u: by_unit(u) for u in ("department", "street")}
cols = st.columns(2)
for col, (unit, m) in zip(cols, tables.items()):
    top = m.sort_values(["overdue", "open", "unit"], ascending=[False, False, True]).head(10)
    with col:
        if top.empty or top["overdue"].max() == 0:
            st.info(f"截至{f.end:%m月%d日}各{label[unit]}均无逾期问题。")
            continue
        w = top.iloc[0]
        title = f"{w.unit}逾期最多（{int(round(w.overdue))} 条）"
        shown = top.iloc[::-1]
        fig = go.Figure(go.Bar(
            x=shown["overdue"], y=shown["unit"], orientation="h",
            marker_color=[ui.RED if u == w.unit else ui.GREY for u in shown["unit"]],
            text=[f"{int(round(o))} 条 · 按期 {r:.0%}" if pd.notna(r) else f"{int(round(o))} 条" for o, r in
                  zip(shown["overdue"], shown["on_time_rate"])],
            textposition="outside", textfont=dict(size=16), cliponaxis=False))
        fig.update_xaxes(title=f"逾期未整改（条）· 本{word}按期整改率", range=[0, float(top["overdue"].max()) * 1.6])
        st.plotly_chart(ui.style(fig, title, height=460), width="stretch", key=f"overdue_{unit}")

tabs = st.tabs([f"按{label[u]}" for u in tables])
for tab, (unit, m) in zip(tabs, tables.items()):
    t = pd.DataFrame({
        label[unit]: m["unit"], "发现问题": whole(m["problems"]), "整改完成": whole(m["closed"]),
        "期末未整改": whole(m["open"]), "逾期未整改": whole(m["overdue"]), f"逾期较上{word}": whole(m["overdue_change"]),
        "到期问题": whole(m["due"]), "按期完成": whole(m["due_on_time"]),
        "按期整改率（%）": (m["on_time_rate"] * 100).round(1), "整改天数中位数": m["median_days"],
        "反弹": whole(m["rebounds"]),
    }).sort_values(["逾期未整改", "期末未整改"], ascending=False, ignore_index=True)
    with tab:
        st.dataframe(t, hide_index=True, width="stretch", height=min(40 + 35 * len(t), 560))
        ui.excel_download(t, f"整改情况_按{label[unit]}_{f.period_label}", key=f"dl_by_{unit}")

od = ui.query("overdue_problems", **p)
total = int(od["total_rows"].iloc[0]) if len(od) else 0
if od.empty:
    st.subheader("逾期清单 · 无")
    st.success(f"截至{f.end:%m月%d日}没有逾期未整改的问题。")
    st.stop()
st.subheader(f"逾期清单 · {total:,} 条，最长逾期 {int(od['days_overdue'].iloc[0])} 天")
cards = od["card"].value_counts()
st.caption("按逾期天数从长到短；督办卡颜色：" + "，".join(f"{k}卡 {int(cards.get(k, 0))} 条" for k in ("红", "黄", "白"))
           + (f"。共 {total:,} 条，这里和下载只含逾期最久的 {len(od)} 条。" if total > len(od) else "。"))
ot = od.rename(columns={"problem_id": "问题编号", "days_overdue": "逾期天数", "card": "督办卡", "found_on": "发现日期",
                        "deadline": "整改时限", "street": "街道（镇）", "department": "责任单位", "site": "点位",
                        "category": "问题类别", "description": "问题描述", "status": "状态"})[
    ["问题编号", "逾期天数", "督办卡", "发现日期", "整改时限", "街道（镇）", "责任单位", "点位", "问题类别", "问题描述", "状态"]]
st.dataframe(ot.assign(督办卡=ot["督办卡"].map(lambda c: CARD.get(c, c))), hide_index=True, width="stretch",
             height=420, column_config={"发现日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
                                        "整改时限": st.column_config.DateColumn(format="YYYY-MM-DD")})
ui.excel_download(ot, f"逾期清单_{f.period_label}", key="dl_overdue")
