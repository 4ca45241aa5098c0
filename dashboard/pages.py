"""The dashboard's pages: Today, the list of reports (and its exports), one report (its photos and
the supervisors' actions). Each parses the request, asks core, and renders; core decides."""
from __future__ import annotations

from aiohttp import web

from core import exports
from core.access import Action
from core.history import history_entries
from core.officers import officers_of
from core.queue import find_ticket, report_with_history
from core.region import RegionConfig
from core.report_access import ActionRefused
from core.report_actions import reassign, reopen
from core.report_list import SORT_LABELS, SORTS, STATE_CODES, list_reports, parse_filter, scoped_clauses
from core.report_view import build_view, photo_file_ids
from core.today import PERIOD_LABELS, PERIODS, today
from core.web_login import WebActor
from dashboard.context import DASHBOARD, PREFIX
from dashboard.login import logged_in
from dashboard.render import render, translator_for

TICKET_MAX = 24


def _refused(request: web.Request, actor: WebActor, exc: ActionRefused) -> web.Response:
    """The policy's answer, in the reader's words; an unseen report is 404 whether or not it exists."""
    dashboard = request.app[DASHBOARD]
    tr = translator_for(actor, dashboard.region)
    message = tr.plain(exc.reason).format(**exc.args_) if exc.args_ else tr.plain(exc.reason)
    return render(request, "refused.html", actor, status=404 if exc.reveals_nothing else 403, message=message)


@logged_in
async def today_page(request: web.Request, actor: WebActor) -> web.Response:
    dashboard = request.app[DASHBOARD]
    period = request.query.get("period", "today")
    async with dashboard.sessionmaker() as db:
        figures = await today(db, dashboard.region, actor=actor.officer, period=period, now=dashboard.clock.now())
    return render(request, "today.html", actor, page="today", t=figures, periods=PERIODS,
                  period_labels=PERIOD_LABELS)


def filter_choices(region: RegionConfig) -> dict:
    """What the filter form (templates/_filters.html) offers: the region's own codes."""
    return {"state_codes": STATE_CODES, "sorts": SORTS, "sort_labels": SORT_LABELS,
            "categories": region.categories, "agencies": region.agencies, "kecamatan": region.kecamatan}


@logged_in
async def reports_page(request: web.Request, actor: WebActor) -> web.Response:
    dashboard = request.app[DASHBOARD]
    f, problems = parse_filter(dashboard.region, request.query)
    async with dashboard.sessionmaker() as db:
        page = await list_reports(db, dashboard.region, actor=actor.officer, f=f, now=dashboard.clock.now(),
                                  after=request.query.get("after"))
    tr = translator_for(actor, dashboard.region)
    return render(request, "reports.html", actor, page="reports", p=page, f=f, first=not request.query.get("after"),
                  problems=[tr.plain(p.msgid, **p.args) for p in problems], **filter_choices(dashboard.region))


@logged_in
async def export(request: web.Request, actor: WebActor) -> web.StreamResponse:
    """The filtered list as the summaries' workbook or CSV, scoped as the list is."""
    dashboard = request.app[DASHBOARD]
    kind = request.match_info["kind"]
    f, _problems = parse_filter(dashboard.region, request.query)
    now = dashboard.clock.now()
    language = actor.officer.language
    async with dashboard.sessionmaker() as db:
        where = await scoped_clauses(db, dashboard.region, actor.officer, f, now)
        if kind == "xlsx":
            body = await exports.filtered_workbook(db, dashboard.region, where, now=now, language=language)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = (await exports.filtered_csv(db, dashboard.region, where, now=now, language=language)).encode()
            content_type = "text/csv; charset=utf-8"
        exports.record_export(db, officer_id=actor.officer.id, now=now, kind=kind, query=f.query())
        await db.commit()
    stamp = now.astimezone(dashboard.region.tz).strftime("%Y%m%d-%H%M")
    return web.Response(body=body, headers={
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="laporan-{dashboard.region.region.code}-{stamp}.{kind}"'})


def _ticket(request: web.Request) -> str:
    return request.match_info["ticket"].strip().upper()[:TICKET_MAX]


@logged_in
async def report_page(request: web.Request, actor: WebActor) -> web.Response:
    dashboard = request.app[DASHBOARD]
    now = dashboard.clock.now()
    region = dashboard.region
    async with dashboard.sessionmaker() as db:
        try:
            found = await find_ticket(db, actor=actor.officer, ticket=_ticket(request), now=now)
            report, events, agencies = await report_with_history(db, actor=actor.officer, report_id=found.id, now=now)
        except ActionRefused as exc:
            return _refused(request, actor, exc)
        view = await build_view(db, region, report, actor=actor.officer)
        holders = [o for o in await officers_of(db, agency=report.agency) if o.can_act] \
            if Action.REASSIGN in view.actions else []
        outcome = region.outcome_label(report.agency, report.outcome, actor.officer.language) \
            if report.outcome else None
    tr = translator_for(actor, region)
    history = history_entries(tr, region, events, agencies)
    return render(request, "report.html", actor, page="reports", r=report, v=view, history=history,
                  outcome=outcome, holders=holders, Action=Action, done=request.query.get("done"),
                  basemap=dashboard.basemap_url)


@logged_in
async def photo(request: web.Request, actor: WebActor) -> web.StreamResponse:
    """One of the report's photos, only through the policy; never cached."""
    dashboard = request.app[DASHBOARD]
    now = dashboard.clock.now()
    async with dashboard.sessionmaker() as db:
        try:
            report = await find_ticket(db, actor=actor.officer, ticket=_ticket(request), now=now)
        except ActionRefused as exc:
            return _refused(request, actor, exc)
        file_ids = await photo_file_ids(db, report.id)
    index = request.match_info["n"]
    if not index.isdigit() or not 1 <= int(index) <= len(file_ids) or dashboard.photos is None:
        raise web.HTTPNotFound(text="no such photo")
    data = await dashboard.photos(file_ids[int(index) - 1])
    if data is None:
        raise web.HTTPNotFound(text="the photo is no longer available")
    return web.Response(body=data, content_type="image/jpeg")


@logged_in
async def act(request: web.Request, actor: WebActor) -> web.StreamResponse:
    """A supervisor's reassignment or reopening, through the bot's own services."""
    dashboard = request.app[DASHBOARD]
    form = await request.post()
    action = request.match_info["action"]
    now = dashboard.clock.now()
    ticket = _ticket(request)
    async with dashboard.sessionmaker() as db:
        try:
            report = await find_ticket(db, actor=actor.officer, ticket=ticket, now=now)
            if action == "reassign":
                to = form.get("officer")
                to_id = int(to) if isinstance(to, str) and to.isdigit() else 0
                await reassign(db, clock=dashboard.clock, region=dashboard.region, officer=actor.officer,
                               report_id=report.id, to_officer_id=to_id)
            elif action == "reopen":
                note = form.get("note")
                text = note.strip()[:500] if isinstance(note, str) else ""
                await reopen(db, clock=dashboard.clock, region=dashboard.region, officer=actor.officer,
                             report_id=report.id, note=text or None)
            else:
                raise web.HTTPNotFound()
        except ActionRefused as exc:
            return _refused(request, actor, exc)
    raise web.HTTPSeeOther(f"{PREFIX}/laporan/{ticket}?done={action}")


async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"{PREFIX}/")

