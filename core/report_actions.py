"""What officers do with a report: acknowledge (claim), go on the way, close. Each action is
authorised from the database (the officer's agency and role, the report's state and owner),
written to the audit log, and tells the reporter in their language, in one transaction."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.dispatch import queue_alerts
from core.i18n import N_, translator
from core.lifecycle import ReportState
from core.officers import OfficerInfo
from core.outbox import PRIORITY_BULK, enqueue_text
from core.region import RegionConfig
from db.models import AuditEvent, Officer, Report, ReportPhoto, Reporter

ACKNOWLEDGEABLE = (ReportState.BARU, ReportState.DIALIHKAN)


class ActionRefused(Exception):
    """The action is not allowed now; `reason` is a msgid for the officer, `args` fill it in."""

    def __init__(self, reason: str, **args: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


@dataclass(frozen=True)
class ActionResult:
    report_id: int
    ticket: str
    state: str


REPORTER_NOTICES = {
    ReportState.DITERIMA: N_("👀 Your report <code>{ticket}</code> has been received by an officer of {agency} "
                             "and will be followed up."),
    ReportState.DITANGANI: N_("🚶 Officers of {agency} are on their way for your report <code>{ticket}</code>."),
    ReportState.DIALIHKAN: N_("🔀 Your report <code>{ticket}</code> has been handed over to {agency}, who will "
                              "follow it up."),
    ReportState.DITOLAK: N_("Your report <code>{ticket}</code> was closed without action: {reason}"),
    ReportState.SELESAI: N_("✅ Your report <code>{ticket}</code> is closed by {agency}: {outcome}. "
                            "Thank you for caring."),
    ReportState.BARU: N_("🔁 Your report <code>{ticket}</code> has been reopened and is back in {agency}'s queue."),
    ReportState.DUPLIKAT: N_("🔗 Your report <code>{ticket}</code> is about the same people as report {other}; "
                             "{agency} handles them together. Thank you."),
}
RATING_ASK = N_("Was this handled well? Tap a rating (1 = poor, 5 = very good).")


def _notify_reporter(session: AsyncSession, region: RegionConfig, report: Report, reporter: Reporter,
                     now: datetime, msgid: str, reply_markup: dict | None = None, **extra: str) -> None:
    if reporter.unreachable:
        return
    tr = translator(reporter.language)
    text = tr(msgid, ticket=report.ticket, agency=region.agency(report.agency).short.get(tr.lang), **extra)
    enqueue_text(session, bot="citizen", chat_id=reporter.chat_id, text=text, now=now,
                 priority=PRIORITY_BULK, report_id=report.id, reply_markup=reply_markup)


def rating_keyboard(report_id: int) -> dict:
    """Plain callback data the citizen bot's rating router understands: "rate:<report>:<1-5>"."""
    return {"inline_keyboard": [[{"text": "⭐" * n if n < 3 else f"{n}⭐", "callback_data": f"rate:{report_id}:{n}"}
                                 for n in range(1, 6)]]}


def _audit(session: AsyncSession, report: Report, officer: OfficerInfo, now: datetime, action: str,
           from_state: str | None, to_state: str | None, note: str | None = None, **data) -> None:
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="officer", actor_id=officer.id,
                           action=action, from_state=from_state, to_state=to_state, note=note, data=data))


async def _load(session: AsyncSession, report_id: int, officer: OfficerInfo, *, write: bool) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise ActionRefused(N_("That report does not exist."))
    if officer.role.value != "admin" and report.agency != officer.agency:
        raise ActionRefused(N_("Report {ticket} belongs to another agency's queue."), ticket=report.ticket)
    if write and not officer.can_act:
        raise ActionRefused(N_("Your role can only read reports."))
    return report


async def owner_name(session: AsyncSession, report: Report) -> str:
    if report.owner_id is None:
        return "-"
    officer = await session.get(Officer, report.owner_id)
    return officer.name if officer else "-"


