"""Data retention (UU 27/2022): what is kept, for how long, and a reporter's deletion request.

Run daily (`lapor retention run`, and the app's scheduler). Every step is idempotent, so two
instances running it at once, or a run cut off half way, do no harm.

- Photos: purged `privacy.media_retention_days` after a report was closed. Only Telegram file ids
  are stored here (on the report, and an officer's photo in the audit event that added it);
  purging them means no one can show the photo through the bots again.
- Reports: `privacy.report_retention_days` after closure every free text is erased (description,
  landmark, the questions and answers relayed, the information the resident added, the officers'
  notes and reasons in the history), the pin rounded to about a kilometre, and the messages about
  the report dropped from the outbox. The category, kecamatan, dates, outcome and counts stay:
  they are the regency's statistics.
- Donation pledges: the donor's contact is erased `privacy.pledge_contact_days` after the pledge.
- Drafts (half-finished reports) untouched for 30 days are deleted.
- Deletion request: the reporter's closed reports are anonymised at once, their name dropped, and
  once none of their reports is open any more their Telegram account is unlinked, their pledges'
  contact and text erased, the messages owed to their chat dropped and their conversation state
  deleted; they are told so. Open cases are kept until closed (the law lets the regency keep what
  an open case needs; the resident was told this when asking). The chats whose conversations went
  are returned, for the app to drop them from its storage's cache or Redis too.
- Refusal counts (strangers' attempts) older than 90 days are deleted.

Handled updates keep no payload in the inbox (core/inbox.py), so nothing a resident wrote waits
there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, Numeric, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import CLOSED_STATES, OPEN_STATES
from core.notices import Kind, to_chat
from core.region import RegionConfig
from core.web_login import forget_spent
from db.dialect import dialect_name, rowcount
from db.models import (
    AccessRefusal,
    AuditEvent,
    DonationPledge,
    FsmRecord,
    Outbox,
    RelayQuestion,
    Report,
    Reporter,
    ReportPhoto,
)
from db.text_search import forget_erased_words

# Withdrawn reports have no closed_at; their last change is when they were taken back.
_ENDED_AT = func.coalesce(Report.closed_at, Report.updated_at)
DRAFT_RETENTION = timedelta(days=30)
REFUSAL_RETENTION = timedelta(days=90)
PIN_DECIMALS = 2  # about 1.1 km: enough for a hotspot map, not enough to find a doorstep


@dataclass(frozen=True)
class RetentionResult:
    photos_purged: int
    reports_anonymised: int
    reporters_deleted: int
    deletions_waiting: int  # requested, but the reporter still has an open case
    drafts_purged: int = 0
    pledge_contacts_erased: int = 0
    # Chats whose conversation state went with a deletion: the app drops them from its storage's
    # cache (or Redis) too. Held in memory only, never written anywhere.
    forgotten_chats: tuple[int, ...] = ()


async def run_retention(session: AsyncSession, *, region: RegionConfig, now: datetime) -> RetentionResult:
    photos = await purge_media(session, region=region, now=now)
    reports = await anonymise_old_reports(session, region=region, now=now)
    deleted, waiting, chats, erased = await process_deletion_requests(session, now=now)
    drafts = await purge_stale_drafts(session, now=now)
    pledges = await erase_pledge_contacts(session, region=region, now=now)
    await session.execute(delete(AccessRefusal).where(AccessRefusal.hour < now - REFUSAL_RETENTION))
    await forget_spent(session, now=now)  # dashboard links and sessions long over
    await session.commit()
    if reports or erased:
        await forget_erased_words(session)  # the search index's copy of the words erased
        await session.commit()
    return RetentionResult(photos, reports, deleted, waiting, drafts, pledges, tuple(chats))


async def erase_pledge_contacts(session: AsyncSession, *, region: RegionConfig, now: datetime) -> int:
    cutoff = now - timedelta(days=region.privacy.pledge_contact_days)
    result = await session.execute(
        update(DonationPledge).where(DonationPledge.created_at < cutoff, DonationPledge.contact.is_not(None))
        .values(contact=None).execution_options(synchronize_session=False))
    await session.commit()
    return rowcount(result) or 0


async def purge_stale_drafts(session: AsyncSession, *, now: datetime) -> int:
    """Half-finished reports nobody touched for DRAFT_RETENTION (Redis: the same TTL, see lapor.app)."""
    result = await session.execute(delete(FsmRecord).where(FsmRecord.updated_at < now - DRAFT_RETENTION))
    await session.commit()
    return rowcount(result) or 0


async def purge_media(session: AsyncSession, *, region: RegionConfig, now: datetime) -> int:
    cutoff = now - timedelta(days=region.privacy.media_retention_days)
    ended = select(Report.id).where(Report.state.in_(CLOSED_STATES), cutoff > _ENDED_AT)
    return await _purge_photos(session, ended, now)


async def _purge_photos(session: AsyncSession, report_ids, now: datetime) -> int:
    result = await session.execute(
        update(ReportPhoto)
        .where(ReportPhoto.purged_at.is_(None), ReportPhoto.report_id.in_(report_ids))
        .values(file_id="", file_unique_id="", purged_at=now)
        .execution_options(synchronize_session=False)
    )
    await _forget_event_photos(session, report_ids)
    await session.commit()
    return rowcount(result) or 0


async def _forget_event_photos(session: AsyncSession, report_ids) -> None:
    """An officer's photo on the file lives as a file id in its audit event; the event stays."""
    await session.execute(
        update(AuditEvent).where(AuditEvent.report_id.in_(report_ids), AuditEvent.action == "photo_added")
        .values(data={"purged": True}).execution_options(synchronize_session=False))


