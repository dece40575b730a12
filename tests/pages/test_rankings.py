"""排名 page: the composite index, rank change and flags equal an independent computation on the demo, the
drill-down lists the unit's problems, and filters change the ranking."""
import duckdb
import numpy as np
import pandas as pd
import yaml
from apptest_helpers import (WEEK40, WEEK51, WEEK52, between, chart_titles, frame, keep, open_page, problems,
                             rebound_ids, texts)

from campaign.config import DATA_DIR


def street_measures(con, p: pd.DataFrame, start, end, round_id=8) -> pd.DataFrame:
    streets = con.execute("SELECT street FROM streets").df()["street"]
    ass = con.execute("SELECT street, sum(score) / sum(max_score) AS assessment_rate FROM assessment_scores "
                      "WHERE round_id = ? AND street IS NOT NULL GROUP BY 1", [round_id]).df().set_index("street")
    visits = con.execute("SELECT street, count(*) n FROM inspections WHERE inspected_on BETWEEN ? AND ? GROUP BY 1",
                         [start, end]).df().set_index("street")["n"]
    found = p[between(p["found_on"], start, end)]
    due = p[between(p["deadline"], start, end)]
    end_ts = pd.Timestamp(end)
    overdue = p[(p["found_on"] <= end_ts) & (p["deadline"] < end_ts)
                & (p["closed_on"].isna() | (p["closed_on"] > end_ts))]
    reb = p[p["problem_id"].isin(rebound_ids(p, start, end))]
    rows = []
    for s in streets:
        n = int(found["street"].eq(s).sum())
        d = due[due["street"].eq(s)]
        rows.append(dict(
            unit=s, assessment_rate=ass["assessment_rate"].get(s, np.nan),
            problem_density=100 * n / visits[s] if visits.get(s, 0) else np.nan,
            on_time_rate=(d["closed_on"] <= d["deadline"]).sum() / len(d) if len(d) else np.nan,
            rebound_rate=reb["street"].eq(s).sum() / n if n else np.nan,
            overdue=int(overdue["street"].eq(s).sum())))
    return pd.DataFrame(rows)


def index_of(m: pd.DataFrame, parts: list[dict]) -> pd.DataFrame:
    """The office's rules, as the file's comments state them."""
    out = pd.DataFrame({"unit": m["unit"]})
    total = 0
    for part in parts:
        v = m[part["measure"]].astype(float)
        if part["method"] == "rate":
            pts = part["weight"] * (v if part["better"] == "higher" else 1 - v)
        else:
            best, worst = (v.max(), v.min()) if part["better"] == "higher" else (v.min(), v.max())
            pts = part["weight"] * (v - worst) / (best - worst)
        pts = pts.fillna(pts.mean())
        out[part["name"]] = pts
        total = total + pts
    out["total"] = total
    out["rank"] = out["total"].round(6).rank(ascending=False, method="min").astype(int)
    return out.sort_values(["rank", "unit"], ignore_index=True)


def expected_street_index(con, start, end):
    parts = yaml.safe_load((DATA_DIR / "ranking_index.yaml").read_text(encoding="utf-8"))["street"]["parts"]
    return index_of(street_measures(con, problems(con), start, end), parts)


def test_street_index_equals_the_files_rules(app_env):
    at = open_page("rankings")
    con = duckdb.connect(str(app_env))
    now = expected_street_index(con, *WEEK52)
    before = expected_street_index(con, *WEEK51).set_index("unit")["rank"]
    con.close()
    table = frame(at, "排名")
    assert table["街道（镇）"].tolist() == now["unit"].tolist()
    assert np.allclose(table["综合指数"], now["total"].round(1))
    assert np.allclose(table["测评达标率得分（40）"], now["测评达标率"].round(1))
    change = (before.reindex(now["unit"]).to_numpy() - now["rank"].to_numpy()).astype(int)
    labels = [f"↑{c}" if c > 0 else f"↓{-c}" if c < 0 else "—" for c in change]
    assert table["较上周"].tolist() == labels
    md = texts(at)
    for x in now.head(3).itertuples():
        assert f"**第 {x.rank} 名　{x.unit}**　{x.total:.1f} 分" in md
    last = now.iloc[-1]
    assert f"**第 {last['rank']} 名　{last.unit}**　{last.total:.1f} 分" in md


def test_assessment_change_since_the_round_before(app_env):
    at = open_page("rankings")
    con = duckdb.connect(str(app_env))
    r = con.execute("SELECT round_id, sum(score) / sum(max_score) AS r FROM assessment_scores "
                    "WHERE street = '北关街道' AND round_id IN (7, 8) GROUP BY 1").df().set_index("round_id")["r"]
    con.close()
    row = frame(at, "排名").set_index("街道（镇）").loc["北关街道"]
    assert row["达标率较上轮（百分点）"] == round((r[8] - r[7]) * 100, 1)
    assert row["测评达标率（%）"] == round(r[8] * 100, 1)


