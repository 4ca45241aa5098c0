"""Delivers the outbox within Telegram's limits.

Rows are claimed in (priority, id) order, so a resident waiting for a receipt goes ahead of bulk
alerts. Per chat, rows go out in order and at most one a second; across chats, the bot's one
send budget (lapor.pacing.BotPacer, shared with its direct replies, which go first) keeps the bot
under Telegram's messages-per-second limit. 429 reschedules the chat after retry_after,
5xx and network errors back off, 403 gives up and marks the chat unreachable.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendLocation, SendMediaGroup, SendMessage, SendPhoto, TelegramMethod
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import outbox
from core.clock import Clock
from lapor.pacing import BULK, BotPacer

log = logging.getLogger(__name__)

METHODS = {"sendMessage": SendMessage, "sendPhoto": SendPhoto, "sendLocation": SendLocation,
           "sendMediaGroup": SendMediaGroup}
MAX_ATTEMPTS = 12
GROUP_INTERVAL = 3.0
# What a 403 (blocked, kicked) means for the bot's people: a resident or an officer unreachable.
ForbiddenHook = Callable[[AsyncSession, int, Any], Awaitable[None]]
# Builds a notice's Bot API call when it is sent, for the chat it was addressed to, after the
# policy cleared its recipient again (core.notices.resolve); None: it is not to be sent.
Renderer = Callable[[AsyncSession, int, dict[str, Any]], Awaitable[TelegramMethod | None]]


class OutboxWorker:
    def __init__(
        self,
        *,
        name: str,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        pacer: BotPacer | None = None,
        per_chat_interval: float = 1.0,
        idle_poll: float = 5.0,
        renderer: Renderer | None = None,
        on_forbidden: ForbiddenHook | None = None,
        lease: timedelta = outbox.CLAIM_LEASE,
    ) -> None:
        self.name = name
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.pacer = pacer or BotPacer()
        self.per_chat_interval = per_chat_interval
        self.idle_poll = idle_poll
        self.renderer = renderer
        self.on_forbidden = on_forbidden
        self.lease = lease
        self.worker_id = f"{name}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self.sent = 0
        self.errors: dict[str, int] = {}

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    sent_any = await self.run_once()
                except Exception:  # the database went away, say: the loop must outlive it
                    log.exception("%s outbox: a delivery round failed; trying again shortly", self.name)
                    await self._sleep_unless(stop, 1.0)
                    continue
                if sent_any:
                    continue
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=await self._idle_timeout(),
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
        finally:
            async with self.sessionmaker() as session:
                await outbox.release_claims(session, worker=self.worker_id)

    @staticmethod
    async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    async def _idle_timeout(self) -> float:
        async with self.sessionmaker() as session:
            due = await outbox.next_due_at(session, bot=self.name)
        if due is None:
            return self.idle_poll
        return max(0.05, min(self.idle_poll, (due - self.clock.now()).total_seconds()))

    async def run_once(self) -> bool:
        """Claims one batch and delivers it; True when anything was claimed."""
        async with self.sessionmaker() as session:
            rows = await outbox.claim_due(session, bot=self.name, worker=self.worker_id, now=self.clock.now(),
                                          lease=self.lease)
        if not rows:
            return False
        by_chat: OrderedDict[int, list[outbox.Claimed]] = OrderedDict()
        for row in rows:
            by_chat.setdefault(row.chat_id, []).append(row)
        await asyncio.gather(*(self._deliver_chat(chat_rows) for chat_rows in by_chat.values()))
        return True

    async def _deliver_chat(self, rows: list[outbox.Claimed]) -> None:
        held_until = min(r.held_until for r in rows)
        for index, row in enumerate(rows):
            # A chat's rows go out a second apart, and the bot's budget may hold them longer: past
            # half the lease, renew it, or another instance takes the rows over and sends them too.
            await self._pace_chat(row.chat_id)
            if (held_until - self.clock.now()) < self.lease / 2:
                held_until = self.clock.now() + self.lease
                async with self.sessionmaker() as session:
                    held = await outbox.renew_claims(session, ids=[r.id for r in rows[index:]],
                                                     worker=self.worker_id, until=held_until)
                if row.id not in held:
                    log.warning("outbox row %s was taken over by another worker; leaving the chat to it", row.id)
                    async with self.sessionmaker() as session:
                        await outbox.release_claims_of(session, ids=sorted(held))
                    return
            if not await self._deliver(row):
                # Keep the chat's order: what came after a failed row waits with it.
                async with self.sessionmaker() as session:
                    await outbox.release_claims_of(session, ids=[r.id for r in rows[index + 1:]])
                return

    async def _pace_chat(self, chat_id: int) -> None:
        last = self.pacer.last_sent(chat_id)
        if last is not None:
            # Groups (negative ids) take 20 messages a minute; private chats about one a second.
            interval = GROUP_INTERVAL if chat_id < 0 else self.per_chat_interval
            wait = interval - (self.pacer.clock() - last)
            if wait > 0:
                await self.pacer.sleep(wait)
        await self.pacer.take(BULK)

    async def _method(self, row: outbox.Claimed) -> TelegramMethod | None:
        if row.method in outbox.RENDERED:
            if self.renderer is None:
                raise ValueError(f"{self.name} has no renderer for {row.method} rows")
            async with self.sessionmaker() as session:
                return await self.renderer(session, row.chat_id, row.payload)
        # Rows queued with a ready Bot API payload (before notices, migration 0007; and the
        # outbox's own tests): sent as they are.
        method_cls = METHODS.get(row.method)
        if method_cls is None:
            raise ValueError(f"unknown outbox method {row.method}")
        return method_cls.model_validate({"chat_id": row.chat_id, **row.payload})

    async def _deliver(self, row: outbox.Claimed) -> bool:
        try:
            method = await self._method(row)
            if method is None:
                await self._dead(row, "not sent: the recipient may no longer have it, or nothing is left to send")
                return True
            await self.bot(method)
        except TelegramRetryAfter as exc:
            self._count("429")
            await self._retry(row, timedelta(seconds=exc.retry_after), f"429 retry after {exc.retry_after}")
            return False
        except (TelegramServerError, TelegramNetworkError) as exc:
            self._count("5xx" if isinstance(exc, TelegramServerError) else "network")
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._dead(row, str(exc))
                return True
            await self._retry(row, timedelta(seconds=min(300, 2 ** row.attempts)), str(exc))
            return False
        except TelegramForbiddenError as exc:
            self._count("403")
            # What a 403 means for the bot's people is recorded before the row leaves "pending":
            # whoever sees the outbox settled sees the chat marked unreachable too.
            if self.on_forbidden is not None:
                try:
                    async with self.sessionmaker() as session:
                        await self.on_forbidden(session, row.chat_id, self.clock.now())
                except Exception:
                    log.exception("%s outbox: recording that chat %s blocked the bot failed", self.name, row.chat_id)
            await self._dead(row, str(exc))
            return True
        except (TelegramBadRequest, ValueError) as exc:
            self._count("400")
            log.error("outbox row %s refused by Telegram: %s", row.id, exc)
            await self._dead(row, str(exc))
            return True
        except Exception as exc:
            # Rendering failed (a defect, or the database): the row is tried again later, and
            # given up after MAX_ATTEMPTS, without holding up the rest of the outbox.
            self._count("error")
            log.exception("%s outbox: row %s could not be prepared", self.name, row.id)
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._dead(row, f"{type(exc).__name__}: {exc}")
                return True
            await self._retry(row, timedelta(seconds=min(300, 2 ** row.attempts)), f"{type(exc).__name__}: {exc}")
            return False
        self.pacer.sent(row.chat_id)
        async with self.sessionmaker() as session:
            if row.payload.get("forget"):
                await outbox.forget(session, row.id)
            else:
                await outbox.mark_sent(session, row.id, self.clock.now())
        self.sent += 1
        return True

    def _count(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    async def _retry(self, row: outbox.Claimed, delay: timedelta, error: str) -> None:
        async with self.sessionmaker() as session:
            await outbox.mark_retry(session, row.id, at=self.clock.now() + delay, error=error,
                                    chat_id=row.chat_id, bot=self.name)

    async def _dead(self, row: outbox.Claimed, error: str) -> None:
        async with self.sessionmaker() as session:
            if row.payload.get("forget"):
                await outbox.forget(session, row.id)
            else:
                await outbox.mark_dead(session, row.id, error=error)