async def anonymise_old_reports(
    session: AsyncSession, *, region: RegionConfig, now: datetime, batch: int = 500,
) -> int:
    cutoff = now - timedelta(days=region.privacy.report_retention_days)
    total = 0
    while True:  # in batches: short transactions, whatever the backlog of a first run
        ids = list((await session.execute(
            select(Report.id)
            .where(Report.state.in_(CLOSED_STATES), Report.anonymised_at.is_(None), cutoff > _ENDED_AT)
            .order_by(Report.id).limit(batch)
        )).scalars())
        if not ids:
            return total
        total += await _anonymise(session, ids, now, reason="retention")
        await session.commit()


def _rounded(column):
    # PostgreSQL rounds to decimals only on numeric, not on double precision.
    return cast(func.round(cast(column, Numeric(12, 6)), PIN_DECIMALS), Float)


async def _anonymise(session: AsyncSession, ids: list[int], now: datetime, *, reason: str) -> int:
    if not ids:
        return 0
    await session.execute(
        update(Report).where(Report.id.in_(ids)).values(
            description=None, landmark=None, anonymised_at=now,
            latitude=_rounded(Report.latitude), longitude=_rounded(Report.longitude),
        ).execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RelayQuestion).where(RelayQuestion.report_id.in_(ids))
        .values(question="", answer=None).execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ReportPhoto).where(ReportPhoto.report_id.in_(ids), ReportPhoto.purged_at.is_(None))
        .values(file_id="", file_unique_id="", purged_at=now).execution_options(synchronize_session=False)
    )
    # The history keeps who did what when; the words in it go (the resident's additions and
    # answers, the officers' questions, notes and reasons).
    await session.execute(
        update(AuditEvent).where(AuditEvent.report_id.in_(ids), AuditEvent.note.is_not(None))
        .values(note=None).execution_options(synchronize_session=False))
    await _forget_event_photos(session, ids)
    await session.execute(delete(Outbox).where(Outbox.report_id.in_(ids)).execution_options(
        synchronize_session=False))
    session.add_all([AuditEvent(report_id=i, at=now, actor_type="system", action="anonymised",
                                data={"reason": reason}) for i in ids])
    return len(ids)


async def process_deletion_requests(session: AsyncSession, *,
                                    now: datetime) -> tuple[int, int, list[int], int]:
    """Returns (reporters deleted now, requests still waiting for an open case to close, the
    chats forgotten, reports anonymised). One transaction per reporter, holding their row: two instances running the
    job at once carry out each request once (PostgreSQL skips a row the other holds)."""
    deleted = waiting = erased = 0
    chats: list[int] = []
    last_id = 0
    while True:
        stmt = (select(Reporter)
                .where(Reporter.deletion_requested_at.is_not(None), Reporter.deleted_at.is_(None),
                       Reporter.id > last_id)
                .order_by(Reporter.id).limit(1))
        if dialect_name(session) == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        reporter = (await session.execute(stmt)).scalar_one_or_none()
        if reporter is None:
            await session.commit()
            return deleted, waiting, chats, erased
        last_id = reporter.id
        chat_id = reporter.chat_id
        done, anonymised = await _carry_out_deletion(session, reporter, now)
        erased += anonymised
        if done:
            deleted += 1
            chats.append(chat_id)
        else:
            waiting += 1
        await session.commit()


async def _carry_out_deletion(session: AsyncSession, reporter: Reporter, now: datetime) -> tuple[bool, int]:
    """(whether the reporter is deleted now, the reports anonymised)"""
    closed = list((await session.execute(
        select(Report.id).where(Report.reporter_id == reporter.id, Report.state.in_(CLOSED_STATES),
                                Report.anonymised_at.is_(None))
    )).scalars())
    anonymised = await _anonymise(session, closed, now, reason="deletion_request")
    reporter.display_name = None
    still_open = (await session.execute(
        select(func.count()).select_from(Report)
        .where(Report.reporter_id == reporter.id, Report.state.in_(OPEN_STATES))
    )).scalar_one()
    if still_open:
        return False, anonymised
    # Whatever is still owed to the chat goes (it would not be sent to a deleted resident anyway),
    # then one farewell, which the outbox deletes once sent: the chat id does not outlive it.
    await session.execute(delete(Outbox).where(Outbox.bot == "citizen", Outbox.chat_id == reporter.chat_id)
                          .execution_options(synchronize_session=False))
    to_chat(session, chat_id=reporter.chat_id, kind=Kind.DATA_DELETED, now=now, language=reporter.language)
    await session.execute(
        update(DonationPledge).where(DonationPledge.reporter_id == reporter.id)
        .values(contact=None, description="").execution_options(synchronize_session=False))
    # Drafts and conversation state of this chat (the database storage; the app drops the same
    # keys from Redis or its cache with RetentionResult.forgotten_chats).
    await session.execute(delete(FsmRecord).where(
        FsmRecord.key.like(f"%:{reporter.chat_id}:{reporter.telegram_id}:%")))
    # Real Telegram ids are positive: a negative surrogate keeps the row (reports point to it)
    # while nothing links it to a person any more.
    reporter.telegram_id = reporter.chat_id = -reporter.id
    reporter.deleted_at = now
    reporter.unreachable = True
    session.add(AuditEvent(at=now, actor_type="system", action="reporter_deleted",
                           data={"reporter_id": reporter.id}))
    return True, anonymised
