"""数据导入: the office's own exports in — checked first, imported on confirmation, logged, undoable.

The check step asks what the engine could not decide by itself: which field each column is (saved as an import
profile, so the next file with the same headers goes in with no questions), what unknown values mean, which
names are typos of known ones, and whether a file may move statuses back."""
import hashlib
import math

import streamlit as st

from campaign import ops
from campaign.app import import_check, ui
from campaign.app.text import md
from campaign.ingest import engine, log, names, view
from campaign.ingest.mapping import KINDS

ss = st.session_state

ui.require("editor")
user = ui.current_user()
who = (user.display or user.name) if user else ""
limit_mb = view.upload_limit_mb(st.get_option("server.maxUploadSize"))

st.title("数据导入")
st.caption("直接上传督查、测评系统或表格导出的文件（.xlsx / .xls / .csv，UTF-8 或 GBK 均可），不必重新录入。"
           "先检查、后导入：确认前数据库不会有任何改动；每次导入都可撤销。")
# Streamlit's uploader writes its size limit and button in English: the limit is said in Chinese below it instead
st.html(view.uploader_css("imp_files_"))

labels = {"自动识别": None} | {k.label: k.key for k in KINDS.values()}
kind_label = st.segmented_control("数据类型", list(labels), default="自动识别", key="imp_kind",
                                  help="自动识别不出、或表头需要对照时，选择文件的数据类型。")
left, right = st.columns([3, 2])
with left:
    files = st.file_uploader("选择文件（可多选，也可拖入此处）", type=["xlsx", "xls", "csv"], accept_multiple_files=True,
                             key=f"imp_files_{ss.get('imp_round_no', 0)}", max_upload_size=max(1, math.ceil(limit_mb)))
    st.caption(f"单个文件不超过 {limit_mb:g} MB；可上传 .xlsx、.xls、.csv 文件。")
with right:
    round_name = st.text_input("测评轮次", key="imp_round", placeholder="如：2026年第四轮模拟测评",
                               help="测评结果、问卷、兄弟区县得分的文件里没有“轮次”列、标题里也没写时填写。")
    st.markdown("**表头写法不同？** 检查结果中会列出每一列，为各列选择对应字段并保存为导入配置，"
                "同样表头的文件以后直接导入。导入配置可在“系统管理”页改名、删除、导出。")
kind = labels.get(kind_label or "自动识别")
allow_older = bool(ss.get("imp_allow_older"))
version = ui.version()[0]


def check_all(files) -> list[engine.ImportResult]:
    """Dry runs of the real import (same engine, rolled back), one file after another as they will be imported,
    kept until the data or the files change."""
    datas = [f.getvalue() for f in files]
    keys = tuple((f.name, hashlib.sha256(d).hexdigest()) for f, d in zip(files, datas))
    key = (keys, kind, round_name or None, allow_older, ui.version())
    cache = ss.setdefault("imp_checked", {})
    for stale in [k for k in cache if k != key]:  # earlier checks: let their rows go
        del cache[stale]
    if key not in cache:
        refused = [ops.upload_problem(f.name, d) for f, d in zip(files, datas)]  # type, size, content
        ok = [(d, f.name) for f, d, r in zip(files, datas, refused) if not r]
        done = iter(ui.write(engine.check_files, ok, kind=kind, round_name=round_name or None,
                             allow_older=allow_older) if ok else [])
        cache[key] = [engine.ImportResult(f.name, k[1], refused=r) if r else next(done)
                      for f, k, r in zip(files, keys, refused)]
    return cache[key]


