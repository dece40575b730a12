"""推演 model and optimizer: no change reproduces the round, 100 % gives the maximum, raising a rate never lowers
the total, the plan reaches its target at least cost, scenarios are stored, the CLI gives the same numbers."""
from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign import whatif
from campaign.analysis import metrics
from campaign.config import ROOT
from campaign.demo import build_demo
from campaign.model import scoring
from campaign.model.framework import load_framework


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(str(demo_db))
    yield c
    c.close()


@pytest.fixture(scope="module")
def model(con):
    return whatif.build_model(con)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("whatif") / "small.duckdb"
    build_demo(path, scale=0.2, seed=7)
    return path


def S(text: str) -> list[whatif.Setting]:
    return whatif.parse_scenario(text)


# ------------------------------------------------------------------------------------------------ settings text
def test_scenario_text_round_trips_and_accepts_office_spellings():
    text = "site_type:农贸市场=0.9;B2.1.3,street:北关街道=0.85;fix:street:北关街道;fix:all"
    assert whatif.format_scenario(S(text)) == text
    loose = S("点位类型：农贸市场=90%；街道:北关街道,类别:占道经营＝85\nfix:全部")
    assert [(s.key, s.rate, s.fix) for s in loose] == [
        ("site_type:农贸市场", 0.9, False), ("street:北关街道,category:占道经营", 0.85, False), ("", None, True)]
    assert whatif.settings_from_json(whatif.scenario_json(S(text))) == S(text)


@pytest.mark.parametrize("bad, words", [
    ("foo:bar=0.9", "类型“foo”未知"), ("site_type:农贸市场", "范围=达标率"), ("site_type:农贸市场=abc", "不是数字"),
    ("site_type:农贸市场=120%", "0 到 1"), ("site_type:=0.9", "缺少名称")])
def test_bad_settings_are_named_in_chinese(bad, words):
    with pytest.raises(whatif.WhatIfError, match=words):
        whatif.parse_scenario(bad)


def test_unknown_names_are_dropped_with_a_warning(model):
    ok, warnings = model.validate(S("site_type:菜市场=0.9;street:北关街道=0.9"))
    assert [s.key for s in ok] == ["street:北关街道"]
    assert "菜市场" in warnings[0]


# ------------------------------------------------------------------------------------------------ projection
@pytest.mark.parametrize("round_id", range(1, 9))
def test_no_change_reproduces_every_round_exactly(con, round_id):
    m = whatif.build_model(con, round_id)
    scores = metrics.round_scores(con).set_index("round_id").loc[round_id]
    detail = metrics.round_detail(con, round_id)
    assert m.baseline.total == scores.total == detail.score.total
    assert m.baseline.rank == scores["rank"]
    city = m.baseline.rates[m.baseline.rates["framework"].eq("city")]  # the minors' standards move too, after
    assert (city["earned"].to_numpy() == detail.rates["earned"].to_numpy()).all()
    assert m.baseline.score.minors_total == pytest.approx(scores.minors_total, abs=1e-9)
    assert whatif.project(m, []).total == scores.total


def test_all_rates_at_100_give_the_framework_maximum(con, model):
    fw = load_framework()
    every = [whatif.Setting(c, (("standard", c),), 1.0) for c in model.standards["code"]]
    p = whatif.project(model, every)
    assert p.score.base == pytest.approx(fw.max_base, abs=1e-9)
    assert p.total == pytest.approx(fw.max_base + model.baseline.score.bonus - model.baseline.score.deduction, abs=1e-9)
    by_section = whatif.project(model, S(";".join(f"section:{c}=1" for c in model.standards["section_code"].unique())))
    assert by_section.total == pytest.approx(p.total, abs=1e-9)


def test_all_rates_at_100_keep_the_negative_list_deduction(con):
    m = whatif.build_model(con, 5)  # the demo's round with a negative-list event
    assert m.baseline.score.deduction > 0
    p = whatif.project(m, S(";".join(f"{c}=1" for c in m.standards["code"])))
    assert p.total == pytest.approx(100 + m.baseline.score.bonus - m.baseline.score.deduction, abs=1e-9)


