"""数据导入 page with a 负面清单事项报送台账: each row's fate shown before anything is written, then imported."""
import duckdb

from tests.ingest.negative_files import write_negative_ledger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def stored(store) -> int:
    con = duckdb.connect(str(store))
    try:
        return con.execute("SELECT count(*) FROM negative_reports").fetchone()[0]
    finally:
        con.close()


def test_the_page_shows_each_rows_fate_then_imports(page, store, tmp_path):
    f = write_negative_ledger(tmp_path / "负面清单报送台账.xlsx")
    page.file_uploader[0].set_value([(f.name, f.read_bytes(), XLSX)])
    at = page.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.main.metric} == {"新增": "3", "更新": "0", "未变": "0", "重复": "1",
                                                          "隔离": "5", "跳过": "3"}
    assert any("负面清单事件" in m.value for m in at.main.markdown)
    assert any("逐行结果" in m.value and "确认导入后：新增 3 行，隔离 5 行" in m.value for m in at.main.markdown)
    fates = next(d.value for d in at.main.dataframe if "结果" in d.value.columns)
    assert fates["行号"].tolist() == [4, 5, 6, 8, 9, 10, 11, 12]
    assert fates["结果"].tolist() == ["新增"] * 3 + ["隔离"] * 5
    assert fates["负面清单事项"].iat[1] == "N03 发生重大食品药品安全事件"
    flags = next(d.value for d in at.main.dataframe if "文件中的写法" in d.value.columns)  # 名称核对
    assert flags[["类型", "文件中的写法", "建议"]].values.tolist() == [
        ["负面清单事项", "发生较大及以上火灾事故", "N02 发生较大及以上火灾事故造成人员伤亡"]]
    assert stored(store) == 0  # checking writes nothing
    at.button(key="imp_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "第 1 次导入" in at.success[0].value
    assert stored(store) == 3
