"""Partners' keys to the Open311 GeoReport v2 API: made, listed and revoked by the operator
(`lapor open311 key ...`), presented by a partner as `api_key`.

A key is shown once, when it is made; the database keeps its SHA-256 hash (as core.web_login does
with login links), so a copy of the table opens nothing. What a key may do is its scope, and what a
scope means is the policy's (core.access: partner_full_scope, partner_may_submit).

Every use of a live key is a row in the audit log (actor_type "partner", actor_id the key's id):
what was asked for, and when. A revoked key presented again is a row too ("open311_key_refused");
an unknown key writes nothing, so guessing cannot flood the log.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import PARTNER_AGENCY, PARTNER_READ_ALL, PARTNER_SUBMIT, PartnerFacts
from core.region import RegionConfig
from core.web_login import digest
from db.models import AuditEvent, Open311Key

KEY_PREFIX = "o311_"
KEY_MAX = 128
PARTNER_MAX = 128
ACTOR_TYPE = "partner"


class KeyProblem(Exception):
    """The operator asked for something that cannot be (an unknown scope, an empty name)."""


@dataclass(frozen=True)
class KeyInfo:
    id: int
    partner: str
    scope: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _info(row: Open311Key) -> KeyInfo:
    return KeyInfo(row.id, row.partner, row.scope, row.created_at, row.revoked_at)


def check_scope(scope: str, region: RegionConfig) -> str:
    """The scope as stored, or KeyProblem naming the forms allowed."""
    scope = scope.strip()
    if scope in (PARTNER_SUBMIT, PARTNER_READ_ALL):
        return scope
    if scope.startswith(PARTNER_AGENCY):
        code = scope[len(PARTNER_AGENCY):]
        codes = [a.code for a in region.agencies]
        if code in codes:
            return scope
        raise KeyProblem(f"--scope {scope}: there is no agency {code!r}; use one of {', '.join(codes)}")
    raise KeyProblem(f"--scope {scope}: use submit, read-all or agency:CODE (e.g. agency:{region.agencies[0].code})")


def _audit(session: AsyncSession, now: datetime, action: str, actor_type: str, actor_id: int | None,
           data: dict[str, Any]) -> None:
    session.add(AuditEvent(report_id=None, at=now, actor_type=actor_type, actor_id=actor_id, action=action,
                           data=data))


async def add_key(session: AsyncSession, *, partner: str, scope: str, region: RegionConfig, now: datetime,
                  by: str = "cli") -> tuple[KeyInfo, str]:
    """A new key: (its row, the key itself, to be shown once and never again)."""
    name = " ".join(partner.split())
    if not name:
        raise KeyProblem("--partner is empty; give the partner's name, e.g. --partner 'SP4N-LAPOR!'")
    if len(name) > PARTNER_MAX:
        raise KeyProblem(f"--partner is {len(name)} characters; at most {PARTNER_MAX}")
    scope = check_scope(scope, region)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = Open311Key(key_hash=digest(key), partner=name, scope=scope, created_at=now)
    session.add(row)
    await session.flush()
    _audit(session, now, "open311_key_added", "system", None, {"key": row.id, "partner": name, "scope": scope,
                                                                  "by": by})
    await session.commit()
    return _info(row), key


async def list_keys(session: AsyncSession) -> list[KeyInfo]:
    rows = (await session.execute(select(Open311Key).order_by(Open311Key.id))).scalars()
    return [_info(r) for r in rows]


async def revoke_key(session: AsyncSession, *, key_id: int, now: datetime, by: str = "cli") -> KeyInfo | None:
    """Revokes a key at once (its next use is refused); None when there is no such key. A key
    already revoked keeps its first revocation."""
    row = await session.get(Open311Key, key_id) if 0 < key_id < 2**31 else None
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = now
        _audit(session, now, "open311_key_revoked", "system", None, {"key": row.id, "partner": row.partner,
                                                                       "by": by})
        await session.commit()
    return _info(row)


async def resolve_key(session: AsyncSession, *, key: str, now: datetime, use: str,
                      details: dict[str, Any] | None = None) -> PartnerFacts | None:
    """The partner behind a presented key, or None for an unknown or revoked key. Each call is one
    use: a live key's is recorded (`use`: what was asked, e.g. "GET requests"; `details`: its
    parameters), a revoked key's refusal too."""
    if not key or len(key) > KEY_MAX:
        return None
    row = (await session.execute(select(Open311Key).where(Open311Key.key_hash == digest(key)))).scalar_one_or_none()
    if row is None:
        return None
    data = {"use": use[:64], **(details or {})}
    if row.revoked_at is not None:
        _audit(session, now, "open311_key_refused", ACTOR_TYPE, row.id, {**data, "why": "revoked"})
        await session.commit()
        return None
    facts = PartnerFacts(row.id, row.partner, row.scope)
    _audit(session, now, "open311_key_used", ACTOR_TYPE, row.id, data)
    await session.commit()
    return facts
