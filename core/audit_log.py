"""The audit log as the dashboard shows it: filtered, newest first, a page at a time, within the
reader's scope.

Who may open it is the policy's (core.access, View.AUDIT_LOG): supervisors and the region-wide
auditor. What it holds is core.access.audit_scope: everything for the auditor; for a supervisor,
the events of the reports their agency handles and whatever their agency's officers did. The
reporter appears as "reporter", never by who they are.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.access import audit_scope
from core.audit_export import export_csv
from core.history import ACTIONS
from core.i18n import N_
from core.officers import OfficerInfo
from core.region import RegionConfig
from core.when import day_start
from db.models import AuditEvent, Officer, Report

PAGE_SIZE = 100
# What each kind of event says in the log: a report's events as its history says them, and the rest.
ACTION_WORDS = {
    **ACTIONS,
    "web_link_issued": N_("asked for a dashboard login link"),
    "web_login": N_("logged in to the dashboard"),
    "web_login_refused": N_("tried a dashboard link that no longer works"),
    "web_logout": N_("logged out of the dashboard"),
    "list_exported": N_("downloaded a list"),
    "officer_added": N_("registered an officer"),
    "officer_disabled": N_("disabled an officer"),
    "invite_created": N_("created an invitation"),
    "invite_redeemed": N_("registered by invitation"),
    "access_refused": N_("was refused"),
    "unregistered_access": N_("wrote to the officers' bot without being registered"),
    "officer_unreachable": N_("blocked the officers' bot"),
    "reporter_deleted": N_("the resident's data was deleted on request"),
    "open311_key_added": N_("an Open311 key was given to a partner"),
    "open311_key_revoked": N_("an Open311 key was revoked"),
    "open311_key_used": N_("used its Open311 key"),
    "open311_key_refused": N_("tried a revoked Open311 key"),
}
ACTOR_TYPES = ("officer", "reporter", "partner", "system", "unknown")


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_type: str | None = None
    ticket: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def query(self, **changes: Any) -> str:
        f = replace(self, **{k: v for k, v in changes.items() if k != "before"})
        params = [(k, v) for k, v in (("action", f.action), ("actor", f.actor_type), ("ticket", f.ticket),
                                       ("from", f.date_from.isoformat() if f.date_from else None),
                                       ("to", f.date_to.isoformat() if f.date_to else None)) if v]
        if changes.get("before"):
            params.append(("before", str(changes["before"])))
        return urlencode(params)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_audit_filter(params: Mapping[str, str]) -> AuditFilter:
    """Values that cannot be used are dropped (the page shows the filter as it was understood)."""
    action = (params.get("action") or "").strip()[:32] or None
    actor = (params.get("actor") or "").strip()
    ticket = (params.get("ticket") or "").strip().upper()[:24] or None
    first, last = _day(params.get("from") or ""), _day(params.get("to") or "")
    if first and last and first > last:
        first, last = last, first
    return AuditFilter(action if action and action.replace("_", "").isalpha() else None,
                       actor if actor in ACTOR_TYPES else None, ticket, first, last)


async def scope_clauses(session: AsyncSession, actor: OfficerInfo) -> list[ColumnElement[bool]]:
    scope = audit_scope(actor)
    if scope.region_wide:
        return []
    officers = select(Officer.id).where(Officer.agency == scope.agency)
    reports = select(Report.id).where(Report.agency == scope.agency)
    return [or_(AuditEvent.report_id.in_(reports),
                and_(AuditEvent.actor_type == "officer", AuditEvent.actor_id.in_(officers)))]


def filter_clauses(region: RegionConfig, f: AuditFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.action:
        where.append(AuditEvent.action == f.action)
    if f.actor_type:
        where.append(AuditEvent.actor_type == f.actor_type)
    if f.ticket:
        where.append(AuditEvent.report_id.in_(select(Report.id).where(Report.ticket == f.ticket)))
    if f.date_from:
        where.append(AuditEvent.at >= day_start(f.date_from, region.tz))
    if f.date_to:
        where.append(AuditEvent.at < day_start(f.date_to + timedelta(days=1), region.tz))
    return where


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor_type: str
    actor_name: str | None  # an officer's name; None for the reporter and the system
    actor_agency: str | None
    action: str
    ticket: str | None
    from_state: str | None
    to_state: str | None
    note: str | None


@dataclass(frozen=True)
class AuditPage:
    lines: list[AuditLine]
    next_before: int | None
    actions: list[str]  # the actions the log holds, for the filter's choices


async def audit_page(session: AsyncSession, region: RegionConfig, *, actor: OfficerInfo, f: AuditFilter,
                     before: int | None = None, page_size: int = PAGE_SIZE) -> AuditPage:
    where = [*await scope_clauses(session, actor), *filter_clauses(region, f)]
    stmt = (select(AuditEvent, Report.ticket, Officer.name, Officer.agency)
            .outerjoin(Report, Report.id == AuditEvent.report_id)
            .outerjoin(Officer, and_(AuditEvent.actor_type == "officer", Officer.id == AuditEvent.actor_id))
            .where(*where).order_by(AuditEvent.id.desc()).limit(page_size + 1))
    if before:
        stmt = stmt.where(AuditEvent.id < before)
    rows = (await session.execute(stmt)).all()
    lines = [AuditLine(e.id, e.at, e.actor_type, name if e.actor_type == "officer" else None,
                       agency if e.actor_type == "officer" else None, e.action, ticket, e.from_state, e.to_state,
                       e.note) for e, ticket, name, agency in rows[:page_size]]
    actions = sorted(set((await session.execute(select(AuditEvent.action).distinct())).scalars()))
    return AuditPage(lines, lines[-1].id if len(rows) > page_size else None, actions)


async def audit_csv(session: AsyncSession, region: RegionConfig, *, actor: OfficerInfo, f: AuditFilter) -> str:
    """The filtered log as `lapor audit export` writes it, within the reader's scope."""
    out = io.StringIO()
    await export_csv(session, out, where=[*await scope_clauses(session, actor), *filter_clauses(region, f)])
    return out.getvalue()

