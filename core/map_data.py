"""What the dashboard's map shows: the region's boundaries, the number of reports in each kecamatan
and desa, and pins of single reports, for one actor and one filter.

The reports are the list's (core.report_list.scoped_clauses: the policy's scope and the filter as
one WHERE), counted per area in SQL (GROUP BY, never row by row). The pins are read from the same
WHERE, so every pin is a report its reader may open: an officer's or a supervisor's scope holds only
reports they may read, and the region-wide auditor reads (and gets pins of) every report. Nothing of
a report beyond its ticket, place, category, state and lateness is read here: no description, no
reporter.

Boundaries never change while the app runs: each region's are read from its pack (kecamatan and
desa polygons), or from the config's kecamatan boundaries without a pack, simplified for a web map
and kept (`region_boundaries`).
"""
from __future__ import annotations

import threading
import weakref
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.desa_placement import PackPlacer
from core.officers import OfficerInfo
from core.placement import KecamatanPlacer
from core.region import RegionConfig
from core.report_list import (
    ReportFilter,
    history_walk,
    open_only,
    period_walk,
    reports_from,
    scoped_clauses,
    words_reading,
)
from core.targets import is_overdue
from db.dialect import dialect_name
from db.models import Report

MAX_PINS = 2_000
# Degrees (about 55 m at the equator): invisible at the zoom a kecamatan is read at, and a
# region's desa layer stays a few hundred kilobytes.
SIMPLIFY_DEGREES = 0.0005
DECIMALS = 5  # about a metre


# ---- counts and pins --------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaCounts:
    """Reports per area. kecamatan: by the kecamatan's code (a pack), else by its configured name
    (the key the Reports list's filter takes); desa: by the desa's code (a pack only)."""

    kecamatan: dict[str, int]
    desa: dict[str, int]
    total: int
    # Reports without a kecamatan (outside the region, or none given) or with a name the config no
    # longer has: in the total, on no area of the map.
    elsewhere: int


@dataclass(frozen=True)
class Pin:
    id: int
    ticket: str
    lat: float
    lon: float
    category: str
    state: str
    overdue: bool


@dataclass(frozen=True)
class Pins:
    pins: list[Pin]  # newest first
    capped: bool  # there were more than were given


def kecamatan_key(region: RegionConfig, code: str | None, name: str | None) -> str | None:
    """The key of a report's kecamatan in AreaCounts (its code with a pack, else its name as the
    config spells it), or None when the region has no such kecamatan."""
    if code:
        found = region.kecamatan_by_code(code)
        if found is not None:
            return found.code or found.name
    if name:
        found = region.kecamatan_by_name(name)
        if found is not None:
            return found.code or found.name
    return None


async def area_counts(session: AsyncSession, region: RegionConfig, *, actor: OfficerInfo, f: ReportFilter,
                      now: datetime) -> AreaCounts:
    """The number of reports the actor may read under the filter, per kecamatan and per desa."""
    where = [*await scoped_clauses(session, region, actor, f, now, text=False), *period_walk(f)]
    source, matching = reports_from(f, await words_reading(session, f), dialect_name(session), whole=True)
    kecamatan: Counter[str] = Counter()
    desa: Counter[str] = Counter()
    total = elsewhere = 0
    # One row per desa (kecamatan code and name as stored; reports made before a pack have no
    # codes), counted in one pass: with no filter, over ix_reports_area or ix_reports_agency_area
    # alone, in their order, without reading the table. Open reports only are grouped by their
    # state first, which (agency, state) gives: a planner without statistics (SQLite) would
    # otherwise walk a whole agency in the areas' order rather than find its few open reports.
    area = (Report.kecamatan_code, Report.kecamatan, Report.desa_code)
    group = (Report.state, *area) if open_only(f) else area
    for *_, code, name, desa_code, n in (await session.execute(
            select(*group, func.count()).select_from(source).where(*where, *matching).group_by(*group))).all():
        total += n
        key = kecamatan_key(region, code, name)
        if key is None:
            elsewhere += n
        else:
            kecamatan[key] += n
        if desa_code and region.kemendagri_code is not None:
            desa[desa_code] += n
    return AreaCounts(dict(kecamatan), dict(desa), total, elsewhere)


