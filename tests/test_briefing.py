"""周调度会通报: the Word and Excel files carry the week's numbers as the store gives them (computed here with SQL
straight from the views), the wording comes from the template file and is checked, the PDF made by LibreOffice
holds the Chinese text, the charts draw every character with the bundled font, and the command line works."""
from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from datetime import date, timedelta
from pathlib import Path

import docx
import duckdb
import pandas as pd
import pytest
import yaml
from python_calamine import CalamineWorkbook

from campaign import analysis, briefing
from campaign.briefing import charts
from campaign.briefing.template import TEMPLATE_FILE, TemplateError, load_template
from campaign.cli import main as cli_main
from campaign.config import load_office

START = date(2025, 11, 24)
WEEKS = (52, 40)
HEADINGS = ("一、本周概况", "二、模拟测评得分与排名", "三、短板指标", "四、红黄榜", "五、逾期未整改问题", "六、反弹问题",
            "七、下周工作重点")


def bounds(n: int) -> tuple[date, date]:
    s = START + timedelta(days=7 * (n - 1))
    return s, s + timedelta(days=6)


def one(con, sql: str, params: list):
    return con.execute(sql, params).fetchone()[0]


def expected(con, n: int) -> dict:
    """The week's numbers straight from the contract views (no application code)."""
    s, e = bounds(n)
    ps, pe = s - timedelta(days=7), e - timedelta(days=7)
    found = one(con, "SELECT count(*) FROM problems WHERE found_on BETWEEN ? AND ?", [s, e])
    before = one(con, "SELECT count(*) FROM problems WHERE found_on BETWEEN ? AND ?", [ps, pe])
    overdue_sql = "FROM problems WHERE found_on <= ? AND deadline < ? AND (closed_on IS NULL OR closed_on > ?)"
    rid = one(con, "SELECT round_id FROM assessment_rounds WHERE held_on <= ? ORDER BY held_on DESC LIMIT 1", [e])
    total, rank, ranked, lost = round_total(con, rid)
    by_street = con.execute("SELECT street, count(*) n FROM problems WHERE found_on BETWEEN ? AND ? GROUP BY 1",
                            [s, e]).df().set_index("street")["n"]
    pairs = one(con, "SELECT count(*) FROM (SELECT DISTINCT c.site_id, c.category FROM problems c "
                     "WHERE c.found_on BETWEEN ? AND ? AND c.site_id IS NOT NULL AND EXISTS ("
                     "SELECT 1 FROM problems r WHERE r.site_id = c.site_id AND r.category = c.category "
                     "AND r.closed_on < c.found_on AND r.closed_on >= c.found_on - 30))", [s, e])
    return dict(
        start=s, end=e, found=found, before=before,
        closed=one(con, "SELECT count(*) FROM problems WHERE closed_on BETWEEN ? AND ?", [s, e]),
        overdue=one(con, f"SELECT count(*) {overdue_sql}", [e, e, e]),
        overdue_red=one(con, f"SELECT count(*) {overdue_sql} AND card = '红'", [e, e, e]),
        overdue_max=one(con, f"SELECT max(CAST(? AS DATE) - deadline) {overdue_sql}", [e, e, e, e]),
        round_id=rid, round_name=one(con, "SELECT round_name FROM assessment_rounds WHERE round_id = ?", [rid]),
        total=total, rank=rank, ranked=ranked, top=lost.index[:3].tolist(), assessed=len(lost),
        by_street=by_street, rebound_pairs=pairs)


