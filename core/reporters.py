"""Residents who write to the citizen bot."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import LANGUAGES
from db.models import Reporter


@dataclass(frozen=True)
class ReporterInfo:
    id: int
    telegram_id: int
    chat_id: int
    language: str
    banned: bool
    is_new: bool = False


def _info(r: Reporter, is_new: bool = False) -> ReporterInfo:
    return ReporterInfo(r.id, r.telegram_id, r.chat_id, r.language, r.banned, is_new)


# Read on every update of the citizen bot: built once, on the table (no ORM object to load).
_REPORTERS = cast(Table, Reporter.__table__)
_FIND = select(
    _REPORTERS.c.id, _REPORTERS.c.telegram_id, _REPORTERS.c.chat_id, _REPORTERS.c.language, _REPORTERS.c.banned,
    _REPORTERS.c.unreachable,
).where(_REPORTERS.c.telegram_id == bindparam("telegram_id"))


async def ensure_reporter(
    session: AsyncSession, *, telegram_id: int, chat_id: int, now: datetime, language: str,
    display_name: str | None = None,
) -> ReporterInfo:
    """Finds the resident, registering them on first contact. A read on every update, a write
    only the first time or when they come back after blocking the bot."""
    found = (await session.execute(_FIND, {"telegram_id": telegram_id})).first()
    if found is None:
        # The name is shown to officers only on reports where the resident allowed it.
        row = Reporter(telegram_id=telegram_id, chat_id=chat_id, language=language, created_at=now,
                       display_name=(display_name or "")[:128] or None)
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:  # two first updates of one user at once
            await session.rollback()
            row = (await session.execute(select(Reporter).where(Reporter.telegram_id == telegram_id))).scalar_one()
            return _info(row)
        return _info(row, is_new=True)
    if found.unreachable or found.chat_id != chat_id:
        await session.execute(update(_REPORTERS).where(_REPORTERS.c.id == found.id)
                              .values(unreachable=False, chat_id=chat_id))
        await session.commit()
    return ReporterInfo(found.id, found.telegram_id, chat_id, found.language, found.banned)


async def set_language(session: AsyncSession, *, reporter_id: int, language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    row = await session.get_one(Reporter, reporter_id)
    row.language = language
    await session.commit()
    return language


async def request_deletion(session: AsyncSession, *, reporter_id: int, now: datetime) -> bool:
    """Records a deletion request (UU 27/2022); returns False if one is already pending."""
    row = await session.get_one(Reporter, reporter_id)
    if row.deletion_requested_at is not None:
        return False
    row.deletion_requested_at = now
    await session.commit()
    return True
