"""问题查询: one problem's whole story — found by the ledger's own number, the site or the description; every field,
its status across imports, card, deadline, days open, photos and earlier problems at the same site. The address
(?id=…) can be shared."""
from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from campaign.app import ui
from campaign.app.text import md
from campaign.config import load_office

FIELDS = [("ledger_no", "台账编号"), ("problem_id", "系统编号"), ("found_on", "发现日期"), ("street", "属地街道"),
          ("community", "社区"), ("site", "点位"), ("site_type", "点位类型"), ("address", "地址"),
          ("category", "问题类别"), ("subcategory", "小类"), ("standard_code", "测评标准"), ("description", "问题描述"),
          ("source", "问题来源"), ("department", "责任单位"), ("lead_department", "牵头单位"),
          ("responsible_units", "全部责任单位"), ("deduction", "扣分"), ("card", "督办卡"), ("deadline", "整改时限"),
          ("deadline_at", "整改时限（含时刻）"), ("status", "整改状态"), ("closed_on", "整改完成日期"),
          ("result", "测评情况"), ("rebound", "文件标明反弹"), ("reported_overdue", "文件标明超时"),
          ("extensions", "延期次数"), ("reworks", "返工次数"), ("note", "备注")]


def shown(v) -> str:
    if isinstance(v, (list, tuple, np.ndarray)):
        return "、".join(map(str, v))
    if v is None or pd.isna(v):
        return ""
    if isinstance(v, pd.Timestamp):
        return f"{v:%Y-%m-%d %H:%M}" if (v.hour or v.minute) else f"{v:%Y-%m-%d}"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}"
    return str(v)


ui.require("viewer")
st.title("问题查询")
pid = st.query_params.get("id")
q = st.text_input("查找问题", value=st.query_params.get("q", ""), key="problem_q",
                  placeholder="台账编号（问题编号、任务号、工单编号）、点位或问题描述中的字词，回车查找")
if q and q != st.query_params.get("q"):
    st.query_params.update({"q": q})
    st.query_params.pop("id", None)
    pid = None

if not pid:
    if not q:
        st.caption("输入至少 2 个字。找到后点“查看”，可看到问题的全部信息和每次导入后的状态；页面地址可发给同事。")
        st.stop()
    hits = ui.query("problem_search", q=q)
    total = int(hits["total_rows"].iat[0]) if len(hits) else 0
    if total == 0:
        st.info(f"没有找到与「{md(q)}」相符的问题。")
        st.stop()
    if total == 1:  # the one match opens itself, at an address that names it
        pid = str(hits["problem_id"].iat[0])
        st.query_params["id"] = pid
    else:
        st.markdown(f"找到 **{total:,}** 个问题" + (f"，显示最新的 {len(hits)} 个" if total > len(hits) else "") + "：")
        for r in hits.itertuples():
            c = st.columns([2, 1.3, 5, 1.2], vertical_alignment="center")
            c[0].markdown(f"**{md(r.ledger_no or r.problem_id)}**")
            c[1].caption(f"{r.found_on:%Y-%m-%d}　{md(r.status)}")
            c[2].markdown(f"{md(r.street or '')} {md(r.site or '')}：{md(r.description or '')}")
            c[3].page_link("pages/problem.py", label="查看", query_params={"id": r.problem_id, "q": q})
        st.stop()

today = date.today()
detail = ui.query("problem_detail", problem_id=pid, today=today)
if detail.empty:
    st.warning(f"没有编号为「{md(pid)}」的问题（可能已随撤销的导入删除）。")
    st.stop()
p = detail.iloc[0]
number = p["ledger_no"] if isinstance(p["ledger_no"], str) and p["ledger_no"] else p["problem_id"]
st.subheader(f"{number}　{p['site'] or ''}")
st.markdown(md(p["description"] or ""))
days = p["days_open"]
facts = [("整改状态", shown(p["status"])), ("督办卡", shown(p["card"]) or "—"),
         ("整改时限", (shown(p["deadline_at"]) or shown(p["deadline"]) or "未定")
          + ("（已逾期）" if bool(p["overdue_now"]) else "")),
         ("已整改用时" if p["is_closed"] else "已过天数", f"{int(days)} 天" if pd.notna(days) else "完成日期未知"),
         ("责任单位", shown(p["department"]) or "—")]
st.markdown("　｜　".join(f"{k}：**{md(v)}**" for k, v in facts))
st.caption(f"本页地址可直接发给同事：…/problem?id={p['problem_id']}")

st.markdown("**每次导入后的状态**")
story = ui.query("problem_story", problem_id=p["problem_id"])
st.dataframe(story.assign(
    import_id=story["import_id"].map(lambda i: "演示/初始数据" if i == 0 else f"第 {i} 次导入"),
    is_current=story["is_current"].map({True: "当前", False: ""})).rename(columns={
        "import_id": "导入", "imported_at": "导入时间", "file_name": "文件", "status": "状态", "card": "督办卡",
        "deadline": "整改时限", "closed_on": "完成日期", "department": "责任单位", "deduction": "扣分",
        "is_current": "版本"})[["导入", "状态", "督办卡", "整改时限", "完成日期", "责任单位", "扣分", "版本", "导入时间",
                               "文件"]],
    hide_index=True, width="stretch",
    column_config={"导入时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                   "整改时限": st.column_config.DateColumn(format="YYYY-MM-DD"),
                   "完成日期": st.column_config.DateColumn(format="YYYY-MM-DD")})

left, right = st.columns([3, 2])
with left:
    st.markdown("**全部信息**")
    rows = [(label, shown(p[col])) for col, label in FIELDS if col in p.index and shown(p[col])]
    st.dataframe(pd.DataFrame(rows, columns=["项目", "内容"]), hide_index=True, width="stretch",
                 height=min(40 + 35 * len(rows), 740))
with right:
    photos = [(k, str(p[c])) for c, k in (("photos_before", "整改前"), ("photos_after", "整改后"))
              if isinstance(p[c], str) and p[c].strip()]
    st.markdown("**照片**")
    if photos:
        for k, v in photos:
            st.markdown(f"{k}：{md(v)}")
    else:
        st.caption("导出文件中没有照片信息。")
    st.markdown("**同一点位此前的问题**")
    earlier = ui.query("problem_site_earlier", problem_id=p["problem_id"], rebound_days=load_office().rebound_days)
    if earlier.empty:
        st.caption("此前该点位没有问题记录。")
    for r in earlier.itertuples():
        st.page_link("pages/problem.py", label=md(f"{r.found_on:%Y-%m-%d}　{r.category}：{r.description}（{r.status}）"),
                     query_params={"id": r.problem_id})
        if r.rebound:
            st.caption(f"↑ 同类问题于 {r.closed_on:%Y-%m-%d} 整改完成后再次出现：本问题计为反弹")
