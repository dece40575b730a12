"""数据导入: the office's own exports in — checked first, imported on confirmation, logged, undoable.

The check step asks what the engine could not decide by itself: which field each column is (saved as an import
profile, so the next file with the same headers goes in with no questions), what unknown values mean, which
names are typos of known ones, and whether a file may move statuses back."""
import hashlib
import math

import streamlit as st

from campaign import ops, ui
from campaign.ingest import engine, log, names, profiles, report, view
from campaign.ingest.mapping import KINDS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def check(f) -> engine.ImportResult:
    """A dry run of the real import (same engine, rolled back), kept until the data or the file changes."""
    data = f.getvalue()
    key = (f.name, hashlib.sha256(data).hexdigest(), kind, round_name or None, allow_older, ui.version())
    cache = ss.setdefault("imp_checked", {})
    if key not in cache:
        refused = ops.upload_problem(f.name, data)  # type, size, content against extension
        cache[key] = engine.ImportResult(f.name, key[1], refused=refused) if refused else ui.write(
            engine.import_file, data, f.name, kind=kind, round_name=round_name or None, dry_run=True,
            allow_older=allow_older)
    return cache[key]


def saved(message: str) -> None:
    st.toast(message)
    st.rerun()  # the data version moved: every file is checked again


def column_editor(res: engine.ImportResult, key: str) -> None:
    """Every column of the file with its samples; the office chooses the fields and saves an import profile."""
    k = kind or res.kind
    choices = view.field_options(res, k)
    edited = st.data_editor(
        view.column_table(res, choices), hide_index=True, width="stretch", key=f"imp_cols_{key}",
        disabled=["文件中的表头", "示例", "自动识别"], column_order=["文件中的表头", "示例", "对应字段", "自动识别"],
        column_config={
            "文件中的表头": st.column_config.TextColumn(width=130),
            "示例": st.column_config.TextColumn(width=330, help="该列前几个不同的值"),
            "对应字段": st.column_config.SelectboxColumn(
                "对应字段", options=list(view.choice_labels(choices).values()), required=True, width="medium",
                help="这一列是什么；“不使用”的列不导入"),
            "自动识别": st.column_config.TextColumn(width=100, help="不选时系统按表头认出的字段")})
    columns = view.columns_from_table(edited, choices)
    save_kind = k or view.guess_kind(columns)
    if not k:
        st.caption(f"数据类型按所选字段判断为“{KINDS[save_kind].label}”；不对时请在上方“数据类型”中选择。")
    missing = view.missing_fields(save_kind, columns, round_given=bool(round_name))
    if missing:
        st.markdown(f":red[还需对应的字段：{'；'.join(missing)}]")
    for r in view.repeated_fields(columns, choices):
        st.caption(f"多列对应为同一字段：{r}（只用其中有值的一列）")
    c = st.columns([3, 1], vertical_alignment="bottom")
    name = c[0].text_input("导入配置名称", value=view.default_profile_name(res.file_name), max_chars=60,
                           key=f"imp_pname_{key}", help="同样表头的文件以后按此配置直接导入")
    if c[1].button("保存为导入配置", key=f"imp_save_cols_{key}", type="primary", disabled=bool(missing),
                   width="stretch"):
        try:
            p = ui.write(profiles.save_profile, view.mapping_profile(ui.connection(), res, save_kind, columns, name),
                         who)
        except profiles.ProfileError as e:
            st.error(str(e))
        else:
            saved(f"已保存导入配置「{p.name}」，重新检查中……")


def value_editor(res: engine.ImportResult, key: str) -> None:
    """Values no vocabulary knows (整改状态 / 督办卡 / 测评情况): the office says what they mean."""
    tables = view.value_tables(res)
    if not tables:
        return
    st.markdown("**取值对照**：以下写法无法识别，相关行已暂缓导入。请选择各写法的含义后保存（记入导入配置，以后自动识别）。")
    edited = {}
    for fld, table in tables.items():
        edited[fld] = st.data_editor(
            table, hide_index=True, width="stretch", key=f"imp_vals_{fld}_{key}", disabled=["写法", "行数"],
            column_config={"写法": st.column_config.TextColumn(f"{view.value_label(fld)}（文件中的写法）"),
                           "行数": st.column_config.NumberColumn(width="small"),
                           "对应为": st.column_config.SelectboxColumn("对应为", options=list(view.VALUE_CHOICES[fld]),
                                                                     width="medium")})
    new_values = view.values_from_tables(edited)
    c = st.columns([3, 1], vertical_alignment="bottom")
    name = view.default_profile_name(res.file_name)
    if not view.saved_profile_used(res):
        name = c[0].text_input("导入配置名称", value=ss.get(f"imp_pname_{key}") or name, max_chars=60,
                               key=f"imp_vname_{key}", help="取值对照与本文件的表头一起保存为导入配置")
    else:
        c[0].caption(f"保存到导入配置「{res.profile}」")
    if c[1].button("保存取值对照", key=f"imp_save_vals_{key}", disabled=not new_values, width="stretch"):
        try:
            p = ui.write(profiles.save_profile, view.values_profile(ui.connection(), res, new_values, name), who)
        except profiles.ProfileError as e:
            st.error(str(e))
        else:
            saved(f"已把取值对照保存到导入配置「{p.name}」，重新检查中……")


