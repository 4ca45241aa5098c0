"""Who is writing and in which language: resolved once per update, before any filter runs."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from core.i18n import translator
from core.reporters import ensure_reporter


class ReporterMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        if user is None or user.is_bot or chat is None or chat.type != "private":
            # The citizen bot talks to residents in private chats only.
            return None
        region = data["region"]
        session = data["session"]
        reporter = await ensure_reporter(
            session, telegram_id=user.id, chat_id=chat.id, now=data["clock"].now(),
            language=region.region.default_language, display_name=user.full_name,
        )
        if session.in_transaction():
            # End the lookup's read transaction: its pooled connection goes back now instead of
            # being held through the handler (Telegram calls, conversation-storage writes, which
            # take a connection of their own).
            await session.commit()
        data["reporter"] = reporter
        data["tr"] = translator(reporter.language)
        if reporter.is_new and data.get("state") is not None:
            # A new resident has no conversation. One who asked to be deleted and writes again is
            # new too: whatever a cache or Redis still held for their chat is not theirs any more.
            await data["state"].clear()
        return await handler(event, data)
