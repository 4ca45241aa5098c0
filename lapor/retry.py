"""Direct replies survive a 429 or a 5xx: retried a few times, honouring retry_after.

Only for the bot that answers updates interactively; the outbox worker handles its own
failures by rescheduling rows, so it never sleeps on one chat while others wait.
"""
from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 4, max_wait: float = 30.0, sleep=asyncio.sleep) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):  # the poller has its own back-off
            return await make_request(bot, method)
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait:
                    raise
                log.warning("429 on %s, waiting %ss", method.__api_method__, exc.retry_after)
                await self.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt == self.attempts:
                    raise
                wait = min(0.25 * 2 ** attempt, 4.0)
                log.warning("%s on %s, retrying in %.1fs", type(exc).__name__, method.__api_method__, wait)
                await self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover
