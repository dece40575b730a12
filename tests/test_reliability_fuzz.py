"""Fuzzing the importer: over 10,000 generated or damaged files go through the engine's public entry point
(import_file) into one store. Every file is either refused with the engine's own Chinese message and changes
nothing, or accepted; after each, the store holds exactly what it held before plus what the summary says was
written — never part of a file.

Examples are derandomised so that the suite is repeatable; CAMPAIGN_FUZZ_SCALE=10 runs ten times as many,
randomly."""
from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime

import duckdb
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.ingest import import_file
from campaign.ingest.bench import HEADER, ledger_rows, write_csv, write_xlsx
from campaign.ingest.mapping import load_aliases
from campaign.store import init_store

SCALE = float(os.environ.get("CAMPAIGN_FUZZ_SCALE", "1"))
FUZZ = settings(deadline=None, database=None, derandomize=SCALE == 1, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
CJK = re.compile(r"[\u4e00-\u9fff]")
TABLES = {"ledger": "problems", "assessment": "assessment_scores", "survey": "survey_rates", "peers": "peer_scores"}
ROUND = "2026年第一轮模拟测评"
COUNTS = "SELECT " + ", ".join(f"(SELECT count(*) FROM store.{t})" for t in [*TABLES.values(), "import_log"])
TALLY = {"refused": 0, "accepted": 0, "unchanged": 0}


def examples(n: int) -> int:
    return int(n * SCALE)


# ---------------------------------------------------------------------------------------------------- the store
class Fuzz:
    """The store every example goes into, and what it held after the last one."""

    def __init__(self, con, aliases, seeds):
        self.con, self.aliases, self.seeds = con, aliases, seeds
        self.counts = counts(con)

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return f"Fuzz(counts={self.counts})"


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    db = work / "fuzz.duckdb"
    init_store(db)
    con = duckdb.connect(str(db))
    rows = ledger_rows(12, seed=9)
    seeds = {
        "台账.xlsx": write_xlsx(work / "台账.xlsx", rows).read_bytes(),
        "台账.csv": write_csv(work / "台账.csv", rows).read_bytes(),
        "台账-utf8.csv": write_csv(work / "u.csv", rows, encoding="utf-8").read_bytes(),
        "测评.xlsx": _xlsx([["测评轮次", "测评日期", "测评标准编码", "点位名称", "所属街道", "得分", "满分"]] +
                         [[ROUND, "2026-01-16", f"A{i % 3 + 1}.1.1", f"点位{i}", "北关街道", i % 2, 1] for i in range(8)]),
        "问卷.csv": "测评轮次,街道,样本量,知晓率,满意度\n".encode("gbk") + "".join(
            f"{ROUND},北关街道{i},{100 + i},8{i}.5%,90%\n" for i in range(5)).encode("gbk"),
        "兄弟区县.xlsx": _xlsx([["区县", "总分"], ["江北区", 81.5], ["城南区", 79.25]], title=f"全市{ROUND}各区县得分"),
    }
    yield Fuzz(con, load_aliases(), seeds)
    con.close()
    print(f"\nfuzz: {sum(TALLY.values()):,} files, {TALLY}")


def counts(con) -> tuple:
    cur = con.cursor()
    try:
        return cur.execute(COUNTS).fetchone()
    finally:
        cur.close()


def attempt(fuzz: Fuzz, data: bytes, name: str, kind: str | None = None, round_name: str | None = None):
    """One file through the importer; any exception escaping import_file fails the test."""
    con = fuzz.con
    before = fuzz.counts  # the store changes only here: what the previous attempt left
    res = import_file(con, data, name, kind=kind, round_name=round_name, aliases=fuzz.aliases, imported_by="fuzz")
    after = fuzz.counts = counts(con)
    if res.refused:
        TALLY["refused"] += 1
        assert CJK.search(res.refused), res.refused  # the engine's own message, in Chinese
        assert res.import_id is None and after == before
        return res
    if not res.written:
        TALLY["unchanged"] += 1
        assert after == before
        return res
    TALLY["accepted"] += 1
    table = TABLES[res.kind]
    expected = list(before)
    expected[list(TABLES).index(res.kind)] += res.accepted
    expected[-1] += 1
    assert list(after) == expected, (res.kind, res.accepted, res.updated, before, after)
    cur = con.cursor()
    try:
        mine = cur.execute("SELECT count(*) FROM store." + table + " WHERE import_id = ?", [res.import_id]).fetchone()
        logged = cur.execute("SELECT accepted, updated FROM store.import_log WHERE import_id = ?",
                             [res.import_id]).fetchone()
    finally:
        cur.close()
    assert mine[0] == res.accepted + res.updated and logged == (res.accepted, res.updated)
    return res


# ---------------------------------------------------------------------------------------------------- generators
def _xlsx(rows: list[list], title: str | None = None, sheets: int = 1, merge: bool = False) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "nan_inf_to_errors": True})
    dfmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for s in range(sheets):
        ws = wb.add_worksheet(f"Sheet{s + 1}" if s else "问题清单")
        r0 = 0
        if title:
            width = max((len(r) for r in rows), default=1)
            if merge and width > 1:
                ws.merge_range(0, 0, 0, width - 1, title)
            else:
                ws.write_string(0, 0, title)
            r0 = 1
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (date, datetime)):
                    ws.write_datetime(r0 + i, j, v if isinstance(v, datetime) else datetime(v.year, v.month, v.day), dfmt)
                elif isinstance(v, bool):
                    ws.write_boolean(r0 + i, j, v)
                elif isinstance(v, (int, float)):
                    ws.write_number(r0 + i, j, v)
                else:
                    ws.write_string(r0 + i, j, v[:32000])
    wb.close()
    return buf.getvalue()