def round_total(con, rid: int):
    """City 80 % + minors 20 % (the sample framework's share) + bonus − deductions; short boards are the city's."""
    std = con.execute("SELECT code, method, points, indicator, framework FROM standards").df()
    obs = con.execute("SELECT standard_code, sum(score) s, sum(max_score) m FROM assessment_scores "
                      "WHERE round_id = ? GROUP BY 1", [rid]).df().set_index("standard_code")
    sv = con.execute("SELECT indicator, sum(rate * respondents) / sum(respondents) r FROM survey_rates "
                     "WHERE round_id = ? GROUP BY 1", [rid]).df().set_index("indicator")["r"]
    rate = {}
    for r in std.itertuples():
        if r.method == "问卷调查" and r.indicator in sv.index:
            rate[r.code] = sv[r.indicator]
        elif r.method != "问卷调查" and r.code in obs.index:
            rate[r.code] = obs.loc[r.code, "s"] / obs.loc[r.code, "m"]
    pts = std.set_index("code")["points"]
    worth = std.set_index("code")["framework"].map({"city": 0.8, "minors": 0.2})
    base = sum(pts[c] * v * worth[c] for c, v in rate.items())
    city = set(std.loc[std["framework"].eq("city"), "code"])
    lost = pd.Series({c: pts[c] * (1 - v) for c, v in rate.items() if c in city}).sort_values(
        ascending=False, kind="stable")
    bonus = min(6, one(con, "SELECT coalesce(sum(points), 0) FROM bonus_awards WHERE round_id = ?", [rid]))
    ded = one(con, "SELECT coalesce(sum(deduction), 0) FROM negative_events WHERE round_id = ?", [rid])
    total = base + bonus - ded
    peers = con.execute("SELECT total FROM peer_scores WHERE round_id = ?", [rid]).df()["total"]
    return total, 1 + int((peers > total + 1e-9).sum()), len(peers) + 1, lost


def change_text(cur: int, prev: int) -> str:
    d = cur - prev
    if d == 0:
        return "与上周持平"
    return f"较上周{'增加' if d > 0 else '减少'}{abs(d)}个（{abs(d) / prev * 100:.1f}%）"


@pytest.fixture(scope="module")
def made(demo_db, tmp_path_factory):
    """Both weeks' briefings written once: {week: (Briefing, docx path, xlsx path, expected numbers)}."""
    out = tmp_path_factory.mktemp("briefing")
    con = duckdb.connect(str(demo_db))
    try:
        result = {}
        for n in WEEKS:
            b = briefing.build(con, n)
            d, x = briefing.write(b, out)
            result[n] = (b, d, x, expected(con, n))
        return result
    finally:
        con.close()


def doc_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def doc_table(path: Path, number: int) -> pd.DataFrame:
    """Table N of the document (tables appear in number order) as strings."""
    t = docx.Document(str(path)).tables[number - 1]
    rows = [[c.text for c in r.cells] for r in t.rows]
    return pd.DataFrame(rows[1:], columns=rows[0])


