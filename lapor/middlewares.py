"""Middlewares both bots share: one database session per update, opened before anything else looks
at it; a button on a message Telegram no longer lets the bot touch, answered before any handler."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.i18n import N_
from core.outbox import OUTBOX_TOUCHED

STALE = N_("This button has expired. Please use the latest message, or the menu.")


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], after: Callable[[], None] | None = None) -> None:
        self.sessionmaker = sessionmaker
        self.after = after

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            try:
                return await handler(event, data)
            finally:
                # A service queued messages: the outbox worker looks now, not at its next tick.
                if self.after is not None and session.info.get(OUTBOX_TOUCHED):
                    self.after()


class StaleButtonMiddleware(BaseMiddleware):
    """A button pressed on a message older than 48 hours (or deleted) comes without the message:
    the bot can no longer edit it. Such a press is answered here, politely, and no handler runs,
    so every handler can rely on the message it edits (bot.flows.report_nav.shown)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, CallbackQuery) and not isinstance(event.message, Message):
            tr = data.get("tr")
            text = STALE if tr is None else tr.plain(STALE)
            await event.answer(text, show_alert=True)
            return None
        return await handler(event, data)
