"""The 数据导入 page's check step, drawn: one file's counts and notes, the column and value mapping editors (saved
as import profiles) and the quarantine. The tables come from campaign.ingest.view; this only draws them."""
from __future__ import annotations

import streamlit as st

from campaign import config
from campaign.app import ui
from campaign.app.text import md
from campaign.ingest import profiles, report, view
from campaign.ingest.mapping import KINDS
from campaign.ingest.result import ImportResult

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def saved(message: str) -> None:
    st.toast(message)
    st.rerun()  # the data version moved: every file is checked again


def column_editor(res: ImportResult, key: str, kind: str | None, round_name: str, who: str) -> None:
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


def value_editor(res: ImportResult, key: str, who: str) -> None:
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
        name = c[0].text_input("导入配置名称", value=st.session_state.get(f"imp_pname_{key}") or name, max_chars=60,
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


def show(res: ImportResult, key: str, checking: bool = True, kind: str | None = None, round_name: str = "",
         who: str = "") -> None:
    """One file's check result (or import result, ``checking=False``): counts, notes, and what to decide."""
    with st.container(border=True, key=f"imp_card_{key}"):
        st.markdown(f"**{md(res.file_name)}**" + (f" · {res.kind_label}" if res.kind_label else ""))
        if res.needs_mapping and checking:
            st.warning(md(res.refused))
            st.markdown("**表头对照**：请为各列选择对应字段，保存为导入配置后重新检查。")
            column_editor(res, key, kind, round_name, who)
            return
        if res.refused:
            st.error(md(res.refused))
            return
        counts = view.metrics(res)
        for col, (label, value, tip) in zip(st.columns(len(counts)), counts):
            col.metric(label, f"{value:,}", help=tip)
        about = view.profile_caption(res)
        if about:
            st.caption("· " + about)
        for note in view.notes(res):
            st.caption("· " + md(note))
        made = "；".join(f"{k} {len(v)} 个（{'、'.join(v[:6])}{'等' if len(v) > 6 else ''}）" for k, v in res.created.items())
        if made:
            st.caption(("· 将新增" if res.dry_run else "· 新增") + "：" + md(made))
        for line in view.resolved_lines([res]) + [t for t in [view.calendar_text(res)] if t]:
            st.caption("· " + md(line))
        monday = view.first_week_from_data(res) if checking else None
        if monday is not None and st.button(f"把创城周期第 1 周设为 {monday:%Y年%m月%d日}（文件中最早一周）",
                                            key=f"imp_start_{key}", help="写入本办设置 data/office.yaml 的 campaign_start"):
            ui.require("editor")
            config.set_campaign_start(monday)
            st.session_state.pop("imp_checked", None)  # the check depends on the calendar, not only on the data
            saved(f"创城周期第 1 周已设为 {monday:%Y-%m-%d}，重新检查中……")
        older = view.older_text(res)
        if older and checking:
            st.warning(md(older) + "如本文件是更正，可勾选下方“允许状态回退”。")
        if checking and view.needs_column_editor(res):
            with st.expander(f"表头对照（{len(view.unrecognised(res))} 列未识别，可对应字段后保存为导入配置）"):
                column_editor(res, key, kind, round_name, who)
        else:
            with st.expander("表头识别"):
                st.dataframe(view.mapping_table(res), hide_index=True, width="stretch")
        if checking:
            value_editor(res, key, who)
        fates = view.fates_table(res)
        if fates is not None:
            st.markdown(f"**逐行结果**（{view.fates_caption(res, checking)}）")
            st.dataframe(fates, hide_index=True, width="stretch", key=f"imp_fates_{key}", column_config={
                "行号": st.column_config.NumberColumn(width="small"), "发生日期": st.column_config.TextColumn(width=95),
                "负面清单事项": st.column_config.TextColumn(width="large"),
                "结果": st.column_config.TextColumn(width=130), "原因": st.column_config.TextColumn(width="large")})
        if len(res.quarantine):
            st.markdown(f"**隔离清单**（{res.quarantined:,} 行未导入，改正后可再次导入同一文件）")
            st.dataframe(res.quarantine.head(500), hide_index=True, width="stretch", column_config={
                "工作表": st.column_config.TextColumn(width="small"), "行号": st.column_config.NumberColumn(width="small"),
                "列": st.column_config.TextColumn(width="small"), "原值": st.column_config.TextColumn(width="medium"),
                "原因": st.column_config.TextColumn(width="large")})
            st.download_button("下载隔离清单（Excel）", data=report.quarantine_excel([res]), mime=XLSX,
                               file_name=f"隔离清单-{res.file_name.rsplit('.', 1)[0]}.xlsx", key=f"q_{key}",
                               icon=":material/download:", on_click="ignore")
