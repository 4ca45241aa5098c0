"""Placing a location pin in a kecamatan and telling whether it lies inside the region.

Boundaries come from an optional GeoJSON FeatureCollection (WGS84 lon/lat, one Polygon or
MultiPolygon feature per kecamatan; several features with the same name are merged). Without
boundaries the placer can only check the region's bounding box; without either it answers
"unknown".

GPS pins are imprecise and boundary files are simplified, so a pin that falls outside every
kecamatan but within ``tolerance_km`` (default 1 km) of one is still counted inside the region
and given the nearest kecamatan, with ``Placement.approximate`` set so the bot can ask the
reporter to confirm.

Geometry is held in a local equirectangular projection in kilometres (x = lon * cos(lat0) *
111.32, y = lat * 110.574), which is accurate to well under 1 % across a regency, so distances
and the tolerance are in kilometres rather than in degrees. Containment is unaffected by the
projection (it is a linear scaling).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQUATOR = 111.320
DEFAULT_TOLERANCE_KM = 1.0


class PlacementSettings(Protocol):
    """What placement needs of a region's settings (core.region.RegionInfo has it)."""

    bbox: tuple[float, float, float, float] | None
    boundaries: str | None
    boundary_name_property: str


class BoundaryFileError(ValueError):
    """The boundary GeoJSON is missing, unreadable or not what the placer expects."""


@dataclass(frozen=True)
class Placement:
    """Where a pin lies.

    kecamatan: the configured kecamatan name, or None when unknown (no boundaries, or outside).
    inside_region: True / False, or None when the region has neither boundaries nor a bbox.
    approximate: the pin lay outside every kecamatan polygon and was given the nearest one
        within the tolerance (or lies in a gap between polygons): worth confirming with the reporter.
    """

    kecamatan: str | None
    inside_region: bool | None
    approximate: bool = False
    # With a region pack (core.desa_placement): placed against every desa of the region (so outside
    # is outside them all); the desa/kelurahan and its Kemendagri code; how far outside every
    # polygon a snapped pin lay; for a pin outside, the bundled region it seems to lie in instead.
    by_desa: bool = False
    desa: str | None = None
    desa_code: str | None = None
    snapped_m: float | None = None
    elsewhere: str | None = None


class Placer(Protocol):
    """What the bot and the charts need of a region's placement."""

    @property
    def has_boundaries(self) -> bool: ...

    def place(self, lat: float, lon: float) -> Placement: ...

    def outlines(self) -> list[tuple[list[float], list[float]]]: ...


def _check_coords(lat: float, lon: float) -> tuple[float, float]:
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise TypeError
        flat, flon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ValueError(f"coordinates must be numbers, got lat={lat!r}, lon={lon!r}") from None
    if not (math.isfinite(flat) and math.isfinite(flon)):
        raise ValueError(f"coordinates must be finite, got lat={lat!r}, lon={lon!r}")
    if not -90.0 <= flat <= 90.0:
        raise ValueError(f"latitude {lat!r} outside -90..90")
    if not -180.0 <= flon <= 180.0:
        raise ValueError(f"longitude {lon!r} outside -180..180")
    return flat, flon


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


