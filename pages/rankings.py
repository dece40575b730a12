"""排名: streets and departments by a composite index the office defines, rank change, red and yellow flags."""
import pandas as pd
import streamlit as st

from campaign import analysis, figures, publish, ui
from campaign.config import load_office

f = ui.filters()
office = load_office()
st.title(f"排名 · {f.period_label}")
kind = st.segmented_control("排名对象", ["街道（镇）", "责任单位"], default="街道（镇）", key="rank_of",
                            bind="query-params") or "街道（镇）"
unit = "street" if kind == "街道（镇）" else "department"
try:
    index = analysis.load_index()[unit]
except analysis.IndexFileError as exc:
    st.error(f"排名指数文件有误：{exc}")
    st.stop()
word = f.period_word
r = ui.metric("analysis.ranking", unit=unit, spec=index.spec(), start=f.start, end=f.end, round_id=f.round_id,
              street=f.street, department=f.department, site_type=f.site_type, category=f.category,
              rebound_days=office.rebound_days)
parts = " + ".join(f"{p.name} {p.weight:g}" for p in index.parts)
other = f.department if unit == "street" else f.street
st.caption(f"{index.title}（满分 {index.full:g}）= {parts}。测评部分按{f.round_name}，其余按本{word}督查台账"
           f"{'（只计' + other + '的问题）' if other else ''}；变化为较上一{word}名次。指数的构成和分值在 "
           f"data/ranking_index.yaml 中，创城办可修改。")
t = r.table
if t.empty:
    st.info(f"本{word}没有可排名的{kind}。")
    st.stop()

pub = ui.metric("publish.latest", unit=unit, start=f.start, end=f.end)
blocked = publish.not_publishable(f)
if pub is not None and not blocked:  # a published week shows what was published; today's order only beside it
    r = publish.published_view(r, pub)
    t = r.table
red, yellow = analysis.red_yellow(t)
a, b = st.columns(2)
with a.container(border=True):
    st.markdown("#### 🚩 流动红旗")
    for x in red.itertuples():
        st.markdown(f"**第 {x.rank} 名　{x.unit}**　{x.total:.1f} 分　{analysis.change_label(x.change)}")
with b.container(border=True):
    st.markdown("#### 🟨 流动黄旗")
    for x in yellow.itertuples():
        st.markdown(f"**第 {x.rank} 名　{x.unit}**　{x.total:.1f} 分　{analysis.change_label(x.change)}")

