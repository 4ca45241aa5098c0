"""SqlStorage: conversation state in the database, written once per update with the update's
"handled" mark, and straight through outside an update."""
from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from core.clock import ManualClock
from db.models import FsmRecord
from lapor.fsm_storage import SqlStorage, held_writes

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