if files:
    checked = check_all(files)
    st.subheader("检查结果")
    for res in checked:
        import_check.show(res, f"{res.file_hash[:10]}_{version}", kind=kind, round_name=round_name, who=who)
    flags = view.flags_table(checked)
    if len(flags):
        st.markdown("**名称核对**：以下名称与已有名称相近，相关行已暂缓导入。默认采用建议；确是另一个名称的，勾选“作为新名称”。"
                    "保存后以后的导入自动按此处理。")
        edited = st.data_editor(
            flags, hide_index=True, width="stretch", key=f"imp_flags_{version}",
            disabled=["类型", "文件中的写法", "行数", "建议"],
            column_order=["类型", "文件中的写法", "行数", "建议", "采用建议", "作为新名称"],
            column_config={"类型": st.column_config.TextColumn(width="small"),
                           "行数": st.column_config.NumberColumn(width="small"),
                           "采用建议": st.column_config.CheckboxColumn("采用建议", help="按“建议”中的名称导入"),
                           "作为新名称": st.column_config.CheckboxColumn(
                               "作为新名称", help="不是笔误，是另一个街道、单位等；测评标准的写法不能作为新名称")})
        c = st.columns([1, 1, 4])
        if c[0].button("全部采用建议", key="imp_accept_all", type="primary", width="stretch"):
            n = ui.write(names.save_decisions, view.all_suggestions(checked), who)
            import_check.saved(f"已采用 {n} 条建议，重新检查中……")
        if c[1].button("保存名称核对", key="imp_save_names", width="stretch"):
            n = ui.write(names.save_decisions, view.decisions(edited), who)
            import_check.saved(f"已保存 {n} 条名称核对，重新检查中……")
    ready = [f for f, r in zip(files, checked) if not r.refused and r.accepted + r.updated > 0]
    blocked = len(files) - len(ready)
    if any(r.older for r in checked) or allow_older:
        st.checkbox("允许状态回退", key="imp_allow_older",
                    help="勾选后，文件中较早的状态（如 待整改）覆盖库中较新的状态（如 已销号）；仅在本文件是更正时使用。")
    st.caption(f"可导入 {len(ready)} 个文件" + (f"；{blocked} 个文件没有可导入的新数据或被拒绝" if blocked else ""))
    if st.button(view.import_label(checked), type="primary", disabled=not ready, key="imp_go"):
        done = []
        for f, res in zip(files, checked):
            if f not in ready:
                continue
            # what the check prepared is written as it is, in the order checked; if the store changed since, the
            # file is imported anew
            done.append(ui.write(engine.commit_checked, res, who) or ui.write(
                engine.import_file, f.getvalue(), f.name, kind=kind, round_name=round_name or None,
                imported_by=who, allow_older=allow_older))
        ss["imp_done"] = done
        ss["imp_round_no"] = ss.get("imp_round_no", 0) + 1  # clears the uploader
        ss.pop("imp_checked", None)
        st.rerun()

if ss.get("imp_done"):
    done = ss["imp_done"]
    st.subheader("导入完成")
    st.success("；".join(md(engine.summary_text(r).splitlines()[0]) for r in done) + "。各页面已按新数据更新。")
    for i, res in enumerate(done):
        import_check.show(res, f"d{i}", checking=False)
    if st.button("关闭结果", key="imp_clear"):
        ss.pop("imp_done")
        st.rerun()

st.divider()
st.subheader("导入记录")
msg = ss.pop("imp_msg", None)
if msg:
    (st.success if msg[0] == "success" else st.error)(msg[1])
table = view.log_table(ui.call(log.imports))
if table.empty:
    st.caption("还没有导入记录。")
for r in table.head(15).to_dict("records"):
    c = st.columns([1, 2, 4, 3, 1.4], vertical_alignment="center")
    c[0].markdown(f"**第 {r['编号']} 次**")
    c[1].caption(f"{r['时间']}　{r['导入人']}")
    c[2].markdown(f"{md(r['文件'])}　:gray[{md(r['类型'])}]")
    c[3].caption(f"新增 {r['新增']:,}　更新 {r['更新']:,}　隔离 {r['隔离']:,}　{r['状态']}")
    valid = r["状态"] == "有效"
    with c[4].popover("撤销", disabled=not valid, width="stretch"):
        st.markdown(f"撤销第 {r['编号']} 次导入（{md(r['文件'])}）？")
        st.caption(f"将删除该次新增的 {r['新增']:,} 行，把它更新过的 {r['更新']:,} 行恢复原样。")
        if st.button("确认撤销", key=f"undo_{r['编号']}", type="primary", disabled=not valid):
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
        ui.excel_download(ui.call(log.quarantine_of, import_id=int(past)), f"第{past}次导入-隔离清单",
                          key="imp_q_dl", label=f"下载第 {past} 次导入的隔离清单")
