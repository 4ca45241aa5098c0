"""Placing location pins in the test region (Alpha | Beta on top, Gamma below)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from core.placement import BoundaryFileError, KecamatanPlacer, Placement
from core.region import RegionInfo, load_region_config

DATA = Path(__file__).parent / "data"
TEST_REGION = DATA / "testregion.toml"
TEST_GEOJSON = DATA / "testregion.geojson"

# 0.01 degree of longitude at lat -7 is about 1.1 km.
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(7.1))


@pytest.fixture(scope="module")
def placer() -> KecamatanPlacer:
    return load_region_config(TEST_REGION).placer


@pytest.mark.parametrize(
    "lat,lon,kecamatan",
    [
        (-7.05, 112.05, "Alpha"),
        (-7.001, 112.099, "Alpha"),
        (-7.05, 112.15, "Beta"),
        (-7.099, 112.101, "Beta"),
        (-7.15, 112.05, "Gamma"),
        (-7.15, 112.15, "Gamma"),
        (-7.199, 112.199, "Gamma"),
    ],
)
def test_inside(placer: KecamatanPlacer, lat, lon, kecamatan):
    assert placer.place(lat, lon) == Placement(kecamatan, True)


@pytest.mark.parametrize(
    "lat,lon,kecamatan",
    [
        (-7.05, 112.1, "Alpha"),  # Alpha | Beta border: first feature in the file wins
        (-7.1, 112.05, "Alpha"),  # Alpha / Gamma border
        (-7.1, 112.15, "Beta"),  # Beta / Gamma border
        (-7.1, 112.1, "Alpha"),  # the corner shared by all three
        (-7.0, 112.05, "Alpha"),  # on the outer outline
        (-7.2, 112.2, "Gamma"),  # outer corner
    ],
)
def test_on_border_is_deterministic(placer: KecamatanPlacer, lat, lon, kecamatan):
    results = {placer.place(lat, lon) for _ in range(5)}
    assert results == {Placement(kecamatan, True)}


def test_border_priority_follows_file_order(tmp_path: Path):
    gj = json.loads(TEST_GEOJSON.read_text())
    gj["features"].reverse()  # Gamma, Beta, Alpha
    path = tmp_path / "rev.geojson"
    path.write_text(json.dumps(gj))
    rev = KecamatanPlacer.from_geojson(path, "kecamatan")
    assert rev.place(-7.05, 112.1).kecamatan == "Beta"
    assert rev.place(-7.1, 112.1).kecamatan == "Gamma"
    assert rev.place(-7.05, 112.05).kecamatan == "Alpha"


@pytest.mark.parametrize(
    "lat,lon",
    [
        (-7.05, 111.98),  # ~2.2 km west of Alpha
        (-6.97, 112.05),  # ~3.3 km north of Alpha
        (-7.25, 112.1),  # ~5.5 km south of Gamma
        (-7.64, 112.9),  # far away
        (0.0, 0.0),
        (51.5, -0.12),
    ],
)
def test_outside_region(placer: KecamatanPlacer, lat, lon):
    assert placer.place(lat, lon) == Placement(None, False)


@pytest.mark.parametrize(
    "lat,lon,kecamatan",
    [
        (-7.05, 111.995, "Alpha"),  # ~0.55 km west of Alpha
        (-6.995, 112.15, "Beta"),  # ~0.55 km north of Beta
        (-7.205, 112.1, "Gamma"),  # ~0.55 km south of Gamma
        (-6.996, 112.204, "Beta"),  # diagonal off Beta's corner, ~0.6 km
    ],
)
def test_near_outside_counts_inside(placer: KecamatanPlacer, lat, lon, kecamatan):
    p = placer.place(lat, lon)
    assert p == Placement(kecamatan, True, approximate=True)
    assert 0 < placer.distance_km(lat, lon) < 1.0


def test_tolerance_edge(placer: KecamatanPlacer):
    just_in = 0.95 / KM_PER_DEG_LON
    just_out = 1.05 / KM_PER_DEG_LON
    assert placer.place(-7.05, 112.0 - just_in).inside_region is True
    assert placer.place(-7.05, 112.0 - just_out).inside_region is False
    assert placer.distance_km(-7.05, 112.0 - just_in) == pytest.approx(0.95, rel=0.01)


def test_tolerance_is_configurable(tmp_path: Path):
    strict = KecamatanPlacer.from_geojson(TEST_GEOJSON, "kecamatan", tolerance_km=0)
    assert strict.place(-7.05, 111.995) == Placement(None, False)
    wide = KecamatanPlacer.from_geojson(TEST_GEOJSON, "kecamatan", tolerance_km=3)
    assert wide.place(-7.05, 111.98) == Placement("Alpha", True, approximate=True)
    with pytest.raises(ValueError):
        KecamatanPlacer.from_geojson(TEST_GEOJSON, "kecamatan", tolerance_km=-1)


def test_gap_between_polygons_goes_to_nearest():
    # Two squares 0.01 degree (~1.1 km) apart: a pin in the gap goes to the nearer one.
    west = box(112.0, -7.1, 112.1, -7.0)
    east = box(112.11, -7.1, 112.2, -7.0)
    placer = KecamatanPlacer([("West", west), ("East", east)])
    assert placer.place(-7.05, 112.102) == Placement("West", True, approximate=True)
    assert placer.place(-7.05, 112.108) == Placement("East", True, approximate=True)


def test_multipolygon_and_hole():
    outer = Polygon(
        [(112.0, -7.2), (112.2, -7.2), (112.2, -7.0), (112.0, -7.0)],
        holes=[[(112.05, -7.15), (112.15, -7.15), (112.15, -7.05), (112.05, -7.05)]],
    )
    island = box(112.5, -7.2, 112.6, -7.1)
    inner = box(112.05, -7.15, 112.15, -7.05)
    placer = KecamatanPlacer([("Ring", MultiPolygon([outer, island])), ("Core", inner)])
    assert placer.place(-7.01, 112.01).kecamatan == "Ring"
    assert placer.place(-7.15, 112.55).kecamatan == "Ring"  # the island
    assert placer.place(-7.1, 112.1).kecamatan == "Core"  # in the hole
    assert placer.place(-7.15, 112.35).inside_region is False  # between ring and island


def test_features_with_same_name_are_merged(tmp_path: Path):
    gj = json.loads(TEST_GEOJSON.read_text())
    gj["features"][1]["properties"]["kecamatan"] = "Alpha"  # Beta's square now belongs to Alpha
    path = tmp_path / "merged.geojson"
    path.write_text(json.dumps(gj))
    placer = KecamatanPlacer.from_geojson(path, "kecamatan")
    assert placer.kecamatan_names == ["Alpha", "Gamma"]
    assert placer.place(-7.05, 112.15).kecamatan == "Alpha"


def test_invalid_polygon_is_repaired(tmp_path: Path):
    bowtie = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kecamatan": "Bowtie"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[112.0, -7.0], [112.1, -7.1], [112.1, -7.0], [112.0, -7.1], [112.0, -7.0]]],
                },
            }
        ],
    }
    path = tmp_path / "bowtie.geojson"
    path.write_text(json.dumps(bowtie))
    placer = KecamatanPlacer.from_geojson(path, "kecamatan", tolerance_km=0)
    assert placer.place(-7.05, 112.01).kecamatan == "Bowtie"
    assert placer.place(-7.05, 112.09).kecamatan == "Bowtie"
    assert placer.place(-7.01, 112.05).kecamatan is None  # the pinched part is outside


def test_unknown_name_with_configured_list():
    with pytest.raises(BoundaryFileError, match="'Gamma' is not a configured kecamatan"):
        KecamatanPlacer.from_geojson(TEST_GEOJSON, "kecamatan", kecamatan=["Alpha", "Beta"])


def test_other_name_property(tmp_path: Path):
    gj = json.loads(TEST_GEOJSON.read_text())
    for f in gj["features"]:
        f["properties"] = {"NAME_3": f["properties"]["kecamatan"]}
    path = tmp_path / "gadm.geojson"
    path.write_text(json.dumps(gj))
    assert KecamatanPlacer.from_geojson(path, "NAME_3").place(-7.05, 112.15).kecamatan == "Beta"
    with pytest.raises(BoundaryFileError, match="missing property 'kecamatan'"):
        KecamatanPlacer.from_geojson(path, "kecamatan")


# ---- without boundaries ------------------------------------------------------------------


def _info(**kw) -> RegionInfo:
    return RegionInfo(code="uji", name="Kabupaten Uji", ticket_prefix="UJI", timezone="Asia/Jakarta", **kw)


def test_no_boundaries_checks_bbox_only():
    placer = KecamatanPlacer.from_region(_info(bbox=(112.0, -7.2, 112.2, -7.0)))
    assert not placer.has_boundaries
    assert placer.place(-7.05, 112.05) == Placement(None, True)
    assert placer.place(-7.2, 112.2) == Placement(None, True)  # edge inclusive
    assert placer.place(-7.05, 111.995) == Placement(None, False)
    assert placer.place(-7.5, 112.9) == Placement(None, False)
    assert placer.distance_km(-7.05, 112.05) is None


def test_nothing_configured_is_unknown():
    placer = KecamatanPlacer.from_region(_info())
    assert placer.place(-7.05, 112.05) == Placement(None, None)
    assert placer.place(51.5, -0.12) == Placement(None, None)


def test_from_region_resolves_relative_to_base_dir():
    info = _info(boundaries="testregion.geojson")
    placer = KecamatanPlacer.from_region(info, DATA)
    assert placer.place(-7.15, 112.1).kecamatan == "Gamma"
    with pytest.raises(BoundaryFileError, match="not found"):
        KecamatanPlacer.from_region(info, DATA / "nowhere")


# ---- invalid coordinates -----------------------------------------------------------------


@pytest.mark.parametrize(
    "lat,lon",
    [
        (91, 112.0),
        (-90.0001, 112.0),
        (-7.0, 180.5),
        (-7.0, -181),
        (math.nan, 112.0),
        (-7.0, math.nan),
        (math.inf, 112.0),
        (-7.0, -math.inf),
        ("abc", 112.0),
        (None, 112.0),
        (True, 112.0),
    ],
)
def test_invalid_coordinates(placer: KecamatanPlacer, lat, lon):
    with pytest.raises(ValueError):
        placer.place(lat, lon)
    with pytest.raises(ValueError):
        KecamatanPlacer.from_region(_info()).place(lat, lon)


def test_extreme_but_valid_coordinates(placer: KecamatanPlacer):
    for lat, lon in [(90, 180), (-90, -180), (0, 0), ("-7.05", "112.05")]:
        placer.place(lat, lon)  # no error
    assert placer.place("-7.05", "112.05").kecamatan == "Alpha"