def test_bottom_streak_in_the_title(app_env):
    at = open_page("rankings")
    con = duckdb.connect(str(app_env))
    weeks = [expected_street_index(con, *WEEK52)] + [
        expected_street_index(con, *(pd.Timestamp(WEEK52[0]) - pd.Timedelta(days=7 * k),
                                     pd.Timestamp(WEEK52[1]) - pd.Timedelta(days=7 * k))) for k in (1, 2, 3)]
    con.close()
    bottom = weeks[0].iloc[-1].unit
    streak = 0
    for w in weeks:
        if w.iloc[-1].unit != bottom or (w["rank"] == w["rank"].max()).sum() > 1:
            break
        streak += 1
    title = chart_titles(at)[0]
    assert streak >= 2, "the demo's weakest street stays at the bottom"
    assert title.startswith(bottom) and title.endswith("排名末位")
    assert ("近四周均" in title) == (streak == 4)
    assert streak == 4 or f"连续{dict([(2, '两'), (3, '三')])[streak]}周" in title


def test_week_filter_changes_the_ranking(app_env):
    at = open_page("rankings", week="第40周")
    con = duckdb.connect(str(app_env))
    w40 = expected_street_index(con, *WEEK40)
    w52 = expected_street_index(con, *WEEK52)
    con.close()
    table = frame(at, "排名")
    assert np.allclose(table["综合指数"], w40["total"].round(1))
    assert not np.allclose(w40.set_index("unit")["total"].reindex(w52["unit"]), w52["total"])


def test_department_ranking_and_drill_down(app_env):
    at = open_page("rankings", rank_of="责任单位", unit="区住房和城乡建设局")
    con = duckdb.connect(str(app_env))
    p = problems(con)
    mine = keep(p[between(p["found_on"], *WEEK52)], department="区住房和城乡建设局")
    obs = con.execute("SELECT count(*) FROM assessment_scores WHERE round_id = 8 AND department = ?",
                      ["区住房和城乡建设局"]).fetchone()[0]
    con.close()
    table = frame(at, "排名")
    assert "责任单位" in table.columns and "区住房和城乡建设局" in set(table["责任单位"])
    assert "问题密度得分（20）" not in table.columns
    assert table["综合指数"].is_monotonic_decreasing
    shown = frame(at, "问题编号")
    assert len(shown) == len(mine) and set(shown["问题编号"]) == set(mine["problem_id"])
    assert obs > 0
    lost = frame(at, "编码")
    assert (lost["失分"] > 0).all() and lost["失分"].is_monotonic_decreasing
    assert f"本周督查问题 {len(mine):,} 条" in texts(at)


def test_street_drill_down_lists_its_problems(app_env):
    at = open_page("rankings", unit="北关街道", category="环境卫生")
    con = duckdb.connect(str(app_env))
    p = problems(con)
    con.close()
    mine = keep(p[between(p["found_on"], *WEEK52)], street="北关街道", category="环境卫生")
    shown = frame(at, "问题编号")
    assert set(shown["问题编号"]) == set(mine["problem_id"])
    assert (shown["问题类别"] == "环境卫生").all()


def test_the_office_publishes_the_weeks_ranking_and_leaders_see_it(demo_db, tmp_path, monkeypatch):
    """On this machine (no accounts: full rights) the ranking is published with one click; the page then says so,
    and the store holds the ranking as shown, flags included."""
    import shutil

    import streamlit as st

    db = tmp_path / "publish.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    at = open_page("rankings")
    assert "本周街道（镇）排名尚未发布**：以上为按最新数据算出的排名。" in texts(at)
    button = next(b for b in at.button if b.label == "发布本周排名")
    assert not button.disabled
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "本周街道（镇）排名已发布 第1版（" in texts(at)
    assert at.success[0].value == "已发布本周街道（镇）排名（第 1 版）。"
    assert [b.label for b in at.button if b.key == "publish"] == ["重新发布本周排名"]
    shown = frame(at, "排名")
    st.cache_resource.clear()  # let the copy go before reading it
    con = duckdb.connect(str(db))
    try:
        pub = con.execute("SELECT rank, unit, total, flag, published_by FROM published_rankings ORDER BY rank").df()
    finally:
        con.close()
    assert pub["unit"].tolist() == shown["街道（镇）"].tolist()
    assert pub["total"].tolist() == shown["综合指数"].tolist()
    assert pub["flag"].tolist()[:3] == ["red"] * 3 and pub["flag"].tolist()[-3:] == ["yellow"] * 3
    assert set(pub["published_by"]) == {"本机用户"}


def test_a_filtered_view_cannot_be_published(app_env):
    at = open_page("rankings", dept="区环卫中心")
    button = next(b for b in at.button if b.key == "publish")
    assert button.disabled
    assert "发布的是全区排名：请先清除侧边栏的责任单位筛选。" in [c.value for c in at.caption]