class KecamatanPlacer:
    """Answers `place(lat, lon)`; build it with `from_geojson`, `from_region` or `bbox_only`."""

    def __init__(
        self,
        polygons: list[tuple[str, Any]] | None = None,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        tolerance_km: float = DEFAULT_TOLERANCE_KM,
    ) -> None:
        """polygons: (kecamatan name, shapely Polygon/MultiPolygon in lon/lat degrees), in priority
        order: a pin on a shared border goes to the first of them. Names must be unique."""
        if tolerance_km < 0 or not math.isfinite(tolerance_km):
            raise ValueError("tolerance_km must be a finite number >= 0")
        self.bbox = tuple(float(v) for v in bbox) if bbox is not None else None
        self.tolerance_km = float(tolerance_km)
        polygons = list(polygons or [])
        self._names: list[str] = [n for n, _ in polygons]
        self._lonlat = [g for _, g in polygons]  # as given, for drawing outlines
        if len(set(self._names)) != len(self._names):
            raise ValueError("kecamatan names in a placer must be unique")
        self._tree: STRtree | None = None
        self._geoms = None
        self._kx = self._ky = 0.0
        if polygons:
            geoms = np.array([g for _, g in polygons], dtype=object)
            minx, miny, maxx, maxy = shapely.total_bounds(geoms)
            lat0 = (miny + maxy) / 2.0
            self._kx = KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
            self._ky = KM_PER_DEG_LAT
            scale = np.array([self._kx, self._ky])
            self._geoms = shapely.transform(geoms, lambda c: c * scale)
            shapely.prepare(self._geoms)
            self._tree = STRtree(self._geoms)

    def outlines(self) -> list[tuple[list[float], list[float]]]:
        """Exterior rings of every kecamatan, as (longitudes, latitudes): for maps."""
        rings = []
        for geom in self._lonlat:
            for polygon in getattr(geom, "geoms", [geom]):
                xs, ys = polygon.exterior.xy
                rings.append((list(xs), list(ys)))
        return rings

    # ---- constructors -------------------------------------------------------------------

    @classmethod
    def bbox_only(cls, bbox: tuple[float, float, float, float] | None) -> KecamatanPlacer:
        return cls(None, bbox=bbox)

    @classmethod
    def from_geojson(
        cls,
        path: str | Path,
        name_property: str = "kecamatan",
        *,
        kecamatan: Iterable[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        tolerance_km: float = DEFAULT_TOLERANCE_KM,
    ) -> KecamatanPlacer:
        """Read a FeatureCollection of Polygon/MultiPolygon features named by `name_property`.

        kecamatan: the configured names; when given, feature names are matched to them
        (ignoring case and repeated spaces) and reported under the configured spelling, and a
        feature naming an unknown kecamatan raises BoundaryFileError.
        """
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BoundaryFileError(f"boundary file not found: {path}") from None
        except OSError as e:
            raise BoundaryFileError(f"cannot read boundary file {path}: {e.strerror or e}") from None
        except UnicodeDecodeError:
            raise BoundaryFileError(f"{path.name}: not UTF-8 text") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise BoundaryFileError(f"{path.name}: invalid JSON at line {e.lineno}: {e.msg}") from None
        polygons = parse_feature_collection(
            data, name_property, kecamatan=kecamatan, source=path.name
        )
        return cls(polygons, bbox=bbox, tolerance_km=tolerance_km)

    @classmethod
    def from_region(
        cls,
        info: PlacementSettings,
        base_dir: str | Path | None = None,
        *,
        kecamatan: Iterable[str] | None = None,
        tolerance_km: float = DEFAULT_TOLERANCE_KM,
    ) -> KecamatanPlacer:
        """Placer for a region: boundaries (relative to base_dir) if configured, else bbox only."""
        if not info.boundaries:
            return cls(None, bbox=info.bbox, tolerance_km=tolerance_km)
        path = Path(info.boundaries)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        return cls.from_geojson(
            path,
            info.boundary_name_property,
            kecamatan=kecamatan,
            bbox=info.bbox,
            tolerance_km=tolerance_km,
        )

    # ---- queries ------------------------------------------------------------------------

    @property
    def has_boundaries(self) -> bool:
        return self._tree is not None

    @property
    def kecamatan_names(self) -> list[str]:
        """Kecamatan that have a polygon, in priority order."""
        return list(self._names)

    def place(self, lat: float, lon: float) -> Placement:
        lat, lon = _check_coords(lat, lon)
        if self._tree is not None:
            return self._place_in_boundaries(lat, lon)
        if self.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            inside = min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
            return Placement(None, inside)
        return Placement(None, None)

    def distance_km(self, lat: float, lon: float) -> float | None:
        """Distance from the pin to the nearest kecamatan polygon (0 inside), None without boundaries."""
        lat, lon = _check_coords(lat, lon)
        if self._tree is None or self._geoms is None:
            return None
        pt = Point(lon * self._kx, lat * self._ky)
        idx = self._tree.nearest(pt)
        return float(shapely.distance(self._geoms[idx], pt))

    def _place_in_boundaries(self, lat: float, lon: float) -> Placement:
        assert self._tree is not None and self._geoms is not None
        pt = Point(lon * self._kx, lat * self._ky)
        candidates = self._tree.query(pt)  # bounding-box hits
        if len(candidates):
            # Prepared polygons; `intersects` includes the boundary, so a pin exactly on a shared
            # border matches both neighbours and the first in priority order wins.
            hits = candidates[shapely.intersects(self._geoms[candidates], pt)]
            if len(hits):
                return Placement(self._names[int(hits.min())], True)
        if self.tolerance_km <= 0:
            return Placement(None, False)
        near, dists = self._tree.query_nearest(
            pt, max_distance=self.tolerance_km, return_distance=True, all_matches=True
        )
        if len(dists) == 0:
            return Placement(None, False)
        order = sorted(zip(dists.tolist(), near.tolist(), strict=True))
        best = order[0][1]
        return Placement(self._names[int(best)], True, approximate=True)

    def __repr__(self) -> str:
        kind = f"{len(self._names)} kecamatan" if self._tree is not None else f"bbox={self.bbox}"
        return f"<KecamatanPlacer {kind}, tolerance {self.tolerance_km} km>"


def parse_feature_collection(
    data: Any,
    name_property: str,
    *,
    kecamatan: Iterable[str] | None = None,
    source: str = "GeoJSON",
) -> list[tuple[str, Any]]:
    """Validate a parsed GeoJSON FeatureCollection; return (name, geometry) in file order,
    features of the same kecamatan merged. Raises BoundaryFileError with the feature index."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise BoundaryFileError(f"{source}: expected a GeoJSON FeatureCollection, got {got!r}")
    features = data.get("features")
    if not isinstance(features, list):
        raise BoundaryFileError(f"{source}: 'features' must be a list")
    if not features:
        raise BoundaryFileError(f"{source}: the FeatureCollection has no features")
    canonical: dict[str, str] | None = None
    if kecamatan is not None:
        canonical = {_norm(k): k for k in kecamatan}

    merged: dict[str, list[Any]] = {}
    for i, feat in enumerate(features):
        where = f"{source}: features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise BoundaryFileError(f"{where}: not a GeoJSON Feature")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise BoundaryFileError(f"{where}: 'properties' must be an object")
        name = props.get(name_property)
        if not isinstance(name, str) or not name.strip():
            raise BoundaryFileError(
                f"{where}: missing property {name_property!r} (the kecamatan name)"
            )
        name = " ".join(name.split())
        if canonical is not None:
            if _norm(name) not in canonical:
                known = ", ".join(canonical.values())
                raise BoundaryFileError(
                    f"{where}: {name_property} {name!r} is not a configured kecamatan (known: {known})"
                )
            name = canonical[_norm(name)]
        geom_data = feat.get("geometry")
        if not isinstance(geom_data, dict):
            raise BoundaryFileError(f"{where} ({name}): missing geometry")
        gtype = geom_data.get("type")
        if gtype not in ("Polygon", "MultiPolygon"):
            raise BoundaryFileError(
                f"{where} ({name}): geometry type {gtype!r} not supported (Polygon or MultiPolygon)"
            )
        try:
            geom = shape(geom_data)
        except Exception as e:  # shapely raises several types for malformed coordinates
            raise BoundaryFileError(f"{where} ({name}): malformed {gtype} coordinates ({e})") from None
        if geom.is_empty:
            raise BoundaryFileError(f"{where} ({name}): empty geometry")
        minx, miny, maxx, maxy = geom.bounds
        if not all(math.isfinite(v) for v in geom.bounds) or not (
            -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
        ):
            raise BoundaryFileError(
                f"{where} ({name}): coordinates are not WGS84 longitude/latitude "
                f"(bounds {minx:g}, {miny:g}, {maxx:g}, {maxy:g}); reproject to EPSG:4326"
            )
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
            geom = shapely.union_all(
                [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
            )
            if geom.is_empty:
                raise BoundaryFileError(f"{where} ({name}): invalid polygon with no area")
        merged.setdefault(name, []).append(geom)

    out: list[tuple[str, Any]] = []
    for name, geoms in merged.items():
        out.append((name, geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)))
    return out
