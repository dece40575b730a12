"""周调度会通报: the week's briefing as a print-friendly page, and the same briefing as Word and Excel files."""
import html

import streamlit as st

from campaign import briefing
from campaign.analysis import figures
from campaign.app import ui

PRINT_CSS = """<style>
.brief { font-family: "FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC", serif; font-size: 1.2rem;
         line-height: 2; color: #111; }
.brief p { text-indent: 2em; margin: 0; text-align: justify; }
.brief p.plain { text-indent: 0; }
.brief .mast { color: #e60012; text-align: center; font-size: 2.4rem; letter-spacing: .15em; text-indent: 0;
               font-family: "SimSun", "Noto Serif CJK SC", serif; }
.brief .issue { text-align: center; text-indent: 0; }
.brief .issuer { display: flex; justify-content: space-between; border-bottom: 3px solid #e60012;
                 padding-bottom: .3rem; margin-bottom: 1rem; text-indent: 0; font-size: 1.05rem; }
.brief h2 { text-align: center; font-size: 1.7rem; line-height: 1.5; margin: .6rem 0 1rem; padding: 0; }
.brief h3 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 1.2rem; font-weight: normal;
            text-indent: 2em; margin: .2rem 0; padding: 0; }
.brief .caption { text-align: center; text-indent: 0; font-weight: bold; margin-top: .8rem; }
.brief .sign { text-align: right; text-indent: 0; padding-right: 4em; }
@media print {  /* sidebar and page size as on every page (campaign/app/printing.py); here: keep headings with text */
  [data-testid="stElementContainer"]:has(.caption), [data-testid="stElementContainer"]:has(h3) {
    break-after: avoid; page-break-after: avoid; }
  [data-testid="stTable"] tr, img, .stPlotlyChart { break-inside: avoid; page-break-inside: avoid; }
}
</style>"""


def para(text: str, cls: str = "") -> None:
    st.markdown(f'<div class="brief"><p class="{cls}">{html.escape(text)}</p></div>', unsafe_allow_html=True)


f = ui.filters()
try:
    b = ui.call(briefing.built, week=f.week.number)
except (briefing.BriefingError, briefing.TemplateError, ValueError) as exc:
    st.title("周调度会通报")
    st.error(str(exc))
    st.stop()

st.markdown(PRINT_CSS, unsafe_allow_html=True)
st.title(f"周调度会通报 · {b.week.name}")
st.caption(f"全区口径，按{b.week.start:%Y年%m月%d日}至{b.week.end:%m月%d日}的督查台账和本周末已有的最近一轮测评"
           f"（{b.round_name or '尚无测评'}）生成，与下载的 Word、Excel 文件相同；侧边栏只有“周次”作用于通报。"
           "措辞可在 data/briefing_template.yaml 中修改。用浏览器打印（Ctrl+P）即得纸质版。")
a, c, _ = st.columns([1, 1, 3])
a.download_button("下载 Word 通报", data=lambda: ui.call(briefing.docx_bytes, week=b.week.number),
                  file_name=f"{b.file_stem}.docx", key="dl_docx", on_click="ignore", icon=":material/description:",
                  mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
c.download_button("下载 Excel 附表", data=lambda: ui.call(briefing.xlsx_bytes, week=b.week.number),
                  file_name=f"{b.file_stem}.xlsx", key="dl_xlsx", on_click="ignore", icon=":material/table:",
                  mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

date = f"{b.issue_date.year}年{b.issue_date.month}月{b.issue_date.day}日"
_, body, _ = st.columns([1, 10, 1])  # a page-like column: text, tables and charts share its width
with body:
    st.markdown(f'<div class="brief"><p class="mast">{html.escape(b.masthead)}</p>'
                f'<p class="issue">{html.escape(b.issue_number)}</p>'
                f'<div class="issuer"><span>{html.escape(b.issuer)}</span><span>{date}</span></div>'
                f'<h2>{html.escape(b.title)}</h2></div>', unsafe_allow_html=True)
    para(b.recipients, "plain")
    for section in b.sections:
        st.markdown(f'<div class="brief"><h3>{html.escape(section.heading)}</h3></div>', unsafe_allow_html=True)
        for text in section.paragraphs:
            para(text)
        for block in section.blocks:
            if isinstance(block, briefing.Table):
                para(block.title, "caption")
                if block.note:
                    st.caption(block.note)
                st.table(block.doc_frame(), hide_index=True)
            else:
                _, mid, _ = st.columns([1, 8, 1])
                mid.plotly_chart(figures.briefing_chart(block), width="stretch", key=f"chart_{block.key}",
                                 config={"displayModeBar": False})
                para(block.caption, "caption")
    para(b.closing, "sign")
    para(date, "sign")
