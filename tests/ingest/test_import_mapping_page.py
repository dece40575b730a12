"""数据导入's check step asks what the engine could not decide — columns, values, names, older statuses — and
remembers the answers as import profiles (导入配置), which 系统管理 and ``python -m campaign profiles`` manage."""
from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from campaign.config import ROOT
from campaign.ingest import profiles, view
from campaign.ingest.engine import ImportResult
from campaign.ingest.names import NameFlag
from tests.ingest.conftest import LEDGER_HEADER, ledger_row, write_xlsx

ENTRY = str(ROOT / "dashboard.py")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODD_HEADER = ["发现日", "地段", "片区", "情况说明", "状况"]
# the field each of ODD_HEADER's columns is, as the office chooses it in the editor
ODD_FIELDS = ["发现日期", "点位", "所属街道", "问题描述", "整改状态"]


def odd_rows(start: int, n: int, status: str = "整改中") -> list[list]:
    return [[date(2026, 3, 2 + (i % 20)), f"人民路{i}号", "北关街道", f"垃圾堆放第{i}处", status]
            for i in range(start, start + n)]


# ---------------------------------------------------------------------------------------------------- helpers
def open_page(store, monkeypatch, path: str = "pages/import.py") -> AppTest:
    monkeypatch.setenv("CAMPAIGN_DB", str(store))
    at = AppTest.from_file(ENTRY, default_timeout=90)
    at.run()
    at.switch_page(path)
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, *files) -> AppTest:
    at.file_uploader[0].set_value([(f.name, f.read_bytes(), XLSX) for f in files])
    return ok(at.run())


def editors(at: AppTest, prefix: str) -> list:
    return [e for e in at.data_editor if (e.key or "").startswith(prefix)]


