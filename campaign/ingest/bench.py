"""Import speed: a realistic ledger of N rows written as .xlsx (as Excel writes it: shared strings, date cells,
a title row) and as GBK .csv, each imported into a fresh store; rows per second, median of the runs."""
from __future__ import annotations

import csv
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import xlsxwriter

HEADER = ["序号", "问题编号", "发现日期", "点位名称", "点位类型", "所属街道", "责任单位", "问题类别", "问题描述", "扣分",
          "督办卡", "整改时限", "整改状态", "整改完成时间", "问题来源"]
STREETS = ["滨江街道", "解放路街道", "人民路街道", "新华街道", "东湖街道", "西城街道", "南苑街道", "北关街道",
           "城东街道", "火车站街道", "青山镇", "柳林镇", "河口镇", "高新技术产业园区"]
DEPTS = ["区城市管理局", "区住房和城乡建设局", "区市场监督管理局", "区环卫中心", "区城管执法大队", "公安分局交警大队",
         "区交通运输局", "区教育局", "区商务局", "区园林绿化中心"]
TYPES = ["农贸市场", "背街小巷", "老旧小区", "居民小区", "公共厕所", "主次干道", "商业大街", "学校周边"]
PROBLEMS = {"环境卫生": ["路面有烟头、纸屑等垃圾未及时清扫", "垃圾桶满溢，周边有散落垃圾", "墙角堆放建筑垃圾和杂物"],
            "占道经营": ["流动摊贩占道经营", "店外经营、出店摆卖"], "乱贴乱画": ["墙面、电线杆小广告未清理"],
            "飞线充电": ["楼道内飞线充电", "电动车在楼道内停放充电"], "交通秩序": ["机动车违停占用人行道", "非机动车乱停乱放"],
            "公益广告": ["公益广告数量不足", "核心价值观宣传牌破损褪色"]}
STATUSES = ["待整改", "整改中", "已整改", "已销号"]


def ledger_rows(n: int, seed: int = 7, start: date = date(2025, 11, 24)) -> list[list]:
    """n problems over a year: 2,000 sites, 14 streets, the usual categories, cards and statuses."""
    rng = np.random.default_rng(seed)
    cats = list(PROBLEMS)
    site_street = rng.integers(0, len(STREETS), 2000)
    site_type = rng.integers(0, len(TYPES), 2000)
    site = rng.integers(0, 2000, n)
    day = rng.integers(0, 360, n)
    cat = rng.integers(0, len(cats), n)
    card = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    status = rng.choice(4, n, p=[0.05, 0.1, 0.35, 0.5])
    close = rng.integers(0, 8, n)
    rows = []
    for i in range(n):
        found = start + timedelta(days=int(day[i]))
        c = cats[cat[i]]
        st = int(status[i])
        rows.append([
            i + 1, f"DC{i + 1:08d}", found, f"人民路{site[i]}号{TYPES[site_type[site[i]]]}", TYPES[site_type[site[i]]],
            STREETS[site_street[site[i]]], DEPTS[(site[i] + cat[i]) % len(DEPTS)], c,
            PROBLEMS[c][i % len(PROBLEMS[c])], [0.2, 0.5, 1.0][card[i]], "白黄红"[card[i]],
            found + timedelta(days=[1, 3, 7][card[i]]), STATUSES[st],
            found + timedelta(days=int(close[i])) if st >= 2 else None, "创城办督查" if i % 5 else "市民热线",
        ])
    return rows


def write_xlsx(path: Path, rows: list[list], title: str = "临江区创城督查问题台账") -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = wb.add_worksheet("问题台账")
    d = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(HEADER) - 1, title)
    ws.write_row(1, 0, HEADER)
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, date):
                ws.write_datetime(r, c, v, d)
            else:
                ws.write(r, c, v)
    wb.close()
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "gbk") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for row in rows:
            w.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return path


def _time_import(template_db: Path, file: Path, work: Path) -> float:
    from campaign.ingest.engine import import_file

    db = work / "run.duckdb"
    shutil.copy(template_db, db)
    con = duckdb.connect(str(db))
    try:
        t = time.perf_counter()
        res = import_file(con, file)
        seconds = time.perf_counter() - t
    finally:
        con.close()
        db.unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)
    if res.refused or res.accepted == 0:
        raise RuntimeError(f"基准导入失败：{res.refused or '没有导入任何行'}")
    return seconds


def import_rows_per_s(rows: int = 100_000, runs: int = 3, log=None) -> dict:
    """{"xlsx": rows/s, "csv": rows/s, "rows": rows, "xlsx_s": [...], "csv_s": [...]} (medians over ``runs``)."""
    from campaign.store import init_store

    log = log or (lambda *a: None)
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        work = Path(tmp)
        data = ledger_rows(rows)
        files = {"xlsx": write_xlsx(work / "台账.xlsx", data), "csv": write_csv(work / "台账.csv", data)}
        template = work / "empty.duckdb"
        init_store(template)
        out: dict = {"rows": rows}
        for fmt, f in files.items():
            times = [_time_import(template, f, work) for _ in range(max(1, runs))]
            out[fmt] = round(rows / statistics.median(times))
            out[f"{fmt}_s"] = [round(t, 3) for t in times]
            log(f"{fmt}: {rows:,} 行，用时中位数 {statistics.median(times):.2f} 秒，{out[fmt]:,} 行/秒")
    return out


def matching_ms(runs: int = 3) -> dict:
    """What the check step spends on names and dates for a whole file, best of ``runs`` (ms):
    300 new street names against 200 known ones, 2,000 standard wordings against 200 standards, and working-day
    deadlines for 100,000 rows."""
    import random
    from collections import Counter

    import pandas as pd

    from campaign.ingest.names import check
    from campaign.ingest.standard_match import match_standards
    from campaign.model.calendar import add_working_days_array
    from campaign.model.framework import load_framework

    rng = random.Random(7)
    chars = "东南西北关门湖山林青柳河桥城新安和平人民解放文化建设"
    known = sorted({"".join(rng.choices(chars, k=rng.randint(2, 5))) + rng.choice(["街道", "镇", "局", "中心"])
                    for _ in range(260)})[:200]
    new = Counter({"".join(rng.choices(chars, k=rng.randint(2, 6))) + "街道": 1 for _ in range(300)})
    standards = load_framework().standards[["code", "name", "content", "item"]]
    many = pd.concat([standards, standards.assign(code=standards["code"] + "b")], ignore_index=True).iloc[:200]
    names = standards["name"].tolist()
    texts = []
    for i in range(2000):
        c = list(rng.choice(names))
        for _ in range(rng.randint(0, 6)):
            c[rng.randrange(len(c))] = rng.choice("的了是在有和")
        texts.append("".join(c) + str(i))
    gen = np.random.default_rng(1)
    starts = (np.datetime64("2023-01-01") + gen.integers(0, 3 * 365, 100_000)).astype("datetime64[D]")
    ns = gen.integers(0, 30, 100_000)
    jobs = {"names_300": lambda: check("street", new, set(known), set()),
            "standards_2000": lambda: match_standards(texts, many),
            "workdays_100k": lambda: add_working_days_array(starts, ns)}
    out = {}
    for name, job in jobs.items():
        job()  # warm up
        best = float("inf")
        for _ in range(max(1, runs)):
            t = time.perf_counter()
            job()
            best = min(best, time.perf_counter() - t)
        out[name] = round(best * 1000, 1)
    return out


MATCHING_TARGETS_MS = {"names_300": 1500, "standards_2000": 500, "workdays_100k": 50}
