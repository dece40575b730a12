"""The meeting deck: a title slide and one slide per point; the first point's total and rank are 总览's; a
published week's flags are the published ones; LibreOffice renders it with its Chinese text."""
import re
import shutil
import subprocess

import duckdb
import pytest
from pptx import Presentation

from campaign.cli import main
from campaign.outputs import slides
from tests.pages.apptest_helpers import metric, open_page


@pytest.fixture(scope="module")
def deck(demo_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    db = out / "copy.duckdb"  # a copy: the dashboard under test in this process may hold the demo store
    shutil.copy(demo_db, db)
    assert main(["slides", "--db", str(db), "--week", "latest", "--out", str(out)]) == 0
    path = out / "第52周创城工作调度会.pptx"
    return path, Presentation(str(path))


def texts(slide) -> list[str]:
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [c.text for row in shape.table.rows for c in row.cells]
    return out


def test_the_deck_has_the_meetings_points_one_per_slide(deck):
    _, prs = deck
    assert len(prs.slides) >= 6
    heads = [texts(s)[0] for s in list(prs.slides)[1:]]
    assert [h.split("　")[1] for h in heads][:5] == ["本周进退", "末位", "短板", "逾期", "红黄榜"]
    assert any(s.shapes[-1].shape_type == 13 for s in prs.slides)  # a chart drawn as a picture


def test_the_first_point_shows_the_overviews_total_and_rank(deck, app_env):  # 总览 on the same demo store
    _, prs = deck
    first = texts(list(prs.slides)[1])
    at = open_page("overview")
    total, rank = metric(at, "测评总分").value, metric(at, "同组排名").value
    ranked = metric(at, "同组排名").help.split()[1]
    assert total in first and rank.replace(" ", "") in first
    assert f"同组排名（共{ranked}个）" in first


def test_the_flags_slide_names_the_briefings_flags(deck):
    from campaign import briefing

    path, prs = deck
    con = duckdb.connect(str(path.parent / "copy.duckdb"), read_only=True)
    try:
        b = briefing.build(con, "latest")
    finally:
        con.close()
    flags = next(texts(s) for s in prs.slides if texts(s)[0].endswith("红黄榜"))
    assert b.words["street_red"] in flags and b.words["dept_yellow"] in flags


def test_libreoffice_renders_the_deck_with_chinese_text(deck, tmp_path):
    path, prs = deck
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice 未安装：运行 scripts/setup.sh --dev"
    src = tmp_path / "deck.pptx"
    shutil.copy(path, src)
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                         capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "deck.pdf"
    assert run.returncode == 0 and pdf.is_file(), run.stderr + run.stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == len(prs.slides)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                                             text=True, check=True).stdout)
    assert "第52周创城工作调度会" in text and "本周进退" in text and "流动红旗" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "CJK" in fonts or "SC" in fonts


def test_a_week_without_data_is_refused_in_words(demo_db, tmp_path, capsys):
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    assert main(["slides", "--db", str(db), "--week", "第99周", "--out", str(tmp_path)]) == 2
    assert "没有第99周的数据" in capsys.readouterr().err


def test_points_follow_the_briefing(deck):
    con = duckdb.connect(str(deck[0].parent / "copy.duckdb"), read_only=True)
    try:
        m = slides.build(con, "latest")
    finally:
        con.close()
    keys = [p.key for p in m.points]
    assert keys[:5] == ["progress", "bottom", "boards", "overdue", "flags"]
    bottom = next(p for p in m.points if p.key == "bottom").table
    assert bottom["类别"].tolist() == ["街道"] * 3 + ["责任单位"] * 3
    assert bottom["排名"].iloc[:3].tolist() == sorted(bottom["排名"].iloc[:3].tolist(), reverse=True)