def sheet(path: Path, name: str) -> pd.DataFrame:
    """A sheet's table: row 1 title, row 2 note, row 3 header, then data."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    return pd.DataFrame(rows[3:], columns=rows[2])


# ----------------------------------------------------------------------------------------------------
# the Word document
@pytest.mark.parametrize("week", WEEKS)
def test_docx_sentences_carry_the_weeks_numbers(made, week):
    b, path, _, x = made[week]
    text = doc_text(path)
    assert path.name == f"周调度会通报_第{week}周.docx"
    assert f"本周共发现问题{x['found']}个，{change_text(x['found'], x['before'])}" in text
    assert f"本周整改完成{x['closed']}个" in text
    assert f"逾期未整改问题{x['overdue']}个" in text and f"其中红卡{x['overdue_red']}个" in text
    assert f"最长逾期{x['overdue_max']}天" in text
    assert f"{x['round_name']}中，我区得分{x['total']:.2f}分" in text
    assert f"在同组{x['ranked']}个区县中排第{x['rank']}名" in text
    assert f"共测评指标{x['assessed']}项" in text
    assert f"涉及{x['rebound_pairs']}个点位类别" in text
    positions = [text.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    assert f"第{week}期" in text and "临江区创建全国文明城市工作指挥部办公室" in text


@pytest.mark.parametrize("week", WEEKS)
def test_docx_tables_equal_the_queries(made, week):
    b, path, _, x = made[week]
    summary = doc_table(path, 1).set_index("指标")
    assert summary.loc["发现问题", "本周"] == str(x["found"])
    assert summary.loc["发现问题", "上周"] == str(x["before"])
    assert summary.loc["发现问题", "变化"] == f"{x['found'] - x['before']:+d}"
    assert summary.loc["逾期未整改", "本周"] == str(x["overdue"])
    streets = doc_table(path, 2).set_index("街道（镇）")["发现问题"].astype(int)
    assert streets.to_dict() == {s: int(x["by_street"].get(s, 0)) for s in streets.index}
    rounds = doc_table(path, 3)
    assert rounds["测评轮次"].iloc[-1] == x["round_name"]
    assert rounds["总分"].iloc[-1] == f"{x['total']:.2f}" and rounds["同组排名"].iloc[-1] == str(x["rank"])
    boards = doc_table(path, 5)
    assert boards["编码"].head(3).tolist() == x["top"]
    overdue_list = doc_table(path, 9)
    assert len(overdue_list) == min(15, x["overdue"])
    assert overdue_list["逾期天数"].iloc[0] == str(x["overdue_max"])
    by_dept = doc_table(path, 8)
    assert by_dept["逾期未整改"].astype(int).sum() == x["overdue"]


def test_docx_red_and_yellow_lists_are_the_rankings_flags(made, demo_db):
    b, path, _, x = made[52]
    con = duckdb.connect(str(demo_db))
    try:
        idx = analysis.load_index()
        r = analysis.ranking(con, "street", idx["street"].spec(), x["start"], x["end"], round_id=x["round_id"],
                             rebound_days=load_office().rebound_days)
    finally:
        con.close()
    red, yellow = analysis.red_yellow(r.table)
    text = doc_text(path)
    assert f"授予{'、'.join(red['unit'])}流动红旗，{'、'.join(yellow['unit'])}流动黄旗" in text
    ranking = doc_table(path, 6)
    assert ranking["街道（镇）"].tolist() == r.table["unit"].tolist()
    assert ranking.loc[ranking["红黄旗"].eq("红旗"), "街道（镇）"].tolist() == red["unit"].tolist()
    assert set(ranking.loc[ranking["红黄旗"].eq("黄旗"), "街道（镇）"]) == set(yellow["unit"])
    assert "北关街道" in set(yellow["unit"])  # the demo's slipping street


def test_docx_layout_is_a4_with_chinese_fonts_and_three_charts(made):
    _, path, _, _ = made[52]
    d = docx.Document(str(path))
    s = d.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert len(d.inline_shapes) == 3
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    fonts = load_template().fonts
    body = d.paragraphs[[p.text for p in d.paragraphs].index(HEADINGS[0]) + 1]
    assert body.runs[0]._element.rPr.rFonts.get(f"{ns}eastAsia") == fonts["body"]
    assert body.paragraph_format.first_line_indent.pt == 32
    mast = d.paragraphs[0]
    assert mast.runs[0].font.color.rgb is not None and str(mast.runs[0].font.color.rgb) == "E60012"
    assert "PAGE" in s.footer.paragraphs[0]._p.xml


def test_an_earlier_week_uses_the_round_held_by_then(made):
    assert made[40][0].round_id == made[40][3]["round_id"] == 6
    assert made[52][0].round_id == 8


# ----------------------------------------------------------------------------------------------------
# the Excel workbook
@pytest.mark.parametrize("week", WEEKS)
def test_xlsx_sheets_equal_the_queries(made, week):
    _, _, path, x = made[week]
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    assert names[0] == "概况" and names[-1] == "正文"
    assert {"街道督查情况", "测评得分", "短板指标", "街道排名", "单位排名", "逾期清单", "反弹点位"} <= set(names)
    summary = sheet(path, "概况").set_index("指标")
    assert summary.loc["发现问题", "本周"] == x["found"] and summary.loc["发现问题", "上周"] == x["before"]
    assert summary.loc["整改完成", "本周"] == x["closed"]
    assert summary.loc["逾期未整改", "本周"] == x["overdue"]
    rounds = sheet(path, "测评得分")
    assert rounds["总分"].iloc[-1] == pytest.approx(x["total"], abs=1e-9)
    assert rounds["同组排名"].iloc[-1] == x["rank"]
    boards = sheet(path, "短板指标")
    assert len(boards) == x["assessed"] and boards["编码"].head(3).tolist() == x["top"]
    od = sheet(path, "逾期清单")
    assert len(od) == min(500, x["overdue"]) and od["逾期天数"].max() == x["overdue_max"]
    assert (od["督办卡"] == "红").sum() == x["overdue_red"]
    assert sheet(path, "逾期按单位")["逾期未整改"].sum() == x["overdue"]
    assert len(sheet(path, "反弹点位")) == min(500, x["rebound_pairs"])
    streets = sheet(path, "街道督查情况").set_index("街道（镇）")["发现问题"]
    assert streets.sum() == x["by_street"].sum()


def test_xlsx_text_sheet_holds_the_documents_sentences(made):
    b, d, x, _ = made[52]
    rows = [r[0] for r in CalamineWorkbook.from_path(str(x)).get_sheet_by_name("正文").to_python()]
    for s in b.sections:
        assert s.heading in rows
        assert all(p in rows for p in s.paragraphs)
    assert all(p in doc_text(d) for s in b.sections for p in s.paragraphs)


# ----------------------------------------------------------------------------------------------------
# PDF through LibreOffice, and the charts' font
def test_libreoffice_pdf_holds_the_chinese_text(made, tmp_path):
    b, path, _, x = made[52]
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice 未安装：运行 scripts/setup.sh --dev"
    assert shutil.which("pdftotext"), "pdftotext 未安装（poppler-utils）：运行 scripts/setup.sh --dev"
    src = tmp_path / "briefing.docx"
    shutil.copy(path, src)
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                         capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "briefing.pdf"
    assert run.returncode == 0 and pdf.is_file(), run.stderr
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert all(h in flat for h in HEADINGS)
    assert re.sub(r"\s+", "", b.title) in flat
    assert f"本周共发现问题{x['found']}个" in flat
    assert "图1" in flat and "表10" in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "CJK" in fonts or "SC" in fonts  # Chinese text is set in a Chinese font, not boxes
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
    assert len([ln for ln in images.splitlines()[2:] if ln.strip()]) >= 3


def test_charts_draw_every_character_with_the_bundled_font(made):
    from matplotlib.ft2font import FT2Font

    b = made[52][0]
    path = charts.font_path()
    assert "pylopdf_fonts_zh_cn" in str(path) and path.is_file()  # installed by requirements.txt, not the OS
    covered = FT2Font(str(path)).get_charmap()
    for c in b.charts():
        labels = [col for col in c.data.columns if not pd.api.types.is_numeric_dtype(c.data[col])]
        text = c.title + "".join(str(v) for col in labels for v in c.data[col])
        assert not [ch for ch in text if not ch.isspace() and ord(ch) not in covered], c.key
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            png = charts.render_chart(c)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        assert not [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]


def test_chart_titles_state_their_point(made):
    b = made[52][0]
    titles = {c.key: c.title for c in b.charts()}
    assert titles["street_ranking"] == "北关街道连续两周排名末位"
    assert f"{made[52][3]['total']:.2f} 分" in titles["score_trend"]
    assert titles["short_boards"].startswith(f"{b.values['below_pass']} 项低于及格线")


# ----------------------------------------------------------------------------------------------------
# the wording template
def test_the_shipped_template_is_valid_and_names_all_seven_sections():
    tpl = load_template()
    assert [s.heading for s in tpl.sections.values()] == list(HEADINGS)
    assert "{found_change_text}" in tpl.sections["overview"].paragraphs[0]


def _edited(tmp_path, edit) -> Path:
    raw = yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8"))
    edit(raw)
    f = tmp_path / "t.yaml"
    f.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return f


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["sections"]["overview"]["paragraphs"].append("本周发现{foud}个"),
     "sections.overview（本周概况） 的 paragraphs 第 4 段：未知的占位符 {foud}，是不是 {found}？"),
    (lambda r: r["sections"]["flags"]["paragraphs"].__setitem__(0, "红旗{street_red"), "花括号不成对"),
    (lambda r: r["sections"]["score"]["paragraphs"].__setitem__(0, "得分{total:.1f}"), "占位符 {total} 后不能带格式"),
    (lambda r: r["sections"].pop("rebounds"), "sections.rebounds（反弹问题）：缺少这一节"),
    (lambda r: r["phrases"].__setitem__("count_less", "少了{m}个"), "phrases.count_less：未知的占位符 {m}"),
    (lambda r: r.__setitem__("issuer", "{issuer}办公室"), "issuer：未知的占位符 {issuer}"),
    (lambda r: r["fonts"].__setitem__("body", ""), "fonts.body"),
])
def test_a_wrong_template_is_named_in_chinese(tmp_path, edit, message):
    with pytest.raises(TemplateError) as err:
        load_template(_edited(tmp_path, edit))
    assert message in str(err.value) and "t.yaml" in str(err.value)


def test_the_office_edits_the_wording(demo_con, tmp_path):
    def edit(r):
        r["sections"]["overview"]["paragraphs"] = ["本周问题{found}个，{found_change_word}{found_change}个，"
                                                   "幅度{found_change_pct}。"]
        r["issuer"] = "{district}创城办"
        r["fonts"]["body"] = "仿宋_GB2312"
    b = briefing.build(demo_con, "第52周", _edited(tmp_path, edit))
    x = expected(demo_con, 52)
    d = x["found"] - x["before"]
    assert b.sections[0].paragraphs == [f"本周问题{x['found']}个，{'增加' if d > 0 else '减少'}{abs(d)}个，"
                                        f"幅度{abs(d) / x['before'] * 100:.1f}%。"]
    assert b.issuer == "临江区创城办" and b.fonts["body"] == "仿宋_GB2312"
    path = briefing.render_docx(b, tmp_path / "edited.docx")
    assert b.sections[0].paragraphs[0] in doc_text(path)


# ----------------------------------------------------------------------------------------------------
# weeks, empty stores and the command line
def test_weeks_are_read_as_the_office_writes_them(demo_con):
    assert briefing.resolve_week(demo_con, "latest").number == 52
    assert briefing.resolve_week(demo_con, "第40周").number == 40
    assert briefing.resolve_week(demo_con, "2026-W35").number == 40  # ISO week 35 of 2026 starts on 24 Aug
    with pytest.raises(briefing.BriefingError, match="没有第53周的数据：已有数据为第1周至第52周"):
        briefing.resolve_week(demo_con, 53)


def test_cli_writes_both_files_and_prints_their_paths(demo_db, tmp_path, capsys):
    rc = cli_main(["briefing", "--db", str(demo_db), "--week", "2026-W35", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out.split()
    assert rc == 0
    assert [Path(p).name for p in out] == ["周调度会通报_第40周.docx", "周调度会通报_第40周.xlsx"]
    assert all(Path(p).is_file() and Path(p).stat().st_size > 10_000 for p in out)


@pytest.mark.parametrize("week, message", [("第60周", "没有第60周的数据"), ("下周", "无法识别的周次“下周”")])
def test_cli_unknown_week_exits_with_a_chinese_message(demo_db, tmp_path, capsys, week, message):
    rc = cli_main(["briefing", "--db", str(demo_db), "--week", week, "--out", str(tmp_path)])
    assert rc == 2 and message in capsys.readouterr().err
    assert not list(tmp_path.glob("*.docx"))


def test_cli_on_an_empty_store_or_a_missing_file(tmp_path, capsys):
    from campaign.store import init_store

    init_store(tmp_path / "empty.duckdb")
    assert cli_main(["briefing", "--db", str(tmp_path / "empty.duckdb"), "--out", str(tmp_path)]) == 2
    assert "还没有督查问题台账" in capsys.readouterr().err
    assert cli_main(["briefing", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path)]) == 2
    assert "找不到数据库文件" in capsys.readouterr().err


def test_a_store_without_assessments_still_gets_a_briefing(tmp_path):
    from campaign.demo import build_demo

    path = tmp_path / "ledger_only.duckdb"
    build_demo(path, scale=0.1, seed=7)
    con = duckdb.connect(str(path))
    try:
        for sql in ("DELETE FROM store.assessment_scores", "DELETE FROM store.survey_rates",
                    "DELETE FROM store.peer_scores", "DELETE FROM store.bonus_awards",
                    "DELETE FROM store.negative_events", "DELETE FROM store.assessment_rounds"):
            con.execute(sql)
        b = briefing.build(con)
        found = one(con, "SELECT count(*) FROM problems WHERE found_on BETWEEN ? AND ?", list(bounds(52)))
    finally:
        con.close()
    assert b.round_id is None
    score = next(s for s in b.sections if s.key == "score")
    assert score.paragraphs == ["截至11月22日，尚无测评结果。"] and score.blocks == []
    d, x = briefing.write(b, tmp_path)
    assert f"本周共发现问题{found}个" in doc_text(d)
    assert "测评得分" not in CalamineWorkbook.from_path(str(x)).sheet_names
