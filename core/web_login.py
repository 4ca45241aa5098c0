"""Logging in to the supervisors' dashboard: one-time links, and the sessions they open.

No passwords: the backoffice bot sends a registered officer a link on /dasbor (or an operator
prints one with `lapor web login-link`). The link is good for ten minutes and one use, and only for
that officer; opening it starts an eight-hour session. The database keeps SHA-256 hashes of the
link's token and the session's key, never the values, so a copy of it opens nothing.

Who the session's officer is, and whether they may still come in, is read from `officers` on every
request: disabling an officer ends their sessions at once (core.officers.disable_officer ends them
too, so an officer enabled again must log in again).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import N_
from core.officers import OfficerInfo, info
from db.dialect import rowcount
from db.models import AuditEvent, Officer, WebLoginLink, WebSession

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
# Links one officer may ask for in an hour: enough to retry a typo'd address or a second device,
# few enough that a stolen phone's bot chat cannot mint a stream of them.
LINKS_PER_HOUR = 5

TOO_MANY_LINKS = N_("You asked for too many login links this hour. Please use the last one, or try again later.")
NOT_REGISTERED = N_("Only registered officers can open the dashboard.")


class LoginRefused(Exception):
    """No link for this officer now; `reason` is a msgid for them."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class LoginLink:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class WebLogin:
    """A session just started: the cookie's key (shown once, to the browser) and its CSRF token."""

    key: str
    csrf_token: str
    expires_at: datetime
    officer: OfficerInfo


@dataclass(frozen=True)
class WebActor:
    """The officer behind a request's session, loaded fresh from the database."""

    session_id: int
    officer: OfficerInfo
    csrf_token: str
    expires_at: datetime


def _audit(session: AsyncSession, now: datetime, action: str, officer_id: int | None, data: dict) -> None:
    session.add(AuditEvent(report_id=None, at=now, actor_type="officer" if officer_id else "unknown",
                           actor_id=officer_id, action=action, data=data))


async def issue_login_link(session: AsyncSession, *, officer_id: int, now: datetime, by: str = "bot",
                           ttl: timedelta = LINK_TTL) -> LoginLink:
    """A fresh one-time link for an active officer, at most LINKS_PER_HOUR an hour."""
    officer = await session.get(Officer, officer_id)
    if officer is None or not officer.active:
        raise LoginRefused(NOT_REGISTERED)
    recent = (await session.execute(
        select(func.count()).select_from(WebLoginLink)
        .where(WebLoginLink.officer_id == officer_id, WebLoginLink.created_at > now - timedelta(hours=1))
    )).scalar_one()
    if recent >= LINKS_PER_HOUR:
        raise LoginRefused(TOO_MANY_LINKS)
    # 32 random bytes: unguessable, and short enough for a URL a phone shows on one line or two.
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    session.add(WebLoginLink(token_hash=digest(token), officer_id=officer_id, created_at=now, expires_at=expires))
    _audit(session, now, "web_link_issued", officer_id, {"by": by})
    await session.commit()
    return LoginLink(token, expires)


async def redeem_login_link(session: AsyncSession, *, token: str, now: datetime,
                            ttl: timedelta = SESSION_TTL) -> WebLogin | None:
    """Starts a session for the link's officer, or None for an unknown, used or expired link or an
    officer no longer active. The link is taken by one conditional UPDATE: of two browsers opening
    it at once, exactly one gets in."""
    if not token or len(token) > 128:
        return None
    token_hash = digest(token)
    taken = await session.execute(
        update(WebLoginLink)
        .where(WebLoginLink.token_hash == token_hash, WebLoginLink.used_at.is_(None), WebLoginLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    link = (await session.execute(select(WebLoginLink).where(WebLoginLink.token_hash == token_hash))
            ).scalar_one_or_none()
    if rowcount(taken) != 1:
        spent = (link.officer_id, "used" if link.used_at is not None else "expired") if link is not None else None
        await session.rollback()
        if spent is not None:
            # A real link, spent or expired: worth a row (a forwarded link tried twice, say).
            # Unknown tokens write nothing, so guessing cannot flood the log.
            _audit(session, now, "web_login_refused", spent[0], {"why": spent[1]})
            await session.commit()
        return None
    assert link is not None
    officer = await session.get(Officer, link.officer_id)
    if officer is None or not officer.active:
        _audit(session, now, "web_login_refused", link.officer_id, {"why": "inactive"})
        await session.commit()
        return None
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + ttl
    row = WebSession(key_hash=digest(key), officer_id=officer.id, csrf_token=csrf, created_at=now,
                     expires_at=expires)
    session.add(row)
    await session.flush()
    _audit(session, now, "web_login", officer.id, {"session": row.id})
    await session.commit()
    return WebLogin(key, csrf, expires, info(officer))


async def load_web_session(session: AsyncSession, *, key: str | None, now: datetime) -> WebActor | None:
    """The session a cookie names, if it is live and its officer still active; else None."""
    if not key or len(key) > 128:
        return None
    row = (await session.execute(
        select(WebSession, Officer).join(Officer, Officer.id == WebSession.officer_id)
        .where(WebSession.key_hash == digest(key), WebSession.ended_at.is_(None), WebSession.expires_at > now,
               Officer.active.is_(True))
    )).one_or_none()
    if row is None:
        return None
    web_session, officer = row
    return WebActor(web_session.id, info(officer), web_session.csrf_token, web_session.expires_at)


async def end_web_session(session: AsyncSession, *, key: str, now: datetime) -> bool:
    """Logs out: the session named by the cookie ends."""
    row = (await session.execute(
        select(WebSession).where(WebSession.key_hash == digest(key), WebSession.ended_at.is_(None))
    )).scalar_one_or_none()
    if row is None:
        return False
    row.ended_at, row.ended_why = now, "logout"
    _audit(session, now, "web_logout", row.officer_id, {"session": row.id})
    await session.commit()
    return True


async def forget_spent(session: AsyncSession, *, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Retention: links and sessions over for `keep` are deleted (the audit log keeps the logins)."""
    links = await session.execute(delete(WebLoginLink).where(WebLoginLink.expires_at < now - keep))
    sessions = await session.execute(delete(WebSession).where(WebSession.expires_at < now - keep))
    return rowcount(links) + rowcount(sessions)
