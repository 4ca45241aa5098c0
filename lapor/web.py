"""The HTTP side: Telegram's webhooks for both bots, /healthz and /metrics, and the supervisors'
dashboard (/dasbor) and the Open311 API (/open311/v2), in one aiohttp app.

aiogram's SimpleRequestHandler feeds the dispatcher straight from the request; here an update is
first written to the inbox (the same one polling uses) and only then answered 200, so an update
Telegram considers delivered is never lost, and a redelivered one is recognised and dropped. The
handling itself runs after the answer, in the poller's per-chat order.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import text

from dashboard.app import build_dashboard
from dashboard.context import PREFIX, Dashboard, PhotoSource
from lapor.metrics import CONTENT_TYPE, Metrics, health
from open311.app import Open311, mount_open311

if TYPE_CHECKING:
    from lapor.app import App

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhook/{bot}"


def webhook_path(bot: str) -> str:
    return WEBHOOK_PATH.format(bot=bot)


def build_web_app(app: App, *, webhooks: bool) -> web.Application:
    metrics = Metrics(app)
    secret = app.settings.webhook_secret or ""

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        # Checked before anything else is read; compare_digest so the secret leaks no timing.
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            metrics.collector.refused_webhooks += 1
            log.warning("webhook request without the right secret from %s refused", request.remote)
            return web.Response(status=401, text="unauthorized")
        runtime = next((r for r in app.runtimes if r.name == request.match_info["bot"]), None)
        if runtime is None:
            return web.Response(status=404, text="no such bot")
        try:
            update = Update.model_validate(await request.json(), context={"bot": runtime.bot})
        except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
            return web.Response(status=400, text="not an update")
        # If the database is away this raises and Telegram gets a 500: it sends the update again.
        await runtime.poller.accept([update])
        return web.Response(status=200)

    async def healthz(request: web.Request) -> web.Response:
        checks = await health(app)
        ok = all(v == "ok" for v in checks.values())
        return web.json_response({"status": "ok" if ok else "fail", **checks}, status=200 if ok else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        return web.Response(body=await metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    if webhooks:
        web_app.router.add_post(WEBHOOK_PATH, webhook)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_page)
    if app.dashboard is not None:
        mount_dashboard(web_app, app.dashboard)
        mount_open311(web_app, open311_of(app.dashboard))
    return web_app


def mount_dashboard(web_app: web.Application, dashboard: Dashboard) -> None:
    async def to_dashboard(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{PREFIX}/")

    web_app.add_subapp(PREFIX, build_dashboard(dashboard))
    web_app.router.add_get("/", to_dashboard)
    web_app.router.add_get(PREFIX, to_dashboard)


def open311_of(dashboard: Dashboard) -> Open311:
    """The Open311 API (/open311/v2) reads the database, region and clock the dashboard does."""
    return Open311(dashboard.sessionmaker, dashboard.region, dashboard.clock)


def photo_source(bot: Bot) -> PhotoSource:
    """A report's photo fetched from Telegram by the citizen bot (whose file ids they are), on each
    view: nothing is kept here that retention would have to find."""

    async def fetch(file_id: str) -> bytes | None:
        try:
            file = await bot.get_file(file_id)
            if not file.file_path:
                return None
            data = await bot.download_file(file.file_path)
        except (TelegramAPIError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("photo %s not fetched: %s", file_id[:12], exc)
            return None
        return data.read() if data is not None else None

    return fetch


def build_dashboard_only(dashboard: Dashboard) -> web.Application:
    """`lapor web`: the dashboard alone, for a process of its own (no bots, no webhooks)."""

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with dashboard.sessionmaker() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # any failure of the database is "not healthy"
            return web.json_response({"status": "fail", "database": str(exc)[:200]}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    web_app = web.Application()
    web_app.router.add_get("/healthz", healthz)
    mount_dashboard(web_app, dashboard)
    mount_open311(web_app, open311_of(dashboard))
    return web_app
