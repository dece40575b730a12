"""得分趋势 page: the negative-list risk register (负面清单风险台账) and the office's form to report an event."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from campaign.analysis import negatives
from campaign.app import ui


def register(asof: date) -> None:
    st.subheader("负面清单风险台账")
    reg = ui.call(negatives.register, asof=asof)
    if reg.empty:
        st.info("测评体系中没有负面清单事项。")
        return
    exposed = reg[reg["exposed"]]
    if len(exposed):
        fails = exposed[~exposed["sanction"].str.startswith("扣")]
        st.error(f"截至 {asof:%Y-%m-%d}，{len(exposed)} 项负面清单事项在计入期限内发生："
                 + "、".join(f"{r.code}（{r.sanction}）" for r in exposed.itertuples())
                 + ("。其中" + "、".join(fails["code"]) + "将使测评不合格。" if len(fails) else "。"))
    else:
        st.success(f"截至 {asof:%Y-%m-%d}，负面清单各项在计入期限内均未发生。")
    table = reg.rename(columns={"code": "编码", "name": "事项", "sanction": "处理", "window_months": "计入期限（月）",
                                "owner": "责任单位", "applying": "申报前发生", "events": "期内次数", "last": "最近发生",
                                "units": "涉及单位", "status": "状态"})
    table["最近发生"] = pd.to_datetime(table["最近发生"])
    order = ["编码", "事项", "状态", "处理", "责任单位", "最近发生", "涉及单位", "期内次数", "计入期限（月）", "申报前发生"]
    st.dataframe(table[order], hide_index=True, width="stretch",
                 column_config={"最近发生": st.column_config.DateColumn(format="YYYY-MM-DD"),
                                "事项": st.column_config.TextColumn(width="large"),
                                "状态": st.column_config.TextColumn(width="large")})
    ui.excel_download(table.drop(columns=["exposed"]), "负面清单风险台账", key="dl_negative")
    with st.expander("登记负面清单事件（报送台账可在“数据导入”页整表导入）"):
        events = ui.query("negative_event_list")
        if len(events):
            texts = ["unit", "note", "info_source", "reporter", "entered_by"]
            events = events.assign(**{c: events[c].fillna("") for c in texts},
                                   import_id=[f"第 {int(v)} 次" if pd.notna(v) else "" for v in events["import_id"]])
            st.dataframe(events.rename(columns={"source": "方式", "code": "编码", "name": "事项", "occurred_on": "发生日期",
                                                "unit": "涉及单位", "note": "情况说明", "info_source": "来源",
                                                "reporter": "报送人", "entered_at": "登记时间", "entered_by": "登记人",
                                                "import_id": "导入编号"}).drop(columns=["report_id", "round_id"]),
                         hide_index=True, width="stretch",
                         column_config={"发生日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
                                        "登记时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
        if not ui.can("editor"):
            st.caption("登记事件需要创城办（编辑）权限。")
            return
        if st.session_state.pop("_reported", None):
            st.success("已登记，各轮测评得分已按计入期限重新计算。")
        with st.form("negative_report", border=False):
            labels = {f"{r.code} {r.name}": r.code for r in reg.sort_values("code").itertuples()}
            item = st.selectbox("负面清单事项", list(labels), key="neg_item")
            when = st.date_input("发生日期", value=None, max_value=date.today(), key="neg_date")
            unit = st.text_input("涉及单位（街道或部门）", key="neg_unit")
            note = st.text_area("情况说明", key="neg_note", max_chars=500)
            if st.form_submit_button("登记", icon=":material/report:"):
                user = ui.current_user()
                try:
                    ui.write(negatives.report, labels[item], when, unit, note, by=user.display or user.name)
                except negatives.ReportError as exc:
                    st.error(str(exc))
                    return
                st.session_state["_reported"] = True
                st.rerun()
