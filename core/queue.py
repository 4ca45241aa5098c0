"""The officers' views of the work: an agency's open reports, an officer's own, the overdue ones,
one report with its whole history. Every query is bounded by an index and a page size."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import OPEN_STATES
from db.models import AuditEvent, Report

PAGE_SIZE = 8


@dataclass(frozen=True)
class QueueLine:
    id: int
    ticket: str
    category: str
    state: str
    kecamatan: str | None
    urgent: bool
    created_at: datetime
    due_at: datetime
    owner_id: int | None


def _line(r: Report) -> QueueLine:
    return QueueLine(r.id, r.ticket, r.category, r.state, r.kecamatan, r.urgent, r.created_at,
                     r.response_due_at, r.owner_id)


async def agency_queue(
    session: AsyncSession, *, agency: str, page: int = 0, most_overdue_first: bool = False,
    kecamatan: str | None = None, state: str | None = None,
) -> tuple[list[QueueLine], int]:
    where = [Report.agency == agency, Report.state.in_([state] if state else list(OPEN_STATES))]
    if kecamatan:
        where.append(Report.kecamatan == kecamatan)
    total = (await session.execute(select(func.count()).select_from(Report).where(*where))).scalar_one()
    order = (Report.response_due_at.asc(),) if most_overdue_first else (Report.created_at.desc(),)
    rows = (await session.execute(
        select(Report).where(*where).order_by(*order, Report.id.desc()).offset(page * PAGE_SIZE).limit(PAGE_SIZE)
    )).scalars()
    return [_line(r) for r in rows], total


async def officer_tasks(session: AsyncSession, *, officer_id: int) -> list[QueueLine]:
    rows = (await session.execute(
        select(Report).where(Report.owner_id == officer_id, Report.state.in_(list(OPEN_STATES)))
        .order_by(Report.response_due_at).limit(50)
    )).scalars()
    return [_line(r) for r in rows]


async def overdue(session: AsyncSession, *, agency: str | None, now: datetime) -> list[QueueLine]:
    """Open reports past a target: not acknowledged by the response target, or not closed by the
    close target."""
    late = or_(
        (Report.acknowledged_at.is_(None)) & (Report.response_due_at < now),
        (Report.close_due_at.is_not(None)) & (Report.close_due_at < now),
    )
    stmt = select(Report).where(Report.state.in_(list(OPEN_STATES)), late)
    if agency:
        stmt = stmt.where(Report.agency == agency)
    rows = (await session.execute(stmt.order_by(Report.response_due_at).limit(50))).scalars()
    return [_line(r) for r in rows]


async def history(session: AsyncSession, *, report_id: int) -> list[AuditEvent]:
    return list((await session.execute(
        select(AuditEvent).where(AuditEvent.report_id == report_id).order_by(AuditEvent.id)
    )).scalars())


async def find_ticket(session: AsyncSession, ticket: str) -> Report | None:
    return (await session.execute(select(Report).where(Report.ticket == ticket))).scalar_one_or_none()
