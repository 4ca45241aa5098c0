"""Supervisors' summaries: what happened in a period (a local day, week or month), per agency and
in total, as plain figures and as a text that fits one Telegram message.

Periods are local dates of the region (a WIB day starts at 17:00 UTC the day before). Every
query is bounded by the period through an index on a timestamp, so a summary costs the same
whatever the history holds.

A summary is computed for a scope (core.access.summary_scope): an agency's supervisors see their
agency's reports, and of the categories the region config says their agency is informed of,
counts only (the reports themselves reach an agency only by a hand-over); region-wide readers
see every agency.
"""
from __future__ import annotations

import html
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import WHOLE_REGION, Scope
from core.i18n import Translator
from core.lifecycle import OPEN_STATES, ReportState
from core.region import RegionConfig
from core.targets import overdue_clause
from core.when import day_start
from db.models import AuditEvent, DonationPledge, Officer, Report

TEXT_LIMIT = 4096


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Window:
    period: Period
    first_day: date  # local
    last_day: date  # local, inclusive
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive

    @property
    def key(self) -> str:
        """Names the period for "sent once": daily:2026-11-21, weekly:2026-11-16, monthly:2026-11-01."""
        return f"{self.period.value}:{self.first_day.isoformat()}"


def window(region: RegionConfig, period: Period, day: date) -> Window:
    """The period that contains `day` (a local date)."""
    if period == Period.DAILY:
        first, last = day, day
    elif period == Period.WEEKLY:
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
    else:
        first = day.replace(day=1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    tz = region.tz
    start, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    return Window(period, first, last, start, end)


def previous_window(region: RegionConfig, period: Period, now: datetime) -> Window:
    """The last complete period before `now` (what a scheduled summary reports on)."""
    today = now.astimezone(region.tz).date()
    current = window(region, period, today)
    return window(region, period, current.first_day - timedelta(days=1))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@dataclass
class Times:
    """Minutes to acknowledge and to close of a set of reports, and their median and 90th percentile
    (the summaries' and the dashboard's figures alike)."""

    ack_minutes: list[float] = field(default_factory=list, repr=False)
    close_minutes: list[float] = field(default_factory=list, repr=False)

    @property
    def ack_median(self) -> float | None:
        return statistics.median(self.ack_minutes) if self.ack_minutes else None

    @property
    def ack_p90(self) -> float | None:
        return _percentile(self.ack_minutes, 90)

    @property
    def close_median(self) -> float | None:
        return statistics.median(self.close_minutes) if self.close_minutes else None

    @property
    def close_p90(self) -> float | None:
        return _percentile(self.close_minutes, 90)


@dataclass
class AgencyFigures(Times):
    received: int = 0
    acknowledged: int = 0
    closed: int = 0
    still_open: int = 0
    by_category: Counter = field(default_factory=Counter)


@dataclass
class Summary:
    window: Window
    agencies: dict[str, AgencyFigures]
    total: AgencyFigures
    by_kecamatan: Counter
    overdue: list[tuple[str, str, str]]  # ticket, agency, holder
    outcomes: Counter  # outcome code -> reports
    persons_by_outcome: Counter  # outcome code -> persons
    handed_over: int
    hotspots: list[tuple[str, int]]
    ratings: list[int]
    pledges: Counter  # kind -> count
    # Reports of the period in categories the scope's agency is informed of, handled by another
    # agency: category -> count (empty for a region-wide summary).
    informed: Counter = field(default_factory=Counter)
    scope: Scope = WHOLE_REGION
    # "Desa (Kecamatan)" -> count, where the region has a pack.
    by_desa: Counter = field(default_factory=Counter)


async def compute(session: AsyncSession, region: RegionConfig, win: Window, scope: Scope = WHOLE_REGION) -> Summary:
    in_period = and_(Report.created_at >= win.start, Report.created_at < win.end)
    mine = [] if scope.region_wide else [Report.agency == scope.agency]
    received = (await session.execute(
        select(Report.agency, Report.category, Report.kecamatan, Report.desa, Report.latitude, Report.longitude,
               Report.state, Report.kecamatan_code).where(in_period, *mine))).all()
    acknowledged = (await session.execute(
        select(Report.agency, Report.created_at, Report.acknowledged_at)
        .where(Report.acknowledged_at >= win.start, Report.acknowledged_at < win.end, *mine))).all()
    closed = (await session.execute(
        select(Report.agency, Report.created_at, Report.closed_at, Report.outcome, Report.persons_count,
               Report.rating)
        .where(Report.state == ReportState.SELESAI, Report.closed_at >= win.start, Report.closed_at < win.end,
               *mine))).all()
    informed: Counter = Counter()
    if not scope.region_wide:
        for category, told in (await session.execute(
                select(Report.category, Report.informed_agencies)
                .where(in_period, Report.agency != scope.agency))).all():
            if scope.agency in (told or ()):
                informed[category] += 1

    agencies: dict[str, AgencyFigures] = defaultdict(AgencyFigures)
    total = AgencyFigures()
    by_kecamatan: Counter = Counter()
    by_desa: Counter = Counter()
    places: Counter = Counter()
    for agency, category, kecamatan, desa, lat, lon, state, kecamatan_code in received:
        # By code where there is one: a kecamatan renamed by a later decree stays one kecamatan.
        known = region.kecamatan_by_code(kecamatan_code) if kecamatan_code else None
        kecamatan = known.name if known is not None else kecamatan
        for figures in (agencies[agency], total):
            figures.received += 1
            figures.by_category[category] += 1
            if state in OPEN_STATES:
                figures.still_open += 1
        by_kecamatan[kecamatan or "-"] += 1
        if desa and kecamatan:
            by_desa[f"{desa} ({kecamatan})"] += 1
        if lat is not None:
            # About 100 m cells: "the same corner" for a resident, coarse enough to group reports.
            where = f"Desa/Kel. {desa}, Kec. {kecamatan}" if desa and kecamatan else f"Kec. {kecamatan}"
            places[f"{lat:.3f}, {lon:.3f}" + (f" ({where})" if kecamatan else "")] += 1
        elif kecamatan:
            places[f"Kec. {kecamatan}" + (f", {desa}" if desa else "")] += 1
    for agency, created, acked in acknowledged:
        assert acked is not None  # selected by its range
        minutes = (acked - created).total_seconds() / 60
        for figures in (agencies[agency], total):
            figures.acknowledged += 1
            figures.ack_minutes.append(minutes)
    outcomes: Counter = Counter()
    persons: Counter = Counter()
    ratings: list[int] = []
    for agency, created, closed_at, outcome, persons_count, rating in closed:
        assert closed_at is not None  # selected by its range
        minutes = (closed_at - created).total_seconds() / 60
        for figures in (agencies[agency], total):
            figures.closed += 1
            figures.close_minutes.append(minutes)
        outcomes[outcome or "-"] += 1
        persons[outcome or "-"] += persons_count or 0
        if rating:
            ratings.append(rating)

    overdue_rows = (await session.execute(
        select(Report.ticket, Report.agency, Officer.name).outerjoin(Officer, Officer.id == Report.owner_id)
        .where(Report.created_at < win.end, overdue_clause(win.end), *mine)
        .order_by(Report.response_due_at).limit(10))).all()
    handovers = [AuditEvent.action == "handed_over", AuditEvent.at >= win.start, AuditEvent.at < win.end]
    if not scope.region_wide:
        handovers.append(AuditEvent.data["from_agency"].as_string() == scope.agency)
    handed_over = (await session.execute(select(func.count()).select_from(AuditEvent).where(*handovers))).scalar_one()
    pledges: Counter = Counter()
    if scope.region_wide or scope.agency == region.donations.agency:
        pledges = Counter(dict((await session.execute(
            select(DonationPledge.kind, func.count()).where(DonationPledge.created_at >= win.start,
                                                            DonationPledge.created_at < win.end)
            .group_by(DonationPledge.kind))).all()))
    hotspots = [(place, n) for place, n in places.most_common(5) if n >= 2]
    return Summary(win, dict(agencies), total, by_kecamatan, [(t, a, n or "-") for t, a, n in overdue_rows],
                   outcomes, persons, handed_over, hotspots, ratings, pledges, informed, scope, by_desa)


def _minutes(tr: Translator, value: float | None) -> str:
    if value is None:
        return "-"
    if value < 90:
        return tr.plain("{n} min", n=round(value))
    return tr.plain("{n} h", n=round(value / 60, 1))


def render(summary: Summary, region: RegionConfig, tr: Translator, *, late: bool = False) -> str:
    """Plain text for one message; sections are dropped from the end if it would not fit."""
    win = summary.window
    names = {Period.DAILY: tr.plain("Daily"), Period.WEEKLY: tr.plain("Weekly"), Period.MONTHLY: tr.plain("Monthly")}
    span = win.first_day.strftime("%d-%m-%Y") if win.first_day == win.last_day else \
        f"{win.first_day:%d-%m-%Y} – {win.last_day:%d-%m-%Y}"
    t = summary.total
    head = [
        tr("📊 <b>{kind} summary, {region}</b>: {span}", kind=names[win.period], span=span,
           region=region.region.name if summary.scope.agency is None else
           f"{region.agency(summary.scope.agency).short.get(tr.lang)}, {region.region.name}"),
    ]
    if late:
        head.append(tr("(sent late: the app was not running at the scheduled time)"))
    head += [
        tr("Reports received: <b>{received}</b> · acknowledged: {ack} · closed: {closed} · still open: {open}",
           received=t.received, ack=t.acknowledged, closed=t.closed, open=t.still_open),
        tr("Time to acknowledge: median {median}, 90% within {p90}",
           median=_minutes(tr, t.ack_median), p90=_minutes(tr, t.ack_p90)),
        tr("Time to close: median {median}, 90% within {p90}",
           median=_minutes(tr, t.close_median), p90=_minutes(tr, t.close_p90)),
    ]
    sections: list[list[str]] = [head]
    agency_lines = [tr("<b>By agency</b>")]
    for code, f in sorted(summary.agencies.items()):
        agency_lines.append(tr("• {agency}: received {received}, acknowledged {ack}, closed {closed}, open {open}; "
                               "acknowledge median {median}",
                               agency=region.agency(code).short.get(tr.lang), received=f.received, ack=f.acknowledged,
                               closed=f.closed, open=f.still_open, median=_minutes(tr, f.ack_median)))
    sections.append(agency_lines)
    if t.by_category:
        sections.append([tr("<b>By category</b>")] + [
            f"• {html.escape(region.category(c).label.get(tr.lang))}: {n}" for c, n in t.by_category.most_common()])
    if summary.by_kecamatan:
        sections.append([tr("<b>By kecamatan</b>")] + [
            " · ".join(f"{html.escape(k)} {n}" for k, n in summary.by_kecamatan.most_common(12))])
    if summary.by_desa:
        sections.append([tr("<b>By desa/kelurahan</b>")] + [
            " · ".join(f"{html.escape(k)} {n}" for k, n in summary.by_desa.most_common(12))])
    if summary.outcomes:
        lines = [tr("<b>Outcomes</b> (persons handled: {n}; handed over to another agency: {h})",
                    n=sum(summary.persons_by_outcome.values()), h=summary.handed_over)]
        for code, n in summary.outcomes.most_common():
            label = next((o.label.get(tr.lang) for a in region.agencies for o in a.outcomes if o.code == code), code)
            lines.append(tr("• {outcome}: {n} reports, {persons} persons", outcome=label, n=n,
                            persons=summary.persons_by_outcome[code]))
        sections.append(lines)
    if summary.overdue:
        sections.append([tr("<b>Past their target</b>")] + [
            tr("• {ticket} ({agency}), held by {name}", ticket=ticket, agency=region.agency(agency).short.get(tr.lang),
               name=name) for ticket, agency, name in summary.overdue])
    if summary.hotspots:
        sections.append([tr("<b>Hotspots</b> (repeated reports, for prevention)")] + [
            tr("• {place}: {n} reports", place=place, n=n) for place, n in summary.hotspots])
    if summary.informed:
        sections.append([tr("<b>For your information</b>: reports in your categories handled by other agencies")] + [
            f"• {html.escape(region.category(c).label.get(tr.lang))}: {n}" for c, n in summary.informed.most_common()])
    extra = []
    if summary.ratings:
        extra.append(tr("Reporters' rating: {avg} / 5 from {n} ratings",
                        avg=round(statistics.mean(summary.ratings), 1), n=len(summary.ratings)))
    if summary.pledges:
        extra.append(tr("Donation pledges: {n} (money {money}, goods {goods})", n=sum(summary.pledges.values()),
                        money=summary.pledges.get("uang", 0), goods=summary.pledges.get("barang", 0)))
    if extra:
        sections.append(extra)
    while len(sections) > 1 and len("\n\n".join("\n".join(s) for s in sections)) > TEXT_LIMIT:
        sections.pop()
    return "\n\n".join("\n".join(s) for s in sections)
