"""End-to-end harness: the project's Bot API emulator, the real app (aiogram polling over HTTP),
a SQLite file per test and a manual clock. Tests act as residents and read what the bot sent."""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from botapi_emulator import BotAPIEmulator, EmulatedUser, VirtualClock
from botapi_emulator import Message as EmulatorMessage
from core.clock import ManualClock
from core.region import RegionConfig, load_region_config
from lapor.app import App
from lapor.demo import settle
from lapor.settings import Settings

CITIZEN_TOKEN = "111111:CITIZEN-TEST-TOKEN"
BACKOFFICE_TOKEN = "222222:BACKOFFICE-TEST-TOKEN"
TEST_REGION = Path(__file__).parent / "data" / "testregion.toml"

# Inside the test region's kecamatan (see tests/data/testregion.geojson).
PIN_ALPHA = (-7.05, 112.05)
PIN_BETA = (-7.05, 112.15)
PIN_OUTSIDE = (-8.5, 114.0)


WEBHOOK_SECRET = "test-webhook-secret-0123456789"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for(tmp_path: Path, *, migrated: bool = True) -> str:
    """A fresh database per test: a SQLite file, or with TEST_DATABASE_URL (PostgreSQL) a new
    database on that server, named after the test's temp folder. `migrated`: a copy of a database
    migrated once per test session (a file copy; CREATE DATABASE ... TEMPLATE on PostgreSQL)
    instead of one built from the migrations every time; tests/test_migrations.py runs the chain."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        path = tmp_path / "lapor.sqlite3"
        if migrated:
            template = _in_thread(_sqlite_template())
            for suffix in ("", "-wal"):
                if Path(str(template) + suffix).exists():
                    shutil.copyfile(str(template) + suffix, str(path) + suffix)
        return f"sqlite+aiosqlite:///{path}"
    from sqlalchemy.engine import make_url

    from db.pg_admin import recreate_database

    url = make_url(base)
    # Two modules may hold a test of the same name, run at once by two workers (pytest-xdist).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"lapor_t{worker}_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name.lower())[-40:]
    template = _in_thread(_pg_template(base)) if migrated else None
    _in_thread(recreate_database(url, name, template=template))
    return url.set(database=name).render_as_string(hide_password=False)


_templates: dict[str, object] = {}


async def _sqlite_template() -> Path:
    if "sqlite" not in _templates:
        from db import migrate

        path = Path(tempfile.mkdtemp(prefix="lapor-template-")) / "template.sqlite3"
        await migrate.upgrade(f"sqlite+aiosqlite:///{path}")
        _templates["sqlite"] = path
    return _templates["sqlite"]  # type: ignore[return-value]


async def _pg_template(base: str) -> str:
    """A migrated database to copy, once per test process (its name has the pid: two runs at once
    on one server do not share it)."""
    if "postgresql" not in _templates:
        from sqlalchemy.engine import make_url

        from db import migrate
        from db.pg_admin import recreate_database

        name = f"lapor_template_{os.getpid()}"
        await migrate.upgrade(await recreate_database(make_url(base), name))
        _templates["postgresql"] = name
    return _templates["postgresql"]  # type: ignore[return-value]


def drop_templates() -> None:
    """At the end of the session: the template database (or file) goes."""
    if "postgresql" in _templates:
        from db.pg_admin import drop_database

        _in_thread(drop_database(os.environ["TEST_DATABASE_URL"], str(_templates.pop("postgresql"))))
    if "sqlite" in _templates:
        shutil.rmtree(Path(str(_templates.pop("sqlite"))).parent, ignore_errors=True)


def _in_thread(coro):
    # Called from sync and async fixtures alike: run on a private loop in a thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class Harness:
    emu: BotAPIEmulator
    database_url: str
    region: RegionConfig
    clock: ManualClock = field(default_factory=ManualClock)
    app: App | None = None
    with_backoffice: bool = True
    # TEST_REDIS_URL: every test keeps conversations in Redis (CI's PostgreSQL run does).
    redis_url: str | None = field(default_factory=lambda: os.environ.get("TEST_REDIS_URL"))
    redis_prefix: str = field(default_factory=lambda: f"lapor-test-{uuid.uuid4().hex[:10]}")
    # Webhook mode: the emulator posts updates to the app's own HTTP server on this port.
    webhook: bool = False
    http_port: int | None = None
    # Serve HTTP (the dashboard, /healthz) while polling, as HTTP_PORT does.
    serve_http: bool = False

    @property
    def settings(self) -> Settings:
        web: dict = {}
        if self.webhook or self.serve_http:
            self.http_port = self.http_port or free_port()
            web["http_port"] = self.http_port
        if self.webhook:
            web |= {"webhook_url": f"http://127.0.0.1:{self.http_port}", "webhook_secret": WEBHOOK_SECRET}
        return Settings(citizen_bot_token=CITIZEN_TOKEN, database_url=self.database_url,
                        backoffice_bot_token=BACKOFFICE_TOKEN if self.with_backoffice else None,
                        redis_url=self.redis_url, redis_prefix=self.redis_prefix,
                        telegram_api_url=self.emu.base_url, _env_file=None, **web)

    async def start(self) -> App:
        self.app = App(self.settings, clock=self.clock, region=self.region, poll_timeout=1, run_scheduler=False,
                       webhook=self.webhook, send_clock=self.emu.clock.monotonic, send_sleep=self.virtual_sleep)
        await self.app.start()
        return self.app

    async def restart(self, *, crash: bool = False) -> App:
        """A new process on the same database: a new App, dispatcher, storage and engine."""
        if crash:
            await self.app.kill()
        else:
            await self.app.stop()
        return await self.start()

    async def officer(self, user_id: int, name: str, agency: str = "satpolpp", role: str = "officer",
                      areas: list[str] | None = None, language: str = "en") -> Resident:
        """Registers an officer (as `lapor officer add` does) and returns them on the backoffice bot."""
        from core.officers import add_officer

        async with self.app.sessionmaker() as session:
            await add_officer(session, region=self.region, now=self.clock.now(), telegram_id=user_id, name=name,
                              agency=agency, role=role, areas=areas or [], language=language)
        user = self.emu.add_user(user_id, first_name=name, language_code="id")
        officer = Resident(self, user.with_bot(BACKOFFICE_TOKEN))
        await officer.say("/start")  # opens the private chat, as an officer does once
        return officer

    def resident(self, user_id: int = 5001, name: str = "Siti", language_code: str = "id") -> Resident:
        return Resident(self, self.emu.add_user(user_id, first_name=name, language_code=language_code))

    async def scalar(self, stmt):
        async with self.app.sessionmaker() as session:
            return (await session.execute(stmt)).scalar()

    async def rows(self, stmt):
        async with self.app.sessionmaker() as session:
            return list((await session.execute(stmt)).scalars())

    async def count(self, model, *where) -> int:
        return await self.scalar(select(func.count()).select_from(model).where(*where))

    async def conversation(self, r: Resident) -> tuple[str | None, dict]:
        """A resident's conversation state and data (the draft), from whichever storage the app
        uses: the database, or Redis."""
        from aiogram.fsm.storage.base import StorageKey

        runtime = self.app.citizen
        key = StorageKey(bot_id=runtime.bot.id, chat_id=r.user.id, user_id=r.user.id)
        storage = runtime.dispatcher.storage
        return await storage.get_state(key), await storage.get_data(key)

    async def virtual_sleep(self, seconds: float) -> None:
        """A wait for Telegram's limits (a chat's second, a 429's retry_after) passes on the
        emulator's clock, which judges those limits, instead of in real time: the tests stay
        exact and quick (an emulator on the wall clock, as the pacing tests use, really waits)."""
        await self.emu.clock.sleep(seconds)

    async def settle(self, timeout: float = 30.0) -> None:
        """Until the bot has taken and handled every update and the outbox has nothing due."""
        await settle(self.app, self.emu, timeout)


async def make_harness(tmp_path: Path, region_path: Path | None = TEST_REGION) -> Harness:
    # Residents pause 1.5 s between taps (virtual), and the bots' own real-time pacing counts too.
    emu = BotAPIEmulator(clock=VirtualClock(follow_real_time=True), think_time=1.5)
    await emu.start()
    emu.add_bot(CITIZEN_TOKEN, "lapor_uji_bot", "Lapor PMKS Uji")
    emu.add_bot(BACKOFFICE_TOKEN, "lapor_uji_petugas_bot", "Petugas Lapor PMKS Uji")
    region = load_region_config(region_path) if region_path else load_region_config()
    return Harness(emu=emu, database_url=database_url_for(tmp_path), region=region)


class Resident:
    """A resident as a test sees them: act, then read the bot's latest message once all is handled."""

    def __init__(self, h: Harness, user: EmulatedUser) -> None:
        self.h, self.user = h, user

    async def _after(self) -> EmulatorMessage:
        await self.h.settle()
        return self.user.last_message

    async def say(self, text: str):
        self.user.send_text(text)
        return await self._after()

    async def tap(self, label: str):
        self.user.click(label)
        return await self._after()

    async def tap_data(self, data: str):
        self.user.click_data(data)
        return await self._after()

    async def press(self, label: str, **kwargs):
        self.user.press(label, **kwargs)
        return await self._after()

    async def pin(self, lat: float, lon: float):
        self.user.send_location(lat, lon)
        return await self._after()

    async def photo(self):
        self.user.send_photo()
        return await self._after()

    async def send(self, kind: str, **kwargs):
        getattr(self.user, f"send_{kind}")(**kwargs)
        return await self._after()

    @property
    def last(self):
        return self.user.last_message

    def texts(self) -> list[str]:
        return [m.text or m.caption or "" for m in self.user.messages]
