"""Fixture files as offices export them: title rows, merged headers, GBK CSV, .xls written by LibreOffice."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from campaign.store import init_store

LEDGER_HEADER = ["序号", "问题编号", "发现日期", "点位名称", "点位类型", "所属街道", "责任单位", "问题类别", "问题描述", "扣分",
                 "督办卡", "整改时限", "整改状态", "整改完成时间"]


def write_xlsx(path: Path, header: list[str], rows: list[list], title: str | None = None, sheet: str = "Sheet1",
               extra_sheets: dict[str, list[list]] | None = None, numbers_as_text: bool = False) -> Path:
    """A workbook as an office makes one: a merged title row above the header; dates as date cells."""
    wb = xlsxwriter.Workbook(str(path))
    d = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, (hdr, body, ttl) in {sheet: (header, rows, title),
                                    **{k: (v[0], v[1:], None) for k, v in (extra_sheets or {}).items()}}.items():
        ws = wb.add_worksheet(name)
        r = 0
        if ttl:
            ws.merge_range(0, 0, 0, max(len(hdr) - 1, 1), ttl)
            r = 1
        ws.write_row(r, 0, hdr)
        for i, row in enumerate(body, start=r + 1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (date, datetime)):
                    ws.write_datetime(i, j, v if isinstance(v, datetime) else datetime(v.year, v.month, v.day), d)
                elif isinstance(v, str):
                    ws.write_string(i, j, v)
                else:
                    ws.write(i, j, v)
    wb.close()
    return path


def rewrite(data: bytes, part: str, change) -> bytes:
    """The same workbook with one part's XML changed."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info)
            z.writestr(info.filename, change(body) if info.filename == part else body)
    return out.getvalue()


def write_merged_ledger(path: Path, rows: list[list], title: str = "临江区创城第12周督查问题清单") -> Path:
    """Two header rows: 整改情况 merged over 整改时限 / 整改状态 / 完成时间; the other headers merged downwards."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("问题清单")
    d = wb.add_format({"num_format": "yyyy-mm-dd"})
    top = ["序号", "问题编号", "发现日期", "点位名称", "所属街道", "责任单位", "问题类别", "问题描述", "扣分", "督办卡"]
    ws.merge_range(0, 0, 0, len(top) + 2, title)
    ws.merge_range(1, 0, 1, 3, "制表单位：区创城办　　　统计时间：2025年3月")
    for j, h in enumerate(top):
        ws.merge_range(2, j, 3, j, h)
    ws.merge_range(2, len(top), 2, len(top) + 2, "整改情况")
    ws.write_row(3, len(top), ["整改时限", "整改状态", "完成时间"])
    for i, row in enumerate(rows, start=4):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, date):
                ws.write_datetime(i, j, datetime(v.year, v.month, v.day), d)
            else:
                ws.write(i, j, v)
    wb.close()
    return path


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "gbk",
              title: str | None = None) -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        if title:
            w.writerow([title])
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return path


@pytest.fixture(scope="session")
def to_xls(tmp_path_factory):
    """Convert a workbook to old .xls with LibreOffice (a real spreadsheet program); cached per content."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is needed: scripts/setup.sh --dev installs it"
    cache = tmp_path_factory.mktemp("xls")
    profile = cache / "profile"

    def convert(src: Path) -> Path:
        digest = hashlib.sha1(src.read_bytes()).hexdigest()[:12]
        out = cache / f"{src.stem}-{digest}.xls"
        if out.exists():
            return out
        work = cache / digest
        work.mkdir(exist_ok=True)
        shutil.copy(src, work / src.name)
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xls",
                        "--outdir", str(work), str(work / src.name)], check=True, capture_output=True, timeout=180,
                       env={**os.environ, "HOME": str(cache)})
        (work / f"{src.stem}.xls").rename(out)
        return out

    return convert


@pytest.fixture()
def store(tmp_path) -> Path:
    """A fresh empty store with the default framework (what `import --db new.duckdb` starts from)."""
    path = tmp_path / "campaign.duckdb"
    init_store(path)
    return path


@pytest.fixture()
def con(store):
    c = duckdb.connect(str(store))
    yield c
    c.close()


def ledger_row(no, pid, found, site, street, dept, category, desc, deduction=0.5, card="黄", deadline=None,
               status="整改中", closed=None, site_type="农贸市场"):
    return [no, pid, found, site, site_type, street, dept, category, desc, deduction, card, deadline, status, closed]


@pytest.fixture()
def base_rows() -> list[list]:
    """Twelve problems at a few sites of three streets, March 2025."""
    D = date
    return [
        ledger_row(1, "DC001", D(2025, 3, 10), "人民路农贸市场", "北关街道", "区市场监督管理局", "占道经营", "市场外围流动摊贩占道"),
        ledger_row(2, "DC002", D(2025, 3, 10), "人民路农贸市场", "北关街道", "区市场监督管理局", "环境卫生", "垃圾桶满溢"),
        ledger_row(3, "DC003", D(2025, 3, 10), "解放路3巷", "北关街道", "区城市管理局", "乱贴乱画", "墙面小广告未清理",
                   card="白", status="已整改", closed=D(2025, 3, 10)),
        ledger_row(4, "DC004", D(2025, 3, 11), "东湖花园小区", "东湖街道", "区住房和城乡建设局", "飞线充电", "楼道内飞线充电",
                   card="红", deadline=D(2025, 3, 18), site_type="居民小区"),
        ledger_row(5, "DC005", D(2025, 3, 11), "东湖花园小区", "东湖街道", "区住房和城乡建设局", "垃圾分类", "混投混放",
                   site_type="居民小区"),
        ledger_row(6, "DC006", D(2025, 3, 12), "青山镇集贸市场", "青山镇", "区市场监督管理局", "环境卫生", "地面污水横流"),
        ledger_row(7, "DC007", D(2025, 3, 12), "青山镇集贸市场", "青山镇", "区市场监督管理局", "设施配套", "无公平秤"),
        ledger_row(8, "DC008", D(2025, 3, 12), "人民路农贸市场", "北关街道", "区市场监督管理局", "公益广告", "公益广告数量不足"),
        ledger_row(9, "DC009", D(2025, 3, 13), "解放路3巷", "北关街道", "区城市管理局", "基础设施破损", "路灯不亮"),
        ledger_row(10, "DC010", D(2025, 3, 13), "东湖花园小区", "东湖街道", "区住房和城乡建设局", "环境卫生", "绿化带白色垃圾"),
        ledger_row(11, "DC011", D(2025, 3, 14), "青山镇集贸市场", "青山镇", "区城管执法大队", "占道经营", "店外经营"),
        ledger_row(12, "DC012", D(2025, 3, 14), "解放路3巷", "北关街道", "区城市管理局", "环境卫生", "墙角堆放杂物"),
    ]


@pytest.fixture()
def page(store, monkeypatch):
    """The 数据导入 page opened through the dashboard's entry on the test module's ``store``."""
    from streamlit.testing.v1 import AppTest

    from campaign.config import ROOT

    monkeypatch.setenv("CAMPAIGN_DB", str(store))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/import.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
