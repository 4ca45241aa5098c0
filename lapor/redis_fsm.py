"""aiogram's RedisStorage, made safe for an update handled twice.

An update is replayed when the instance that took it died before marking it handled (webhook
mode, several instances) or at start-up. With RedisStorage as aiogram ships it, a conversation's
state moves on the moment a handler sets it, whatever happens next: an instance that died after
that but before the update counted as handled left the conversation a step ahead, and the replay
then met the resident's tap in the wrong state (a button "no longer valid") and the step was lost.

Here, while an update is handled (`holding`), its writes are held and go to Redis at the end in
one MULTI transaction, together with a marker saying that this update's conversation writes are
done. The handlers' own database work is committed before that point, so a replayed update whose
marker is found was handled whole and only missed its "handled" mark: it is skipped. One without
a marker starts again from the state it started from. The marker expires with the inbox's
redelivery window and names only the bot and the update, nobody's data.
"""
from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

HeldRedis = dict[StorageKey, tuple[str | None, dict[str, Any]]]
_held: ContextVar[HeldRedis | None] = ContextVar("redis_fsm_held_writes", default=None)


class ReplaySafeRedisStorage(RedisStorage):
    def __init__(self, *args: Any, marker_ttl: timedelta, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.marker_ttl = marker_ttl
        self._marker_prefix = (self.key_builder.prefix if isinstance(self.key_builder, DefaultKeyBuilder)
                               else "fsm")

    def _marker(self, bot_id: int, update_id: int) -> str:
        return f"{self._marker_prefix}:applied:{bot_id}:{update_id}"

    async def applied(self, bot_id: int, update_id: int) -> bool:
        """True when this update's conversation writes already reached Redis (it was handled)."""
        return bool(await self.redis.exists(self._marker(bot_id, update_id)))

    @asynccontextmanager
    async def holding(self, bot_id: int, update_id: int) -> AsyncIterator[HeldRedis]:
        """Holds the writes of the update handled inside; writes them, with its marker, on the way out
        (after a failing handler too: what it changed before failing is what the database has)."""
        writes: HeldRedis = {}
        token = _held.set(writes)
        try:
            try:
                yield writes
            finally:
                _held.reset(token)
        except Exception:
            await self._write(writes, self._marker(bot_id, update_id))
            raise
        # Not on cancellation: the process is going away mid-update, which is replayed from the start.
        await self._write(writes, self._marker(bot_id, update_id))

    async def _write(self, writes: HeldRedis, marker: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key, (state, data) in writes.items():
                state_key, data_key = self.key_builder.build(key, "state"), self.key_builder.build(key, "data")
                if state is None:
                    pipe.delete(state_key)
                else:
                    pipe.set(state_key, state, ex=self.state_ttl)
                if data:
                    pipe.set(data_key, self.json_dumps(data), ex=self.data_ttl)
                else:
                    pipe.delete(data_key)
            pipe.set(marker, b"1", ex=self.marker_ttl)
            await pipe.execute()

    async def _current(self, key: StorageKey, held: HeldRedis) -> tuple[str | None, dict[str, Any]]:
        if key not in held:
            held[key] = (await super().get_state(key), await super().get_data(key))
        return held[key]

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        held = _held.get()
        if held is None:
            await super().set_state(key, state)
            return
        _, data = await self._current(key, held)
        held[key] = (cast(str | None, state.state if isinstance(state, State) else state), data)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        held = _held.get()
        if held is None:
            await super().set_data(key, data)
            return
        state, _ = await self._current(key, held)
        held[key] = (state, copy.deepcopy(dict(data)))

    async def get_state(self, key: StorageKey) -> str | None:
        held = _held.get()
        if held is not None and key in held:
            return held[key][0]
        return await super().get_state(key)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        held = _held.get()
        if held is not None and key in held:
            return copy.deepcopy(held[key][1])
        return await super().get_data(key)
