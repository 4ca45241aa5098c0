"""What every reliability test asserts at the end: each report once, each owed message delivered (at
least once), nothing failed. Shared by the crash test (a real process) and the fault test (in
process): both pass a sessionmaker on the test's database and the emulator."""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from botapi_emulator import EmulatedUser
from db.models import AuditEvent, InboxUpdate, Outbox, Report
from tests.reliability.drivers import ResidentRun, text_of


@dataclass
class Owed:
    """One message someone is owed: who, what, and the predicate that recognises it in their chat."""

    chat: EmulatedUser
    what: str
    matches: object  # Callable[[EmuMessage], bool]

    def copies(self) -> list[int]:
        """Indexes (in the chat's bot messages) of every copy delivered."""
        return [i for i, m in enumerate(self.chat.messages) if self.matches(m)]


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (what, copies)
    owed: int = 0

    def fail(self, text: str) -> None:
        self.problems.append(text)


async def reports_by_description(db: async_sessionmaker[AsyncSession]) -> dict[str, list[Report]]:
    async with db() as session:
        rows = list((await session.execute(select(Report).order_by(Report.id))).scalars())
    out: dict[str, list[Report]] = {}
    for r in rows:
        out.setdefault(r.description or "", []).append(r)
    return out


async def check_reports(db, runs: list[ResidentRun], verdict: Verdict, *, settled: bool) -> dict[str, Report]:
    """Every report a resident got a ticket for (and, once `settled`, pressed send for) exists exactly
    once; no report exists twice; no report exists that no resident sent. Returns ticket -> report."""
    by_description = await reports_by_description(db)
    for description, rows in by_description.items():
        if len(rows) > 1:
            verdict.fail(f"report {description!r} exists {len(rows)} times: {[r.ticket for r in rows]}")
    known = {run.plan.description for run in runs}
    for description in by_description:
        if description not in known:
            verdict.fail(f"a report nobody sent: {description!r}")
    found: dict[str, Report] = {}
    for run in runs:
        rows = by_description.get(run.plan.description, [])
        must_exist = run.ticket is not None or (settled and run.pressed_send)
        if must_exist and len(rows) != 1:
            verdict.fail(f"user {run.user.id} {'got ticket ' + run.ticket if run.ticket else 'pressed send'} "
                         f"but the report exists {len(rows)} times")
        if run.ticket and rows and rows[0].ticket != run.ticket:
            verdict.fail(f"user {run.user.id} was given {run.ticket}, the database has {rows[0].ticket}")
        if not run.submitted and settled and rows:
            verdict.fail(f"user {run.user.id} never pressed send, yet report {rows[0].ticket} exists")
        if rows:
            found[rows[0].ticket] = rows[0]
    return found


