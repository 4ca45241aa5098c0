"""The gettext catalogues against the current code.

Everything here is computed from the code (Babel extraction), never from a frozen list, so a new
text in the code fails these tests until it is extracted and translated:

    python -m lapor.i18n_tools update     # then translate core/locales/id/LC_MESSAGES/messages.po
    python -m lapor.i18n_tools check
"""
from __future__ import annotations

import re
import textwrap
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message

from bot.menus import main_menu
from core.i18n import LANGUAGES, Translator, all_translations
from lapor import i18n_tools

FIX = (
    "run `python -m lapor.i18n_tools update`, translate what it lists in "
    "core/locales/id/LC_MESSAGES/messages.po, then `python -m lapor.i18n_tools check`"
)
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*>")


@cache
def template() -> Catalog:
    return i18n_tools.extract()


@cache
def catalogue(lang: str) -> Catalog:
    path = i18n_tools.po_path(lang)
    assert path.exists(), f"{path} is missing: {FIX}"
    return i18n_tools.read_catalog(path, lang)


def code_messages() -> list[Message]:
    return sorted((m for m in template() if m.id), key=i18n_tools.msgid_key)


def key(message: Message) -> str:
    return i18n_tools.msgid_key(message)


def is_plural(message: Message) -> bool:
    return isinstance(message.id, (list, tuple))


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string or ""]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def tags(text: str) -> Counter[str]:
    return Counter(f"<{slash}{name.lower()}>" for slash, name in TAG.findall(text))


def expected_placeholders(source: Message, lang: str, index: int) -> set[str]:
    if not is_plural(source):
        return placeholders(source.id)
    if lang == "en":  # msgstr[0] is the singular, msgstr[1] the plural
        return placeholders(source.id[min(index, 1)])
    # Indonesian has one form for every count: it needs whatever either English form shows.
    return placeholders(source.id[0]) | placeholders(source.id[1])


def expected_tags(source: Message, lang: str, index: int) -> Counter[str]:
    if not is_plural(source):
        return tags(source.id)
    return tags(source.id[min(index, 1)] if lang == "en" else source.id[1])


def translations(lang: str):
    """(template message, msgstr index, non-empty msgstr) of every translated text of a language."""
    for source in code_messages():
        translated = catalogue(lang).get(source.id, source.context)
        if translated is None or translated.fuzzy:
            continue
        for index, text in enumerate(forms(translated)):
            if text:
                yield source, index, text


def report(problems: list[str], what: str) -> str:
    shown = "\n".join(f"  {p}" for p in problems[:60])
    more = f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else ""
    return f"{len(problems)} {what}:\n{shown}{more}\nTo fix: {FIX}."


class AnyValue:
    """Fills any placeholder, whatever its format spec ({n}, {lat:.5f}, ...)."""

    def __format__(self, spec: str) -> str:
        return "X"


# -- (e) the template is up to date -----------------------------------------------------------


def test_pot_is_up_to_date_with_the_code():
    assert i18n_tools.POT_PATH.exists(), f"{i18n_tools.POT_PATH} is missing: {FIX}"
    in_code = {m.id if isinstance(m.id, str) else tuple(m.id) for m in template() if m.id}
    pot = i18n_tools.read_catalog(i18n_tools.POT_PATH)
    in_pot = {m.id if isinstance(m.id, str) else tuple(m.id) for m in pot if m.id}
    new = sorted(map(str, in_code - in_pot))
    gone = sorted(map(str, in_pot - in_code))
    assert not new and not gone, (
        "core/locales/messages.pot is out of date with the code; run `python -m lapor.i18n_tools update` "
        "(then translate the new Indonesian entries).\n"
        + "".join(f"  new in the code: {m!r}\n" for m in new)
        + "".join(f"  no longer in the code: {m!r}\n" for m in gone)
    )


def test_extraction_finds_every_marking_style(tmp_path: Path):
    package = tmp_path / "core"
    package.mkdir()
    (package / "sample.py").write_text(textwrap.dedent('''
        LABEL = N_("A label")

        def render(tr, kind, count):
            tr("Hello {name}", name="not a msgid")
            tr.plain("A button")
            tr.n("{n} day", "{n} days", count)
            tr("Implicitly " "joined")
            return tr(LABEL if kind == "not a msgid either" else LABEL)
    '''), encoding="utf-8")
    found = {m.id if isinstance(m.id, str) else tuple(m.id) for m in i18n_tools.extract(tmp_path) if m.id}
    assert found == {"A label", "Hello {name}", "A button", ("{n} day", "{n} days"), "Implicitly joined"}


# -- (a) every msgid has an Indonesian translation ----------------------------------------------


