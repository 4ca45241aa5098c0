"""Refused attempts, recorded without letting anyone flood the audit log.

A stranger writing to the officers' bot, a forged button, a command typed in a group: each is a
refusal. The first of a sender in a chat in an hour is written to the audit log; every one is
counted in access_refusals, so the log stays readable and bounded however hard someone tries.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import rowcount, upsert
from db.models import AccessRefusal, AuditEvent


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


async def record_refusal(
    session: AsyncSession, *, now: datetime, what: str, officer_id: int | None = None,
    telegram_id: int | None = None, chat_id: int | None = None,
) -> int:
    """Counts the refusal and commits; returns how many this sender had in this chat this hour
    (1: the first, which is audited). Anything the session had pending is rolled back first: a
    refused request changes nothing."""
    if session.in_transaction():
        await session.rollback()
    hour, what = _hour(now), what[:64]
    key = {"telegram_id": telegram_id or 0, "chat_id": chat_id or 0, "hour": hour}
    first = rowcount(await session.execute(
        upsert(session)(AccessRefusal).values(**key, officer_id=officer_id, count=1, last_what=what, last_at=now)
        .on_conflict_do_nothing(index_elements=["telegram_id", "chat_id", "hour"]))) == 1
    if first:
        session.add(AuditEvent(
            report_id=None, at=now, actor_type="officer" if officer_id else "unknown",
            actor_id=officer_id if officer_id else telegram_id,
            action="access_refused" if officer_id else "unregistered_access",
            data={"what": what, "chat_id": chat_id, "telegram_id": telegram_id, "counted_in": "access_refusals"}))
        count = 1
    else:
        count = (await session.execute(
            update(AccessRefusal).where(*(getattr(AccessRefusal, k) == v for k, v in key.items()))
            .values(count=AccessRefusal.count + 1, last_what=what, last_at=now)
            .returning(AccessRefusal.count))).scalar_one()
    await session.commit()
    return count