def edit(at: AppTest, editor, rows: dict[int, dict]) -> AppTest:
    """Cell edits as the browser sends them (AppTest seeds a keyed editor's edit state)."""
    at.session_state[editor.key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return ok(at.run())


def button(at: AppTest, prefix: str):
    hits = [b for b in at.button if (b.key or "").startswith(prefix)]
    assert len(hits) == 1, [b.key for b in at.button]
    return hits[0]


def metrics(at: AppTest) -> dict:
    """The first file's counts (the check comes before the results of an import just made)."""
    out: dict = {}
    for m in at.main.metric:
        if m.label in out:
            break
        out[m.label] = m.value
    return out


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def query(store, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(store))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def problems(store) -> int:
    return query(store, "SELECT count(*) FROM problems")[0][0]


# ---------------------------------------------------------------------------------------------------- columns
def test_unknown_headers_are_mapped_once_and_the_next_file_goes_in_with_no_questions(store, monkeypatch, tmp_path):
    first = write_xlsx(tmp_path / "街面巡查3月.xlsx", ODD_HEADER, odd_rows(0, 8))
    at = upload(open_page(store, monkeypatch), first)
    assert any("缺少必需列" in w.value for w in at.warning)
    assert at.button(key="imp_go").disabled
    (editor,) = editors(at, "imp_cols_")
    table = editor.value
    assert table["文件中的表头"].tolist() == ODD_HEADER
    assert table["示例"].iloc[1] == "人民路0号、人民路1号、人民路2号"
    assert set(table["对应字段"]) == {"不使用"}
    save = button(at, "imp_save_cols_")
    assert save.label == "保存为导入配置" and save.disabled  # required fields are not mapped yet
    assert any("还需对应的字段" in m.value for m in at.markdown)
    name_box = [t for t in at.text_input if (t.key or "").startswith("imp_pname_")][0]
    assert name_box.value == "街面巡查3月"

    at = edit(at, editor, {i: {"对应字段": f} for i, f in enumerate(ODD_FIELDS)})
    assert not any("还需对应的字段" in m.value for m in at.markdown)
    [t for t in at.text_input if (t.key or "").startswith("imp_pname_")][0].set_value("街面巡查登记表")
    ok(at.run())
    ok(button(at, "imp_save_cols_").click().run())

    (saved,) = query(store, "SELECT name, kind, spec FROM import_profiles")
    assert saved[:2] == ("街面巡查登记表", "ledger")
    spec = json.loads(saved[2])
    assert spec["headers"] == ODD_HEADER
    assert spec["columns"] == {"发现日": "found_on", "地段": "site", "片区": "street", "情况说明": "description",
                               "状况": "status"}
    # checked again by itself: no editor now, the profile named, the rows ready
    assert not editors(at, "imp_cols_")
    assert "按导入配置「街面巡查登记表」识别" in captions(at)
    assert metrics(at)["新增"] == "8"
    assert problems(store) == 0  # saving a profile imports nothing
    ok(at.button(key="imp_go").click().run())
    assert problems(store) == 8

    second = write_xlsx(tmp_path / "街面巡查4月.xlsx", ODD_HEADER, odd_rows(100, 5))
    at = upload(at, second)
    assert not editors(at, "imp_cols_") and not at.warning
    assert "按导入配置「街面巡查登记表」识别" in captions(at)
    assert metrics(at)["新增"] == "5"
    assert at.button(key="imp_go").label == "确认导入"
    ok(at.button(key="imp_go").click().run())
    assert problems(store) == 13
    assert query(store, "SELECT count(*) FROM import_log")[0][0] == 2


def test_a_file_with_a_column_nobody_knows_can_still_be_imported_or_mapped(store, monkeypatch, tmp_path, base_rows):
    header = LEDGER_HEADER + ["巡查员"]
    f = write_xlsx(tmp_path / "第12周.xlsx", header, [r + ["张三"] for r in base_rows])
    at = upload(open_page(store, monkeypatch), f)
    assert not at.warning
    assert metrics(at)["新增"] == "12"
    assert any(e.label.startswith("表头对照（1 列未识别") for e in at.expander)
    (editor,) = editors(at, "imp_cols_")
    table = editor.value
    assert table.loc[table["文件中的表头"] == "巡查员", "自动识别"].item() == "未识别"
    assert table.loc[table["文件中的表头"] == "发现日期", "对应字段"].item() == "发现日期"
    assert not button(at, "imp_save_cols_").disabled  # the file needs nothing more: saving is an offer
    ok(button(at, "imp_save_cols_").click().run())
    assert query(store, "SELECT name FROM import_profiles") == [("第12周",)]
    assert not editors(at, "imp_cols_")
    assert any(e.label == "表头识别" for e in at.expander)
    assert metrics(at)["新增"] == "12"


def test_a_profile_name_of_another_header_set_is_not_overwritten(store, monkeypatch, tmp_path):
    con = duckdb.connect(str(store))
    try:
        profiles.save_profile(con, profiles.Profile("巡查表", "ledger", {"日期": "found_on"}, headers=("日期", "地点")))
    finally:
        con.close()
    f = write_xlsx(tmp_path / "巡查表.xlsx", ODD_HEADER, odd_rows(0, 3))
    at = upload(open_page(store, monkeypatch), f)
    at = edit(at, editors(at, "imp_cols_")[0], {i: {"对应字段": v} for i, v in enumerate(ODD_FIELDS)})
    ok(button(at, "imp_save_cols_").click().run())
    assert any("已有名为「巡查表」的导入配置（用于另一种表头）" in e.value for e in at.error)
    assert query(store, "SELECT name, header_key FROM import_profiles")[0][1] == profiles.header_key(("日期", "地点"))


# ---------------------------------------------------------------------------------------------------- values
def test_unknown_status_values_are_mapped_and_saved_into_the_profile(store, monkeypatch, tmp_path):
    rows = odd_rows(0, 6) + odd_rows(6, 3, status="已闭环") + odd_rows(9, 1, status="挂起")
    f = write_xlsx(tmp_path / "巡查.xlsx", ODD_HEADER, rows)
    at = upload(open_page(store, monkeypatch), f)
    at = edit(at, editors(at, "imp_cols_")[0], {i: {"对应字段": v} for i, v in enumerate(ODD_FIELDS)})
    ok(button(at, "imp_save_cols_").click().run())
    assert metrics(at)["新增"] == "6" and metrics(at)["隔离"] == "4"
    (vals,) = editors(at, "imp_vals_status_")
    assert vals.value[["写法", "行数"]].values.tolist() == [["已闭环", 3], ["挂起", 1]]
    assert at.button(key="imp_go").label == "确认导入（另有 4 行待取值对照，不导入）"
    save = button(at, "imp_save_vals_")
    assert save.label == "保存取值对照" and save.disabled
    at = edit(at, vals, {0: {"对应为": "已销号"}, 1: {"对应为": "作废（不导入）"}})
    ok(button(at, "imp_save_vals_").click().run())
    spec = json.loads(query(store, "SELECT spec FROM import_profiles")[0][0])
    assert spec["values"] == {"status": {"已闭环": "已销号", "挂起": "作废"}}
    assert not editors(at, "imp_vals_")
    assert metrics(at)["新增"] == "9" and metrics(at)["隔离"] == "0"
    ok(at.button(key="imp_go").click().run())
    assert query(store, "SELECT status, count(*) FROM problems GROUP BY ALL ORDER BY 1") == [("已销号", 3),
                                                                                              ("整改中", 6)]


def test_values_of_a_builtin_format_go_into_a_new_profile_copying_its_columns(store, tmp_path):
    res = ImportResult("数字城管3月.xlsx", "x", kind="ledger", profile="数字城管案件", profile_builtin=True,
                       header_names=["任务号", "上报时间", "当前阶段名称", "大类名称", "小类名称", "巡查员"],
                       columns=[{"header": "任务号", "field": "problem_id", "how": "配置"},
                                {"header": "上报时间", "field": "found_on", "how": "配置"},
                                {"header": "当前阶段名称", "field": "status", "how": "配置"},
                                {"header": "大类名称", "field": "category", "how": "配置"},
                                {"header": "小类名称", "field": "subcategory", "how": "配置"},
                                {"header": "巡查员", "field": "", "how": "未识别"}],
                       unknown_values={"status": [["[待复核]", 4]]})
    con = duckdb.connect(str(store))
    try:
        p = view.values_profile(con, res, {"status": {"[待复核]": "整改中"}}, "数字城管（本办）")
    finally:
        con.close()
    assert (p.name, p.kind, p.source, p.builtin) == ("数字城管（本办）", "ledger", "数字城管", False)
    assert p.headers == tuple(res.header_names)
    assert p.columns["任务号"] == "problem_id" and p.columns["巡查员"] == ""
    assert p.values == {"status": {"[待复核]": "整改中"}}


# ---------------------------------------------------------------------------------------------------- names
def test_names_take_the_suggestion_in_one_click(store, monkeypatch, tmp_path, base_rows):
    at = upload(open_page(store, monkeypatch), write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows))
    ok(at.button(key="imp_go").click().run())
    typo = write_xlsx(tmp_path / "第13周.xlsx", LEDGER_HEADER, [
        ledger_row(20, "DC020", base_rows[0][2], "解放路3巷", "北关街到", "区城市管理局", "环境卫生", "小广告"),
        ledger_row(21, "DC021", base_rows[0][2], "解放路3巷", "北关街道", "区城市管理局", "环境卫生", "乱堆放")])
    at = upload(at, typo)
    (names_editor,) = editors(at, "imp_flags_")
    table = names_editor.value
    assert [c for c in table.columns if not c.startswith("_")] == ["类型", "文件中的写法", "行数", "建议", "采用建议",
                                                                  "作为新名称"]
    assert table[["类型", "文件中的写法", "行数", "建议", "采用建议", "作为新名称"]].values.tolist() == [
        ["街道", "北关街到", 1, "北关街道", True, False]]
    assert at.button(key="imp_go").label == "确认导入（另有 1 行待名称核对，不导入）"
    assert at.button(key="imp_save_names").label == "保存名称核对"
    ok(at.button(key="imp_accept_all").click().run())
    assert query(store, "SELECT entity, name, canonical FROM store.name_aliases") == [("street", "北关街到", "北关街道")]
    assert not editors(at, "imp_flags_")
    assert at.button(key="imp_go").label == "确认导入"
    assert metrics(at)["新增"] == "2"


