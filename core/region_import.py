"""Building a region pack and its config from an operator's files: `lapor region import`.

An operator of a kabupaten/kota that is not bundled has a Kemendagri-coded CSV (`code,name,level,
parent_code`, the format of core/regions/packs/*/wilayah.csv) and a GeoJSON of its desa/kelurahan
boundaries (a `code` property on each feature), perhaps a kecamatan layer too. From them this
module writes, with no code to change:

    DIR/packs/<code>-<slug>/wilayah.csv, desa.geojson, kecamatan.geojson, SOURCES.md
    DIR/<region code>.toml   (the bundled pasuruan.toml's categories, agencies, outcomes, limits...
                              with its [region] and the agencies' names rewritten for the region)

in exactly the bundled packs' format (core/regions/packs/README.md): rows sorted by code, one
feature per line, 5 decimals, outer rings counter-clockwise and holes clockwise, names from the
CSV. Rebuilt from the bundled Kabupaten Pasuruan files it reproduces them byte for byte.

What operators commonly have is accepted: more decimals, rings in either orientation, invalid
polygons (made valid), extra properties. What cannot be used is a `RegionImportError` naming the
file, the row or feature, and what to do about it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import tomllib
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.strtree import STRtree

from core.desa_placement import DesaPlacer
from core.placement import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQUATOR
from core.region import CODE_MAX, CODE_RE, PREFIX_RE, default_region_path
from core.wilayah import AREA_CODE, KECAMATAN_CODE, REGION_CODE, Wilayah, read_wilayah

DECIMALS = 5  # about 1 m
SIMPLIFY_DEGREES = 0.0001  # about 11 m: the derived kecamatan layer
FILL_HOLES_M2 = 50_000.0  # 5 ha: slivers between desa that do not meet exactly
SLIVER_M2 = 100.0  # detached digitising fragments
SNAP_METRES = 300
DEFAULT_TIMEZONE = "Asia/Jakarta"
# Provinces (the first part of a Kemendagri code) outside WIB: Bali, Nusa Tenggara, South, East and
# North Kalimantan and Sulawesi are WITA; Maluku and Papua are WIT.
WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


def timezone_for(region_code: str) -> str:
    """The region's time zone from its province: a kabupaten in Sulawesi is not on Jakarta's time."""
    province = region_code.split(".", 1)[0]
    if province in WITA_PROVINCES:
        return "Asia/Makassar"
    if province in WIT_PROVINCES:
        return "Asia/Jayapura"
    return DEFAULT_TIMEZONE


# Indonesia's extent, generously (Sabang to Merauke, Rote to Miangas): lon 94..142, lat -11..6.
INDONESIA = (94.0, -11.0, 142.0, 6.0)
TEMPLATE_REGION = ("Kabupaten Pasuruan", "Pasuruan Regency")
PACK_README = "core/regions/packs/README.md"


class RegionImportError(ValueError):
    """The inputs cannot be used; the message names the file, the row or feature, and the fix."""


@dataclass(frozen=True)
class PackSummary:
    folder: Path  # DIR/packs/35.14-kabupaten-pasuruan
    region_code: str  # 35.14
    region_name: str  # Kabupaten Pasuruan
    kecamatan: int
    desa: int
    kelurahan: int
    kecamatan_derived: bool  # False: taken from --kecamatan
    repaired: tuple[str, ...] = ()  # codes whose polygon was invalid and was made valid
    misplaced: tuple[str, ...] = ()  # desa whose interior point the placer puts in another desa

    @property
    def areas(self) -> int:
        return self.desa + self.kelurahan


@dataclass
class _Pack:
    """A pack checked and built in memory, before anything is written."""

    wilayah: Wilayah
    folder_name: str
    files: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


# ---- names -------------------------------------------------------------------------------------


def slug(text: str) -> str:
    """'Kabupaten Pasuruan' -> 'kabupaten-pasuruan'."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def pack_folder_name(wilayah: Wilayah) -> str:
    """35.14-kabupaten-pasuruan, as the bundled packs are named."""
    return f"{wilayah.code}-{slug(wilayah.name)}"


def _base_name(wilayah: Wilayah) -> str:
    """'Kabupaten Pasuruan' -> 'Pasuruan'; 'Kota Bekasi' -> 'Bekasi'."""
    return re.sub(r"^(kabupaten|kab\.?|kota)\s+", "", wilayah.name.strip(), flags=re.IGNORECASE) or wilayah.name


# ---- the GeoJSON inputs -----------------------------------------------------------------------


