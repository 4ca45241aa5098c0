"""A report as one officer (or one duty group) may see it: plain data for the backoffice to
render, with the actions the policy allows that audience now, so buttons offer exactly those.

Built only for an audience the policy lets read the report; the reporter's name appears only if
the resident chose to be named, and never their account, chat or phone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.access import PRIVATE, Action, ActorFacts, Channel
from core.dispatch import nearby_for
from core.region import RegionConfig
from core.report_access import authorize, owner_name, subject_of
from db.models import Report, Reporter, ReportPhoto


@dataclass(frozen=True)
class ReportView:
    id: int
    ticket: str
    category: str
    agency: str
    state: str
    urgent: bool
    kecamatan: str | None
    desa: str | None
    landmark: str | None
    outside_region: bool
    latitude: float | None
    longitude: float | None
    people_count: str | None
    age_group: str | None
    description: str | None
    seen_at: datetime
    response_due_at: datetime
    owner_id: int | None
    holder_name: str | None  # None: nobody holds it
    reporter_name: str | None  # only when the resident agreed to be named
    reporter_type: str
    nearby_count: int  # earlier open reports of the same category nearby, in the same agency
    nearby_ticket: str | None
    can_merge_nearby: bool
    photo_count: int
    actions: frozenset[Action]  # the buttons to offer this audience (core.access.offered_actions)


async def build_view(session: AsyncSession, region: RegionConfig, report: Report, *, actor: ActorFacts | None,
                     channel: Channel = PRIVATE) -> ReportView:
    """The view of a report the caller has already cleared for this audience (authorize, or
    core.notices.resolve at send time)."""
    subject = await subject_of(session, report, actor)
    assert access.may_read(actor, subject, channel), "build_view needs an audience that may read the report"
    near = [r for r in await nearby_for(session, region, report) if r.agency == report.agency]
    reporter_name = None
    if not report.anonymous:
        # The resident chose to let officers see their name; contact still goes through the bot.
        reporter = await session.get(Reporter, report.reporter_id)
        reporter_name = reporter.display_name if reporter is not None and reporter.deleted_at is None else None
    near_target = await session.get(Report, report.near_report_id) if report.near_report_id else None
    photos = (await session.execute(select(func.count()).select_from(ReportPhoto).where(
        ReportPhoto.report_id == report.id, ReportPhoto.purged_at.is_(None)))).scalar_one()
    return ReportView(
        id=report.id, ticket=report.ticket, category=report.category, agency=report.agency, state=report.state,
        urgent=report.urgent, kecamatan=report.kecamatan, desa=report.desa, landmark=report.landmark,
        outside_region=report.outside_region, latitude=report.latitude, longitude=report.longitude,
        people_count=report.people_count, age_group=report.age_group, description=report.description,
        seen_at=report.seen_at, response_due_at=report.response_due_at, owner_id=report.owner_id,
        holder_name=await owner_name(session, report) if report.owner_id else None,
        reporter_name=reporter_name, reporter_type=report.reporter_type,
        nearby_count=len(near), nearby_ticket=near[0].ticket if near else None,
        can_merge_nearby=near_target is not None and near_target.agency == report.agency,
        photo_count=photos, actions=access.offered_actions(actor, subject, channel),
    )


async def view_report(session: AsyncSession, region: RegionConfig, *, actor: ActorFacts | None, report_id: int,
                      now: datetime, channel: Channel = PRIVATE) -> ReportView:
    """A report for `actor`, if the policy lets them read it (else ActionRefused, the same for a
    report that does not exist)."""
    report = await authorize(session, actor=actor, report_id=report_id, action=Action.VIEW, now=now,
                             channel=channel)
    return await build_view(session, region, report, actor=actor, channel=channel)


async def photo_file_ids(session: AsyncSession, report_id: int) -> list[str]:
    """The report's photos not yet purged, as the citizen bot's file ids, for a cleared recipient."""
    return list((await session.execute(
        select(ReportPhoto.file_id).where(ReportPhoto.report_id == report_id, ReportPhoto.purged_at.is_(None))
        .order_by(ReportPhoto.id))).scalars())
