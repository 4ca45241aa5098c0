"""The resident's main menu: a reply keyboard of plain words for people unused to /commands.

Plain Bot API dicts, so the receipt that core queues in the outbox can bring the menu back.
"""
from __future__ import annotations

from typing import Any

from core.i18n import N_, Translator

MENU_REPORT = N_("📝 Make a report")
MENU_MY_REPORTS = N_("📋 My reports")
MENU_DONATE = N_("🤝 Donate")
MENU_HELP = N_("❓ Help")


def main_menu(tr: Translator) -> dict[str, Any]:
    return {
        "keyboard": [
            [{"text": tr.plain(MENU_REPORT)}],
            [{"text": tr.plain(MENU_MY_REPORTS)}, {"text": tr.plain(MENU_DONATE)}],
            [{"text": tr.plain(MENU_HELP)}],
        ],
        "resize_keyboard": True,
        "is_persistent": True,
    }
