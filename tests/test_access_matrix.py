"""The authorisation matrix, through the real backoffice bot: every button kind and every command,
pressed or typed by every kind of actor (tests/access_world.py), with a description planted in the
report. Allowed where README's "Security model" says, refused otherwise; a refused actor's chat
never receives the planted text, in any message, edit, caption or file, and nothing changes.

The expectations are written out here, apart from the policy's code (core/access.py), so that
this test fails if the code drifts from the documented matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backoffice.handlers.queue import QueueCb
from backoffice.handlers.summary import SubCb
from backoffice.keyboards import OfficerAction, OfficerCb
from core.summary import Period
from db.models import AuditEvent, Report
from tests.access_world import ACTORS, World, files_seen, make_world, seen_by

ACTING = {"holder", "supervisor"}  # the holder of a report, and a supervisor of its agency


@dataclass(frozen=True)
class Case:
    button: OfficerAction
    state: str  # the report's state when pressed (tests/access_world.World.take)
    allowed: frozenset[str]
    arg: str = ""
    # What an allowed press does: the report's new state, its new holder, or a message to the
    # presser that contains this text (a question of the conversation that starts).
    becomes: str | None = None
    holder: str | None = None
    says: str | None = None


CASES = [
    Case(OfficerAction.ACK, "new", frozenset({"holder", "same", "supervisor", "duty"}), becomes="diterima"),
    Case(OfficerAction.DETAILS, "held", frozenset({"holder", "same", "supervisor", "auditor", "duty"}), says="RAHASIA"),
    Case(OfficerAction.ON_THE_WAY, "held", frozenset(ACTING), becomes="ditangani"),
    Case(OfficerAction.CLOSE, "held", frozenset(ACTING), says="outcome"),
    Case(OfficerAction.OUTCOME, "held", frozenset(ACTING), arg="ditertibkan", says="How many persons"),
    Case(OfficerAction.REJECT, "held", frozenset(ACTING), says="Why is this report rejected"),
    Case(OfficerAction.HANDOVER, "held", frozenset(ACTING), says="hand over to which agency"),
    Case(OfficerAction.HANDOVER_TO, "held", frozenset(ACTING), arg="dinsos", says="reason for the hand-over"),
    Case(OfficerAction.ASK, "held", frozenset(ACTING), says="question for the reporter"),
    Case(OfficerAction.NOTE, "held", frozenset({"holder", "same", "supervisor"}), says="Type the note"),
    Case(OfficerAction.MERGE, "held", frozenset(ACTING), becomes="duplikat"),
    Case(OfficerAction.DUPLICATE, "held", frozenset(ACTING), says="Type the ticket"),
    Case(OfficerAction.REOPEN, "closed", frozenset({"supervisor"}), becomes="baru"),
    Case(OfficerAction.REASSIGN, "held", frozenset({"supervisor"}), says="Assign to whom"),
    Case(OfficerAction.REASSIGN_TO, "held", frozenset({"supervisor"}), arg="{same}", holder="same"),
    # Buttons that only move a conversation on name a report but read nothing of it.
    Case(OfficerAction.SKIP, "held", frozenset()),
    Case(OfficerAction.CANCEL, "held", frozenset()),
]


def _count(cases: list[Case], state: str) -> int:
    return sum(len(ACTORS) for c in cases if c.state == state)


async def _press(world: World, kind: str, case: Case) -> tuple[Report, str]:
    h, actor = world.h, world.actors[kind]
    report = await world.take(case.state)
    arg = case.arg.format(same=world.officer_ids["same"])
    before = len(actor.user.callback_answers)
    query = world.press(actor, OfficerCb(action=case.button, report=report.id, arg=arg).pack())
    await h.settle()
    assert query.answered, f"{kind} pressing {case.button}: the press was never answered"
    toast = actor.user.callback_answers[before:]
    return report, toast[-1] if toast else ""


async def test_every_button_for_every_actor(tmp_path):
    world = await make_world(tmp_path, new=_count(CASES, "new"), held=_count(CASES, "held"),
                             closed=_count(CASES, "closed"))
    h = world.h
    try:
        problems = []
        for case in CASES:
            for kind in ACTORS:
                actor = world.actors[kind]
                report, toast = await _press(world, kind, case)
                after = await h.scalar(select(Report).where(Report.id == report.id))
                seen = seen_by(h, actor.chat_id) + ("\n" + seen_by(h, actor.user.id) if actor.chat_id < 0 else "")
                planted = report.description
                what = f"{kind} pressing {case.button.value} on a {case.state} report"
                changed = (after.state, after.owner_id) != (report.state, report.owner_id)
                if kind in case.allowed:
                    if case.becomes and after.state != case.becomes:
                        problems.append(f"{what}: state {after.state}, expected {case.becomes} (toast {toast!r})")
                    if case.holder and after.owner_id != world.officer_ids[case.holder]:
                        problems.append(f"{what}: holder {after.owner_id}, expected {case.holder}")
                    if case.says and case.says not in seen:
                        problems.append(f"{what}: never said {case.says!r} (toast {toast!r})")
                    continue
                if changed:
                    problems.append(f"{what}: the report changed to {after.state}/{after.owner_id}")
                if planted in seen:
                    problems.append(f"{what}: the planted description reached the chat")
                if case.button not in (OfficerAction.SKIP, OfficerAction.CANCEL) and not toast:
                    problems.append(f"{what}: refused without a word")
                if report.ticket in toast and kind not in ("same", "auditor", "duty"):
                    problems.append(f"{what}: the refusal names the report ({toast!r})")
        assert not problems, "\n".join(problems)
        # A refusal is audited once per sender, chat and hour, however many there were.
        refusals = await h.rows(select(AuditEvent).where(AuditEvent.action.in_(["access_refused",
                                                                                "unregistered_access"])))
        keys = [(e.data["telegram_id"], e.data["chat_id"]) for e in refusals]
        assert len(keys) == len(set(keys)) and len(keys) >= 6
    finally:
        await h.app.stop()
        await h.emu.stop()


COMMANDS = {
    # command: the actor kinds it answers with its content
    "/antrian": {"holder", "same", "area", "supervisor", "other", "other_boss", "auditor"},
    "/tugas": {"holder", "same", "area", "supervisor", "other", "other_boss"},
    "/terlambat": {"supervisor", "other_boss", "auditor"},
    "/ringkasan minggu": {"supervisor", "other_boss", "auditor"},
    "/langganan": {"supervisor", "other_boss", "auditor"},
    "/bantuan": {"holder", "same", "area", "supervisor", "other", "other_boss", "auditor"},
}
# The buttons of those views: the queue's pages and filters, the subscription switches.
BUTTON_VIEWS = {
    # The queue filtered to new reports: the agency's one new report is on it for its readers.
    QueueCb(state="baru").pack(): COMMANDS["/antrian"],
    SubCb(period=Period.DAILY, on=False).pack(): COMMANDS["/langganan"],
}
# Who may read one Satpol PP report of Alpha with /lapor TICKET (as the matrix's VIEW).
READERS = {"holder", "same", "supervisor", "auditor"}
# Who gets the Satpol PP report in full in a workbook or CSV: its agency's supervisors and the
# region-wide auditor; Dinsos's supervisor does not (Dinsos is not even informed of pengemis).
FILE_READERS = {"supervisor", "auditor"}


async def test_every_command_for_every_actor(tmp_path):
    world = await make_world(tmp_path, new=1, held=len(ACTORS))
    h = world.h
    try:
        queued = await world.take("new")
        h.clock.advance(days=1)  # late by now: it is on the overdue lists, and in this week's summary
        problems = []
        for kind in ACTORS:
            actor = world.actors[kind]
            report = await world.take("held")
            for command, allowed in COMMANDS.items():
                before = len(seen_by(h, actor.chat_id))
                world.type(actor, command)
                await h.settle()
                said = seen_by(h, actor.chat_id)[before:]
                if kind in allowed and not said:
                    problems.append(f"{kind} {command}: no answer")
                if kind not in allowed and ("RAHASIA" in said or queued.ticket in said):
                    problems.append(f"{kind} {command}: refused, yet shown a report")
            for data, allowed in BUTTON_VIEWS.items():
                before = len(actor.user.callback_answers)
                query = world.press(actor, data)
                await h.settle()
                refused = [t for t in actor.user.callback_answers[before:] if t]
                if not query.answered:
                    problems.append(f"{kind} pressing {data}: never answered")
                if kind in allowed and refused:
                    problems.append(f"{kind} pressing {data}: refused ({refused})")
                if kind not in allowed and not refused:
                    problems.append(f"{kind} pressing {data}: not refused")
            world.type(actor, f"/lapor {report.ticket}")
            await h.settle()
            seen = seen_by(h, actor.chat_id)
            if kind in READERS and report.description not in seen:
                problems.append(f"{kind} /lapor: the report was not shown")
            if kind not in READERS and report.description in seen:
                problems.append(f"{kind} /lapor: the report was shown")
            if kind in READERS - {"auditor"} and queued.ticket not in seen:
                problems.append(f"{kind} /antrian: the agency's open report is missing")
            if kind not in READERS and queued.ticket in seen:
                problems.append(f"{kind}: the agency's open report reached the chat")
            files = files_seen(h, actor.chat_id)
            if kind in FILE_READERS and queued.description not in files:
                problems.append(f"{kind}: the week's workbook and CSV lack the agency's report")
            if kind not in FILE_READERS and "RAHASIA" in files:
                problems.append(f"{kind}: a workbook or CSV carried a report it may not read")
        assert not problems, "\n".join(problems)
    finally:
        await h.app.stop()
        await h.emu.stop()
