"""Notices: what core owes someone, queued in the outbox in the caller's transaction.

Core says what happened ("report R was acknowledged: tell its reporter"), never how Telegram shows
it. A notice names its kind, its recipient by rule (the reporter R, officer O, agency A's duty
group) and a few ids and codes; no free text and no Bot API payload. The bot that sends it calls
`resolve` at send time: the recipient is looked up again and the policy (core.access) asked again,
so a hand-over, a disabled officer or a deleted resident is honoured by everything still queued.
Then the bot renders the notice in the recipient's language, from the database as it is then.

The outbox row keeps the chat the notice was addressed to when queued: it orders and paces that
chat's messages. A notice whose recipient has since moved to another chat is not sent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.access import PRIVATE, Action, Channel, ChannelKind, View
from core.officers import OfficerInfo, info
from core.outbox import PRIORITY_BULK, enqueue
from core.region import RegionConfig
from core.report_access import subject_of
from db.models import DonationPledge, Officer, RelayQuestion, Report, Reporter

NOTICE = "notice"  # the outbox method of every notice


class Kind(StrEnum):
    # To a resident, by the citizen bot.
    RECEIPT = "receipt"  # report: the report was received
    REPORT_CHANGED = "report_changed"  # report, state, agency; event (its note: a reason), outcome, other
    RATING_ASK = "rating_ask"  # report
    QUESTION = "question"  # question: an officer's question, relayed
    PLEDGE_RECEIPT = "pledge_receipt"  # pledge
    DATA_DELETED = "data_deleted"  # to a bare chat: the resident's identity is already gone
    # To officers and duty groups, by the backoffice bot.
    ALERT = "alert"  # report
    ALERT_LOCATION = "alert_location"  # report
    ALERT_PHOTO = "alert_photo"  # report, index
    ESCALATION = "escalation"  # report, late: "ack" | "close"
    REMINDER = "reminder"  # report: to its holder, past its target
    ASSIGNED = "assigned"  # report, by: the supervisor's officer id
    ANSWER = "answer"  # question: the reporter's answer
    INFO_ADDED = "info_added"  # report, event: what the reporter added to it (to its holder)
    OFFICER_UNREACHABLE = "officer_unreachable"  # about: the officer who blocked the bot
    SUMMARY = "summary"  # period, first_day, late
    SUMMARY_CHART = "summary_chart"  # period, first_day
    SUMMARY_XLSX = "summary_xlsx"  # period, first_day
    SUMMARY_CSV = "summary_csv"  # period, first_day


REPORTER_KINDS = frozenset({Kind.RECEIPT, Kind.REPORT_CHANGED, Kind.RATING_ASK, Kind.QUESTION, Kind.PLEDGE_RECEIPT})
ALERT_KINDS = frozenset({Kind.ALERT, Kind.ALERT_LOCATION, Kind.ALERT_PHOTO})
OFFICER_REPORT_KINDS = ALERT_KINDS | {Kind.ESCALATION, Kind.REMINDER, Kind.ASSIGNED, Kind.ANSWER, Kind.INFO_ADDED}
SUMMARY_KINDS = frozenset({Kind.SUMMARY, Kind.SUMMARY_CHART, Kind.SUMMARY_XLSX, Kind.SUMMARY_CSV})


def _queue(session: AsyncSession, *, bot: str, chat_id: int, kind: Kind, to: dict[str, Any], now: datetime,
           priority: int, report_id: int | None, args: dict[str, Any]) -> None:
    enqueue(session, bot=bot, chat_id=chat_id, method=NOTICE, now=now, priority=priority, report_id=report_id,
            payload={"notice": kind.value, "to": to, **args})


def to_reporter(session: AsyncSession, reporter: Reporter, kind: Kind, *, now: datetime,
                priority: int = PRIORITY_BULK, report_id: int | None = None, **args: Any) -> bool:
    """Queues a notice for a resident; False (nothing queued) if they cannot be reached."""
    if reporter.unreachable or reporter.deleted_at is not None:
        return False
    _queue(session, bot="citizen", chat_id=reporter.chat_id, kind=kind, to={"reporter": reporter.id}, now=now,
           priority=priority, report_id=report_id, args={"report": report_id, **args} if report_id else args)
    return True


def to_officer(session: AsyncSession, officer: OfficerInfo | Officer, kind: Kind, *, now: datetime,
               priority: int = PRIORITY_BULK, report_id: int | None = None, **args: Any) -> bool:
    if officer.chat_id is None or not officer.active:
        return False
    _queue(session, bot="backoffice", chat_id=officer.chat_id, kind=kind, to={"officer": officer.id}, now=now,
           priority=priority, report_id=report_id, args={"report": report_id, **args} if report_id else args)
    return True


def to_duty_group(session: AsyncSession, *, agency: str, chat_id: int, kind: Kind, now: datetime,
                  priority: int, report_id: int, **args: Any) -> None:
    _queue(session, bot="backoffice", chat_id=chat_id, kind=kind, to={"duty_group": agency}, now=now,
           priority=priority, report_id=report_id, args={"report": report_id, **args})


def to_chat(session: AsyncSession, *, chat_id: int, kind: Kind, now: datetime, language: str,
            priority: int = PRIORITY_BULK) -> None:
    """A farewell to a chat whose resident is already deleted: the row is deleted once sent, so
    the chat's id does not outlive the message (the "forget" flag, lapor.outbox_worker)."""
    _queue(session, bot="citizen", chat_id=chat_id, kind=kind, to={"chat": chat_id}, now=now, priority=priority,
           report_id=None, args={"forget": True, "language": language})


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to, as the policy sees them at send time."""

    chat_id: int
    language: str
    officer: OfficerInfo | None = None  # an officer, or None
    reporter_id: int | None = None  # a resident, or None
    channel: Channel = PRIVATE


@dataclass(frozen=True)
class Delivery:
    kind: Kind
    recipient: Recipient
    args: dict[str, Any]
    report: Report | None = None  # a report-bound notice's report, loaded and cleared for the recipient


async def resolve(session: AsyncSession, region: RegionConfig, *, chat_id: int,
                  payload: dict[str, Any]) -> Delivery | None:
    """The notice's recipient and report if it may still be sent to `chat_id`; None otherwise."""
    try:
        kind = Kind(payload["notice"])
        to = payload["to"]
    except (KeyError, ValueError, TypeError):
        return None
    args = {k: v for k, v in payload.items() if k not in ("notice", "to")}
    report = None
    if isinstance(args.get("report"), int):
        report = await session.get(Report, args["report"])
        if report is None:
            return None
    if "chat" in to:
        ok = kind == Kind.DATA_DELETED and to["chat"] == chat_id
        language = args.get("language") or region.region.default_language
        return Delivery(kind, Recipient(chat_id, language), args) if ok else None
    if "reporter" in to:
        return await _to_reporter(session, kind, to["reporter"], chat_id, args, report)
    if "duty_group" in to:
        return _to_duty_group(region, kind, to["duty_group"], chat_id, args, report)
    if "officer" in to:
        return await _to_officer(session, kind, to["officer"], chat_id, args, report)
    return None