def test_a_round_that_missed_standards_still_reproduces_and_reaches_the_maximum(small_db, tmp_path):
    path = tmp_path / "missing.duckdb"
    shutil.copy(small_db, path)
    c = duckdb.connect(str(path))
    try:
        c.execute("DELETE FROM store.assessment_scores WHERE round_id = 8 AND standard_code IN ('A1.3.1', 'A1.1.1')")
        c.execute("DELETE FROM store.survey_rates WHERE round_id = 8 AND indicator = '参与率'")
        m = whatif.build_model(c, 8)
        detail = metrics.round_detail(c, 8)
        assert not detail.rates.set_index("code").loc[["A1.3.1", "A1.1.1", "C4.2.2"], "assessed"].any()
        assert m.baseline.total == detail.score.total
        p = whatif.project(m, S(";".join(f"{code}=1" for code in m.standards["code"])))
        assert p.score.base == pytest.approx(100.0, abs=1e-9)
    finally:
        c.close()


def test_a_setting_lifts_its_scope_to_the_target_and_never_lowers(model):
    rates = model.baseline.rates.set_index("code")
    low = rates[rates["method"].eq(whatif.FIELD) & rates["rate"].lt(0.7)].index[0]
    high = rates[rates["rate"].gt(0.9) & rates["rate"].lt(1)].index[0]
    p = whatif.project(model, S(f"{low}=0.8;{high}=0.5"))
    after = p.rates.set_index("code")
    assert after.at[low, "rate"] == pytest.approx(0.8, abs=1e-12)
    assert after.at[high, "rate"] == rates.at[high, "rate"]
    item = scoring.group_scores(model.baseline.rates, "item").sort_values("rate").iloc[0]
    code = model.standards.loc[model.standards["item"].eq(item["item"]), "item_code"].iloc[0]
    p = whatif.project(model, S(f"item:{code}=0.97"))
    assert scoring.group_scores(p.rates, "item").set_index("item").at[item["item"], "rate"] == pytest.approx(0.97)


def test_a_street_setting_moves_only_that_streets_units(model):
    p = whatif.project(model, S("street:北关街道=0.95"))
    online = model.standards.loc[model.standards["method"].eq(whatif.ONLINE), "code"]
    before = model.baseline.rates.set_index("code")
    after = p.rates.set_index("code")
    assert (after.loc[online, "earned"] == before.loc[online, "earned"]).all()
    assert p.total > model.baseline.total
    assert p.effects.iloc[0]["points"] == pytest.approx(p.total - model.baseline.total)


def _pool(model) -> list[str]:
    keys = list(whatif.key_options(model))
    keys += ["B2.1.3,street:北关街道", "site_type:农贸市场,street:南苑街道", "indicator:满意度,street:北关街道",
             "category:占道经营,department:区城管执法大队"]
    return keys


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_raising_any_rate_never_lowers_the_total(model, data):
    pool = _pool(model)
    fixes = list(whatif.fix_options(model))
    chosen = data.draw(st.lists(st.tuples(st.sampled_from(pool), st.floats(0, 1)), min_size=1, max_size=6))
    fix = data.draw(st.lists(st.sampled_from(fixes), max_size=2))
    base = [whatif.parse_setting(f"{k}={r}") for k, r in chosen] + [whatif.parse_setting(f) for f in fix]
    i = data.draw(st.integers(0, len(chosen) - 1))
    up = data.draw(st.floats(0, 1))
    raised = list(base)
    raised[i] = whatif.parse_setting(f"{chosen[i][0]}={min(1.0, chosen[i][1] + up)}")
    before = whatif.project(model, base).total
    assert whatif.project(model, raised).total >= before - 1e-12
    more = whatif.project(model, base + [whatif.parse_setting(f"{data.draw(st.sampled_from(pool))}=0.9")]).total
    assert more >= before - 1e-12
    assert whatif.project(model, base + [whatif.parse_setting(data.draw(st.sampled_from(fixes)))]).total >= \
        before - 1e-12
    assert before >= model.baseline.total - 1e-12


