"""The Charts page: three PNG charts of the reader's reports over the last weeks (core.trends)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from core.trends import CHARTS, PERIOD_LABELS, PERIODS, draw, trends
from core.web_login import WebActor
from dashboard.context import DASHBOARD
from dashboard.login import logged_in
from dashboard.render import render, translator_for


def _period(request: web.Request) -> str:
    period = request.query.get("period", "30d")
    return period if period in PERIODS else "30d"


@logged_in
async def charts_page(request: web.Request, actor: WebActor) -> web.Response:
    return render(request, "charts.html", actor, page="charts", period=_period(request), periods=PERIODS,
                  period_labels=PERIOD_LABELS, charts=CHARTS)


@logged_in
async def chart(request: web.Request, actor: WebActor) -> web.Response:
    name = request.match_info["chart"]
    if name not in CHARTS:
        raise web.HTTPNotFound(text="no such chart")
    dashboard = request.app[DASHBOARD]
    async with dashboard.sessionmaker() as db:
        t = await trends(db, dashboard.region, actor=actor.officer, period=_period(request),
                         now=dashboard.clock.now())
    # Drawing takes a tenth of a second of CPU: off the event loop, so other pages are not held up.
    png = await asyncio.to_thread(draw, dashboard.region, t, name, translator_for(actor, dashboard.region))
    return web.Response(body=png, content_type="image/png")