HEADERS = HEADER + ["测评轮次", "测评日期", "测评标准编码", "得分", "满分", "是否达标", "区县", "总分", "街道", "知晓率",
                    "支持率", "参与率", "满意度", "样本量", "调查指标", "比率", "属地", "责任部门", "备注", "合计"]
WORDS = ["", " ", "合计", "小计", "注：本表为测试", "2025-03-12", "2025.3.12", "2025/3/12", "3月12日", "2025年3月12日",
         "45000", "扣0.5分", "-0.5", "0.5", "１２", "黄", "红牌", "白", "已销号", "整改中", "待整改", "北关街道", "北关街到",
         "东湖街道", "区城市管理局", "农贸市场", "环境卫生", "DC00000001", "A1.1.1", "B4.1.3", ROUND, "85%", "0.853",
         "1e308", "-1", "NaN", "inf", "=1+1", "达标", "否", "\u3000", "江北区", "9999-99-99", "2025-02-30"]
cell = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.none(),
    st.booleans(),
)
header = st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=6)), min_size=0, max_size=14)


@st.composite
def tables(draw) -> list[list]:
    head = draw(header)
    width = max(1, len(head) + draw(st.integers(-2, 2)))
    body = draw(st.lists(st.lists(cell, min_size=0, max_size=width), max_size=8))
    return [head] + body


