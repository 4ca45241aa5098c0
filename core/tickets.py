"""Human-friendly ticket numbers: PREFIX-YYMM-NNNN, e.g. PSR-2611-0042.

The month is the region's local month; the sequence restarts each month and grows past 9999
when it must (PSR-2611-10000) rather than wrapping.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert
from db.models import TicketCounter

TICKET_RE = re.compile(r"^([A-Z]{2,5})-(\d{4})-(\d{4,})$")


def format_ticket(prefix: str, period: str, number: int) -> str:
    return f"{prefix}-{period}-{number:04d}"


def normalise_ticket(text: str) -> str | None:
    """Accepts what people type: 'psr 2611 42', 'PSR-2611-0042'."""
    parts = re.findall(r"[A-Za-z]+|[0-9]+", text or "")
    if len(parts) != 3 or not parts[0].isalpha() or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    prefix, period, number = parts[0].upper(), parts[1], parts[2]
    if len(period) != 4 or not (2 <= len(prefix) <= 5):
        return None
    return format_ticket(prefix, period, int(number))


async def next_ticket(session: AsyncSession, prefix: str, now: datetime, tz: ZoneInfo) -> str:
    """Takes the next number inside the caller's transaction (the row lock serialises writers)."""
    period = now.astimezone(tz).strftime("%y%m")
    # One upsert statement: two first reports of a month cannot both insert the counter row.
    stmt = upsert(session)(TicketCounter).values(prefix=prefix, period=period, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[TicketCounter.prefix, TicketCounter.period],
        set_={"last": TicketCounter.last + 1},
    ).returning(TicketCounter.last)
    number = (await session.execute(stmt)).scalar_one()
    return format_ticket(prefix, period, number)
