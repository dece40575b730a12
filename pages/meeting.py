"""会议模式: the dispatch meeting's points full screen, one at a time, in big type — the same sequence as the deck.
Next and previous by the buttons or the keyboard (→ ← PageDown PageUp, space); auto-advance if chosen."""
import html
import time

import streamlit as st
import streamlit.components.v1 as components

from campaign.analysis import figures
from campaign.app import ui
from campaign.briefing import BriefingError, TemplateError
from campaign.outputs import slides

ss = st.session_state
CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem; padding-bottom: 1rem; max-width: 100%; }
h1 { font-size: 1.1rem !important; color: #6b7280; padding: 0 !important; font-weight: 600 !important; }
.m-head { color: #6b7280; font-size: 1.25rem; margin: 0; }
.m-title { font-size: clamp(1.9rem, 3.1vw, 3.2rem); font-weight: 700; line-height: 1.25; margin: .2rem 0 1rem;
           color: #111827; }
.m-fig { padding: .4rem 0 .9rem; }
.m-fig .l { color: #6b7280; font-size: clamp(1.1rem, 1.5vw, 1.6rem); }
.m-fig .v { font-size: clamp(2.6rem, 4.6vw, 5rem); font-weight: 700; line-height: 1.1; color: #111827; }
.m-fig .n { font-size: clamp(1rem, 1.3vw, 1.4rem); color: #6b7280; }
.m-fig .n.good { color: #1e7b34; } .m-fig .n.bad { color: #c8102e; }
table.m-t { border-collapse: collapse; width: 100%; font-size: clamp(1.05rem, 1.45vw, 1.6rem); }
table.m-t th { background: #c8102e; color: #fff; text-align: left; padding: .35rem .6rem; font-weight: 600; }
table.m-t td { padding: .35rem .6rem; border-bottom: 1px solid #e5e7eb; }
table.m-t tr:nth-child(even) td { background: #f3f4f6; }
.m-note { color: #6b7280; font-size: 1.05rem; margin-top: .6rem; }
.m-title-slide { text-align: center; padding-top: 18vh; }
.m-title-slide .t { color: #c8102e; font-size: clamp(2.4rem, 4.5vw, 4.6rem); font-weight: 700; }
.m-title-slide .s { color: #6b7280; font-size: clamp(1.2rem, 2vw, 2rem); }
</style>"""

# → ← PageDown PageUp and space press the page's own buttons (the script runs once per browser tab)
KEYS = """<script>
const doc = window.parent.document;
if (!doc.__meetingKeys) {
  doc.__meetingKeys = true;
  doc.addEventListener("keydown", (e) => {
    if (["INPUT", "TEXTAREA", "SELECT"].includes((e.target.tagName || ""))) return;
    const want = ["ArrowRight", "PageDown", " "].includes(e.key) ? "下一页"
               : ["ArrowLeft", "PageUp"].includes(e.key) ? "上一页" : null;
    if (!want) return;
    const b = [...doc.querySelectorAll("button")].find((x) => x.innerText.includes(want));
    if (b && !b.disabled) { e.preventDefault(); b.click(); }
  });
}
</script>"""


def esc(text) -> str:
    return html.escape(str(text))


def table_html(df) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
                   for row in df.head(slides.BIG_ROWS).astype(str).itertuples(index=False))
    return f'<table class="m-t"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def show(m: slides.Meeting, i: int) -> None:
    n = len(m.points) + 1
    if i == 0:
        st.markdown(f'<div class="m-title-slide"><div class="t">{esc(m.title)}</div>'
                    f'<div class="s">{esc(m.subtitle)}</div></div>', unsafe_allow_html=True)
        return
    p = m.points[i - 1]
    st.markdown(f'<p class="m-head">{i} / {n - 1}　{esc(p.heading)}</p><div class="m-title">{esc(p.title)}</div>',
                unsafe_allow_html=True)
    if p.figures:
        for row in range(0, len(p.figures), 3):
            cols = st.columns(3)
            for c, f in zip(cols, p.figures[row:row + 3]):
                c.markdown(f'<div class="m-fig"><div class="l">{esc(f.label)}</div><div class="v">{esc(f.value)}</div>'
                           f'<div class="n {f.tone}">{esc(f.note)}</div></div>', unsafe_allow_html=True)
    if p.chart is not None:
        fig = figures.briefing_chart(p.chart)
        # the slide's headline is the chart's point: no second title; short enough for a 1280×720 projector
        fig.update_layout(height=470, font=dict(size=17), title=None, margin=dict(t=10))
        st.plotly_chart(fig, width="stretch", key=f"m_chart_{p.key}", config={"displayModeBar": False})
    if p.table is not None:
        st.markdown(table_html(p.table), unsafe_allow_html=True)
    if p.note:
        st.markdown(f'<p class="m-note">{esc(p.note)}</p>', unsafe_allow_html=True)


f = ui.filters()
try:
    m = ui.call(slides.build, week=f.week.number)
except (BriefingError, TemplateError, ValueError) as exc:
    st.title("会议模式")
    st.error(str(exc))
    st.stop()

st.markdown(CSS, unsafe_allow_html=True)
st.title(f"会议模式 · {m.title}")
components.html(KEYS, height=0)  # our own script, no user text in it (st.iframe cannot be 0 high)
n = len(m.points) + 1
ss.setdefault("meeting_i", 0)
ss.setdefault("meeting_t0", time.monotonic())
ss["meeting_i"] = min(max(int(ss["meeting_i"]), 0), n - 1)


def go(step: int) -> None:
    ss["meeting_i"] = (ss["meeting_i"] + step) % n
    ss["meeting_t0"] = time.monotonic()


nav = st.columns([1.2, 1.2, 1.6, 1.4, 4.6, 1.6], vertical_alignment="center")
nav[0].button("◀ 上一页", key="m_prev", on_click=go, args=(-1,), width="stretch")
nav[1].button("下一页 ▶", key="m_next", on_click=go, args=(1,), width="stretch", type="primary")
auto = nav[2].toggle("自动播放", key="m_auto")
secs = nav[3].selectbox("每页秒数", [10, 20, 30, 60], index=1, key="m_secs", label_visibility="collapsed",
                        disabled=not auto)
nav[4].download_button("下载幻灯片（.pptx）", data=lambda: slides.deck_bytes(m), file_name=f"{m.title}.pptx",
                       mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                       key="dl_deck", on_click="ignore", icon=":material/slideshow:")
nav[5].page_link("pages/overview.py", label="退出会议模式", icon=":material/close:")


@st.fragment(run_every=secs if auto else None)
def slide() -> None:
    if auto and time.monotonic() - ss["meeting_t0"] >= secs:
        go(1)
    show(m, ss["meeting_i"])


slide()