def _read_collection(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RegionImportError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise RegionImportError(f"{path.name}: not UTF-8 text (byte {e.start}); export it as GeoJSON (UTF-8)") from None
    except OSError as e:
        raise RegionImportError(f"{path}: cannot read the file ({e.strerror or e})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise RegionImportError(f"{path.name}: not a GeoJSON file (invalid JSON at line {e.lineno}: {e.msg}); "
                                "export the layer as GeoJSON") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise RegionImportError(f"{path.name}: expected a GeoJSON FeatureCollection, found {got!r}; "
                                "export the whole layer as one FeatureCollection")
    crs = data.get("crs")
    if isinstance(crs, dict):
        crs = (crs.get("properties") or {}).get("name")
    if isinstance(crs, str) and not re.search(r"CRS84|EPSG:+4326$", crs, re.IGNORECASE):
        raise RegionImportError(f"{path.name}: the file declares the coordinate system {crs}; GeoJSON wants WGS 84 "
                                "longitude/latitude degrees: export or reproject it to EPSG:4326")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise RegionImportError(f"{path.name}: the FeatureCollection has no features")
    return features


def _check_lonlat(geom: Any, where: str) -> None:
    """WGS 84 [longitude, latitude] inside Indonesia, or say what the coordinates look like."""
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise RegionImportError(f"{where}: a coordinate is not a finite number; fix or redraw the polygon")
    minx, miny, maxx, maxy = geom.bounds
    west, south, east, north = INDONESIA
    if west <= minx and maxx <= east and south <= miny and maxy <= north:
        return
    if west <= miny and maxy <= east and south <= minx and maxx <= north:
        raise RegionImportError(f"{where}: coordinates look swapped ([lat, lon]); GeoJSON wants "
                                "[longitude, latitude]: swap the two numbers of every point")
    if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
        raise RegionImportError(f"{where}: coordinates such as [{coords[0][0]:.1f}, {coords[0][1]:.1f}] are not "
                                "degrees (projected, e.g. UTM metres?); export the layer in WGS 84 (EPSG:4326)")
    raise RegionImportError(f"{where}: the polygon lies outside Indonesia ({west:g}..{east:g} E, "
                            f"{south:g}..{north:g} N; found {minx:.4f}..{maxx:.4f} E, {miny:.4f}..{maxy:.4f} N); "
                            "expected WGS 84 [longitude, latitude] degrees (EPSG:4326)")


def _read_polygons(path: Path, what: str, example: str) -> list[tuple[int, str, Any]]:
    """(feature number, code, shapely geometry) of each feature, checked but not yet normalised."""
    out: list[tuple[int, str, Any]] = []
    seen: dict[str, int] = {}
    for number, feature in enumerate(_read_collection(path), start=1):
        where = f"{path.name}: feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise RegionImportError(f"{where}: not a GeoJSON Feature")
        props = feature.get("properties")
        if not isinstance(props, dict):
            props = {}
        code = props.get("code")
        if isinstance(code, str):
            code = code.strip()
        if not isinstance(code, str) or not code:
            found = f" (its properties: {', '.join(map(str, props))})" if props else ""
            raise RegionImportError(f"{where}: no 'code' property{found}; give each feature the {what}'s "
                                    f"Kemendagri code as a text property \"code\", e.g. \"{example}\"")
        where = f"{where} ({code})"
        if code in seen:
            raise RegionImportError(f"{where}: the code appears twice (also feature {seen[code]}); one feature per "
                                    f"{what}: merge its parts into one MultiPolygon, or correct the code")
        seen[code] = number
        if feature.get("geometry") is None:
            raise RegionImportError(f"{where}: no geometry; draw its polygon or remove the feature")
        try:
            geom = shape(feature["geometry"])
        except Exception as e:  # noqa: BLE001 - shapely raises several kinds for a bad geometry
            raise RegionImportError(f"{where}: unreadable geometry ({e}); fix or redraw the polygon") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            got = "an empty geometry" if geom.is_empty else f"a {geom.geom_type}"
            raise RegionImportError(f"{where}: expected a Polygon or MultiPolygon, found {got}; "
                                    f"each {what} needs an area")
        _check_lonlat(geom, where)
        out.append((number, code, shapely.force_2d(geom)))
    return out


# ---- geometry ---------------------------------------------------------------------------------


def _polygons(geom: Any) -> list[Polygon]:
    """The polygons of a geometry, flattening multi-parts and collections; lines and points dropped."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if hasattr(geom, "geoms"):
        return [p for part in geom.geoms for p in _polygons(part)]
    return []


def _single(parts: Sequence[Polygon]) -> Any:
    return parts[0] if len(parts) == 1 else MultiPolygon(list(parts))


def _round(geom: Any) -> Any:
    # + 0.0 turns -0.0 into 0.0 (a latitude on the equator).
    return shapely.transform(geom, lambda c: np.round(c, DECIMALS) + 0.0)


class _Area:
    """Square metres of a lon/lat area, in the local equirectangular projection core.placement uses."""

    def __init__(self, geoms: Iterable[Any]) -> None:
        _, miny, _, maxy = shapely.total_bounds(np.array(list(geoms), dtype=object))
        lat0 = (miny + maxy) / 2.0
        self.m2_per_deg2 = (KM_PER_DEG_LON_EQUATOR * 1000 * math.cos(math.radians(lat0))) * (KM_PER_DEG_LAT * 1000)

    def __call__(self, geom: Any) -> float:
        return float(geom.area) * self.m2_per_deg2


def _drop_slivers(parts: list[Polygon], area: _Area | None) -> list[Polygon]:
    """Detached fragments under SLIVER_M2, as long as something larger remains."""
    if area is None or len(parts) < 2:
        return parts
    kept = [p for p in parts if area(p) >= SLIVER_M2]
    return kept or [max(parts, key=lambda p: p.area)]


def normalise(geom: Any, area: _Area | None = None) -> tuple[Any, bool]:
    """The geometry as the packs hold it: valid, on the 5-decimal grid, outer rings counter-clockwise
    and holes clockwise, a Polygon when it has one part. An input already in that form comes back
    unchanged, point for point. Returns (geometry, whether it was invalid and had to be repaired)."""
    geom = shapely.force_2d(geom)
    repaired = not geom.is_valid
    if repaired:
        geom = _single(_polygons(shapely.make_valid(geom, method="structure", keep_collapsed=False)) or [Polygon()])
    rounded = _round(geom)
    try:
        rounded = shapely.remove_repeated_points(rounded)
        ok = rounded.is_valid and not rounded.is_empty
    except shapely.errors.GEOSException:
        ok = False
    if not ok:
        # Rounding made it invalid (two vertices met, a thin spike collapsed): a validity-preserving
        # precision reduction onto the same grid instead.
        rounded = _round(shapely.set_precision(geom, 10.0**-DECIMALS))
    parts = _drop_slivers(_polygons(rounded), area)
    if not parts:
        return Polygon(), repaired
    return shapely.orient_polygons(_single(parts), exterior_cw=False), repaired


def _fill_holes(geom: Any, keep_if_covered_by: Callable[[Polygon], float], area: _Area) -> list[Polygon]:
    """Fill interior gaps under FILL_HOLES_M2 unless mostly covered by another kecamatan's desa (an
    enclave, which stays a hole)."""
    out = []
    for polygon in _polygons(geom):
        holes = []
        for ring in polygon.interiors:
            hole = Polygon(ring)
            if area(hole) < FILL_HOLES_M2 and keep_if_covered_by(hole) <= 0.5 * hole.area:
                continue
            holes.append(ring)
        out.append(Polygon(polygon.exterior, holes))
    return out


def derive_kecamatan(wilayah: Wilayah, desa: dict[str, Any]) -> dict[str, Any]:
    """Each kecamatan's polygon from its desa (core/regions/packs/SOURCES.md, "kecamatan.geojson"):
    their union, interior gaps under 5 ha filled, simplified (0.0001 degrees, topology preserved),
    on the 5-decimal grid, detached slivers under 100 m2 dropped, gaps filled again, oriented."""
    codes = list(desa)
    geoms = np.array([desa[c] for c in codes], dtype=object)
    tree = STRtree(geoms)
    area = _Area(geoms)
    out: dict[str, Any] = {}
    for kecamatan in wilayah.kecamatan:
        own = kecamatan.code + "."

        def covered_by_others(hole: Polygon, own: str = own) -> float:
            hits = [int(i) for i in tree.query(hole, predicate="intersects") if not codes[int(i)].startswith(own)]
            return sum(float(hole.intersection(geoms[i]).area) for i in hits)

        union = shapely.union_all([desa[a.code] for a in kecamatan.areas])
        merged = MultiPolygon(_fill_holes(union, covered_by_others, area))
        simplified = shapely.simplify(merged, SIMPLIFY_DEGREES, preserve_topology=True)
        gridded = _round(shapely.set_precision(simplified, 10.0**-DECIMALS))
        parts = _drop_slivers(_polygons(gridded), area)
        parts = _fill_holes(MultiPolygon(parts), covered_by_others, area)
        out[kecamatan.code] = shapely.orient_polygons(_single(parts), exterior_cw=False)
    return out


# ---- writing the pack -------------------------------------------------------------------------


def _geojson_geometry(geom: Any) -> dict[str, Any]:
    def lists(x: Any) -> Any:
        if isinstance(x, tuple | list) and x and isinstance(x[0], int | float):
            return [float(x[0]), float(x[1])]
        return [lists(y) for y in x]

    m = mapping(geom)
    return {"type": m["type"], "coordinates": lists(m["coordinates"])}


def feature_collection(features: Iterable[tuple[dict[str, Any], Any]]) -> str:
    """The packs' GeoJSON text: one compact feature per line."""
    lines = [json.dumps({"type": "Feature", "properties": props, "geometry": _geojson_geometry(geom)},
                        separators=(",", ":"), ensure_ascii=False)
             for props, geom in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def wilayah_csv(wilayah: Wilayah) -> str:
    """The packs' wilayah.csv: sorted by code; parent_code the code minus its last part (the
    region row's parent is its province)."""
    rows = [(wilayah.code, wilayah.name, wilayah.level, wilayah.code.split(".")[0])]
    for kecamatan in wilayah.kecamatan:
        rows.append((kecamatan.code, kecamatan.name, "kecamatan", wilayah.code))
        rows.extend((a.code, a.name, a.level, kecamatan.code) for a in kecamatan.areas)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent_code"])
    writer.writerows(sorted(rows))
    return out.getvalue()


def _csv_rows(path: Path) -> dict[str, int]:
    """code -> its row number in the operator's CSV (the header is row 1)."""
    rows = csv.reader(path.read_text(encoding="utf-8-sig").splitlines())
    return {row[0].strip(): number for number, row in enumerate(rows, start=1) if row}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sources_md(wilayah: Wilayah, inputs: list[tuple[str, Path | None]], repaired: Sequence[str]) -> str:
    table = []
    for made, given in inputs:
        if given is None:
            table.append(f"| `{made}` | derived from `desa.geojson` (below) | | |")
        else:
            table.append(f"| `{made}` | `{given.name}` | {given.stat().st_size:,} | `{_sha256(given)}` |")
    fixed = (f"{len(repaired)} polygon(s) were invalid and were made valid: {', '.join(repaired)}."
             if repaired else "No polygon needed repair.")
    if inputs[2][1] is not None:
        kecamatan = "normalised in the same way from the given file, names from `wilayah.csv`."
    else:
        kecamatan = ("for each kecamatan, the union of its desa/kelurahan polygons; interior gaps\n"
                     "  under 5 ha not mostly covered by another kecamatan's desa filled; simplified (0.0001\n"
                     "  degrees, topology preserved), rounded to 5 decimals, detached slivers under 100 m2\n"
                     "  dropped, gaps filled again; outer rings counter-clockwise, holes clockwise.")
    rows = "\n".join(table)
    return f"""# Sources of this region pack: {wilayah.name} ({wilayah.code})

Built by `lapor region import` from the operator's files below (sha256 of the files as given, so
the exact inputs can be checked later). The format is described in {PACK_README}.

| file | built from | bytes | sha256 |
| --- | --- | ---: | --- |
{rows}

## Transformations

- `wilayah.csv`: the rows of the given CSV, names as given, sorted by code; `parent_code` is the
  code without its last part (the {wilayah.level} row points to its province).
- `desa.geojson`: one feature per desa/kelurahan, properties `code`, `name`, `kecamatan_code`,
  `kecamatan_name`, `level`. Names come from `wilayah.csv`, not from the GeoJSON's own properties,
  which are not carried over. Coordinates rounded to 5 decimals (about 1 m) keeping polygons
  valid, detached fragments under 100 m2 dropped, outer rings counter-clockwise and holes
  clockwise (RFC 7946). {fixed}
- `kecamatan.geojson`: {kecamatan}

## Where the data came from, and its licence

Say here who published the input files (publisher, decree or version, date, address), and keep
their licence text with this folder: whoever copies the pack must receive the licence of the data
it is derived from (see core/regions/packs/SOURCES.md for how the bundled packs do it). The
importer cannot know either.
"""


def prepare_pack(wilayah_csv_path: str | Path, desa_geojson: str | Path, *,
                 kecamatan_geojson: str | Path | None = None) -> _Pack:
    """Read and check every input and build the pack's files in memory; nothing is written."""
    csv_path, desa_path = Path(wilayah_csv_path), Path(desa_geojson)
    wilayah = read_wilayah(csv_path)
    rows = _csv_rows(csv_path)
    areas = {a.code: a for a in wilayah.areas}
    empty = [k for k in wilayah.kecamatan if not k.areas]
    if empty:
        k = empty[0]
        raise RegionImportError(f"{csv_path.name}: row {rows.get(k.code, '?')} ({k.code}): kecamatan {k.name} has no "
                                "desa/kelurahan rows; add them (level desa or kelurahan, parent_code "
                                f"{k.code}) or remove the kecamatan")

    features = _read_polygons(desa_path, "desa/kelurahan", f"{wilayah.code}.01.2001")
    polygons, repaired = _normalised(desa_path, features, areas, "desa/kelurahan", wilayah, csv_path)
    missing = [a for a in wilayah.areas if a.code not in polygons]
    if missing:
        listed = "; ".join(f"{a.code} {a.name} (row {rows.get(a.code, '?')})" for a in missing[:5])
        more = f"; and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise RegionImportError(f"{desa_path.name}: no polygon for {len(missing)} desa/kelurahan of {csv_path.name}: "
                                f"{listed}{more}; add a feature with that \"code\" for each, or remove the row "
                                "from the CSV if the area no longer exists")

    kec_path = Path(kecamatan_geojson) if kecamatan_geojson is not None else None
    if kec_path is not None:
        kecamatan = _read_kecamatan(kec_path, wilayah, csv_path, rows)
    else:
        kecamatan = derive_kecamatan(wilayah, polygons)

    order = sorted(wilayah.areas, key=lambda a: a.code)
    desa_text = feature_collection(
        ({"code": a.code, "name": a.name, "kecamatan_code": a.kecamatan_code, "kecamatan_name": a.kecamatan,
          "level": a.level}, polygons[a.code]) for a in order)
    kecamatan_text = feature_collection(
        ({"code": k.code, "name": k.name}, kecamatan[k.code]) for k in sorted(wilayah.kecamatan, key=lambda k: k.code))

    # The placer the config will use: every desa's interior point should land in that desa.
    placer = DesaPlacer(wilayah, polygons, source=desa_path.name)
    misplaced = []
    for a in order:
        point = polygons[a.code].representative_point()
        if placer.place(point.y, point.x).area != a:
            misplaced.append(a.code)

    pack = _Pack(wilayah, pack_folder_name(wilayah))
    pack.files = {
        "wilayah.csv": wilayah_csv(wilayah),
        "desa.geojson": desa_text,
        "kecamatan.geojson": kecamatan_text,
        "SOURCES.md": _sources_md(wilayah, [("wilayah.csv", csv_path), ("desa.geojson", desa_path),
                                            ("kecamatan.geojson", kec_path)], repaired),
    }
    pack.summary = {
        "region_code": wilayah.code, "region_name": wilayah.name, "kecamatan": len(wilayah.kecamatan),
        "desa": sum(a.level == "desa" for a in wilayah.areas),
        "kelurahan": sum(a.level == "kelurahan" for a in wilayah.areas),
        "kecamatan_derived": kec_path is None, "repaired": tuple(repaired), "misplaced": tuple(misplaced),
    }
    return pack


