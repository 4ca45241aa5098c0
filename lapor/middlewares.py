"""One database session per update, opened before anything else looks at the update."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.outbox import OUTBOX_TOUCHED


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
