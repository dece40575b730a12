"""Write data/demo_streets.geojson: made-up outlines of the demo district's 14 streets and towns (临江区 does not
exist). A jittered 4 × 3 grid of urban streets by the river, three towns around it; shared edges are shared
vertices, so neighbouring outlines meet exactly. Run once; the demo places its sites inside these outlines.

    .venv/bin/python scripts/demo_streets_geojson.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "demo_streets.geojson"

LON0, LAT0 = 112.900, 28.150   # south-west corner of the urban grid (by the river)
DLON, DLAT = 0.0235, 0.0200     # one urban street ≈ 2.3 km × 2.2 km
COLS, ROWS = 4, 3
URBAN = {  # (row, first column, last column): street; row 0 is the riverside
    (0, 0, 0): "西城街道", (0, 1, 1): "滨江街道", (0, 2, 2): "人民路街道", (0, 3, 3): "东湖街道",
    (1, 0, 0): "南苑街道", (1, 1, 1): "解放路街道", (1, 2, 2): "新华街道", (1, 3, 3): "城东街道",
    (2, 0, 0): "北关街道", (2, 1, 1): "高新技术产业园区", (2, 2, 3): "火车站街道",
}


def build() -> dict:
    rng = np.random.default_rng(2026)
    vx = np.empty((ROWS + 1, COLS + 1))
    vy = np.empty((ROWS + 1, COLS + 1))
    for r in range(ROWS + 1):
        for c in range(COLS + 1):
            jx = 0.0 if c in (0, COLS) else rng.uniform(-0.18, 0.18)
            jy = 0.0 if r == 0 else rng.uniform(-0.15, 0.15)
            vx[r, c] = LON0 + (c + jx) * DLON + (0.004 * np.sin(r * 1.7) if c in (0, COLS) else 0.0)
            vy[r, c] = LAT0 + (r + jy) * DLAT + (0.003 * np.sin(c * 2.1) if r == 0 else 0.0)

    def v(r: int, c: int) -> list[float]:
        return [round(float(vx[r, c]), 6), round(float(vy[r, c]), 6)]

    feats = []

    def add(name: str, ring: list[list[float]]) -> None:
        ring = ring + [ring[0]]
        feats.append({"type": "Feature", "properties": {"name": name},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})

    for (r, c0, c1), name in URBAN.items():
        south = [v(r, c) for c in range(c0, c1 + 2)]
        north = [v(r + 1, c) for c in range(c1 + 1, c0 - 1, -1)]
        add(name, south + north)
    west, east = LON0 - 0.060, LON0 + COLS * DLON + 0.055
    top_edge = LAT0 + ROWS * DLAT
    south_edge, top = LAT0 - 0.004, top_edge + 0.048
    left_col = [v(r, 0) for r in range(ROWS + 1)]
    nw, ne = [round(west, 6), round(top_edge + 0.002, 6)], [round(east, 6), round(top_edge - 0.003, 6)]
    add("青山镇", [[round(west + 0.006, 6), round(south_edge, 6)]] + left_col + [nw])
    add("柳林镇", [nw] + [v(ROWS, c) for c in range(COLS + 1)] + [ne, [round(east - 0.01, 6), round(top, 6)],
                                                                  [round(LON0 + 0.05, 6), round(top + 0.006, 6)],
                                                                  [round(west + 0.012, 6), round(top - 0.004, 6)]])
    se = [round(east - 0.004, 6), round(south_edge - 0.002, 6)]
    add("河口镇", [v(0, COLS), se, ne] + [v(r, COLS) for r in range(ROWS, 0, -1)])
    return {"type": "FeatureCollection",
            "name": "临江区街道（镇）边界（演示用，虚构）",
            "features": feats}


def main() -> int:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"已写入 {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
