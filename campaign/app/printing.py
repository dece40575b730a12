"""Printing any page (Ctrl+P): A4 landscape, no sidebar or toolbar, charts whole.

On paper the main column lays out at the printable width (A4 landscape with 10 mm margins is 277 mm ≈ 1047 CSS
pixels), so text, metrics and columns reflow as on a narrower screen. A chart or data table, though, is drawn at
the width the screen gave it and is not redrawn for paper, so it would be cut at the paper's edge. Just before
printing a script measures the main column on screen and sets ``--print-zoom`` to paper width / column width;
the print stylesheet zooms each chart and data table by it, so each keeps its screen drawing, whole, in the
narrower paper column. After printing the zoom goes.
"""
from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

PAPER_PX = 1047  # printable width of A4 landscape with 10 mm margins, in CSS pixels (96 per inch)

CSS = """<style>
@page { size: A4 landscape; margin: 10mm; }
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stBottom"], .stDownloadButton, .stButton, .stFormSubmitButton,
  [data-testid="stElementToolbar"], [data-testid="stPageLink"], .no-print { display: none !important; }
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"], section.main {
    overflow: visible !important; height: auto !important; position: static !important; }
  [data-testid="stMain"] { margin: 0 !important; padding: 0 !important; }
  [data-testid="stMainBlockContainer"] { width: 100% !important; max-width: none !important;
    padding: 0 !important; margin: 0 !important; }
  [data-testid="stHorizontalBlock"] { display: flex !important; }  /* Streamlit prints columns one under another */
  .stPlotlyChart, [data-testid="stDataFrame"], [data-testid="stVegaLiteChart"] { zoom: var(--print-zoom, 1); }
  /* a zoomed chart's frames would keep its screen height as a gap below it */
  .stPlotlyChart, [data-testid="stFullScreenFrame"]:has(> .stPlotlyChart),
  [data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"] > .stPlotlyChart) { height: auto !important; }
  .stPlotlyChart, [data-testid="stMetric"], [data-testid="stTable"] tr, [data-testid="stDataFrame"], img,
  [data-testid="stColumn"],
  [data-testid="stHorizontalBlock"]:has(.stPlotlyChart) { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3, [data-testid="stHeading"], [data-testid="stCaptionContainer"] {
    break-after: avoid; page-break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>"""

# Runs once per browser tab; the component's frame shares the page's origin, so it can reach the page.
SCRIPT = """<script>
const doc = window.parent.document;
if (!doc.__printFit) {
  doc.__printFit = true;
  const fit = () => {
    const col = doc.querySelector('[data-testid="stMainBlockContainer"]');
    if (!col) return;
    const cs = getComputedStyle(col);
    const wide = col.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    // 2 %% spare for the gaps between columns, which do not shrink with them
    const zoom = Math.min(1, 0.98 * %(paper)d / Math.max(wide, 1));
    doc.documentElement.style.setProperty("--print-zoom", zoom.toFixed(4));
  };
  const unfit = () => doc.documentElement.style.removeProperty("--print-zoom");
  window.parent.addEventListener("beforeprint", fit);
  window.parent.addEventListener("afterprint", unfit);
}
</script>""" % {"paper": PAPER_PX}


def setup() -> None:
    """The print stylesheet and its measuring script, on every page. Both sit in the sidebar, which is not
    printed, so the page's own layout is untouched (a style applies to the whole page wherever it is)."""
    with st.sidebar:
        st.markdown(CSS, unsafe_allow_html=True)
        components.html(SCRIPT, height=0)  # our own script, no user text in it (st.iframe cannot be 0 high)
