"""Clocks and token-bucket flood control for the Bot API emulator.

Telegram's limits (FAQ): about 1 message/s per chat with short bursts tolerated, about 30
messages/s per bot across chats, 20 messages/min into one group. Token buckets model "rate with a
tolerated burst" directly, and judging them on an injectable clock lets tests run bursts in
virtual time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...


class MonotonicClock:
    """Real time (the default)."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class VirtualClock:
    """Time that only moves when told to, so rate-limit tests are exact and never sleep.

    With `follow_real_time`, it also moves with the wall clock: a user's think time skips ahead,
    while a bot that paces itself in real time (one message a second per chat) is judged fairly.
    """

    def __init__(self, start: float = 1000.0, *, follow_real_time: bool = False) -> None:
        self._now = start
        self._origin = time.monotonic() if follow_real_time else None

    def monotonic(self) -> float:
        if self._origin is not None:
            return self._now + (time.monotonic() - self._origin)
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        """A bot's wait for the emulator's limits, spent on this clock: it moves on at once.
        Waits that overlap each move it on, so for the bot time only runs faster, and it can
        never send faster than the limits allow."""
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


@dataclass
class TokenBucket:
    rate: float  # tokens added per second
    burst: float  # capacity
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RateLimiter:
    """Per-chat, per-bot and per-group buckets for methods that create a new message."""

    def __init__(
        self,
        clock: Clock,
        *,
        per_chat_rate: float,
        per_chat_burst: int,
        per_bot_rate: float,
        per_bot_burst: int,
        group_per_minute: int,
    ) -> None:
        self.clock = clock
        self._specs = {
            "chat": (per_chat_rate, per_chat_burst),
            "bot": (per_bot_rate, per_bot_burst),
            "group": (group_per_minute / 60.0, group_per_minute),
        }
        self._buckets: dict[tuple[str, Hashable], TokenBucket] = {}

    def _bucket(self, kind: str, key: Hashable, now: float) -> TokenBucket:
        bucket = self._buckets.get((kind, key))
        if bucket is None:
            rate, burst = self._specs[kind]
            bucket = self._buckets[(kind, key)] = TokenBucket(rate, burst, burst, now)
        return bucket

    def acquire(self, bot_id: int, chat_id: int, *, is_group: bool) -> int:
        """Take one token from every bucket that applies and return 0, or, when any bucket is
        empty, take nothing and return the whole seconds to wait (at least 1), like Telegram's
        retry_after."""
        now = self.clock.monotonic()
        buckets = [self._bucket("chat", (bot_id, chat_id), now), self._bucket("bot", bot_id, now)]
        if is_group:
            buckets.append(self._bucket("group", chat_id, now))
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            # The small epsilon keeps float noise (1.0000000002 s) from becoming a 2 s answer.
            return max(1, math.ceil(wait - 1e-9))
        for bucket in buckets:
            bucket.take(now)
        return 0
