"""Street outlines (an optional GeoJSON file the office provides) and distances between sites: plain NumPy, no
map service, no internet. Coordinates are longitude / latitude in degrees (WGS-84 or GCJ-02, whichever the
office's systems use: at district scale the difference does not matter for 500 m–2 km)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

EARTH_M = 6_371_000.0


class GeoFileError(ValueError):
    """The outline file is wrong; the message (Chinese) says which file and what."""


def load_outlines(path: Path | str) -> dict[str, list[np.ndarray]]:
    """name → outer rings (each an (n, 2) array of lon, lat) of every Polygon / MultiPolygon feature.

    The name is the feature's ``name`` property (also 街道, street or NAME)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GeoFileError(f"找不到街道边界文件 {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GeoFileError(f"街道边界文件 {path.name} 不是有效的 GeoJSON（{e}）") from None
    feats = raw.get("features") if isinstance(raw, dict) else None
    if not isinstance(feats, list):
        raise GeoFileError(f"街道边界文件 {path.name} 中没有 features（应为 GeoJSON FeatureCollection）")
    out: dict[str, list[np.ndarray]] = {}
    for i, f in enumerate(feats, start=1):
        if not isinstance(f, dict):
            continue
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        name = next((str(props[k]) for k in ("name", "街道", "street", "NAME") if props.get(k)), None)
        geom = f.get("geometry") if isinstance(f.get("geometry"), dict) else {}
        kind, coords = geom.get("type"), geom.get("coordinates")
        if not name or kind not in ("Polygon", "MultiPolygon") or not coords:
            continue
        polys = [coords] if kind == "Polygon" else coords
        try:
            rings = [np.asarray(p[0], dtype=float)[:, :2] for p in polys if p]
        except (TypeError, ValueError, IndexError):
            raise GeoFileError(f"街道边界文件 {path.name} 第 {i} 个要素（{name}）的坐标无法读取") from None
        out.setdefault(name, []).extend(rings)
    if not out:
        raise GeoFileError(f"街道边界文件 {path.name} 中没有带名称（properties.name）的面要素")
    return out


def inside(ring: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether each point lies inside the ring (even-odd rule)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    res = np.zeros(lon.shape, dtype=bool)
    for xa, ya, xb, yb in zip(x, y, x2, y2):
        if ya == yb:
            continue
        cross = (ya > lat) != (yb > lat)
        xi = xa + (lat - ya) * (xb - xa) / (yb - ya)
        res ^= cross & (lon < xi)
    return res


def random_points(rng: np.random.Generator, rings: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points spread evenly over the rings (rejection sampling in their bounding box)."""
    pts = np.concatenate(rings)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < n:
        cand = rng.uniform(lo, hi, size=(max(16, 3 * (n - len(lon))), 2))
        ok = np.zeros(len(cand), dtype=bool)
        for r in rings:
            ok |= inside(r, cand[:, 0], cand[:, 1])
        lon, lat = np.concatenate([lon, cand[ok, 0]]), np.concatenate([lat, cand[ok, 1]])
    return lon[:n], lat[:n]


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (haversine), broadcasting."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def local_metres(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Longitude / latitude as metres east and north on a plane through the points' mean latitude: within a
    district (tens of kilometres) distances on it differ from the great circle's by well under 1 %."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    lat0 = np.radians(np.nanmean(lat)) if np.isfinite(lat).any() else 0.0
    k = np.pi / 180 * EARTH_M
    return lon * k * np.cos(lat0), lat * k


def within(x: np.ndarray, y: np.ndarray, anchors: np.ndarray, pool: np.ndarray, lo: float, hi: float) -> list[np.ndarray]:
    """For each anchor index, the pool indices at a distance in [lo, hi] metres (x, y from local_metres; the pool
    is searched in a band of x around the anchor, so the work grows with the neighbours, not the district)."""
    order = pool[np.argsort(x[pool], kind="stable")]
    xs = x[order]
    out = []
    for i in anchors:
        a, b = np.searchsorted(xs, [x[i] - hi, x[i] + hi])
        c = order[a:b]
        d2 = (x[c] - x[i]) ** 2 + (y[c] - y[i]) ** 2
        out.append(np.sort(c[(d2 >= lo * lo) & (d2 <= hi * hi) & (c != i)]))
    return out
