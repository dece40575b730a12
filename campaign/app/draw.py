"""Drawing helpers the pages share: a change as signed text, tables as Excel downloads, a grid of small charts
in the meeting-room style. Stateless; the pages reach them through campaign.app.ui."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaign.analysis.figures import style


def fmt_delta(value: float, digits: int = 2, unit: str = "") -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{value:+.{digits}f}{unit}"


def excel_bytes(df: pd.DataFrame, sheet: str = "数据") -> bytes:
    """One table as an .xlsx the office can edit: bold header, frozen first row, columns wide enough for CJK."""
    import io

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd",
                        engine_kwargs={"options": {"strings_to_formulas": False}}) as xw:  # imported text stays text
        df.to_excel(xw, sheet_name=sheet[:31], index=False)
        ws = xw.sheets[sheet[:31]]
        ws.freeze_panes(1, 0)
        for i, col in enumerate(df.columns):
            cells = [str(col)] + [str(v) for v in df[col].head(200)]
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in c) for c in cells)
            ws.set_column(i, i, min(max(width + 2, 8), 60))
    return buf.getvalue()


def excel_download(df: pd.DataFrame, filename: str, key: str, label: str = "下载 Excel") -> None:
    """A download button for one table as Excel; the file is built only when the button is clicked."""
    name = filename if filename.endswith(".xlsx") else f"{filename}.xlsx"
    st.download_button(label, data=lambda: excel_bytes(df, sheet=Path(name).stem), file_name=name,
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=key, on_click="ignore", icon=":material/download:")


def small_multiples(panels: list[dict], title: str, cols: int = 5, y_range: list | None = None,
                    y_suffix: str = "", row_height: int = 190) -> go.Figure:
    """A grid of small line charts in the meeting-room style; panels: dicts with title, x, y, colour (and name).

    Built as plain figure data (plotly's subplot helpers validate every axis and take a tenth of a second).
    """
    import math

    rows = max(1, math.ceil(len(panels) / cols))
    base = style(go.Figure(), title, height=row_height * rows + 90).to_plotly_json()["layout"]
    ax_x, ax_y = base.pop("xaxis", {}), base.pop("yaxis", {})
    hgap, vgap = 0.02, 0.12 if rows > 1 else 0.0
    w = (1 - hgap * (cols - 1)) / cols
    h = (1 - vgap * (rows - 1)) / rows
    data, notes = [], []
    for i, p in enumerate(panels):
        r, c = divmod(i, cols)
        n = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + hgap), 1 - r * (h + vgap)
        base[f"xaxis{n}"] = {**ax_x, "domain": [round(x0, 6), round(min(x0 + w, 1.0), 6)], "anchor": f"y{n}",
                             "showticklabels": False}
        base[f"yaxis{n}"] = {**ax_y, "domain": [round(max(y1 - h, 0.0), 6), round(y1, 6)], "anchor": f"x{n}",
                             "range": y_range,
                             "ticksuffix": y_suffix, "showticklabels": c == 0, "tickfont": {"size": 13}}
        notes.append({"text": p["title"], "x": x0 + w / 2, "y": y1, "xref": "paper", "yref": "paper",
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 17}})
        data.append({"type": "scatter", "x": list(p["x"]), "y": list(p["y"]), "xaxis": f"x{n}", "yaxis": f"y{n}",
                     "mode": "lines+markers", "line": {"color": p["colour"], "width": 3}, "marker": {"size": 6},
                     "showlegend": False, "name": p.get("name", p["title"])})
    base["annotations"] = notes
    return go.Figure({"data": data, "layout": base}, _validate=False)