def test_every_msgid_has_an_indonesian_translation():
    id_catalogue = catalogue("id")
    problems = []
    for source in code_messages():
        translated = id_catalogue.get(source.id, source.context)
        if translated is None:
            problems.append(f"not in the Indonesian catalogue: {key(source)!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy (needs review): {key(source)!r}")
        elif not all(forms(translated)):
            problems.append(f"untranslated: {key(source)!r}")
    assert not problems, report(problems, "msgid(s) without an Indonesian translation")


def test_indonesian_plural_entries_have_one_form():
    assert catalogue("id").num_plurals == 1, "core/locales/id: Plural-Forms must be nplurals=1; plural=0;"
    for source in code_messages():
        if is_plural(source):
            translated = catalogue("id").get(source.id)
            assert translated is not None and len(forms(translated)) == 1, key(source)


def test_english_plural_entries_are_filled():
    problems = []
    for source in code_messages():
        if not is_plural(source):
            continue
        translated = catalogue("en").get(source.id)
        if translated is None or translated.fuzzy or len(forms(translated)) != 2 or not all(forms(translated)):
            problems.append(f"{key(source)!r}: needs msgstr[0] (singular) and msgstr[1] (plural)")
    assert not problems, report(problems, "English plural entr(y/ies) incomplete")


def test_english_catalogue_lists_every_msgid():
    missing = [key(m) for m in code_messages() if catalogue("en").get(m.id, m.context) is None]
    assert not missing, report([repr(m) for m in missing], "msgid(s) missing from the English catalogue")


# -- (b) placeholders, (c) HTML tags --------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match(lang: str):
    problems = []
    for source, index, text in translations(lang):
        want, got = expected_placeholders(source, lang, index), placeholders(text)
        if want != got:
            problems.append(f"{key(source)!r}: msgstr[{index}] has {sorted(got)}, expected {sorted(want)}")
    assert not problems, report(problems, f"{lang} translation(s) with different placeholders")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_tags_match(lang: str):
    problems = []
    for source, index, text in translations(lang):
        want, got = expected_tags(source, lang, index), tags(text)
        if want != got:
            problems.append(f"{key(source)!r}: msgstr[{index}] has {dict(got)}, expected {dict(want)}")
    assert not problems, report(problems, f"{lang} translation(s) with different HTML tags")


# -- (d) the translations render --------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_msgid_renders(lang: str):
    tr = Translator(lang)
    problems = []
    for source in code_messages():
        fields = {name.split(":")[0].split("!")[0].split(".")[0].split("[")[0]
                  for part in (source.id if is_plural(source) else [source.id])
                  for name in (p[1:-1] for p in placeholders(part))}
        values = {name: AnyValue() for name in fields if name}
        try:
            if is_plural(source):
                values.pop("n", None)
                for count in (1, 2, 5):
                    assert tr.n(source.id[0], source.id[1], count, **values)
            elif values:
                assert tr(source.id, **values) and tr.plain(source.id, **values)
            else:
                assert tr(source.id)
        except Exception as exc:  # noqa: BLE001 - every failure is reported with its msgid
            problems.append(f"{key(source)!r}: {type(exc).__name__}: {exc}")
    assert not problems, report(problems, f"msgid(s) that do not render in {lang}")


def test_indonesian_main_menu_is_translated():
    english = [button.text for row in main_menu(Translator("en")).keyboard for button in row]
    indonesian = [button.text for row in main_menu(Translator("id")).keyboard for button in row]
    assert len(english) == len(indonesian) and english
    for en, id_ in zip(english, indonesian, strict=True):
        assert id_ and id_ != en, f"main menu label {en!r} is not translated into Indonesian"
        assert {en, id_} <= all_translations(en), en
    assert len(set(indonesian)) == len(indonesian), f"two Indonesian menu labels are the same: {indonesian}"


def test_indonesian_is_the_default_and_differs_from_english():
    assert Translator("xx").lang == "id"
    differs = [m for m in code_messages() if not is_plural(m) and Translator("id").gettext(m.id) != m.id]
    # Short codes and names ("Kec. {name}") may stay as they are, but most texts must change.
    assert len(differs) >= 0.8 * len(code_messages()), "most Indonesian texts are still English"


def test_plurals_render_in_both_languages():
    for source in (m for m in code_messages() if is_plural(m)):
        singular, plural = source.id
        fields = {p[1:-1] for p in placeholders(singular) | placeholders(plural)} - {"n"}
        values = {name: AnyValue() for name in fields}
        en, id_ = Translator("en"), Translator("id")
        assert en.n(singular, plural, 1, **values) == singular.format(n=1, **values)
        assert en.n(singular, plural, 3, **values) == plural.format(n=3, **values)
        # One Indonesian form serves every count, so it must show the count.
        many = id_.n(singular, plural, 3, **values)
        assert many != plural.format(n=3, **values), f"{singular!r} is not translated"
        assert "3" in many or "{n}" not in plural, f"{singular!r}: the Indonesian form lost the count: {many!r}"
