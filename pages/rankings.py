"""排名: streets, departments, 包保单位 and communities by the office's rules (composite index, red and yellow or
black lists by place or by threshold, talks), rank change weighed against each unit's own noise."""
import pandas as pd
import streamlit as st

from campaign import analysis
from campaign.analysis import figures, ranking_rules
from campaign.app import rankings_view as view
from campaign.app import ui
from campaign.config import load_office
from campaign.outputs import publish

f = ui.filters()
office = load_office()
st.title(f"排名 · {f.period_label}")
try:
    rules_all = analysis.load_index()
except analysis.IndexFileError as exc:
    st.error(f"排名指数文件有误：{exc}")
    st.stop()
labels = {u: analysis.UNITS[u] for u in rules_all}
kind = st.segmented_control("排名对象", list(labels.values()), default="街道（镇）", key="rank_of",
                            bind="query-params") or "街道（镇）"
unit = next((u for u, v in labels.items() if v == kind), "street")
index = rules_all[unit]
word = f.period_word
r = ui.call(analysis.ranking, unit=unit, spec=index.spec(), start=f.start, end=f.end, round_id=f.round_id,
              street=f.street, department=f.department, site_type=f.site_type, category=f.category,
              rebound_days=office.rebound_days, fair=index.fair.spec())
parts = " + ".join(f"{p.name} {p.weight:g}" for p in index.parts)
other = f.department if unit != "department" else f.street
st.caption(f"{index.title}（满分 {index.full:g}）= {parts}。测评部分按{f.round_name}，其余按本{word}督查台账"
           f"{'（只计' + other + '的问题）' if other else ''}；变化为较上一{word}名次。分榜规则：{index.lists.describe()}。"
           f"指数的构成、分值和分榜规则在 data/ranking_index.yaml 中，创城办可修改。")
t = r.table
if t.empty:
    st.info(f"本{word}没有可排名的{kind}" + ("：督查台账没有“所属社区”一列，或本期的问题都没有填写社区。" if unit == "community"
                                      else "。"))
    view.entries(index, r, f, kind)
    st.stop()

pub = ui.call(publish.latest, unit=unit, start=f.start, end=f.end)
blocked = publish.not_publishable(f)
if pub is not None and not blocked:  # a published week shows what was published; today's order only beside it
    r = publish.published_view(r, pub)
    t = r.table
out = analysis.outcome(r, index, word)
red, yellow = out.lists.red, out.lists.low
view.lists(out, word)
view.talks(out, index, word)

with st.container(border=True):
    if pub is None:
        st.markdown(f"**本{word}{kind}排名尚未发布**：以上为按最新数据算出的排名。")
    else:
        st.markdown(f"**本{word}{kind}排名{publish.published_label(pub)}**，测评部分按{pub.round_name or '（无测评）'}。"
                    + ("以上红黑榜、约谈名单、名次和综合指数均为发布时的结果。" if r.published else ""))
        diff = [] if blocked else publish.changes_since(pub, r.live or r, index)
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
                     by=user.display or user.name, rules=index)
            st.session_state["_published"] = True
            st.rerun()
        if blocked:
            st.caption(blocked)
    history = ui.query("publication_log")
    if len(history):
        with st.expander(f"发布记录（{len(history)} 次）"):
            st.dataframe(history.assign(unit_kind=history["unit_kind"].map(analysis.UNITS)).rename(
                columns={"unit_kind": "排名对象", "period_start": "起", "period_end": "止", "version": "版本",
                         "published_at": "发布时间", "published_by": "发布人", "round_name": "测评轮次",
                         "units": "单位数", "red": "红榜（红旗）", "yellow": "黄榜、黑榜（黄旗）"}), hide_index=True,
                width="stretch",
                column_config={"起": st.column_config.DateColumn(format="YYYY-MM-DD"),
                               "止": st.column_config.DateColumn(format="YYYY-MM-DD"),
                               "发布时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})

low_colour = ui.AMBER if "黄" in out.lists.rule.low_name else "#374151"
flags = {u: ui.RED for u in red["unit"]} | {u: low_colour for u in yellow["unit"]}
steady = t["steady"] if "steady" in t else pd.Series(pd.NA, index=t.index)
fig = figures.hbars(t["unit"], t["total"], [flags.get(u, ui.GREY) for u in t["unit"]],
                    [f"{v:.1f}  {analysis.change_with_noise(c, s)}" for v, c, s in zip(t["total"], t["change"],
                                                                                         steady)],
                    f"{index.title}（满分 {index.full:g}；↑↓ 为较上一{word}名次变化）", index.full * 1.22,
                    analysis.ranking_title(r, word), height=120 + 32 * len(t))
st.plotly_chart(fig, width="stretch", key="ranking")
lo_, _ = analysis.steady_units(r)
if lo_:
    st.caption(f"{'、'.join(lo_)}名次下降，但综合指数的变化在其正常波动范围内（按本{word}和上{word}的问题、巡查点次"
               f"重抽样，{index.fair.level:.0%} 区间），不作退位评价；“正常波动”的标注同此。")
view.entries(index, r, f, kind)

measures = {"assessment_rate": ("测评达标率（%）", 100), "problem_density": ("每百点位问题数", 1),
            "site_pass_rate": ("点位达标率（%）", 100), "fix_rate": ("整改率（%）", 100),
            "on_time_rate": ("按期整改率（%）", 100), "rebound_rate": ("反弹率（%）", 100), "overdue": ("逾期数", 1),
            "median_days": ("整改天数中位数", 1), "problems": ("问题数", 1), "lost": ("测评失分", 1)}
table = t[["rank", "change", "unit", "total"] + [p.name for p in index.parts]].copy()
table["change"] = table["change"].map(analysis.change_label)
table = table.rename(columns={"rank": "排名", "change": f"较上{word}", "unit": kind, "total": "综合指数"} |
                     {p.name: f"{p.name}得分（{p.weight:g}）" for p in index.parts})
table["指数较上" + word] = t["delta"].astype(float).round(1) if "delta" in t else None
table["变化判断"] = [analysis.judgement(c, s) for c, s in zip(t["change"], steady)]
table["红黑榜"] = [{"red": out.lists.rule.red_name, "yellow": out.lists.rule.low_name}.get(x, "")
                for x in ranking_rules.flags(t, out.lists)]
for col, (label, scale) in measures.items():
    if col not in t or (col in analysis.VISIT_MEASURES and unit not in analysis.VISIT_UNITS) \
            or t[col].isna().all() and col in ("assessment_rate", "lost"):
        continue
    table[label] = (t[col].astype(float) * scale).round(3 if col == "lost" else 1)
    if col == "assessment_rate" and "assessment_rate_before" in t:
        table["达标率较上轮（百分点）"] = ((t[col] - t["assessment_rate_before"]).astype(float) * 100).round(1)
if r.published is not None and r.live is not None:
    now_rank = r.live.table.set_index("unit")["rank"]
    table.insert(2, "按最新数据排名", pd.array(t["unit"].map(now_rank), dtype="Int64"))
table = table.round({c: 1 for c in table.columns if "得分" in c or c == "综合指数"})
st.dataframe(table, hide_index=True, width="stretch", height=min(40 + 35 * len(table), 760))
ui.excel_download(table, f"{kind}排名_{f.period_label}", key="dl_ranking")
if r.excluded:
    st.caption(f"本{word}既无督查问题、本轮也无测评记录，未参加排名：{'、'.join(r.excluded)}。")

if unit not in ("street", "department"):
    st.stop()
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
            lost = ui.call(analysis.unit_lost_by_standard, round_id=f.round_id, unit=unit, who=name)
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
