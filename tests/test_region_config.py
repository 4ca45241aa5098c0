"""Region config: the bundled Pasuruan default, the test region, and readable validation errors."""
from __future__ import annotations

import copy
import json
import math
import shutil
import tomllib
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.region import (
    Localized,
    RegionConfig,
    RegionConfigError,
    default_region_path,
    load_region_config,
    parse_region_config,
)

DATA = Path(__file__).parent / "data"
TEST_REGION = DATA / "testregion.toml"
TEST_GEOJSON = DATA / "testregion.geojson"

PASURUAN_KECAMATAN = [
    "Bangil", "Beji", "Gempol", "Gondangwetan", "Grati", "Kejayan", "Kraton", "Lekok",
    "Lumbang", "Nguling", "Pandaan", "Pasrepan", "Pohjentrek", "Prigen", "Purwodadi",
    "Purwosari", "Puspo", "Rejoso", "Rembang", "Sukorejo", "Tosari", "Tutur", "Winongan",
    "Wonorejo",
]

# The routing table of the domain brief.
ROUTING = {
    "anak_jalanan": ("satpolpp", ["dp3ap2kb", "dinsos"]),
    "pengemis": ("satpolpp", ["dinsos"]),
    "pelacuran": ("satpolpp", ["dinsos", "dinkes"]),
    "gelandangan": ("dinsos", ["satpolpp"]),
    "gelandangan_psikotik": ("dinsos", ["dinkes"]),
    "lansia_terlantar": ("dinsos", []),
    "anak_terlantar": ("dinsos", ["dp3ap2kb"]),
}


@pytest.fixture(scope="module")
def pasuruan() -> RegionConfig:
    return load_region_config()


@pytest.fixture(scope="module")
def uji() -> RegionConfig:
    return load_region_config(TEST_REGION)


# ---- the bundled default -----------------------------------------------------------------


def test_default_path_is_bundled_pasuruan():
    path = default_region_path()
    assert path.name == "pasuruan.toml"
    assert path.is_file()


def test_default_loads(pasuruan: RegionConfig):
    assert pasuruan.region.code == "pasuruan"
    assert pasuruan.region.name == "Kabupaten Pasuruan"
    assert pasuruan.region.ticket_prefix == "PSR"
    assert pasuruan.tz == ZoneInfo("Asia/Jakarta")
    assert pasuruan.source_path == default_region_path().resolve()
    assert [k.name for k in pasuruan.kecamatan] == PASURUAN_KECAMATAN
    # From the pack: every kecamatan with its desa/kelurahan and their Kemendagri codes.
    assert pasuruan.kemendagri_code == "35.14"
    assert sum(len(k.desa) for k in pasuruan.kecamatan) == 365
    bangil = pasuruan.kecamatan_by_name("Bangil")
    assert bangil.code == "35.14.14" and all(c.startswith("35.14.14.") for c in bangil.desa_codes)
    assert pasuruan.desa_by_code("35.14.14.1002") == (bangil, "Kiduldalem")
    assert [c.code for c in pasuruan.categories] == list(ROUTING)
    assert pasuruan.donations.agency == "dinsos"
    assert [e.number for e in pasuruan.emergency] == ["112", "110", "129"]
    assert "SAPA" in pasuruan.emergency[2].label.get("id")
    assert pasuruan.region.pack == "packs/35.14-kabupaten-pasuruan" and pasuruan.region.snap_metres == 300


@pytest.mark.parametrize("code", list(ROUTING))
def test_default_routing(pasuruan: RegionConfig, code: str):
    primary, informed = ROUTING[code]
    cat = pasuruan.category(code)
    assert cat.primary == primary
    assert cat.informed == informed
    assert cat.agencies == [primary, *informed]
    assert 0 < cat.urgent_response_minutes <= cat.response_minutes
    assert cat.source
    assert cat.label.get("id") and cat.label.get("en") != cat.label.get("id")
    assert cat.criteria.get("id") != cat.criteria.get("en")


