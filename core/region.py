"""Region configuration: agencies, categories and routing, kecamatan, limits, emergency numbers.

A region (kabupaten/kota) is described by one TOML file (see `core/regions/pasuruan.toml`, the
product default). `load_region_config(path)` reads and validates it; every problem is reported
as a `RegionConfigError` whose message names the file and the field path, e.g.::

    pasuruan.toml: categories[2].primary: unknown agency 'satpol' (known: satpolpp, dinsos, ...)
"""
from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from core.desa_placement import PackPlacer
from core.placement import BoundaryFileError, KecamatanPlacer, Placer
from core.wilayah import WilayahError, normalise_name, read_wilayah

Lang = str  # "id" or "en"

# Codes travel in Telegram callback data (64 bytes). 24, not 20: the domain's outcome code
# "dipulangkan_daerah_asal" has 23 characters.
CODE_MAX = 24
CODE_RE = re.compile(rf"^[a-z0-9_]{{1,{CODE_MAX}}}$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
PREFIX_RE = re.compile(r"^[A-Z]{2,5}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{1,19}$")

REGIONS_DIR = Path(__file__).resolve().parent / "regions"


def default_region_path() -> Path:
    """The bundled default region config (Kabupaten Pasuruan)."""
    return REGIONS_DIR / "pasuruan.toml"


def _check_code(value: str) -> str:
    if not CODE_RE.fullmatch(value):
        raise ValueError(
            f"invalid code {value!r}: use 1-{CODE_MAX} characters a-z, 0-9, _ "
            "(codes go into Telegram callback data)"
        )
    return value


Code = Annotated[str, AfterValidator(_check_code)]


class _Model(BaseModel):
    # Unknown keys are errors: a typo in the TOML should not silently fall back to a default.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Localized(RootModel[dict[str, str]]):
    """Text in several languages, e.g. {"id": "Anak jalanan", "en": "Street children"}.

    "id" (Indonesian) is required and is the fallback for any missing language.
    """

    @model_validator(mode="after")
    def _check(self) -> Localized:
        for lang, text in self.root.items():
            if not LANG_RE.fullmatch(lang):
                raise ValueError(f"invalid language code {lang!r} (expected e.g. 'id', 'en')")
            if not text.strip():
                raise ValueError(f"text for language {lang!r} is empty")
        if "id" not in self.root:
            raise ValueError("missing the Indonesian text 'id' (needed as the fallback)")
        return self

    def get(self, lang: Lang | None = None) -> str:
        """The text in `lang`, falling back to Indonesian."""
        if lang:
            text = self.root.get(lang)
            if text is None and "-" in lang:  # "en-US" -> "en"
                text = self.root.get(lang.split("-", 1)[0].lower())
            if text is not None:
                return text
        return self.root["id"]

    def __getitem__(self, lang: Lang) -> str:
        return self.get(lang)

    def __str__(self) -> str:
        return self.root["id"]

    @property
    def languages(self) -> list[str]:
        return list(self.root)


class Outcome(_Model):
    code: Code
    label: Localized
    counts_persons: bool = False  # closing with this outcome asks for the number of persons


class Agency(_Model):
    code: Code
    name: Localized
    short: Localized
    outcomes: list[Outcome] = []
    duty_chat_id: int | None = None  # Telegram group of the agency's duty officers

    def outcome(self, code: str) -> Outcome:
        for o in self.outcomes:
            if o.code == code:
                return o
        raise KeyError(f"agency {self.code!r} has no outcome {code!r}")


class Category(_Model):
    code: Code
    label: Localized
    criteria: Localized  # shown to the reporter as help
    primary: str  # agency code of the queue that receives the report
    informed: list[str] = []  # agency codes told about the report
    response_minutes: int = Field(gt=0)  # target time to acknowledge
    urgent_response_minutes: int = Field(gt=0)  # target when the reporter marks it urgent
    close_hours: int = Field(24, gt=0)  # target time from acknowledgement to closure
    emoji: str = ""
    source: str = ""  # legal source of the criteria

    @model_validator(mode="after")
    def _check_urgent(self) -> Category:
        if self.urgent_response_minutes > self.response_minutes:
            raise PydanticCustomError(
                "urgent_too_long",
                "urgent_response_minutes ({urgent}) must not exceed response_minutes ({normal})",
                {"urgent": self.urgent_response_minutes, "normal": self.response_minutes},
            )
        return self

    @property
    def agencies(self) -> list[str]:
        """Primary first, then the informed agencies."""
        return [self.primary, *self.informed]


class Kecamatan(_Model):
    name: str = Field(min_length=1, max_length=100)
    desa: list[str] = []
    # From a region pack: Kemendagri codes of the kecamatan and of each desa (same order as `desa`).
    code: str | None = None
    desa_codes: list[str] = []

    @field_validator("desa")
    @classmethod
    def _check_desa(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for i, d in enumerate(v):
            d = d.strip()
            if not d:
                raise ValueError(f"desa[{i}] is empty")
            key = " ".join(d.split()).casefold()
            if key in seen:
                raise ValueError(f"duplicate desa {d!r}")
            seen.add(key)
        return [d.strip() for d in v]

    def desa_by_name(self, name: str) -> str | None:
        key = " ".join(name.split()).casefold()
        for d in self.desa:
            if " ".join(d.split()).casefold() == key:
                return d
        return None

    def desa_code(self, name: str) -> str | None:
        """The Kemendagri code of one of this kecamatan's desa (None without a pack)."""
        if name in self.desa and self.desa_codes:
            return self.desa_codes[self.desa.index(name)]
        return None


class RegionInfo(_Model):
    code: Code
    name: str = Field(min_length=1)
    ticket_prefix: str
    timezone: str
    default_language: str = "id"
    languages: list[str] = ["id", "en"]
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    boundaries: str | None = None  # GeoJSON path, relative to the TOML file
    boundary_name_property: str = "kecamatan"
    # A region pack (core/regions/packs/README.md): a folder, relative to the TOML file, holding
    # wilayah.csv (the kecamatan and desa come from it) and desa.geojson (pins are placed in a desa).
    pack: str | None = None
    snap_metres: float = Field(default=300.0, ge=0, le=5000)

    @field_validator("ticket_prefix")
    @classmethod
    def _check_prefix(cls, v: str) -> str:
        if not PREFIX_RE.fullmatch(v):
            raise ValueError(f"ticket_prefix {v!r} must be 2 to 5 uppercase letters A-Z")
        return v

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {v!r} (use an IANA name such as Asia/Jakarta, "
                "Asia/Makassar or Asia/Jayapura)"
            ) from None
        return v

    @field_validator("languages")
    @classmethod
    def _check_langs(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one language is needed")
        for lang in v:
            if not LANG_RE.fullmatch(lang):
                raise ValueError(f"invalid language code {lang!r}")
        if len(set(v)) != len(v):
            raise ValueError("duplicate language")
        return v

    @field_validator("bbox")
    @classmethod
    def _check_bbox(cls, v: tuple[float, float, float, float] | None):
        if v is None:
            return v
        min_lon, min_lat, max_lon, max_lat = v
        if not all(math.isfinite(x) for x in v):
            raise ValueError("bbox values must be finite numbers")
        if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
            raise ValueError("bbox longitudes must be within -180..180 (order: min_lon, min_lat, max_lon, max_lat)")
        if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
            raise ValueError("bbox latitudes must be within -90..90 (order: min_lon, min_lat, max_lon, max_lat)")
        if not (min_lon < max_lon and min_lat < max_lat):
            raise ValueError(
                "bbox must be ordered min_lon, min_lat, max_lon, max_lat with min < max"
            )
        return v

    @field_validator("boundaries")
    @classmethod
    def _check_boundaries(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            return None
        return v

    @model_validator(mode="after")
    def _check_default_lang(self) -> RegionInfo:
        if self.default_language not in self.languages:
            raise PydanticCustomError(
                "default_language",
                "default_language {lang} is not in languages {langs}",
                {"lang": repr(self.default_language), "langs": self.languages},
            )
        return self


class Limits(_Model):
    reports_per_hour: int = Field(3, gt=0)
    reports_per_day: int = Field(10, gt=0)
    description_max_chars: int = Field(1000, gt=0, le=4000)
    landmark_max_chars: int = Field(200, gt=0, le=4000)
    info_max_chars: int = Field(1000, gt=0, le=4000)
    max_photos: int = Field(3, ge=0, le=10)
    draft_ttl_hours: int = Field(72, gt=0)
    # A new report this close (metres) and recent (hours) to an open one of the same category is
    # linked to it as a likely duplicate.
    nearby_metres: int = Field(300, gt=0, le=5000)
    nearby_hours: int = Field(24, gt=0, le=168)
    # Floods: what one resident may add. Information added to one report (each a message the
    # officers read), and donation pledges in a day (each one Dinsos must follow up by hand).
    info_additions_per_report: int = Field(10, gt=0, le=100)
    pledges_per_day: int = Field(3, gt=0, le=50)
    # An Open311 partner's key (a call centre, another app) files for many people: its own floor.
    partner_reports_per_hour: int = Field(60, gt=0)
    partner_reports_per_day: int = Field(500, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Limits:
        if self.reports_per_day < self.reports_per_hour:
            raise PydanticCustomError(
                "limits_order",
                "reports_per_day ({day}) must be at least reports_per_hour ({hour})",
                {"day": self.reports_per_day, "hour": self.reports_per_hour},
            )
        if self.partner_reports_per_day < self.partner_reports_per_hour:
            raise PydanticCustomError(
                "limits_order",
                "partner_reports_per_day ({day}) must be at least partner_reports_per_hour ({hour})",
                {"day": self.partner_reports_per_day, "hour": self.partner_reports_per_hour},
            )
        return self


class EmergencyNumber(_Model):
    number: str
    label: Localized

    @field_validator("number")
    @classmethod
    def _check_number(cls, v: str) -> str:
        if not PHONE_RE.fullmatch(v):
            raise ValueError(f"invalid phone number {v!r}")
        return v


class Privacy(_Model):
    media_retention_days: int = Field(90, gt=0)  # photos purged this long after closure
    report_retention_days: int = Field(730, gt=0)  # reports anonymised/purged after closure
    # A donor's contact (phone number) is erased this long after the pledge: Dinsos has called
    # them by then, and a pledge needs no phone number to be counted.
    pledge_contact_days: int = Field(90, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Privacy:
        if self.media_retention_days > self.report_retention_days:
            raise PydanticCustomError(
                "retention_order",
                "media_retention_days ({media}) must not exceed report_retention_days ({report})",
                {"media": self.media_retention_days, "report": self.report_retention_days},
            )
        return self


class Summaries(_Model):
    """When scheduled summaries go out: cron expressions (minute hour day month day-of-week) in the
    region's timezone."""

    daily: str = "0 7 * * *"
    weekly: str = "0 7 * * mon"
    monthly: str = "0 7 1 * *"

    @field_validator("daily", "weekly", "monthly")
    @classmethod
    def _check_cron(cls, v: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v)
        except ValueError as exc:
            raise PydanticCustomError("cron", "not a valid cron expression: {error}", {"error": str(exc)}) from None
        return v


class Donations(_Model):
    enabled: bool = True
    agency: str = "dinsos"  # pledges are routed to this agency (BAB V: through Dinas Sosial)


class RegionConfig(_Model):
    region: RegionInfo
    agencies: list[Agency] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    kecamatan: list[Kecamatan] = Field(min_length=1)
    limits: Limits = Field(default_factory=Limits)
    emergency: list[EmergencyNumber] = Field(min_length=1)
    privacy: Privacy = Field(default_factory=Privacy)
    donations: Donations = Field(default_factory=Donations)
    summaries: Summaries = Field(default_factory=Summaries)

    _source_path: Path | None = PrivateAttr(default=None)
    _placer: KecamatanPlacer | PackPlacer | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _kecamatan_from_pack(cls, data: Any, info: ValidationInfo) -> Any:
        """With a pack, the kecamatan and their desa are read from its wilayah.csv, by code."""
        region = data.get("region") if isinstance(data, dict) else None
        pack = region.get("pack") if isinstance(region, dict) else None
        if not isinstance(pack, str) or not pack.strip():
            return data
        if data.get("kecamatan"):
            raise PydanticCustomError("region_config", "kecamatan: with [region] pack, the kecamatan come from the "
                                      "pack's wilayah.csv; remove the [[kecamatan]] sections")
        try:
            wilayah = read_wilayah(_pack_dir(pack, info) / "wilayah.csv")
        except WilayahError as e:
            raise PydanticCustomError("region_config", "region.pack: {problem}", {"problem": str(e)}) from None
        # In alphabetical order, as a resident looks for a name in a list; codes keep their identity.
        kecamatan = []
        for k in sorted(wilayah.kecamatan, key=lambda k: k.name.casefold()):
            areas = sorted(k.areas, key=lambda a: a.name.casefold())
            kecamatan.append({"name": k.name, "code": k.code, "desa": [a.name for a in areas],
                              "desa_codes": [a.code for a in areas]})
        return {**data, "kecamatan": kecamatan}

    # -- the file it came from (not part of the TOML input) ------------------------------

    @property
    def source_path(self) -> Path | None:
        return self._source_path

    @source_path.setter
    def source_path(self, value: str | Path | None) -> None:
        self._source_path = Path(value) if value is not None else None

    # -- cross-references ----------------------------------------------------------------

    @model_validator(mode="after")
    def _check_references(self, info: ValidationInfo) -> RegionConfig:
        problems: list[tuple[tuple[Any, ...], str]] = []
        agency_codes = [a.code for a in self.agencies]
        known = ", ".join(dict.fromkeys(agency_codes))

        def dupes(items: Iterable[str], what: str, field: str, key=lambda s: s) -> None:
            first: dict[Any, int] = {}
            for i, item in enumerate(items):
                k = key(item)
                if k in first:
                    problems.append(
                        ((field, i, "code" if field != "kecamatan" else "name"),
                         f"duplicate {what} {item!r} (also {field}[{first[k]}])")
                    )
                else:
                    first[k] = i

        dupes(agency_codes, "agency code", "agencies")
        dupes([c.code for c in self.categories], "category code", "categories")
        dupes([k.name for k in self.kecamatan], "kecamatan", "kecamatan",
              key=lambda s: " ".join(s.split()).casefold())
        for ai, agency in enumerate(self.agencies):
            seen: dict[str, int] = {}
            for oi, o in enumerate(agency.outcomes):
                if o.code in seen:
                    problems.append((("agencies", ai, "outcomes", oi, "code"),
                                     f"duplicate outcome code {o.code!r} (also outcomes[{seen[o.code]}])"))
                else:
                    seen[o.code] = oi

        def unknown(code: str) -> str:
            return f"unknown agency {code!r} (known: {known})"

        for ci, cat in enumerate(self.categories):
            if cat.primary not in agency_codes:
                problems.append((("categories", ci, "primary"), unknown(cat.primary)))
            seen_inf: set[str] = set()
            for ii, code in enumerate(cat.informed):
                if code not in agency_codes:
                    problems.append((("categories", ci, "informed", ii), unknown(code)))
                elif code == cat.primary:
                    problems.append((("categories", ci, "informed", ii),
                                     f"{code!r} is already the primary agency"))
                elif code in seen_inf:
                    problems.append((("categories", ci, "informed", ii),
                                     f"duplicate informed agency {code!r}"))
                seen_inf.add(code)
        if self.donations.agency not in agency_codes:
            problems.append((("donations", "agency"), unknown(self.donations.agency)))

        if self.region.pack and not problems:
            try:
                self._placer = PackPlacer.from_folder(_pack_dir(self.region.pack, info),
                                                      snap_metres=self.region.snap_metres)
            except (BoundaryFileError, WilayahError) as e:
                problems.append((("region", "pack"), str(e)))
        elif self.region.boundaries and not problems:
            base_dir = (info.context or {}).get("base_dir") if info is not None else None
            try:
                self._placer = KecamatanPlacer.from_region(
                    self.region, base_dir, kecamatan=[k.name for k in self.kecamatan]
                )
            except BoundaryFileError as e:
                problems.append((("region", "boundaries"), str(e)))

        if problems:
            summary = "\n".join(f"{format_loc(loc)}: {msg}" for loc, msg in problems)
            raise PydanticCustomError(
                "region_config", "{summary}", {"summary": summary, "problems": problems}
            )
        return self

    # -- look-ups ------------------------------------------------------------------------

    def agency(self, code: str) -> Agency:
        for a in self.agencies:
            if a.code == code:
                return a
        raise KeyError(f"unknown agency {code!r}")

    def category(self, code: str) -> Category:
        for c in self.categories:
            if c.code == code:
                return c
        raise KeyError(f"unknown category {code!r}")

    # Words for a code kept in a report: the code itself when the config no longer has it (a
    # category or outcome renamed since), so an old report still reads.
    def category_label(self, code: str, lang: str | None) -> str:
        try:
            return self.category(code).label.get(lang)
        except KeyError:
            return code

    def agency_label(self, code: str, lang: str | None) -> str:
        try:
            return self.agency(code).short.get(lang)
        except KeyError:
            return code

    def outcome_label(self, agency: str, code: str, lang: str | None) -> str:
        try:
            return self.agency(agency).outcome(code).label.get(lang)
        except KeyError:
            return code

    def kecamatan_by_name(self, name: str) -> Kecamatan | None:
        """Case-, space- and punctuation-insensitive ("gondang  wetan" finds "Gondangwetan")."""
        key = normalise_name(name)
        return next((k for k in self.kecamatan if normalise_name(k.name) == key), None)

    @property
    def kecamatan_names(self) -> list[str]:
        return [k.name for k in self.kecamatan]

    def categories_for_agency(self, code: str) -> list[Category]:
        """Categories whose primary queue is this agency."""
        return [c for c in self.categories if c.primary == code]

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.region.timezone)

    @property
    def kemendagri_code(self) -> str | None:
        """The region's Kemendagri code (35.14), when it has a pack."""
        return self._placer.wilayah.code if isinstance(self._placer, PackPlacer) else None

    def kecamatan_by_code(self, code: str) -> Kecamatan | None:
        return next((k for k in self.kecamatan if k.code == code), None)

    def desa_by_code(self, code: str) -> tuple[Kecamatan, str] | None:
        """(its kecamatan, the desa's name) for a desa's Kemendagri code."""
        kecamatan = self.kecamatan_by_code(code.rsplit(".", 1)[0])
        if kecamatan is None or code not in kecamatan.desa_codes:
            return None
        return kecamatan, kecamatan.desa[kecamatan.desa_codes.index(code)]

    @cached_property
    def placer(self) -> Placer:
        """Pin placement: a region pack's desa boundaries, or kecamatan boundaries if configured
        (parsed and checked at load time), else a bbox-only check, else "unknown"."""
        if self._placer is not None:
            return self._placer
        base_dir = self._source_path.parent if self._source_path is not None else None
        return KecamatanPlacer.from_region(
            self.region, base_dir, kecamatan=[k.name for k in self.kecamatan]
        )


def _pack_dir(pack: str, info: ValidationInfo | None) -> Path:
    path = Path(pack)
    base_dir = (info.context or {}).get("base_dir") if info is not None else None
    return path if path.is_absolute() or base_dir is None else Path(base_dir) / path


# ---- loading ---------------------------------------------------------------------------


class RegionConfigError(Exception):
    """A region config that cannot be used. `str()` lists every problem, one a line, each as
    "<file>: <field path>: <message>"; `problems` holds the "<field path>: <message>" parts."""

    def __init__(self, path: str | Path | None, problems: list[str]) -> None:
        self.path = Path(path) if path is not None else None
        self.problems = list(problems)
        name = self.path.name if self.path is not None else "<region config>"
        super().__init__("\n".join(f"{name}: {p}" for p in self.problems))


def format_loc(loc: Iterable[Any]) -> str:
    """('categories', 2, 'primary') -> 'categories[2].primary'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _short_repr(value: Any, limit: int = 60) -> str:
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _format_validation_error(err: ValidationError) -> list[str]:
    lines: list[str] = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        etype = e["type"]
        if etype == "region_config":
            for ploc, msg in e["ctx"]["problems"]:
                lines.append(f"{format_loc(loc + tuple(ploc))}: {msg}")
            continue
        path = format_loc(loc) or "(top level)"
        if etype == "missing":
            msg = "missing (required)"
        elif etype == "extra_forbidden":
            msg = "unknown field (check the spelling)"
        elif etype in ("dict_type", "model_type", "model_attributes_type"):
            msg = f"expected a TOML table (got {_short_repr(e.get('input'))})"
        elif etype in ("list_type", "tuple_type"):
            msg = f"expected an array (got {_short_repr(e.get('input'))})"
        elif etype == "value_error":
            msg = str(e["ctx"]["error"]) if "ctx" in e else e["msg"]
        else:
            msg = e["msg"]
            inp = e.get("input")
            if not isinstance(inp, (dict, list)) and etype not in {
                "urgent_too_long", "limits_order", "retention_order", "default_language",
            }:
                msg += f" (got {_short_repr(inp)})"
        lines.append(f"{path}: {msg}")
    return lines


def parse_region_config(
    data: dict[str, Any], *, source: str | Path | None = None, base_dir: str | Path | None = None
) -> RegionConfig:
    """Validate already-parsed TOML data. base_dir resolves a relative boundaries path
    (default: the directory of `source`)."""
    if base_dir is None and source is not None:
        base_dir = Path(source).resolve().parent
    try:
        cfg = RegionConfig.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as e:
        raise RegionConfigError(source, _format_validation_error(e)) from None
    if source is not None:
        cfg.source_path = Path(source).resolve()
    return cfg


def load_region_config(path: str | Path | None = None) -> RegionConfig:
    """Read and validate a region TOML file; None loads the bundled Pasuruan default."""
    path = Path(path) if path is not None else default_region_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RegionConfigError(path, [f"file not found ({path})"]) from None
    except OSError as e:
        raise RegionConfigError(path, [f"cannot read file ({e.strerror or e})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RegionConfigError(path, [f"not UTF-8 text (byte {e.start})"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # The message carries "(at line N, column M)".
        raise RegionConfigError(path, [f"TOML syntax error: {e}"]) from None
    return parse_region_config(data, source=path)


__all__ = [
    "Agency",
    "Category",
    "Donations",
    "EmergencyNumber",
    "Kecamatan",
    "Lang",
    "Limits",
    "Localized",
    "Outcome",
    "Privacy",
    "RegionConfig",
    "RegionConfigError",
    "RegionInfo",
    "default_region_path",
    "format_loc",
    "load_region_config",
    "parse_region_config",
]
