"""/ringkasan [hari|minggu|bulan]: a supervisor's summary of the current period, now."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.handlers.queue import require
from backoffice.middlewares import shown
from core.access import Channel, View, summary_scope
from core.clock import Clock
from core.i18n import N_, Translator
from core.officers import OfficerInfo
from core.region import RegionConfig
from core.summary import Period, compute, render, window
from core.summary_sends import queue_attachments, set_subscription, subscriptions

PERIOD_WORDS = {"hari": Period.DAILY, "day": Period.DAILY, "minggu": Period.WEEKLY, "week": Period.WEEKLY,
                "bulan": Period.MONTHLY, "month": Period.MONTHLY}


def router() -> Router:
    r = Router(name="backoffice-summary")

    @r.message(Command("ringkasan", "summary"))
    async def summary_now(message: Message, command: CommandObject, officer: OfficerInfo, channel: Channel,
                          tr: Translator, region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        require(officer, View.SUMMARY, channel)
        word = (command.args or "hari").strip().lower()
        period = PERIOD_WORDS.get(word)
        if period is None:
            await message.answer(tr("Type /ringkasan hari, /ringkasan minggu or /ringkasan bulan."))
            return
        today = clock.now().astimezone(region.tz).date()
        win = window(region, period, today)
        summary = await compute(session, region, win, summary_scope(officer))
        await message.answer(render(summary, region, tr))
        # The chart (and for a week or a month the workbook and CSV) follow through the outbox,
        # to the officer's own chat, for their scope when they are sent.
        queue_attachments(session, officer=officer, win=win, now=clock.now())
        await session.commit()

    return r


class SubCb(CallbackData, prefix="sub"):
    period: Period
    on: bool


PERIOD_LABELS = {Period.DAILY: N_("Daily"), Period.WEEKLY: N_("Weekly"), Period.MONTHLY: N_("Monthly")}


async def _subscription_keyboard(session: AsyncSession, officer: OfficerInfo, tr: Translator) -> InlineKeyboardMarkup:
    chosen = await subscriptions(session, officer.id)
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=("✅ " if chosen[p] else "⬜ ") + tr.plain(PERIOD_LABELS[p]),
        callback_data=SubCb(period=p, on=not chosen[p]).pack())] for p in Period])


def subscriptions_router() -> Router:
    r = Router(name="backoffice-subscriptions")

    @r.message(Command("langganan", "subscriptions"))
    async def show(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator,
                   session: AsyncSession) -> None:
        require(officer, View.SUBSCRIPTIONS, channel)
        await message.answer(tr("📬 Scheduled summaries you receive (tap to switch):"),
                             reply_markup=await _subscription_keyboard(session, officer, tr))

    @r.callback_query(SubCb.filter())
    async def toggle(callback: CallbackQuery, callback_data: SubCb, officer: OfficerInfo, channel: Channel,
                     tr: Translator, session: AsyncSession) -> None:
        require(officer, View.SUBSCRIPTIONS, channel)
        await set_subscription(session, officer_id=officer.id, period=callback_data.period, enabled=callback_data.on)
        await shown(callback).edit_reply_markup(reply_markup=await _subscription_keyboard(session, officer, tr))

    return r
