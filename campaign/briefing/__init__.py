"""周调度会通报: the week's briefing built from the store, written as Word, Excel and a dashboard page.

build() gathers the numbers (named queries, scoring, analysis) into a Briefing; render_docx / render_xlsx write
it; docx_bytes / xlsx_bytes take the connection first so the page can cache them (ui.metric).
The wording is data/briefing_template.yaml.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from campaign.briefing.model import Briefing, BriefingError, Chart, Section, Table, build, resolve_week, show
from campaign.briefing.template import TEMPLATE_FILE, TemplateError, load_template

__all__ = ["Briefing", "BriefingError", "Chart", "Section", "Table", "TemplateError", "TEMPLATE_FILE", "build",
           "built", "docx_bytes", "forget_built", "load_template", "render_docx", "render_xlsx", "resolve_week", "show",
           "write", "xlsx_bytes"]


def render_docx(briefing: Briefing, path: Path | str) -> Path:
    from campaign.briefing.word import render_docx as _render

    return _render(briefing, path)


def render_xlsx(briefing: Briefing, path: Path | str) -> Path:
    from campaign.briefing.excel import render_xlsx as _render

    return _render(briefing, path)


def write(briefing: Briefing, out_dir: Path | str) -> tuple[Path, Path]:
    """Both files into ``out_dir``: 周调度会通报_第N周.docx and .xlsx."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return (render_docx(briefing, out / f"{briefing.file_stem}.docx"),
            render_xlsx(briefing, out / f"{briefing.file_stem}.xlsx"))


_built: dict[tuple, Briefing] = {}


def forget_built() -> None:
    """Drop the remembered builds (the benchmark's cold page opens start from nothing)."""
    _built.clear()


def built(con: duckdb.DuckDBPyConnection, week: int | str = "latest") -> Briefing:
    """build(), remembered for the store's current data version: the page, its charts and both downloads
    share one build instead of gathering the week's numbers four times."""
    from campaign.store import data_version

    key = (id(con), data_version(con), week)
    if key not in _built:
        if len(_built) >= 8:
            _built.pop(next(iter(_built)))
        _built[key] = build(con, week)
    return _built[key]


def docx_bytes(con: duckdb.DuckDBPyConnection, week: int | str = "latest") -> bytes:
    import io

    from campaign.briefing.word import render_docx as _render

    buf = io.BytesIO()
    _render(built(con, week), buf)
    return buf.getvalue()


def xlsx_bytes(con: duckdb.DuckDBPyConnection, week: int | str = "latest") -> bytes:
    import io

    from campaign.briefing.excel import render_xlsx as _render

    buf = io.BytesIO()
    _render(built(con, week), buf)
    return buf.getvalue()
