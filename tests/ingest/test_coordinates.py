"""经度/纬度 in a ledger: new sites take them, known sites without them get them, a stored pair is kept; a bad or
half-given pair holds the row back with a Chinese reason naming the row and the column."""
from datetime import date

from campaign.ingest import import_file
from tests.ingest.conftest import LEDGER_HEADER, ledger_row, write_xlsx

D = date
HEADER = LEDGER_HEADER + ["经度", "纬度"]


def site(con, name):
    return con.execute("SELECT lon, lat FROM sites WHERE site = ?", [name]).fetchone()


def test_sites_take_the_ledger_s_coordinates(con, tmp_path, base_rows):
    rows = [r + [113.2651, 23.1291] if r[3] == "人民路农贸市场" else r + [None, None] for r in base_rows]
    res = import_file(con, write_xlsx(tmp_path / "台账.xlsx", HEADER, rows))
    assert res.refused is None and res.quarantined == 0
    assert site(con, "人民路农贸市场") == (113.2651, 23.1291)
    assert site(con, "解放路3巷") == (None, None)
    # a later export gives coordinates for a known site: it gets them; a known pair is not overwritten
    later = [ledger_row(13, "DC013", D(2025, 3, 20), "解放路3巷", "北关街道", "区城市管理局", "环境卫生", "垃圾堆放")
             + [113.27, 23.13],
             ledger_row(14, "DC014", D(2025, 3, 20), "人民路农贸市场", "北关街道", "区市场监督管理局", "环境卫生", "污水")
             + [114.0, 24.0]]
    res = import_file(con, write_xlsx(tmp_path / "台账2.xlsx", HEADER, later))
    assert res.accepted == 2 and any("1 个已有点位按本文件补上了经度、纬度" in n for n in res.notes)
    assert site(con, "解放路3巷") == (113.27, 23.13)
    assert site(con, "人民路农贸市场") == (113.2651, 23.1291)


def test_bad_coordinates_hold_the_row_back(con, tmp_path, base_rows):
    rows = [r + [None, None] for r in base_rows]
    rows[0][-2:] = ["东经113度", 23.1]
    rows[1][-2:] = [200, 23.1]
    rows[2][-2:] = [113.2, None]
    res = import_file(con, write_xlsx(tmp_path / "台账.xlsx", HEADER, rows))
    got = {(int(r.行号), r.列, r.原因) for r in res.quarantine.itertuples()}
    # rows as the spreadsheet numbers them: the header is row 1
    assert got == {(2, "经度", "不是数字"), (3, "经度", "经度应在 73 到 136 度之间（如 113.2651）"),
                   (4, "纬度", "有经度没有纬度：经度、纬度应同时填写")}
    assert res.quarantined == 3 and res.accepted == len(base_rows) - 3
