"""The dashboard as an aiohttp sub-application, mounted at /dasbor by lapor (`lapor run` with
HTTP_PORT, or `lapor web` on its own)."""
from __future__ import annotations

from pathlib import Path

import aiohttp_session
from aiohttp import web

from dashboard import audit_page, charts_page, login, map_page, pages, render
from dashboard.context import DASHBOARD, Dashboard
from dashboard.security import DatabaseStorage, content_security_policy, security_headers

STATIC = Path(__file__).with_name("static")


def build_dashboard(dashboard: Dashboard) -> web.Application:
    app = web.Application(middlewares=[
        security_headers(content_security_policy(dashboard.basemap_url)),
        aiohttp_session.session_middleware(DatabaseStorage(secure=dashboard.secure_cookies)),
    ])
    app[DASHBOARD] = dashboard
    render.setup(app)
    app.router.add_get("/", pages.today_page)
    app.router.add_get("/masuk/{token}", login.login_page)
    app.router.add_post("/masuk", login.login)
    app.router.add_post("/keluar", login.logout)
    app.router.add_get("/laporan", pages.reports_page)
    app.router.add_get("/laporan.{kind:csv|xlsx}", pages.export)
    app.router.add_get("/laporan/{ticket}", pages.report_page)
    app.router.add_get("/laporan/{ticket}/foto/{n}", pages.photo)
    app.router.add_post("/laporan/{ticket}/{action:reassign|reopen}", pages.act)
    app.router.add_get("/peta", map_page.map_page)
    app.router.add_get("/peta/wilayah.geojson", map_page.boundaries)
    app.router.add_get("/peta/data.json", map_page.data)
    app.router.add_get("/grafik", charts_page.charts_page)
    app.router.add_get("/grafik/{chart}.png", charts_page.chart)
    app.router.add_get("/audit", audit_page.audit)
    app.router.add_get("/audit.csv", audit_page.audit_download)
    app.router.add_static("/static", STATIC, append_version=False)
    return app