def _unknown_code(code: str, wilayah: Wilayah, csv_path: Path, what: str) -> str:
    parts = code.split(".")
    region = ".".join(parts[:2])
    if REGION_CODE.fullmatch(region) and region != wilayah.code and (
            AREA_CODE.fullmatch(code) or KECAMATAN_CODE.fullmatch(code)):
        return (f"the code belongs to region {region}, not to {wilayah.name} ({wilayah.code}) of {csv_path.name}; "
                f"remove the feature (the file must hold only {wilayah.name}) or correct its code")
    if what == "desa/kelurahan" and KECAMATAN_CODE.fullmatch(code):
        return ("this is a kecamatan's code; the desa file holds one feature per desa/kelurahan "
                f"(codes like {wilayah.code}.01.2001); give kecamatan polygons with --kecamatan")
    pattern = AREA_CODE if what == "desa/kelurahan" else KECAMATAN_CODE
    example = f"{wilayah.code}.01.2001" if what == "desa/kelurahan" else f"{wilayah.code}.01"
    if not pattern.fullmatch(code):
        return f"the code does not look like a {what} code ({example}); correct it"
    return (f"the code is not in {csv_path.name}; add its row to the CSV (code,name,level,parent_code) "
            "or correct the feature's code")


def _normalised(path: Path, features: list[tuple[int, str, Any]], known: Container[str], what: str,
                wilayah: Wilayah, csv_path: Path) -> tuple[dict[str, Any], list[str]]:
    """Each feature's polygon in the packs' form (see `normalise`), by code, and the codes whose
    polygon had to be made valid; a code the CSV does not have, or a polygon with no area, stops."""
    area = _Area(g for _, _, g in features)
    polygons: dict[str, Any] = {}
    repaired: list[str] = []
    for number, code, geom in features:
        where = f"{path.name}: feature {number} ({code})"
        if code not in known:
            raise RegionImportError(f"{where}: {_unknown_code(code, wilayah, csv_path, what)}")
        polygons[code], fixed = normalise(geom, area)
        if polygons[code].is_empty:
            raise RegionImportError(f"{where}: the polygon has no area once made valid; redraw it")
        if fixed:
            repaired.append(code)
    return polygons, repaired


