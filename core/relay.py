"""Officers ask the reporter through the bots, never directly: the question goes out through the
citizen bot, the answer comes back to the officers handling the report; neither side sees the
other's account, and contact details are taken out of both (core.relay_filter)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.access import Action
from core.clock import Clock
from core.i18n import N_
from core.notices import Kind, to_officer, to_reporter
from core.officers import OfficerInfo, info
from core.outbox import PRIORITY_BULK, PRIORITY_INTERACTIVE
from core.relay_filter import Removed, scrub
from core.report_access import ActionRefused, authorize, subject_of
from db.models import AuditEvent, Officer, RelayQuestion, Report, Reporter

QUESTION_MAX = 500


@dataclass(frozen=True)
class Relayed:
    question_id: int
    ticket: str
    removed: tuple[Removed, ...] = ()  # what was taken out of the text before it was relayed


@dataclass(frozen=True)
class Answered:
    ticket: str
    removed: tuple[Removed, ...] = ()
    delivered: bool = True  # False: nobody may receive it now; it waits in the report's file


async def ask_reporter(session: AsyncSession, *, clock: Clock, officer: OfficerInfo, report_id: int,
                       question: str) -> Relayed:
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.ASK_REPORTER, now=now)
    reporter = await session.get_one(Reporter, report.reporter_id)
    if reporter.unreachable or reporter.deleted_at is not None:
        raise ActionRefused(N_("The reporter can no longer be reached through the bot."))
    text, removed = scrub(question.strip()[:QUESTION_MAX])
    row = RelayQuestion(report_id=report.id, officer_id=officer.id, question=text, asked_at=now)
    session.add(row)
    await session.flush()
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="officer", actor_id=officer.id,
                           action="question_asked", note=row.question,
                           data={"question_id": row.id, "removed": [r.value for r in removed]}))
    to_reporter(session, reporter, Kind.QUESTION, now=now, priority=PRIORITY_BULK, question=row.id)
    await session.commit()
    return Relayed(row.id, report.ticket, tuple(removed))


async def question_for_reporter(session: AsyncSession, *, reporter_id: int, question_id: int) -> RelayQuestion | None:
    row = await session.get(RelayQuestion, question_id) if 0 < question_id < 2**63 else None
    if row is None or row.answer is not None or not row.question:
        return None
    report = await session.get_one(Report, row.report_id)
    return row if report is not None and report.reporter_id == reporter_id else None


async def reporter_is_named(session: AsyncSession, question: RelayQuestion) -> bool:
    """Whether the reporter agreed to be named to officers for the report asked about (what the
    answer prompt may promise them depends on it)."""
    report = await session.get(Report, question.report_id)
    return report is not None and not report.anonymous


async def _answer_recipient(session: AsyncSession, report: Report, asker_id: int) -> OfficerInfo | None:
    """Who hears the answer: the officer who asked if they still may, else whoever holds the
    report now (after a hand-over, the new agency's officer), else nobody: the answer waits in
    the report's file (/lapor shows it) for whoever picks the report up."""
    for officer_id in (asker_id, report.owner_id):
        row = await session.get(Officer, officer_id) if officer_id else None
        if row is None:
            continue
        officer = info(row)
        if access.decide(officer, await subject_of(session, report, officer), Action.RECEIVE):
            return officer
    return None


async def answer_question(session: AsyncSession, *, clock: Clock, reporter_id: int, question_id: int,
                          answer: str) -> Answered | None:
    """Stores the answer and sends it to the officers handling the report; None if the question
    is not the reporter's to answer (or is answered already)."""
    row = await question_for_reporter(session, reporter_id=reporter_id, question_id=question_id)
    if row is None:
        return None
    now = clock.now()
    text, removed = scrub(answer.strip()[:QUESTION_MAX * 2])
    row.answer, row.answered_at = text, now
    report = await session.get_one(Report, row.report_id)
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id,
                           action="question_answered", note=row.answer,
                           data={"question_id": row.id, "removed": [r.value for r in removed]}))
    recipient = await _answer_recipient(session, report, row.officer_id)
    if recipient is not None:
        to_officer(session, recipient, Kind.ANSWER, now=now, priority=PRIORITY_INTERACTIVE, question=row.id)
    await session.commit()
    return Answered(report.ticket, tuple(removed), recipient is not None)


async def add_officer_note(session: AsyncSession, *, clock: Clock, officer: OfficerInfo, report_id: int,
                           note: str, photo_file_id: str | None = None) -> str:
    """An internal note or photo on the report's file (the reporter does not see it). A photo's
    file_id is the backoffice bot's own, kept in the event."""
    now = clock.now()
    report = await authorize(session, actor=officer, report_id=report_id, action=Action.ADD_NOTE, now=now)
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="officer", actor_id=officer.id,
                           action="photo_added" if photo_file_id else "note_added", note=note[:QUESTION_MAX * 2],
                           data={"file_id": photo_file_id} if photo_file_id else {}))
    report.updated_at = now
    await session.commit()
    return report.ticket
