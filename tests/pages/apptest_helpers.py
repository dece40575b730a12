"""Shared by the analysis pages' tests: open a page through dashboard.py, read what it shows, and compute the
expected numbers straight from the demo store with SQL and pandas (never through the app's own code)."""
from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pandas as pd
from streamlit.testing.v1 import AppTest

from campaign.config import ROOT

ENTRY = str(ROOT / "dashboard.py")
WEEK52 = (date(2026, 11, 16), date(2026, 11, 22))
WEEK51 = (date(2026, 11, 9), date(2026, 11, 15))
WEEK40 = (date(2026, 8, 24), date(2026, 8, 30))
REBOUND_DAYS = 30


def open_page(page: str, **query) -> AppTest:
    """Run dashboard.py with the URL query, then switch to pages/<page>.py, as a browser following a link."""
    at = AppTest.from_file(ENTRY, default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_start: str):
    for m in at.metric:
        if m.label.startswith(label_start):
            return m
    raise AssertionError(f"no metric {label_start}: {[m.label for m in at.metric]}")


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]


def chart(at: AppTest, key_part: str) -> dict:
    """The plotly figure (as JSON) whose title contains key_part."""
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        if key_part in spec["layout"].get("title", {}).get("text", ""):
            return spec
    raise AssertionError(f"no chart titled …{key_part}…: {chart_titles(at)}")


def values(v) -> list:
    """A trace's x or y: plotly's JSON may carry numbers as a typed array ({dtype, bdata})."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            a = a.reshape([int(n) for n in str(v["shape"]).split(",")])
        return a.tolist()
    return list(v)


def frame(at: AppTest, first_column: str) -> pd.DataFrame:
    for d in at.dataframe:
        v = d.value
        if hasattr(v, "data"):  # a Styler
            v = v.data
        if len(v.columns) and v.columns[0] == first_column:
            return v
    raise AssertionError(f"no table starting with {first_column}")


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader])


# ----------------------------------------------------------------------------------------------------
# independent computations
def problems(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    p = con.execute("SELECT problem_id, found_on, site_id, site, street, department, site_type, category, "
                    "standard_code, deduction, card, deadline, closed_on FROM problems").df()
    for c in ("found_on", "deadline", "closed_on"):
        p[c] = pd.to_datetime(p[c])
    return p


def keep(p: pd.DataFrame, **filters) -> pd.DataFrame:
    for k, v in filters.items():
        if v is not None:
            p = p[p[k].eq(v)]
    return p


def between(s: pd.Series, start: date, end: date) -> pd.Series:
    return (s >= pd.Timestamp(start)) & (s <= pd.Timestamp(end))


def rebound_ids(p: pd.DataFrame, start: date, end: date, days: int = REBOUND_DAYS, **filters) -> set:
    """Problems found in the period whose site had a problem of the same category closed 1..days days before."""
    cur = keep(p[between(p["found_on"], start, end) & p["site_id"].notna()], **filters)
    closed = p.loc[p["closed_on"].notna(), ["site_id", "category", "closed_on"]]
    m = cur[["problem_id", "site_id", "category", "found_on"]].merge(closed, on=["site_id", "category"])
    hit = m[(m["closed_on"] < m["found_on"]) & (m["closed_on"] >= m["found_on"] - pd.Timedelta(days=days))]
    return set(hit["problem_id"])


def standard_rates(con: duckdb.DuckDBPyConnection, round_id: int, framework: str = "city") -> pd.DataFrame:
    """Achievement and lost points per standard of one round, straight from the views (the city's framework, or
    the minors' with framework="minors")."""
    std = con.execute("SELECT code, name, method, points, indicator, site_types, categories FROM standards "
                      "WHERE framework = ?", [framework]).df()
    obs = con.execute("SELECT standard_code, sum(score) s, sum(max_score) m FROM assessment_scores "
                      "WHERE round_id = ? GROUP BY 1", [round_id]).df().set_index("standard_code")
    sv = con.execute("SELECT indicator, sum(rate * respondents) / sum(respondents) r FROM survey_rates "
                     "WHERE round_id = ? GROUP BY 1", [round_id]).df().set_index("indicator")["r"]
    rate = []
    for r in std.itertuples():
        if r.method == "问卷调查":
            rate.append(sv.get(r.indicator))
        else:
            rate.append(obs.loc[r.code, "s"] / obs.loc[r.code, "m"] if r.code in obs.index else None)
    std["rate"] = pd.to_numeric(pd.Series(rate, index=std.index), errors="coerce")
    std = std[std["rate"].notna()].copy()
    std["lost"] = std["points"] * (1 - std["rate"])
    return std


def week_after(start: date, n: int) -> tuple[date, date]:
    s = start + timedelta(days=7 * n)
    return s, s + timedelta(days=6)
