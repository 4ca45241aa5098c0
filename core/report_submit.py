"""Submitting a report: one transaction writes the report, its routing, the audit event and the
receipt owed to the resident (outbox)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.dispatch import nearby_for, queue_alerts
from core.draft import ReportDraft
from core.lifecycle import ReportState
from core.notices import Kind, to_reporter
from core.outbox import PRIORITY_INTERACTIVE
from core.region import RegionConfig
from core.routing import route
from core.tickets import next_ticket
from db.models import AuditEvent, Report, Reporter, ReportPhoto


class DraftIncomplete(Exception):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


class RateLimited(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(str(retry_after))
        self.retry_after = retry_after


class ReporterBanned(Exception):
    pass


@dataclass(frozen=True)
class SubmitResult:
    report_id: int
    ticket: str
    agency: str
    response_minutes: int
    due_at: datetime
    urgent: bool
    already_submitted: bool = False


async def check_rate_limit(
    session: AsyncSession, *, region: RegionConfig, reporter_id: int, now: datetime, partner: bool = False
) -> None:
    """Raises RateLimited when the resident (or partner: an Open311 key's channel, with limits of
    its own) has filed too many reports lately.

    Two index range scans on (reporter_id, created_at): the cost does not grow with history.
    """
    limits = region.limits
    per_hour, per_day = ((limits.partner_reports_per_hour, limits.partner_reports_per_day) if partner
                         else (limits.reports_per_hour, limits.reports_per_day))
    for window, allowed in ((timedelta(hours=1), per_hour), (timedelta(days=1), per_day)):
        since = now - window
        recent = (await session.execute(
            select(Report.created_at)
            .where(Report.reporter_id == reporter_id, Report.created_at >= since)
            .order_by(Report.created_at)
            .limit(allowed)
        )).scalars().all()
        if len(recent) >= allowed:
            raise RateLimited(recent[0] + window - now)


async def submit_report(
    session: AsyncSession, *, clock: Clock, region: RegionConfig, reporter_id: int, draft: ReportDraft,
    partner: bool = False,
) -> SubmitResult:
    """partner: the reporter is an Open311 key's channel (core.open311), held to its own limits."""
    existing = (await session.execute(select(Report).where(Report.draft_token == draft.token))).scalar_one_or_none()
    if existing is not None:
        # "Send" pressed twice, or the update redelivered: the first one stands.
        return _result(existing, region, already=True)
    missing = draft.missing()
    if missing:
        raise DraftIncomplete(missing)
    reporter = await session.get_one(Reporter, reporter_id)
    if reporter.banned:
        raise ReporterBanned()
    now = clock.now()
    await check_rate_limit(session, region=region, reporter_id=reporter_id, now=now, partner=partner)

    assert draft.category is not None  # draft.missing() said so
    routing = route(region, draft.category, urgent=bool(draft.urgent))
    ticket = await next_ticket(session, region.region.ticket_prefix, now, region.tz)
    report = Report(
        ticket=ticket,
        draft_token=draft.token,
        reporter_id=reporter_id,
        region=region.region.code,
        category=draft.category,
        agency=routing.agency,
        informed_agencies=list(routing.informed),
        state=ReportState.BARU,
        urgent=bool(draft.urgent),
        latitude=draft.latitude,
        longitude=draft.longitude,
        kecamatan=draft.kecamatan,
        desa=draft.desa,
        kecamatan_code=draft.kecamatan_code,
        desa_code=draft.desa_code,
        landmark=draft.landmark,
        outside_region=draft.outside_region,
        people_count=draft.people_count,
        age_group=draft.age_group,
        description=draft.description,
        seen_at=draft.seen_at,
        seen_when=draft.seen_when,
        reporter_type=draft.reporter_type,
        anonymous=bool(draft.anonymous),
        language=reporter.language,
        created_at=now,
        updated_at=now,
        response_due_at=routing.due(now),
    )
    session.add(report)
    await session.flush()
    near = await nearby_for(session, region, report)
    if near:
        report.near_report_id = near[0].id
    for photo in draft.photos:
        session.add(ReportPhoto(report_id=report.id, file_id=photo.file_id,
                                file_unique_id=photo.file_unique_id, added_at=now))
    session.add(AuditEvent(
        report_id=report.id, at=now, actor_type="reporter", actor_id=reporter_id, action="submitted",
        from_state=None, to_state=ReportState.BARU,
        data={"agency": routing.agency, "informed": list(routing.informed),
              "response_minutes": routing.response_minutes, "urgent": report.urgent,
              "outside_region": report.outside_region, "near_report_id": report.near_report_id},
    ))
    to_reporter(session, reporter, Kind.RECEIPT, now=now, priority=PRIORITY_INTERACTIVE, report_id=report.id)
    await queue_alerts(session, region=region, report=report, now=now, photo_count=len(draft.photos))
    await session.commit()
    return _result(report, region)


def _result(report: Report, region: RegionConfig, already: bool = False) -> SubmitResult:
    minutes = int((report.response_due_at - report.created_at).total_seconds() // 60)
    return SubmitResult(report.id, report.ticket, report.agency, minutes, report.response_due_at,
                        report.urgent, already)
