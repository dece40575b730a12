"""交办单: after the meeting, each responsible unit's (or street's) open problems as its own Word notice, all of
them as one .zip with an Excel workbook; and the 催办 list of what is overdue or nearly due."""
import streamlit as st

from campaign.app import ui
from campaign.app.text import md
from campaign.briefing import BriefingError
from campaign.outputs import notices



def _docx(ns: notices.NoticeSet, n: notices.Notice) -> bytes:
    import io

    buf = io.BytesIO()
    notices.notice_docx(ns, n, buf)
    return buf.getvalue()


f = ui.filters()
st.title(f"交办单 · {f.week.name}")
left, mid, _ = st.columns([3, 2, 3], vertical_alignment="bottom")
by_label = left.segmented_control("交办对象", list(notices.BY.values()), default="责任单位", key="notice_by",
                                  bind="query-params") or "责任单位"
by = next(k for k, v in notices.BY.items() if v == by_label)
soon_days = mid.number_input("催办：几个工作日内到期", min_value=1, max_value=15, value=notices.SOON_WORKING_DAYS,
                            key="notice_soon", help="催办清单列出已逾期的问题和在这么多个工作日内到期的问题。")
try:
    ns = ui.call(notices.build, week=f.week.number, by=by, street=f.street, department=f.department,
                   site_type=f.site_type, category=f.category, soon_days=int(soon_days))
except (BriefingError, notices.NoticeError) as exc:
    st.error(str(exc))
    st.stop()

narrowed = "、".join(v for v in (f.street, f.department, f.site_type, f.category) if v)
st.caption(f"截至{ns.week.end:%Y年%m月%d日}（{ns.week.name}末）未整改的问题，每个{by_label}一份交办单（Word，含整改回执），"
           f"回执报送期限为{ns.reply_by:%m月%d日}（{notices.REPLY_WORKING_DAYS}个工作日）。一个问题有牵头单位和几个责任单位时，"
           "每个单位的交办单里都有它。" + (f"只含侧边栏所选：{md(narrowed)}。" if narrowed else "")
           + ("按日期区间查看时，交办单按区间末所在的周。" if f.by_range else ""))
if not ns.notices:
    st.info(f"{ns.week.name}末没有未整改的问题。")
    st.stop()

a, b, c, d = st.columns(4)
a.metric(f"{by_label}数", f"{len(ns.notices):,}")
b.metric("交办问题（按单位计）" if by == "department" else "交办问题", f"{sum(n.open for n in ns.notices):,}")
c.metric("其中逾期", f"{sum(n.overdue for n in ns.notices):,}")
d.metric("催办", f"{len(ns.soon):,}", help=f"已逾期或{ns.soon_days}个工作日内到期的问题（按单位计）")

if ui.can("editor"):
    st.download_button(f"下载全部交办单（{len(ns.notices)} 份 Word + Excel 汇总，.zip）",
                       data=lambda: notices.zip_bytes(ns), file_name=f"交办单_{ns.week.name}.zip",
                       mime="application/zip", key="dl_notices", on_click="ignore", type="primary",
                       icon=":material/folder_zip:")
else:
    st.caption("下载交办单需创城办（编辑）账号。")

summary = ns.summary()
st.subheader(f"各{by_label}未整改问题")
st.dataframe(summary, hide_index=True, width="stretch", height=min(40 + 35 * len(summary), 460))

st.subheader(f"催办清单：已逾期或{ns.soon_days}个工作日内到期")
st.dataframe(ns.soon, hide_index=True, width="stretch", height=min(40 + 35 * len(ns.soon), 460),
             column_config={"问题描述": st.column_config.TextColumn(width="large")})
ui.excel_download(ns.soon, f"催办清单_{ns.week.name}", key="dl_soon")

st.subheader("查看一份交办单")
unit = st.selectbox(by_label, [n.unit for n in ns.notices], key="notice_unit")
n = next(x for x in ns.notices if x.unit == unit)
st.markdown(f"**{md(n.unit)}**：未整改 {n.open} 条，其中逾期 {n.overdue} 条（红牌 {n.cards('红')} 条、黄牌 {n.cards('黄')} 条）。")
cols = notices.COLUMNS if by == "department" else [x for x in notices.COLUMNS if x != "属地"]
st.dataframe(n.rows[cols], hide_index=True, width="stretch", height=min(40 + 35 * n.open, 460),
             column_config={"问题描述": st.column_config.TextColumn(width="large")})
if ui.can("editor"):
    st.download_button("下载这份交办单（Word）", data=lambda: _docx(ns, n), file_name=f"{notices.file_stem(ns, n)}.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       key="dl_notice_one", on_click="ignore", icon=":material/description:")