async def acknowledge(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                      report_id: int) -> ActionResult:
    """Claims the report for the officer. Two officers pressing at once: the database decides,
    one UPDATE succeeds, the other is told who has it."""
    report = await _load(session, report_id, officer, write=True)
    now = clock.now()
    close_due = now + timedelta(hours=region.category(report.category).close_hours)
    claimed = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.state.in_(list(ACKNOWLEDGEABLE)), Report.owner_id.is_(None))
        .values(state=ReportState.DITERIMA, owner_id=officer.id, acknowledged_at=now, close_due_at=close_due,
                updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        report = await session.get(Report, report_id)
        await session.refresh(report)
        if report.owner_id is not None and report.state in (ReportState.DITERIMA, ReportState.DITANGANI):
            raise ActionRefused(N_("{ticket} is already taken by {name}."), ticket=report.ticket,
                                name=await owner_name(session, report))
        raise ActionRefused(N_("{ticket} can no longer be acknowledged (it is {state})."), ticket=report.ticket,
                            state=report.state)
    previous = report.state
    await session.refresh(report)
    _audit(session, report, officer, now, "acknowledged", previous, ReportState.DITERIMA)
    reporter = await session.get(Reporter, report.reporter_id)
    _notify_reporter(session, region, report, reporter, now, REPORTER_NOTICES[ReportState.DITERIMA])
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def start_handling(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                         report_id: int) -> ActionResult:
    report = await _load(session, report_id, officer, write=True)
    if report.state != ReportState.DITERIMA:
        raise ActionRefused(N_("{ticket} is {state}; only an acknowledged report can be set on the way."),
                            ticket=report.ticket, state=report.state)
    if report.owner_id != officer.id and not officer.supervises:
        raise ActionRefused(N_("{ticket} is held by {name}."), ticket=report.ticket,
                            name=await owner_name(session, report))
    now = clock.now()
    report.state, report.updated_at = ReportState.DITANGANI, now
    _audit(session, report, officer, now, "in_progress", ReportState.DITERIMA, ReportState.DITANGANI)
    reporter = await session.get(Reporter, report.reporter_id)
    _notify_reporter(session, region, report, reporter, now, REPORTER_NOTICES[ReportState.DITANGANI])
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def report_by_id(session: AsyncSession, report_id: int) -> Report | None:
    return (await session.execute(select(Report).where(Report.id == report_id))).scalar_one_or_none()


def _require_holder(report: Report, officer: OfficerInfo) -> None:
    if report.owner_id != officer.id and not officer.supervises:
        raise ActionRefused(N_("{ticket} is held by another officer; ask them or a supervisor."),
                            ticket=report.ticket)


WORKING = (ReportState.DITERIMA, ReportState.DITANGANI)


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
    report = await _load(session, report_id, officer, write=True)
    if report.state not in WORKING:
        raise ActionRefused(N_("{ticket} is {state}; only a report being worked can be closed."),
                            ticket=report.ticket, state=report.state)
    _require_holder(report, officer)
    agency = region.agency(report.agency)
    try:
        chosen = agency.outcome(outcome)
    except KeyError:
        raise ActionRefused(N_("Unknown outcome for this agency.")) from None
    if persons is not None and not 0 <= persons <= 500:
        raise ActionRefused(N_("The number of persons must be between 0 and 500."))
    now = clock.now()
    previous = report.state
    report.state, report.closed_at, report.updated_at = ReportState.SELESAI, now, now
    report.outcome, report.persons_count = chosen.code, persons
    report.case_data = {**(report.case_data or {}), "from_outside": from_outside, **(breakdown or {})}
    _audit(session, report, officer, now, "closed", previous, ReportState.SELESAI, note,
           outcome=chosen.code, persons=persons, from_outside=from_outside)
    reporter = await session.get(Reporter, report.reporter_id)
    tr = translator(reporter.language)
    _notify_reporter(session, region, report, reporter, now, REPORTER_NOTICES[ReportState.SELESAI],
                     outcome=chosen.label.get(tr.lang))
    if not reporter.unreachable:
        enqueue_text(session, bot="citizen", chat_id=reporter.chat_id, text=tr(RATING_ASK), now=now,
                     priority=PRIORITY_BULK, report_id=report.id, reply_markup=rating_keyboard(report.id))
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def reject_report(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                        report_id: int, reason: str) -> ActionResult:
    report = await _load(session, report_id, officer, write=True)
    if report.state not in (*ACKNOWLEDGEABLE, *WORKING):
        raise ActionRefused(N_("{ticket} is already {state}."), ticket=report.ticket, state=report.state)
    if report.owner_id is not None:
        _require_holder(report, officer)
    now = clock.now()
    previous = report.state
    report.state, report.closed_at, report.updated_at = ReportState.DITOLAK, now, now
    _audit(session, report, officer, now, "rejected", previous, ReportState.DITOLAK, reason)
    reporter = await session.get(Reporter, report.reporter_id)
    _notify_reporter(session, region, report, reporter, now, REPORTER_NOTICES[ReportState.DITOLAK], reason=reason)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def hand_over(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                    report_id: int, to_agency: str, reason: str) -> ActionResult:
    """Moves the report to another agency's queue (e.g. Satpol PP to Dinsos after a penertiban),
    which is alerted as for a new report."""
    report = await _load(session, report_id, officer, write=True)
    if report.state not in (*ACKNOWLEDGEABLE, *WORKING):
        raise ActionRefused(N_("{ticket} is already {state}."), ticket=report.ticket, state=report.state)
    if report.owner_id is not None:
        _require_holder(report, officer)
    try:
        region.agency(to_agency)
    except KeyError:
        raise ActionRefused(N_("Unknown agency.")) from None
    if to_agency == report.agency:
        raise ActionRefused(N_("{ticket} is already in that queue."), ticket=report.ticket)
    now = clock.now()
    previous, from_agency = report.state, report.agency
    report.state, report.agency, report.owner_id, report.updated_at = ReportState.DIALIHKAN, to_agency, None, now
    report.acknowledged_at = None
    category = region.category(report.category)
    minutes = category.urgent_response_minutes if report.urgent else category.response_minutes
    report.response_due_at = now + timedelta(minutes=minutes)
    _audit(session, report, officer, now, "handed_over", previous, ReportState.DIALIHKAN, reason,
           from_agency=from_agency, to_agency=to_agency)
    reporter = await session.get(Reporter, report.reporter_id)
    _notify_reporter(session, region, report, reporter, now, REPORTER_NOTICES[ReportState.DIALIHKAN])
    await session.flush()
    photos = (await session.execute(select(ReportPhoto.id).where(ReportPhoto.report_id == report.id))).all()
    await queue_alerts(session, region=region, report=report, now=now, photo_count=len(photos))
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def rate_report(session: AsyncSession, *, reporter_id: int, report_id: int, rating: int, now: datetime) -> bool:
    """The resident's one-tap rating after closure; False if not theirs, not closed, or out of range."""
    report = await session.get(Report, report_id)
    if report is None or report.reporter_id != reporter_id or report.state != ReportState.SELESAI \
            or not 1 <= rating <= 5:
        return False
    report.rating = rating
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id,
                           action="rated", data={"rating": rating}))
    await session.commit()
    return True


