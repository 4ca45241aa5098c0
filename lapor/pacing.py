"""One send budget per bot, shared by its direct replies and its outbox worker (prototype).

Telegram counts every message a bot sends against about 30 a second, whichever code path sends
it. Today the outbox worker paces itself (a token bucket at OUTBOX_RATE_PER_SECOND) but the
bot that answers updates sends directly, outside that bucket: a full-speed outbox plus direct
replies can exceed the budget and draw 429s, which cost both sides a retry_after wait. Hence the
outbox's default of 25/s, five below the limit, which still cannot bound replies (twenty
officers tapping at once go well past five a second).

A `BotPacer` is that one budget: a token bucket the two paths draw from, direct replies first
(a person is waiting) and the outbox with what is left: the outbox only takes a token while
`reserve` more remain, so a reply rarely waits at all, and with nobody replying the outbox still
gets the whole rate. It also remembers when each chat last
got a message, so the worker's one-a-second-per-chat pacing counts replies too.

Wiring (lapor/app.py, App._runtime, right after `worker = OutboxWorker(...)`), once per bot:

    pacer = BotPacer(rate=s.outbox_rate_per_second, last_sent=worker._last_sent)
    worker.bucket = pacer.for_outbox()
    bot.session.middleware(PacingMiddleware(pacer))      # bot: the make_bot(..., retry=True) one

(No change to OutboxWorker is needed: it already takes a token from `self.bucket` before each
send and keeps each chat's last send time in `_last_sent`; a cleaner version would give
OutboxWorker a `pacer` argument instead of replacing those two attributes.)

With the budget shared, OUTBOX_RATE_PER_SECOND is the bot's whole rate: 29 or 30 rather than 25.
The burst (15) is half of Telegram's 30: enough for the outbox to catch up after the moments it
leaves the budget unused (each batch ends waiting on per-chat pacing; claiming the next batch
takes a query), yet far enough inside Telegram's allowance that network jitter, when sending at
the full rate, does not draw 429s. bench/dispatch.py: burst 5 drained 2,000 alerts in 1.135x the
minimum, burst 15 in 1.018x, both without a 429; the worker's own bucket (burst = rate = 30)
drew one 429 per run.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import OrderedDict

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    CopyMessage,
    ForwardMessage,
    Response,
    SendAnimation,
    SendAudio,
    SendContact,
    SendDocument,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVenue,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

INTERACTIVE = 0  # a direct reply: someone is waiting for it
BULK = 10  # the outbox
# Methods that create a message: what Telegram's per-bot and per-chat limits count.
SENDS = (SendMessage, SendPhoto, SendDocument, SendLocation, SendVenue, SendMediaGroup, SendContact, SendAudio,
         SendVideo, SendVoice, SendAnimation, CopyMessage, ForwardMessage)


class BotPacer:
    """A token bucket (real time) with waiters served by priority, then arrival."""

    def __init__(self, rate: float = 30.0, burst: float = 15.0, *, reserve: int = 3,
                 last_sent: OrderedDict[int, float] | None = None, clock=time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.clock, self.reserve = rate, clock, reserve
        self.capacity = max(1.0 + reserve, burst)
        self.tokens, self.stamp = self.capacity, clock()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        # Shared with the outbox worker (its own per-chat record, same clock: time.monotonic).
        self._last_sent: OrderedDict[int, float] = OrderedDict() if last_sent is None else last_sent
        self.taken = {INTERACTIVE: 0, BULK: 0}

    def for_outbox(self) -> _OutboxSide:
        """What OutboxWorker.bucket must be: `await take()` before each send, at bulk priority."""
        return _OutboxSide(self)

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def _needs(self, priority: int) -> float:
        return 1.0 if priority == INTERACTIVE else 1.0 + self.reserve

    async def take(self, priority: int = BULK) -> None:
        """Waits for one message's worth of budget."""
        self._refill()
        if not self._waiters and self.tokens >= self._needs(priority):
            self.tokens -= 1
            self.taken[priority] = self.taken.get(priority, 0) + 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        self._release()
        await future  # a cancelled waiter is skipped by _release
        self.taken[priority] = self.taken.get(priority, 0) + 1

    def _release(self) -> None:
        self._refill()
        while self._waiters:
            priority, _, future = self._waiters[0]
            if future.done():
                heapq.heappop(self._waiters)
                continue
            if self.tokens < self._needs(priority):
                break
            heapq.heappop(self._waiters)
            self.tokens -= 1
            future.set_result(None)
        if self._waiters and self._timer is None:
            delay = max(0.001, (self._needs(self._waiters[0][0]) - self.tokens) / self.rate)
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._release()

    # Per chat: when each chat last got a message from this bot, by either path.
    def sent(self, chat_id: int) -> None:
        self._last_sent[chat_id] = self.clock()
        self._last_sent.move_to_end(chat_id)
        while len(self._last_sent) > 10_000:
            self._last_sent.popitem(last=False)

    def last_sent(self, chat_id: int) -> float | None:
        return self._last_sent.get(chat_id)


class _OutboxSide:
    def __init__(self, pacer: BotPacer) -> None:
        self.pacer = pacer

    async def take(self) -> None:
        await self.pacer.take(BULK)


class PacingMiddleware(BaseRequestMiddleware):
    """On the bot that answers updates: each message it sends takes a token first (and each
    retry again, registered after RetryMiddleware so that it runs inside it)."""

    def __init__(self, pacer: BotPacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, SENDS):
            return await make_request(bot, method)
        await self.pacer.take(INTERACTIVE)
        response = await make_request(bot, method)
        chat_id = getattr(method, "chat_id", None)
        if isinstance(chat_id, int):
            self.pacer.sent(chat_id)
        return response
