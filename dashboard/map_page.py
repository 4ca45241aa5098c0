"""The Map page: the region's kecamatan (and desa, zoomed in) coloured by the number of reports under
the Reports list's filters, pins of single reports, and the same counts as a table.

Three answers: the page (filters, legend, map, table), the boundaries (the same for everyone, kept
by the browser for an hour) and the data (counts and pins of the reader's scope, never kept). The
map is drawn by static/map.js with the vendored Leaflet (static/vendor/leaflet): nothing is fetched
from another site unless BASEMAP_URL names a tile server."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

from aiohttp import web

from core.i18n import N_
from core.map_data import MAX_PINS, area_counts, region_boundaries, report_pins
from core.report_list import ReportFilter, parse_filter
from core.web_login import WebActor
from dashboard.context import DASHBOARD, PREFIX
from dashboard.login import logged_in
from dashboard.pages import filter_choices
from dashboard.render import Words, render, translator_for

DEFAULT_DAYS = 30

# What map.js says, in the reader's language (given to it in the page, as data).
SCRIPT_WORDS = {
    "kecamatan": N_("Reports per kecamatan"),
    "desa": N_("Reports per desa"),
    "count": N_("Reports: {n}"),
    "in_kecamatan": N_("Kecamatan {name}"),
    "show": N_("Show these reports"),
    "open": N_("Open the report"),
    "overdue": N_("overdue"),
    "pin": N_("a report"),
    "pins": N_("Single reports"),
    "capped": N_("Only the newest {n} reports are shown as pins."),
    "failed": N_("The map's data could not be loaded. Reload the page to try again."),
    "zoom": N_("Zoom in to see the desa."),
}


def _map_filter(request: web.Request) -> tuple[ReportFilter, list]:
    """The Reports list's filter; a first visit (no query at all) shows the last 30 days, the
    period a supervisor looks at; the form's empty dates then show the whole history."""
    region = request.app[DASHBOARD].region
    f, problems = parse_filter(region, request.query)
    if not request.query:
        today = request.app[DASHBOARD].clock.now().astimezone(region.tz).date()
        f = replace(f, date_from=today - timedelta(days=DEFAULT_DAYS - 1))
    return f, problems


def _json(data: object, *, cache: str) -> web.Response:
    response = web.Response(body=json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
                            content_type="application/json", charset="utf-8",
                            headers={"Cache-Control": cache})
    response.enable_compression()
    return response


@logged_in
async def map_page(request: web.Request, actor: WebActor) -> web.Response:
    dashboard = request.app[DASHBOARD]
    region = dashboard.region
    f, problems = _map_filter(request)
    async with dashboard.sessionmaker() as db:
        counts = await area_counts(db, region, actor=actor.officer, f=f, now=dashboard.clock.now())
    boundaries = await asyncio.to_thread(region_boundaries, region)  # built once, off the event loop
    rows = sorted(((k.name, k.code or k.name, counts.kecamatan.get(k.code or k.name, 0)) for k in region.kecamatan),
                  key=lambda row: (-row[2], row[0]))
    tr = translator_for(actor, region)
    return render(request, "map.html", actor, page="map", f=f, counts=counts, rows=rows,
                  has_boundaries=boundaries is not None, basemap=dashboard.basemap_url or "",
                  script_words={key: tr.plain(msgid) for key, msgid in SCRIPT_WORDS.items()},
                  max_pins=MAX_PINS, problems=[tr.plain(p.msgid, **p.args) for p in problems],
                  filter_action=f"{PREFIX}/peta", filter_sort=False, **filter_choices(region))


@logged_in
async def boundaries(request: web.Request, actor: WebActor) -> web.Response:
    """The region's kecamatan and desa as GeoJSON: no report in it, the same for every reader."""
    found = await asyncio.to_thread(region_boundaries, request.app[DASHBOARD].region)
    data = found.geojson() if found is not None else {"kecamatan": None, "desa": None, "bounds": None}
    return _json(data, cache="private, max-age=3600")


@logged_in
async def data(request: web.Request, actor: WebActor) -> web.Response:
    """The counts per area and the pins, of the reader's scope under the page's filters."""
    dashboard = request.app[DASHBOARD]
    region = dashboard.region
    f, _problems = _map_filter(request)
    now = dashboard.clock.now()
    async with dashboard.sessionmaker() as db:
        counts = await area_counts(db, region, actor=actor.officer, f=f, now=now)
        pins = await report_pins(db, region, actor=actor.officer, f=f, now=now)
    words = Words(region, actor.officer.language, now)
    return _json({
        "total": counts.total,
        "elsewhere": counts.elsewhere,
        "kecamatan": counts.kecamatan,
        "desa": counts.desa,
        "pins": [{"ticket": p.ticket, "lat": round(p.lat, 5), "lon": round(p.lon, 5),
                  "category": words.category(p.category), "state": words.state(p.state), "overdue": p.overdue,
                  "url": f"{PREFIX}/laporan/{p.ticket}"} for p in pins.pins],
        "pins_capped": pins.capped,
        "max_pins": MAX_PINS,
    }, cache="no-store")
