"""What officers do with a report: acknowledge (claim), go on the way, close, reject, hand over,
merge, reopen, reassign. Each action asks the policy (core.access, through
core.report_access.authorize) with the officer and the report as the database has them now, is
written to the audit log, and queues a notice for the reporter, in one transaction."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.access import ACKNOWLEDGEABLE, PRIVATE, Action, Channel
from core.clock import Clock
from core.dispatch import queue_alerts
from core.i18n import N_
from core.lifecycle import ReportState
from core.notices import Kind, to_officer, to_reporter
from core.officers import OfficerInfo
from core.officers import info as officer_info
from core.outbox import PRIORITY_BULK
from core.region import RegionConfig
from core.report_access import ActionRefused, authorize, owner_name
from db.dialect import rowcount
from db.models import AuditEvent, Officer, Report, Reporter, ReportPhoto

__all__ = ["ActionRefused", "ActionResult", "acknowledge", "start_handling", "close_report", "reject_report",
           "hand_over", "mark_duplicate", "merge_into_nearby", "reopen", "reassign", "rate_report",
           "parse_breakdown"]

RATING_CHANGES = 3  # a resident may change their mind about a rating, not rate forever


@dataclass(frozen=True)
class ActionResult:
    report_id: int
    ticket: str
    state: str


def _tell_reporter(session: AsyncSession, report: Report, reporter: Reporter, now: datetime, *,
                   event: AuditEvent | None = None, **args: Any) -> None:
    """The reporter hears of the report's new state; the citizen bot words it when it sends it.
    A reason typed by the officer stays in the audit event, which the notice names."""
    extra = {"event": event.id} if event is not None and event.note else {}
    to_reporter(session, reporter, Kind.REPORT_CHANGED, now=now, report_id=report.id, state=report.state,
                agency=report.agency, **extra, **args)


def _audit(session: AsyncSession, report: Report, officer: OfficerInfo, now: datetime, action: str,
           from_state: str | None, to_state: str | None, note: str | None = None, **data) -> AuditEvent:
    event = AuditEvent(report_id=report.id, at=now, actor_type="officer", actor_id=officer.id,
                       action=action, from_state=from_state, to_state=to_state, note=note, data=data)
    session.add(event)
    return event


async def acknowledge(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                      report_id: int, channel: Channel = PRIVATE) -> ActionResult:
    """Claims the report for the officer. Two officers pressing at once: the database decides,
    one UPDATE succeeds, the other is told who has it."""
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.ACKNOWLEDGE, now=now,
                             channel=channel)
    close_due = now + timedelta(hours=region.category(report.category).close_hours)
    claimed = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.state.in_(list(ACKNOWLEDGEABLE)), Report.owner_id.is_(None),
               Report.agency == report.agency)
        .values(state=ReportState.DITERIMA, owner_id=officer.id, acknowledged_at=now, close_due_at=close_due,
                updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        await session.rollback()
        # Someone else was quicker: the policy, asked again, says what the report is now.
        await authorize(session, actor=officer, report_id=report_id, action=Action.ACKNOWLEDGE, now=now,
                        channel=channel)
        raise ActionRefused(N_("{ticket} can no longer be acknowledged (it is {state})."), ticket=report.ticket,
                            state=report.state)
    previous = report.state
    await session.refresh(report)
    _audit(session, report, officer, now, "acknowledged", previous, ReportState.DITERIMA)
    reporter = await session.get_one(Reporter, report.reporter_id)
    _tell_reporter(session, report, reporter, now)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def start_handling(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                         report_id: int, channel: Channel = PRIVATE) -> ActionResult:
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.START_HANDLING, now=now,
                             channel=channel)
    report.state, report.updated_at = ReportState.DITANGANI, now
    _audit(session, report, officer, now, "in_progress", ReportState.DITERIMA, ReportState.DITANGANI)
    reporter = await session.get_one(Reporter, report.reporter_id)
    _tell_reporter(session, report, reporter, now)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


BREAKDOWN_KEYS = {
    "anak": "child", "child": "child", "remaja": "teen", "teen": "teen", "dewasa": "adult", "adult": "adult",
    "lansia": "elderly", "elderly": "elderly", "l": "male", "m": "male", "p": "female", "f": "female",
}
AGE_KEYS = ("child", "teen", "adult", "elderly")
SEX_KEYS = ("male", "female")


def parse_breakdown(text: str, persons: int) -> dict[str, int] | None:
    """Reads "anak 2 dewasa 1 L 2 P 1" (Indonesian or English words, any order) into counts;
    None when it cannot be read or the counts exceed the persons handled."""
    pairs = re.findall(r"([A-Za-z]+)\s*[:=]?\s*(\d{1,3})", text or "")
    if not pairs:
        return None
    counts: dict[str, int] = {}
    for word, number in pairs:
        key = BREAKDOWN_KEYS.get(word.lower())
        if key is None:
            return None
        counts[key] = counts.get(key, 0) + int(number)
    if sum(counts.get(k, 0) for k in AGE_KEYS) > persons or sum(counts.get(k, 0) for k in SEX_KEYS) > persons:
        return None
    return counts


async def close_report(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                       report_id: int, outcome: str, persons: int | None, from_outside: int | None,
                       note: str | None, breakdown: dict[str, int] | None = None) -> ActionResult:
    """Closes with one of the agency's outcome codes (config) and the case figures."""
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.CLOSE, now=now)
    agency = region.agency(report.agency)
    try:
        chosen = agency.outcome(outcome)
    except KeyError:
        raise ActionRefused(N_("Unknown outcome for this agency.")) from None
    if persons is not None and not 0 <= persons <= 500:
        raise ActionRefused(N_("The number of persons must be between 0 and 500."))
    previous = report.state
    report.state, report.closed_at, report.updated_at = ReportState.SELESAI, now, now
    report.outcome, report.persons_count = chosen.code, persons
    report.case_data = {**(report.case_data or {}), "from_outside": from_outside, **(breakdown or {})}
    _audit(session, report, officer, now, "closed", previous, ReportState.SELESAI, note,
           outcome=chosen.code, persons=persons, from_outside=from_outside)
    reporter = await session.get_one(Reporter, report.reporter_id)
    _tell_reporter(session, report, reporter, now, outcome=chosen.code)
    to_reporter(session, reporter, Kind.RATING_ASK, now=now, report_id=report.id)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def reject_report(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                        report_id: int, reason: str) -> ActionResult:
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.REJECT, now=now)
    previous = report.state
    report.state, report.closed_at, report.updated_at = ReportState.DITOLAK, now, now
    event = _audit(session, report, officer, now, "rejected", previous, ReportState.DITOLAK, reason)
    await session.flush()
    reporter = await session.get_one(Reporter, report.reporter_id)
    _tell_reporter(session, report, reporter, now, event=event)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def hand_over(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                    report_id: int, to_agency: str, reason: str) -> ActionResult:
    """Moves the report to another agency's queue (e.g. Satpol PP to Dinsos after a penertiban),
    which is alerted as for a new report. The old agency keeps the record of what it did and is
    told nothing new: its queued alerts about the report are no longer sent (core.notices)."""
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.HAND_OVER, now=now)
    try:
        region.agency(to_agency)
    except KeyError:
        raise ActionRefused(N_("Unknown agency.")) from None
    if to_agency == report.agency:
        raise ActionRefused(N_("{ticket} is already in that queue."), ticket=report.ticket)
    previous, from_agency = report.state, report.agency
    report.state, report.agency, report.owner_id, report.updated_at = ReportState.DIALIHKAN, to_agency, None, now
    report.acknowledged_at = report.close_due_at = None
    category = region.category(report.category)
    minutes = category.urgent_response_minutes if report.urgent else category.response_minutes
    report.response_due_at = now + timedelta(minutes=minutes)
    _audit(session, report, officer, now, "handed_over", previous, ReportState.DIALIHKAN, reason,
           from_agency=from_agency, to_agency=to_agency)
    reporter = await session.get_one(Reporter, report.reporter_id)
    _tell_reporter(session, report, reporter, now)
    await session.flush()
    photos = (await session.execute(select(func.count()).select_from(ReportPhoto)
                                    .where(ReportPhoto.report_id == report.id))).scalar_one()
    await queue_alerts(session, region=region, report=report, now=now, photo_count=photos)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def rate_report(session: AsyncSession, *, reporter_id: int, report_id: int, rating: int, now: datetime) -> bool:
    """The resident's one-tap rating after closure; False if not theirs, not closed, out of range,
    or changed too often. One rating per report: a second tap changes it."""
    report = await session.get(Report, report_id) if 0 < report_id < 2**63 else None
    if report is None or report.reporter_id != reporter_id or report.state != ReportState.SELESAI \
            or not 1 <= rating <= 5:
        return False
    if report.rating == rating:
        return True
    rated = (await session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.report_id == report.id, AuditEvent.action == "rated"))).scalar_one()
    if rated >= RATING_CHANGES:
        return False
    report.rating = rating
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id,
                           action="rated", data={"rating": rating}))
    await session.commit()
    return True