async def _to_reporter(session: AsyncSession, kind: Kind, reporter_id: Any, chat_id: int, args: dict[str, Any],
                       report: Report | None) -> Delivery | None:
    reporter = await session.get(Reporter, reporter_id) if isinstance(reporter_id, int) else None
    if (reporter is None or kind not in REPORTER_KINDS or reporter.deleted_at is not None or reporter.unreachable
            or reporter.chat_id != chat_id):
        return None
    if kind == Kind.PLEDGE_RECEIPT:
        pledge = await session.get(DonationPledge, args.get("pledge", 0))
        if pledge is None or pledge.reporter_id != reporter.id:
            return None
    elif kind == Kind.QUESTION:
        question = await session.get(RelayQuestion, args.get("question", 0))
        if question is None or not question.question:
            return None
        report = await session.get(Report, question.report_id)
        if report is None or report.reporter_id != reporter.id:
            return None
    elif report is None or report.reporter_id != reporter.id:
        return None
    return Delivery(kind, Recipient(chat_id, reporter.language, reporter_id=reporter.id), args, report)


def _to_duty_group(region: RegionConfig, kind: Kind, agency_code: Any, chat_id: int, args: dict[str, Any],
                   report: Report | None) -> Delivery | None:
    agency = next((a for a in region.agencies if a.code == agency_code), None)
    if agency is None or agency.duty_chat_id != chat_id or kind not in ALERT_KINDS or report is None:
        return None
    channel = Channel(ChannelKind.DUTY_GROUP, agency.code, chat_id)
    # A duty group's audience is the group itself: it sees its own agency's reports, nothing else.
    if report.agency != agency.code:
        return None
    return Delivery(kind, Recipient(chat_id, region.region.default_language, channel=channel), args, report)


async def _to_officer(session: AsyncSession, kind: Kind, officer_id: Any, chat_id: int, args: dict[str, Any],
                      report: Report | None) -> Delivery | None:
    row = await session.get(Officer, officer_id) if isinstance(officer_id, int) else None
    if row is None or not row.active or row.chat_id != chat_id:
        return None
    officer = info(row)
    recipient = Recipient(chat_id, officer.language, officer=officer)
    if kind in OFFICER_REPORT_KINDS:
        if kind == Kind.ANSWER:
            question = await session.get(RelayQuestion, args.get("question", 0))
            if question is None or not question.answer:
                return None
            report = await session.get(Report, question.report_id)
        if report is None or not access.decide(officer, await subject_of(session, report, officer), Action.RECEIVE):
            return None
        if kind in (Kind.REMINDER, Kind.INFO_ADDED) and report.owner_id != officer.id:
            return None
        if kind == Kind.ESCALATION and not access.supervises(officer):
            return None
        return Delivery(kind, recipient, args, report)
    if kind in SUMMARY_KINDS:
        return Delivery(kind, recipient, args) if access.may_view(officer, View.SUMMARY) else None
    if kind == Kind.OFFICER_UNREACHABLE:
        other = await session.get(Officer, args.get("about", 0))
        ok = other is not None and access.may_oversee(officer, other.agency)
        return Delivery(kind, recipient, {**args, "name": other.name if other else ""}) if ok else None
    return None


async def officer_by_chat(session: AsyncSession, chat_id: int) -> OfficerInfo | None:
    row = (await session.execute(select(Officer).where(Officer.chat_id == chat_id))).scalars().first()
    return info(row) if row is not None else None
