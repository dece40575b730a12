"""The 排名 page's blocks that follow the office's rules: the red and low lists, the talk list (约谈), the weekly
points the office enters by hand, and the words for a change within a unit's own noise."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from campaign import analysis
from campaign.analysis import ranking_entries
from campaign.app import ui
from campaign.app.text import md


def _line(x, lr, word: str) -> str:
    """A unit on a list: by place, its place, index and change; by threshold, the value the list was decided on
    first, then its place in the index."""
    if lr.by_threshold and lr.on != "index":
        what = analysis.MEASURES.get(lr.on, lr.on)
        return f"**{md(x.unit)}**　{what} {lr.show(x.list_value)}　（综合指数第 {x.rank} 名，{x.total:.1f} 分）"
    change = analysis.change_with_noise(x.change, getattr(x, "steady", None))
    return f"**第 {x.rank} 名　{md(x.unit)}**　{x.total:.1f} 分　{change}"


def lists(out: analysis.Outcome, word: str) -> None:
    """Two boxes side by side: the red list, best first, and the low list, worst first; then who the rule left out."""
    ls = out.lists
    lr = ls.rule
    a, b = st.columns(2)
    for col, icon, name, rows in ((a, "🚩", lr.red_name, ls.red), (b, "🟨" if "黄" in lr.low_name else "⬛",
                                                                      lr.low_name, ls.low)):
        with col.container(border=True):
            st.markdown(f"#### {icon} {name}（{len(rows)}）")
            if rows.empty:
                st.markdown("本" + word + "无")
            for x in rows.itertuples():
                st.markdown(_line(x, lr, word))
    if ls.left_out:
        st.caption(f"本{word}{lr.left_out_because}、按规则不列入红黑榜：{md('、'.join(ls.left_out))}。")


def talks(out: analysis.Outcome, rules: analysis.IndexDef, word: str) -> None:
    """The talk list (约谈) when the office's file sets a talk rule."""
    if not rules.talks.active and out.talks.empty:
        return
    with st.container(border=True):
        parts = []
        if rules.talks.bottom:
            parts.append(f"末{rules.talks.bottom}名" if rules.talks.bottom > 1 else "末位")
        if rules.talks.weeks_on_low:
            parts.append(f"连续{rules.talks.weeks_on_low}{word}列入{out.lists.rule.low_name}")
        st.markdown(f"#### 🗣️ 约谈名单（{len(out.talks)}）")
        st.caption("约谈规则：" + "，或".join(parts) + "（见 data/ranking_index.yaml 的 talks）。")
        if out.talks.empty:
            st.markdown(f"本{word}无需约谈的单位。")
        for x in out.talks.itertuples():
            st.markdown(f"**{md(x.unit)}**：{md(x.reason)}")


def entries(rules: analysis.IndexDef, r: analysis.Ranking, f, kind: str) -> None:
    """The points the office enters each week (measure: entered): who entered what and when; an editor enters
    or corrects a unit's points for the week shown."""
    parts = rules.entered
    if not parts:
        return
    word = f.period_word
    names = "、".join(f"{p.name}（{p.weight:g}分）" for p in parts)
    with st.expander(f"创城办录入：{names}", expanded=bool(r.missing_entries)):
        if r.missing_entries:
            st.warning(f"本{word}尚未录入的{kind}：{md('、'.join(r.missing_entries))}。未录入的按其他单位的平均得分计。")
        done = ui.call(ranking_entries.current, unit=rules.unit, start=f.start, end=f.end)
        if len(done):
            st.dataframe(done.rename(columns={"unit": kind, "part": "录入项", "points": "得分", "entered_at": "录入时间",
                                              "entered_by": "录入人"}), hide_index=True, width="stretch",
                         column_config={"录入时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
        if f.by_range:
            st.caption("按日期区间查看时不能录入：录入的是一个周次的分数。")
            return
        if not ui.can("editor"):
            st.caption("录入分数需要创城办（编辑）权限。")
            return
        if st.session_state.pop("_entered", None):
            st.success("已保存。")
        with st.form("enter_points", border=False):
            unit = st.selectbox(kind, r.table["unit"].tolist() if len(r.table) else [], key="entry_unit")
            values = {p.name: st.number_input(f"{p.name}（0–{p.weight:g}分）", min_value=0.0, max_value=float(p.weight),
                                              value=None, step=0.5, key=f"entry_{p.name}") for p in parts}
            if st.form_submit_button(f"保存本{word}得分", icon=":material/save:"):
                rows = pd.DataFrame({"unit": unit, "part": list(values), "points": list(values.values())})
                user = ui.current_user()
                try:
                    n = ui.write(ranking_entries.enter, rules, f.start, f.end, rows, by=user.display or user.name)
                except ranking_entries.EntryError as exc:
                    st.error(str(exc))
                    return
                if n:
                    st.session_state["_entered"] = True
                    st.rerun()
                st.warning("没有填写得分。")
