"""The officers' views of the work: the open reports in their scope, their own, the overdue ones,
one report with its whole history. What each holds is the policy's (core.access.list_scope);
every query is bounded by an index and a page size."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.access import PRIVATE, Action, Channel, Scope, list_scope
from core.lifecycle import OPEN_STATES
from core.officers import OfficerInfo
from core.region import Kecamatan
from core.report_access import authorize, covered_areas
from core.targets import is_overdue, overdue_clause
from db.models import AuditEvent, Officer, Report

PAGE_SIZE = 8


@dataclass(frozen=True)
class QueueLine:
    id: int
    ticket: str
    category: str
    state: str
    kecamatan: str | None
    desa: str | None
    urgent: bool
    created_at: datetime
    due_at: datetime
    owner_id: int | None
    late: bool


def _line(r: Report, now: datetime) -> QueueLine:
    return QueueLine(r.id, r.ticket, r.category, r.state, r.kecamatan, r.desa, r.urgent, r.created_at,
                     r.response_due_at, r.owner_id, is_overdue(r.state, r.response_due_at, r.close_due_at, now))


async def scope_clauses(session: AsyncSession, scope: Scope) -> list[ColumnElement[bool]]:
    """The policy's scope as WHERE clauses: an agency, and for an area officer their kecamatan and
    desa, those nobody covers, reports without a kecamatan and what they hold (as core.access.may_read)."""
    if scope.agency is None:
        return []
    where: list[ColumnElement[bool]] = [Report.agency == scope.agency]
    if scope.areas:
        covered = sorted(await covered_areas(session, scope.agency))
        uncovered = and_(Report.kecamatan.not_in(covered), or_(Report.desa_code.is_(None),
                                                              Report.desa_code.not_in(covered)))
        where.append(or_(Report.kecamatan.in_(list(scope.areas)), Report.desa_code.in_(list(scope.areas)),
                         Report.kecamatan.is_(None), uncovered, Report.owner_id == scope.officer_id))
    return where


async def open_reports(
    session: AsyncSession, *, actor: OfficerInfo, now: datetime, page: int = 0, most_overdue_first: bool = False,
    kecamatan: Kecamatan | None = None, desa_code: str | None = None, state: str | None = None,
) -> tuple[list[QueueLine], int]:
    """The open reports the actor may see (their agency's; everyone's for a region-wide reader),
    of one kecamatan or desa if asked (by code where the region has a pack: names change)."""
    where = [Report.state.in_([state] if state else list(OPEN_STATES)),
             *await scope_clauses(session, list_scope(actor))]
    if kecamatan is not None:
        where.append(or_(Report.kecamatan_code == kecamatan.code, Report.kecamatan == kecamatan.name)
                     if kecamatan.code else Report.kecamatan == kecamatan.name)
    if desa_code:
        where.append(Report.desa_code == desa_code)
    total = (await session.execute(select(func.count()).select_from(Report).where(*where))).scalar_one()
    order = (Report.response_due_at.asc(),) if most_overdue_first else (Report.created_at.desc(),)
    rows = (await session.execute(
        select(Report).where(*where).order_by(*order, Report.id.desc()).offset(page * PAGE_SIZE).limit(PAGE_SIZE)
    )).scalars()
    return [_line(r, now) for r in rows], total


async def officer_tasks(session: AsyncSession, *, actor: OfficerInfo, now: datetime) -> list[QueueLine]:
    """The open reports the actor holds, in their agency (a report handed over is no longer theirs)."""
    rows = (await session.execute(
        select(Report).where(Report.owner_id == actor.id, Report.agency == actor.agency,
                             Report.state.in_(list(OPEN_STATES)))
        .order_by(Report.response_due_at).limit(50)
    )).scalars()
    return [_line(r, now) for r in rows]


async def overdue(session: AsyncSession, *, actor: OfficerInfo, now: datetime) -> list[QueueLine]:
    """Open reports past a target (core.targets), in the actor's scope."""
    stmt = select(Report).where(overdue_clause(now), *await scope_clauses(session, list_scope(actor)))
    rows = (await session.execute(stmt.order_by(Report.response_due_at).limit(50))).scalars()
    return [_line(r, now) for r in rows]


async def report_with_history(session: AsyncSession, *, actor: OfficerInfo, report_id: int, now: datetime,
                              channel: Channel = PRIVATE) -> tuple[Report, list[AuditEvent], dict[int, str]]:
    """The report, its events, and the agency of each officer who acted (history names officers by
    their agency, never by name, and never the reporter)."""
    report = await authorize(session, actor=actor, report_id=report_id, action=Action.VIEW, now=now,
                             channel=channel)
    events = list((await session.execute(
        select(AuditEvent).where(AuditEvent.report_id == report.id).order_by(AuditEvent.id)
    )).scalars())
    ids = {e.actor_id for e in events if e.actor_type == "officer" and e.actor_id}
    rows = (await session.execute(select(Officer.id, Officer.agency).where(Officer.id.in_(ids)))).all() if ids else []
    agencies = {officer_id: agency for officer_id, agency in rows}
    return report, events, agencies


async def find_ticket(session: AsyncSession, *, actor: OfficerInfo, ticket: str, now: datetime,
                      channel: Channel = PRIVATE) -> Report:
    """The report with that ticket, if the actor may see it (the same refusal if there is none)."""
    report_id = (await session.execute(select(Report.id).where(Report.ticket == ticket))).scalar_one_or_none()
    return await authorize(session, actor=actor, report_id=report_id or 0, action=Action.VIEW, now=now,
                           channel=channel)
