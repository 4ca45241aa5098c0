"""Pins placed in their desa/kelurahan with the bundled region packs (core/regions/packs)."""
from __future__ import annotations

import math
from functools import cache

import pytest
import shapely
from shapely.geometry import Point

from core.bundled_regions import bundled_region, bundled_region_at, bundled_regions
from core.desa_placement import DesaPlacer
from core.placement import BoundaryFileError
from core.wilayah import WilayahError, read_wilayah

# The four regions of the seeds, with the counts the pack README gives.
EXPECTED = {"35.14": ("Kabupaten Pasuruan", 24, 365), "35.28": ("Kabupaten Pamekasan", 13, 189),
            "12.09": ("Kabupaten Asahan", 25, 204), "32.75": ("Kota Bekasi", 12, 56)}


@cache
def placer(code: str) -> DesaPlacer:
    region = bundled_region(code)
    return DesaPlacer.from_files(region.wilayah_csv, region.desa_geojson)


def test_the_four_regions_are_bundled_whole():
    assert {r.code: r.name for r in bundled_regions()} == {c: v[0] for c, v in EXPECTED.items()}
    for code, (_, kecamatan, areas) in EXPECTED.items():
        wilayah = placer(code).wilayah
        assert (len(wilayah.kecamatan), len(wilayah.areas)) == (kecamatan, areas)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_desa_s_own_point_is_placed_in_that_desa(code):
    p = placer(code)
    wrong = []
    for area, geom in zip(p.areas, p._lonlat, strict=True):
        point = geom.representative_point()
        placed = p.place(point.y, point.x)
        if placed.area != area or placed.snapped_m is not None:
            wrong.append((area.code, area.name, placed))
    assert not wrong, wrong[:5]


def test_a_pin_in_bangil_names_bangil_and_its_desa():
    placed = placer("35.14").place(-7.5995, 112.7790)  # by the alun-alun of Bangil
    assert placed.area is not None and placed.snapped_m is None
    assert (placed.area.kecamatan, placed.area.name, placed.area.code) == ("Bangil", "Pogar", "35.14.14.1003")


def test_kota_pasuruan_is_not_kabupaten_pasuruan():
    # Kota Pasuruan (35.75) lies inside the regency's outline and is a region of its own.
    placed = placer("35.14").place(-7.6453, 112.9075)
    assert placed.area is None and placer("35.14").distance_m(-7.6453, 112.9075) > 300
    assert bundled_region_at(-7.6453, 112.9075, besides="35.14") is None  # not bundled: nobody to name


def test_a_pin_in_another_bundled_region_is_outside_and_named():
    placed = placer("35.14").place(-7.16, 113.48)  # Pamekasan, on Madura
    assert placed.area is None
    assert bundled_region_at(-7.16, 113.48, besides="35.14").name == "Kabupaten Pamekasan"


def _just_outside(p: DesaPlacer, metres: float) -> tuple[float, float, str]:
    """A point `metres` outside the region's outline, straight out from a point on its border,
    and the code of the desa that border point belongs to."""
    outline = shapely.union_all(p._geoms)
    border = max(getattr(outline, "geoms", [outline]), key=lambda g: g.area).exterior
    centre = outline.centroid
    for fraction in [i / 50 for i in range(50)]:
        edge = border.interpolate(fraction, normalized=True)
        dx, dy = edge.x - centre.x, edge.y - centre.y
        norm = math.hypot(dx, dy)
        out = Point(edge.x + dx / norm * metres, edge.y + dy / norm * metres)
        if not outline.intersects(out) and abs(outline.distance(out) - metres) < 5:
            nearest = p.areas[int(p._tree.nearest(out))].code
            return out.y / p._ky, out.x / p._kx, nearest
    raise AssertionError("no border point found")


def test_a_pin_just_past_the_border_snaps_to_the_nearest_desa():
    p = placer("35.14")
    lat, lon, nearest = _just_outside(p, 100)
    placed = p.place(lat, lon)
    assert placed.area is not None and placed.area.code == nearest
    assert 90 < placed.snapped_m < 110
    lat, lon, _ = _just_outside(p, 600)  # farther than the 300 m a GPS fix or a road explains
    assert p.place(lat, lon).area is None


def test_a_code_list_with_a_problem_names_the_file_the_row_and_the_fix(tmp_path):
    path = tmp_path / "wilayah.csv"
    path.write_text("code,name,level,parent_code\n35.14,Kabupaten Pasuruan,kabupaten,35\n"
                    "35.14.01.2001,Gerbo,desa,35.14.01\n", encoding="utf-8")
    with pytest.raises(WilayahError) as error:
        read_wilayah(path)
    assert str(error.value) == ("wilayah.csv: row 3 (35.14.01.2001): its kecamatan 35.14.01 has no row above it; "
                                "list each kecamatan before its desa (sort the file by code)")
    path.write_text("kode,nama\n", encoding="utf-8")
    with pytest.raises(WilayahError, match="row 1: the header must be code,name,level,parent_code"):
        read_wilayah(path)


def test_boundaries_must_cover_the_code_list(tmp_path):
    region = bundled_region("32.75")
    lines = region.desa_geojson.read_text(encoding="utf-8").splitlines()
    features = [line for line in lines if line.startswith('{"type":"Feature"')]
    short = tmp_path / "desa.geojson"
    short.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(
        f.rstrip(",") for f in features[1:]) + "\n]}\n", encoding="utf-8")
    with pytest.raises(BoundaryFileError, match=r"desa.geojson: no polygon for 1 desa/kelurahan of the code list"):
        DesaPlacer.from_files(region.wilayah_csv, short)
