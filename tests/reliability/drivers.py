"""Residents and officers as the reliability tests play them.

They read what the bot shows and act on it, as a person does, and never assume an answer came:
when one does not (the process was killed, a reply was lost), a resident does what a person would
do, opens the report again ("📝 Make a report" → "Continue my report") and carries on from the
question the bot asks. Waiting is always on a condition with a timeout, never a fixed sleep.
"""
from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backoffice.keyboards import OfficerAction, OfficerCb
from botapi_emulator import BotAPIEmulator, EmulatedUser
from botapi_emulator import Message as EmuMessage
from db.models import Outbox, Report

TICKET_RE = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{4,}\b")
MAKE_REPORT = "📝 Make a report"

# A question of the report flow (English), recognised by its text; `True`: only while its buttons
# are still there (an answered question is edited into a record without buttons).
QUESTIONS: list[tuple[str, str, bool]] = [
    ("resume", "not sent yet", True),
    ("category", "What did you see?", True),
    ("location", "Where is it?", False),
    ("pace", "Send it now, or tell more?", True),
    ("landmark", "Add a landmark", True),
    ("people_count", "How many people did you see?", True),
    ("age_group", "About how old are they?", True),
    ("description", "Describe what you saw", True),
    ("seen_when", "When did you see it?", True),
    ("photos", "Photos (optional", True),
    ("urgent", "Is someone in danger right now?", True),
    ("reporter_type", "Are you reporting as", True),
    ("anonymous", "Stay anonymous?", True),
]
# Steps where a resident may walk away leaving a draft (before "category" nothing is entered yet).
LEAVE_STEPS = ["location", "pace", "landmark", "people_count", "age_group", "description", "seen_when", "photos",
               "urgent", "reporter_type", "anonymous", "review"]
# Every question's next one (what "the next step works" means after resuming).
STEP_ORDER = ["category", "location", "pace", "landmark", "people_count", "age_group", "description", "seen_when",
              "photos", "urgent", "reporter_type", "anonymous", "review"]


def text_of(m: EmuMessage) -> str:
    return m.text or m.caption or ""


def labels(m: EmuMessage) -> list[str]:
    return [label for row in (m.buttons or []) for label in row]


def recognise(m: EmuMessage) -> str | None:
    """What a bot message asks the resident, or "receipt" / "review"; None for anything else."""
    if m.deleted:
        return None
    text = text_of(m)
    buttons = labels(m)
    if "Report received" in text and TICKET_RE.search(text):
        return "receipt"
    if any("Send report" in b for b in buttons):
        return "review"
    for step, marker, needs_buttons in QUESTIONS:
        if marker in text and (buttons or not needs_buttons):
            return step
    return None


@dataclass
class ReportPlan:
    description: str  # unique per report: how the test finds it in the database
    pin: tuple[float, float]
    leave_at: str | None = None  # a step of LEAVE_STEPS: the resident leaves the draft there


@dataclass
class ResidentRun:
    user: EmulatedUser
    plan: ReportPlan
    pressed_send: bool = False
    ticket: str | None = None
    left_at: str | None = None
    recoveries: int = 0
    error: str | None = None
    trace: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> bool:
        return self.pressed_send or self.ticket is not None


async def next_question(emu: BotAPIEmulator, user: EmulatedUser, after: int, timeout: float,
                        wanted: Callable[[str], bool] | None = None) -> tuple[str, EmuMessage] | None:
    """The newest recognised bot message after the first `after` ones (waits up to `timeout`)."""

    def probe():
        messages = user.messages
        for m in reversed(messages[after:]):
            step = recognise(m)
            if step and (wanted is None or wanted(step)):
                return step, m
        return None

    return await emu.wait_for(probe, timeout)


async def answer_step(user: EmulatedUser, step: str, m: EmuMessage, plan: ReportPlan) -> None:
    """The resident's answer to one question (always the same, valid answer)."""
    if step == "location":
        user.send_location(*plan.pin)
    elif step == "description":
        user.send_text(plan.description)
    else:
        label = {"resume": "Continue my report", "category": "Beggars", "pace": "📝 Tell more", "landmark": "Skip",
                 "people_count": "2-3 people", "age_group": "Children", "seen_when": "Right now",
                 "photos": "Skip, no photos", "urgent": "No", "reporter_type": "Individual",
                 "anonymous": "Stay anonymous", "review": "Send report"}[step]
        user.click(label, message=m)