def test_a_name_confirmed_as_new(store, monkeypatch, tmp_path, base_rows):
    at = upload(open_page(store, monkeypatch), write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows))
    ok(at.button(key="imp_go").click().run())
    at = upload(at, write_xlsx(tmp_path / "第13周.xlsx", LEDGER_HEADER, [
        ledger_row(20, "DC020", base_rows[0][2], "解放路3巷", "北关街到", "区城市管理局", "环境卫生", "小广告")]))
    at = edit(at, editors(at, "imp_flags_")[0], {0: {"作为新名称": True}})
    ok(at.button(key="imp_save_names").click().run())
    assert query(store, "SELECT name, canonical FROM store.name_aliases") == [("北关街到", "北关街到")]


def test_name_decisions_and_lines():
    flags = [NameFlag("street", "北关街到", "北关街道", 3), NameFlag("standard", "农贸市场地面有积水", "B4.1.3", 2)]
    a = ImportResult("a.xlsx", "a", name_flags=flags,
                     resolved=[{"entity": "department", "name": "区城管局", "canonical": "区城市管理局", "how": "简称",
                                "rows": 12}])
    b = ImportResult("b.xlsx", "b", name_flags=[NameFlag("street", "北关街到", "北关街道", 2),
                                                NameFlag("department", "区城管", "区城市管理局", 4, ("区城管执法大队",))],
                     resolved=[{"entity": "street", "name": "东湖街", "canonical": "东湖街道", "how": "建议", "rows": 1}])
    table = view.flags_table([a, b])
    assert table["行数"].tolist() == [5, 2, 4] and table["类型"].tolist() == ["街道", "测评标准", "责任单位"]
    assert table["建议"].iloc[2] == "区城市管理局（另可能是区城管执法大队）"
    assert view.all_suggestions([a, b]) == [("street", "北关街到", "北关街道"), ("standard", "农贸市场地面有积水", "B4.1.3"),
                                            ("department", "区城管", "区城市管理局")]
    table.loc[:, "作为新名称"] = True
    assert view.decisions(table) == [("street", "北关街到", "北关街到"), ("standard", "农贸市场地面有积水", "B4.1.3"),
                                     ("department", "区城管", "区城管")]
    table.loc[:, ["作为新名称", "采用建议"]] = False
    assert view.decisions(table) == []
    assert view.resolved_lines([a, b]) == ["已按简称对应：区城管局 → 区城市管理局（12 行）", "已采用建议：东湖街 → 东湖街道（1 行）"]
    assert view.import_label([a, b]) == "确认导入（另有 11 行待名称核对，不导入）"


