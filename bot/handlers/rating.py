"""The one-tap "was this handled well?" after a report is closed."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.report_nav import shown
from core.clock import Clock
from core.i18n import Translator
from core.ids import DbId
from core.report_actions import rate_report
from core.reporters import ReporterInfo


class RateCb(CallbackData, prefix="rate"):
    """The stars under "was this handled well?" (bot.notices.rating_keyboard)."""

    report: DbId
    stars: int


def router() -> Router:
    r = Router(name="rating")

    @r.callback_query(RateCb.filter())
    async def rate(callback: CallbackQuery, callback_data: RateCb, callback_answer: CallbackAnswer,
                   tr: Translator, reporter: ReporterInfo, session: AsyncSession, clock: Clock) -> None:
        ok = await rate_report(session, reporter_id=reporter.id, report_id=callback_data.report,
                               rating=callback_data.stars, now=clock.now())
        if not ok:
            callback_answer.text, callback_answer.show_alert = tr.plain("This button is no longer valid."), True
            return
        await shown(callback).edit_text(tr("🙏 Thank you for your rating: {stars}/5.", stars=callback_data.stars),
                                        reply_markup=None)

    return r