async def play_report(emu: BotAPIEmulator, user: EmulatedUser, plan: ReportPlan, *, step_timeout: float,
                      receipt_timeout: float, max_recoveries: int = 6, start: bool = True,
                      run: ResidentRun | None = None) -> ResidentRun:
    """One resident makes one report (in English), to the receipt or to `plan.leave_at`. Progress is
    written to `run` as it happens (others may look at it meanwhile)."""
    run = run or ResidentRun(user, plan)
    if start:
        user.send_text("/start en")
    mark = len(user.messages)
    user.send_text(MAKE_REPORT)
    while True:
        got = await next_question(emu, user, mark, step_timeout)
        if got is None:
            run.recoveries += 1
            run.trace.append(f"no answer within {step_timeout}s: reopening the report")
            if run.recoveries > max_recoveries:
                run.error = f"no progress after {max_recoveries} recoveries"
                return run
            mark = len(user.messages)
            user.send_text(MAKE_REPORT)
            continue
        step, m = got
        run.trace.append(step)
        if step == "receipt":
            run.ticket = TICKET_RE.search(text_of(m)).group(0)
            return run
        if step == plan.leave_at:
            run.left_at = step
            return run
        mark = len(user.messages)
        try:
            await answer_step(user, step, m, plan)
        except AssertionError as exc:  # the button went away under us (a replay edited it): ask again
            run.trace.append(f"could not answer {step}: {str(exc).splitlines()[0]}")
            continue
        if step == "review":
            run.pressed_send = True
            got = await next_question(emu, user, mark, receipt_timeout, wanted=lambda s: s == "receipt")
            if got is None:
                run.error = f"pressed send, no receipt within {receipt_timeout}s"
                return run
            run.ticket = TICKET_RE.search(text_of(got[1])).group(0)
            return run


async def continue_draft(emu: BotAPIEmulator, run: ResidentRun, *, timeout: float) -> str | None:
    """A resident who left a draft comes back: "📝 Make a report" must offer to continue it, continuing
    must ask the question they left at, and answering it must bring the next one. None when all of
    that works, else what went wrong."""
    user, plan = run.user, run.plan
    mark = len(user.messages)
    user.send_text(MAKE_REPORT)
    got = await next_question(emu, user, mark, timeout)
    if got is None or got[0] != "resume":
        return f"'Make a report' did not offer to continue the draft (got {got and got[0]})"
    mark = len(user.messages)
    await answer_step(user, "resume", got[1], plan)
    got = await next_question(emu, user, mark, timeout)
    # The landmark of a pinned place is optional: a resumed draft goes on with the next question.
    expected = {run.left_at, "people_count"} if run.left_at == "landmark" else {run.left_at}
    if got is None or got[0] not in expected:
        return f"continuing asked {got and got[0]!r}, not the step left at ({run.left_at!r})"
    step, m = got
    mark = len(user.messages)
    await answer_step(user, step, m, plan)
    if step == "review":
        run.pressed_send = True
        got = await next_question(emu, user, mark, timeout, wanted=lambda s: s == "receipt")
        if got is None:
            return "sending the resumed draft gave no receipt"
        run.ticket = TICKET_RE.search(text_of(got[1])).group(0)
        return None
    expected = STEP_ORDER[STEP_ORDER.index(step) + 1]
    got = await next_question(emu, user, mark, timeout)
    if got is None or got[0] != expected:
        return f"after answering {step!r} the bot asked {got and got[0]!r}, expected {expected!r}"
    return None


# --- officers -------------------------------------------------------------------------------------

def alert_message(officer: EmulatedUser, ticket: str) -> EmuMessage | None:
    for m in officer.messages:
        if ticket in text_of(m) and text_of(m).startswith(("🆕", "🚨")):
            return m
    return None


def alerted_tickets(officer: EmulatedUser) -> list[str]:
    out = []
    for m in officer.messages:
        text = text_of(m)
        if text.startswith(("🆕", "🚨")):
            found = TICKET_RE.search(text)
            if found and found.group(0) not in out:
                out.append(found.group(0))
    return out


