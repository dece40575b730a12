"""What an import hands back to people: the quarantine as an Excel workbook, and totals over several files."""
from __future__ import annotations

import io
import re

import pandas as pd
import xlsxwriter

from campaign.ingest.engine import ImportResult

COUNTS = ("rows_read", "accepted", "updated", "unchanged", "duplicates", "quarantined", "skipped")
COUNT_LABELS = {"rows_read": "读取", "accepted": "新增", "updated": "更新", "unchanged": "未变",
                "duplicates": "重复", "quarantined": "隔离", "skipped": "跳过"}


def totals(results: list[ImportResult]) -> dict:
    out = {k: sum(getattr(r, k) for r in results) for k in COUNTS}
    out["files"] = len(results)
    out["refused"] = sum(1 for r in results if r.refused)
    return out


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:28] or "表"
    out, i = base, 2
    while out in used:
        out = f"{base[:26]}_{i}"
        i += 1
    used.add(out)
    return out


def quarantine_excel(results: list[ImportResult]) -> bytes:
    """One workbook: 隔离清单 (file, sheet, row, column, value, reason) and, per source sheet, the original rows
    held back with their reasons in front — correct them there and import that sheet again."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    head = wb.add_format({"bold": True, "bg_color": "#f2f2f2", "border": 1, "text_wrap": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    used: set[str] = set()
    ws = wb.add_worksheet(_sheet_name("隔离清单", used))
    cols = ["文件", "工作表", "行号", "列", "原值", "原因"]
    ws.write_row(0, 0, cols, head)
    r = 1
    for res in results:
        for row in res.quarantine.itertuples(index=False):
            ws.write_row(r, 0, [res.file_name, row.工作表, int(row.行号), row.列,
                                "" if pd.isna(row.原值) else str(row.原值), row.原因], wrap)
            r += 1
    ws.set_column(0, 0, 26)
    ws.set_column(1, 3, 12)
    ws.set_column(4, 4, 22)
    ws.set_column(5, 5, 48)
    ws.freeze_panes(1, 0)
    if r == 1:
        ws.write(1, 0, "没有被隔离的行。")
    for res in results:
        for sheet, df in res.quarantine_rows.items():
            sh = wb.add_worksheet(_sheet_name(f"原始行-{sheet}", used))
            sh.write_row(0, 0, list(df.columns), head)
            for i, values in enumerate(df.itertuples(index=False), start=1):
                for j, v in enumerate(values):
                    if v is None or (isinstance(v, float) and v != v) or v == "":
                        continue
                    if hasattr(v, "year") and hasattr(v, "month"):
                        sh.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), date)
                    else:
                        sh.write(i, j, v)
            sh.set_column(0, 0, 8)
            sh.set_column(1, 1, 40)
            sh.set_column(2, len(df.columns), 14)
            sh.freeze_panes(1, 2)
    wb.close()
    return buf.getvalue()