async def mark_duplicate(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                         report_id: int, of_ticket: str) -> ActionResult:
    """Merges a report into another open one of the same agency (e.g. the nearby report its alert
    pointed at); the reporter is told it is handled together."""
    report = await _load(session, report_id, officer, write=True)
    if report.state not in (*ACKNOWLEDGEABLE, *WORKING):
        raise ActionRefused(N_("{ticket} is already {state}."), ticket=report.ticket, state=report.state)
    target = (await session.execute(select(Report).where(Report.ticket == of_ticket))).scalar_one_or_none()
    if target is None or target.id == report.id or target.agency != report.agency:
        raise ActionRefused(N_("No other report {ticket} in your agency's queue."), ticket=of_ticket)
    if target.state not in (*ACKNOWLEDGEABLE, *WORKING):
        raise ActionRefused(N_("{ticket} is already {state}."), ticket=target.ticket, state=target.state)
    now = clock.now()
    previous = report.state
    report.state, report.duplicate_of_id, report.closed_at, report.updated_at = ReportState.DUPLIKAT, target.id, now, now
    _audit(session, report, officer, now, "duplicate", previous, ReportState.DUPLIKAT, None, of=target.ticket)
    reporter = await session.get(Reporter, report.reporter_id)
    _notify_reporter(session, region, report, reporter, now, REPORTER_NOTICES[ReportState.DUPLIKAT], other=target.ticket)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


