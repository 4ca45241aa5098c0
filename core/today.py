"""The dashboard's first page: how the work stands this morning, for the reports a person may see.

Counts of the period (received, acknowledged, closed) and of now (open, overdue against the
region's targets), by category and by agency; the median and 90th percentile of the time to
acknowledge and to close beside each category's target; the overdue reports, oldest first.
Counted in SQL per group; only the durations of the period's acknowledgements and closures are
read row by row (a day's, a week's or a month's), so the page costs the same at a million reports.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import list_scope
from core.i18n import N_
from core.lifecycle import OPEN_STATES, ReportState
from core.officers import OfficerInfo
from core.queue import scope_clauses
from core.region import RegionConfig
from core.report_list import BY_CREATION, ListRow
from core.summary import Times
from core.targets import is_overdue, overdue_clause
from core.when import day_start
from db.models import Officer, Report

PERIODS = {"today": 1, "7d": 7, "30d": 30}
PERIOD_LABELS = {"today": N_("Today"), "7d": N_("Last 7 days"), "30d": N_("Last 30 days")}
OVERDUE_SHOWN = 50


@dataclass
class Figures(Times):
    received: int = 0
    acknowledged: int = 0
    closed: int = 0
    open_now: int = 0
    overdue_now: int = 0


@dataclass(frozen=True)
class Target:
    ack_minutes: int
    close_minutes: int


@dataclass
class Today:
    period: str
    start: datetime
    end: datetime
    by_category: dict[str, Figures]
    by_agency: dict[str, Figures]
    total: Figures
    targets: dict[str, Target]  # category -> its targets
    overdue: list[ListRow]


def period_start(region: RegionConfig, period: str, now: datetime) -> datetime:
    """Local midnight `days - 1` days ago: "today" starts at this morning's midnight."""
    local_today = now.astimezone(region.tz).date()
    first = local_today - timedelta(days=PERIODS[period] - 1)
    return day_start(first, region.tz)


async def today(session: AsyncSession, region: RegionConfig, *, actor: OfficerInfo, period: str,
                now: datetime) -> Today:
    period = period if period in PERIODS else "today"
    start = period_start(region, period, now)
    scope = await scope_clauses(session, list_scope(actor))
    by_category: dict[str, Figures] = defaultdict(Figures)
    by_agency: dict[str, Figures] = defaultdict(Figures)
    total = Figures()

    def each(agency: str, category: str):
        return (by_agency[agency], by_category[category], total)

    # Only open reports are late: the open states, said outright, let the planner find them by
    # (agency, state) or (state, due) instead of reading the agency's whole history.
    late = [Report.state.in_(list(OPEN_STATES)), overdue_clause(now)]
    counted = (
        ("received", [Report.created_at >= start, Report.created_at <= now, BY_CREATION]),
        ("open_now", [Report.state.in_(list(OPEN_STATES))]),
        ("overdue_now", late),
    )
    for name, where in counted:
        for agency, category, n in (await session.execute(
                select(Report.agency, Report.category, func.count()).where(*where, *scope)
                .group_by(Report.agency, Report.category))).all():
            for figures in each(agency, category):
                setattr(figures, name, getattr(figures, name) + n)
    for agency, category, created, acked in (await session.execute(
            select(Report.agency, Report.category, Report.created_at, Report.acknowledged_at)
            .where(Report.acknowledged_at >= start, Report.acknowledged_at <= now, *scope))).all():
        assert acked is not None  # selected by its range
        for figures in each(agency, category):
            figures.acknowledged += 1
            figures.ack_minutes.append((acked - created).total_seconds() / 60)
    for agency, category, created, acked, closed in (await session.execute(
            select(Report.agency, Report.category, Report.created_at, Report.acknowledged_at, Report.closed_at)
            .where(Report.state == ReportState.SELESAI, Report.closed_at >= start, Report.closed_at <= now,
                   *scope))).all():
        assert closed is not None  # selected by its range
        for figures in each(agency, category):
            figures.closed += 1
            # Against the close target, which runs from the acknowledgement.
            figures.close_minutes.append((closed - (acked or created)).total_seconds() / 60)
    overdue_rows = (await session.execute(
        select(Report, Officer.name).outerjoin(Officer, Officer.id == Report.owner_id)
        .where(*late, *scope).order_by(Report.response_due_at, Report.id).limit(OVERDUE_SHOWN)
    )).all()
    overdue = [ListRow(r.id, r.ticket, r.created_at, r.category, r.agency, r.state, r.kecamatan, r.desa, r.urgent,
                       holder, is_overdue(r.state, r.response_due_at, r.close_due_at, now), r.response_due_at)
               for r, holder in overdue_rows]
    targets = {c.code: Target(c.response_minutes, c.close_hours * 60) for c in region.categories}
    order = {c.code: i for i, c in enumerate(region.categories)}
    agency_order = {a.code: i for i, a in enumerate(region.agencies)}
    return Today(period, start, now,
                 dict(sorted(by_category.items(), key=lambda kv: order.get(kv[0], 99))),
                 dict(sorted(by_agency.items(), key=lambda kv: agency_order.get(kv[0], 99))),
                 total, targets, overdue)