def test_default_criteria_are_quoted_from_the_sources(pasuruan: RegionConfig):
    crit = {c.code: c.criteria.get("id") for c in pasuruan.categories}
    assert "Berusia antara 5 sampai dengan 18 tahun" in crit["anak_jalanan"]
    assert "Memakai baju yang compang camping, kumal dan dekil" in crit["pengemis"]
    assert "warung remang-remang" in crit["pelacuran"]
    assert "tanpa Kartu Tanda Penduduk (KTP)" in crit["gelandangan"]
    assert "tingkah laku aneh/menyimpang" in crit["gelandangan_psikotik"]
    assert "60 (enam puluh) tahun atau lebih" in crit["lansia_terlantar"]
    assert "5 (lima) tahun ke bawah" in crit["anak_terlantar"]
    assert "BAB II.B" in pasuruan.category("anak_jalanan").source
    assert "Pasal 17" in pasuruan.category("gelandangan_psikotik").source


def test_default_agencies_and_outcomes(pasuruan: RegionConfig):
    codes = [a.code for a in pasuruan.agencies]
    assert codes[:2] == ["satpolpp", "dinsos"]
    assert {"dp3ap2kb", "dinkes"} <= set(codes)
    satpol = pasuruan.agency("satpolpp")
    assert satpol.short.get("id") == "Satpol PP"
    assert {o.code: o.counts_persons for o in satpol.outcomes} == {
        "ditertibkan": True,
        "diserahkan_dinsos": True,
        "tidak_ditemukan": False,
    }
    dinsos = pasuruan.agency("dinsos")
    assert {o.code: o.counts_persons for o in dinsos.outcomes} == {
        "dikembalikan_keluarga": True,
        "dipulangkan_daerah_asal": True,
        "panti_sosial": True,
        "rehabilitasi": True,
        "dirujuk": False,
        "tidak_ditemukan": False,
    }
    assert dinsos.outcome("panti_sosial").label.get("en")
    with pytest.raises(KeyError):
        dinsos.outcome("ditertibkan")
    assert [c.code for c in pasuruan.categories_for_agency("satpolpp")] == [
        "anak_jalanan", "pengemis", "pelacuran",
    ]


def test_every_text_has_english(pasuruan: RegionConfig):
    texts: list[Localized] = []
    for a in pasuruan.agencies:
        texts += [a.name, a.short, *(o.label for o in a.outcomes)]
    for c in pasuruan.categories:
        texts += [c.label, c.criteria]
    texts += [e.label for e in pasuruan.emergency]
    assert all(set(t.languages) == {"id", "en"} for t in texts)


def test_default_limits_and_privacy(pasuruan: RegionConfig):
    assert pasuruan.limits.reports_per_hour == 3
    assert pasuruan.limits.max_photos == 3
    assert pasuruan.privacy.media_retention_days == 90
    assert pasuruan.privacy.report_retention_days == 730


def test_default_placer_places_pins_in_their_desa(pasuruan: RegionConfig):
    placer = pasuruan.placer
    assert placer is pasuruan.placer  # cached
    assert placer.has_boundaries
    bangil = placer.place(-7.6033, 112.7853)
    assert (bangil.kecamatan, bangil.desa, bangil.desa_code) == ("Bangil", "Kiduldalem", "35.14.14.1002")
    surabaya = placer.place(-7.25, 112.75)
    assert surabaya.inside_region is False and surabaya.by_desa
    assert placer.desa.distance_m(-7.25, 112.75) > 10_000


# ---- look-ups ----------------------------------------------------------------------------


def test_lookups(pasuruan: RegionConfig):
    assert pasuruan.agency("dinsos").name.get("id") == "Dinas Sosial Kabupaten Pasuruan"
    with pytest.raises(KeyError):
        pasuruan.agency("satpol")
    with pytest.raises(KeyError):
        pasuruan.category("narkoba")
    assert pasuruan.kecamatan_by_name("gondang wetan").name == "Gondangwetan"
    assert pasuruan.kecamatan_by_name("  GONDANG   Wetan ").name == "Gondangwetan"
    assert pasuruan.kecamatan_by_name("Kec. Gondang-Wetan").name == "Gondangwetan"
    assert pasuruan.kecamatan_by_name("Sidoarjo") is None
    assert pasuruan.kecamatan_names == PASURUAN_KECAMATAN


def test_localized_fallback():
    text = Localized({"id": "Anak jalanan", "en": "Street children"})
    assert text.get("en") == "Street children"
    assert text.get("id") == "Anak jalanan"
    assert text.get("jv") == "Anak jalanan"
    assert text.get(None) == "Anak jalanan"
    assert text.get("en-US") == "Street children"
    assert str(text) == "Anak jalanan"
    only_id = Localized({"id": "Pengemis"})
    assert only_id.get("en") == "Pengemis"
    with pytest.raises(ValueError):
        Localized({"en": "Beggars"})


