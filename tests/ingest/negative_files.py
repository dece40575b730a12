"""A 负面清单事项报送台账 as an office keeps one: a merged title row, a two-row header (负面清单事项 merged over 事项编码 /
事项名称, the other headers merged downwards), a 序号 column, dates written three ways and as an Excel serial, blank
rows, one row repeated with its date written differently, and a 合计 row. Spreadsheet rows: title 1, header 2–3,
data from 4.

What a person counts by hand from ROWS (the items are the shipped sample framework's):
  lands (3): row 4  N02 扣2分 2026-08-01 北关街道
             row 5  N03 扣3分 2026-09-05 区市场监督管理局 (written 区市场监管局, a short form)
             row 6  N10 扣1分 2026-08-26 区城市管理局 (written n10 and 区城管局; the date an Excel serial, 46260)
  held (5):  row 8  a wording close to N02's → suggested N02
             row 9  "火灾": near nothing → the closest item named
             row 10 N99: no such item
             row 11 a date after today
             row 12 no date
  repeat (1): row 13 = row 4 with its date written 2026年8月1日
  skipped (3): rows 7 and 14 blank, row 15 合计
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

HEADER = ["序号", "事项编码", "事项名称", "发生日期", "涉及单位", "情况说明", "来源", "报送人"]
TITLE = "临江区2026年负面清单事项报送台账"
FORMULA_NOTE = '=HYPERLINK("http://example.com","央视曝光")'
LATER = date.today() + timedelta(days=20)


def rows() -> list[list | None]:
    return [
        [1, "N02", "", "2026.8.1", "北关街道", "仓库火灾致1人受伤", "区应急管理局", "张三"],             # 4
        [2, "", "发生重大食品药品安全事件", "2026年9月5日", "区市场监管局", "学校食堂食物中毒", "", ""],  # 5
        [3, "n10", "", 46260, "区城管局", FORMULA_NOTE, "", ""],                                      # 6
        None,                                                                                     # 7
        [4, "", "发生较大及以上火灾事故", date(2026, 10, 3), "东湖街道", "", "", ""],                  # 8
        [5, "", "火灾", "2026-10-04", "东湖街道", "", "", ""],                                       # 9
        [6, "N99", "", "2026-10-05", "东湖街道", "", "", ""],                                       # 10
        [7, "N10", "", f"{LATER.year}.{LATER.month}.{LATER.day}", "区城管局", "=SUM(A1:A9)", "", ""],  # 11
        [8, "N02", "", "", "北关街道", "日期待补", "", ""],                                          # 12
        [9, "N02", "", "2026年8月1日", "北关街道", "仓库火灾致1人受伤", "区应急管理局", "张三"],          # 13
        None,                                                                                     # 14
        ["合计", "", "", "", "", "共9件", "", ""],                                                  # 15
    ]


def write_negative_ledger(path: Path, body: list[list | None] | None = None, title: str = TITLE) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = wb.add_worksheet("报送台账")
    d = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(HEADER) - 1, title)
    ws.merge_range(1, 1, 1, 2, "负面清单事项")
    ws.write_row(2, 1, HEADER[1:3])
    for j, h in enumerate(HEADER):
        if j not in (1, 2):
            ws.merge_range(1, j, 2, j, h)
    for i, row in enumerate(rows() if body is None else body, start=3):
        for j, v in enumerate(row or []):
            if isinstance(v, (date, datetime)):
                ws.write_datetime(i, j, v if isinstance(v, datetime) else datetime(v.year, v.month, v.day), d)
            elif isinstance(v, str):
                if v:
                    ws.write_string(i, j, v)
            elif v is not None:
                ws.write_number(i, j, v)
    wb.close()
    return path