CODES = ["A1.1.1", "A1.1.2", "A1.2.1", "B4.1.3", "B1.1.1", "C1.1.1", "Z9.9.9"]
POOLS = {  # plausible values per column, so that many generated files get past the header and into the write
    "问题编号": st.builds(lambda n: f"FZ{n:06d}", st.integers(0, 999_999)),
    "发现日期": st.one_of(st.dates(date(2025, 1, 1), date(2026, 12, 31)), st.sampled_from(["2025.3.12", "3月12日"])),
    "点位名称": st.sampled_from(["人民路农贸市场", "解放路3巷", "东湖花园小区", "青山镇集贸市场", "新点位"]),
    "点位类型": st.sampled_from(["农贸市场", "背街小巷", "居民小区", "公共厕所"]),
    "所属街道": st.sampled_from(["北关街道", "东湖街道", "青山镇", "北关街到", "新街道"]),
    "责任单位": st.sampled_from(["区城市管理局", "区市场监督管理局", "区住房和城乡建设局"]),
    "问题类别": st.sampled_from(["环境卫生", "占道经营", "乱贴乱画", "飞线充电"]),
    "扣分": st.sampled_from([0.5, 1, "扣0.5分", "-0.5", "两分"]),
    "督办卡": st.sampled_from(["白", "黄", "红", "黄牌", "蓝"]),
    "整改状态": st.sampled_from(["待整改", "整改中", "已整改", "已销号", "不知道"]),
    "测评轮次": st.sampled_from([ROUND, "2026年第二轮模拟测评"]),
    "测评标准编码": st.sampled_from(CODES),
    "得分": st.one_of(st.sampled_from([0, 1, 0.5, "1分", "满分"]), st.floats(-1, 2)),
    "满分": st.sampled_from([1, 1, 2, 0, "一"]),
    "街道": st.sampled_from(["北关街道", "东湖街道", "全区"]),
    "样本量": st.one_of(st.integers(-5, 5000), st.sampled_from([1e12, "百"])),
    "知晓率": st.sampled_from(["85%", "0.9", "92.5", "120%", "高"]),
    "满意度": st.sampled_from(["85%", "0.9", "92.5", "-3%"]),
    "区县": st.sampled_from(["江北区", "城南区", "临江区", "云溪区"]),
    "总分": st.one_of(st.floats(0, 120), st.sampled_from(["八十", ""])),
}
TEMPLATES = [
    ["问题编号", "发现日期", "点位名称", "点位类型", "所属街道", "责任单位", "问题类别", "扣分", "督办卡", "整改状态"],
    ["测评轮次", "测评标准编码", "点位名称", "所属街道", "得分", "满分"],
    ["测评轮次", "街道", "样本量", "知晓率", "满意度"],
    ["测评轮次", "区县", "总分"],
]


@st.composite
def plausible_tables(draw) -> list[list]:
    """A kind's real header (a column may go missing) and mostly plausible cells, with random ones mixed in."""
    head = [h for h in draw(st.sampled_from(TEMPLATES)) if draw(st.integers(0, 9))]
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        rows.append([draw(POOLS[h]) if draw(st.integers(0, 5)) else draw(cell) for h in head])
    return [head] + rows


def _text_cell(v) -> str:
    return "" if v is None else v.isoformat() if isinstance(v, date) else str(v)


@st.composite
def csv_files(draw) -> tuple[bytes, str]:
    rows = draw(st.one_of(tables(), plausible_tables()))
    delim = draw(st.sampled_from([",", "\t", ";", "|"]))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim)
    if draw(st.booleans()):
        w.writerow([draw(st.sampled_from(["临江区创城第12周督查问题清单", f"临江区{ROUND}得分", "问卷调查结果"]))])
    for r in rows:
        w.writerow([_text_cell(v) for v in r])
    text = buf.getvalue().replace("\r\n", draw(st.sampled_from(["\r\n", "\n", "\r"])))
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "latin-1"]))
    return text.encode(enc, errors="replace"), draw(st.sampled_from(["表.csv", "表.CSV", "表.xls", "表.txt"]))


@st.composite
def xlsx_files(draw) -> tuple[bytes, str]:
    rows = draw(st.one_of(tables(), plausible_tables()))
    title = draw(st.one_of(st.none(), st.sampled_from(["临江区创城第12周督查问题清单", f"全市{ROUND}各区县得分"])))
    data = _xlsx(rows, title=title, sheets=draw(st.integers(1, 2)), merge=draw(st.booleans()))
    return data, draw(st.sampled_from(["表.xlsx", "表.xls", "表.csv", "表"]))


