"""The period's reports and their history as an Excel workbook (openpyxl) or CSV: attached to
weekly and monthly summaries, and `lapor export` from the command line. Reporters appear by
number only; no cell is ever taken for a formula (core.spreadsheet).

What it holds is the policy's scope (core.access.summary_scope): a supervisor gets the reports
their agency handles, and of those it handed over to another agency only what it knew and did
(the report's place and category, its history up to the hand-over; not its text or pin); a
region-wide reader, and the operator's CLI, get every report.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import WHOLE_REGION, Scope
from core.lifecycle import ReportState
from core.region import RegionConfig
from core.spreadsheet import append_row, csv_row
from db.models import AuditEvent, Officer, Report

REPORT_COLUMNS = ["ticket", "created (local)", "category", "agency", "state", "urgent", "kecamatan", "desa",
                  "kecamatan code", "desa code", "landmark", "latitude", "longitude", "outside region", "people",
                  "age group", "description", "seen (local)", "reporter type", "anonymous", "holder",
                  "acknowledged (local)", "closed (local)", "outcome", "persons handled", "rating"]
HISTORY_COLUMNS = ["ticket", "at (local)", "actor", "action", "from", "to", "note"]


def _local(value: datetime | None, region: RegionConfig) -> str:
    return value.astimezone(region.tz).strftime("%Y-%m-%d %H:%M") if value else ""


@dataclass
class _Included:
    report: Report
    holder: str | None
    # Handed over by the scope's agency: what it may keep ends with this event (its hand-over).
    until_event: int | None = None


async def handed_over_by(session: AsyncSession, agency: str, report_ids: list[int] | None = None,
                         ) -> dict[int, int]:
    """Report id -> id of the agency's last hand-over of it (an agency keeps the record of its
    own work on a report it passed on)."""
    stmt = select(AuditEvent.report_id, AuditEvent.id).where(
        AuditEvent.action == "handed_over", AuditEvent.data["from_agency"].as_string() == agency)
    if report_ids is not None:
        stmt = stmt.where(AuditEvent.report_id.in_(report_ids))
    last: dict[int, int] = {}
    for report_id, event_id in (await session.execute(stmt)).all():
        if report_id is not None:
            last[report_id] = max(event_id, last.get(report_id, 0))
    return last


async def _included(session: AsyncSession, scope: Scope, start: datetime, end: datetime) -> list[_Included]:
    in_period = [Report.created_at >= start, Report.created_at < end]
    query = (select(Report, Officer.name).outerjoin(Officer, Officer.id == Report.owner_id)
             .where(*in_period).order_by(Report.created_at, Report.id))
    if scope.region_wide:
        return [_Included(r, holder) for r, holder in (await session.execute(query)).all()]
    assert scope.agency is not None
    own = [_Included(r, holder) for r, holder in
           (await session.execute(query.where(Report.agency == scope.agency))).all()]
    period_ids = list((await session.execute(select(Report.id).where(*in_period, Report.agency != scope.agency)
                                              )).scalars())
    passed = await handed_over_by(session, scope.agency, period_ids) if period_ids else {}
    if passed:
        others = (await session.execute(select(Report).where(Report.id.in_(list(passed))))).scalars()
        own += [_Included(r, None, passed[r.id]) for r in others]
        own.sort(key=lambda i: (i.report.created_at, i.report.id))
    return own


def _report_row(item: _Included, region: RegionConfig) -> list[Any]:
    r = item.report
    if item.until_event is not None:
        # Passed on: the category, place and dates stay with the agency's statistics; the case
        # itself (text, pin, what the other agency did) is the other agency's now.
        return [r.ticket, _local(r.created_at, region), r.category, r.agency, ReportState.DIALIHKAN,
                "yes" if r.urgent else "", r.kecamatan or "", r.desa or "", r.kecamatan_code or "",
                r.desa_code or "", "", None, None,
                "yes" if r.outside_region else "", r.people_count or "", r.age_group or "", "",
                _local(r.seen_at, region), r.reporter_type, "yes" if r.anonymous else "", "", "", "", "", None, None]
    return [r.ticket, _local(r.created_at, region), r.category, r.agency, r.state, "yes" if r.urgent else "",
            r.kecamatan or "", r.desa or "", r.kecamatan_code or "", r.desa_code or "", r.landmark or "",
            r.latitude, r.longitude,
            "yes" if r.outside_region else "", r.people_count or "", r.age_group or "", r.description or "",
            _local(r.seen_at, region), r.reporter_type, "yes" if r.anonymous else "", item.holder or "",
            _local(r.acknowledged_at, region), _local(r.closed_at, region), r.outcome or "", r.persons_count,
            r.rating]


async def _rows(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime,
                scope: Scope) -> tuple[list[list[Any]], list[list[Any]]]:
    items = await _included(session, scope, start, end)
    report_rows = [_report_row(item, region) for item in items]
    by_id = {i.report.id: i for i in items}
    history_rows: list[list[Any]] = []
    if by_id:
        events = (await session.execute(
            select(AuditEvent).where(AuditEvent.report_id.in_(list(by_id))).order_by(AuditEvent.id))).scalars()
        for e in events:
            item = by_id[e.report_id or 0]
            if item.until_event is not None and e.id > item.until_event:
                continue
            history_rows.append([item.report.ticket, _local(e.at, region), e.actor_type, e.action,
                                 e.from_state or "", e.to_state or "", e.note or ""])
    return report_rows, history_rows


async def workbook(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime,
                   scope: Scope = WHOLE_REGION) -> bytes:
    report_rows, history_rows = await _rows(session, region, start, end, scope)
    items_by_area = _by_area(report_rows, region)
    book = Workbook()
    sheet = book.active
    sheet.title = "Laporan"
    append_row(sheet, REPORT_COLUMNS)
    for row in report_rows:
        append_row(sheet, row)
    sheet.freeze_panes = "A2"
    history = book.create_sheet("Riwayat")
    append_row(history, HISTORY_COLUMNS)
    for row in history_rows:
        append_row(history, row)
    # Reports per kecamatan and desa and category: the table a desk officer pivots on.
    areas = book.create_sheet("Per wilayah")
    categories = [c.code for c in region.categories]
    append_row(areas, ["kecamatan code", "kecamatan", "desa code", "desa/kelurahan", "reports", *categories])
    for row in items_by_area:
        append_row(areas, row)
    areas.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _by_area(report_rows: list[list[Any]], region: RegionConfig) -> list[list[Any]]:
    """One row per kecamatan and desa with reports (a kecamatan-only row for reports placed in no
    desa), by code where there is one, each kecamatan's current name from the region."""
    col = {name: i for i, name in enumerate(REPORT_COLUMNS)}
    categories = [c.code for c in region.categories]
    counts: dict[tuple[str, str, str, str], dict[str, int]] = {}
    for row in report_rows:
        kec_code, desa_code = row[col["kecamatan code"]], row[col["desa code"]]
        known = region.kecamatan_by_code(kec_code) if kec_code else None
        key = (kec_code, known.name if known else row[col["kecamatan"]] or "-", desa_code, row[col["desa"]] or "")
        per = counts.setdefault(key, dict.fromkeys(categories, 0))
        per[row[col["category"]]] = per.get(row[col["category"]], 0) + 1
    return [[*key, sum(per.values()), *(per.get(c, 0) for c in categories)]
            for key, per in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][3]))]


async def csv_text(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime,
                   scope: Scope = WHOLE_REGION) -> str:
    report_rows, _ = await _rows(session, region, start, end, scope)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(csv_row(row) for row in report_rows)
    return out.getvalue()