async def report_pins(session: AsyncSession, region: RegionConfig, *, actor: OfficerInfo, f: ReportFilter,
                      now: datetime, limit: int = MAX_PINS) -> Pins:
    """The newest `limit` pinned reports under the filter, each one the actor may read: the WHERE
    is the policy's scope (core.access.list_scope: an officer's agency and areas, a supervisor's
    agency, every report for the region-wide auditor), the same that decides who reads a report."""
    words = await words_reading(session, f)
    source, matching = reports_from(f, words, dialect_name(session), whole=False)
    where = [*await scoped_clauses(session, region, actor, f, now, text=False), *matching, *history_walk(f, words)]
    rows = (await session.execute(
        select(Report.id, Report.ticket, Report.latitude, Report.longitude, Report.category, Report.state,
               Report.response_due_at, Report.close_due_at).select_from(source)
        .where(*where, Report.latitude.is_not(None), Report.longitude.is_not(None))
        .order_by(Report.created_at.desc(), Report.id.desc()).limit(limit + 1))).all()
    pins = [Pin(i, ticket, lat, lon, category, state, is_overdue(state, due, close_due, now))
            for i, ticket, lat, lon, category, state, due, close_due in rows[:limit]
            if lat is not None and lon is not None]
    return Pins(pins, len(rows) > limit)


# ---- boundaries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionBoundaries:
    """GeoJSON FeatureCollections (as dicts) of the region's areas, for a web map.

    kecamatan features: properties code (the AreaCounts key: the code with a pack, else the name)
    and name; desa features (a pack only): code, name, kecamatan (its name) and kecamatan_code.
    bounds: (west, south, east, north) in degrees."""

    kecamatan: dict[str, Any]
    desa: dict[str, Any] | None
    bounds: tuple[float, float, float, float]

    def geojson(self) -> dict[str, Any]:
        return {"kecamatan": self.kecamatan, "desa": self.desa, "bounds": list(self.bounds)}


def _rounded(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], float | int):
            return [round(float(v), DECIMALS) for v in value]
        return [_rounded(v) for v in value]
    return value


def _feature(geom: Any, properties: dict[str, str]) -> dict[str, Any]:
    simple = shapely.simplify(geom, SIMPLIFY_DEGREES, preserve_topology=True)
    geometry = mapping(simple if not simple.is_empty else geom)
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])}}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _build(region: RegionConfig) -> RegionBoundaries | None:
    placer = region.placer
    if isinstance(placer, PackPlacer):
        desa_shapes = placer.desa_shapes()
        kecamatan_of = {a.code: a for a in placer.desa.areas}
        kecamatan_shapes = placer.kecamatan_shapes
        if not kecamatan_shapes:  # a pack without kecamatan.geojson: each kecamatan is its desa together
            names = {k.code: k.name for k in placer.wilayah.kecamatan}
            parts: dict[str, list[Any]] = {}
            for code, _, geom in desa_shapes:
                parts.setdefault(kecamatan_of[code].kecamatan_code, []).append(geom)
            kecamatan_shapes = [(code, names.get(code, code), shapely.union_all(geoms))
                                for code, geoms in parts.items()]
        kecamatan = [_feature(geom, {"code": code, "name": name}) for code, name, geom in kecamatan_shapes]
        desa = [_feature(geom, {"code": code, "name": name, "kecamatan": kecamatan_of[code].kecamatan,
                                "kecamatan_code": kecamatan_of[code].kecamatan_code})
                for code, name, geom in desa_shapes]
        west, south, east, north = placer.desa.bounds
        return RegionBoundaries(_collection(kecamatan), _collection(desa), (west, south, east, north))
    if isinstance(placer, KecamatanPlacer) and placer.has_boundaries:
        shapes = list(zip(placer.kecamatan_names, placer._lonlat, strict=True))
        features = []
        for name, geom in shapes:
            configured = region.kecamatan_by_name(name)
            key = (configured.code or configured.name) if configured is not None else name
            features.append(_feature(geom, {"code": key, "name": name}))
        west, south, east, north = (float(v) for v in shapely.total_bounds([g for _, g in shapes]))
        return RegionBoundaries(_collection(features), None, (west, south, east, north))
    return None


_cache: weakref.WeakKeyDictionary[Any, RegionBoundaries | None] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def region_boundaries(region: RegionConfig) -> RegionBoundaries | None:
    """The region's kecamatan (and, with a pack, desa) as GeoJSON, simplified to SIMPLIFY_DEGREES
    with coordinates to DECIMALS places; None when the region has no boundaries (no pack, none in
    its config). Built once per region (its placer) and kept: boundaries do not change."""
    placer = region.placer
    with _lock:
        if placer in _cache:
            return _cache[placer]
        built = _build(region)
        _cache[placer] = built
        return built


__all__ = ["MAX_PINS", "AreaCounts", "Pin", "Pins", "RegionBoundaries", "area_counts", "kecamatan_key",
           "region_boundaries", "report_pins"]
