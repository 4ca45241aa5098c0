"""Direct replies survive a 429 or a 5xx: retried a few times, honouring retry_after.

Only for the bot that answers updates interactively; the outbox worker handles its own
failures by rescheduling rows, so it never sleeps on one chat while others wait.

Two refusals say that what was asked is already so, and are not failures of the update being
handled. They come when an attempt took effect but its answer was lost on the network (the retry
repeats it), and when an update is replayed after a crash (its handler ran before, up to the crash):
- answering a callback query already answered, or older than Telegram's answer window ("query is
  too old and response timeout expired or query ID is invalid"): the answer only stops the button's
  spinner, the work of the update is done;
- an edit to what the message already shows ("message is not modified").
Raising would mark the update failed and send the resident an apology for work that was done.
"""
from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    Response,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

EDITS = (EditMessageText, EditMessageReplyMarkup, EditMessageCaption, EditMessageMedia)


def _stale_query(exc: TelegramBadRequest) -> bool:
    text = exc.message.lower()
    return "query is too old" in text or "query id is invalid" in text


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
            except TelegramBadRequest as exc:
                if isinstance(method, AnswerCallbackQuery) and _stale_query(exc):
                    log.info("callback query %s already answered or too old; nothing to answer",
                             method.callback_query_id)
                    return True  # type: ignore[return-value]  # answerCallbackQuery's result
                if isinstance(method, EDITS) and "message is not modified" in exc.message.lower():
                    log.info("%s: the message already shows this", method.__api_method__)
                    return True  # type: ignore[return-value]  # what an edit returns when it returns no Message
                raise
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
