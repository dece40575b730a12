"""总览, 得分趋势 and 推演 say when the minors' score is under the gate (the city would not qualify) and when it counts
for its share of the total."""
from apptest_helpers import frame, open_page
from test_minors import build


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_below_the_gate_the_pages_say_the_city_would_not_qualify(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_DB", str(build(tmp_path / "below.duckdb", (0.8, 0.5))))
    at = open_page("overview")
    assert "未成年人测评 68.0 分，低于 85 分申报线，按规定不能申报。" in errors(at)
    assert next(m for m in at.metric if m.label == "测评总分").value == "85.60"
    parts = frame(at, "项目").set_index("项目")["分值"].to_dict()
    assert parts == {"城市测评 90.00 × 80%": 72.0, "未成年人测评 68.0 × 20%": 13.6, "加分": 0.0, "负面清单扣分": 0.0,
                     "总分": 85.6}
    at = open_page("trends")
    assert any("未成年人测评 68.0 分，低于 85 分申报线" in e for e in errors(at))
    at = open_page("whatif")
    assert "未成年人测评 68.0 分，低于 85 分申报线，按规定不能申报。无论推演总分多少，都不具备申报资格。" in errors(at)


def test_above_the_gate_the_pages_say_it_counts_for_its_share(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_DB", str(build(tmp_path / "above.duckdb", (1.0, 0.75))))
    at = open_page("overview")
    assert not any("未成年人" in e for e in errors(at))
    assert "未成年人测评 90.0 分，达到 85 分申报线，按 20% 计入总分。" in [c.value for c in at.caption]
    assert next(m for m in at.metric if m.label == "测评总分").value == "90.00"