def test_marking_open_problems_fixed_raises_by_n_over_n_sites(con, model):
    """fix:street:X raises standard s in street t by (sites with open problems) / (sites of s's types in t)."""
    open_ = con.execute("SELECT standard_code, street, count(DISTINCT site_id) n FROM problems "
                        "WHERE closed_on IS NULL AND street = '北关街道' GROUP BY ALL").df()
    obs = con.execute("SELECT standard_code, street, score, max_score FROM assessment_scores "
                      "WHERE round_id = 8").df()
    sites = con.execute("SELECT site_type, count(*) n FROM sites WHERE street = '北关街道' GROUP BY 1").df()
    sites = dict(zip(sites["site_type"], sites["n"]))
    types = model.standards.set_index("code")["site_types"]
    rows = []
    for r in open_.itertuples():
        g = obs[obs["standard_code"].eq(r.standard_code)]
        here = g[g["street"].eq("北关街道")]
        if here.empty:
            continue
        total_sites = sum(sites.get(t, 0) for t in types[r.standard_code])
        rate_here = here["score"].sum() / here["max_score"].sum()
        new_here = min(1.0, rate_here + r.n / max(total_sites, r.n))
        expected = (g["score"].sum() - here["score"].sum() + new_here * here["max_score"].sum()) / g["max_score"].sum()
        rows.append((r.standard_code, expected))
    assert rows, "the demo has open problems at sampled standards in 北关街道"
    after = whatif.project(model, S("fix:street:北关街道")).rates.set_index("code")["rate"]
    for code, expected in rows:
        assert after[code] == pytest.approx(expected, abs=1e-12), code
    everything = whatif.project(model, S("fix:all"))
    assert everything.total > model.baseline.total
    assert everything.effects.iloc[0]["problems"] == con.execute(
        "SELECT count(*) FROM problems WHERE closed_on IS NULL AND street IS NOT NULL").fetchone()[0]


# ------------------------------------------------------------------------------------------------ optimizer
def _drop_each_falls_short(model, plan):
    for i in range(len(plan.actions)):
        rest = [s for j, s in enumerate(plan.settings) if j != i]
        assert whatif.project(model, rest).total < plan.required_total, plan.actions.iloc[i]["key"]


def test_plan_for_a_target_score_reaches_it_at_optimal_cost(model):
    target = round(model.baseline.total + 2.0, 2)
    plan = whatif.optimize(model, target_total=target)
    assert plan.status == "optimal"
    applied = whatif.project(model, plan.settings)
    assert applied.total >= target
    assert plan.projected.total == applied.total
    assert plan.objective == pytest.approx(plan.total_effort, rel=1e-6)
    assert plan.objective <= plan.bound * (1 + 1e-6) + 1e-9  # proven optimal: the dual bound meets the plan
    assert plan.actions["points"].sum() == pytest.approx(applied.total - model.baseline.total, abs=1e-6)
    assert set(plan.actions.columns) >= {"key", "rate", "points", "effort", "department", "street"}
    _drop_each_falls_short(model, plan)
    depts = plan.actions["department"].tolist()
    assert depts == sorted(depts, key=lambda d: depts.index(d))  # grouped per department


def test_plan_for_a_target_rank_gets_that_rank(model):
    plan = whatif.optimize(model, target_rank=1)
    peers = model.peers["total"]
    assert plan.required_total == pytest.approx(peers.max() + whatif.RANK_MARGIN)
    applied = whatif.project(model, plan.settings)
    assert applied.rank == 1 and applied.total > peers.max()
    _drop_each_falls_short(model, plan)


def test_met_and_unreachable_targets(model):
    met = whatif.optimize(model, target_rank=model.baseline.rank)
    assert met.status == "met" and met.actions.empty and "无需整改" in met.message
    far = whatif.optimize(model, target_total=150)
    assert far.status == "infeasible" and far.actions.empty and "达不到目标" in far.message
    with pytest.raises(whatif.WhatIfError, match="名次"):
        whatif.optimize(model, target_rank=0)