# ---- the test region ---------------------------------------------------------------------


def test_test_region_loads(uji: RegionConfig):
    assert uji.region.code == "uji"
    assert uji.region.name == "Kabupaten Uji"
    assert uji.region.ticket_prefix == "UJI"
    assert uji.region.timezone == "Asia/Jakarta"
    assert [(k.name, k.desa) for k in uji.kecamatan] == [
        ("Alpha", ["Alpha Satu", "Alpha Dua"]),
        ("Beta", ["Beta Satu"]),
        ("Gamma", []),
    ]
    assert uji.kecamatan_by_name("alpha").desa_by_name("alpha dua") == "Alpha Dua"
    assert [c.code for c in uji.categories] == list(ROUTING)
    assert uji.category("anak_jalanan").informed == ["dp3ap2kb", "dinsos"]
    assert uji.placer.has_boundaries
    assert uji.placer.kecamatan_names == ["Alpha", "Beta", "Gamma"]
    assert uji.placer.place(-7.05, 112.05).kecamatan == "Alpha"


def test_boundaries_resolved_relative_to_the_toml(tmp_path: Path, monkeypatch):
    sub = tmp_path / "conf"
    sub.mkdir()
    shutil.copy(TEST_REGION, sub / "uji.toml")
    shutil.copy(TEST_GEOJSON, sub / "testregion.geojson")
    monkeypatch.chdir(tmp_path)  # not the TOML's directory
    cfg = load_region_config(Path("conf/uji.toml"))
    assert cfg.placer.place(-7.15, 112.15).kecamatan == "Gamma"
    assert cfg.source_path == (sub / "uji.toml").resolve()


def test_geojson_names_match_case_insensitively(tmp_path: Path):
    gj = json.loads(TEST_GEOJSON.read_text())
    gj["features"][0]["properties"]["kecamatan"] = "ALPHA"
    (tmp_path / "testregion.geojson").write_text(json.dumps(gj))
    shutil.copy(TEST_REGION, tmp_path / "uji.toml")
    cfg = load_region_config(tmp_path / "uji.toml")
    assert cfg.placer.place(-7.05, 112.05).kecamatan == "Alpha"  # configured spelling


# ---- validation errors -------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(
            f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items() if x is not None
        ) + "}"
    raise TypeError(type(v))


def dump_toml(data: dict[str, Any]) -> str:
    """Minimal TOML writer for tests: every top-level key as one inline value."""
    return "".join(
        f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in data.items() if v is not None
    )


def base_data() -> dict[str, Any]:
    return tomllib.loads(TEST_REGION.read_text(encoding="utf-8"))


def test_dump_toml_round_trips():
    data = base_data()
    assert tomllib.loads(dump_toml(data)) == data


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """Mutation setting a dotted path ("categories.2.primary"); value DELETE removes the key."""

    def mutate(d: dict) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        key: Any = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[key]
        else:
            node[key] = copy.deepcopy(value)

    return mutate


DELETE = object()


def _geojson(mutate: Callable[[dict], Any]) -> Callable[[Path], None]:
    def write(dir_: Path) -> None:
        gj = json.loads(TEST_GEOJSON.read_text())
        result = mutate(gj)
        text = result if isinstance(result, str) else json.dumps(result if result is not None else gj)
        (dir_ / "testregion.geojson").write_text(text)

    return write


def _append_informed(d: dict) -> None:
    d["categories"][0]["informed"].append("dinsosx")


def _dup_agency(d: dict) -> None:
    d["agencies"][1]["code"] = "satpolpp"


def _dup_category(d: dict) -> None:
    d["categories"][1]["code"] = "anak_jalanan"


def _dup_outcome(d: dict) -> None:
    d["agencies"][0]["outcomes"][1]["code"] = "ditertibkan"


def _two_unknown(d: dict) -> None:
    d["categories"][0]["primary"] = "polisi"
    d["categories"][4]["informed"] = ["rsj"]


