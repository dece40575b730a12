"""推演 benchmark: median milliseconds of one recompute after one slider moves (target: 50 ms or less).

    python scripts/whatif_bench.py [DB]      (default: CAMPAIGN_DB or data/campaign.duckdb; built as the demo if missing)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from campaign import whatif  # noqa: E402
from campaign.config import db_path  # noqa: E402
from campaign.demo import build_demo  # noqa: E402


def main(path: str | None = None) -> int:
    db = Path(path) if path else db_path()
    if not db.exists():
        build_demo(db)
    con = duckdb.connect(str(db))
    try:
        t = time.perf_counter()
        model = whatif.build_model(con)
        build_ms = (time.perf_counter() - t) * 1000
        ms = whatif.benchmark(con)
        t = time.perf_counter()
        plan = whatif.optimize(model, target_rank=1)
        solve_ms = (time.perf_counter() - t) * 1000
    finally:
        con.close()
    print(f"推演重算（改动一个设定）：中位数 {ms:.2f} ms（目标 ≤ 50 ms）")
    print(f"建模（读取一轮测评）：{build_ms:.0f} ms；最省方案（目标第 1 名，{len(plan.actions)} 项）：{solve_ms:.0f} ms")
    return 0 if ms <= 50 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
