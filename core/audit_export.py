"""`lapor audit export`: the append-only audit log as CSV, for the Inspektorat (BAB VI)."""
from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.spreadsheet import csv_row
from db.models import AuditEvent, Officer, Report

COLUMNS = ["id", "at_utc", "ticket", "actor_type", "actor_id", "actor_name", "action", "from_state",
           "to_state", "note", "data"]


async def _rows(session: AsyncSession, since: datetime | None, until: datetime | None,
                batch: int = 1000, where: Sequence[ColumnElement[bool]] = (),
                ) -> AsyncIterator[tuple[AuditEvent, str | None, str | None]]:
    # Events are appended in time order, so the period is an id range: found through the index
    # on `at`, it keeps a recent --since from reading the whole log.
    last_id, max_id = 0, None
    if since is not None:
        first = (await session.execute(select(func.min(AuditEvent.id)).where(AuditEvent.at >= since))).scalar()
        if first is None:
            return
        last_id = first - 1
    if until is not None:
        max_id = (await session.execute(select(func.max(AuditEvent.id)).where(AuditEvent.at < until))).scalar()
        if max_id is None:
            return
    while True:
        stmt = (select(AuditEvent, Report.ticket, Officer.name)
                .outerjoin(Report, Report.id == AuditEvent.report_id)
                .outerjoin(Officer, (AuditEvent.actor_type == "officer") & (Officer.id == AuditEvent.actor_id))
                .where(AuditEvent.id > last_id, *where).order_by(AuditEvent.id).limit(batch))
        if since is not None:
            stmt = stmt.where(AuditEvent.at >= since)
        if until is not None:
            stmt = stmt.where(AuditEvent.at < until, AuditEvent.id <= max_id)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        for event, ticket, name in rows:
            yield event, ticket, name
        last_id = rows[-1][0].id


async def export_csv(session: AsyncSession, out: TextIO, *, since: datetime | None = None,
                     until: datetime | None = None, where: Sequence[ColumnElement[bool]] = ()) -> int:
    """Writes the log in id order, in batches (memory stays flat); returns the rows written.
    Reporters appear by number only: their identity stays out of the export. No cell is taken
    for a formula by the spreadsheet that opens it (core.spreadsheet)."""
    import json

    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    async for event, ticket, name in _rows(session, since, until, where=where):
        writer.writerow(csv_row([event.id, event.at.isoformat(), ticket or "", event.actor_type, event.actor_id or "",
                         name or "", event.action, event.from_state or "", event.to_state or "", event.note or "",
                         json.dumps(event.data or {}, ensure_ascii=False, sort_keys=True)]))
        count += 1
    return count
