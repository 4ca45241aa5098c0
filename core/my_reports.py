"""What a resident can see and do with their own reports: status, history, add information,
withdraw. Every call checks the report belongs to the asking reporter."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.lifecycle import ReportState, is_open
from core.notices import Kind, to_officer
from core.outbox import PRIORITY_INTERACTIVE
from db.models import AuditEvent, Officer, Report, ReportPhoto

PAGE_SIZE = 5


class NotYourReport(Exception):
    """Unknown id, or another resident's report: the same answer for both, so ids leak nothing."""


class ReportClosed(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class TooManyPhotos(Exception):
    pass


class TooMuchInfo(Exception):
    """The report has taken as many additions as the region allows (limits.info_additions_per_report)."""


@dataclass(frozen=True)
class ReportLine:
    id: int
    ticket: str
    category: str
    state: str
    created_at: datetime
    kecamatan: str | None
    urgent: bool


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    action: str
    to_state: str | None
    note: str | None


@dataclass(frozen=True)
class ReportDetail:
    line: ReportLine
    agency: str
    description: str | None
    landmark: str | None
    desa: str | None
    photo_count: int
    due_at: datetime
    history: list[HistoryItem]
    outcome: str | None = None  # the closing officer's outcome code (its agency's label says it)

    @property
    def open(self) -> bool:
        return is_open(self.line.state)


def _line(r: Report) -> ReportLine:
    return ReportLine(r.id, r.ticket, r.category, r.state, r.created_at, r.kecamatan, r.urgent)


async def list_reports(session: AsyncSession, *, reporter_id: int, page: int = 0) -> tuple[list[ReportLine], int]:
    """Newest first, one page; returns the page and the total count."""
    total = (await session.execute(
        select(func.count()).select_from(Report).where(Report.reporter_id == reporter_id))).scalar_one()
    rows = (await session.execute(
        select(Report).where(Report.reporter_id == reporter_id)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .offset(page * PAGE_SIZE).limit(PAGE_SIZE)
    )).scalars()
    return [_line(r) for r in rows], total


async def _own(session: AsyncSession, reporter_id: int, report_id: int) -> Report:
    report = await session.get(Report, report_id) if 0 < report_id < 2**63 else None
    if report is None or report.reporter_id != reporter_id:
        raise NotYourReport()
    return report


async def find_by_ticket(session: AsyncSession, *, reporter_id: int, ticket: str) -> int:
    report = (await session.execute(select(Report).where(Report.ticket == ticket))).scalar_one_or_none()
    if report is None or report.reporter_id != reporter_id:
        raise NotYourReport()
    return report.id


# Events the resident sees in their history; internal notes of officers stay internal.
VISIBLE_ACTIONS = frozenset({
    "submitted", "acknowledged", "in_progress", "handed_over", "closed", "rejected", "duplicate",
    "reopened", "withdrawn", "info_added", "photo_added",
})


async def report_detail(session: AsyncSession, *, reporter_id: int, report_id: int) -> ReportDetail:
    report = await _own(session, reporter_id, report_id)
    events = (await session.execute(
        select(AuditEvent).where(AuditEvent.report_id == report.id).order_by(AuditEvent.id)
    )).scalars()
    photos = (await session.execute(
        select(func.count()).select_from(ReportPhoto).where(ReportPhoto.report_id == report.id)
    )).scalar_one()
    history = [HistoryItem(e.at, e.action, e.to_state, e.note if e.actor_type == "reporter" else None)
               for e in events if e.action in VISIBLE_ACTIONS]
    return ReportDetail(_line(report), report.agency, report.description, report.landmark, report.desa,
                        photos, report.response_due_at, history, report.outcome)


async def info_room(session: AsyncSession, *, reporter_id: int, report_id: int, limit: int) -> int:
    """How many more additions the report takes (raises NotYourReport, ReportClosed)."""
    report = await _own(session, reporter_id, report_id)
    if not is_open(report.state):
        raise ReportClosed(report.state)
    added = (await session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.report_id == report.id, AuditEvent.action == "info_added"))).scalar_one()
    return max(0, limit - added)


async def add_info(session: AsyncSession, *, clock: Clock, reporter_id: int, report_id: int, text: str,
                   limit: int = 10) -> str:
    report = await _own(session, reporter_id, report_id)
    if not is_open(report.state):
        raise ReportClosed(report.state)
    if await info_room(session, reporter_id=reporter_id, report_id=report_id, limit=limit) <= 0:
        raise TooMuchInfo()
    now = clock.now()
    event = AuditEvent(report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id,
                       action="info_added", note=text, data={})
    session.add(event)
    report.updated_at = now
    await session.flush()
    await _tell_holder(session, report, now, event=event.id)
    await session.commit()
    return report.ticket


async def _tell_holder(session: AsyncSession, report: Report, now: datetime, **args: Any) -> None:
    """What the resident adds reaches the officer holding the report at once (checked again when
    sent: a report handed over meanwhile is no longer theirs)."""
    holder = await session.get(Officer, report.owner_id) if report.owner_id else None
    if holder is not None:
        to_officer(session, holder, Kind.INFO_ADDED, now=now, priority=PRIORITY_INTERACTIVE, report_id=report.id,
                   **args)


async def add_photo(
    session: AsyncSession, *, clock: Clock, reporter_id: int, report_id: int,
    file_id: str, file_unique_id: str, max_photos: int,
) -> str:
    report = await _own(session, reporter_id, report_id)
    if not is_open(report.state):
        raise ReportClosed(report.state)
    count = (await session.execute(
        select(func.count()).select_from(ReportPhoto).where(ReportPhoto.report_id == report.id)
    )).scalar_one()
    # Later additions may bring a report to twice the first limit: enough to document, not a gallery.
    if count >= 2 * max_photos:
        raise TooManyPhotos()
    now = clock.now()
    session.add(ReportPhoto(report_id=report.id, file_id=file_id, file_unique_id=file_unique_id, added_at=now))
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id,
                            action="photo_added", data={"file_unique_id": file_unique_id}))
    report.updated_at = now
    await _tell_holder(session, report, now, photo=True)
    await session.commit()
    return report.ticket


async def withdraw(session: AsyncSession, *, clock: Clock, reporter_id: int, report_id: int) -> str:
    report = await _own(session, reporter_id, report_id)
    if not is_open(report.state):
        raise ReportClosed(report.state)
    now = clock.now()
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id,
                            action="withdrawn", from_state=report.state, to_state=ReportState.DITARIK, data={}))
    report.state = ReportState.DITARIK
    report.updated_at = now
    await session.commit()
    return report.ticket
