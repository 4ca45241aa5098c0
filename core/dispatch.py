"""Who is alerted about a new report, queued in the submit transaction.

Alerts go to the handling agency's duty group (if configured) and to its officers covering the
report's kecamatan (all of its officers where none covers it); an urgent report also alerts the
agency's supervisors at once. They are notices (core.notices): the backoffice renders them when
they are sent, so an alert shows the report as it is then (already taken, say), and one queued
before a hand-over is not sent to the agency that no longer handles the report.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Channel, ChannelKind
from core.lifecycle import OPEN_STATES
from core.notices import Kind, to_duty_group, to_officer
from core.officers import OfficerInfo, officers_for_alert, supervisors_of
from core.outbox import PRIORITY_BULK, PRIORITY_INTERACTIVE
from core.region import RegionConfig
from db.models import Report, ReportPhoto

ALERT_PRIORITY = PRIORITY_BULK - 5  # ahead of summaries, behind a resident's own receipt


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres (a city's scale: good to a metre)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


async def nearby_open_reports(session: AsyncSession, report: Report, *, metres: float,
                              window: timedelta) -> list[Report]:
    """Open reports of the same category near this one, newest first.

    A bounding-box and time-window pre-filter keeps this a short index range scan, however many
    reports the history holds. Without a pin, "near" means the same kecamatan and desa. Only
    reports that came in before this one count ("earlier open reports nearby"); the upper bound
    also keeps the window closed for an old report (/lapor of a ticket a year old).
    """
    since = report.created_at - window
    stmt = select(Report).where(
        Report.id != report.id, Report.category == report.category,
        Report.created_at >= since, Report.created_at <= report.created_at,
        Report.state.in_(list(OPEN_STATES)),
    )
    if report.latitude is not None and report.longitude is not None:
        lat, lon = report.latitude, report.longitude
        dlat = metres / 111_000
        dlon = metres / (111_000 * max(0.1, math.cos(math.radians(report.latitude))))
        stmt = stmt.where(Report.latitude.between(report.latitude - dlat, report.latitude + dlat),
                          Report.longitude.between(report.longitude - dlon, report.longitude + dlon))
        rows = (await session.execute(stmt.order_by(Report.created_at.desc()).limit(50))).scalars()
        return [r for r in rows
                if r.latitude is not None and r.longitude is not None
                and distance_m(lat, lon, r.latitude, r.longitude) <= metres]
    if report.kecamatan is None:
        return []
    stmt = stmt.where(Report.kecamatan == report.kecamatan, Report.desa == report.desa)
    return list((await session.execute(stmt.order_by(Report.created_at.desc()).limit(50))).scalars())


async def nearby_for(session: AsyncSession, region: RegionConfig, report: Report) -> list[Report]:
    """Nearby open reports within the region config's distance and time window."""
    return await nearby_open_reports(session, report, metres=region.limits.nearby_metres,
                                     window=timedelta(hours=region.limits.nearby_hours))


async def queue_alerts(session: AsyncSession, *, region: RegionConfig, report: Report, now: datetime,
                       photo_count: int) -> list[int]:
    """Queues the alerts of a new (or newly handed over) report: the text, the pin and each photo,
    for the duty group and each officer; returns the chat ids alerted (in order)."""
    agency = region.agency(report.agency)
    kinds: list[tuple[Kind, dict]] = [(Kind.ALERT, {})]
    if report.latitude is not None:
        kinds.append((Kind.ALERT_LOCATION, {}))
    kinds += [(Kind.ALERT_PHOTO, {"index": index}) for index in range(photo_count)]
    chats: list[int] = []
    if agency.duty_chat_id is not None:
        chats.append(agency.duty_chat_id)
        for kind, args in kinds:
            to_duty_group(session, agency=agency.code, chat_id=agency.duty_chat_id, kind=kind, now=now,
                          priority=ALERT_PRIORITY, report_id=report.id, **args)
    people = await officers_for_alert(session, agency=report.agency, kecamatan=report.kecamatan,
                                      desa_code=report.desa_code)
    if report.urgent:
        people += await supervisors_of(session, agency=report.agency)
    for officer in people:
        if officer.chat_id is None or officer.chat_id in chats:
            continue
        chats.append(officer.chat_id)
        for kind, args in kinds:
            to_officer(session, officer, kind, now=now, priority=ALERT_PRIORITY, report_id=report.id, **args)
    return chats


async def queue_photos(session: AsyncSession, *, report_id: int, officer: OfficerInfo, channel: Channel,
                       now: datetime) -> int:
    """The report's photos again, to whoever asked for its details (in their private chat, or the
    duty group they asked in); each is checked again when sent. Returns how many were queued."""
    count = (await session.execute(
        select(func.count()).select_from(ReportPhoto).where(ReportPhoto.report_id == report_id))).scalar_one()
    for index in range(count):
        if channel.kind == ChannelKind.DUTY_GROUP and channel.agency and channel.chat_id is not None:
            to_duty_group(session, agency=channel.agency, chat_id=channel.chat_id, kind=Kind.ALERT_PHOTO, now=now,
                          priority=PRIORITY_INTERACTIVE, report_id=report_id, index=index)
        else:
            to_officer(session, officer, Kind.ALERT_PHOTO, now=now, priority=PRIORITY_INTERACTIVE,
                       report_id=report_id, index=index)
    await session.commit()
    return count