BROKEN: list[tuple[str, Callable[[dict], None], list[str]]] = [
    ("unknown primary", _set("categories.2.primary", "satpol"),
     ["categories[2].primary: unknown agency 'satpol' (known: satpolpp, dinsos, dp3ap2kb, dinkes"]),
    ("unknown informed", _append_informed,
     ["categories[0].informed[2]: unknown agency 'dinsosx'"]),
    ("informed repeats primary", _set("categories.3.informed", ["satpolpp", "dinsos"]),
     ["categories[3].informed[1]: 'dinsos' is already the primary agency"]),
    ("two problems at once", _two_unknown,
     ["categories[0].primary: unknown agency 'polisi'", "categories[4].informed[0]: unknown agency 'rsj'"]),
    ("unknown donations agency", _set("donations.agency", "baznas"),
     ["donations.agency: unknown agency 'baznas'"]),
    ("duplicate agency", _dup_agency,
     ["agencies[1].code: duplicate agency code 'satpolpp' (also agencies[0])",
      "unknown agency 'dinsos' (known: satpolpp, dp3ap2kb, dinkes, disnaker)"]),
    ("duplicate category", _dup_category,
     ["categories[1].code: duplicate category code 'anak_jalanan'"]),
    ("duplicate kecamatan", _set("kecamatan.2.name", "ALPHA"),
     ["kecamatan[2].name: duplicate kecamatan 'ALPHA' (also kecamatan[0])"]),
    ("duplicate desa", _set("kecamatan.0.desa", ["Alpha Satu", "alpha satu"]),
     ["kecamatan[0].desa: duplicate desa 'alpha satu'"]),
    ("duplicate outcome", _dup_outcome,
     ["agencies[0].outcomes[1].code: duplicate outcome code 'ditertibkan'"]),
    ("bad timezone", _set("region.timezone", "Asia/Jakrta"),
     ["region.timezone: unknown timezone 'Asia/Jakrta'"]),
    ("timezone offset", _set("region.timezone", "UTC+7"),
     ["region.timezone: unknown timezone 'UTC+7'"]),
    ("lowercase prefix", _set("region.ticket_prefix", "uji"),
     ["region.ticket_prefix: ticket_prefix 'uji' must be 2 to 5 uppercase letters"]),
    ("long prefix", _set("region.ticket_prefix", "UJIUJI"), ["region.ticket_prefix:"]),
    ("bad region code", _set("region.code", "Kab Uji"), ["region.code: invalid code 'Kab Uji'"]),
    ("bbox unordered", _set("region.bbox", [112.2, -7.2, 112.0, -7.0]),
     ["region.bbox: bbox must be ordered min_lon, min_lat, max_lon, max_lat"]),
    ("bbox lat/lon swapped", _set("region.bbox", [-7.2, 112.0, -7.0, 112.2]),
     ["region.bbox: bbox latitudes must be within -90..90"]),
    ("bbox three numbers", _set("region.bbox", [112.0, -7.2, 112.2]), ["region.bbox"]),
    ("bbox not numbers", _set("region.bbox", ["a", "b", "c", "d"]), ["region.bbox[0]:"]),
    ("default language not offered", _set("region.default_language", "fr"),
     ["region: default_language 'fr' is not in languages"]),
    ("bad language", _set("region.languages", ["id", "English"]),
     ["region.languages: invalid language code 'English'"]),
    ("no categories", _set("categories", []), ["categories: List should have at least 1 item"]),
    ("no kecamatan", _set("kecamatan", []), ["kecamatan: List should have at least 1 item"]),
    ("no agencies", _set("agencies", []), ["agencies: List should have at least 1 item"]),
    ("no emergency numbers", _set("emergency", []), ["emergency: List should have at least 1 item"]),
    ("missing region", _set("region", DELETE), ["region: missing (required)"]),
    ("missing primary", _set("categories.0.primary", DELETE), ["categories[0].primary: missing (required)"]),
    ("label without id", _set("categories.1.label", {"en": "Beggars"}),
     ["categories[1].label: missing the Indonesian text 'id'"]),
    ("criteria without id", _set("categories.3.criteria", {"en": "Homeless"}),
     ["categories[3].criteria: missing the Indonesian text 'id'"]),
    ("empty label text", _set("agencies.0.short", {"id": " "}),
     ["agencies[0].short: text for language 'id' is empty"]),
    ("label not a table", _set("categories.0.label", "Anak jalanan"),
     ["categories[0].label: expected a TOML table (got 'Anak jalanan')"]),
    ("region not a table", _set("region", "Kabupaten Uji"), ["region: expected a TOML table"]),
    ("desa not an array", _set("kecamatan.0.desa", "Alpha Satu"), ["kecamatan[0].desa: expected an array"]),
    ("code with dash", _set("categories.0.code", "anak-jalanan"),
     ["categories[0].code: invalid code 'anak-jalanan'"]),
    ("code too long", _set("agencies.4.code", "dinas_ketenagakerjaan_kab"),
     ["agencies[4].code: invalid code"]),
    ("outcome code uppercase", _set("agencies.0.outcomes.0.code", "Ditertibkan"),
     ["agencies[0].outcomes[0].code: invalid code 'Ditertibkan'"]),
    ("zero response", _set("categories.0.response_minutes", 0),
     ["categories[0].response_minutes: Input should be greater than 0 (got 0)"]),
    ("response not a number", _set("categories.0.response_minutes", "dua jam"),
     ["categories[0].response_minutes: Input should be a valid integer"]),
    ("urgent slower than normal", _set("categories.0.urgent_response_minutes", 500),
     ["categories[0]: urgent_response_minutes (500) must not exceed response_minutes (120)"]),
    ("typo in field name", _set("categories.0.primry", "satpolpp"),
     ["categories[0].primry: unknown field"]),
    ("source_path from the file", _set("source_path", "/etc/passwd"), ["source_path: unknown field"]),
    ("bad emergency number", _set("emergency.0.number", "call us"),
     ["emergency[0].number: invalid phone number 'call us'"]),
    ("limits per day below per hour", _set("limits.reports_per_day", 2),
     ["limits: reports_per_day (2) must be at least reports_per_hour (3)"]),
    ("too many photos", _set("limits.max_photos", 20), ["limits.max_photos: Input should be less than or equal to 10"]),
    ("media kept longer than reports", _set("privacy.media_retention_days", 1000),
     ["privacy: media_retention_days (1000) must not exceed report_retention_days (730)"]),
    ("boundaries file missing", _set("region.boundaries", "nowhere.geojson"),
     ["region.boundaries: boundary file not found", "nowhere.geojson"]),
]


