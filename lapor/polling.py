"""Long polling that loses nothing.

aiogram's own polling confirms updates (moves the offset on) before their handlers finish, so a
crash at that moment loses them. Here every update is written to the inbox table first; the offset
only moves on at the next getUpdates, after that commit. Updates stored but not handled when the
process died are replayed at start-up, and an update_id seen before is dropped.

Updates of one chat are handled one at a time, in order (a burst of taps cannot race on the
conversation state); different chats run concurrently.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.methods import GetUpdates
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import inbox
from core.clock import Clock
from lapor.fsm_storage import Held, SqlStorage, held_writes
from lapor.redis_fsm import ReplaySafeRedisStorage

log = logging.getLogger(__name__)


def _keep_response_models() -> list[type]:
    """aiogram parses every Bot API answer into `Response[T]`, a pydantic generic model. pydantic
    (2.11+) caches parametrised generics only weakly: each time the garbage collector frees one,
    the next answer builds the model class again (about 8 ms, ~10% of the bot's CPU under load,
    seen in bench/throughput.py's profile). Strong references to the answers this app's bots
    receive keep each built once per process (~50 ms at import)."""
    from aiogram import methods
    from aiogram.methods.base import Response

    used = ("GetUpdates", "GetMe", "SendMessage", "SendPhoto", "SendLocation", "SendMediaGroup", "SendDocument",
            "EditMessageText", "EditMessageReplyMarkup", "EditMessageCaption", "DeleteMessage",
            "AnswerCallbackQuery", "SendChatAction", "SetMyCommands", "GetFile", "SetWebhook", "DeleteWebhook",
            "GetWebhookInfo")
    returning = {repr(getattr(methods, name).__returning__): getattr(methods, name).__returning__ for name in used}
    return [Response[t] for t in returning.values()]


_RESPONSE_MODELS = _keep_response_models()


def chat_key(update: Update) -> tuple[str, int]:
    """What must be handled in order: the chat (or the user, for events without a chat)."""
    event = update.event
    chat = getattr(event, "chat", None) or getattr(getattr(event, "message", None), "chat", None)
    if chat is not None:
        return ("chat", chat.id)
    user = getattr(event, "from_user", None)
    return ("user", user.id) if user is not None else ("update", update.update_id)


@dataclass
class _Finished:
    update_id: int
    error: str | None
    writes: Held
    done: asyncio.Future | None = None


class InboxPoller:
    def __init__(
        self,
        *,
        name: str,
        bot: Bot,
        dispatcher: Dispatcher,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        timeout: int = 30,
        concurrency: int = 7,
        allowed_updates: list[str] | None = None,
        lease: timedelta | None = None,
    ) -> None:
        self.name = name
        self.bot = bot
        self.dispatcher = dispatcher
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        # Updates handled at once. An update's session can hold a pooled connection while the
        # conversation storage (SqlStorage) takes a second one: with more updates at once than the
        # pool has connections, every one of them would hold one and wait for another until the
        # pool times out (30 s). Both bots' pollers share the engine's pool (5 + 10 overflow), so
        # 7 each always leaves a connection free. Beyond that, more at once buys nothing: the
        # event loop is busy long before.
        self._semaphore = asyncio.Semaphore(concurrency)
        self._tails: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Webhook mode (several instances): how long an accepted update is held by this instance.
        self.lease = lease
        self._inflight: set[int] = set()
        self.handled = 0
        self.failed = 0
        # Updates handled and waiting for their "handled" mark, and the task writing them.
        self._finishing: list[_Finished] = []
        self._finisher: asyncio.Task[None] | None = None
        self.batches = 0

    # --- receiving -----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        await self.replay()
        await self.purge()
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            request = asyncio.ensure_future(self.bot(
                GetUpdates(offset=offset, timeout=self.timeout, allowed_updates=self.allowed_updates),
                request_timeout=self.timeout + 10,
            ))
            stopper = asyncio.ensure_future(stop.wait())
            try:
                done, _ = await asyncio.wait({request, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                if not request.done():  # stopping, or this task cancelled (a crash in tests)
                    request.cancel()
            if request not in done:
                break
            try:
                updates: list[Update] = request.result()
            except Exception as exc:
                failures += 1
                # Same back-off as aiogram's polling (1 s growing to 5 s), but never busy-looping.
                delay = min(5.0, 1.0 * failures)
                if isinstance(exc, (TelegramAPIError, TelegramNetworkError, OSError, asyncio.TimeoutError)):
                    log.warning("getUpdates failed (%s); retrying in %.0fs", exc, delay)
                else:
                    # Anything else (an answer that does not parse, say) must not end the receiver
                    # for good: the bot would go silent with nothing in the log.
                    log.exception("getUpdates failed unexpectedly; retrying in %.0fs", delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                continue
            failures = 0
            if not updates:
                continue
            await self.accept(updates)
            offset = updates[-1].update_id + 1

    async def accept(self, updates: list[Update]) -> None:
        """Stores updates, then schedules the ones never seen before. Used by webhooks too."""
        payloads = [u.model_dump(mode="json", exclude_none=True, by_alias=True) for u in updates]
        async with self.sessionmaker() as session:
            fresh = set(await inbox.record(session, bot=self.name, updates=payloads, now=self.clock.now(),
                                           lease=self.lease))
        for update in updates:
            if update.update_id in fresh:
                self.schedule(update)

    async def replay(self) -> None:
        async with self.sessionmaker() as session:
            payloads = await inbox.pending(session, bot=self.name)
        if payloads:
            log.info("%s: replaying %d updates left unhandled by the last run", self.name, len(payloads))
        for payload in payloads:
            self.schedule(Update.model_validate(payload, context={"bot": self.bot}), replayed=True)

    async def recover(self) -> int:
        """Webhook mode: renews the leases of updates this instance is working on, then takes over
        updates another instance accepted but never finished (it died). Returns how many."""
        assert self.lease is not None
        now = self.clock.now()
        async with self.sessionmaker() as session:
            await inbox.renew(session, bot=self.name, update_ids=sorted(self._inflight), until=now + self.lease)
            payloads = await inbox.claim_stale(session, bot=self.name, now=now, lease=self.lease)
        taken = 0
        for payload in payloads:
            if payload["update_id"] not in self._inflight:
                self.schedule(Update.model_validate(payload, context={"bot": self.bot}), replayed=True)
                taken += 1
        if taken:
            log.warning("%s: took over %d updates left unhandled by another instance", self.name, taken)
        return taken

    async def run_recovery(self, stop: asyncio.Event, every: float) -> None:
        """Webhook mode's stand-in for the start-up replay: it runs all the time, because an
        instance that died may never come back."""
        await self.purge()
        while not stop.is_set():
            try:
                await self.recover()
            except Exception:  # the database may be briefly away; the next round tries again
                log.exception("%s: inbox recovery failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def purge(self) -> None:
        async with self.sessionmaker() as session:
            await inbox.purge_handled(session, older_than=self.clock.now() - inbox.REDELIVERY_WINDOW)

    # --- handling ------------------------------------------------------------------------
    def schedule(self, update: Update, *, replayed: bool = False) -> None:
        """`replayed`: an update stored before (by this process's last run or another instance),
        which may have been handled up to its "handled" mark."""
        key = chat_key(update)
        self._inflight.add(update.update_id)
        previous = self._tails.get(key)
        task = asyncio.create_task(self._handle_after(previous, update, replayed))
        self._tails[key] = task
        self._tasks.add(task)

        def done(t: asyncio.Task[None], key: tuple[str, int] = key) -> None:
            self._tasks.discard(t)
            self._inflight.discard(update.update_id)
            if self._tails.get(key) is t:
                del self._tails[key]

        task.add_done_callback(done)

    async def _handle_after(self, previous: asyncio.Task[None] | None, update: Update, replayed: bool) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        async with self._semaphore:
            await self.handle(update, replayed=replayed)

    async def handle(self, update: Update, *, replayed: bool = False) -> None:
        error: str | None = None
        storage = self.dispatcher.storage
        redis = storage if isinstance(storage, ReplaySafeRedisStorage) else None
        if replayed and redis is not None and await redis.applied(self.bot.id, update.update_id):
            # Handled whole by an instance that died before marking it (lapor.redis_fsm).
            log.info("%s: update %s was handled before; marking it", self.name, update.update_id)
            await self._finish(_Finished(update.update_id, None, {}))
            return
        with held_writes() as writes:
            try:
                if redis is not None:
                    async with redis.holding(self.bot.id, update.update_id):
                        await self.dispatcher.feed_update(self.bot, update)
                else:
                    await self.dispatcher.feed_update(self.bot, update)
            except Exception as exc:  # a failing handler must not stop the others
                log.exception("%s: update %s failed", self.name, update.update_id)
                error = f"{type(exc).__name__}: {exc}"[:1000]
                self.failed += 1
        await self._finish(_Finished(update.update_id, error, writes))
        self.handled += 1

    async def _finish(self, item: _Finished) -> None:
        """Marks the update handled and writes the conversation's new state (see
        lapor.fsm_storage), in one transaction: a group commit with the other updates that finish
        meanwhile. Returns once that transaction is committed, so the chat's next update (which
        waits for this one) sees the state, and a crash before then replays the update whole."""
        item.done = asyncio.get_running_loop().create_future()
        self._finishing.append(item)
        if self._finisher is None:
            self._finisher = asyncio.create_task(self._write_finished())
            self._tasks.add(self._finisher)
            self._finisher.add_done_callback(self._tasks.discard)
        await item.done

    async def _write_finished(self) -> None:
        batch: list[_Finished] = []
        try:
            while self._finishing:
                batch, self._finishing = self._finishing, []
                try:
                    await self._write_batch(batch)
                except Exception as exc:  # the database is away: every update of the batch fails alike
                    for item in batch:
                        if not item.done.done():
                            item.done.set_exception(exc)
                    continue
                for item in batch:
                    if not item.done.done():
                        item.done.set_result(None)
        finally:
            self._finisher = None
            # Cancelled (a crash in tests): whatever was not committed stays pending, to be replayed.
            for item in (*batch, *self._finishing):
                if not item.done.done():
                    item.done.cancel()
            self._finishing = []

    async def _write_batch(self, batch: list[_Finished]) -> None:
        storage = self.dispatcher.storage
        sql = isinstance(storage, SqlStorage)
        writes: Held = {}
        for item in batch:  # at most one update per chat is in a batch: later ones wait for it
            writes.update(item.writes)
        async with self.sessionmaker() as session:
            if writes and sql:
                await storage.write_held(session, writes)
            await inbox.mark_handled(session, bot=self.name, handled=[(i.update_id, i.error) for i in batch],
                                     now=self.clock.now())
            await session.commit()
        if writes and sql:
            storage.held_written(writes)
        self.batches += 1

    async def drain(self, timeout: float = 10.0) -> None:
        """Waits for handlers under way; what is left stays pending and is replayed next start."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def idle(self) -> None:
        """Returns once nothing is being handled (tests use it instead of sleeping)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def pending_tasks(self) -> int:
        return len(self._tasks)


def update_from_json(data: dict[str, Any], bot: Bot) -> Update:
    return Update.model_validate(data, context={"bot": bot})


PURGE_EVERY = timedelta(hours=6)
