"""The period's reports and their history as an Excel workbook (openpyxl) or CSV: attached to
weekly and monthly summaries, and `lapor export` from the command line. Reporters appear by
number only."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.region import RegionConfig
from db.models import AuditEvent, Officer, Report

REPORT_COLUMNS = ["ticket", "created (local)", "category", "agency", "state", "urgent", "kecamatan", "desa",
                  "landmark", "latitude", "longitude", "outside region", "people", "age group", "description",
                  "seen (local)", "reporter type", "anonymous", "holder", "acknowledged (local)", "closed (local)",
                  "outcome", "persons handled", "rating"]
HISTORY_COLUMNS = ["ticket", "at (local)", "actor", "action", "from", "to", "note"]


def _local(value: datetime | None, region: RegionConfig) -> str:
    return value.astimezone(region.tz).strftime("%Y-%m-%d %H:%M") if value else ""


async def _rows(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime):
    reports = (await session.execute(
        select(Report, Officer.name).outerjoin(Officer, Officer.id == Report.owner_id)
        .where(Report.created_at >= start, Report.created_at < end).order_by(Report.created_at))).all()
    report_rows = [[
        r.ticket, _local(r.created_at, region), r.category, r.agency, r.state, "yes" if r.urgent else "",
        r.kecamatan or "", r.desa or "", r.landmark or "", r.latitude, r.longitude,
        "yes" if r.outside_region else "", r.people_count or "", r.age_group or "", r.description or "",
        _local(r.seen_at, region), r.reporter_type, "yes" if r.anonymous else "", holder or "",
        _local(r.acknowledged_at, region), _local(r.closed_at, region), r.outcome or "", r.persons_count,
        r.rating] for r, holder in reports]
    ids = {r.id: r.ticket for r, _ in reports}
    events = (await session.execute(
        select(AuditEvent).where(AuditEvent.report_id.in_(list(ids))).order_by(AuditEvent.id))).scalars() if ids else []
    history_rows = [[ids[e.report_id], _local(e.at, region), e.actor_type, e.action, e.from_state or "",
                     e.to_state or "", e.note or ""] for e in events]
    return report_rows, history_rows


async def workbook(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime) -> bytes:
    report_rows, history_rows = await _rows(session, region, start, end)
    book = Workbook()
    sheet = book.active
    sheet.title = "Laporan"
    sheet.append(REPORT_COLUMNS)
    for row in report_rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    history = book.create_sheet("Riwayat")
    history.append(HISTORY_COLUMNS)
    for row in history_rows:
        history.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def csv_text(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime) -> str:
    report_rows, _ = await _rows(session, region, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(report_rows)
    return out.getvalue()
