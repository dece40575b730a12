"""`campaign framework`: an office's own edition of the framework file goes into an existing store in place of the
one there — checked first, written in one transaction, with the stored results it no longer names counted."""
import copy

import duckdb
import pytest
import yaml

from campaign.analysis import metrics
from campaign.cli import main
from campaign.config import FRAMEWORK_FILE
from campaign.demo import build_demo

RAW = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))


@pytest.fixture()
def store(tmp_path):
    return build_demo(tmp_path / "office.duckdb", scale=0.1, seed=7).path


def counts(path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT (SELECT count(*) FROM standards), (SELECT count(*) FROM standards WHERE "
                           "framework = 'minors'), (SELECT count(*) FROM problems), (SELECT count(*) FROM "
                           "assessment_scores), (SELECT value FROM store.meta WHERE key = 'framework')").fetchone()
    finally:
        con.close()


def test_check_only_reads_the_file(capsys):
    assert main(["framework", "--check"]) == 0
    out = capsys.readouterr().out
    assert "城市测评标准 188 条，未成年人测评标准 25 条，负面清单 29 项，校验通过（未写入数据库）" in out


def test_an_office_edition_replaces_the_stored_one_and_keeps_the_data(store, tmp_path, capsys):
    own = copy.deepcopy(RAW)
    own.pop("minors")
    own["name"], own["version"] = "全国文明城市测评体系（区县级）", "2024年版"
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(own, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before = counts(store)
    con = duckdb.connect(str(store), read_only=True)
    minors_scores = con.execute("SELECT count(*) FROM assessment_scores WHERE standard_code LIKE 'M%'").fetchone()[0]
    con.close()
    assert before[:2] == (213, 25) and minors_scores > 0
    assert main(["framework", "--db", str(store), "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "已载入数据库" in out and f"已有 {minors_scores:,} 条测评结果" in out
    after = counts(store)
    assert after == (188, 0, before[2], before[3], "全国文明城市测评体系（区县级） 2024年版")
    con = duckdb.connect(str(store), read_only=True)
    try:
        r = metrics.round_scores(con)
    finally:
        con.close()
    assert r["minors_total"].isna().all()  # no minors' framework: totals are the city's alone


def test_a_malformed_edition_is_refused_and_the_store_is_untouched(store, tmp_path, capsys):
    bad = copy.deepcopy(RAW)
    bad["sections"][0]["items"][0]["contents"][0]["standards"][0]["method"] = "电话抽查"
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before = counts(store)
    assert main(["framework", "--db", str(store), "--file", str(path)]) == 2
    err = capsys.readouterr().err
    assert "A1.1.1" in err and "电话抽查" in err
    assert counts(store) == before