def show(res: engine.ImportResult, key: str, checking: bool = True) -> None:
    with st.container(border=True, key=f"imp_card_{key}"):
        st.markdown(f"**{res.file_name}**" + (f" · {res.kind_label}" if res.kind_label else ""))
        if res.needs_mapping and checking:
            st.warning(res.refused)
            st.markdown("**表头对照**：请为各列选择对应字段，保存为导入配置后重新检查。")
            column_editor(res, key)
            return
        if res.refused:
            st.error(res.refused)
            return
        counts = view.metrics(res)
        for col, (label, value, tip) in zip(st.columns(len(counts)), counts):
            col.metric(label, f"{value:,}", help=tip)
        about = view.profile_caption(res)
        if about:
            st.caption("· " + about)
        for note in view.notes(res):
            st.caption("· " + note)
        made = "；".join(f"{k} {len(v)} 个（{'、'.join(v[:6])}{'等' if len(v) > 6 else ''}）" for k, v in res.created.items())
        if made:
            st.caption(("· 将新增" if res.dry_run else "· 新增") + "：" + made)
        for line in view.resolved_lines([res]) + [t for t in [view.calendar_text(res)] if t]:
            st.caption("· " + line)
        older = view.older_text(res)
        if older and checking:
            st.warning(older + "如本文件是更正，可勾选下方“允许状态回退”。")
        if checking and view.needs_column_editor(res):
            with st.expander(f"表头对照（{len(view.unrecognised(res))} 列未识别，可对应字段后保存为导入配置）"):
                column_editor(res, key)
        else:
            with st.expander("表头识别"):
                st.dataframe(view.mapping_table(res), hide_index=True, width="stretch")
        if checking:
            value_editor(res, key)
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
    for res in checked:
        show(res, f"{res.file_hash[:10]}_{version}")
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
            saved(f"已采用 {n} 条建议，重新检查中……")
        if c[1].button("保存名称核对", key="imp_save_names", width="stretch"):
            n = ui.write(names.save_decisions, view.decisions(edited), who)
            saved(f"已保存 {n} 条名称核对，重新检查中……")
    ready = [f for f, r in zip(files, checked) if not r.refused and r.accepted + r.updated > 0]
    blocked = len(files) - len(ready)
    if any(r.older for r in checked) or allow_older:
        st.checkbox("允许状态回退", key="imp_allow_older",
                    help="勾选后，文件中较早的状态（如 待整改）覆盖库中较新的状态（如 已销号）；仅在本文件是更正时使用。")
    st.caption(f"可导入 {len(ready)} 个文件" + (f"；{blocked} 个文件没有可导入的新数据或被拒绝" if blocked else ""))
    if st.button(view.import_label(checked), type="primary", disabled=not ready, key="imp_go"):
        done = [ui.write(engine.import_file, f.getvalue(), f.name, kind=kind, round_name=round_name or None,
                         imported_by=who, allow_older=allow_older) for f in ready]
        ss["imp_done"] = done
        ss["imp_round_no"] = ss.get("imp_round_no", 0) + 1  # clears the uploader
        ss.pop("imp_checked", None)
        st.rerun()

if ss.get("imp_done"):
    done = ss["imp_done"]
    st.subheader("导入完成")
    st.success("；".join(engine.summary_text(r).splitlines()[0] for r in done) + "。各页面已按新数据更新。")
    for i, res in enumerate(done):
        show(res, f"d{i}", checking=False)
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
    c = st.columns([1, 2, 4, 3, 1.4], vertical_alignment="center")
    c[0].markdown(f"**第 {r['编号']} 次**")
    c[1].caption(f"{r['时间']}　{r['导入人']}")
    c[2].markdown(f"{r['文件']}　<span style='color:#666'>{r['类型']}</span>", unsafe_allow_html=True)
    c[3].caption(f"新增 {r['新增']:,}　更新 {r['更新']:,}　隔离 {r['隔离']:,}　{r['状态']}")
    valid = r["状态"] == "有效"
    with c[4].popover("撤销", disabled=not valid, width="stretch"):
        st.markdown(f"撤销第 {r['编号']} 次导入（{r['文件']}）？")
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
        ui.excel_download(ui.metric("ingest.log.quarantine_of", import_id=int(past)), f"第{past}次导入-隔离清单",
                          key="imp_q_dl", label=f"下载第 {past} 次导入的隔离清单")
