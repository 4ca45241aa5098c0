"""/ringkasan [hari|minggu|bulan]: a supervisor's summary of the current period, now."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import Translator
from core.officers import OfficerInfo
from core.region import RegionConfig
from core.summary import Period, compute, render, window

PERIOD_WORDS = {"hari": Period.DAILY, "day": Period.DAILY, "minggu": Period.WEEKLY, "week": Period.WEEKLY,
                "bulan": Period.MONTHLY, "month": Period.MONTHLY}


def router() -> Router:
    r = Router(name="backoffice-summary")

    @r.message(Command("ringkasan", "summary"))
    async def summary_now(message: Message, command: CommandObject, officer: OfficerInfo, tr: Translator,
                          region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        if not (officer.supervises or officer.role.value == "auditor"):
            await message.answer(tr("Only supervisors receive summaries."))
            return
        word = (command.args or "hari").strip().lower()
        period = PERIOD_WORDS.get(word)
        if period is None:
            await message.answer(tr("Type /ringkasan hari, /ringkasan minggu or /ringkasan bulan."))
            return
        today = clock.now().astimezone(region.tz).date()
        summary = await compute(session, region, window(region, period, today))
        await message.answer(render(summary, region, tr))

    return r