def _read_kecamatan(path: Path, wilayah: Wilayah, csv_path: Path, rows: dict[str, int]) -> dict[str, Any]:
    features = _read_polygons(path, "kecamatan", f"{wilayah.code}.01")
    out, _ = _normalised(path, features, {k.code for k in wilayah.kecamatan}, "kecamatan", wilayah, csv_path)
    missing = [k for k in wilayah.kecamatan if k.code not in out]
    if missing:
        listed = "; ".join(f"{k.code} {k.name} (row {rows.get(k.code, '?')})" for k in missing[:5])
        raise RegionImportError(f"{path.name}: no polygon for {len(missing)} kecamatan of {csv_path.name}: {listed}; "
                                "add a feature with that \"code\" for each, or leave out --kecamatan to derive "
                                "the kecamatan from their desa")
    return out


def _write_pack(pack: _Pack, out_dir: Path) -> PackSummary:
    folder = out_dir / "packs" / pack.folder_name
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pack.files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    return PackSummary(folder=folder, **pack.summary)


def build_pack(wilayah_csv_path: str | Path, desa_geojson: str | Path, out_dir: str | Path, *,
               kecamatan_geojson: str | Path | None = None) -> PackSummary:
    """Check the inputs and write DIR/packs/<code>-<slug>/ (wilayah.csv, desa.geojson,
    kecamatan.geojson, SOURCES.md). Nothing is written when a check fails."""
    pack = prepare_pack(wilayah_csv_path, desa_geojson, kecamatan_geojson=kecamatan_geojson)
    return _write_pack(pack, Path(out_dir))


