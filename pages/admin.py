"""系统管理 (管理员): backups and restore, accounts, the import log with undo, read-only ad-hoc queries."""
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from campaign import auth, ops
from campaign.app import ui
from campaign.ingest import log, profiles, view

ui.require("admin")
user = ui.current_user()
who = user.display or user.name
db = ui.db_file()
ss = st.session_state

st.title("系统管理")
st.caption("备份与恢复、账号、导入记录与撤销、导入配置、只读查询。仅管理员可见。")
accounts = auth.load_accounts()
required = auth.login_required(st.get_option("server.address"))
info = ops.store_file_info(db)
c = st.columns(4)
c[0].metric("数据库文件", f"{info['size_mb']:.1f} MB", help=info["path"])
c[1].metric("数据版本", f"{ui.version()[0]:,}", help="每次导入、撤销或保存方案后加一；各页面的缓存随之更新。")
c[2].metric("账号", f"{len(accounts)} 个")
c[3].metric("登录", "需要登录" if required else "本机免登录",
            help="看板对本机以外开放（--server.address 0.0.0.0）或已建立账号时，必须登录。")


def backup_bytes() -> bytes:
    """A consistent snapshot through the app's own connection (an import running meanwhile is all in or out)."""
    with tempfile.TemporaryDirectory(prefix="campaign-backup-") as tmp:
        out = ops.backup(ui.connection(), Path(tmp) / "backup.duckdb")
        return out.read_bytes()


st.subheader("备份与恢复")
left, right = st.columns(2, gap="large")
with left:
    st.markdown("**立即备份**：整个数据库的一致快照，导入进行中也可下载。请保存到服务器以外的地方。")
    st.download_button("下载数据库备份", data=backup_bytes, file_name=ops.default_backup_name(db),
                       mime="application/octet-stream", on_click="ignore", icon=":material/download:",
                       key="adm_backup", type="primary")
    settings = ops.backup_settings(db)
    if settings.enabled:
        st.markdown(f"**自动备份**：数据有变化时每 {settings.every_hours:g} 小时一份，保留最近 {settings.keep} 份，"
                    f"存放在 `{settings.directory}`。")
        kept = ops.list_backups(settings.directory, Path(db).stem)
        if kept:
            st.dataframe(pd.DataFrame({"备份文件": [b.path.name for b in kept[:10]],
                                       "时间": [f"{b.taken:%Y-%m-%d %H:%M}" for b in kept[:10]],
                                       "数据版本": [b.version for b in kept[:10]],
                                       "大小（MB）": [round(b.size_mb, 1) for b in kept[:10]]}),
                         hide_index=True, width="stretch")
        else:
            st.caption("还没有自动备份：看板启动约一分钟后生成第一份。")
    else:
        st.warning("自动备份已关闭（CAMPAIGN_BACKUP_HOURS=0）。请用定时任务备份，见 docs/operations.md。")
with right:
    st.markdown("**恢复**：看板运行时数据库被占用，恢复须先停止看板服务，在服务器上运行：")
    st.code(f"sudo systemctl stop campaign-dashboard\n"
            f".venv/bin/python -m campaign restore 备份文件.duckdb --db {db}\n"
            f"sudo systemctl start campaign-dashboard", language="bash", wrap_lines=True)
    st.caption("恢复前会检查备份文件是否完整可读；被替换的数据库保留为 .before-restore 文件，可再恢复回来。"
               "只想撤回某次导入时，不必恢复整库，用下方的“撤销”即可。")

st.subheader("导入记录与撤销")
msg = ss.pop("adm_msg", None)
if msg:
    (st.success if msg[0] == "success" else st.error)(msg[1])
table = view.log_table(ui.call(log.imports))
if table.empty:
    st.caption("还没有导入记录。")
else:
    st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)))
    valid = table.loc[table["状态"] == "有效"]
    labels = {f"第 {r['编号']} 次 · {r['时间']} · {r['文件']}（新增 {r['新增']:,}，更新 {r['更新']:,}）": int(r["编号"])
              for r in valid.to_dict("records")}
    pick = st.selectbox("撤销某次导入", list(labels), index=None, placeholder="选择要撤销的导入", key="adm_undo_pick")
    st.caption("撤销会删除该次导入新增的行、把它更新过的行恢复原样；之后又被其他导入更新过的，需先撤销后来的导入。")
    if st.button("撤销所选导入", disabled=pick is None, key="adm_undo"):
        try:
            ss["adm_msg"] = ("success", ui.write(log.undo_import, labels[pick], who).text())
        except log.UndoRefused as e:
            ss["adm_msg"] = ("error", str(e))
        st.rerun()

st.subheader("导入配置")
st.caption("导入配置记录某种表头的各列对应什么字段、特有的取值写法是什么意思，表头相同的文件按它直接导入。"
           "内置格式随系统提供，不能修改；本办保存的配置在“数据导入”页对照表头时生成，可在此改名、删除，"
           "或导出后在另一台电脑上导入。")
pmsg = ss.pop("adm_prof_msg", None)
if pmsg:
    (st.success if pmsg[0] == "success" else st.error)(pmsg[1])
