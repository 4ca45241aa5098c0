"""Gettext catalogues (Babel .po files), Indonesian first, English second.

Catalogues are read with Babel at start-up instead of compiled .mo files, so a fresh clone
needs no build step and a translator's edit to a .po file is live on the next start.
msgids are English; `id` is the default language of every region.
"""
from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).with_name("locales")
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


def N_(msgid: str) -> str:
    """Marks a msgid for extraction where it is translated later (menus, labels)."""
    return msgid


@cache
def _catalogue(lang: str) -> dict[str, Any]:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    out: dict[str, Any] = {}
    for msg in catalog:
        if not msg.id or msg.fuzzy:
            continue
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        if isinstance(msg.string, tuple):
            if all(msg.string):
                out[key] = tuple(msg.string)
        elif msg.string:
            out[key] = msg.string
    return out


def _escape(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: html.escape(v, quote=False) if isinstance(v, str) else v for k, v in kwargs.items()}


class Translator:
    """`tr("Hello {name}", name=x)` -> translated, with str arguments HTML-escaped (parse_mode HTML).

    `tr.plain(...)` leaves arguments as they are: for button labels and alert texts, which
    Telegram never parses as HTML.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def gettext(self, msgid: str) -> str:
        found = _catalogue(self.lang).get(msgid)
        return found[0] if isinstance(found, tuple) else (found or msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = _catalogue(self.lang).get(singular)
        if isinstance(found, tuple):
            # Indonesian has one form; English two.
            return found[0] if len(found) == 1 or n == 1 else found[1]
        return singular if n == 1 else plural

    def __call__(self, msgid: str, **kwargs: Any) -> str:
        text = self.gettext(msgid)
        return text.format(**_escape(kwargs)) if kwargs else text

    def plain(self, msgid: str, **kwargs: Any) -> str:
        text = self.gettext(msgid)
        return text.format(**kwargs) if kwargs else text

    def n(self, singular: str, plural: str, n: int, **kwargs: Any) -> str:
        return self.ngettext(singular, plural, n).format(n=n, **_escape(kwargs))


@cache
def translator(lang: str) -> Translator:
    return Translator(lang)


def all_translations(msgid: str) -> frozenset[str]:
    """Every language's rendering of a msgid: to recognise a reply-keyboard button's text."""
    return frozenset(translator(lang).gettext(msgid) for lang in LANGUAGES)
