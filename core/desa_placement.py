"""Placing a pin in its desa/kelurahan, from the desa boundaries of a region pack.

A pin inside a desa polygon is placed there. Boundaries are simplified and neighbouring polygons do
not share exact edges (core/regions/packs/README.md): where a pin falls in two, the desa it lies
deeper inside wins; where it falls in none but lies within `snap_metres` of one (GPS error, a road
on the border, a gap between polygons), it is placed in the nearest and marked as snapped. Farther
out it is outside the region, with its distance, so the bot can say so and still let the resident
choose a kecamatan by hand.

Geometry is held in a local equirectangular projection in metres (core.placement's, which is
accurate to well under 1 % across a regency), queried through an STRtree of prepared polygons.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from core.placement import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQUATOR, BoundaryFileError, Placement, _check_coords
from core.wilayah import Area, Wilayah, read_wilayah

DEFAULT_SNAP_METRES = 300.0


@dataclass(frozen=True)
class DesaPlacement:
    area: Area | None  # the desa/kelurahan; None: outside the region (DesaPlacer.distance_m says how far)
    snapped_m: float | None = None  # it lay outside every polygon, this far from the one it was given

    @property
    def inside(self) -> bool:
        return self.area is not None


class DesaPlacer:
    def __init__(self, wilayah: Wilayah, polygons: dict[str, Any], *, snap_metres: float = DEFAULT_SNAP_METRES,
                 source: str = "desa boundaries") -> None:
        """polygons: desa code -> shapely Polygon/MultiPolygon in lon/lat degrees. Every area of
        `wilayah` needs one, and every polygon an area."""
        if not math.isfinite(snap_metres) or snap_metres < 0:
            raise ValueError("snap_metres must be a finite number >= 0")
        areas = wilayah.areas
        missing = [a.code for a in areas if a.code not in polygons]
        unknown = sorted(set(polygons) - {a.code for a in areas})
        if missing:
            raise BoundaryFileError(f"{source}: no polygon for {len(missing)} desa/kelurahan of the code list "
                                    f"(first: {missing[0]})")
        if unknown:
            raise BoundaryFileError(f"{source}: polygon for {unknown[0]}, which the code list does not have")
        self.wilayah = wilayah
        self.snap_metres = float(snap_metres)
        self.areas = areas
        self._lonlat = [polygons[a.code] for a in areas]
        geoms = np.array(self._lonlat, dtype=object)
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        lat0 = (miny + maxy) / 2.0
        self._kx = KM_PER_DEG_LON_EQUATOR * 1000 * math.cos(math.radians(lat0))
        self._ky = KM_PER_DEG_LAT * 1000
        scale = np.array([self._kx, self._ky])
        self._geoms = shapely.transform(geoms, lambda c: c * scale)
        shapely.prepare(self._geoms)
        self._tree = STRtree(self._geoms)
        self.bounds = (float(minx), float(miny), float(maxx), float(maxy))

    @classmethod
    def from_files(cls, wilayah_csv: str | Path, desa_geojson: str | Path, *,
                   snap_metres: float = DEFAULT_SNAP_METRES) -> DesaPlacer:
        wilayah = read_wilayah(wilayah_csv)
        return cls(wilayah, read_desa_polygons(desa_geojson), snap_metres=snap_metres,
                   source=Path(desa_geojson).name)

    def _point(self, lat: float, lon: float) -> Point:
        return Point(lon * self._kx, lat * self._ky)

    def place(self, lat: float, lon: float) -> DesaPlacement:
        lat, lon = _check_coords(lat, lon)
        point = self._point(lat, lon)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits) == 1:
            return DesaPlacement(self.areas[int(hits[0])])
        if len(hits) > 1:
            # An overlap of two simplified polygons: the one the pin lies deeper inside.
            depth = shapely.distance(shapely.boundary(self._geoms[hits]), point)
            return DesaPlacement(self.areas[int(hits[int(np.argmax(depth))])])
        # Only desa within the snapping distance are searched: a pin far outside costs a bounded
        # query, not a search of the whole region for its nearest desa.
        near = self._tree.query(point, predicate="dwithin", distance=self.snap_metres)
        if len(near):
            distances = shapely.distance(self._geoms[near], point)
            best = int(np.argmin(distances))
            return DesaPlacement(self.areas[int(near[best])], snapped_m=float(distances[best]))
        return DesaPlacement(None)

    def distance_m(self, lat: float, lon: float) -> float:
        """How far the pin lies from the nearest desa of the region (0 inside one)."""
        lat, lon = _check_coords(lat, lon)
        point = self._point(lat, lon)
        return float(shapely.distance(self._geoms[int(self._tree.nearest(point))], point))

    def outlines(self) -> list[tuple[str, list[tuple[list[float], list[float]]]]]:
        """Each desa's exterior rings as (longitudes, latitudes), by code: for maps."""
        out = []
        for area, geom in zip(self.areas, self._lonlat, strict=True):
            rings = [(list(p.exterior.xy[0]), list(p.exterior.xy[1])) for p in getattr(geom, "geoms", [geom])]
            out.append((area.code, rings))
        return out


