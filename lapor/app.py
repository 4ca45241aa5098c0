"""Wires the parts together: database, region config, the citizen bot, its poller and outbox worker.

The same object runs production (`lapor run`), the demo and the end-to-end tests; only the
settings, the clock and the Bot API address differ.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder, StorageKey
from aiogram.types import BotCommand
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import backoffice.app as backoffice
import bot.app as citizen
from backoffice.middlewares import OfficerMiddleware
from backoffice.notices import BackofficeRenderer
from bot.middlewares import ReporterMiddleware
from bot.notices import CitizenRenderer
from core import inbox, instances
from core.area_codes import fill_area_codes
from core.blocked import mark_officer_unreachable, mark_unreachable
from core.clock import Clock, SystemClock
from core.escalation import escalate_due
from core.i18n import LANGUAGES, translator
from core.region import RegionConfig, load_region_config
from core.retention import DRAFT_RETENTION, RetentionResult, run_retention
from core.summary import Period
from core.summary_sends import catch_up, send_summaries
from dashboard.context import Dashboard
from db import migrate
from db.engine import create_engine, create_sessionmaker
from lapor.fsm_storage import SqlStorage
from lapor.inline_filters import inline_sync_filters
from lapor.middlewares import DbSessionMiddleware, StaleButtonMiddleware
from lapor.outbox_worker import OutboxWorker
from lapor.pacing import BotPacer, PacingMiddleware
from lapor.polling import InboxPoller
from lapor.redis_fsm import ReplaySafeRedisStorage
from lapor.retry import RetryMiddleware
from lapor.settings import DEFAULT_HTTP_PORT, Settings, dashboard_url
from lapor.web import build_web_app, photo_source, webhook_path

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
RETENTION_CRON = "30 2 * * *"  # daily at 02:30 in the region's timezone, when nobody reports


def make_bot(token: str, api_url: str | None, *, retry: bool, pacer: BotPacer | None = None,
             sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    if retry:
        session.middleware(RetryMiddleware(sleep=sleep))
    if pacer is not None:
        # Registered after RetryMiddleware, so it runs inside it: each retry takes a token again.
        session.middleware(PacingMiddleware(pacer))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def redis_storage(settings: Settings) -> ReplaySafeRedisStorage:
    return ReplaySafeRedisStorage(
        Redis.from_url(settings.redis_url),
        key_builder=DefaultKeyBuilder(prefix=settings.redis_prefix, with_bot_id=True),
        # Untouched drafts go after the same time as in the database (core.retention).
        state_ttl=DRAFT_RETENTION, data_ttl=DRAFT_RETENTION,
        # An update can be replayed (and its marker asked for) as long as the inbox keeps it.
        marker_ttl=inbox.REDELIVERY_WINDOW,
    )


def bot_ids(settings: Settings) -> list[int]:
    """The bots' ids, which a token starts with (aiogram keys conversations by them)."""
    tokens = [settings.citizen_bot_token, settings.backoffice_bot_token]
    return [int(t.split(":", 1)[0]) for t in tokens if t]


async def forget_conversations(storages: list[BaseStorage], bot_ids: list[int], chats: tuple[int, ...]) -> None:
    """What retention deleted from the database goes from every storage too: a SqlStorage's
    cache, or Redis (a deleted resident's draft must not come back from either)."""
    for chat_id in chats:
        for storage, bot_id in zip(storages, bot_ids, strict=True):
            key = StorageKey(bot_id=bot_id, chat_id=chat_id, user_id=chat_id)
            if isinstance(storage, SqlStorage):
                storage.forget(key)
            else:
                await storage.set_state(key, None)
                await storage.set_data(key, {})


