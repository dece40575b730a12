"""Only the office (editor and up) is offered entering weekly ranking points and reporting negative-list events;
leaders see what was entered."""
from ranking_helpers import threshold_rules
from test_roles import accounts, accounts_file, app, as_on_a_server  # noqa: F401 (fixtures)

from campaign import analysis

PARTS = [{"name": "工作台账", "measure": "entered", "weight": 30},
         {"name": "整改率", "measure": "fix_rate", "weight": 70, "better": "higher", "method": "rate"}]


def test_only_the_office_enters_ranking_points(accounts, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(analysis, "RANKING_FILE", threshold_rules(tmp_path / "r.yaml", street_parts=PARTS))
    viewer = app("viewer")
    viewer.switch_page("pages/rankings.py").run()
    assert not viewer.exception
    assert not any("保存本周得分" in b.label for b in viewer.get("form_submit_button"))
    assert any("录入分数需要创城办（编辑）权限" in c.value for c in viewer.caption)
    editor = app("editor")
    editor.switch_page("pages/rankings.py").run()
    assert any("保存本周得分" in b.label for b in editor.get("form_submit_button"))


def test_only_the_office_reports_negative_events(accounts):  # noqa: F811
    viewer = app("viewer")
    viewer.switch_page("pages/trends.py").run()
    assert not viewer.exception
    assert "登记" not in [b.label for b in viewer.get("form_submit_button")]
    assert any("登记事件需要创城办（编辑）权限" in c.value for c in viewer.caption)
    editor = app("editor")
    editor.switch_page("pages/trends.py").run()
    assert "登记" in [b.label for b in editor.get("form_submit_button")]
