"""数据导入: the office's own exports in — checked first, imported on confirmation, logged, undoable."""
import hashlib

import streamlit as st

from campaign import ops, ui
from campaign.ingest import engine, log, names, report, view
from campaign.ingest.mapping import KINDS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ss = st.session_state

ui.require("editor")
user = ui.current_user()
who = (user.display or user.name) if user else ""

st.title("数据导入")
st.caption("直接上传督查、测评系统或表格导出的文件（.xlsx / .xls / .csv，UTF-8 或 GBK 均可），不必重新录入。"
           "先检查、后导入：确认前数据库不会有任何改动；每次导入都可撤销。")

left, right = st.columns([3, 2])
with left:
    labels = {"自动识别": None} | {k.label: k.key for k in KINDS.values()}
    kind_label = st.segmented_control("数据类型", list(labels), default="自动识别", key="imp_kind")
    files = st.file_uploader("选择文件（可多选）", type=["xlsx", "xls", "csv"], accept_multiple_files=True,
                             key=f"imp_files_{ss.get('imp_round_no', 0)}")
with right:
    round_name = st.text_input("测评轮次", key="imp_round", placeholder="如：2026年第四轮模拟测评",
                               help="测评结果、问卷、兄弟区县得分的文件里没有“轮次”列、标题里也没写时填写。")
    st.markdown("**表头写法不同？** 在 `data/header_aliases.yaml` 中给字段加别名即可（如“属地”→所属街道）。")
kind = labels.get(kind_label or "自动识别")


def check(f) -> engine.ImportResult:
    """A dry run of the real import (same engine, rolled back), kept until the data or the file changes."""
    data = f.getvalue()
    key = (f.name, hashlib.sha256(data).hexdigest(), kind, round_name or None, ui.version())
    cache = ss.setdefault("imp_checked", {})
    if key not in cache:
        refused = ops.upload_problem(f.name, data)  # type, size, content against extension
        cache[key] = engine.ImportResult(f.name, key[1], refused=refused) if refused else ui.write(
            engine.import_file, data, f.name, kind=kind, round_name=round_name or None, dry_run=True)
    return cache[key]


def show(res: engine.ImportResult, key: str) -> None:
    with st.container(border=True):
        st.markdown(f"**{res.file_name}**" + (f" · {res.kind_label}" if res.kind_label else ""))
        if res.refused:
            st.error(res.refused)
            return
        for col, (label, value, tip) in zip(st.columns(6), view.metrics(res)):
            col.metric(label, f"{value:,}", help=tip)
        for note in res.notes + res.skipped_sheets:
            st.caption("· " + note)
        made = "；".join(f"{k} {len(v)} 个（{'、'.join(v[:6])}{'等' if len(v) > 6 else ''}）" for k, v in res.created.items())
        if made:
            st.caption(("将新增" if res.dry_run else "新增") + "：" + made)
        with st.expander("表头识别"):
            st.dataframe(view.mapping_table(res), hide_index=True, width="stretch")
        if len(res.quarantine):
            st.markdown(f"**隔离清单**（{res.quarantined:,} 行未导入，改正后可再次导入同一文件）")
            st.dataframe(res.quarantine.head(500), hide_index=True, width="stretch", column_config={
                "工作表": st.column_config.TextColumn(width="small"), "行号": st.column_config.NumberColumn(width="small"),
                "列": st.column_config.TextColumn(width="small"), "原值": st.column_config.TextColumn(width="medium"),
                "原因": st.column_config.TextColumn(width="large")})
            st.download_button("下载隔离清单（Excel）", data=report.quarantine_excel([res]), mime=XLSX,
                               file_name=f"隔离清单-{res.file_name.rsplit('.', 1)[0]}.xlsx", key=f"q_{key}",
                               icon=":material/download:", on_click="ignore")


