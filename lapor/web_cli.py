"""`lapor web`: serve the supervisors' dashboard on its own, or print a login link for an officer."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from lapor.cli_error import CliError
from lapor.settings import DEFAULT_HTTP_PORT, Settings, dashboard_url

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction, telegram_id, settings_of, database_errors) -> None:
    web = sub.add_parser(
        "web", help="the supervisors' web dashboard: serve it alone, or print a login link",
        description="Without a subcommand, serve the dashboard alone on HTTP_HOST:HTTP_PORT (default "
                    f"{DEFAULT_HTTP_PORT}), beside `lapor run` in another process. `lapor run` serves it "
                    "too when HTTP_PORT is set.")
    wsub = web.add_subparsers(dest="web_command", required=False)
    link = wsub.add_parser("login-link", help="a one-time login link for a registered officer (10 minutes)")
    link.add_argument("--telegram-id", type=telegram_id, required=True, metavar="ID",
                      help="the officer's Telegram user id (`lapor officer list` shows it)")

    def run(args: argparse.Namespace) -> int:
        settings = settings_of()
        with database_errors(settings):
            if args.web_command == "login-link":
                return asyncio.run(_login_link(settings, args.telegram_id))
            asyncio.run(_serve(settings))
        return 0

    web.set_defaults(func=run)


async def _login_link(settings: Settings, telegram_id: int) -> int:
    from core.clock import SystemClock
    from core.officers import find_officer
    from core.web_login import LoginRefused, issue_login_link
    from db import migrate
    from db.engine import create_engine, create_sessionmaker

    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            officer = await find_officer(session, telegram_id)
            if officer is None:
                raise CliError(f"no active officer with Telegram id {telegram_id} (`lapor officer list` shows them)")
            try:
                link = await issue_login_link(session, officer_id=officer.id, now=SystemClock().now(), by="cli")
            except LoginRefused as exc:
                raise CliError(exc.reason) from None
    finally:
        await engine.dispose()
    base = dashboard_url(settings, serving=True)
    print(f"{base}/dasbor/masuk/{link.token}")
    print(f"for {officer.name}; one use, valid 10 minutes", file=sys.stderr)
    return 0


async def _serve(settings: Settings) -> None:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiohttp import web

    from core.clock import SystemClock
    from core.region import load_region_config
    from dashboard.context import Dashboard
    from db import migrate
    from db.engine import create_engine, create_sessionmaker
    from lapor.web import build_dashboard_only, photo_source

    region = load_region_config(settings.region_config)
    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    bot = None
    if settings.citizen_bot_token:
        # The residents' photos are the citizen bot's files: only its token fetches them.
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)) \
            if settings.telegram_api_url else AiohttpSession()
        bot = Bot(settings.citizen_bot_token, session=session)
    base = dashboard_url(settings, serving=True) or ""
    dashboard = Dashboard(create_sessionmaker(engine), region, SystemClock(), secure_cookies=base.startswith("https://"),
                          basemap_url=settings.basemap_url, photos=photo_source(bot) if bot else None)
    runner = web.AppRunner(build_dashboard_only(dashboard), access_log=None)
    await runner.setup()
    port = settings.http_port or DEFAULT_HTTP_PORT
    await web.TCPSite(runner, settings.http_host, port).start()
    log.info("dashboard on %s/dasbor/ (send /dasbor to the officers' bot, or `lapor web login-link`)", base)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await stopping.wait()
    finally:
        await runner.cleanup()
        if bot is not None:
            await bot.session.close()
        await engine.dispose()
