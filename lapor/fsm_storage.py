"""aiogram FSM storage in the project's database: a half-finished report survives a restart.

Write-through with an in-process cache of the most recently active chats: reads cost nothing
after the first and memory stays bounded however many drafts wait. While an update is handled
(`held_writes`), its writes are held and go to the database in the transaction that marks the
update handled (lapor.polling, which shares it among the updates finishing together): one row
per update instead of one write per set_state/set_data, and the conversation moves on exactly
when the update counts as done, never one without the other.

The cache is only right while one process owns the database (polling, the default);
webhook mode turns it off (several instances may share the database), and deployments with
several instances are better served by RedisStorage (see README).
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from db.dialect import dialect_name, upsert
from db.models import FsmRecord

Held = dict[str, tuple[str | None, dict[str, Any]]]
_FSM = cast(Table, FsmRecord.__table__)
_LOAD = select(_FSM.c.state, _FSM.c.data).where(_FSM.c.key == bindparam("key"))
# The writes of the update this task is handling (None outside an update: write through).
_held: ContextVar[Held | None] = ContextVar("fsm_held_writes", default=None)


@contextmanager
def held_writes() -> Iterator[Held]:
    """Holds SqlStorage writes made inside (by one update's handlers) for SqlStorage.write_held."""
    writes: Held = {}
    token = _held.set(writes)
    try:
        yield writes
    finally:
        _held.reset(token)


def _key(key: StorageKey) -> str:
    return (f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or 0}:"
            f"{key.business_connection_id or ''}:{key.destiny}")


class SqlStorage(BaseStorage):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *,
                 cache_size: int = 5000) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size
        self._statements: dict[str, Any] = {}

    def _remember(self, key: str, value: tuple[str | None, dict[str, Any]]) -> None:
        if self._cache_size <= 0:
            return
        self._cache[key] = value
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        held = _held.get()
        if held is not None and key in held:
            return held[key]
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        async with self._sessionmaker() as session:
            row = (await session.execute(_LOAD, {"key": key})).first()
        value = (row.state, dict(row.data or {})) if row else (None, {})
        self._remember(key, value)
        return value

    async def _upsert(self, session: AsyncSession, writes: Held) -> None:
        """All of `writes` in one statement (executemany), built once per dialect."""
        now = self._clock.now()
        dialect = dialect_name(session)
        stmt = self._statements.get(dialect)
        if stmt is None:
            insert = upsert(session)(_FSM)
            stmt = self._statements[dialect] = insert.on_conflict_do_update(
                index_elements=[_FSM.c.key],
                set_={"state": insert.excluded.state, "data": insert.excluded.data,
                      "updated_at": insert.excluded.updated_at},
            )
        await session.execute(stmt, [{"key": key, "state": state, "data": data, "updated_at": now}
                                     for key, (state, data) in writes.items()])

    async def _store(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        held = _held.get()
        if held is not None:
            held[key] = (state, data)
            return
        async with self._sessionmaker() as session:
            await self._upsert(session, {key: (state, data)})
            await session.commit()
        self._remember(key, (state, data))

    async def write_held(self, session: AsyncSession, writes: Held) -> None:
        """Adds an update's held writes to `session`; the caller commits, then calls `held_written`."""
        if writes:
            await self._upsert(session, writes)

    def held_written(self, writes: Held) -> None:
        for key, value in writes.items():
            self._remember(key, value)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        k = _key(key)
        _, data = await self._load(k)
        new_state = state.state if isinstance(state, State) else state
        await self._store(k, new_state, data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(_key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        k = _key(key)
        state, _ = await self._load(k)
        await self._store(k, state, copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy((await self._load(_key(key)))[1])

    def forget(self, key: StorageKey) -> None:
        """Drops a conversation from the cache (retention deleted its row in the database)."""
        self._cache.pop(_key(key), None)

    async def close(self) -> None:
        self._cache.clear()
