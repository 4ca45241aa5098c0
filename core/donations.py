"""Donation pledges (BAB V): the offer is recorded and routed to Dinsos, who contact the donor.
The bot never takes money."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import N_
from core.notices import Kind, to_reporter
from core.outbox import PRIORITY_INTERACTIVE
from core.region import RegionConfig
from core.tickets import next_ticket
from db.models import DonationPledge, Reporter


class DonationKind(StrEnum):
    MONEY = "uang"
    GOODS = "barang"


DONATION_KIND_LABELS = {DonationKind.MONEY: N_("Money"), DonationKind.GOODS: N_("Goods")}
PLEDGE_PREFIX_SUFFIX = "S"  # PSR -> PSRS-2611-0001, so pledges never share numbers with reports


class PledgeDraft(BaseModel):
    token: str = Field(default_factory=lambda: str(uuid.uuid4()))
    kind: DonationKind | None = None
    description: str | None = None
    contact: str | None = None
    contact_done: bool = False

    def missing(self) -> list[str]:
        out = []
        if self.kind is None:
            out.append("kind")
        if not self.description:
            out.append("description")
        if not self.contact_done:
            out.append("contact")
        return out


class TooManyPledges(Exception):
    """The resident has made the region's number of pledges for one day (limits.pledges_per_day)."""


async def may_pledge(session: AsyncSession, *, region: RegionConfig, reporter_id: int, now: datetime) -> bool:
    """Under the day's limit of pledges (one index range scan on the resident's pledges)."""
    made = (await session.execute(select(func.count()).select_from(DonationPledge).where(
        DonationPledge.reporter_id == reporter_id, DonationPledge.created_at > now - timedelta(days=1)))).scalar_one()
    return made < region.limits.pledges_per_day


@dataclass(frozen=True)
class PledgeResult:
    ticket: str
    agency: str
    already_submitted: bool = False


async def submit_pledge(
    session: AsyncSession, *, clock: Clock, region: RegionConfig, reporter_id: int, draft: PledgeDraft
) -> PledgeResult:
    existing = (await session.execute(
        select(DonationPledge).where(DonationPledge.draft_token == draft.token)
    )).scalar_one_or_none()
    if existing is not None:
        return PledgeResult(existing.ticket, existing.agency, already_submitted=True)
    if draft.missing():
        raise ValueError(f"pledge incomplete: {draft.missing()}")
    now = clock.now()
    if not await may_pledge(session, region=region, reporter_id=reporter_id, now=now):
        raise TooManyPledges()
    agency = region.donations.agency
    prefix = (region.region.ticket_prefix + PLEDGE_PREFIX_SUFFIX)[:6]
    ticket = await next_ticket(session, prefix, now, region.tz)
    pledge = DonationPledge(
        ticket=ticket, draft_token=draft.token, reporter_id=reporter_id, agency=agency,
        kind=draft.kind, description=draft.description, contact=draft.contact, state="baru", created_at=now,
    )
    session.add(pledge)
    await session.flush()
    reporter = await session.get_one(Reporter, reporter_id)
    to_reporter(session, reporter, Kind.PLEDGE_RECEIPT, now=now, priority=PRIORITY_INTERACTIVE, pledge=pledge.id)
    await session.commit()
    return PledgeResult(ticket, agency)
