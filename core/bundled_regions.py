"""The region packs that ship with Lapor PMKS (core/regions/packs/): their codes, names, files, and
which of them a pin lies in, so a resident whose pin is outside the configured region can be told
where it seems to be, when the product knows.

Data: Kemendagri codes and names (Kepmendagri 300.2.2-2138/2025) and desa boundaries, MIT,
Copyright (c) 2017-2025 Cahya DSN (cahyadsn/wilayah) and Copyright (c) 2024 Cahya DSN
(cahyadsn/wilayah_boundaries); the licence text travels with the data in packs/SOURCES.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

PACKS_DIR = Path(__file__).resolve().parent / "regions" / "packs"


@dataclass(frozen=True)
class BundledRegion:
    code: str  # Kemendagri code, e.g. 35.14
    name: str  # Kabupaten Pasuruan
    folder: Path  # holds wilayah.csv, desa.geojson, kecamatan.geojson

    @property
    def wilayah_csv(self) -> Path:
        return self.folder / "wilayah.csv"

    @property
    def desa_geojson(self) -> Path:
        return self.folder / "desa.geojson"

    @property
    def kecamatan_geojson(self) -> Path:
        return self.folder / "kecamatan.geojson"


@lru_cache(maxsize=1)
def bundled_regions() -> tuple[BundledRegion, ...]:
    regions = []
    for folder in sorted(p for p in PACKS_DIR.iterdir() if (p / "wilayah.csv").is_file()):
        with (folder / "wilayah.csv").open(encoding="utf-8") as fh:
            fh.readline()  # header
            code, name, *_ = fh.readline().split(",")
        regions.append(BundledRegion(code, name, folder))
    return tuple(regions)


def bundled_region(code: str) -> BundledRegion:
    for region in bundled_regions():
        if region.code == code:
            return region
    raise KeyError(f"no bundled region {code!r} (bundled: {', '.join(r.code for r in bundled_regions())})")


@lru_cache(maxsize=1)
def _outlines() -> tuple[STRtree, tuple[BundledRegion, ...]]:
    regions = bundled_regions()
    outlines = []
    for region in regions:
        features = json.loads(region.kecamatan_geojson.read_text(encoding="utf-8"))["features"]
        outlines.append(shapely.union_all([shape(f["geometry"]) for f in features]))
    shapely.prepare(outlines)
    return STRtree(outlines), regions


def bundled_region_at(lat: float, lon: float, *, besides: str | None = None) -> BundledRegion | None:
    """The bundled region whose outline holds the pin (other than `besides`), or None."""
    tree, regions = _outlines()
    for index in tree.query(Point(lon, lat), predicate="intersects"):
        region = regions[int(index)]
        if region.code != besides:
            return region
    return None
