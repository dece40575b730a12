"""Import benchmark: writes a 100,000-row ledger as .xlsx and GBK .csv and prints rows/s for each.

    .venv/bin/python scripts/import_bench.py [--rows 100000] [--runs 3] [--json]

The target on a 2-core machine is 50,000 rows/s or more for .xlsx; exits 1 when it is missed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from campaign.ingest.bench import import_rows_per_s  # noqa: E402

TARGET_XLSX = 50_000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="导入速度基准")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    res = import_rows_per_s(args.rows, args.runs, log=None if args.json else print)
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        print(f"xlsx {res['xlsx']:,} 行/秒（目标 ≥ {TARGET_XLSX:,}），csv {res['csv']:,} 行/秒")
    return 0 if res["xlsx"] >= TARGET_XLSX else 1


if __name__ == "__main__":
    sys.exit(main())
