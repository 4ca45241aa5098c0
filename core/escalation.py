"""Response targets: a report not acknowledged by its response target, or not closed by its close
target, escalates to the agency's supervisors once per threshold, with a reminder to its holder.

Run every minute by the scheduler; an Escalation row per (report, threshold) makes each message
go out once, however many instances run the job or however often it runs.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import ReportState
from core.notices import Kind, to_officer
from core.officers import supervisors_of
from core.outbox import PRIORITY_BULK
from core.region import RegionConfig
from db.dialect import rowcount, upsert
from db.models import Escalation, Officer, Report


async def _claim(session: AsyncSession, report_id: int, kind: str, now: datetime) -> bool:
    stmt = upsert(session)(Escalation).values(report_id=report_id, kind=kind, level=1, at=now)
    stmt = stmt.on_conflict_do_nothing(index_elements=[Escalation.report_id, Escalation.kind, Escalation.level])
    return rowcount(await session.execute(stmt)) == 1


async def _not_yet_escalated(session: AsyncSession, kind: str, states, due, now: datetime) -> list[Report]:
    """Late reports without this escalation yet, most overdue first. Those already escalated are
    left out in the query: a backlog of old late reports must not hide a new one behind the limit."""
    done = exists().where(Escalation.report_id == Report.id, Escalation.kind == kind)
    stmt = select(Report).where(Report.state.in_(states), due < now, ~done).order_by(due).limit(BATCH)
    return list((await session.execute(stmt)).scalars())


BATCH = 200  # per run (every minute); more wait for the next run


async def escalate_due(session: AsyncSession, *, region: RegionConfig, now: datetime) -> int:
    """Queues the escalations that are due; returns how many reports escalated."""
    late_ack = await _not_yet_escalated(session, "ack", [ReportState.BARU, ReportState.DIALIHKAN],
                                        Report.response_due_at, now)
    late_close = await _not_yet_escalated(session, "close", [ReportState.DITERIMA, ReportState.DITANGANI],
                                          Report.close_due_at, now)
    count = 0
    for kind, reports in (("ack", late_ack), ("close", late_close)):
        for report in reports:
            if not await _claim(session, report.id, kind, now):
                continue
            count += 1
            owner = await session.get(Officer, report.owner_id) if report.owner_id else None
            for supervisor in await supervisors_of(session, agency=report.agency):
                to_officer(session, supervisor, Kind.ESCALATION, now=now, priority=PRIORITY_BULK,
                           report_id=report.id, late=kind)
            if owner is not None:
                to_officer(session, owner, Kind.REMINDER, now=now, priority=PRIORITY_BULK, report_id=report.id)
    await session.commit()
    return count