@st.composite
def mutations(draw, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not b:
            break
        op = draw(st.sampled_from(["flip", "truncate", "delete", "insert", "repeat", "zero"]))
        i = draw(st.integers(0, len(b) - 1))
        if op == "flip":
            b[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del b[i:]
        elif op == "delete":
            del b[i:i + draw(st.integers(1, 400))]
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif op == "repeat":
            j = draw(st.integers(0, len(b) - 1))
            b[i:i] = b[j:j + draw(st.integers(1, 600))]
        else:
            n = draw(st.integers(1, 64))
            b[i:i + n] = bytes(len(b[i:i + n]))
    return bytes(b)


kinds = st.sampled_from([None, None, None, "ledger", "assessment", "survey", "peers"])
rounds = st.sampled_from([None, None, ROUND])


# ---------------------------------------------------------------------------------------------------- the tests
@settings(FUZZ, max_examples=examples(5400))
@given(data=st.data())
def test_damaged_office_files(fuzz, data):
    """Real exports with flipped, cut, dropped, inserted, repeated and zeroed bytes, under their name or another."""
    seeds = fuzz.seeds
    name = data.draw(st.sampled_from(sorted(seeds)))
    damaged = data.draw(mutations(seeds[name]))
    attempt(fuzz, damaged, data.draw(st.sampled_from([name, name, "改名.xls", "改名.csv", "无扩展名"])),
            data.draw(kinds), data.draw(rounds))


@settings(FUZZ, max_examples=examples(2100))
@given(file=csv_files(), kind=kinds, round_name=rounds)
def test_generated_text_tables(fuzz, file, kind, round_name):
    """Random tables of real and random headers and cells, in UTF-8/GBK/UTF-16, any delimiter and line end."""
    attempt(fuzz, file[0], file[1], kind, round_name)


@settings(FUZZ, max_examples=examples(1500))
@given(file=xlsx_files(), kind=kinds, round_name=rounds)
def test_generated_workbooks(fuzz, file, kind, round_name):
    """Random cells (text, numbers, dates, booleans) in workbooks with or without a title row, one or two sheets."""
    attempt(fuzz, file[0], file[1], kind, round_name)


@settings(FUZZ, max_examples=examples(1300))
@given(data=st.one_of(st.binary(max_size=300), st.sampled_from([b"", b" ", b"\r\n\r\n", b"\xef\xbb\xbf", b"PK\x03\x04",
                                                               b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<html><table>"])),
       name=st.sampled_from(["a.xlsx", "a.xls", "a.csv", "a", "a.txt", "台账.XLSX"]), kind=kinds)
def test_empty_random_and_wrong_files(fuzz, data, name, kind):
    attempt(fuzz, data, name, kind)


@st.composite
def hostile_workbooks(draw) -> tuple[bytes, str]:
    """The shapes that once took the dashboard down: one far cell (any spelling XML allows) and zip bombs."""
    from tests.ingest.test_guard import SHEET, padded, rewrite, small_xlsx

    if draw(st.booleans()):
        row = draw(st.integers(400_000, 1_048_576))  # × 26 columns at least: over 10 million cells
        col = draw(st.integers(1, 16_384))
        letters, c = "", col
        while c:
            c, r = divmod(c - 1, 26)
            letters = chr(65 + r) + letters
        q = draw(st.sampled_from(['"', "'"]))
        eq = draw(st.sampled_from(["=", " = ", "\t=", "=\n"]))
        ref = f"r{eq}{q}{letters}{row}{q}".encode()
        data = rewrite(small_xlsx(), SHEET, lambda x: x.replace(b'r="B2"', ref))
    else:
        data = padded(draw(st.integers(1_200_000, 6_000_000)))
    return data, draw(st.sampled_from(["表.xlsx", "表.xls", "表"]))


@settings(FUZZ, max_examples=examples(40))
@given(file=hostile_workbooks(), kind=kinds)
def test_far_cells_and_zip_bombs(fuzz, file, kind):
    res = attempt(fuzz, file[0], file[1], kind)
    assert res.refused and ("个单元格" in res.refused or "压缩炸弹" in res.refused), res.refused


def test_the_fuzzing_wrote_and_refused(fuzz):
    """The campaign above reached both outcomes (it ran first: pytest keeps the file's order)."""
    assert sum(TALLY.values()) >= examples(10_000) and TALLY["refused"] > 0 and TALLY["accepted"] > 0
