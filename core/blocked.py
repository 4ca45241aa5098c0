"""What a 403 from Telegram means for the bots' people: the resident or the officer blocked the
bot. A resident's status updates wait until they write again; an officer's supervisors are told,
so someone else covers their alerts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.notices import Kind, to_officer
from core.officers import supervisors_of
from db.models import AuditEvent, Officer, Reporter


async def mark_unreachable(session: AsyncSession, *, chat_id: int) -> None:
    rows = (await session.execute(select(Reporter).where(Reporter.chat_id == chat_id))).scalars()
    for row in rows:
        row.unreachable = True
    await session.commit()


async def mark_officer_unreachable(session: AsyncSession, *, chat_id: int, now: datetime) -> None:
    """The officer blocked the bot (403): marked unreachable, and their supervisors are told so
    someone else covers their alerts."""
    officers = (await session.execute(select(Officer).where(Officer.chat_id == chat_id))).scalars().all()
    for officer in officers:
        if officer.unreachable:
            continue
        officer.unreachable = True
        session.add(AuditEvent(report_id=None, at=now, actor_type="system", actor_id=None,
                               action="officer_unreachable", data={"officer_id": officer.id}))
        for supervisor in await supervisors_of(session, agency=officer.agency):
            if supervisor.id != officer.id and not supervisor.unreachable:
                to_officer(session, supervisor, Kind.OFFICER_UNREACHABLE, now=now, about=officer.id)
    await session.commit()
