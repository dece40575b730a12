"""数据导入 page: check first, import on confirmation, quarantine shown and downloadable, undo per import."""
import duckdb

from campaign.store import data_version
from tests.ingest.conftest import LEDGER_HEADER, ledger_row, write_xlsx
from tests.ingest.test_ledger import messy  # noqa: F401  (fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def counts(store) -> tuple[int, int]:
    con = duckdb.connect(str(store))
    try:
        return (con.execute("SELECT count(*) FROM problems").fetchone()[0],
                con.execute("SELECT count(*) FROM import_log").fetchone()[0])
    finally:
        con.close()


def metrics(at) -> dict:
    return {m.label: m.value for m in at.main.metric}


def upload(at, *files):
    at.file_uploader[0].set_value([(f.name, f.read_bytes(), XLSX) for f in files])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_check_then_confirm_then_undo(page, store, messy):  # noqa: F811
    at = upload(page, messy)
    assert at.title[0].value == "数据导入"
    assert metrics(at) == {"新增": "13", "更新": "0", "未变": "0", "重复": "1", "隔离": "3", "跳过": "3"}
    quarantine = at.main.dataframe[-1].value
    assert quarantine["原因"].tolist() == ["不是有效日期", "无法识别的扣分", "无法识别的督办卡"]
    assert any(b.label == "下载隔离清单（Excel）" for b in at.main.get("download_button"))
    assert counts(store) == (0, 0)  # checking writes nothing
    version = data_version_of(store)
    at.button(key="imp_go").click().run()
    assert not at.exception
    assert "第 1 次导入" in at.success[0].value
    assert counts(store) == (13, 1) and data_version_of(store) > version
    assert any("第 1 次" in m.value for m in at.main.markdown)
    at.button(key="undo_1").click().run()
    assert at.success[0].value.startswith("已撤销第 1 次导入")
    assert counts(store) == (0, 1)
    assert at.button(key="undo_1").disabled


def data_version_of(store) -> int:
    con = duckdb.connect(str(store))
    try:
        return data_version(con)
    finally:
        con.close()


def test_a_refused_file_is_explained_and_cannot_be_confirmed(page, tmp_path, store):
    bad = tmp_path / "会议纪要.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    at = upload(page, bad)
    assert any("不是有效的 Excel 工作簿" in e.value for e in at.error)
    assert at.button(key="imp_go").disabled
    assert counts(store) == (0, 0)


def test_several_files_and_name_checks(page, tmp_path, store, base_rows):
    first = write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows)
    typo = write_xlsx(tmp_path / "第13周.xlsx", LEDGER_HEADER, [
        ledger_row(20, "DC020", base_rows[0][2], "解放路3巷", "北关街到", "区城市管理局", "环境卫生", "小广告")])
    at = upload(page, first)
    at.button(key="imp_go").click().run()
    at = upload(at, typo)
    assert any("可能是「北关街道」的笔误" in d.value.to_string() for d in at.main.dataframe)
    assert any("名称核对" in m.value for m in at.main.markdown)
    assert at.button(key="imp_save_names").label == "保存名称核对"
    assert at.button(key="imp_go").disabled  # the only row is held back: nothing to import yet
    assert counts(store) == (12, 1)


def test_several_files_are_checked_in_turn_and_written_from_the_check(page, tmp_path, store, base_rows,
                                                                      monkeypatch):
    """Week 12 and week 13 uploaded together: week 13's check already counts the four week-12 problems it
    closes as updates (DC003 was closed already: three move on, as importing the two in turn does), and 确认导入 writes both without reading them again."""
    from campaign.ingest import engine

    first = write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows)
    later = [list(r) for r in base_rows[:4]]
    for r in later:
        r[12], r[13] = "已整改", r[2]
    later.append(ledger_row(13, "DC013", base_rows[0][2], "解放路3巷", "北关街道", "区城市管理局", "环境卫生", "小广告"))
    second = write_xlsx(tmp_path / "第13周.xlsx", LEDGER_HEADER, later)
    at = upload(page, first, second)
    shown = [metrics_of(b) for b in at.main.get("flex_container")]
    shown = [m for i, m in enumerate(shown) if "新增" in m and m not in shown[:i]]  # containers nest
    assert shown == [{"新增": "12", "更新": "0"}, {"新增": "1", "更新": "3"}], shown
    assert counts(store) == (0, 0)
    reads = []
    original = engine.read_bytes
    monkeypatch.setattr(engine, "read_bytes", lambda *a, **k: reads.append(a[1]) or original(*a, **k))
    at.button(key="imp_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert reads == []  # both written from the check
    assert counts(store) == (13, 2)
    con = duckdb.connect(str(store))
    try:
        closed = con.execute("SELECT count(*) FROM problems WHERE status = '已整改'").fetchone()[0]
    finally:
        con.close()
    assert closed == 4 + sum(r[12] == "已整改" for r in base_rows[4:])  # DC001–DC004 and the rest as they were


def metrics_of(block) -> dict:
    return {m.label: m.value for m in block.get("metric") if m.label in ("新增", "更新")}