def build_dispatcher(
    *, who: BaseMiddleware, router: Router, storage: BaseStorage,
    sessionmaker: async_sessionmaker[AsyncSession], region: RegionConfig, clock: Clock, on_update_done=None,
    events_isolation: BaseEventIsolation | None = None, **data,
) -> Dispatcher:
    """A bot's dispatcher: a session per update, then `who` (the resident, or the officer) resolved
    before any filter, then the bot's routers."""
    dp = Dispatcher(storage=storage, events_isolation=events_isolation, region=region, clock=clock, **data)
    dp.update.outer_middleware(DbSessionMiddleware(sessionmaker, after=on_update_done))
    dp.message.outer_middleware(who)
    dp.callback_query.outer_middleware(who)
    dp.callback_query.outer_middleware(StaleButtonMiddleware())
    # Every button press is answered (the spinner stops) even when a handler shows no toast.
    dp.callback_query.middleware(CallbackAnswerMiddleware())
    dp.include_router(router)
    inline_sync_filters(dp)
    return dp


def build_citizen_dispatcher(**kwargs) -> Dispatcher:
    return build_dispatcher(who=ReporterMiddleware(), router=citizen.router(), **kwargs)


def build_backoffice_dispatcher(**kwargs) -> Dispatcher:
    return build_dispatcher(who=OfficerMiddleware(), router=backoffice.router(), **kwargs)


