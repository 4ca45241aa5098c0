"""The backoffice bot's routers, in the order they are asked."""
from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer

from backoffice.handlers import alert_actions, dashboard_link, queue, start, summary, work
from backoffice.middlewares import RefusalMiddleware
from core.i18n import N_, Translator


def router() -> Router:
    root = Router(name="backoffice")
    # Any handler may raise a refusal; it becomes the officer's answer here, in one place.
    root.message.middleware(RefusalMiddleware())
    root.callback_query.middleware(RefusalMiddleware())
    root.include_routers(start.router(), queue.router(), summary.router(), summary.subscriptions_router(),
                        alert_actions.router(), work.router(), dashboard_link.router(), start.pointer_router(),
                         fallback_router())
    return root


def fallback_router() -> Router:
    """Last in line: a button no handler takes (an old message's, out of turn, or forged) is answered,
    so the officer's client does not spin until Telegram gives up."""
    r = Router(name="backoffice-fallback")

    @r.callback_query()
    async def unknown_button(callback: CallbackQuery, callback_answer: CallbackAnswer, tr: Translator) -> None:
        callback_answer.text, callback_answer.show_alert = tr.plain("This button is no longer valid."), True

    return r


# The officers' command menu, set per language at start-up.
BOT_COMMANDS = [
    ("antrian", N_("Open reports of my agency")),
    ("tugas", N_("Reports I hold")),
    ("terlambat", N_("Overdue reports (supervisors)")),
    ("lapor", N_("One report and its history: /lapor TICKET")),
    ("ringkasan", N_("Summary now: /ringkasan hari|minggu|bulan (supervisors)")),
    ("langganan", N_("Choose your scheduled summaries (supervisors)")),
    ("dasbor", N_("A login link to the web dashboard")),
    ("bantuan", N_("Help")),
]
