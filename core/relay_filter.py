"""What a relayed question or answer may not carry: links, Telegram @handles, phone numbers and
e-mail addresses. The relay exists so that the resident and the officer never reach each other
directly (the resident's safety, and the officer's); a number or a t.me link in the text would
undo that. The sender is told what was removed and why."""
from __future__ import annotations

import re
from enum import StrEnum

from core.i18n import N_, Translator


class Removed(StrEnum):
    LINK = "link"
    HANDLE = "handle"
    PHONE = "phone"
    EMAIL = "email"


REMOVED_LABELS = {
    Removed.LINK: N_("a link"),
    Removed.HANDLE: N_("a Telegram username"),
    Removed.PHONE: N_("a phone number"),
    Removed.EMAIL: N_("an e-mail address"),
}
PLACEHOLDER = "[…]"

_PATTERNS: list[tuple[Removed, re.Pattern[str]]] = [
    (Removed.EMAIL, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)),
    # Schemes, www., Telegram's own domains and any word.tld/path a client turns into a link.
    (Removed.LINK, re.compile(
        r"(?:(?:https?|tg|ftp)://\S+|www\.\S+|\b(?:t|telegram)\.(?:me|dog)/\S*"
        r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|id|me|io|co|ly|gl|link|xyz|info|biz|app|site)\b(?:/\S*)?)",
        re.IGNORECASE)),
    (Removed.HANDLE, re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")),
    # A phone number as people write it: +62 812-3456-7890, 0812 3456 7890, (0343) 123456,
    # 6281234567890. It starts with +, 0 or 62, which a ticket number (PSR-2611-0042), a count
    # or a time never does, and runs to at least seven digits.
    (Removed.PHONE, re.compile(r"(?<!\w)(?:\+\s?\d|\(?0\d|62\d)(?:[\s.\-()]{0,2}\d){5,}(?!\w)")),
]


def scrub(text: str) -> tuple[str, list[Removed]]:
    """The text without contact details, and what kinds were removed (in a stable order)."""
    found: list[Removed] = []
    for kind, pattern in _PATTERNS:
        text, n = pattern.subn(PLACEHOLDER, text)
        if n and kind not in found:
            found.append(kind)
    return text, found


def removed_notice(tr: Translator, removed: list[Removed] | tuple[Removed, ...], *, to_officer: bool) -> str:
    """Tells the sender what the relay took out of their text, and why ("" if nothing)."""
    if not removed:
        return ""
    what = ", ".join(tr.plain(REMOVED_LABELS[r]) for r in removed)
    if to_officer:
        return tr("✂️ Taken out before it was relayed: {what}. The reporter and the officers talk only "
                  "through the bot, so that neither side's contact is passed on.", what=what)
    return tr("✂️ Taken out before it was sent: {what}. You and the officers talk only through the bot, so "
              "your number and account stay private, and so do theirs.", what=what)