@dataclass
class BotRuntime:
    """One bot: the bot that answers updates, the one that drains its outbox, and their loops."""

    name: str
    bot: Bot
    sender: Bot
    dispatcher: Dispatcher
    poller: InboxPoller
    worker: OutboxWorker

    async def close(self) -> None:
        # aiogram waits 0.25 s after closing each HTTP session (for TLS connections to wind down):
        # closed together, a stop waits that once instead of once per session.
        await asyncio.gather(self.bot.session.close(), self.sender.session.close())
        await self.dispatcher.storage.close()


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    region: RegionConfig | None = None
    poll_timeout: int | None = None
    # Tests drive scheduled jobs on a manual clock instead (run_escalations).
    run_scheduler: bool = True
    # Updates come by webhook (several instances may share the load) instead of long polling.
    webhook: bool = False
    # What the send budget counts in: Telegram's limits are in real seconds (tests judge them on
    # the emulator's clock, where a resident's think time passes in an instant).
    send_clock: Callable[[], float] = time.monotonic
    # ...and how a wait for Telegram's limits is spent on that clock (the tests' emulator moves its
    # own clock on instead of sleeping through a chat's second).
    send_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # bench/throughput.py swaps in a poller that keeps nothing, to price what durability costs.
    poller_class: type[InboxPoller] = InboxPoller
    scheduler: AsyncIOScheduler | None = None

    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    citizen: BotRuntime | None = None
    backoffice: BotRuntime | None = None
    web_runner: web.AppRunner | None = None
    # The supervisors' web pages, served with the HTTP side (None when nothing serves HTTP).
    dashboard: Dashboard | None = None
    # Names this process among the deployment's instances (core.instances).
    instance_id: str = field(
        default_factory=lambda: f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    # The citizen bot's parts, by the names the tests and the demo know them.
    @property
    def poller(self) -> InboxPoller:
        return self.citizen.poller

    @property
    def worker(self) -> OutboxWorker:
        return self.citizen.worker

    @property
    def runtimes(self) -> list[BotRuntime]:
        return [r for r in (self.citizen, self.backoffice) if r is not None]

    def _runtime(self, name: str, token: str, build, renderer=None, on_forbidden=None, **data) -> BotRuntime:
        s = self.settings
        # One budget per bot: the replies `bot` sends and the outbox `sender` sends count alike.
        pacer = BotPacer(rate=s.send_rate_per_second, clock=self.send_clock, sleep=self.send_sleep)
        bot = make_bot(token, s.telegram_api_url, retry=True, pacer=pacer, sleep=self.send_sleep)
        sender = make_bot(token, s.telegram_api_url, retry=False)
        worker = OutboxWorker(name=name, bot=sender, sessionmaker=self.sessionmaker, clock=self.clock, pacer=pacer,
                              renderer=renderer(bot) if renderer else None, on_forbidden=on_forbidden,
                              lease=timedelta(seconds=s.outbox_lease_seconds))
        storage, isolation = self._conversation_storage()
        dispatcher = build(storage=storage, events_isolation=isolation, sessionmaker=self.sessionmaker,
                           region=self.region, clock=self.clock, on_update_done=worker.wake, **data)
        poller = self.poller_class(
            name=name, bot=bot, dispatcher=dispatcher, sessionmaker=self.sessionmaker, clock=self.clock,
            timeout=s.polling_timeout if self.poll_timeout is None else self.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
            lease=timedelta(seconds=s.inbox_lease_seconds) if self.webhook else None,
        )
        return BotRuntime(name, bot, sender, dispatcher, poller, worker)

    def _conversation_storage(self) -> tuple[BaseStorage, BaseEventIsolation | None]:
        """Conversation state (and drafts): in the database by default; in Redis when REDIS_URL is
        set, with Redis event isolation so two instances never handle one user's updates at once."""
        if not self.settings.redis_url:
            # Several webhook instances may share the database: no cache can be trusted there.
            return SqlStorage(self.sessionmaker, self.clock, cache_size=0 if self.webhook else 5000), None
        storage = redis_storage(self.settings)
        # A lock left by an instance that died is free again after this long.
        return storage, storage.create_isolation(lock_kwargs={"timeout": self.settings.redis_lock_seconds})

    async def start(self) -> None:
        s = self.settings
        self.region = self.region or load_region_config(s.region_config)
        await migrate.upgrade(s.database_url)
        self.engine = create_engine(s.database_url)
        self.sessionmaker = create_sessionmaker(self.engine)
        async with self.sessionmaker() as session:
            filled = await fill_area_codes(session, self.region)
        if filled:
            log.info("placed %d earlier reports in their kecamatan and desa (Kemendagri codes)", filled)
        self.citizen = self._runtime(
            "citizen", s.citizen_bot_token, build_citizen_dispatcher,
            renderer=lambda _bot: CitizenRenderer(self.region),
            on_forbidden=lambda session, chat_id, _now: mark_unreachable(session, chat_id=chat_id))
        if s.backoffice_bot_token:
            citizen_bot = self.citizen.bot
            self.backoffice = self._runtime(
                "backoffice", s.backoffice_bot_token, build_backoffice_dispatcher,
                # Alerts carry the residents' photos, which only the citizen bot can fetch.
                renderer=lambda _bot: BackofficeRenderer(self.region, citizen_bot),
                on_forbidden=lambda session, chat_id, now: mark_officer_unreachable(session, chat_id=chat_id, now=now),
                # Where /dasbor's login links point (None: no dashboard is served).
                dashboard_url=dashboard_url(s, serving=bool(self.webhook or s.http_port)),
            )
        serving = bool(self.webhook or s.http_port)
        if serving:
            self.dashboard = Dashboard(self.sessionmaker, self.region, self.clock,
                                       secure_cookies=(dashboard_url(s, serving=True) or "").startswith("https://"),
                                       basemap_url=s.basemap_url, photos=photo_source(self.citizen.bot))
        await self._set_commands()
        self._stop.clear()
        self._tasks = []
        if self.webhook or s.http_port:
            await self._start_http()
        for runtime in self.runtimes:
            if self.webhook:
                await self._set_webhook(runtime)
                every = s.inbox_lease_seconds / 3
                receive = runtime.poller.run_recovery(self._stop, every)
            else:
                await self._leave_webhook(runtime)
                receive = runtime.poller.run(self._stop)
            self._tasks.append(asyncio.create_task(receive, name=f"{runtime.name}-receiver"))
            self._tasks.append(asyncio.create_task(runtime.worker.run(self._stop), name=f"{runtime.name}-outbox"))
        if self.webhook:
            # Webhook instances may be several: they divide each bot's send budget among them.
            await self.share_send_budget()
            self._tasks.append(asyncio.create_task(self._share_send_budget_loop(), name="send-budget"))
        if self.backoffice is not None and self.run_scheduler:
            self._start_scheduler()

    async def _start_http(self) -> None:
        s = self.settings
        self.web_runner = web.AppRunner(build_web_app(self, webhooks=self.webhook), access_log=None)
        await self.web_runner.setup()
        await web.TCPSite(self.web_runner, s.http_host, s.http_port or DEFAULT_HTTP_PORT).start()
        log.info("HTTP on %s:%s (%s/healthz, /metrics)", s.http_host, s.http_port or DEFAULT_HTTP_PORT,
                 "webhooks, " if self.webhook else "")

    async def _set_webhook(self, runtime: BotRuntime) -> None:
        """Every instance sets the same webhook (idempotent): the load balancer in front spreads it."""
        s = self.settings
        await runtime.bot.set_webhook(
            url=s.webhook_url.rstrip("/") + webhook_path(runtime.name), secret_token=s.webhook_secret,
            allowed_updates=ALLOWED_UPDATES, max_connections=s.webhook_max_connections,
            drop_pending_updates=False,
        )

    async def _leave_webhook(self, runtime: BotRuntime) -> None:
        """Telegram refuses getUpdates while a webhook is set: switching a deployment back to
        polling removes it (pending updates stay with Telegram and come by polling)."""
        try:
            info = await runtime.bot.get_webhook_info()
            if info.url:
                log.warning("%s: removing the webhook %s to poll instead", runtime.name, info.url)
                await runtime.bot.delete_webhook(drop_pending_updates=False)
        except Exception as exc:  # polling reports its own errors and retries
            log.warning("%s: could not check the webhook: %s", runtime.name, exc)

    async def _set_commands(self) -> None:
        menus = [(self.citizen, citizen.BOT_COMMANDS)]
        if self.backoffice is not None:
            menus.append((self.backoffice, backoffice.BOT_COMMANDS))
        default = self.region.region.default_language
        for runtime, commands in menus:
            try:
                for lang in (*LANGUAGES, None):  # None: users whose language has no menu of its own
                    tr = translator(lang or default)
                    await runtime.bot.set_my_commands(
                        [BotCommand(command=c, description=tr.plain(d)) for c, d in commands], language_code=lang)
            except Exception as exc:  # the menu is a nicety; the bots work without it
                log.warning("could not set the %s command menu: %s", runtime.name, exc)

    async def share_send_budget(self) -> int:
        """Says this instance is alive and gives each bot's pacer its share of the send budget:
        the rate over the instances alive. Returns how many there are."""
        try:
            async with self.sessionmaker() as session:
                alive = await instances.heartbeat(session, instance=self.instance_id, now=self.clock.now(),
                                                  ttl=instances.TTL)
        except Exception as exc:  # the last known share stands until the database answers again
            log.warning("could not renew this instance's share of the send budget: %s", exc)
            return next((r.worker.pacer.sharers for r in self.runtimes), 1)
        for runtime in self.runtimes:
            if runtime.worker.pacer.sharers != alive:
                log.info("%s: %d instance(s) alive, sending at %.1f messages/s", runtime.name, alive,
                         self.settings.send_rate_per_second / alive)
            runtime.worker.pacer.share(alive)
        return alive

    async def _share_send_budget_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), instances.HEARTBEAT.total_seconds())
                break
            except TimeoutError:
                await self.share_send_budget()
        try:  # a clean stop hands this instance's share back at once; a crash, after instances.TTL
            async with self.sessionmaker() as session:
                await instances.leave(session, instance=self.instance_id)
        except Exception as exc:
            log.warning("could not leave the send budget: %s", exc)

    async def run_escalations(self) -> int:
        async with self.sessionmaker() as session:
            return await escalate_due(session, region=self.region, now=self.clock.now())

    async def run_summaries(self, period: Period, *, late: bool = False) -> int:
        async with self.sessionmaker() as session:
            return await send_summaries(session, region=self.region, period=period, now=self.clock.now(), late=late)

    async def run_retention(self) -> RetentionResult:
        async with self.sessionmaker() as session:
            result = await run_retention(session, region=self.region, now=self.clock.now())
        await forget_conversations([r.dispatcher.storage for r in self.runtimes], [r.bot.id for r in self.runtimes],
                                   result.forgotten_chats)
        return result

    async def catch_up_summaries(self) -> int:
        async with self.sessionmaker() as session:
            return await catch_up(session, region=self.region, now=self.clock.now())

    def _start_scheduler(self) -> None:
        # Schedules live in memory per instance (APScheduler's FAQ: a job store is not shared);
        # each job is idempotent in the database, so two instances never double a message.
        self.scheduler = AsyncIOScheduler(timezone=self.region.region.timezone)
        self.scheduler.add_job(self._escalation_tick, "interval", minutes=1, id="escalations",
                               max_instances=1, coalesce=True, misfire_grace_time=60)
        for period in Period:
            cron = getattr(self.region.summaries, period.value)
            self.scheduler.add_job(self._summary_tick, CronTrigger.from_crontab(cron, timezone=self.region.tz),
                                   args=[period], id=f"summary-{period.value}", max_instances=1, coalesce=True,
                                   misfire_grace_time=300)
        self.scheduler.add_job(self._retention_tick, CronTrigger.from_crontab(RETENTION_CRON, timezone=self.region.tz),
                               id="retention", max_instances=1, coalesce=True, misfire_grace_time=3600)
        # Summaries owed while the app was down go out now, marked late.
        self.scheduler.add_job(self._summary_tick, args=[None], id="summary-catch-up")
        self.scheduler.start()

    async def _summary_tick(self, period: Period | None) -> None:
        try:
            queued = await (self.catch_up_summaries() if period is None else self.run_summaries(period))
            if queued and self.backoffice is not None:
                self.backoffice.worker.wake()
        except Exception:  # logged; a missed run is caught up at the next start
            log.exception("summary run failed")

    async def _retention_tick(self) -> None:
        try:
            result = await self.run_retention()
            log.info("retention: %s", result)
            if result.reporters_deleted:
                self.citizen.worker.wake()
        except Exception:  # logged; tomorrow's run does the same work
            log.exception("retention run failed")

    async def _escalation_tick(self) -> None:
        try:
            escalated = await self.run_escalations()
            if escalated and self.backoffice is not None:
                self.backoffice.worker.wake()
        except Exception:  # logged; the next tick tries again
            log.exception("escalation run failed")

    async def wait(self) -> None:
        await asyncio.gather(*self._tasks)

    async def stop(self, drain: bool = True) -> None:
        """Graceful: stops taking updates, lets handlers under way finish, then closes everything."""
        await self._stop_http()
        self._stop.set()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if drain:
            for runtime in self.runtimes:
                await runtime.poller.drain()
        await self._close()

    async def kill(self) -> None:
        """Like a crash: tasks are cancelled wherever they are (tests of durability use it)."""
        await self._stop_http()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        handlers = [t for r in self.runtimes for t in r.poller._tasks]
        for task in [*self._tasks, *handlers]:
            task.cancel()
        await asyncio.gather(*self._tasks, *handlers, return_exceptions=True)
        await self._close()

    async def _stop_http(self) -> None:
        if self.web_runner is not None:
            await self.web_runner.cleanup()
            self.web_runner = None

    async def _close(self) -> None:
        await asyncio.gather(*(runtime.close() for runtime in self.runtimes))
        if self.engine is not None:
            await self.engine.dispose()
