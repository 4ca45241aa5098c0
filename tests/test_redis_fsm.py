"""Conversations in Redis when an update is handled twice (lapor.redis_fsm): an instance that died
after handling an update but before marking it handled must not leave the conversation a step
ahead of the replay, nor a half-handled update leave it half moved.
Runs against the Redis on 127.0.0.1:6379 (REDIS_URL overrides)."""
from __future__ import annotations

import asyncio
import os
import uuid
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.types import Message, Update
from redis.asyncio import Redis
from sqlalchemy import select

from core.clock import ManualClock
from db.models import InboxUpdate
from lapor.polling import InboxPoller
from lapor.redis_fsm import ReplaySafeRedisStorage

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
BOT_ID = 42
CHAT = 7
KEY = StorageKey(bot_id=BOT_ID, chat_id=CHAT, user_id=CHAT)


@pytest.fixture
async def storages():
    """A factory of storages on one Redis prefix (one per simulated process); cleans up after."""
    prefix = f"lapor-test-{uuid.uuid4().hex[:8]}"
    made: list[ReplaySafeRedisStorage] = []

    def make() -> ReplaySafeRedisStorage:
        storage = ReplaySafeRedisStorage(Redis.from_url(REDIS_URL), key_builder=DefaultKeyBuilder(prefix=prefix,
                                         with_bot_id=True), marker_ttl=timedelta(days=2))
        made.append(storage)
        return storage

    yield make
    redis = Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    for storage in made:
        await storage.close()


def _message(update_id: int, text: str) -> Update:
    return Update.model_validate({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": text,
        "chat": {"id": CHAT, "type": "private"}, "from": {"id": CHAT, "is_bot": False, "first_name": "W"},
    }})


class Handler:
    """Counts each message in the conversation's data and moves the state to the text; can be held
    mid-way (after its state writes) to be killed there."""

    def __init__(self, hold: bool = False) -> None:
        self.calls = 0
        self.hold = hold
        self.reached = asyncio.Event()

    async def __call__(self, message: Message, state: FSMContext) -> None:
        self.calls += 1
        data = await state.get_data()
        await state.set_state(message.text)
        await state.update_data(seen=data.get("seen", 0) + 1)
        if self.hold:
            self.reached.set()
            await asyncio.Event().wait()


def _poller(db, storage: ReplaySafeRedisStorage, handler: Handler) -> InboxPoller:
    dp = Dispatcher(storage=storage)

    @dp.message()
    async def on_text(message: Message, state: FSMContext) -> None:
        await handler(message, state)

    return InboxPoller(name="citizen", bot=Bot(f"{BOT_ID}:TEST"), dispatcher=dp, sessionmaker=db,
                       clock=ManualClock())


async def inbox_status(db) -> dict[int, str]:
    async with db() as session:
        return dict((await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))).all())


async def test_an_updates_writes_reach_redis_together_once_it_is_handled(db, storages):
    storage = storages()
    async with storage.holding(BOT_ID, 1):
        await storage.set_state(KEY, "Report:location")
        await storage.update_data(KEY, {"category": "pengemis"})
        assert await storage.get_state(KEY) == "Report:location"  # the handlers see their writes...
        assert await storage.redis.get(storage.key_builder.build(KEY, "state")) is None  # ...Redis not yet
        assert not await storage.applied(BOT_ID, 1)
    assert await storage.get_state(KEY) == "Report:location"
    assert await storage.get_data(KEY) == {"category": "pengemis"}
    assert await storage.applied(BOT_ID, 1) and not await storage.applied(BOT_ID, 2)
    # Outside an update a write goes straight through (retention forgetting a conversation).
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}


async def test_an_update_handled_whole_but_never_marked_is_not_handled_again(db, storages, monkeypatch):
    first = Handler()
    poller = _poller(db, storages(), first)

    async def refuse(*args, **kwargs):  # the instance dies between its Redis writes and its mark
        raise OSError("connection lost")

    monkeypatch.setattr("core.inbox.mark_handled", refuse)
    await poller.accept([_message(1, "S:one")])
    await poller.idle()
    monkeypatch.undo()
    assert await inbox_status(db) == {1: "pending"} and first.calls == 1

    again = Handler()
    survivor_storage = storages()
    survivor = _poller(db, survivor_storage, again)
    await survivor.replay()
    await survivor.idle()
    assert again.calls == 0  # not a second time: the conversation is not moved on twice
    assert await inbox_status(db) == {1: "done"}
    assert await survivor_storage.get_state(KEY) == "S:one"
    assert await survivor_storage.get_data(KEY) == {"seen": 1}
    # The conversation goes on from there.
    await survivor.accept([_message(2, "S:two")])
    await survivor.idle()
    assert again.calls == 1 and await survivor_storage.get_data(KEY) == {"seen": 2}


async def test_an_update_killed_mid_way_leaves_the_conversation_where_it_was(db, storages):
    storage = storages()
    await storage.set_state(KEY, "S:zero")
    held = Handler(hold=True)
    poller = _poller(db, storage, held)
    await poller.accept([_message(1, "S:one")])
    await held.reached.wait()
    for task in list(poller._tasks):  # kill -9 in the middle of the handler
        task.cancel()
    await asyncio.gather(*poller._tasks, return_exceptions=True)
    assert await storage.get_state(KEY) == "S:zero"
    assert await inbox_status(db) == {1: "pending"}

    again = Handler()
    survivor = _poller(db, storages(), again)
    await survivor.replay()
    await survivor.idle()
    assert again.calls == 1  # replayed from the state it first saw
    assert await storage.get_state(KEY) == "S:one" and await storage.get_data(KEY) == {"seen": 1}
    assert await inbox_status(db) == {1: "done"}
