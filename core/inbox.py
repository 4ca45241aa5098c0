"""The inbox: updates are stored by update_id before the offset moves on (nothing confirmed is lost),
and a second delivery of the same update_id is recognised and dropped."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import dialect_name, rowcount, upsert
from db.models import InboxUpdate

# The two statements every update costs are built once, on the table rather than the ORM entity:
# building and caching an ORM statement per update was a measurable share of the bot's CPU.
_INBOX = cast(Table, InboxUpdate.__table__)
_SEEN = select(_INBOX.c.update_id).where(
    _INBOX.c.bot == bindparam("bot"), _INBOX.c.update_id.in_(bindparam("ids", expanding=True)))
# A handled update keeps only its key (a redelivery is still recognised): what the resident wrote
# lives on in the rows their handlers wrote, which retention knows how to erase. A failed one
# keeps its payload for diagnosis until purge_handled, two days later.
_FINISH = (
    update(_INBOX)
    .where(_INBOX.c.bot == bindparam("b_bot"), _INBOX.c.update_id == bindparam("b_update_id"))
    .values(status=bindparam("b_status"), handled_at=bindparam("b_handled_at"), error=bindparam("b_error"),
            payload=case((bindparam("b_error", type_=_INBOX.c.error.type).is_(None), literal({},
                                                                                             _INBOX.c.payload.type)),
                         else_=_INBOX.c.payload))
)


async def record(
    session: AsyncSession, *, bot: str, updates: list[dict[str, Any]], now: datetime,
    lease: timedelta | None = None,
) -> list[int]:
    """Stores updates, ignoring ids already seen; returns the ids that are new. Commits.

    With a lease (webhook mode), the new rows are held by the caller until `now + lease`."""
    if not updates:
        return []
    ids = [u["update_id"] for u in updates]
    seen = set((await session.execute(_SEEN, {"bot": bot, "ids": ids})).scalars())
    fresh = [u for u in updates if u["update_id"] not in seen]
    if fresh:
        stmt = upsert(session)(_INBOX).on_conflict_do_nothing(index_elements=[_INBOX.c.bot, _INBOX.c.update_id])
        await session.execute(stmt, [
            {"bot": bot, "update_id": u["update_id"], "payload": u, "status": "pending", "received_at": now,
             "handled_at": None, "error": None, "claimed_until": now + lease if lease else None}
            for u in fresh
        ])
    await session.commit()
    return [u["update_id"] for u in fresh]


async def mark_handled(session: AsyncSession, *, bot: str, handled: list[tuple[int, str | None]],
                       now: datetime) -> None:
    """Marks updates handled (done, or failed with the error), in the caller's transaction."""
    await session.execute(_FINISH, [
        {"b_bot": bot, "b_update_id": update_id, "b_status": "failed" if error else "done", "b_handled_at": now,
         "b_error": error}
        for update_id, error in handled
    ])


async def pending(session: AsyncSession, *, bot: str) -> list[dict[str, Any]]:
    """Updates stored but never handled (the process died): replayed at start-up, in order."""
    rows = await session.execute(
        select(InboxUpdate.payload)
        .where(InboxUpdate.bot == bot, InboxUpdate.status == "pending")
        .order_by(InboxUpdate.update_id)
    )
    return list(rows.scalars())


async def claim_stale(
    session: AsyncSession, *, bot: str, now: datetime, lease: timedelta, limit: int = 100,
) -> list[dict[str, Any]]:
    """Takes over pending updates whose holder let the lease run out (its instance died), in
    order, and holds them for `lease`. PostgreSQL: SKIP LOCKED, so two survivors never both take
    one; SQLite has a single writer (and a single instance). Commits."""
    stmt = (
        select(InboxUpdate.update_id, InboxUpdate.payload)
        .where(InboxUpdate.bot == bot, InboxUpdate.status == "pending",
               or_(InboxUpdate.claimed_until.is_(None), InboxUpdate.claimed_until < now))
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = (await session.execute(stmt)).all()
    if rows:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.bot == bot, InboxUpdate.update_id.in_([r.update_id for r in rows]))
            .values(claimed_until=now + lease)
        )
    await session.commit()
    return [r.payload for r in rows]


async def renew(session: AsyncSession, *, bot: str, update_ids: list[int], until: datetime) -> None:
    """The holder is alive and still working on these: keeps other instances off them."""
    if update_ids:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.bot == bot, InboxUpdate.status == "pending", InboxUpdate.update_id.in_(update_ids))
            .values(claimed_until=until)
        )
    await session.commit()


async def purge_handled(session: AsyncSession, *, older_than: datetime) -> int:
    """Keeps the inbox small; an update older than a day can no longer be redelivered."""
    result = await session.execute(
        delete(InboxUpdate).where(InboxUpdate.status != "pending", InboxUpdate.handled_at < older_than)
    )
    await session.commit()
    return rowcount(result) or 0


REDELIVERY_WINDOW = timedelta(days=2)