ptable = view.profile_rows(ui.call(profiles.profiles_table))
st.dataframe(ptable, hide_index=True, width="stretch", height=min(420, 38 + 35 * max(len(ptable), 1)),
             column_config={"名称": st.column_config.TextColumn(width=120), "类型": st.column_config.TextColumn(width=100),
                            "来源": st.column_config.TextColumn(width=75),
                            "识别依据": st.column_config.TextColumn(width=330), "保存人": st.column_config.TextColumn(width=65),
                            "更新时间": st.column_config.TextColumn(width=130)})
own = ptable.loc[ptable["来源"] == "本办保存", "名称"].tolist()
left, right = st.columns(2, gap="large")
with left:
    st.markdown("**改名或删除**")
    if own:
        pick = st.selectbox("本办保存的导入配置", own, index=None, placeholder="选择导入配置", key="adm_prof_pick")
        new_name = st.text_input("新名称", key="adm_prof_new", max_chars=60, disabled=pick is None)
        c = st.columns(2)
        if c[0].button("改名", key="adm_prof_rename", disabled=pick is None or not new_name.strip(), width="stretch"):
            try:
                ui.write(profiles.rename_profile, pick, new_name, role="admin")
                ss["adm_prof_msg"] = ("success", f"已把导入配置「{pick}」改名为「{new_name.strip()}」。")
            except profiles.ProfileError as e:
                ss["adm_prof_msg"] = ("error", str(e))
            st.rerun()
        with c[1].popover("删除", disabled=pick is None, width="stretch"):
            st.markdown(f"删除导入配置「{pick}」？")
            st.caption("已导入的数据不受影响；以后同样表头的文件需要重新对照表头。")
            if st.button("确认删除", key="adm_prof_delete", type="primary", disabled=pick is None):
                gone = ui.write(profiles.delete_profile, pick, role="admin")
                ss["adm_prof_msg"] = ("success", f"已删除导入配置「{pick}」。") if gone else \
                    ("error", f"没有名为「{pick}」的导入配置。")
                st.rerun()
    else:
        st.caption("还没有本办保存的导入配置：在“数据导入”页为表头不认识的文件对照各列并保存后，会出现在这里。")
with right:
    st.markdown("**导出与导入**")
    st.download_button("导出导入配置（JSON）", data=lambda: profiles.export_profiles(ui.connection()),
                       file_name="导入配置.json", mime="application/json", on_click="ignore",
                       icon=":material/download:", key="adm_prof_export", disabled=not own)
    st.html(view.uploader_css("adm_prof_file_"))
    up = st.file_uploader("导入配置文件（.json，由“导出导入配置”生成）", type=["json"], max_upload_size=1,
                          key=f"adm_prof_file_{ss.get('adm_prof_no', 0)}")
    st.caption("单个文件不超过 1 MB。与已有配置同名或表头相同的，以文件中的为准。")
    if st.button("导入所选文件", key="adm_prof_import", disabled=up is None):
        try:
            n = ui.write(profiles.import_profiles, up.getvalue(), who, up.name, role="admin")
            ss["adm_prof_msg"] = ("success", f"已从「{up.name}」导入 {n} 个导入配置。")
            ss["adm_prof_no"] = ss.get("adm_prof_no", 0) + 1  # clears the uploader
        except profiles.ProfileError as e:
            ss["adm_prof_msg"] = ("error", str(e))
        st.rerun()

st.subheader("账号")
if accounts:
    st.dataframe(pd.DataFrame([{"用户名": name, "显示名": e.get("display", name),
                                "角色": auth.ROLES.get(e.get("role"), e.get("role"))}
                               for name, e in sorted(accounts.items())]), hide_index=True, width="stretch")
else:
    st.caption("还没有账号：看板只允许本机访问时免登录；对外开放前请先建立管理员账号。")
st.markdown("账号保存在服务器的本地文件中（密码只存哈希）。增删账号在服务器上运行：")
st.code(f"python -m campaign user add 用户名 --role viewer --display 王书记   # viewer 领导只读 / editor 创城办 / admin 管理员\n"
        f"python -m campaign user remove 用户名\n# 账号文件：{auth.accounts_path()}", language="bash", wrap_lines=True)

with st.expander("自助查询（只读 SQL）"):
    views = ops.contract_views(ui.connection())
    st.caption("只能查询数据视图（" + "、".join(views) + "），不能修改数据或读写文件；结果最多显示 "
               f"{ops.SQL_ROWS:,} 行、{ops.SQL_RESULT_MB} MB，查询内存上限 {ops.SQL_MEMORY}，超过 {ops.SQL_TIMEOUT:g} 秒"
               "自动中止。视图的列见 docs/data-contract.md。")
    sql = st.text_area("SQL", key="adm_sql", height=120,
                       value="SELECT street AS 街道, count(*) AS 问题数\nFROM problems\nGROUP BY 1\nORDER BY 2 DESC")
    if st.button("运行查询", key="adm_sql_run", icon=":material/play_arrow:"):
        try:
            ss["adm_sql_result"] = ops.run_sql(ui.connection(), sql)
        except ops.OpsError as e:
            ss.pop("adm_sql_result", None)
            st.error(str(e))
    result = ss.get("adm_sql_result")
    if result is not None:
        st.caption(f"{len(result):,} 行")
        if result.attrs.get("truncated"):
            st.warning(result.attrs["truncated"])
        st.dataframe(result, hide_index=True, width="stretch")
        ui.excel_download(result, "自助查询结果", key="adm_sql_dl")
