"""The audit log page (supervisors and the auditor) and its CSV download."""
from __future__ import annotations

from aiohttp import web

from core.access import View, may_view
from core.audit_log import ACTION_WORDS, ACTOR_TYPES, audit_csv, audit_page, parse_audit_filter
from core.exports import record_export
from core.web_login import WebActor
from dashboard.context import DASHBOARD
from dashboard.login import logged_in
from dashboard.render import render, translator_for


def _allowed(request: web.Request, actor: WebActor) -> web.Response | None:
    decision = may_view(actor.officer, View.AUDIT_LOG)
    if decision:
        return None
    tr = translator_for(actor, request.app[DASHBOARD].region)
    return render(request, "refused.html", actor, status=403, message=tr.plain(decision.reason or ""))


@logged_in
async def audit(request: web.Request, actor: WebActor) -> web.Response:
    refused = _allowed(request, actor)
    if refused is not None:
        return refused
    dashboard = request.app[DASHBOARD]
    f = parse_audit_filter(request.query)
    before = request.query.get("before", "")
    async with dashboard.sessionmaker() as db:
        page = await audit_page(db, dashboard.region, actor=actor.officer, f=f,
                                before=int(before) if before.isdigit() else None)
    return render(request, "audit.html", actor, page="audit", a=page, f=f, action_words=ACTION_WORDS,
                  actor_types=ACTOR_TYPES, first=not before)


@logged_in
async def audit_download(request: web.Request, actor: WebActor) -> web.StreamResponse:
    refused = _allowed(request, actor)
    if refused is not None:
        return refused
    dashboard = request.app[DASHBOARD]
    f = parse_audit_filter(request.query)
    now = dashboard.clock.now()
    async with dashboard.sessionmaker() as db:
        text = await audit_csv(db, dashboard.region, actor=actor.officer, f=f)
        record_export(db, officer_id=actor.officer.id, now=now, kind="audit.csv", query=f.query())
        await db.commit()
    stamp = now.astimezone(dashboard.region.tz).strftime("%Y%m%d-%H%M")
    return web.Response(text="\ufeff" + text, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="audit-{dashboard.region.region.code}-{stamp}.csv"'})