# ---- answers ----------------------------------------------------------------------------------

ANSWER_KEYS = ("code", "ticket_prefix", "timezone", "agency_names")


def _template() -> dict[str, Any]:
    return tomllib.loads(default_region_path().read_text(encoding="utf-8"))


def answers_help(wilayah: Wilayah | None = None) -> str:
    """What an answers file holds, for the message when there is none (with suggestions for the
    region when it is known)."""
    agencies = ", ".join(a["code"] for a in _template()["agencies"])
    code, prefix = (suggested_answers(wilayah)[k] for k in ("code", "ticket_prefix")) if wilayah else ("bekasi", "BKS")
    dinsos = f"Dinas Sosial {wilayah.name}" if wilayah else "Dinas Sosial Kota Bekasi"
    lines = [(f'code = "{code}"', "the region's code: 1-24 characters a-z, 0-9, _ (names the config file)"),
             (f'ticket_prefix = "{prefix}"', f"2-5 letters A-Z: tickets look like {prefix}-2611-0042"),
             (f'timezone = "{timezone_for(wilayah.code) if wilayah else DEFAULT_TIMEZONE}"',
              "optional (default: the province's, Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT)"),
             ("[agency_names]", "optional: an agency's name where the default is wrong"),
             (f'dinsos = "{dinsos}"', '{ id = "...", en = "..." } gives both languages')]
    width = max(len(left) for left, _ in lines) + 2
    return "\n".join(f"  {left:<{width}}# {right}" for left, right in lines) + f"\n  (agencies: {agencies})"