async def mark_duplicate(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                         report_id: int, of_ticket: str) -> ActionResult:
    """Merges a report into another open one of the same agency (e.g. the nearby report its alert
    pointed at); the reporter is told it is handled together. The holder or a supervisor only."""
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.MARK_DUPLICATE, now=now)
    target = (await session.execute(select(Report).where(Report.ticket == of_ticket))).scalar_one_or_none()
    if target is None or target.id == report.id or target.agency != report.agency:
        raise ActionRefused(N_("No other report {ticket} in your agency's queue."), ticket=of_ticket)
    if target.state not in ACKNOWLEDGEABLE | {ReportState.DITERIMA, ReportState.DITANGANI}:
        raise ActionRefused(N_("{ticket} is already {state}."), ticket=target.ticket, state=target.state)
    previous = report.state
    report.state, report.duplicate_of_id = ReportState.DUPLIKAT, target.id
    report.closed_at = report.updated_at = now
    _audit(session, report, officer, now, "duplicate", previous, ReportState.DUPLIKAT, None, of=target.ticket)
    reporter = await session.get_one(Reporter, report.reporter_id)
    _tell_reporter(session, report, reporter, now, other=target.ticket)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def merge_into_nearby(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                            report_id: int) -> tuple[ActionResult, str]:
    """Merges a report into the nearby report its alert pointed at (read from the database, never
    from the button); returns the result and the other report's ticket."""
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.MARK_DUPLICATE,
                             now=clock.now())
    target = await session.get(Report, report.near_report_id) if report.near_report_id else None
    if target is None or target.agency != report.agency:
        raise ActionRefused(N_("There is no nearby report of your agency to merge it into."))
    ticket = target.ticket
    result = await mark_duplicate(session, clock=clock, region=region, officer=officer, report_id=report_id,
                                  of_ticket=ticket)
    return result, ticket