@pytest.mark.parametrize("name,mutate,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_config_names_file_and_field(tmp_path: Path, name, mutate, expected):
    data = base_data()
    mutate(data)
    shutil.copy(TEST_GEOJSON, tmp_path / "testregion.geojson")
    path = tmp_path / "broken.toml"
    path.write_text(dump_toml(data), encoding="utf-8")
    with pytest.raises(RegionConfigError) as exc:
        load_region_config(path)
    message = str(exc.value)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"
    for line in message.splitlines():
        assert line.startswith("broken.toml: "), message
    assert exc.value.path == path
    assert exc.value.problems


def _unknown_name(gj):
    gj["features"][1]["properties"]["kecamatan"] = "Delta"


def _point(gj):
    gj["features"][2]["geometry"] = {"type": "Point", "coordinates": [112.1, -7.15]}


def _no_name(gj):
    gj["features"][0]["properties"] = {"nama": "Alpha"}


def _projected(gj):
    gj["features"][0]["geometry"]["coordinates"] = [
        [[700000, 9210000], [711000, 9210000], [711000, 9221000], [700000, 9210000]]
    ]


BROKEN_GEOJSON = [
    ("unknown kecamatan", _geojson(_unknown_name),
     ["region.boundaries:", "features[1]", "'Delta' is not a configured kecamatan (known: Alpha, Beta, Gamma)"]),
    ("point geometry", _geojson(_point),
     ["region.boundaries:", "features[2] (Gamma): geometry type 'Point' not supported"]),
    ("missing name property", _geojson(_no_name),
     ["region.boundaries:", "features[0]: missing property 'kecamatan'"]),
    ("not a feature collection", _geojson(lambda gj: gj["features"][0]),
     ["region.boundaries:", "expected a GeoJSON FeatureCollection, got 'Feature'"]),
    ("empty collection", _geojson(lambda gj: {"type": "FeatureCollection", "features": []}),
     ["region.boundaries:", "has no features"]),
    ("invalid json", _geojson(lambda gj: '{"type": "FeatureCollection",\n "features": [,]}'),
     ["region.boundaries:", "invalid JSON at line 2"]),
    ("projected coordinates", _geojson(_projected),
     ["region.boundaries:", "not WGS84 longitude/latitude"]),
]


@pytest.mark.parametrize("name,write,expected", BROKEN_GEOJSON, ids=[b[0] for b in BROKEN_GEOJSON])
def test_broken_boundaries(tmp_path: Path, name, write, expected):
    shutil.copy(TEST_REGION, tmp_path / "broken.toml")
    write(tmp_path)
    with pytest.raises(RegionConfigError) as exc:
        load_region_config(tmp_path / "broken.toml")
    message = str(exc.value)
    assert message.startswith("broken.toml: region.boundaries: ")
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"


def test_toml_syntax_error_names_line(tmp_path: Path):
    text = TEST_REGION.read_text(encoding="utf-8").replace('ticket_prefix = "UJI"', 'ticket_prefix = "UJI')
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("ticket_prefix"))
    path = tmp_path / "syntax.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegionConfigError) as exc:
        load_region_config(path)
    message = str(exc.value)
    assert message.startswith("syntax.toml: TOML syntax error")
    assert f"line {line}" in message


