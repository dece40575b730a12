"""The demo district: deterministic, realistic in structure."""
import duckdb
import pandas as pd
import pytest

from campaign import queries
from campaign.demo import build_demo


def _snapshot(path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path))
    try:
        out = {}
        for view in ("problems", "inspections", "sites", "assessment_scores", "survey_rates", "peer_scores"):
            out[view] = con.execute(f"SELECT * FROM {view} ORDER BY ALL").df()
        out["week"] = queries.run(con, "week_summary", start="2026-11-02", end="2026-11-08")
        return out
    finally:
        con.close()


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    a, b, c = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    build_demo(a, scale=0.2, seed=7)
    build_demo(b, scale=0.2, seed=7)
    build_demo(c, scale=0.2, seed=8)
    sa, sb, sc = _snapshot(a), _snapshot(b), _snapshot(c)
    for name in sa:
        pd.testing.assert_frame_equal(sa[name], sb[name], check_exact=True)
    assert not sa["problems"].equals(sc["problems"])


def test_scale_grows_linearly(tmp_path):
    small = build_demo(tmp_path / "s.duckdb", scale=0.25, seed=1)
    large = build_demo(tmp_path / "l.duckdb", scale=1.0, seed=1)
    assert 3.2 < large.problems / small.problems < 4.8


def test_demo_district_shape(demo_con):
    one = lambda sql: demo_con.execute(sql).fetchone()[0]  # noqa: E731
    assert one("SELECT count(*) FROM streets") >= 12
    assert one("SELECT count(*) FROM departments") >= 25
    assert one("SELECT count(*) FROM sites") >= 600
    assert one("SELECT count(DISTINCT site_type) FROM sites") >= 12
    assert 17_000 <= one("SELECT count(*) FROM problems") <= 23_000
    assert one("SELECT count(DISTINCT date_trunc('week', found_on)) FROM problems") >= 52
    assert one("SELECT count(*) FROM assessment_rounds") >= 6
    assert one("SELECT min(n) FROM (SELECT count(*) n FROM peer_scores GROUP BY round_id)") >= 10
    assert one("SELECT count(DISTINCT card) FROM problems") == 3
    assert one("SELECT count(DISTINCT status) FROM problems") == 4
    # every problem names a known standard, street and department
    assert one("SELECT count(*) FROM problems p ANTI JOIN standards s ON s.code = p.standard_code") == 0
    assert one("SELECT count(*) FROM problems p ANTI JOIN streets s USING (street)") == 0
    assert one("SELECT count(*) FROM problems p ANTI JOIN departments d USING (department)") == 0
    # closing never precedes finding; open problems have no closing date
    assert one("SELECT count(*) FROM problems WHERE closed_on < found_on") == 0
    assert one("SELECT count(*) FROM problems WHERE status IN ('待整改', '整改中') AND closed_on IS NOT NULL") == 0


def test_demo_has_the_structure_of_real_ledgers(demo_con):
    one = lambda sql: demo_con.execute(sql).fetchone()[0]  # noqa: E731
    # overdue items at the end of the data
    assert one("SELECT count(*) FROM problems WHERE closed_on IS NULL AND deadline < DATE '2026-11-22'") > 50
    # rebounds: same site and category within 30 days after closing
    rebounds = one("""
        SELECT count(*) FROM problems a JOIN problems b
          ON a.site_id = b.site_id AND a.category = b.category
         AND b.found_on > a.closed_on AND b.found_on <= a.closed_on + 30""")
    assert rebounds > 100
    # weak streets: the worst street has at least twice the problems per site of the best
    per_site = demo_con.execute("""
        SELECT p.street, count(*) / any_value(s.n) AS r FROM problems p
        JOIN (SELECT street, count(*) n FROM sites GROUP BY street) s USING (street) GROUP BY p.street""").df()
    assert per_site["r"].max() > 2 * per_site["r"].min()
    # an improving district and at least one street getting worse (last 8 weeks vs first 8 weeks)
    trend = demo_con.execute("""
        SELECT street,
               count(*) FILTER (WHERE found_on >= DATE '2026-09-28') AS late,
               count(*) FILTER (WHERE found_on < DATE '2026-01-19') AS early
        FROM problems GROUP BY street""").df()
    assert trend["late"].sum() < trend["early"].sum()
    assert (trend["late"] > trend["early"] * 1.1).any()
    # assessment totals improve round on round overall
    from campaign.analysis import metrics
    rs = metrics.round_scores(demo_con)
    assert rs["total"].iloc[-1] > rs["total"].iloc[0] + 10
    assert rs["rank"].iloc[-1] < rs["rank"].iloc[0]


@pytest.mark.parametrize("scale", [0.05])
def test_tiny_scale_still_has_every_site_type(tmp_path, scale):
    s = build_demo(tmp_path / "t.duckdb", scale=scale, seed=3)
    con = duckdb.connect(s.path)
    assert con.execute("SELECT count(DISTINCT site_type) FROM sites").fetchone()[0] == 16
    con.close()
