"""A region's administrative areas by their Kemendagri codes: the kabupaten/kota, its kecamatan and
every desa/kelurahan, read from a `wilayah.csv` (the format of core/regions/packs/*/wilayah.csv:
code,name,level,parent_code; one header row).

Codes, not names, identify an area: names change between decrees ("Gondang Wetan" became
"Gondangwetan"), codes do not. A problem in the file is reported with the file, the row and what
to do about it, for an operator preparing a region that is not bundled.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

LEVELS_REGION = ("kabupaten", "kota")
LEVELS_AREA = ("desa", "kelurahan")
COLUMNS = ["code", "name", "level", "parent_code"]
REGION_CODE = re.compile(r"^\d{2}\.\d{2}$")
KECAMATAN_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
AREA_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")


_PREFIX = re.compile(r"^(kecamatan|kec|desa|des|kelurahan|kel|ds)\b\.?\s*", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


def normalise_name(name: str) -> str:
    """A place name as compared: no case, spaces, punctuation, nor a "Kec."/"Desa" in front, since
    decrees and residents write "Gondang Wetan", "Gondangwetan" and "kec. gondangwetan" alike."""
    return _NOT_ALNUM.sub("", _PREFIX.sub("", name.strip()).casefold())


class WilayahError(ValueError):
    """The file cannot be used; the message names the file, the row and the fix."""


@dataclass(frozen=True)
class Area:
    """A desa or kelurahan."""

    code: str  # 35.14.14.2001
    name: str
    level: str  # desa | kelurahan
    kecamatan_code: str  # 35.14.14
    kecamatan: str  # its kecamatan's name


@dataclass(frozen=True)
class KecamatanArea:
    code: str  # 35.14.14
    name: str
    areas: tuple[Area, ...]


@dataclass
class Wilayah:
    code: str  # 35.14
    name: str  # Kabupaten Pasuruan
    level: str  # kabupaten | kota
    kecamatan: list[KecamatanArea] = field(default_factory=list)

    @property
    def areas(self) -> list[Area]:
        return [a for k in self.kecamatan for a in k.areas]

    def area(self, code: str) -> Area | None:
        return next((a for a in self.areas if a.code == code), None)


def read_wilayah(path: str | Path) -> Wilayah:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise WilayahError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise WilayahError(f"{path.name}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip().lower() for c in rows[0]] != COLUMNS:
        raise WilayahError(f"{path.name}: row 1: the header must be {','.join(COLUMNS)} "
                           f"(found {','.join(rows[0]) if rows else 'an empty file'})")
    region: tuple[str, str, str] | None = None
    kecamatan: dict[str, tuple[str, list[tuple[str, str, str]]]] = {}
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 4:
            raise WilayahError(f"{path.name}: row {number}: expected 4 columns ({','.join(COLUMNS)}), "
                               f"found {len(row)}; quote a name that contains a comma")
        code, name, level, parent = (cell.strip() for cell in row)
        where = f"{path.name}: row {number} ({code or 'no code'})"
        if not name:
            raise WilayahError(f"{where}: the name is empty")
        if code in seen:
            raise WilayahError(f"{where}: the code appears twice; each area has one row")
        seen.add(code)
        if level in LEVELS_REGION:
            if not REGION_CODE.fullmatch(code):
                raise WilayahError(f"{where}: a {level}'s code looks like 35.14")
            if region is not None:
                raise WilayahError(f"{where}: a second {level} row; a file describes one kabupaten/kota")
            region = (code, name, level)
        elif level == "kecamatan":
            if not KECAMATAN_CODE.fullmatch(code):
                raise WilayahError(f"{where}: a kecamatan's code looks like 35.14.01")
            kecamatan[code] = (name, [])
        elif level in LEVELS_AREA:
            if not AREA_CODE.fullmatch(code):
                raise WilayahError(f"{where}: a {level}'s code looks like 35.14.01.2001")
            if parent != code.rsplit(".", 1)[0]:
                raise WilayahError(f"{where}: parent_code must be its kecamatan's code, "
                                   f"{code.rsplit('.', 1)[0]}")
            if parent not in kecamatan:
                raise WilayahError(f"{where}: its kecamatan {parent} has no row above it; "
                                   "list each kecamatan before its desa (sort the file by code)")
            kecamatan[parent][1].append((code, name, level))
        else:
            raise WilayahError(f"{where}: unknown level {level!r}; use one of "
                               f"{', '.join(LEVELS_REGION + ('kecamatan',) + LEVELS_AREA)}")
    if region is None:
        raise WilayahError(f"{path.name}: no kabupaten or kota row (e.g. 35.14,Kabupaten Pasuruan,kabupaten,35)")
    for code in kecamatan:
        if not code.startswith(region[0] + "."):
            raise WilayahError(f"{path.name}: kecamatan {code} is not in {region[1]} ({region[0]})")
    return Wilayah(region[0], region[1], region[2], [
        KecamatanArea(code, name, tuple(Area(c, n, lv, code, name) for c, n, lv in areas))
        for code, (name, areas) in kecamatan.items()])
