"""Street outlines from a GeoJSON file: loading errors in Chinese naming the file; points and distances."""
import json

import numpy as np
import pytest

from campaign.config import DATA_DIR
from campaign.model import geo

SQUARE = [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]]


def feature(name, coords, kind="Polygon"):
    return {"type": "Feature", "properties": {"name": name}, "geometry": {"type": kind, "coordinates": coords}}


def write(tmp_path, obj, name="streets.geojson"):
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return p


def test_the_demo_outlines_cover_every_demo_street(demo_con):
    outlines = geo.load_outlines(DATA_DIR / "demo_streets.geojson")
    streets = set(demo_con.execute("SELECT DISTINCT street FROM sites").df()["street"])
    assert streets <= set(outlines)
    sites = demo_con.execute("SELECT street, lon, lat FROM sites").df()
    for street, g in sites.groupby("street"):
        ok = np.zeros(len(g), dtype=bool)
        for ring in outlines[street]:
            ok |= geo.inside(ring, g["lon"].to_numpy(), g["lat"].to_numpy())
        assert ok.all(), street  # every demo site lies inside its own street


def test_multipolygons_and_other_name_properties(tmp_path):
    f2 = {"type": "Feature", "properties": {"街道": "南湖街道"},
          "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE, [[[121, 31], [121.1, 31], [121, 31.1], [121, 31]]]]}}
    out = geo.load_outlines(write(tmp_path, {"type": "FeatureCollection", "features": [feature("北关街道", SQUARE), f2]}))
    assert set(out) == {"北关街道", "南湖街道"} and len(out["南湖街道"]) == 2


@pytest.mark.parametrize("content,words", [
    ("{not json", ["streets.geojson", "不是有效的 GeoJSON"]),
    ({"type": "Feature"}, ["streets.geojson", "没有 features"]),
    ({"type": "FeatureCollection", "features": [feature(None, SQUARE)]}, ["streets.geojson", "properties.name"]),
    ({"type": "FeatureCollection", "features": [feature("北关街道", [[["a", "b"], [1]]])]},
     ["streets.geojson", "第 1 个要素（北关街道）", "坐标无法读取"]),
])
def test_loading_errors_are_chinese_and_name_the_file(tmp_path, content, words):
    with pytest.raises(geo.GeoFileError) as e:
        geo.load_outlines(write(tmp_path, content))
    for w in words:
        assert w in str(e.value), str(e.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(geo.GeoFileError, match="找不到街道边界文件"):
        geo.load_outlines(tmp_path / "none.geojson")


def test_random_points_fall_inside_and_distances_are_metres():
    ring = np.asarray(SQUARE[0])
    lon, lat = geo.random_points(np.random.default_rng(1), [ring], 200)
    assert geo.inside(ring, lon, lat).all()
    assert not geo.inside(ring, np.array([120.02]), np.array([30.005]))[0]
    # one hundredth of a degree of latitude is about 1,112 m
    assert geo.distance_m(120.0, 30.0, 120.0, 30.01) == pytest.approx(1112, abs=2)