def test_missing_file(tmp_path: Path):
    with pytest.raises(RegionConfigError, match=r"^absent\.toml: file not found"):
        load_region_config(tmp_path / "absent.toml")


def test_not_utf8(tmp_path: Path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[region]\nname = "Kabupaten Uji \xe9"\n'.encode("latin-1"))
    with pytest.raises(RegionConfigError, match="not UTF-8"):
        load_region_config(path)


def test_parse_region_config_without_file():
    data = base_data()
    data["region"].pop("boundaries")
    cfg = parse_region_config(data)
    assert cfg.source_path is None
    assert not cfg.placer.has_boundaries
    assert cfg.placer.place(-7.05, 112.05).inside_region is True  # bbox
    data["categories"][0]["primary"] = "nobody"
    with pytest.raises(RegionConfigError) as exc:
        parse_region_config(data)
    assert str(exc.value).startswith("<region config>: categories[0].primary: unknown agency")


def test_config_without_bbox_or_boundaries_places_unknown():
    data = base_data()
    data["region"].pop("boundaries")
    data["region"].pop("bbox")
    cfg = parse_region_config(data)
    p = cfg.placer.place(-7.05, 112.05)
    assert p.kecamatan is None and p.inside_region is None


def test_timezone_cached(uji: RegionConfig):
    assert uji.tz is uji.tz
    from datetime import datetime

    local = datetime(2026, 1, 1, 0, 0, tzinfo=UTC).astimezone(uji.tz)
    assert local.hour == 7
    assert math.isclose(local.utcoffset().total_seconds(), 7 * 3600)


# ---- the four bundled regions --------------------------------------------------------------

BUNDLED = {  # config file -> (name, Kemendagri code, kecamatan, desa/kelurahan, ticket prefix)
    "pasuruan.toml": ("Kabupaten Pasuruan", "35.14", 24, 365, "PSR"),
    "pamekasan.toml": ("Kabupaten Pamekasan", "35.28", 13, 189, "PMK"),
    "asahan.toml": ("Kabupaten Asahan", "12.09", 25, 204, "ASH"),
    "bekasi.toml": ("Kota Bekasi", "32.75", 12, 56, "BKS"),
}


@pytest.mark.parametrize("file", sorted(BUNDLED))
def test_each_bundled_region_passes_check_config_and_places_its_pins(file):
    import subprocess
    import sys

    from core.region import REGIONS_DIR

    name, code, kecamatan, desa, prefix = BUNDLED[file]
    done = subprocess.run([sys.executable, "-m", "lapor.cli", "check-config", str(REGIONS_DIR / file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"{name}: 7 categories, {kecamatan} kecamatan, ")
    assert done.stdout.strip().endswith(f"pack {code} with {desa} desa/kelurahan and their boundaries: OK")
    region = load_region_config(REGIONS_DIR / file)
    assert (region.region.name, region.kemendagri_code, region.region.ticket_prefix) == (name, code, prefix)
    # Its agencies carry the region's name; every category routes to one of them.
    assert all(name.split()[-1] in a.name.get("id") for a in region.agencies)
    # A pin in each kecamatan is placed in that kecamatan.
    for k in region.kecamatan:
        lat, lon = region.placer.point_in(k.code)
        placed = region.placer.place(lat, lon)
        assert placed.kecamatan == k.name and placed.desa_code.startswith(k.code + "."), (k.name, placed)
