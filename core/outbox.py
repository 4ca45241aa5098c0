"""The outbox: messages owed, written in the caller's transaction, sent later by a worker.

What core queues are notices (core.notices: a kind, a recipient rule, ids): the bot that sends a
row renders it then, after the policy cleared the recipient again. The storage and the delivery
mechanics (claims, leases, retries, per-chat order) live here and know nothing of what a row says.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import dialect_name
from db.models import Outbox

PRIORITY_INTERACTIVE = 0  # someone is waiting for this answer
PRIORITY_BULK = 10  # alerts, summaries
CLAIM_LEASE = timedelta(seconds=60)
PER_CHAT = 3
OUTBOX_TOUCHED = "outbox_touched"
# Rows the sending bot renders at send time: notices, and alerts queued before migration 0007.
RENDERED = frozenset({"notice", "render"})


def enqueue(
    session: AsyncSession,
    *,
    bot: str,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    priority: int = PRIORITY_BULK,
    report_id: int | None = None,
) -> Outbox:
    row = Outbox(
        bot=bot,
        chat_id=chat_id,
        method=method,
        payload=payload,
        priority=priority,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        report_id=report_id,
    )
    session.add(row)
    # Tells the app, after the update, that the outbox worker has something to look at.
    session.info[OUTBOX_TOUCHED] = True
    return row


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    attempts: int
    held_until: datetime


async def claim_due(
    session: AsyncSession, *, bot: str, worker: str, now: datetime, limit: int = 50,
    lease: timedelta = CLAIM_LEASE,
) -> list[Claimed]:
    """Claims due rows for `worker`, oldest and most urgent first, and commits the claim.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so several instances never take the same row.
    SQLite: one writer at a time already serialises claims (one instance per database file).
    A claim is a lease: rows of a worker that died are taken over once the lease runs out.
    """
    free = or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now)
    due = [Outbox.bot == bot, Outbox.status == "pending", Outbox.next_attempt_at <= now, free]
    candidates = list(due)
    if dialect_name(session) == "postgresql":
        # Several instances: a chat whose earlier rows another worker holds is left to that
        # worker, so a chat's messages keep their order and pace whoever sends them. (NOT IN a
        # subquery, which PostgreSQL evaluates once and hashes: a correlated NOT EXISTS was
        # planned as a scan per row, one second per claim with 2,000 rows waiting.)
        held = (select(Outbox.chat_id)
                .where(Outbox.bot == bot, Outbox.status == "pending", Outbox.claimed_until >= now,
                       Outbox.claimed_by != worker))
        candidates.append(Outbox.chat_id.not_in(held))
    # At most PER_CHAT rows of one chat per claim: a chat goes at one message a second, so a
    # chat with a backlog (a supervisor's summary and its files, twenty alerts) must not fill
    # the batch and hold every other chat back while it drains.
    # Two statements rather than one: the ranking as a query of its own is computed once, where
    # nested under the locking query it was re-run for every row (fresh rows have no statistics).
    rank = func.row_number().over(partition_by=Outbox.chat_id, order_by=(Outbox.priority, Outbox.id))
    ranked = select(Outbox.id.label("id"), Outbox.priority.label("priority"), rank.label("rank")) \
        .where(*candidates).subquery()
    ids = list((await session.execute(
        select(ranked.c.id).where(ranked.c.rank <= PER_CHAT).order_by(ranked.c.priority, ranked.c.id).limit(limit)
    )).scalars())
    if not ids:
        await session.commit()
        return []
    stmt = select(Outbox).where(Outbox.id.in_(ids), *due).order_by(Outbox.priority, Outbox.id)
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list((await session.execute(stmt)).scalars())
    if rows:
        await session.execute(
            update(Outbox)
            .where(Outbox.id.in_([r.id for r in rows]))
            .values(claimed_by=worker, claimed_until=now + lease)
        )
    await session.commit()
    return [Claimed(r.id, r.chat_id, r.method, r.payload, r.attempts, now + lease) for r in rows]


async def renew_claims(session: AsyncSession, *, ids: list[int], worker: str, until: datetime) -> set[int]:
    """Extends `worker`'s lease on the rows it still holds and returns their ids. A row missing
    from the answer was taken over by another worker after the lease ran out (or is no longer
    pending): sending it now would send it twice."""
    if not ids:
        return set()
    held = set((await session.execute(
        update(Outbox)
        .where(Outbox.id.in_(ids), Outbox.claimed_by == worker, Outbox.status == "pending")
        .values(claimed_until=until)
        .returning(Outbox.id)
    )).scalars())
    await session.commit()
    return held


async def mark_sent(session: AsyncSession, row_id: int, now: datetime) -> None:
    await session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(status="sent", sent_at=now, attempts=Outbox.attempts + 1, claimed_by=None, claimed_until=None)
    )
    await session.commit()


async def forget(session: AsyncSession, row_id: int) -> None:
    """Deletes a row once it is done with: a farewell to a deleted resident's chat leaves no trace."""
    await session.execute(delete(Outbox).where(Outbox.id == row_id))
    await session.commit()


async def mark_retry(
    session: AsyncSession, row_id: int, *, at: datetime, error: str, chat_id: int, bot: str
) -> None:
    """Reschedules a row, and with it every later row of the same chat, so order is kept."""
    await session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(next_attempt_at=at, attempts=Outbox.attempts + 1, last_error=error[:500],
                claimed_by=None, claimed_until=None)
    )
    await session.execute(
        update(Outbox)
        .where(Outbox.bot == bot, Outbox.chat_id == chat_id, Outbox.status == "pending",
               Outbox.id > row_id, Outbox.next_attempt_at < at)
        .values(next_attempt_at=at)
    )
    await session.commit()


async def release_claims_of(session: AsyncSession, *, ids: list[int]) -> None:
    if not ids:
        return
    await session.execute(update(Outbox).where(Outbox.id.in_(ids)).values(claimed_by=None, claimed_until=None))
    await session.commit()


async def mark_dead(session: AsyncSession, row_id: int, *, error: str) -> None:
    await session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(status="dead", attempts=Outbox.attempts + 1, last_error=error[:500],
                claimed_by=None, claimed_until=None)
    )
    await session.commit()


async def release_claims(session: AsyncSession, *, worker: str) -> None:
    """Hands back what a stopping worker claimed but did not send."""
    await session.execute(
        update(Outbox)
        .where(and_(Outbox.claimed_by == worker, Outbox.status == "pending"))
        .values(claimed_by=None, claimed_until=None)
    )
    await session.commit()


async def next_due_at(session: AsyncSession, *, bot: str) -> datetime | None:
    stmt = (
        select(Outbox.next_attempt_at)
        .where(Outbox.bot == bot, Outbox.status == "pending")
        .order_by(Outbox.next_attempt_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
