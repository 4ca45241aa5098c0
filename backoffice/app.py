"""The backoffice bot's routers, in the order they are asked."""
from __future__ import annotations

from aiogram import Router

from backoffice.handlers import alert_actions, queue, start, summary, work
from core.i18n import N_


def router() -> Router:
    root = Router(name="backoffice")
    root.include_routers(start.router(), queue.router(), summary.router(), summary.subscriptions_router(),
                        alert_actions.router(), work.router())
    return root


# The officers' command menu, set per language at start-up.
BOT_COMMANDS = [
    ("antrian", N_("Open reports of my agency")),
    ("tugas", N_("Reports I hold")),
    ("terlambat", N_("Overdue reports (supervisors)")),
    ("lapor", N_("One report and its history: /lapor TICKET")),
    ("ringkasan", N_("Summary now: /ringkasan hari|minggu|bulan (supervisors)")),
    ("langganan", N_("Choose your scheduled summaries (supervisors)")),
    ("bantuan", N_("Help")),
]
