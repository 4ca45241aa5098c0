"""Finding a kecamatan or desa from what a resident typed.

Kemendagri decrees spell the same place differently ("Gondang Wetan", "Gondangwetan"; "Oro Oro
Puleh", "Oro-Oro Pule"), and residents type in lower case, with or without spaces and with the
word "kecamatan" or "desa" in front. Names are compared without case, spaces, punctuation or
such a prefix; failing an exact match, names that start with what was typed, then names that are
close (difflib, for a letter or two wrong), are offered as "did you mean" choices.
"""
from __future__ import annotations

import difflib

from core.region import Kecamatan, RegionConfig
from core.wilayah import normalise_name as normalise

CLOSE = 0.75  # difflib ratio: one or two letters wrong in a name of seven or more
MAX_CHOICES = 6


def _best(typed: str, names: dict[str, list[int]]) -> list[int]:
    """Indexes whose normalised name equals, starts with, or is close to `typed` (normalised)."""
    if not typed:
        return []
    if typed in names:
        return names[typed]
    starting = [i for name, ids in names.items() if name.startswith(typed) and len(typed) >= 3 for i in ids]
    if starting:
        return starting[:MAX_CHOICES]
    close = difflib.get_close_matches(typed, list(names), n=MAX_CHOICES, cutoff=CLOSE)
    return [i for name in close for i in names[name]][:MAX_CHOICES]


def match_kecamatan(region: RegionConfig, typed: str) -> list[Kecamatan]:
    """One kecamatan when the name is certain; several to choose from; none when nothing is close."""
    names: dict[str, list[int]] = {}
    for index, kecamatan in enumerate(region.kecamatan):
        names.setdefault(normalise(kecamatan.name), []).append(index)
    return [region.kecamatan[i] for i in _best(normalise(typed), names)]


def match_desa(kecamatan: Kecamatan, typed: str) -> list[str]:
    """The desa of one kecamatan that match what was typed (same rules as match_kecamatan)."""
    names: dict[str, list[int]] = {}
    for index, desa in enumerate(kecamatan.desa):
        names.setdefault(normalise(desa), []).append(index)
    return [kecamatan.desa[i] for i in _best(normalise(typed), names)]
