"""The emulator a benchmark runs against: Telegram's limits on a virtual clock, and a record of
every call that reached a chat, so a resident knows when the bot has answered a step."""
from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

# Bot API methods whose success the user sees in their chat.
VISIBLE = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation", "sendvenue",
           "copymessage", "editmessagetext", "editmessagecaption", "editmessagereplymarkup", "deletemessage"}
SENDS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation", "sendvenue",
         "copymessage"}


def make_emulator(*, think_time: float, per_bot_limit: bool = True):
    """The emulator with Telegram's limits (1 message/s per chat, bursts of 3; 30 messages/s per
    bot, bursts of 30; 20/min per group) judged on a VirtualClock that follows real time. Each
    user action moves that clock on by `think_time` (a resident's pause, in virtual time only).
    per_bot_limit=False lifts only the 30 messages/s per bot (to see what a bot can do without it)."""
    from botapi_emulator import VirtualClock

    per_bot = (30.0, 30) if per_bot_limit else (1e9, 10**9)
    return _tracking_class()(clock=VirtualClock(follow_real_time=True), think_time=think_time,
                            per_chat_rate=1.0, per_chat_burst=3, per_bot_rate=per_bot[0], per_bot_burst=per_bot[1],
                            group_per_minute=20)


class SendWatch:
    def __init__(self, chats: set[int]) -> None:
        self.chats = chats
        self.times: list[float] = []
        self._targets: list[tuple[int, asyncio.Future]] = []

    def record(self, now: float) -> None:
        self.times.append(now)
        for count, future in self._targets:
            if len(self.times) >= count and not future.done():
                future.set_result(None)

    async def wait(self, count: int, timeout: float) -> bool:
        if len(self.times) >= count:
            return True
        target = (count, asyncio.get_running_loop().create_future())
        self._targets.append(target)
        try:
            await asyncio.wait_for(target[1], timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._targets.remove(target)


@functools.cache
def _tracking_class():
    from botapi_emulator import BotAPIEmulator
    from botapi_emulator.models import ApiError

    class TrackingEmulator(BotAPIEmulator):
        """Timestamps every successful chat-addressed Bot API call, per (bot id, chat id), and
        wakes only the one resident waiting on that chat (no broadcast to thousands of waiters)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.chat_log: dict[tuple[int, int], list[tuple[float, str]]] = {}
            self._waiters: dict[tuple[int, int], tuple[int, asyncio.Future]] = {}
            self.by_bot_status: dict[tuple[int, int], int] = {}
            self.sends_at: dict[int, list[float]] = {}  # bot id -> perf_counter of each successful send
            self._watches: dict[int, SendWatch] = {}

        def _answer(self, bot, method, chat_id, outcome, *, raw_body=None):
            response = super()._answer(bot, method, chat_id, outcome, raw_body=raw_body)
            if bot is None:
                return response
            status = outcome.status if isinstance(outcome, ApiError) else 200
            key = (bot.id, status)
            self.by_bot_status[key] = self.by_bot_status.get(key, 0) + 1
            if status != 200 or chat_id is None:
                return response
            lower = method.lower()
            if lower not in VISIBLE:
                return response
            now = time.perf_counter()
            if lower in SENDS:
                self.sends_at.setdefault(bot.id, []).append(now)
                watch = self._watches.get(bot.id)
                if watch is not None and chat_id in watch.chats:
                    watch.record(now)
            log = self.chat_log.setdefault((bot.id, chat_id), [])
            log.append((now, lower))
            waiter = self._waiters.get((bot.id, chat_id))
            if waiter is not None and len(log) >= waiter[0] and not waiter[1].done():
                waiter[1].set_result(None)
            return response

        def log_of(self, bot_id: int, chat_id: int) -> list[tuple[float, str]]:
            return self.chat_log.setdefault((bot_id, chat_id), [])

        async def wait_calls(self, bot_id: int, chat_id: int, count: int, timeout: float) -> list[tuple[float, str]]:
            log = self.log_of(bot_id, chat_id)
            if len(log) >= count:
                return log
            future = asyncio.get_running_loop().create_future()
            self._waiters[(bot_id, chat_id)] = (count, future)
            try:
                await asyncio.wait_for(future, timeout)
            finally:
                self._waiters.pop((bot_id, chat_id), None)
            return log

        def status_count(self, bot_id: int, status: int) -> int:
            return self.by_bot_status.get((bot_id, status), 0)

        def watch_sends(self, bot_id: int, chats: set[int]) -> SendWatch:
            """Counts and timestamps a bot's successful sends into `chats` (e.g. alerted officers)."""
            watch = self._watches[bot_id] = SendWatch(set(chats))
            return watch

    return TrackingEmulator


def __getattr__(name: str):  # TrackingEmulator is built lazily: the child process never needs it
    if name == "TrackingEmulator":
        return _tracking_class()
    raise AttributeError(name)
