"""python -m campaign forecast: the JSON a script reads, the same numbers from the same seed, errors in Chinese;
and the backtest behind its calibration figures."""
import json
import subprocess
import sys

import pytest

from campaign.config import ROOT
from campaign.forecast import backtest


def run(*args):
    return subprocess.run([sys.executable, "-m", "campaign", "forecast", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def answer(small_db):
    out = run("--db", small_db, "--target-score", 85, "--target-rank", 3, "--runs", 500, "--seed", 7,
              "--backtest-runs", 200, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), out.stdout


def test_the_json_has_the_odds_the_interval_the_sites_and_the_backtest(answer):
    res, _ = answer
    assert 0 <= res["p_target_score"] <= 1 and 0 <= res["p_target_rank"] <= 1
    low, high = res["interval"]
    assert low <= res["median"] <= high <= res["max_total"]
    assert res["runs"] == 500 and res["seed"] == 7 and res["target_score"] == 85 and res["target_rank"] == 3
    sites = res["risk_sites"]
    assert len(sites) == 20 and {"site", "site_type", "street", "department", "p_sampled", "exp_lost"} <= set(sites[0])
    assert [s["exp_lost"] for s in sites] == sorted((s["exp_lost"] for s in sites), reverse=True)
    bt = res["backtest"]
    assert 0 <= bt["coverage"] <= 1 and 0 <= bt["brier"] <= 1 and bt["rounds"] >= 3
    assert bt["line"].startswith(f"过去 {bt['rounds']} 轮：{bt['inside']} 轮落在预测区间内")


def test_same_seed_same_numbers(small_db, answer):
    again = run("--db", small_db, "--target-score", 85, "--target-rank", 3, "--runs", 500, "--seed", 7,
                "--backtest-runs", 200, "--json")
    a, b = json.loads(answer[1]), json.loads(again.stdout)
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_a_what_if_raises_the_odds(small_db, answer):
    out = run("--db", small_db, "--target-score", 85, "--target-rank", 3, "--runs", 500, "--seed", 7,
              "--backtest-runs", 200, "--set", "section:B=0.98", "--json")
    res = json.loads(out.stdout)
    assert res["p_target_score"] >= answer[0]["p_target_score"] and res["median"] > answer[0]["median"]


def test_text_output_says_it_in_words(small_db):
    out = run("--db", small_db, "--runs", 300, "--backtest-runs", 100)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("按目前状况，下次测评达到") and "80% 区间" in out.stdout and "过去" in out.stdout


@pytest.mark.parametrize("args,words", [
    (["--db", "/nonexistent/x.duckdb"], "找不到数据库"),
    (["--runs", "0"], "--runs 应为正整数"),
    (["--set", "site_type:农贸市场=abc"], "不是数字"),
])
def test_errors_in_chinese(small_db, args, words):
    args = args if "--db" in args else ["--db", small_db, *args]
    out = run(*args, "--json")
    assert out.returncode == 2 and words in out.stderr and out.stdout == ""


def test_a_store_without_rounds(tmp_path):
    from campaign.store import init_store

    db = tmp_path / "empty.duckdb"
    init_store(db)
    out = run("--db", db, "--json")
    assert out.returncode == 2 and "还没有测评数据" in out.stderr


def test_the_backtest_predicts_each_round_from_the_rounds_before_it(small_con):
    bt = backtest(small_con, runs=300, seed=1, target_score=85)
    rounds = small_con.execute("SELECT count(*) FROM assessment_rounds").fetchone()[0]
    assert bt.n == rounds - 2  # every round after the first two
    assert (bt.rounds["low"] <= bt.rounds["median"]).all() and (bt.rounds["median"] <= bt.rounds["high"]).all()
    assert bt.coverage == bt.rounds["inside"].mean() and 0 <= bt.brier <= 1
    inside = ((bt.rounds["actual"] >= bt.rounds["low"]) & (bt.rounds["actual"] <= bt.rounds["high"])).to_numpy()
    assert (bt.rounds["inside"].to_numpy() == inside).all()


def test_the_cheapest_plan_for_a_probability(small_db, answer):
    out = run("--db", small_db, "--target-score", 90, "--runs", 500, "--seed", 7, "--backtest-runs", 100,
              "--plan", 80, "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)["plan"]
    assert plan["probability"] == 0.8 and plan["kind"] == "score" and plan["target"] == 90
    assert plan["message"].startswith("达到 90 分的把握 ≥ 80%")
    if plan["before"] < 0.8:
        assert plan["actions"] and plan["after"] >= 0.8 and all(a["rate"] > a["from_rate"] for a in plan["actions"])
    bad = run("--db", small_db, "--plan", 100, "--json")
    assert bad.returncode == 2 and "--plan 应为 0 到 1 之间" in bad.stderr