async def check_clean(db, verdict: Verdict, *, settled: bool) -> None:
    """No handler failed; once settled nothing is pending in the inbox or the outbox, nothing dead."""
    async with db() as session:
        failed = list((await session.execute(
            select(InboxUpdate).where(InboxUpdate.status == "failed"))).scalars())
        pending_inbox = (await session.execute(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending"))).scalar()
        outbox = Counter((await session.execute(select(Outbox.status))).scalars())
        dead = list((await session.execute(select(Outbox).where(Outbox.status == "dead"))).scalars())
    for row in failed:
        kind = next((k for k in row.payload if k != "update_id"), "?")
        verdict.fail(f"{row.bot} update {row.update_id} ({kind}) failed: {row.error}")
    for row in dead:
        verdict.fail(f"outbox row {row.id} ({row.bot} {row.method} to {row.chat_id}) is dead: {row.last_error}")
    if settled:
        if pending_inbox:
            verdict.fail(f"{pending_inbox} inbox updates still pending after settling")
        if outbox.get("pending"):
            verdict.fail(f"{outbox['pending']} outbox rows still pending after settling")


def already_so(call) -> bool:
    """Refusals the app rightly takes as done (lapor/retry.py): an edit to what the message already
    shows, an answer to a button press already answered or too old."""
    text = (call.description or "").lower()
    return "message is not modified" in text or "query is too old" in text


def check_refusals(emu, verdict: Verdict, since: int = 0) -> None:
    """Every call the bots made was accepted, or refused only for flood control (429), an injected
    fault (5xx, dropped: status 0) or as already done."""
    for call in emu.calls[since:]:
        if 400 <= call.status < 500 and call.status != 429 and not already_so(call):
            verdict.fail(f"the emulator refused {call.method} to {call.chat_id}: {call.status} {call.description}")


def is_receipt(ticket: str):
    return lambda m: ticket in text_of(m) and "Report received" in text_of(m)


def is_alert(ticket: str):
    # An alert names its report on its first line; further down, another report's alert may name
    # this one as an earlier report nearby, which is not a copy of this one's alert.
    return lambda m: text_of(m).startswith(("🆕", "🚨")) and ticket in text_of(m).split("\n", 1)[0]


def is_pin(lat: float, lon: float):
    return lambda m: bool(m.location) and abs(m.location["latitude"] - lat) < 1e-6 \
        and abs(m.location["longitude"] - lon) < 1e-6


def is_notice(ticket: str, marker: str):
    return lambda m: ticket in text_of(m) and marker in text_of(m)


def is_rating_ask(report_id: int):
    return lambda m: any(f"rate:{report_id}:" in data for data in m.button_data.values()) \
        if m.inline_keyboard else False


async def owed_for_reports(db, reports: dict[str, Report], residents: dict[int, EmulatedUser],
                           officers: list[EmulatedUser]) -> list[Owed]:
    """What the bots owe for these reports, from what the database says happened: the receipt; the
    alert and its pin to every officer covering the place; the resident's notices of each step."""
    owed: list[Owed] = []
    async with db() as session:
        events = list((await session.execute(
            select(AuditEvent).where(AuditEvent.report_id.in_([r.id for r in reports.values()])))).scalars())
    actions: dict[int, set[str]] = {}
    for e in events:
        actions.setdefault(e.report_id, set()).add(e.action)
    from db.models import Reporter

    async with db() as session:
        reporters = {r.id: r for r in (await session.execute(select(Reporter))).scalars()}
    for ticket, report in reports.items():
        resident = residents[reporters[report.reporter_id].telegram_id]
        owed.append(Owed(resident, f"receipt {ticket}", is_receipt(ticket)))
        for officer in officers:
            owed.append(Owed(officer, f"alert {ticket} to {officer.id}", is_alert(ticket)))
            owed.append(Owed(officer, f"pin {ticket} to {officer.id}", is_pin(report.latitude, report.longitude)))
        done = actions.get(report.id, set())
        if "acknowledged" in done:
            owed.append(Owed(resident, f"acknowledged notice {ticket}", is_notice(ticket, "received by an officer")))
        if "in_progress" in done:
            owed.append(Owed(resident, f"on-the-way notice {ticket}", is_notice(ticket, "on their way")))
        if "closed" in done:
            owed.append(Owed(resident, f"closed notice {ticket}", is_notice(ticket, "is closed by")))
            owed.append(Owed(resident, f"rating ask {ticket}", is_rating_ask(report.id)))
    return owed


def check_delivered(owed: list[Owed], verdict: Verdict,
                    allowed_duplicate=None) -> None:
    """Each owed message arrived at least once. A second copy is allowed only where
    `allowed_duplicate(owed, first_index, next_index)` says so (a message in flight at a kill);
    every duplicate is recorded in the verdict either way."""
    verdict.owed += len(owed)
    for item in owed:
        copies = item.copies()
        if not copies:
            verdict.fail(f"never delivered: {item.what}\n{item.chat.transcript()[-3000:]}")
            continue
        if len(copies) > 1:
            verdict.duplicates.append((item.what, len(copies)))
            if allowed_duplicate is not None:
                for first, second in itertools.pairwise(copies):
                    if not allowed_duplicate(item, first, second):
                        verdict.fail(f"{item.what} delivered {len(copies)} times, a copy with no kill between")
                        break


def report_text(verdict: Verdict, header: str) -> str:
    lines = [header, f"owed messages checked: {verdict.owed}; duplicates: {len(verdict.duplicates)}"]
    lines += [f"  duplicate: {what} x{n}" for what, n in verdict.duplicates]
    if verdict.problems:
        lines.append(f"{len(verdict.problems)} problem(s):")
        lines += [f"  - {p}" for p in verdict.problems[:40]]
    return "\n".join(lines)
