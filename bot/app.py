"""The citizen bot's routers, in the order they are asked."""
from __future__ import annotations

from aiogram import Router

from bot.flows import donation, report, report_review
from bot.handlers import errors, my_reports, rating, relay_answer, start
from core.i18n import N_


def router() -> Router:
    root = Router(name="citizen")
    root.include_router(errors.router())
    root.include_routers(
        report_review.cancel_command_router(),  # /batal wins over any step
        start.router(),  # commands and menu buttons work from anywhere; a draft is kept
        my_reports.router(),
        rating.router(),
        relay_answer.router(),
        donation.router(),
        report_review.router(),
        report.router(),
        report_review.stale_router(),
        start.fallback_router(),  # never silence
    )
    return root


# Shown in Telegram's command menu; set per language at start-up.
BOT_COMMANDS = [
    ("lapor", N_("Make a report")),
    ("status", N_("My reports and their status")),
    ("sumbangan", N_("Offer a donation")),
    ("bantuan", N_("Help")),
    ("privasi", N_("Privacy and your data")),
    ("bahasa", N_("Change language")),
    ("batal", N_("Cancel")),
]