def test_action_limit_and_department_capacity_are_respected(model):
    target = model.baseline.total + 1.0
    limited = whatif.optimize(model, target_total=target, max_actions=8)
    assert limited.status == "optimal" and len(limited.actions) <= 8
    assert whatif.project(model, limited.settings).total >= target
    free = whatif.optimize(model, target_total=target)
    assert limited.total_effort >= free.total_effort - 1e-6
    busiest = free.actions.groupby("department")["effort"].sum().idxmax()
    eff = whatif.Effort(capacity={busiest: 1.0})
    capped = whatif.optimize(model, target_total=target, effort=eff)
    assert capped.actions.loc[capped.actions["department"].eq(busiest), "effort"].sum() <= 1.0 + 1e-6
    assert whatif.project(model, capped.settings).total >= target


def _brute_force(acts: pd.DataFrame, need: float, k: int | None) -> float:
    best = np.inf
    for size in range(1, len(acts) + 1):
        if k and size > k:
            break
        for subset in itertools.combinations(range(len(acts)), size):
            a = acts.iloc[list(subset)]
            if (a["lost"] * a["cap"]).sum() < need:
                continue
            cost, left = a["fixed"].sum(), need
            for r in a.assign(pp=a["effort_full"] / a["lost"]).sort_values("pp").itertuples():
                take = min(left, r.lost * r.cap)
                cost += take * r.pp
                left -= take
            best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_solver_matches_brute_force_on_small_instances(seed):
    rng = np.random.default_rng(seed)
    n = 7
    acts = pd.DataFrame({"lost": rng.uniform(0.05, 1, n), "cap": rng.choice([1.0, 0.6], n),
                         "effort_full": rng.uniform(1, 20, n), "fixed": rng.uniform(0, 4, n),
                         "department": rng.choice(["甲", "乙"], n)})
    need = float(rng.uniform(0.1, 0.8) * (acts["lost"] * acts["cap"]).sum())
    k = int(rng.integers(2, 6)) if seed % 2 else None
    alpha, status, objective, _ = whatif.solve(acts, need, max_actions=k)
    best = _brute_force(acts, need + whatif.NEED_MARGIN, k)
    if np.isfinite(best):
        assert status == "optimal"
        assert objective == pytest.approx(best, rel=1e-6, abs=1e-6)
        assert float((alpha * acts["lost"]).sum()) >= need
    else:
        assert status == "infeasible"


def test_effort_file_is_read_and_overrides_apply(model, tmp_path):
    eff = whatif.load_effort()
    assert eff.unit == "天" and eff.max_rate[whatif.SURVEY] < 1
    acts = whatif.actions(model, eff)
    assert set(acts["method"]) == {whatif.FIELD, whatif.ONLINE, whatif.SURVEY}
    # points of the total at stake: each standard's lost points × what its framework counts for (city 80 %,
    # minors 20 %), survey standards through their indicators' actions
    r = model.baseline.rates
    share = model.minors[1]
    worth = np.where(r["framework"].eq("minors"), share, 1 - share)
    not_survey = r["method"].ne("问卷调查").to_numpy()
    assert acts["lost"].sum() == pytest.approx(
        (r["lost"].to_numpy() * worth)[not_survey].sum() + acts.query("method == '问卷调查'")["lost"].sum(),
        abs=1e-9)
    f = tmp_path / "effort.yaml"
    f.write_text("overrides:\n  - {key: 'site_type:农贸市场', per_point: 7}\n", encoding="utf-8")
    market = whatif.actions(model, whatif.load_effort(f))
    rows = market[market["key"].map(lambda k: bool(np.all(model.mask(whatif.parse_key("site_type:农贸市场"))[
        model.index(whatif.parse_key(k))])))]
    assert len(rows) and np.allclose(rows["per_point"], 7)
    f.write_text("online_per_point: -3\n", encoding="utf-8")
    with pytest.raises(whatif.WhatIfError, match="effort.yaml：online_per_point"):
        whatif.load_effort(f)


def test_benchmark_reports_milliseconds(con):
    assert whatif.benchmark(con, runs=5) > 0