def test_kind_guess_and_missing_fields():
    assert view.guess_kind({"a": "found_on", "b": "site", "c": "description"}) == "ledger"
    assert view.guess_kind({"a": "round", "b": "peer", "c": "score"}) == "peers"
    street, what = view.missing_fields("ledger", {"a": "found_on"})
    assert street.startswith("所属街道或") and what.startswith("问题描述或问题类别")
    assert view.missing_fields("ledger", {"a": "found_on", "b": "street", "c": "description"}) == []
    assert view.missing_fields("peers", {"a": "peer", "b": "score"}, round_given=True) == []
    assert view.default_profile_name("数字城管 3月导出.xlsx") == "数字城管 3月导出"


# ---------------------------------------------------------------------------------------------------- older, upload, undo
def test_older_statuses_are_kept_unless_allowed(store, monkeypatch, tmp_path, base_rows):
    closed = [r[:12] + ["已销号", date(2025, 3, 20)] for r in base_rows]
    at = upload(open_page(store, monkeypatch), write_xlsx(tmp_path / "第13周.xlsx", LEDGER_HEADER, closed))
    ok(at.button(key="imp_go").click().run())
    at = upload(at, write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows))
    assert metrics(at)["回退"] == "12"
    assert any("12 条问题在库中的状态比本文件新（如 已销号 → 待整改），默认不回退" in w.value for w in at.warning)
    assert at.checkbox(key="imp_allow_older").label == "允许状态回退"
    ok(at.checkbox(key="imp_allow_older").check().run())
    assert "回退" not in metrics(at) and metrics(at)["更新"] == "12"
    ok(at.button(key="imp_go").click().run())
    assert query(store, "SELECT status, count(*) FROM problems GROUP BY ALL ORDER BY 1") == [("已整改", 1),
                                                                                              ("整改中", 11)]