with st.container(border=True):
    if pub is None:
        st.markdown(f"**本{word}{kind}排名尚未发布**：以上为按最新数据算出的排名。")
    else:
        st.markdown(f"**本{word}{kind}排名{publish.published_label(pub)}**，测评部分按{pub.round_name or '（无测评）'}。"
                    + ("以上红黄旗、名次和综合指数均为发布时的结果。" if r.published else ""))
        diff = [] if blocked else publish.changes_since(pub, r.live or r)
        if diff:
            st.warning("按最新数据，排名与已发布的不同：" + "；".join(diff[:5]) + ("等" if len(diff) > 5 else "")
                       + "。以已发布的为准；如需更新，请重新发布。")
    if st.session_state.pop("_published", None):
        st.success(f"已发布本{word}{kind}排名（第 {pub.version} 版）。")
    if ui.can("editor"):
        if st.button("发布本周排名" if pub is None else "重新发布本周排名", key="publish", disabled=blocked is not None,
                     icon=":material/campaign:", help="把现在的排名和红黄旗作为本周正式排名保存，供领导查看；"
                     "以后导入的数据不会改变已发布的内容，重新发布会保存为新的一版。"):
            user = ui.current_user()
            ui.write(publish.publish_ranking, r.live or r, f.start, f.end, round_name=f.round_name,
                     by=user.display or user.name)
            st.session_state["_published"] = True
            st.rerun()
        if blocked:
            st.caption(blocked)
    history = ui.query("publication_log")
    if len(history):
        with st.expander(f"发布记录（{len(history)} 次）"):
            st.dataframe(history.assign(unit_kind=history["unit_kind"].map({"street": "街道（镇）",
                                                                             "department": "责任单位"})).rename(
                columns={"unit_kind": "排名对象", "period_start": "起", "period_end": "止", "version": "版本",
                         "published_at": "发布时间", "published_by": "发布人", "round_name": "测评轮次",
                         "units": "单位数", "red": "流动红旗", "yellow": "流动黄旗"}), hide_index=True, width="stretch",
                column_config={"起": st.column_config.DateColumn(format="YYYY-MM-DD"),
                               "止": st.column_config.DateColumn(format="YYYY-MM-DD"),
                               "发布时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})

flags = {u: ui.RED for u in red["unit"]} | {u: ui.AMBER for u in yellow["unit"]}
fig = figures.hbars(t["unit"], t["total"], [flags.get(u, ui.GREY) for u in t["unit"]],
                    [f"{v:.1f}  {analysis.change_label(c)}" for v, c in zip(t["total"], t["change"])],
                    f"{index.title}（满分 {index.full:g}；↑↓ 为较上一{word}名次变化）", index.full * 1.12,
                    analysis.ranking_title(r, word), height=120 + 32 * len(t))
st.plotly_chart(fig, width="stretch", key="ranking")

measures = {"assessment_rate": ("测评达标率（%）", 100), "problem_density": ("每百点位问题数", 1),
            "on_time_rate": ("按期整改率（%）", 100), "rebound_rate": ("反弹率（%）", 100), "overdue": ("逾期数", 1),
            "median_days": ("整改天数中位数", 1), "problems": ("问题数", 1), "lost": ("测评失分", 1)}
table = t[["rank", "change", "unit", "total"] + [p.name for p in index.parts]].copy()
table["change"] = table["change"].map(analysis.change_label)
table = table.rename(columns={"rank": "排名", "change": f"较上{word}", "unit": kind, "total": "综合指数"} |
                     {p.name: f"{p.name}得分（{p.weight:g}）" for p in index.parts})
for col, (label, scale) in measures.items():
    if col == "problem_density" and unit != "street":
        continue
    table[label] = (t[col].astype(float) * scale).round(3 if col == "lost" else 1)
    if col == "assessment_rate":
        table["达标率较上轮（百分点）"] = ((t[col] - t["assessment_rate_before"]).astype(float) * 100).round(1)
if r.published is not None and r.live is not None:
    now_rank = r.live.table.set_index("unit")["rank"]
    table.insert(2, "按最新数据排名", pd.array(t["unit"].map(now_rank), dtype="Int64"))
table = table.round({c: 1 for c in table.columns if "得分" in c or c == "综合指数"})
st.dataframe(table, hide_index=True, width="stretch", height=min(40 + 35 * len(table), 760))
ui.excel_download(table, f"{kind}排名_{f.period_label}", key="dl_ranking")
if r.excluded:
    st.caption(f"本{word}既无督查问题、本轮也无测评记录，未参加排名：{'、'.join(r.excluded)}。")

st.subheader("下钻：单位的失分与问题")
name = st.selectbox(f"选择{kind}", t["unit"].tolist(), index=None, key="unit", bind="query-params",
                    placeholder=f"选一个{kind}，查看它本轮丢的分和本{word}的督查问题")
if name:
    row = t[t["unit"].eq(name)].iloc[0]
    st.markdown(f"**{name}**：第 {row['rank']} 名（{analysis.change_label(row.change)}），综合指数 {row.total:.1f}；"
                + "；".join(f"{p.name} {row[p.name]:.1f}/{p.weight:g}" for p in index.parts))
    left, right = st.columns([2, 3])
    with left:
        if f.round_id is not None:
            lost = ui.metric("analysis.unit_lost_by_standard", round_id=f.round_id, unit=unit, who=name)
            st.markdown(f"**{f.round_name}失分 {lost['lost'].sum():.3f} 分**（谁丢分谁负责）")
            lt = lost.assign(lost=lost["lost"].round(3), rate=(lost["rate"] * 100).round(1)).rename(columns={
                "standard_code": "编码", "name": "测评标准", "lost": "失分", "rate": "全区达标率（%）"})[
                ["编码", "测评标准", "失分", "全区达标率（%）"]]
            st.dataframe(lt, hide_index=True, width="stretch", height=320)
            ui.excel_download(lt, f"{name}_测评失分", key="dl_unit_lost")
    with right:
        pp = {**f.params(), "street": name, "department": f.department} if unit == "street" else \
            {**f.params(), "department": name, "street": f.street}
        rows = ui.query("problem_rows", **pp)
        total = int(rows["total_rows"].iloc[0]) if len(rows) else 0
        st.markdown(f"**本{word}督查问题 {total:,} 条**" + (f"（显示最新 {len(rows)} 条）" if total > len(rows) else ""))
        pt = rows.rename(columns={"problem_id": "问题编号", "found_on": "发现日期", "street": "街道（镇）",
                                  "department": "责任单位", "site": "点位", "category": "问题类别",
                                  "description": "问题描述", "card": "督办卡", "status": "状态"})[
            ["问题编号", "发现日期", "街道（镇）", "责任单位", "点位", "问题类别", "问题描述", "督办卡", "状态"]]
        st.dataframe(pt, hide_index=True, width="stretch", height=320,
                     column_config={"发现日期": st.column_config.DateColumn(format="YYYY-MM-DD")})
        ui.excel_download(pt, f"{name}_督查问题", key="dl_unit_problems")
