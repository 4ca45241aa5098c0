"""Donation pledges (BAB V): the offer is recorded and routed to Dinsos, who contact the donor.
The bot never takes money."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import N_, translator
from core.menus import main_menu
from core.outbox import PRIORITY_INTERACTIVE, enqueue_text
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
    agency = region.donations.agency
    prefix = (region.region.ticket_prefix + PLEDGE_PREFIX_SUFFIX)[:6]
    ticket = await next_ticket(session, prefix, now, region.tz)
    session.add(DonationPledge(
        ticket=ticket, draft_token=draft.token, reporter_id=reporter_id, agency=agency,
        kind=draft.kind, description=draft.description, contact=draft.contact, state="baru", created_at=now,
    ))
    reporter = await session.get(Reporter, reporter_id)
    tr = translator(reporter.language)
    enqueue_text(
        session, bot="citizen", chat_id=reporter.chat_id, now=now, priority=PRIORITY_INTERACTIVE,
        reply_markup=main_menu(tr),
        text="\n".join([
            tr("🤝 <b>Thank you!</b> Your donation offer is recorded as <code>{ticket}</code>.", ticket=ticket),
            tr("{agency} will contact you to arrange it.", agency=region.agency(agency).name.get(tr.lang)),
            tr("This bot never asks for money or bank transfers. Do not pay anyone who claims to be from this bot."),
        ]),
    )
    await session.commit()
    return PledgeResult(ticket, agency)
