"""The policy (core.access) applied to reports in the database: load the facts it needs, ask it,
and record a refusal. Every service that reads or changes a report for someone starts here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import (
    ELSEWHERE,
    PRIVATE,
    UNSEEN,
    Action,
    ActorFacts,
    Channel,
    ChannelKind,
    Decision,
    Refusal,
    Role,
    Subject,
    decide,
)
from core.refusals import record_refusal
from db.models import Officer, Report


class ActionRefused(Exception):
    """The action is not allowed now; `reason` is a msgid for the officer, `args` fill it in.
    `refusal` says why (core.access.Refusal): UNSEEN refusals carry no detail of the report."""

    def __init__(self, reason: str, refusal: Refusal | None = Refusal.WRONG_STATE, **args: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refusal = refusal
        self.args_ = args

    @property
    def reveals_nothing(self) -> bool:
        return self.refusal == Refusal.UNSEEN


async def covered_areas(session: AsyncSession, agency: str) -> set[str]:
    """Kecamatan (names) and desa (Kemendagri codes) that some active field officer of the agency covers."""
    rows = (await session.execute(
        select(Officer.areas).where(Officer.agency == agency, Officer.active.is_(True), Officer.role == Role.OFFICER)
    )).scalars()
    return {area for areas in rows for area in (areas or ())}


async def subject_of(session: AsyncSession, report: Report, actor: ActorFacts | None = None) -> Subject:
    """The report's facts for the policy; its kecamatan's coverage is looked up only when the
    answer could depend on it (an area officer asking about a kecamatan not theirs)."""
    covered = True
    if (actor is not None and actor.areas and report.kecamatan and report.kecamatan not in actor.areas
            and report.desa_code not in actor.areas and report.owner_id != actor.id):
        covered_now = await covered_areas(session, report.agency)
        covered = report.kecamatan in covered_now or report.desa_code in covered_now
    elif report.kecamatan is None:
        covered = False
    return Subject(report.id, report.agency, report.owner_id, report.state, report.kecamatan, covered,
                   report.desa_code)


async def owner_name(session: AsyncSession, report: Report) -> str:
    if report.owner_id is None:
        return "-"
    officer = await session.get(Officer, report.owner_id)
    return officer.name if officer else "-"


async def authorize(
    session: AsyncSession, *, actor: ActorFacts | None, report_id: int, action: Action, now: datetime,
    channel: Channel = PRIVATE,
) -> Report:
    """Loads the report and returns it if `actor` may do `action` to it now; else records the
    refusal (when it is one of policy, not of timing) and raises ActionRefused."""
    report = await session.get(Report, report_id) if 0 < report_id < 2**63 else None
    if channel.kind == ChannelKind.OTHER:
        decision = ELSEWHERE
    elif report is None:
        decision = UNSEEN
    else:
        decision = decide(actor, await subject_of(session, report, actor), action, channel)
    if decision.allowed:
        assert report is not None
        return report
    await refuse(session, decision, report, actor=actor, action=action, now=now, channel=channel)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Permitted:
    """A report the actor may do an action to, as a conversation about it needs it."""

    id: int
    ticket: str
    agency: str
    state: str


async def permitted(session: AsyncSession, *, actor: ActorFacts | None, report_id: int, action: Action,
                    now: datetime, channel: Channel = PRIVATE) -> Permitted:
    """Asks before a conversation starts (which outcome? which agency? the reason?): a refused
    officer is never asked for anything. The service that ends the conversation asks again."""
    report = await authorize(session, actor=actor, report_id=report_id, action=action, now=now, channel=channel)
    return Permitted(report.id, report.ticket, report.agency, report.state)


async def refuse(
    session: AsyncSession, decision: Decision, report: Report | None, *, actor: ActorFacts | None, action: str,
    now: datetime, channel: Channel = PRIVATE,
) -> None:
    """Raises the refusal `decision` stands for, after recording it if it is one of policy."""
    assert decision.reason is not None and decision.refusal is not None
    args: dict[str, str] = {}
    if report is not None and decision.refusal != Refusal.UNSEEN:
        # Read before the refusal is recorded: recording it rolls the session back.
        args = {"ticket": report.ticket, "state": report.state,
                "name": await owner_name(session, report) if "{name}" in decision.reason else "-"}
    if decision.refusal != Refusal.WRONG_STATE:
        telegram_id = actor.telegram_id if actor is not None else None
        await record_refusal(session, now=now, officer_id=actor.id if actor is not None else None,
                             telegram_id=telegram_id, chat_id=channel.chat_id or telegram_id,
                             what=f"{action}:{report.id if report is not None else '-'}")
    raise ActionRefused(decision.reason, decision.refusal, **args)

