"""交办单 page: the week's units with their open and overdue problems as the store counts them, the 催办 list,
and the .zip download for the office."""
import pandas as pd
from apptest_helpers import WEEK52, metric, open_page


def test_the_page_counts_what_the_store_holds(app_env):
    import duckdb

    con = duckdb.connect(str(app_env))
    try:
        end = WEEK52[1]
        want = con.execute("""
            SELECT u.department, count(DISTINCT p.problem_id) AS open, count(DISTINCT p.problem_id)
                   FILTER (WHERE p.deadline < ?) AS overdue
            FROM problems p JOIN problem_units u USING (problem_id)
            WHERE p.found_on <= ? AND NOT (p.closed_on IS NOT NULL AND p.closed_on <= ?)
              AND NOT coalesce(p.closed_by <= ?, p.is_closed)
            GROUP BY 1""", [end] * 4).df()
    finally:
        con.close()
    at = open_page("notices")
    assert at.title[0].value == "交办单 · 第52周"
    assert metric(at, "责任单位数").value == str(len(want))
    assert metric(at, "交办问题").value == f"{int(want['open'].sum()):,}"
    assert metric(at, "其中逾期").value == f"{int(want['overdue'].sum()):,}"
    summary = at.dataframe[0].value
    got = summary.set_index("责任单位")[["未整改", "其中逾期"]].astype(int)
    expected = want.set_index("department")[["open", "overdue"]].astype(int)
    expected.columns = ["未整改", "其中逾期"]
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_names=False)
    assert any(b.label.startswith("下载全部交办单（") for b in at.get("download_button"))
    soon = at.dataframe[1].value
    assert int(soon["整改情况"].str.startswith("逾期").sum()) == int(want["overdue"].sum())
