"""Who receives which scheduled summary, and sending each one once per period and recipient.

Two app instances, or a restart at the scheduled minute, cannot double a summary: a row in
summary_sends is inserted (or not) before anything is queued, in the same transaction. A run the
app missed (it was down at 07:00) is sent when it comes back, marked late.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import translator
from core.officers import OfficerInfo, Role, info
from core.outbox import PRIORITY_BULK, enqueue, enqueue_text
from core.region import RegionConfig
from core.summary import Period, Window, compute, previous_window, render
from db.dialect import upsert
from db.models import Officer, SummarySend, SummarySubscription

RECEIVING_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR)
# Weekly and monthly summaries come with the chart and the workbook of the period.
WITH_ATTACHMENTS = (Period.WEEKLY, Period.MONTHLY)


async def subscriptions(session: AsyncSession, officer_id: int) -> dict[Period, bool]:
    rows = (await session.execute(
        select(SummarySubscription).where(SummarySubscription.officer_id == officer_id))).scalars()
    chosen = {Period(r.period): r.enabled for r in rows}
    return {p: chosen.get(p, True) for p in Period}


async def set_subscription(session: AsyncSession, *, officer_id: int, period: Period, enabled: bool) -> None:
    stmt = upsert(session)(SummarySubscription).values(officer_id=officer_id, period=period.value, enabled=enabled)
    stmt = stmt.on_conflict_do_update(index_elements=[SummarySubscription.officer_id, SummarySubscription.period],
                                      set_={"enabled": enabled})
    await session.execute(stmt)
    await session.commit()


async def recipients(session: AsyncSession, period: Period) -> list[OfficerInfo]:
    officers = (await session.execute(
        select(Officer).where(Officer.active.is_(True), Officer.role.in_([r.value for r in RECEIVING_ROLES]))
    )).scalars().all()
    out = []
    for officer in officers:
        if officer.chat_id is not None and (await subscriptions(session, officer.id))[period]:
            out.append(info(officer))
    return out


async def send_summaries(session: AsyncSession, *, region: RegionConfig, period: Period, now: datetime,
                         late: bool = False, reference: datetime | None = None) -> int:
    """Queues the summary of the last complete period before `reference` (default now) for every
    subscriber who has not had it; returns how many were queued."""
    win = previous_window(region, period, reference or now)
    summary = None
    queued = 0
    for officer in await recipients(session, period):
        claimed = await session.execute(
            upsert(session)(SummarySend).values(period_key=win.key, officer_id=officer.id, sent_at=now, late=late)
            .on_conflict_do_nothing(index_elements=[SummarySend.period_key, SummarySend.officer_id]))
        if claimed.rowcount != 1:
            continue
        if summary is None:
            summary = await compute(session, region, win)
        tr = translator(officer.language)
        enqueue_text(session, bot="backoffice", chat_id=officer.chat_id, now=now, priority=PRIORITY_BULK,
                     text=render(summary, region, tr, late=late))
        queue_attachments(session, chat_id=officer.chat_id, win=win, now=now)
        queued += 1
    await session.commit()
    return queued


def queue_attachments(session: AsyncSession, *, chat_id: int, win: Window, now: datetime) -> None:
    """The chart, and for a week or a month the workbook and the CSV, rendered when sent."""
    kinds = ["summary_chart"] + (["summary_xlsx", "summary_csv"] if win.period in WITH_ATTACHMENTS else [])
    for kind in kinds:
        enqueue(session, bot="backoffice", chat_id=chat_id, method="render", now=now, priority=PRIORITY_BULK,
                payload={"render": kind, "period": win.period.value, "first_day": win.first_day.isoformat()})


def last_fire_time(cron: str, region: RegionConfig, now: datetime) -> datetime | None:
    """The most recent scheduled time at or before `now` (within the last 32 days)."""
    trigger = CronTrigger.from_crontab(cron, timezone=region.tz)
    previous, fire = None, trigger.get_next_fire_time(None, now - timedelta(days=32))
    while fire is not None and fire <= now:
        previous = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return previous


async def catch_up(session: AsyncSession, *, region: RegionConfig, now: datetime) -> int:
    """At start-up: summaries whose scheduled time passed while the app was down go out now,
    marked late (those already sent are skipped by summary_sends)."""
    queued = 0
    for period in Period:
        fired = last_fire_time(getattr(region.summaries, period.value), region, now)
        if fired is not None:
            queued += await send_summaries(session, region=region, period=period, now=now, late=True,
                                           reference=fired)
    return queued