CLOSED = (ReportState.SELESAI, ReportState.DITOLAK, ReportState.DUPLIKAT)


def _require_supervisor(officer: OfficerInfo) -> None:
    if not officer.supervises:
        raise ActionRefused(N_("Only a supervisor can do that."))


async def reopen(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                 report_id: int, note: str | None = None) -> ActionResult:
    report = await _load(session, report_id, officer, write=True)
    _require_supervisor(officer)
    if report.state not in CLOSED:
        raise ActionRefused(N_("{ticket} is {state}; only a closed report can be reopened."),
                            ticket=report.ticket, state=report.state)
    now = clock.now()
    previous = report.state
    category = region.category(report.category)
    report.state, report.owner_id, report.acknowledged_at, report.closed_at = ReportState.BARU, None, None, None
    report.close_due_at, report.outcome, report.duplicate_of_id, report.updated_at = None, None, None, now
    report.response_due_at = now + timedelta(
        minutes=category.urgent_response_minutes if report.urgent else category.response_minutes)
    _audit(session, report, officer, now, "reopened", previous, ReportState.BARU, note)
    reporter = await session.get(Reporter, report.reporter_id)
    _notify_reporter(session, region, report, reporter, now, REPORTER_NOTICES[ReportState.BARU])
    await session.flush()
    await queue_alerts(session, region=region, report=report, now=now, photo_count=0)
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)


async def reassign(session: AsyncSession, *, clock: Clock, region: RegionConfig, officer: OfficerInfo,
                   report_id: int, to_officer_id: int) -> ActionResult:
    report = await _load(session, report_id, officer, write=True)
    _require_supervisor(officer)
    if report.state not in (*ACKNOWLEDGEABLE, *WORKING):
        raise ActionRefused(N_("{ticket} is already {state}."), ticket=report.ticket, state=report.state)
    target = await session.get(Officer, to_officer_id)
    if target is None or not target.active or target.agency != report.agency or target.role == "auditor":
        raise ActionRefused(N_("That officer cannot take reports of this queue."))
    now = clock.now()
    previous, previous_owner = report.state, report.owner_id
    report.owner_id, report.updated_at = target.id, now
    if report.state in ACKNOWLEDGEABLE:
        report.state, report.acknowledged_at = ReportState.DITERIMA, now
        report.close_due_at = now + timedelta(hours=region.category(report.category).close_hours)
    _audit(session, report, officer, now, "reassigned", previous, report.state, None,
           from_officer=previous_owner, to_officer=target.id)
    if target.chat_id is not None:
        tr = translator(target.language)
        enqueue_text(session, bot="backoffice", chat_id=target.chat_id, now=now, priority=PRIORITY_BULK,
                     report_id=report.id,
                     text=tr("👤 {name} assigned <b>{ticket}</b> to you: /lapor {ticket}", name=officer.name,
                             ticket=report.ticket))
    await session.commit()
    return ActionResult(report.id, report.ticket, report.state)