def missing_answers_message(wilayah: Wilayah | None = None) -> str:
    return ("no answers: standard input is not a terminal, so nothing can be asked; pass --answers FILE.toml "
            "with\n" + answers_help(wilayah))


def check_answers(data: dict[str, Any], source: str = "answers") -> dict[str, Any]:
    """Validated answers: code, ticket_prefix, timezone (None: the province's), agency_names
    ({agency code: {lang: name}}). Raises RegionImportError naming the key and the fix."""
    if not isinstance(data, dict):
        raise RegionImportError(f"{source}: expected a table of answers")
    unknown = [k for k in data if k not in ANSWER_KEYS]
    if unknown:
        raise RegionImportError(f"{source}: unknown key {unknown[0]!r}; the answers are {', '.join(ANSWER_KEYS)}")
    missing = [k for k in ("code", "ticket_prefix") if k not in data]
    if missing:
        raise RegionImportError(f"{source}: {missing[0]} is missing; an answers file holds\n{answers_help()}")
    code, prefix = data["code"], data["ticket_prefix"]
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        raise RegionImportError(f"{source}: code {code!r}: use 1-{CODE_MAX} characters a-z, 0-9, _ (e.g. \"bekasi\")")
    if not isinstance(prefix, str) or not PREFIX_RE.fullmatch(prefix):
        raise RegionImportError(f"{source}: ticket_prefix {prefix!r}: use 2 to 5 uppercase letters A-Z "
                                "(e.g. \"BKS\")")
    timezone = data.get("timezone")  # None: the region's province decides (timezone_for)
    if timezone is not None:
        try:
            if not isinstance(timezone, str) or not timezone:
                raise ValueError(timezone)
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RegionImportError(f"{source}: timezone {timezone!r}: use an IANA name: Asia/Jakarta (WIB), "
                                    "Asia/Makassar (WITA) or Asia/Jayapura (WIT)") from None
    known = [a["code"] for a in _template()["agencies"]]
    names: dict[str, dict[str, str]] = {}
    raw = data.get("agency_names", {})
    if not isinstance(raw, dict):
        raise RegionImportError(f"{source}: agency_names must be a table: [agency_names] then dinsos = \"...\"")
    for agency, value in raw.items():
        where = f"{source}: agency_names.{agency}"
        if agency not in known:
            raise RegionImportError(f"{where}: no such agency; the agencies are {', '.join(known)}")
        if isinstance(value, str):
            value = {"id": value}
        if (not isinstance(value, dict) or not value
                or not all(isinstance(k, str) and re.fullmatch(r"[a-z]{2,3}", k) for k in value)
                or not all(isinstance(v, str) and v.strip() for v in value.values())):
            raise RegionImportError(f"{where}: give the name as text, or as {{ id = \"...\", en = \"...\" }}")
        names[agency] = {k: v.strip() for k, v in value.items()}
    return {"code": code, "ticket_prefix": prefix, "timezone": timezone, "agency_names": names}


