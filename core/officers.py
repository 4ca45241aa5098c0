"""Officers, their roles and onboarding: `lapor officer add|invite|list|disable`, the invite link.

Every backoffice action starts from `find_officer`: who someone is comes from the database, never
from what a button claims.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.access import Role
from core.region import RegionConfig
from core.wilayah import normalise_name
from db.dialect import rowcount
from db.models import AuditEvent, Officer, OfficerInvite, WebSession

__all__ = ["Role", "OfficerInfo", "OfficerError"]

INVITE_TTL = timedelta(hours=72)


class OfficerError(ValueError):
    """A request that cannot be done as asked; the message says why, for a person to read."""


@dataclass(frozen=True)
class OfficerInfo:
    id: int
    telegram_id: int | None
    chat_id: int | None
    name: str
    agency: str
    role: Role
    areas: tuple[str, ...]
    active: bool
    language: str
    unreachable: bool

    @property
    def can_act(self) -> bool:
        return access.can_act(self)

    @property
    def supervises(self) -> bool:
        return access.supervises(self)


def info(o: Officer) -> OfficerInfo:
    return OfficerInfo(o.id, o.telegram_id, o.chat_id, o.name, o.agency, Role(o.role), tuple(o.areas or ()),
                       o.active, o.language, o.unreachable)


def _check(region: RegionConfig, agency: str, role: str, areas: list[str]) -> list[str]:
    try:
        region.agency(agency)
    except KeyError:
        known = ", ".join(a.code for a in region.agencies)
        raise OfficerError(f"unknown agency {agency!r} (known: {known})") from None
    try:
        Role(role)
    except ValueError:
        raise OfficerError(f"unknown role {role!r} (known: {', '.join(r.value for r in Role)})") from None
    return [_area(region, area) for area in areas]


def _area(region: RegionConfig, area: str) -> str:
    """An officer's area as stored: a kecamatan's name, or a desa's Kemendagri code (given as the
    code, or as "Kecamatan/Desa")."""
    if "/" in area:
        kecamatan_name, desa_name = area.split("/", 1)
        kecamatan = region.kecamatan_by_name(kecamatan_name)
        if kecamatan is None:
            raise OfficerError(f"unknown kecamatan {kecamatan_name.strip()!r}")
        desa = kecamatan.desa_by_name(desa_name) or next(
            (d for d in kecamatan.desa if normalise_name(d) == normalise_name(desa_name)), None)
        code = kecamatan.desa_code(desa) if desa else None
        if code is None:
            raise OfficerError(f"unknown desa {desa_name.strip()!r} in Kec. {kecamatan.name}"
                               + ("" if kecamatan.desa_codes else " (the region has no pack of desa codes)"))
        return code
    if area.strip()[:1].isdigit():
        if region.desa_by_code(area.strip()) is None:
            raise OfficerError(f"unknown desa code {area.strip()!r} (e.g. 35.14.14.1003)")
        return area.strip()
    kecamatan = region.kecamatan_by_name(area)
    if kecamatan is None:
        raise OfficerError(f"unknown kecamatan {area!r}")
    return kecamatan.name


def _audit(session: AsyncSession, now: datetime, action: str, actor_type: str, actor_id: int | None,
           data: dict, note: str | None = None) -> None:
    session.add(AuditEvent(report_id=None, at=now, actor_type=actor_type, actor_id=actor_id, action=action,
                           note=note, data=data))


async def add_officer(
    session: AsyncSession, *, region: RegionConfig, now: datetime, telegram_id: int, name: str,
    agency: str, role: str, areas: list[str], actor: str = "cli", language: str | None = None,
) -> OfficerInfo:
    areas = _check(region, agency, role, areas)
    existing = (await session.execute(select(Officer).where(Officer.telegram_id == telegram_id))).scalar_one_or_none()
    if existing is not None:
        raise OfficerError(f"Telegram user {telegram_id} is already registered (officer #{existing.id})")
    officer = Officer(telegram_id=telegram_id, chat_id=telegram_id, name=name.strip()[:128], agency=agency,
                      role=role, areas=areas, active=True, language=language or region.region.default_language,
                      unreachable=False, created_at=now)
    session.add(officer)
    await session.flush()
    _audit(session, now, "officer_added", "system", None,
           {"officer_id": officer.id, "agency": agency, "role": role, "areas": areas, "by": actor})
    await session.commit()
    return info(officer)


async def create_invite(
    session: AsyncSession, *, region: RegionConfig, now: datetime, agency: str, role: str,
    areas: list[str], ttl: timedelta = INVITE_TTL,
) -> tuple[str, datetime]:
    areas = _check(region, agency, role, areas)
    # 24 url-safe characters: unguessable, and inside the 64 characters of a deep-link payload.
    code = secrets.token_urlsafe(18)
    expires = now + ttl
    session.add(OfficerInvite(code=code, agency=agency, role=role, areas=areas, created_at=now, expires_at=expires))
    _audit(session, now, "invite_created", "system", None, {"agency": agency, "role": role, "areas": areas})
    await session.commit()
    return code, expires


async def redeem_invite(
    session: AsyncSession, *, now: datetime, code: str, telegram_id: int, chat_id: int, name: str,
    language: str,
) -> OfficerInfo | None:
    """Registers whoever opened a valid invite link in their private chat with the bot; None for
    an unknown, used or expired code, or a link opened anywhere else (a group would become the
    officer's chat, and every member would get the alerts).

    The invite is taken by one conditional UPDATE: of two people opening the same link at once,
    exactly one wins it."""
    if chat_id != telegram_id:  # a private chat's id is its user's id
        return None
    existing = (await session.execute(select(Officer).where(Officer.telegram_id == telegram_id))).scalar_one_or_none()
    if existing is not None:
        return info(existing) if existing.active else None
    taken = await session.execute(
        update(OfficerInvite)
        .where(OfficerInvite.code == code, OfficerInvite.used_at.is_(None), OfficerInvite.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        await session.rollback()
        return None
    invite = (await session.execute(select(OfficerInvite).where(OfficerInvite.code == code))).scalar_one()
    officer = Officer(telegram_id=telegram_id, chat_id=chat_id, name=name[:128], agency=invite.agency,
                      role=invite.role, areas=list(invite.areas or []), active=True, language=language,
                      unreachable=False, created_at=now)
    session.add(officer)
    await session.flush()
    invite.used_by = officer.id
    _audit(session, now, "invite_redeemed", "officer", officer.id,
           {"agency": invite.agency, "role": invite.role, "invite_id": invite.id})
    await session.commit()
    return info(officer)


async def find_officer(session: AsyncSession, telegram_id: int) -> OfficerInfo | None:
    row = (await session.execute(select(Officer).where(Officer.telegram_id == telegram_id))).scalar_one_or_none()
    return info(row) if row is not None and row.active else None


async def list_officers(session: AsyncSession) -> list[OfficerInfo]:
    rows = (await session.execute(select(Officer).order_by(Officer.agency, Officer.id))).scalars()
    return [info(o) for o in rows]


async def disable_officer(session: AsyncSession, *, now: datetime, officer_id: int) -> OfficerInfo:
    officer = await session.get(Officer, officer_id)
    if officer is None:
        raise OfficerError(f"no officer #{officer_id}")
    officer.active = False
    # Their dashboard sessions end with them (each request also checks `active`; ending the rows
    # means enabling the officer again does not revive a session opened before).
    await session.execute(update(WebSession).where(WebSession.officer_id == officer_id, WebSession.ended_at.is_(None))
                          .values(ended_at=now, ended_why="disabled").execution_options(synchronize_session=False))
    _audit(session, now, "officer_disabled", "system", None, {"officer_id": officer_id})
    await session.commit()
    return info(officer)


async def officers_for_alert(session: AsyncSession, *, agency: str, kecamatan: str | None,
                             desa_code: str | None = None) -> list[OfficerInfo]:
    """The agency's field officers covering the kecamatan or the desa, or all of them where none does."""
    rows = [info(o) for o in (await session.execute(
        select(Officer).where(Officer.agency == agency, Officer.active.is_(True), Officer.role == Role.OFFICER)
    )).scalars()]
    covering = [o for o in rows if (kecamatan and kecamatan in o.areas) or (desa_code and desa_code in o.areas)]
    return covering or rows


async def officers_of(session: AsyncSession, *, agency: str) -> list[OfficerInfo]:
    rows = (await session.execute(
        select(Officer).where(Officer.agency == agency, Officer.active.is_(True)).order_by(Officer.name)
    )).scalars()
    return [info(o) for o in rows]


async def supervisors_of(session: AsyncSession, *, agency: str) -> list[OfficerInfo]:
    rows = (await session.execute(
        select(Officer).where(Officer.agency == agency, Officer.active.is_(True),
                              Officer.role.in_(list(access.SUPERVISING_ROLES)))
    )).scalars()
    return [info(o) for o in rows]
