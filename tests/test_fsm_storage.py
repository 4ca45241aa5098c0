"""SqlStorage: conversation state in the database, written once per update with the update's
"handled" mark, and straight through outside an update; the poller's group commit of those marks."""
from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message, Update
from sqlalchemy import func, select

from core.clock import ManualClock
from db.models import FsmRecord, InboxUpdate
from lapor.fsm_storage import SqlStorage, held_writes
from lapor.polling import InboxPoller

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def rows(sessionmaker) -> dict[str, tuple]:
    async with sessionmaker() as session:
        return {r.key: (r.state, r.data) for r in (await session.execute(select(FsmRecord))).scalars()}


async def test_outside_an_update_each_write_goes_straight_to_the_database(db):
    storage = SqlStorage(db, ManualClock())
    await storage.set_state(KEY, "Report:category")
    await storage.set_data(KEY, {"category": "pengemis"})
    assert list((await rows(db)).values()) == [("Report:category", {"category": "pengemis"})]


async def test_an_updates_writes_are_held_then_written_in_one_go(db):
    storage = SqlStorage(db, ManualClock(), cache_size=0)  # no cache: reads inside see the held writes
    with held_writes() as writes:
        await storage.set_state(KEY, "Report:location")
        await storage.update_data(KEY, {"category": "pengemis"})
        await storage.update_data(KEY, {"people": "few"})
        # Inside the update the handlers see their own writes...
        assert await storage.get_state(KEY) == "Report:location"
        assert await storage.get_data(KEY) == {"category": "pengemis", "people": "few"}
    # ...and nothing reached the database yet: it goes with the update's "handled" mark.
    assert await rows(db) == {}
    assert await storage.get_state(KEY) is None
    async with db() as session:
        await storage.write_held(session, writes)
        await session.commit()
    storage.held_written(writes)
    assert list((await rows(db)).values()) == [("Report:location", {"category": "pengemis", "people": "few"})]
    async with db() as session:
        assert (await session.execute(select(func.count()).select_from(FsmRecord))).scalar() == 1


async def test_held_writes_that_never_commit_leave_the_conversation_where_it_was(db):
    """The process died, or the database refused, before the update was marked handled: the
    update is replayed from the inbox against the state it first saw, not a half-moved one."""
    storage = SqlStorage(db, ManualClock())
    await storage.set_state(KEY, "Report:category")
    with held_writes() as writes:
        await storage.set_state(KEY, "Report:location")
    async with db() as session:
        await storage.write_held(session, writes)
        await session.rollback()
    assert await storage.get_state(KEY) == "Report:category"  # the cache was not moved on either
    assert list((await rows(db)).values())[0][0] == "Report:category"


# --- the poller's group commit ---------------------------------------------------------------

def _message(update_id: int, chat_id: int, text: str) -> Update:
    return Update.model_validate({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": text,
        "chat": {"id": chat_id, "type": "private"}, "from": {"id": chat_id, "is_bot": False, "first_name": "W"},
    }})


class Gate:
    """Holds handlers until `expected` of them wait, then lets them all go at once."""

    def __init__(self, expected: int) -> None:
        self.expected, self.waiting, self.open = expected, 0, asyncio.Event()

    async def wait(self) -> None:
        self.waiting += 1
        if self.waiting == self.expected:
            self.open.set()
        await self.open.wait()


def _poller(db, gate: Gate | None = None, fail_on: str | None = None) -> InboxPoller:
    """An InboxPoller whose one handler moves the chat's state to the message's text (once the
    gate opens, so that many updates finish at once)."""
    clock = ManualClock()
    dp = Dispatcher(storage=SqlStorage(db, clock))

    @dp.message()
    async def on_text(message: Message, state: FSMContext) -> None:
        if gate is not None:
            await gate.wait()
        await state.set_state(message.text)
        if message.text == fail_on:
            raise RuntimeError("handler broke")

    return InboxPoller(name="citizen", bot=Bot("42:TEST"), dispatcher=dp, sessionmaker=db, clock=clock, concurrency=20)


async def inbox_status(db) -> dict[int, str]:
    async with db() as session:
        return dict((await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))).all())


async def test_updates_that_finish_together_are_marked_handled_in_one_transaction(db):
    poller = _poller(db, Gate(12))
    await poller.accept([_message(100 + i, 500 + i, f"S:{i}") for i in range(12)])
    await poller.idle()
    assert await inbox_status(db) == {100 + i: "done" for i in range(12)}
    states = await rows(db)
    assert {k.split(":")[1]: v[0] for k, v in states.items()} == {str(500 + i): f"S:{i}" for i in range(12)}
    # The first update to finish is written alone; the others queued meanwhile go in one more.
    assert poller.batches <= 2, poller.batches
    assert poller.handled == 12


async def test_a_chats_next_update_sees_the_state_its_previous_update_committed(db):
    poller = _poller(db)
    await poller.accept([_message(1, 7, "S:one"), _message(2, 7, "S:two"), _message(3, 8, "S:x")])
    await poller.idle()
    assert await inbox_status(db) == {1: "done", 2: "done", 3: "done"}
    assert sorted(v[0] for v in (await rows(db)).values()) == ["S:two", "S:x"]


async def test_a_failing_handler_is_marked_failed_without_holding_back_the_others(db):
    poller = _poller(db, Gate(3), fail_on="S:bad")
    await poller.accept([_message(1, 7, "S:ok"), _message(2, 8, "S:bad"), _message(3, 9, "S:fine")])
    await poller.idle()
    assert await inbox_status(db) == {1: "done", 2: "failed", 3: "done"}
    assert poller.failed == 1


async def test_when_the_database_refuses_the_mark_the_updates_stay_pending_for_replay(db, monkeypatch):
    poller = _poller(db)

    async def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("core.inbox.mark_handled", refuse)
    await poller.accept([_message(1, 7, "S:one")])
    await poller.idle()
    assert await inbox_status(db) == {1: "pending"}
    assert await rows(db) == {}  # nor did the conversation move on
    monkeypatch.undo()
    replayed = _poller(db)
    await replayed.replay()
    await replayed.idle()
    assert await inbox_status(db) == {1: "done"}
    assert [v[0] for v in (await rows(db)).values()] == ["S:one"]
