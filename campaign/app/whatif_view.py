"""推演 page, lower half: the cheapest plan (from the user's settings, with owners and dates, as Excel) and
saving, comparing and sharing scenarios (an existing name is replaced only when confirmed)."""
from __future__ import annotations

from datetime import date

import streamlit as st

from campaign import forecast, whatif
from campaign.app import ui
from campaign.forecast.plan import odds_plan
from campaign.whatif import plan as wp
from campaign.config import load_office


def plan_section(model: whatif.Model, round_id: int, settings: list[whatif.Setting], text: str, load) -> None:
    ss = st.session_state
    office = load_office()
    st.subheader("最省方案：达到目标至少要改什么")
    if settings:
        st.markdown(f"**方案从您设定的达标率出发**：{wp.scenario_words(text, model)}（推演总分 "
                    f"{whatif.project(model, settings).total:.2f}）；只列出在此之外还要做的整改。")
    else:
        st.caption("方案从本轮测评的实际达标率出发；在上方设定目标达标率后，方案从您设定的达标率出发。")
    ranked = model.baseline.ranked
    with st.form("wi_opt"):
        c = st.columns([2, 2, 2, 2, 2])
        kind = c[0].radio("目标", ["目标名次", "目标总分"] if ranked else ["目标总分"], horizontal=True)
        rank = c[1].number_input("目标名次", 1, ranked or 1, min(office.target_rank, ranked or 1), disabled=not ranked)
        score = c[2].number_input("目标总分", 0.0, 200.0, float(office.target_total), 0.5, format="%.2f")
        most = c[3].number_input("最多整改项数（0 为不限）", 0, 1000, 0)
        sure = c[4].number_input("下次测评的把握不低于（%，0 为按本轮）", 0, 99, 0, 5,
                                 help="如 80：求下次测评“达到目标的把握 ≥ 80%”的最省方案（按迎检预测模型，"
                                      "从本轮实际达标率出发）")
        if st.form_submit_button("求最省方案", type="primary"):
            ss.wi_plan_req = dict(round_id=round_id, max_actions=int(most) or None,
                                  target_rank=int(rank) if kind == "目标名次" else None,
                                  target_total=float(score) if kind == "目标总分" else None, sure=int(sure))
    req = ss.get("wi_plan_req")
    if not req or req["round_id"] != round_id:
        return
    ask = {k: v for k, v in req.items() if k != "sure"}
    if req.get("sure"):  # odds at the next assessment (readiness forecast), from the round as assessed
        op = ui.call(odds_plan, probability=req["sure"] / 100, target_score=req["target_total"],
                     target_rank=req["target_rank"], max_actions=req["max_actions"], stamp=forecast.rule_stamp(),
                     effort_stamp=whatif.effort_stamp())
        ap, message = wp.ActionPlan(op.plan, [], model.baseline.total, model.baseline.total), op.message
    else:
        ap = ui.call(wp.plan_for, **ask, scenario=text, effort_stamp=whatif.effort_stamp())
        message = ap.message
    plan = ap.plan
    (st.success if plan.status in ("optimal", "met") else st.warning)(message)
    if not len(plan.actions):
        return
    today = date.today()
    table = wp.action_table(model, ap, today, office.next_assessment)
    note = wp.calendar_note(today, office.next_assessment)
    late = int(table["备注"].ne("").sum())
    st.caption(("按责任单位汇总（共 {} 项，HiGHS 求解，已证明为该模型下工作量最小）".format(len(table))
                if plan.status == "optimal" else "按责任单位汇总") + "。" + note)
    if late:
        st.warning(f"{late} 项整改在下次测评前做不完（见“备注”）：需提前部署或加派力量。")
    st.dataframe(whatif.plan_by_department(plan), hide_index=True, width="stretch")
    unit = f"工作量（{plan.effort_unit}）"
    st.dataframe(table, hide_index=True, width="stretch", height=min(420, 35 * (len(table) + 1) + 3),
                 column_config={"序号": st.column_config.NumberColumn(width="small"),
                                "整改项": st.column_config.TextColumn(width="large"),
                                "当前达标率": st.column_config.NumberColumn(format="%.1f%%"),
                                "目标达标率": st.column_config.NumberColumn(format="%.1f%%"),
                                unit: st.column_config.NumberColumn(format="%.1f"),
                                "完成时限": st.column_config.DateColumn(format="YYYY-MM-DD")})
    row = st.container(horizontal=True)
    row.download_button("下载方案（Excel）", wp.workbook(model, ap, table, note),
                         file_name=f"最省方案_{model.round_name}_{today:%Y%m%d}.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         icon=":material/download:", on_click="ignore")
    row.button("把方案载入上面的推演", on_click=load, args=(whatif.format_scenario(ap.settings),))


def _save(name: str, settings, replace: bool) -> None:
    user = ui.current_user()
    ui.write(wp.save, name, settings, by=user.display or user.name, replace=replace)
    st.session_state.pop("wi_overwrite", None)
    st.success(f"已保存方案“{name.strip()}”")


def save_section(model: whatif.Model, settings: list[whatif.Setting], text: str, load) -> None:
    ss = st.session_state
    st.subheader("保存、比较与分享")
    s1, s2 = st.columns(2)
    with s1:
        if not ui.can("editor"):
            st.caption("保存方案需要“创城办”权限；可把下方的分享链接发给创城办保存。")
        else:
            with st.form("wi_save", clear_on_submit=True):
                name = st.text_input("方案名称", placeholder="如：农贸市场攻坚")
                if st.form_submit_button("保存当前设定"):
                    try:
                        _save(name, settings, replace=False)
                    except wp.ScenarioExists as exc:
                        ss.wi_overwrite = dict(name=name.strip(), text=text, message=str(exc))
                    except whatif.WhatIfError as exc:
                        st.error(str(exc))
            pending = ss.get("wi_overwrite")
            if pending:
                st.warning(f"{pending['message']}。要用当前设定（{wp.scenario_words(pending['text'], model)}）"
                           "覆盖它吗？")
                b = st.container(horizontal=True)
                if b.button("覆盖", type="primary", key="wi_overwrite_yes"):
                    _save(pending["name"], pending["text"], replace=True)
                    st.rerun()
                if b.button("取消", key="wi_overwrite_no"):
                    ss.pop("wi_overwrite", None)
                    st.rerun()
    saved = ui.call(whatif.scenarios)
    texts = dict(zip(saved["name"], saved["text"]))
    with s2:
        pick = st.selectbox("已保存的方案", list(texts), index=None, placeholder="选择一个方案载入")
        if pick is not None:
            st.caption(f"设定：{wp.scenario_words(texts[pick], model)}")
        st.button("载入", on_click=load, args=(texts.get(pick, ""),), disabled=pick is None)
        st.markdown("**分享链接**（打开即看到同样的设定）")
        st.code(f"{(st.context.url or '').split('?')[0]}{whatif.share_query(st.query_params.to_dict(), settings)}",
                language=None, wrap_lines=True)
    if len(saved):
        st.dataframe(wp.saved_table(saved, model), hide_index=True, width="stretch",
                     column_config={"设定": st.column_config.TextColumn(width="large")})
    chosen = st.multiselect("并排比较", list(texts), default=list(texts)[:2], placeholder="选择已保存的方案")
    st.dataframe(wp.compare_table(model, {"当前设定": text, **{n: texts[n] for n in chosen}}),
                 hide_index=True, width="stretch")