def test_the_uploader_says_its_limit_in_chinese(store, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_MAX_UPLOAD_MB", "30")
    at = open_page(store, monkeypatch)
    assert at.file_uploader[0].label == "选择文件（可多选，也可拖入此处）"
    assert "单个文件不超过 30 MB" in captions(at)
    assert any("stFileUploaderDropzoneInstructions" in h.proto.body for h in at.get("html"))


def test_undo_asks_first(store, monkeypatch, tmp_path, base_rows):
    at = upload(open_page(store, monkeypatch), write_xlsx(tmp_path / "第12周.xlsx", LEDGER_HEADER, base_rows))
    ok(at.button(key="imp_go").click().run())
    (pop,) = [p for p in at.get("popover") if p.proto.popover.label == "撤销"]
    confirm = at.button(key="undo_1")
    assert confirm.label == "确认撤销" and any("撤销第 1 次导入（第12周.xlsx）？" in m.value for m in pop.markdown)
    assert problems(store) == 12
    ok(confirm.click().run())
    assert problems(store) == 0 and at.success[0].value.startswith("已撤销第 1 次导入")


# ---------------------------------------------------------------------------------------------------- 系统管理
@pytest.fixture()
def two_profiles(store):
    con = duckdb.connect(str(store))
    try:
        profiles.save_profile(con, profiles.Profile("巡查登记表", "ledger", dict(zip(ODD_HEADER, [
            "found_on", "site", "street", "description", "status"])), headers=tuple(ODD_HEADER)), "王主任")
        profiles.save_profile(con, profiles.Profile("兄弟区县", "peers", {"区县": "peer", "总分": "score"},
                                                    headers=("区县", "总分", "轮次")))
    finally:
        con.close()
    return store


def test_admin_lists_renames_deletes_exports_and_imports_profiles(two_profiles, monkeypatch):
    store = two_profiles
    at = open_page(store, monkeypatch, "pages/admin.py")
    assert any(s.value == "导入配置" for s in at.subheader)
    table = next(d.value for d in at.dataframe if "识别依据" in d.value.columns)
    assert table.loc[table["来源"] == "内置格式", "名称"].tolist()[:2] == ["数字城管案件", "12345工单"]
    assert sorted(table.loc[table["来源"] == "本办保存", "名称"]) == ["兄弟区县", "巡查登记表"]
    export = [b for b in at.get("download_button") if b.proto.label == "导出导入配置（JSON）"]
    assert export

    assert at.text_input(key="adm_prof_new").disabled and at.button(key="adm_prof_rename").disabled
    ok(at.selectbox(key="adm_prof_pick").set_value("巡查登记表").run())
    ok(at.text_input(key="adm_prof_new").set_value("街面巡查").run())
    ok(at.button(key="adm_prof_rename").click().run())
    assert any("已把导入配置「巡查登记表」改名为「街面巡查」" in s.value for s in at.success)
    assert sorted(r[0] for r in query(store, "SELECT name FROM import_profiles")) == ["兄弟区县", "街面巡查"]

    at.selectbox(key="adm_prof_pick").set_value("兄弟区县")
    ok(at.run())
    ok(at.button(key="adm_prof_delete").click().run())
    assert query(store, "SELECT name FROM import_profiles") == [("街面巡查",)]

    # a file of profiles (as exported elsewhere) goes in; a broken one is refused in Chinese
    con = duckdb.connect(str(store))
    try:
        data = profiles.export_profiles(con)
    finally:
        con.close()
    moved = data.decode().replace("街面巡查", "他处配置").encode()
    at.file_uploader(key="adm_prof_file_0").set_value([("导入配置.json", moved, "application/json")][0])
    ok(at.run())
    ok(at.button(key="adm_prof_import").click().run())
    assert any("已从「导入配置.json」导入 1 个导入配置" in s.value for s in at.success)
    assert query(store, "SELECT name FROM import_profiles") == [("他处配置",)]  # same headers: replaced
    at.file_uploader(key="adm_prof_file_1").set_value(("坏文件.json", b"{not json", "application/json"))
    ok(at.run())
    ok(at.button(key="adm_prof_import").click().run())
    assert any("不是导入配置文件" in e.value for e in at.error)


def test_profiles_on_the_command_line(two_profiles, tmp_path, capsys):
    from campaign.cli import main

    db = str(two_profiles)
    assert main(["profiles", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "数字城管案件\t督查问题台账\t内置格式" in out and "巡查登记表\t督查问题台账\t本办保存" in out
    exported = tmp_path / "配置.json"
    assert main(["profiles", "export", str(exported), "--db", db]) == 0
    assert set(json.loads(exported.read_text(encoding="utf-8"))["导入配置"]) == {"巡查登记表", "兄弟区县"}
    assert main(["profiles", "rename", "巡查登记表", "街面巡查", "--db", db]) == 0
    assert main(["profiles", "delete", "兄弟区县", "--db", db]) == 0
    assert main(["profiles", "delete", "兄弟区县", "--db", db]) == 1
    assert "没有名为「兄弟区县」" in capsys.readouterr().err
    fresh = tmp_path / "fresh.duckdb"
    assert main(["profiles", "import", str(exported), "--db", str(fresh)]) == 0
    assert sorted(r[0] for r in query(fresh, "SELECT name FROM import_profiles")) == ["兄弟区县", "巡查登记表"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": 1}', encoding="utf-8")
    assert main(["profiles", "import", str(bad), "--db", db]) == 1
    assert "不是导入配置文件" in capsys.readouterr().err
    assert main(["profiles", "export", "--db", db]) == 2
    assert pd.DataFrame(query(two_profiles, "SELECT name FROM import_profiles"))[0].tolist() == ["街面巡查"]