def read_answers(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise RegionImportError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise RegionImportError(f"{path.name}: not UTF-8 text (byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise RegionImportError(f"{path.name}: TOML syntax error: {e}") from None
    return check_answers(data, path.name)


def suggested_answers(wilayah: Wilayah) -> dict[str, str]:
    base = slug(_base_name(wilayah)).replace("-", "_")[:CODE_MAX] or "region"
    letters = re.sub(r"[^A-Z]", "", _base_name(wilayah).upper())
    return {"code": base, "ticket_prefix": (letters[:3] if len(letters) >= 2 else "RPT"),
            "timezone": timezone_for(wilayah.code)}


def prompt_answers(wilayah: Wilayah, ask: Callable[[str], str] = input) -> dict[str, Any]:
    """Ask for each answer in the terminal (Enter keeps the suggestion in brackets)."""
    suggested = suggested_answers(wilayah)
    answers: dict[str, Any] = {}
    questions = [("code", f"Region code for {wilayah.name} (a-z, 0-9, _; names the config file)"),
                 ("ticket_prefix", "Ticket prefix (2-5 letters A-Z)"),
                 ("timezone", "Timezone (Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT)")]
    for key, question in questions:
        while True:
            try:
                reply = ask(f"{question} [{suggested[key]}]: ").strip() or suggested[key]
            except EOFError:
                raise RegionImportError(f"answers: input ended before {key} was given; "
                                        f"pass --answers FILE.toml with\n{answers_help()}") from None
            try:
                check_answers({**suggested, **answers, key: reply})
            except RegionImportError as e:
                print(str(e).removeprefix("answers: "))
                continue
            answers[key] = reply
            break
    names: dict[str, str] = {}
    for agency in _template()["agencies"]:
        default = _rename(agency["name"]["id"], wilayah)
        try:
            reply = ask(f"Name of agency {agency['code']} [{default}]: ").strip()
        except EOFError:
            raise RegionImportError("answers: input ended before the agencies' names were given") from None
        if reply and reply != default:
            names[agency["code"]] = reply
    return check_answers({**answers, "agency_names": names})


# ---- the region config ------------------------------------------------------------------------


def _rename(text: str, wilayah: Wilayah) -> str:
    """'Dinas Sosial Kabupaten Pasuruan' -> 'Dinas Sosial Kota Bekasi'; 'Pasuruan Regency' ->
    'Bekasi City'."""
    english = f"{_base_name(wilayah)} {'City' if wilayah.level == 'kota' else 'Regency'}"
    return text.replace(TEMPLATE_REGION[0], wilayah.name).replace(TEMPLATE_REGION[1], english)


def region_config_data(answers: dict[str, Any], wilayah: Wilayah, pack_folder: str) -> dict[str, Any]:
    """The bundled pasuruan.toml's data with [region] and the agencies' names for this region."""
    answers = check_answers(answers)
    data = _template()
    template_region = data["region"]
    data["region"] = {
        "code": answers["code"],
        "name": wilayah.name,
        "ticket_prefix": answers["ticket_prefix"],
        "timezone": answers["timezone"] or timezone_for(wilayah.code),
        "default_language": template_region.get("default_language", "id"),
        "languages": template_region.get("languages", ["id", "en"]),
        "pack": f"packs/{pack_folder}",
        "snap_metres": SNAP_METRES,
    }
    for agency in data["agencies"]:
        name = {lang: _rename(text, wilayah) for lang, text in agency["name"].items()}
        name.update(answers["agency_names"].get(agency["code"], {}))
        agency["name"] = name
    return data


def write_region_config(answers: dict[str, Any], out_path: str | Path, pack_folder_name: str, *,
                        inputs: Sequence[str | Path] = ()) -> Path:
    """Write the region's config to out_path; its pack is out_path's folder/packs/<pack_folder_name>
    (already built: the region's name comes from its wilayah.csv). `inputs`: the files it was built
    from, named in the header comment."""
    out_path = Path(out_path)
    wilayah = read_wilayah(out_path.parent / "packs" / pack_folder_name / "wilayah.csv")
    data = region_config_data(answers, wilayah, pack_folder_name)
    names = ", ".join(Path(p).name for p in inputs) or f"packs/{pack_folder_name}"
    header = (f"# Lapor PMKS - region config for {wilayah.name} ({wilayah.code}), generated by\n"
              f"# `lapor region import` from {names}.\n"
              "#\n"
              "# REVIEW BEFORE USE: the agencies, categories (with their criteria and legal sources), outcomes,\n"
              "# response times, limits and emergency numbers are Kabupaten Pasuruan's defaults\n"
              "# (core/regions/pasuruan.toml, which explains each section); only [region] and the agencies'\n"
              "# names were written for this region. Check it with `lapor check-config <this file>`.\n"
              f"# The kecamatan and desa/kelurahan come from the pack (packs/{pack_folder_name}); its SOURCES.md\n"
              "# must say where the data came from and keep the data's licence text.\n\n")
    text = header + dumps_toml(data)
    if tomllib.loads(text) != data:  # pragma: no cover - the serializer's own check
        raise RuntimeError("the TOML written does not read back as the data")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8", newline="\n")
    return out_path


def import_region(wilayah_csv_path: str | Path, desa_geojson: str | Path, out_dir: str | Path,
                  answers: dict[str, Any], *, kecamatan_geojson: str | Path | None = None,
                  overwrite: bool = False) -> tuple[PackSummary, Path]:
    """Everything `lapor region import` does: check all inputs, then write the pack and the config
    DIR/<code>.toml. An existing config or pack is replaced only with overwrite."""
    answers = check_answers(answers)
    out_dir = Path(out_dir)
    pack = prepare_pack(wilayah_csv_path, desa_geojson, kecamatan_geojson=kecamatan_geojson)
    config = out_dir / f"{answers['code']}.toml"
    folder = out_dir / "packs" / pack.folder_name
    if not overwrite:
        for existing in (config, folder):
            if existing.exists():
                raise RegionImportError(f"{existing} already exists; pass --force to replace it, "
                                        "or choose another --out")
    summary = _write_pack(pack, out_dir)
    inputs = [p for p in (wilayah_csv_path, desa_geojson, kecamatan_geojson) if p is not None]
    return summary, write_region_config(answers, config, pack.folder_name, inputs=inputs)


# ---- TOML -------------------------------------------------------------------------------------
# A small writer for the types a region config uses (tomli_w is not a dependency): strings, ints,
# floats, bools, arrays, {id = .., en = ..} inline tables, tables and arrays of tables.

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_LANG_KEY = re.compile(r"^[a-z]{2,3}$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _escape(text: str, keep_newlines: bool) -> str:
    out = []
    for ch in text:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def _string(text: str) -> str:
    if "\n" in text:
        # A newline right after the opening quotes is not part of the value.
        return '"""\n' + _escape(text, keep_newlines=True) + '"""'
    return '"' + _escape(text, keep_newlines=False) + '"'


def _is_inline_table(value: Any) -> bool:
    """{id = "..", en = ".."}: language codes to one-line texts."""
    return (isinstance(value, dict) and bool(value)
            and all(_LANG_KEY.fullmatch(k) and isinstance(v, str) and "\n" not in v for k, v in value.items()))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(table: dict[str, Any], path: list[str], out: list[str]) -> None:
    subtables = []
    for key, value in table.items():
        if value is None:
            continue
        if (isinstance(value, dict) and not _is_inline_table(value)) or _is_table_array(value):
            subtables.append((key, value))
        else:
            out.append(f"{_key(key)} = {_value(value)}")
    for key, value in subtables:
        full = ".".join(_key(k) for k in [*path, key])
        if isinstance(value, dict):
            out.extend(["", f"[{full}]"])
            _table(value, [*path, key], out)
        else:
            for item in value:
                out.extend(["", f"[[{full}]]"])
                _table(item, [*path, key], out)


def dumps_toml(data: dict[str, Any]) -> str:
    """TOML text for `data` (top-level keys that are not tables must come first, as in TOML)."""
    out: list[str] = []
    _table(data, [], out)
    return "\n".join(out).lstrip("\n") + "\n"


__all__ = [
    "PackSummary",
    "RegionImportError",
    "build_pack",
    "check_answers",
    "derive_kecamatan",
    "dumps_toml",
    "import_region",
    "missing_answers_message",
    "normalise",
    "pack_folder_name",
    "prompt_answers",
    "read_answers",
    "region_config_data",
    "write_region_config",
]
