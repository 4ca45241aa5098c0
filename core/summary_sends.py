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

from core import access
from core.access import View
from core.notices import Kind, to_officer
from core.officers import OfficerInfo, info
from core.outbox import PRIORITY_BULK
from core.region import RegionConfig
from core.summary import Period, Window, previous_window
from db.dialect import rowcount, upsert
from db.models import Officer, SummarySend, SummarySubscription

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
    """Who the policy lets see summaries, and who has not switched this period off."""
    officers = (await session.execute(select(Officer).where(Officer.active.is_(True)))).scalars().all()
    out = []
    for row in officers:
        officer = info(row)
        if (officer.chat_id is not None and access.may_view(officer, View.SUMMARY)
                and (await subscriptions(session, officer.id))[period]):
            out.append(officer)
    return out


async def send_summaries(session: AsyncSession, *, region: RegionConfig, period: Period, now: datetime,
                         late: bool = False, reference: datetime | None = None) -> int:
    """Queues the summary of the last complete period before `reference` (default now) for every
    subscriber who has not had it; returns how many were queued. Each is computed when it is
    sent, for its recipient's scope as it is then (core.access.summary_scope)."""
    win = previous_window(region, period, reference or now)
    queued = 0
    for officer in await recipients(session, period):
        claimed = await session.execute(
            upsert(session)(SummarySend).values(period_key=win.key, officer_id=officer.id, sent_at=now, late=late)
            .on_conflict_do_nothing(index_elements=[SummarySend.period_key, SummarySend.officer_id]))
        if rowcount(claimed) != 1:
            continue
        to_officer(session, officer, Kind.SUMMARY, now=now, priority=PRIORITY_BULK, period=win.period.value,
                   first_day=win.first_day.isoformat(), late=late)
        queue_attachments(session, officer=officer, win=win, now=now)
        queued += 1
    await session.commit()
    return queued


def queue_attachments(session: AsyncSession, *, officer: OfficerInfo, win: Window, now: datetime) -> None:
    """The chart, and for a week or a month the workbook and the CSV, rendered when sent."""
    kinds = [Kind.SUMMARY_CHART] + ([Kind.SUMMARY_XLSX, Kind.SUMMARY_CSV] if win.period in WITH_ATTACHMENTS else [])
    for kind in kinds:
        to_officer(session, officer, kind, now=now, priority=PRIORITY_BULK, period=win.period.value,
                   first_day=win.first_day.isoformat())


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