# ------------------------------------------------------------------------------------------------ scenarios
def test_scenarios_are_saved_overwritten_listed_and_deleted(small_db, tmp_path):
    path = tmp_path / "s.duckdb"
    shutil.copy(small_db, path)
    c = duckdb.connect(str(path))
    try:
        v0 = int(c.execute("SELECT value FROM store.meta WHERE key = 'data_version'").fetchone()[0])
        whatif.save_scenario(c, "农贸市场攻坚", "site_type:农贸市场=0.9;fix:street:北关街道", by="王主任")
        whatif.save_scenario(c, "全面达标", S("section:A=0.95"))
        whatif.save_scenario(c, "农贸市场攻坚", "site_type:农贸市场=0.95")
        saved = whatif.scenarios(c).set_index("name")
        assert sorted(saved.index) == ["全面达标", "农贸市场攻坚"]
        assert saved.at["农贸市场攻坚", "text"] == "site_type:农贸市场=0.95"
        assert json.loads(saved.at["全面达标", "settings"]) == [{"key": "section:A", "rate": 0.95}]
        assert int(c.execute("SELECT value FROM store.meta WHERE key = 'data_version'").fetchone()[0]) > v0
        whatif.delete_scenario(c, "全面达标")
        assert whatif.scenarios(c)["name"].tolist() == ["农贸市场攻坚"]
        with pytest.raises(whatif.WhatIfError, match="名字"):
            whatif.save_scenario(c, "  ", "section:A=0.9")
        c.execute("DROP VIEW main.scenarios")
        c.execute("DROP TABLE store.scenarios")
        assert whatif.scenarios(c).empty  # a store from before scenarios existed
    finally:
        c.close()


def test_compare_table_puts_scenarios_side_by_side(model):
    t = whatif.compare_table(model, {"当前设定": "", "农贸": "site_type:农贸市场=0.9"})
    assert list(t.columns) == ["项目", "当前设定", "农贸"]
    row = t.set_index("项目")
    assert row.at["推演总分", "当前设定"] == f"{model.baseline.total:.2f}"
    assert float(row.at["推演总分", "农贸"]) > float(row.at["推演总分", "当前设定"])


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_json_gives_the_models_numbers_and_a_plan_that_applies(demo_db, model, capsys):
    from campaign.cli import main

    assert main(["whatif", "--db", str(demo_db), "--set", "site_type:农贸市场=0.9", "--fix", "street:北关街道",
                 "--target-score", "90", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    p = whatif.project(model, S("site_type:农贸市场=0.9;fix:street:北关街道"))
    assert out["baseline_total"] == pytest.approx(model.baseline.total, abs=1e-6)
    assert out["projected_total"] == pytest.approx(p.total, abs=1e-6)
    assert out["projected_rank"] == p.rank
    assert out["plan_status"] == "optimal" and out["plan"]
    assert {"key", "rate", "points", "effort"} <= set(out["plan"][0])
    # the plan starts from the settings given: they and the plan's actions together reach the target
    assert out["plan_start_total"] == pytest.approx(p.total, abs=1e-6)
    assert out["plan_message"].startswith("从您设定的达标率出发")
    assert out["plan_scenario"].startswith("site_type:农贸市场=0.9;fix:street:北关街道;")
    args = ["whatif", "--db", str(demo_db), "--json", "--set", "site_type:农贸市场=0.9", "--fix", "street:北关街道"]
    for a in out["plan"]:
        args += ["--set", f"{a['key']}={a['rate']!r}"]
    assert main(args) == 0
    applied = json.loads(capsys.readouterr().out)
    assert applied["projected_total"] >= 90


def test_cli_runs_as_a_command_and_names_bad_input(small_db, tmp_path):
    path = tmp_path / "cli.duckdb"
    shutil.copy(small_db, path)
    run = [sys.executable, "-m", "campaign", "whatif", "--db", str(path)]
    ok = subprocess.run(run + ["--set", "street:北关街道=0.9", "--target-rank", "1", "--json"],
                        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert out["projected_total"] > out["baseline_total"] and "plan" in out
    bad = subprocess.run(run + ["--set", "site_type:菜市场=0.9"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "菜市场" in bad.stderr
