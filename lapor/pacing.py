"""One send budget per bot, shared by its direct replies and its outbox worker.

Telegram counts every message a bot sends against about 30 a second, whichever code path sends
it. A `BotPacer` is that one budget: a token bucket both paths draw from, direct replies first (a
person is waiting) and the outbox with what is left. The outbox only takes a token while `reserve`
more remain, so a reply rarely waits at all, and with nobody replying the outbox still gets the
whole rate. It also remembers when each chat last got a message, so the worker's
one-a-second-per-chat pacing counts replies too.

The burst (15) is half of Telegram's 30: enough for the outbox to catch up after the moments it
leaves the budget unused (each batch ends waiting on per-chat pacing; claiming the next batch
takes a query), yet far enough inside Telegram's allowance that network jitter at the full rate
does not draw 429s. bench/dispatch.py: burst 5 drained 2,000 alerts in 1.135x the minimum, burst
15 in 1.018x, both without a 429; a bucket of its own for the outbox (burst = rate = 30) drew one
429 per run, and could not bound the replies sent beside it.
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
# A tenth below Telegram's pace per chat: a message booked now may reach Telegram a little later
# (waiting for the bot's budget, the network), which shortens the gap to the next one.
CHAT_RATE, CHAT_BURST = 0.9, 3.0
GROUP_RATE = 0.9 * 20 / 60
MAX_CHATS = 10_000  # chats remembered; one unheard of for longer is fresh anyway
# Methods that create a message: what Telegram's per-bot and per-chat limits count.
SENDS = (SendMessage, SendPhoto, SendDocument, SendLocation, SendVenue, SendMediaGroup, SendContact, SendAudio,
         SendVideo, SendVoice, SendAnimation, CopyMessage, ForwardMessage)


class BotPacer:
    """A token bucket (real time) with waiters served by priority, then arrival."""

    def __init__(self, rate: float = 30.0, burst: float = 15.0, *, reserve: int = 3,
                 clock=time.monotonic, sleep=asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.clock, self.reserve = rate, clock, reserve
        # How a chat's turn is waited for, on `clock`'s time: asyncio.sleep for Telegram's wall
        # clock; the tests' emulator passes time on its own clock instead of sleeping.
        self.sleep = sleep
        self.full_rate, self.full_burst = rate, burst
        self.capacity = max(1.0 + reserve, burst)
        self.sharers = 1
        self.tokens, self.stamp = self.capacity, clock()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        # Per chat (real time: Telegram's limits are in wall-clock seconds): [tokens, stamp of the
        # tokens, when it last got a message], most recently used last.
        self._chats: OrderedDict[int, list[float]] = OrderedDict()
        self.taken = {INTERACTIVE: 0, BULK: 0}

    def share(self, sharers: int) -> None:
        """Several instances send as this bot: this one keeps 1/sharers of the rate and burst."""
        sharers = max(1, sharers)
        if sharers == self.sharers:
            return
        self._refill()
        self.sharers = sharers
        self.rate = self.full_rate / sharers
        self.capacity = max(1.0 + self.reserve, self.full_burst / sharers)
        self.tokens = min(self.tokens, self.capacity)
        if self._timer is not None:  # its delay was worked out at the old rate
            self._timer.cancel()
            self._timer = None
        self._release()

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

    # Per chat, by either path: about one message a second with a burst of three (a reply is
    # often two messages), a third of that in groups (20 a minute).
    def _chat(self, chat_id: int) -> list[float]:
        entry = self._chats.get(chat_id)
        now = self.clock()
        if entry is None:
            entry = self._chats[chat_id] = [CHAT_BURST, now, float("-inf")]
            while len(self._chats) > MAX_CHATS:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
            rate = GROUP_RATE if chat_id < 0 else CHAT_RATE
            entry[0] = min(CHAT_BURST, entry[0] + (now - entry[1]) * rate)
            entry[1] = now
        return entry

    def chat_turn(self, chat_id: int) -> float:
        """Books one message in a chat; returns how long to wait before sending it (0: now).
        Booking ahead (tokens may go negative) keeps concurrent replies to a chat in line."""
        entry = self._chat(chat_id)
        entry[0] -= 1
        return 0.0 if entry[0] >= 0 else -entry[0] / (GROUP_RATE if chat_id < 0 else CHAT_RATE)

    def sent(self, chat_id: int, *, booked: bool = False) -> None:
        """A message went to the chat (`booked`: its turn was already taken with chat_turn)."""
        entry = self._chat(chat_id)
        if not booked:
            entry[0] -= 1
        entry[2] = self.clock()

    def last_sent(self, chat_id: int) -> float | None:
        entry = self._chats.get(chat_id)
        return None if entry is None or entry[2] == float("-inf") else entry[2]


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
        chat_id = getattr(method, "chat_id", None)
        if isinstance(chat_id, int):
            # The chat's own limit first, then the bot's: a token is not held while waiting.
            wait = self.pacer.chat_turn(chat_id)
            if wait > 0:
                await self.pacer.sleep(wait)
        await self.pacer.take(INTERACTIVE)
        response = await make_request(bot, method)
        if isinstance(chat_id, int):
            self.pacer.sent(chat_id, booked=True)
        return response