async def reopen(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                 report_id: int, note: str | None = None) -> ActionResult:
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.REOPEN, now=now)
    previous = report.state
    category = region.category(report.category)
    report.state, report.owner_id, report.acknowledged_at, report.closed_at = ReportState.BARU, None, None, None
    report.close_due_at, report.outcome, report.duplicate_of_id, report.updated_at = None, None, None, now
    report.response_due_at = now + timedelta(
        minutes=category.urgent_response_minutes if report.urgent else category.response_minutes)
    _audit(session, report, officer, now, "reopened", previous, ReportState.BARU, note)
    reporter = await session.get_one(Reporter, report.reporter_id)
    _tell_reporter(session, report, reporter, now)
    await session.flush()
    await queue_alerts(session, region=region, report=report, now=now, photo_count=0)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def reassign(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                   report_id: int, to_officer_id: int) -> ActionResult:
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.REASSIGN, now=now)
    target = await session.get(Officer, to_officer_id) if 0 < to_officer_id < 2**63 else None
    if target is None or not access.may_hold(officer_info(target), report.agency):
        raise ActionRefused(N_("That officer cannot take reports of this queue."))
    previous, previous_owner = report.state, report.owner_id
    report.owner_id, report.updated_at = target.id, now
    if report.state in ACKNOWLEDGEABLE:
        report.state, report.acknowledged_at = ReportState.DITERIMA, now
        report.close_due_at = now + timedelta(hours=region.category(report.category).close_hours)
    _audit(session, report, officer, now, "reassigned", previous, report.state, None,
           from_officer=previous_owner, to_officer=target.id)
    to_officer(session, target, Kind.ASSIGNED, now=now, priority=PRIORITY_BULK, report_id=report.id, by=officer.id)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def holder_name(session: AsyncSession, report: Report) -> str:
    return await owner_name(session, report)