def read_desa_polygons(path: str | Path) -> dict[str, Any]:
    """desa code -> shapely geometry, from a FeatureCollection whose features carry a `code`
    property (core/regions/packs/*/desa.geojson)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BoundaryFileError(f"{path}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BoundaryFileError(f"{path.name}: not a GeoJSON file ({e})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundaryFileError(f"{path.name}: expected a GeoJSON FeatureCollection")
    polygons: dict[str, Any] = {}
    for index, feature in enumerate(data.get("features") or []):
        where = f"{path.name}: feature {index + 1}"
        code = ((feature or {}).get("properties") or {}).get("code")
        if not isinstance(code, str) or not code:
            raise BoundaryFileError(f"{where}: no 'code' property (the desa's Kemendagri code, e.g. 35.14.01.2001)")
        if code in polygons:
            raise BoundaryFileError(f"{where}: a second polygon for {code}; merge them into one MultiPolygon")
        try:
            geom = shape(feature.get("geometry"))
        except Exception as e:  # noqa: BLE001 - shapely raises several kinds for a bad geometry
            raise BoundaryFileError(f"{where} ({code}): unreadable geometry ({e})") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise BoundaryFileError(f"{where} ({code}): expected a Polygon or MultiPolygon, got {geom.geom_type}")
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        polygons[code] = geom
    return polygons


class PackPlacer:
    """A region pack's placement (core.placement.Placer): the pin's desa and kecamatan, snapped
    within `snap_metres`, or outside with the bundled region it seems to lie in."""

    def __init__(self, desa: DesaPlacer, kecamatan_shapes: list[tuple[str, str, Any]] | None = None) -> None:
        self.desa = desa
        self.wilayah = desa.wilayah
        # (code, name, lon/lat geometry) per kecamatan: the map's outlines and choropleth.
        self.kecamatan_shapes = kecamatan_shapes or []

    @classmethod
    def from_folder(cls, folder: str | Path, *, snap_metres: float = DEFAULT_SNAP_METRES) -> PackPlacer:
        """A pack folder: wilayah.csv and desa.geojson, and kecamatan.geojson if it has one."""
        folder = Path(folder)
        placer = DesaPlacer.from_files(folder / "wilayah.csv", folder / "desa.geojson", snap_metres=snap_metres)
        kecamatan = folder / "kecamatan.geojson"
        return cls(placer, read_kecamatan_shapes(kecamatan, placer.wilayah) if kecamatan.is_file() else None)

    @property
    def has_boundaries(self) -> bool:
        return True

    def place(self, lat: float, lon: float) -> Placement:
        found = self.desa.place(lat, lon)
        if found.area is not None:
            area = found.area
            return Placement(area.kecamatan, True, approximate=found.snapped_m is not None, desa=area.name,
                             desa_code=area.code, snapped_m=found.snapped_m, by_desa=True)
        from core.bundled_regions import bundled_region_at  # the other packs load only when needed

        other = bundled_region_at(lat, lon, besides=self.wilayah.code)
        return Placement(None, False, by_desa=True, elsewhere=other.name if other else None)

    def desa_shapes(self) -> list[tuple[str, str, Any]]:
        """(code, name, lon/lat geometry) of every desa/kelurahan."""
        return [(a.code, a.name, g) for a, g in zip(self.desa.areas, self.desa._lonlat, strict=True)]

    def point_in(self, kecamatan_code: str) -> tuple[float, float]:
        """(lat, lon) of a point inside the kecamatan (its first desa's representative point)."""
        index = next((i for i, a in enumerate(self.desa.areas) if a.kecamatan_code == kecamatan_code), 0)
        point = self.desa._lonlat[index].representative_point()
        return point.y, point.x

    def outlines(self) -> list[tuple[list[float], list[float]]]:
        if self.kecamatan_shapes:
            return [(list(p.exterior.xy[0]), list(p.exterior.xy[1]))
                    for _, _, geom in self.kecamatan_shapes for p in getattr(geom, "geoms", [geom])]
        return [ring for _, rings in self.desa.outlines() for ring in rings]


def read_kecamatan_shapes(path: str | Path, wilayah: Wilayah) -> list[tuple[str, str, Any]]:
    """(code, name, geometry) of each kecamatan of `wilayah`, from a FeatureCollection whose
    features carry its `code` (core/regions/packs/*/kecamatan.geojson)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BoundaryFileError(f"{path.name}: not a GeoJSON file ({e})") from None
    names = {k.code: k.name for k in wilayah.kecamatan}
    shapes = []
    for index, feature in enumerate(data.get("features") or []):
        code = ((feature or {}).get("properties") or {}).get("code")
        if code not in names:
            raise BoundaryFileError(f"{path.name}: feature {index + 1}: code {code!r} is not a kecamatan of "
                                    f"{wilayah.name} in wilayah.csv")
        shapes.append((code, names[code], shape(feature["geometry"])))
    return shapes
