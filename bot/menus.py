"""The resident's main menu: a reply keyboard of plain words for people unused to /commands."""
from __future__ import annotations

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

from core.i18n import N_, Translator

MENU_REPORT = N_("📝 Make a report")
MENU_MY_REPORTS = N_("📋 My reports")
MENU_DONATE = N_("🤝 Donate")
MENU_HELP = N_("❓ Help")


def main_menu(tr: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=tr.plain(MENU_REPORT))],
            [KeyboardButton(text=tr.plain(MENU_MY_REPORTS)), KeyboardButton(text=tr.plain(MENU_DONATE))],
            [KeyboardButton(text=tr.plain(MENU_HELP))],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )
