"""Which instances of the deployment are alive, so they can divide each bot's send budget.

Telegram allows a bot about 30 messages a second whoever sends them: two webhook instances that
each pace themselves to 30 would send 60 and draw 429s for the whole service. Each instance says
it is alive every few seconds; one not heard from for `ttl` is counted out (killed, or cut off),
and an instance that stops cleanly leaves at once, so the survivors get its share back.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert
from db.models import AppInstance

HEARTBEAT = timedelta(seconds=2)
# Five missed heartbeats: an instance whose loop is merely busy is not counted out (which would
# let the others take its share while it still sends), a dead one frees its share within seconds.
TTL = timedelta(seconds=10)


async def heartbeat(session: AsyncSession, *, instance: str, now: datetime, ttl: timedelta) -> int:
    """Records `instance` as alive now, forgets instances silent for longer than `ttl`, and
    returns how many are alive (this one included). Commits."""
    insert = upsert(session)(AppInstance).values(instance=instance, started_at=now, seen_at=now)
    await session.execute(insert.on_conflict_do_update(index_elements=[AppInstance.instance],
                                                       set_={"seen_at": now}))
    await session.execute(delete(AppInstance).where(AppInstance.seen_at < now - ttl))
    alive = (await session.execute(select(func.count()).select_from(AppInstance))).scalar_one()
    await session.commit()
    return alive


async def leave(session: AsyncSession, *, instance: str) -> None:
    """A clean stop: the others take the whole budget back at their next heartbeat."""
    await session.execute(delete(AppInstance).where(AppInstance.instance == instance))
    await session.commit()