if files:
    checked = [check(f) for f in files]
    st.subheader("检查结果")
    for i, res in enumerate(checked):
        show(res, f"c{i}")
    flags = view.flags_table(checked)
    if len(flags):
        st.markdown("**名称核对**：以下名称与已有名称相近，相关行已暂缓导入。请逐条选择处理方式后保存，再导入。")
        choices = {r["文件中的写法"]: [view.KEEP, view.fix_choice(r["可能是"]), view.NEW] for r in flags.to_dict("records")}
        edited = st.data_editor(
            flags, hide_index=True, width="stretch", key="imp_flags", disabled=["类型", "文件中的写法", "行数", "可能是"],
            column_order=["类型", "文件中的写法", "行数", "可能是", "处理"],
            column_config={"处理": st.column_config.SelectboxColumn(
                "处理", options=sorted({c for cs in choices.values() for c in cs}), required=True)})
        if st.button("保存名称核对", key="imp_save_names"):
            n = ui.write(names.save_decisions, view.decisions(edited), who)
            st.toast(f"已保存 {n} 条名称核对，重新检查中……")
            st.rerun()
    ready = [f for f, r in zip(files, checked) if not r.refused and r.accepted + r.updated > 0]
    blocked = len(files) - len(ready)
    st.caption(f"可导入 {len(ready)} 个文件" + (f"；{blocked} 个文件没有可导入的新数据或被拒绝" if blocked else ""))
    if st.button("确认导入", type="primary", disabled=not ready, key="imp_go"):
        done = [ui.write(engine.import_file, f.getvalue(), f.name, kind=kind, round_name=round_name or None,
                         imported_by=who) for f in ready]
        ss["imp_done"] = done
        ss["imp_round_no"] = ss.get("imp_round_no", 0) + 1  # clears the uploader
        ss.pop("imp_checked", None)
        st.rerun()

if ss.get("imp_done"):
    done = ss["imp_done"]
    st.subheader("导入完成")
    st.success("；".join(engine.summary_text(r).splitlines()[0] for r in done) + "。各页面已按新数据更新。")
    for i, res in enumerate(done):
        show(res, f"d{i}")
    if st.button("关闭结果", key="imp_clear"):
        ss.pop("imp_done")
        st.rerun()

st.divider()
st.subheader("导入记录")
msg = ss.pop("imp_msg", None)
if msg:
    (st.success if msg[0] == "success" else st.error)(msg[1])
table = view.log_table(ui.metric("ingest.log.imports"))
if table.empty:
    st.caption("还没有导入记录。")
for r in table.head(15).to_dict("records"):
    c = st.columns([1, 2, 5, 3, 1], vertical_alignment="center")
    c[0].markdown(f"**第 {r['编号']} 次**")
    c[1].caption(f"{r['时间']}　{r['导入人']}")
    c[2].markdown(f"{r['文件']}　<span style='color:#666'>{r['类型']}</span>", unsafe_allow_html=True)
    c[3].caption(f"新增 {r['新增']:,}　更新 {r['更新']:,}　隔离 {r['隔离']:,}　{r['状态']}")
    if c[4].button("撤销", key=f"undo_{r['编号']}", disabled=r["状态"] != "有效"):
        try:
            ss["imp_msg"] = ("success", ui.write(log.undo_import, int(r["编号"]), who).text())
        except log.UndoRefused as e:
            ss["imp_msg"] = ("error", str(e))
        ss.pop("imp_done", None)
        st.rerun()
if len(table) > 15:
    with st.expander(f"全部 {len(table)} 次导入"):
        st.dataframe(table, hide_index=True, width="stretch")
held = table.loc[table["隔离"] > 0, "编号"].tolist()
if held:
    past = st.selectbox("下载某次导入的隔离行", held, index=None, placeholder="选择导入编号", key="imp_q_pick")
    if past is not None:
        ui.excel_download(ui.metric("ingest.log.quarantine_of", import_id=int(past)), f"第{past}次导入-隔离清单",
                          key="imp_q_dl", label=f"下载第 {past} 次导入的隔离清单")