async def wait_db(sessionmaker: async_sessionmaker[AsyncSession], query: Callable[[AsyncSession], Awaitable[Any]],
                  timeout: float, interval: float = 0.1) -> Any:
    """The first truthy result of `query(session)` within `timeout` s (None after), polling the DB."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with sessionmaker() as session:
            result = await query(session)
        if result or loop.time() > deadline:
            return result or None
        await asyncio.sleep(interval)  # polling a condition, bounded by the deadline


async def outbox_summary(db: async_sessionmaker[AsyncSession], chat_id: int) -> str:
    """What the outbox holds for a chat, for failure messages."""
    async with db() as session:
        rows = list((await session.execute(select(Outbox).where(Outbox.chat_id == chat_id)
                                           .order_by(Outbox.id))).scalars())
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    waiting = [r for r in rows if r.status != "sent"][:5]
    return f"{by_status}; first unsent: " + "; ".join(
        f"#{r.id} {r.status} attempts={r.attempts} next={r.next_attempt_at:%H:%M:%S} claimed={r.claimed_until} "
        f"error={r.last_error!r}" for r in waiting)


async def report_by_ticket(session: AsyncSession, ticket: str) -> Report | None:
    return (await session.execute(select(Report).where(Report.ticket == ticket))).scalar_one_or_none()


@dataclass
class OfficerActor:
    """An officer working their alerts: acknowledge, on the way, close (outcome "not found", no note)."""

    emu: BotAPIEmulator
    user: EmulatedUser
    officer_id: int
    db: async_sessionmaker[AsyncSession]
    timeout: float
    actions: list[tuple[str, str]] = field(default_factory=list)  # (action, ticket) done
    problems: list[str] = field(default_factory=list)

    def tap(self, ticket: str, action: OfficerAction, report_id: int, arg: str = "",
            message: EmuMessage | None = None) -> None:
        target = message or alert_message(self.user, ticket)
        self.user.click_data(OfficerCb(action=action, report=report_id, arg=arg).pack(), message=target)

    async def state(self, ticket: str) -> Report | None:
        async with self.db() as session:
            return await report_by_ticket(session, ticket)

    async def acknowledge(self, ticket: str) -> bool:
        """True when this officer holds the report afterwards."""
        report = await self.state(ticket)
        if report is None or report.owner_id is not None:
            return report is not None and report.owner_id == self.officer_id
        self.tap(ticket, OfficerAction.ACK, report.id)

        async def owned(session):
            r = await report_by_ticket(session, ticket)
            return r if r.owner_id is not None else None

        done = await wait_db(self.db, owned, self.timeout)
        if done is None:
            self.problems.append(f"{ticket}: acknowledge had no effect within {self.timeout}s")
            return False
        self.actions.append(("ack", ticket))
        return done.owner_id == self.officer_id

    async def on_the_way(self, ticket: str) -> bool:
        report = await self.state(ticket)
        self.tap(ticket, OfficerAction.ON_THE_WAY, report.id)

        async def moved(session):
            r = await report_by_ticket(session, ticket)
            return r.state != "diterima"

        if not await wait_db(self.db, moved, self.timeout):
            self.problems.append(f"{ticket}: on the way had no effect within {self.timeout}s")
            return False
        self.actions.append(("way", ticket))
        return True

    async def close(self, ticket: str, attempts: int = 4) -> bool:
        report = await self.state(ticket)

        async def closed(session):
            r = await report_by_ticket(session, ticket)
            return r.state == "selesai"

        def prompt(marker: str, after: int):
            def probe():
                for m in reversed(self.user.messages[after:]):
                    if marker in text_of(m) and (ticket in text_of(m) or marker != "what was the outcome") \
                            and m.buttons:
                        return m
                return None
            return probe

        for _ in range(attempts):
            if await closed_now(self.db, ticket):
                break
            mark = len(self.user.messages)
            self.tap(ticket, OfficerAction.CLOSE, report.id)
            outcome = await self.emu.wait_for(prompt("what was the outcome", mark), self.timeout)
            if outcome is None:
                continue
            mark = len(self.user.messages)
            self.tap(ticket, OfficerAction.OUTCOME, report.id, "tidak_ditemukan", message=outcome)
            note = await self.emu.wait_for(prompt("closing note", mark), self.timeout)
            if note is None:
                continue
            self.tap(ticket, OfficerAction.SKIP, report.id, message=note)
            if await wait_db(self.db, closed, self.timeout):
                break
        else:
            self.problems.append(f"{ticket}: could not close it in {attempts} attempts")
            return False
        self.actions.append(("close", ticket))
        return True


async def closed_now(db: async_sessionmaker[AsyncSession], ticket: str) -> bool:
    async with db() as session:
        r = await report_by_ticket(session, ticket)
        return r is not None and r.state == "selesai"


async def officer_lane(actor: OfficerActor, rng: random.Random, done: asyncio.Event,
                       expected: set[str], timeout: float) -> None:
    """Works the alerts as they come: acknowledges most (racing the other officers), sets some on the
    way, closes some. Ends once `done` is set and every ticket in `expected` has been alerted and
    decided on, or no new alert came for `timeout` s (generous: the outbox paces one message a
    second per chat, so a backlog takes a while; whether every alert arrives in the end is asserted
    after the outbox has drained)."""
    loop = asyncio.get_running_loop()
    decided: set[str] = set()
    deadline = None
    while True:
        fresh = [t for t in alerted_tickets(actor.user) if t not in decided]
        if not fresh:
            if done.is_set():
                if expected <= decided:
                    return
                deadline = deadline or loop.time() + timeout
                if loop.time() > deadline:
                    actor.problems.append(f"officer {actor.user.id}: no alert for {sorted(expected - decided)} "
                                          f"within {timeout}s; outbox: {await outbox_summary(actor.db, actor.user.id)}")
                    return
            seen = len(actor.user.messages)
            await actor.emu.wait_for(lambda seen=seen: len(actor.user.messages) > seen, 1.0)
            continue
        deadline = None
        for ticket in fresh:
            decided.add(ticket)
            if rng.random() < 0.2 or not await actor.acknowledge(ticket):
                continue
            if rng.random() < 0.6:
                await actor.on_the_way(ticket)
            if rng.random() < 0.6:
                await actor.close(ticket)
