"""Officers ask the reporter through the bots, never directly: the question goes out through the
citizen bot, the answer comes back to the officer; neither sees the other's account."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import N_, translator
from core.lifecycle import is_open
from core.officers import OfficerInfo
from core.outbox import PRIORITY_BULK, PRIORITY_INTERACTIVE, enqueue_text
from core.report_actions import ActionRefused
from db.models import AuditEvent, Officer, RelayQuestion, Report, Reporter

QUESTION_MAX = 500


@dataclass(frozen=True)
class Relayed:
    question_id: int
    ticket: str


def answer_keyboard(question_id: int, label: str) -> dict:
    """Callback data "ans:<question>" is the citizen bot's AnswerCb."""
    return {"inline_keyboard": [[{"text": label, "callback_data": f"ans:{question_id}"}]]}


async def ask_reporter(session: AsyncSession, *, clock: Clock, officer: OfficerInfo, report_id: int,
                       question: str) -> Relayed:
    report = await session.get(Report, report_id)
    if report is None or report.agency != officer.agency or not officer.can_act:
        raise ActionRefused(N_("That report is not in your agency's queue."))
    if not is_open(report.state):
        raise ActionRefused(N_("{ticket} is closed."), ticket=report.ticket)
    reporter = await session.get(Reporter, report.reporter_id)
    if reporter.unreachable:
        raise ActionRefused(N_("The reporter can no longer be reached through the bot."))
    now = clock.now()
    row = RelayQuestion(report_id=report.id, officer_id=officer.id, question=question[:QUESTION_MAX], asked_at=now)
    session.add(row)
    await session.flush()
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="officer", actor_id=officer.id,
                           action="question_asked", note=row.question, data={"question_id": row.id}))
    tr = translator(reporter.language)
    enqueue_text(session, bot="citizen", chat_id=reporter.chat_id, now=now, priority=PRIORITY_BULK,
                 report_id=report.id,
                 text=tr("❓ An officer asks about your report <code>{ticket}</code>:\n<i>{question}</i>",
                         ticket=report.ticket, question=row.question),
                 reply_markup=answer_keyboard(row.id, tr.plain("✍️ Answer")))
    await session.commit()
    return Relayed(row.id, report.ticket)


async def question_for_reporter(session: AsyncSession, *, reporter_id: int, question_id: int) -> RelayQuestion | None:
    row = await session.get(RelayQuestion, question_id)
    if row is None or row.answer is not None:
        return None
    report = await session.get(Report, row.report_id)
    return row if report is not None and report.reporter_id == reporter_id else None


async def answer_question(session: AsyncSession, *, clock: Clock, reporter_id: int, question_id: int,
                          answer: str) -> str | None:
    """Stores the answer and sends it to the officer who asked; returns the ticket (None: not theirs)."""
    row = await question_for_reporter(session, reporter_id=reporter_id, question_id=question_id)
    if row is None:
        return None
    now = clock.now()
    row.answer, row.answered_at = answer[:QUESTION_MAX * 2], now
    report = await session.get(Report, row.report_id)
    officer = await session.get(Officer, row.officer_id)
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id,
                           action="question_answered", note=row.answer, data={"question_id": row.id}))
    if officer is not None and officer.chat_id is not None:
        tr = translator(officer.language)
        enqueue_text(session, bot="backoffice", chat_id=officer.chat_id, now=now, priority=PRIORITY_INTERACTIVE,
                     report_id=report.id,
                     text=tr("💬 The reporter of <b>{ticket}</b> answers:\n<i>{answer}</i>\n(your question: {question})",
                             ticket=report.ticket, answer=row.answer, question=row.question))
    await session.commit()
    return report.ticket


async def add_officer_note(session: AsyncSession, *, clock: Clock, officer: OfficerInfo, report_id: int,
                           note: str, photo_file_id: str | None = None) -> str:
    """An internal note or photo on the report's file (the reporter does not see it). A photo's
    file_id is the backoffice bot's own, kept in the event."""
    report = await session.get(Report, report_id)
    if report is None or report.agency != officer.agency or not officer.can_act:
        raise ActionRefused(N_("That report is not in your agency's queue."))
    now = clock.now()
    session.add(AuditEvent(report_id=report.id, at=now, actor_type="officer", actor_id=officer.id,
                           action="photo_added" if photo_file_id else "note_added", note=note[:QUESTION_MAX * 2],
                           data={"file_id": photo_file_id} if photo_file_id else {}))
    report.updated_at = now
    await session.commit()
    return report.ticket
