"""Wires the parts together: database, region config, the citizen bot, its poller and outbox worker.

The same object runs production (`lapor run`), the demo and the end-to-end tests; only the
settings, the clock and the Bot API address differ.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BotCommand
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import bot.app as citizen
from bot.middlewares import ReporterMiddleware
from core.clock import Clock, SystemClock
from core.i18n import LANGUAGES, translator
from core.region import RegionConfig, load_region_config
from db import migrate
from db.engine import create_engine, create_sessionmaker
from lapor.fsm_storage import SqlStorage
from lapor.middlewares import DbSessionMiddleware
from lapor.outbox_worker import OutboxWorker
from lapor.polling import InboxPoller
from lapor.retry import RetryMiddleware
from lapor.settings import Settings

log = logging.getLogger(__name__)


def make_bot(token: str, api_url: str | None, *, retry: bool) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    if retry:
        session.middleware(RetryMiddleware())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_citizen_dispatcher(
    *, storage: BaseStorage, sessionmaker: async_sessionmaker[AsyncSession], region: RegionConfig,
    clock: Clock, on_update_done=None,
) -> Dispatcher:
    dp = Dispatcher(storage=storage, region=region, clock=clock)
    dp.update.outer_middleware(DbSessionMiddleware(sessionmaker, after=on_update_done))
    dp.message.outer_middleware(ReporterMiddleware())
    dp.callback_query.outer_middleware(ReporterMiddleware())
    # Every button press is answered (the spinner stops) even when a handler shows no toast.
    dp.callback_query.middleware(CallbackAnswerMiddleware())
    dp.include_router(citizen.router())
    return dp


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    region: RegionConfig | None = None
    poll_timeout: int | None = None

    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    citizen_bot: Bot | None = None
    sender_bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    poller: InboxPoller | None = None
    worker: OutboxWorker | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    async def start(self) -> None:
        s = self.settings
        self.region = self.region or load_region_config(s.region_config)
        await migrate.upgrade(s.database_url)
        self.engine = create_engine(s.database_url)
        self.sessionmaker = create_sessionmaker(self.engine)
        storage = SqlStorage(self.sessionmaker, self.clock)
        self.citizen_bot = make_bot(s.citizen_bot_token, s.telegram_api_url, retry=True)
        self.sender_bot = make_bot(s.citizen_bot_token, s.telegram_api_url, retry=False)
        self.worker = OutboxWorker(name="citizen", bot=self.sender_bot, sessionmaker=self.sessionmaker,
                                   clock=self.clock, rate_per_second=s.outbox_rate_per_second)
        self.dispatcher = build_citizen_dispatcher(
            storage=storage, sessionmaker=self.sessionmaker, region=self.region, clock=self.clock,
            on_update_done=self.worker.wake,
        )
        self.poller = InboxPoller(
            name="citizen", bot=self.citizen_bot, dispatcher=self.dispatcher, sessionmaker=self.sessionmaker,
            clock=self.clock, timeout=s.polling_timeout if self.poll_timeout is None else self.poll_timeout,
            allowed_updates=["message", "callback_query"],
        )
        await self._set_commands()
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self.poller.run(self._stop), name="citizen-poller"),
            asyncio.create_task(self.worker.run(self._stop), name="citizen-outbox"),
        ]

    async def _set_commands(self) -> None:
        try:
            for lang in LANGUAGES:
                tr = translator(lang)
                commands = [BotCommand(command=c, description=tr.plain(d)) for c, d in citizen.BOT_COMMANDS]
                await self.citizen_bot.set_my_commands(commands, language_code=lang)
            tr = translator(self.region.region.default_language)
            await self.citizen_bot.set_my_commands(
                [BotCommand(command=c, description=tr.plain(d)) for c, d in citizen.BOT_COMMANDS])
        except Exception as exc:  # the menu is a nicety; the bot works without it
            log.warning("could not set the command menu: %s", exc)

    async def wait(self) -> None:
        await asyncio.gather(*self._tasks)

    async def stop(self, drain: bool = True) -> None:
        """Graceful: stops polling, lets handlers under way finish, then closes everything."""
        self._stop.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if drain and self.poller is not None:
            await self.poller.drain()
        await self._close()

    async def kill(self) -> None:
        """Like a crash: tasks are cancelled wherever they are (tests of durability use it)."""
        for task in self._tasks:
            task.cancel()
        if self.poller is not None:
            for task in list(self.poller._tasks):
                task.cancel()
        await asyncio.gather(*self._tasks, *(self.poller._tasks if self.poller else ()), return_exceptions=True)
        await self._close()

    async def _close(self) -> None:
        for b in (self.citizen_bot, self.sender_bot):
            if b is not None:
                await b.session.close()
        if self.dispatcher is not None:
            await self.dispatcher.storage.close()
        if self.engine is not None:
            await self.engine.dispose()
