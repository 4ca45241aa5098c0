"""Shared machinery of bench/throughput.py and bench/dispatch.py.

Layout of a benchmark run (2 processes, so the emulator's own CPU never steals the bot's):

* this process: the project's Bot API emulator (``TrackingEmulator``, which also timestamps every
  successful Bot API call per chat with ``time.perf_counter``) and the simulated people, who act
  through ``EmulatedUser`` exactly as the end-to-end tests do;
* a child process (``python -m bench._harness app|bare ...``): the bot under test, talking to the
  emulator over real HTTP: either the real ``lapor.app.App`` (InboxPoller, outbox workers, the
  database) or a bare aiogram 3 bot (aiogram's own ``Dispatcher.start_polling`` and one handler
  that answers every message and every button press with one message).

The child prints ``READY`` once it polls, and on ``STOP`` (a line on its stdin) stops gracefully
and prints one JSON line of figures (its CPU time per thread, what its workers sent, ...).

A resident's step is finished when the bot has made, in that resident's chat, as many successful
Bot API calls (sends, edits, deletes) as the same step costs when one resident is alone with the
bot (``calibrate_real_flow``, run in-process with the project's own ``settle``). The reply time of
a step is the time from the user's action (the update queued in the emulator) to the bot's first
call in that chat (the first thing the user sees); the "complete" time is to its last call.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEST_REGION = ROOT / "tests" / "data" / "testregion.toml"
CITIZEN_TOKEN = "111111:CITIZEN-BENCH-TOKEN"
BACKOFFICE_TOKEN = "222222:BACKOFFICE-BENCH-TOKEN"
BARE_TOKEN = "333333:BARE-BENCH-TOKEN"
PIN_ALPHA = (-7.05, 112.05)  # inside kecamatan Alpha of the test region (tests/harness.py)
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")

# Bot API methods whose success the user sees in their chat.
VISIBLE = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation", "sendvenue",
           "copymessage", "editmessagetext", "editmessagecaption", "editmessagereplymarkup", "deletemessage"}
SENDS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation", "sendvenue",
         "copymessage"}


# ------------------------------------------------------------------------------------------ machine

def machine_info() -> list[str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    import aiogram
    import sqlalchemy

    return [
        f"CPU: {model}; {cores} cores ({usable} usable); load average {load} (others share this machine)",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}",
        f"aiogram {aiogram.__version__}, SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}",
    ]


def print_header(title: str, argv: list[str]) -> None:
    print(f"== {title}")
    print("command: " + " ".join([Path(sys.executable).name, "-m", *argv]))
    for line in machine_info():
        print(line)
    print(flush=True)


class CpuMeter:
    """CPU seconds used by this process, a child (main thread vs its other threads, e.g. aiosqlite's)
    and the whole machine, between start() and stop()."""

    def __init__(self, child_pid: int | None = None) -> None:
        self.child_pid = child_pid

    @staticmethod
    def _ticks(path: str) -> float:
        try:
            fields = Path(path).read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _child(self) -> tuple[float, float]:
        if self.child_pid is None:
            return 0.0, 0.0
        main = self._ticks(f"/proc/{self.child_pid}/task/{self.child_pid}/stat")
        total = self._ticks(f"/proc/{self.child_pid}/stat")
        return main, total

    @staticmethod
    def _system() -> tuple[float, float]:
        parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        values = [int(p) for p in parts]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.self0 = time.process_time()
        self.child0 = self._child()
        self.sys0 = self._system()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        main, total = self._child()
        busy, all_ = self._system()
        sys_busy = (busy - self.sys0[0]) / max(1, all_ - self.sys0[1])
        return {
            "wall": wall,
            "emulator_cpu": (time.process_time() - self.self0) / wall,
            "bot_main_cpu": (main - self.child0[0]) / wall,
            "bot_other_cpu": ((total - self.child0[1]) - (main - self.child0[0])) / wall,
            "machine_busy": sys_busy * (os.cpu_count() or 1),
        }


def cpu_line(c: dict[str, float]) -> str:
    return (f"CPU (cores busy): emulator+residents {c['emulator_cpu']:.2f}, bot main thread "
            f"{c['bot_main_cpu']:.2f}, bot other threads {c['bot_other_cpu']:.2f}, "
            f"whole machine {c['machine_busy']:.2f} of {os.cpu_count()}")


# ------------------------------------------------------------------------------------------ stats

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def pct_ms(values: list[float]) -> str:
    return "p50 {:.0f} / p95 {:.0f} / p99 {:.0f} ms".format(*(percentile(values, q) * 1000 for q in (50, 95, 99)))


# ------------------------------------------------------------------------------------------ emulator

def make_emulator(*, think_time: float, per_bot_limit: bool = True):
    """The emulator with Telegram's limits (1 message/s per chat, bursts of 3; 30 messages/s per
    bot, bursts of 30; 20/min per group) judged on a VirtualClock that follows real time. Each
    user action moves that clock on by `think_time` (a resident's pause, in virtual time only).
    per_bot_limit=False lifts only the 30 messages/s per bot (to see what a bot can do without it)."""
    from lapor.emulator import VirtualClock

    per_bot = (30.0, 30) if per_bot_limit else (1e9, 10**9)
    return _tracking_class()(clock=VirtualClock(follow_real_time=True), think_time=think_time,
                            per_chat_rate=1.0, per_chat_burst=3, per_bot_rate=per_bot[0], per_bot_burst=per_bot[1],
                            group_per_minute=20)


class SendWatch:
    def __init__(self, chats: set[int]) -> None:
        self.chats = chats
        self.times: list[float] = []
        self._targets: list[tuple[int, asyncio.Future]] = []

    def record(self, now: float) -> None:
        self.times.append(now)
        for count, future in self._targets:
            if len(self.times) >= count and not future.done():
                future.set_result(None)

    async def wait(self, count: int, timeout: float) -> bool:
        if len(self.times) >= count:
            return True
        target = (count, asyncio.get_running_loop().create_future())
        self._targets.append(target)
        try:
            await asyncio.wait_for(target[1], timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._targets.remove(target)


@functools.cache
def _tracking_class():
    from lapor.emulator import BotAPIEmulator
    from lapor.emulator.models import ApiError

    class TrackingEmulator(BotAPIEmulator):
        """Timestamps every successful chat-addressed Bot API call, per (bot id, chat id), and
        wakes only the one resident waiting on that chat (no broadcast to thousands of waiters)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.chat_log: dict[tuple[int, int], list[tuple[float, str]]] = {}
            self._waiters: dict[tuple[int, int], tuple[int, asyncio.Future]] = {}
            self.by_bot_status: dict[tuple[int, int], int] = {}
            self.sends_at: dict[int, list[float]] = {}  # bot id -> perf_counter of each successful send
            self._watches: dict[int, SendWatch] = {}

        def _answer(self, bot, method, chat_id, outcome, *, raw_body=None):
            response = super()._answer(bot, method, chat_id, outcome, raw_body=raw_body)
            if bot is None:
                return response
            status = outcome.status if isinstance(outcome, ApiError) else 200
            key = (bot.id, status)
            self.by_bot_status[key] = self.by_bot_status.get(key, 0) + 1
            if status != 200 or chat_id is None:
                return response
            lower = method.lower()
            if lower not in VISIBLE:
                return response
            now = time.perf_counter()
            if lower in SENDS:
                self.sends_at.setdefault(bot.id, []).append(now)
                watch = self._watches.get(bot.id)
                if watch is not None and chat_id in watch.chats:
                    watch.record(now)
            log = self.chat_log.setdefault((bot.id, chat_id), [])
            log.append((now, lower))
            waiter = self._waiters.get((bot.id, chat_id))
            if waiter is not None and len(log) >= waiter[0] and not waiter[1].done():
                waiter[1].set_result(None)
            return response

        def log_of(self, bot_id: int, chat_id: int) -> list[tuple[float, str]]:
            return self.chat_log.setdefault((bot_id, chat_id), [])

        async def wait_calls(self, bot_id: int, chat_id: int, count: int, timeout: float) -> list[tuple[float, str]]:
            log = self.log_of(bot_id, chat_id)
            if len(log) >= count:
                return log
            future = asyncio.get_running_loop().create_future()
            self._waiters[(bot_id, chat_id)] = (count, future)
            try:
                await asyncio.wait_for(future, timeout)
            finally:
                self._waiters.pop((bot_id, chat_id), None)
            return log

        def status_count(self, bot_id: int, status: int) -> int:
            return self.by_bot_status.get((bot_id, status), 0)

        def watch_sends(self, bot_id: int, chats: set[int]) -> SendWatch:
            """Counts and timestamps a bot's successful sends into `chats` (e.g. alerted officers)."""
            watch = self._watches[bot_id] = SendWatch(set(chats))
            return watch

    return TrackingEmulator


def __getattr__(name: str):  # TrackingEmulator is built lazily: the child process never needs it
    if name == "TrackingEmulator":
        return _tracking_class()
    raise AttributeError(name)


# ------------------------------------------------------------------------------------------ databases

def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{directory}/{name}.sqlite3"


async def fresh_postgres(name: str) -> str:
    """Drops and recreates database `name` on the benchmark's PostgreSQL server; returns its URL."""
    from db.pg_admin import recreate_database

    return await recreate_database(PG_BASE, name)


async def drop_postgres(name: str) -> None:
    from db.pg_admin import drop_database

    await drop_database(PG_BASE, name)


async def postgres_available() -> str | None:
    """None if the server answers, else why not."""
    try:
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(PG_BASE)
        conn = await asyncio.wait_for(asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                                      password=url.password, database=url.database), 5)
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        print(f"PostgreSQL {version} at {url.host}:{url.port or 5432}")
        return None
    except Exception as exc:  # noqa: BLE001 - any reason is reported
        return f"{type(exc).__name__}: {exc}"


class DbTarget:
    """A fresh database per measured run: a SQLite file in a temp folder, or a PostgreSQL database."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind, self.tmp = kind, tmp
        self.names: list[str] = []

    async def fresh(self, name: str) -> str:
        if self.kind == "sqlite":
            path = self.tmp / f"{name}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return sqlite_url(self.tmp, name)
        self.names.append(name)
        return await fresh_postgres(name)

    async def cleanup(self) -> None:
        for name in self.names:
            try:
                await drop_postgres(name)
            except Exception as exc:  # noqa: BLE001 - best effort: a leftover scratch database
                print(f"(could not drop scratch database {name}: {exc})")


# ------------------------------------------------------------------------------------------ child process

class BotProcess:
    """The bot under test in its own process."""

    def __init__(self, kind: str, args: list[str]) -> None:
        self.kind, self.args = kind, args
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr_path = Path(tempfile.mkstemp(prefix=f"bench-{kind}-", suffix=".log")[1])
        self.result: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def start(self, timeout: float = 120.0) -> None:
        # The child writes its log straight into this file (kept open for the child's lifetime).
        self._stderr = open(self.stderr_path, "wb")  # noqa: ASYNC230, SIM115
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._harness", self.kind, *self.args, cwd=str(ROOT),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._stderr,
        )
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if line.strip() != b"READY":
            await self.kill()
            raise RuntimeError(f"the {self.kind} bot did not start: {line!r}\n{self.stderr_tail()}")

    async def stop(self, timeout: float = 60.0) -> dict[str, Any]:
        self.proc.stdin.write(b"STOP\n")
        await self.proc.stdin.drain()
        try:
            out = await asyncio.wait_for(self.proc.stdout.read(), timeout)
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.kill()
            raise RuntimeError(f"the {self.kind} bot did not stop\n{self.stderr_tail()}") from None
        self._stderr.close()
        lines = [x for x in out.decode().splitlines() if x.startswith("{")]
        self.result = json.loads(lines[-1]) if lines else {}
        return self.result

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if not self._stderr.closed:
            self._stderr.close()

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def warnings(self) -> int:
        try:
            return sum(1 for line in self.stderr_path.read_text(errors="replace").splitlines()
                       if "WARNING" in line or "ERROR" in line or "Traceback" in line)
        except OSError:
            return 0


def app_args(api: str, database_url: str, *, send_rate: float | None = None, profile: str | None = None,
             backoffice: bool = True, gc_freeze: bool = False,
             poller_concurrency: int | None = None, pacer_burst: float | None = None,
             think: float = 0.0, volatile: bool = False) -> list[str]:
    args = ["--api", api, "--db", database_url]
    if volatile:
        args += ["--volatile"]
    if think:
        args += ["--think", str(think)]
    if pacer_burst:
        args += ["--pacer-burst", str(pacer_burst)]
    if poller_concurrency:
        args += ["--poller-concurrency", str(poller_concurrency)]
    if gc_freeze:
        args += ["--gc-freeze"]
    if send_rate is not None:
        args += ["--send-rate", str(send_rate)]
    if profile:
        args += ["--profile", profile]
    if not backoffice:
        args += ["--no-backoffice"]
    return args


async def _wait_stop_line() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line or line.strip() == b"STOP":
            return


class GcMeter:
    """Time the bot spends in the cyclic garbage collector (gc.callbacks), per generation."""

    def __init__(self) -> None:
        import gc

        self.pause = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t0 = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pause[info["generation"]] += time.perf_counter() - self._t0
            self.count[info["generation"]] += 1

    def reset(self) -> None:
        self.pause, self.count = [0.0, 0.0, 0.0], [0, 0, 0]

    def figures(self) -> dict[str, Any]:
        return {"gc_seconds": sum(self.pause), "gc_by_generation": [round(p, 3) for p in self.pause],
                "gc_collections": self.count}


def _thread_cpu() -> dict[str, float]:
    pid = os.getpid()
    main = CpuMeter._ticks(f"/proc/{pid}/task/{pid}/stat")
    total = CpuMeter._ticks(f"/proc/{pid}/stat")
    return {"cpu_main": main, "cpu_other_threads": total - main}


def _start_profile(path: str | None):
    if not path:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _end_profile(profiler, path: str | None) -> None:
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(path)


class EmulatorTime:
    """The emulator's VirtualClock as the bot's process can tell it: real time, plus `think`
    seconds for every user action, counted as the updates arrive (a little behind the emulator,
    which moves its clock when the user acts: pacing on it errs on the safe side).

    The bot's send budget (lapor.pacing) counts in this time as the emulator judges Telegram's
    limits in it, as tests/harness.py does: otherwise a resident who answers at machine speed
    would make the bot wait a real second per message in their chat, which no person causes."""

    def __init__(self, think: float) -> None:
        self.think, self.actions = think, 0

    def __call__(self) -> float:
        return time.monotonic() + self.think * self.actions

    async def middleware(self, make_request, bot, method):
        result = await make_request(bot, method)
        if getattr(method, "__api_method__", "") == "getUpdates" and isinstance(result, list):
            self.actions += len(result)
        return result


def volatile_app():
    """The same app and flow with no durability: updates are handled straight from getUpdates
    (no inbox row, no "handled" mark) and conversation state and drafts live in memory
    (aiogram's MemoryStorage). Same per-chat order and concurrency as InboxPoller; the domain's own
    rows (residents, reports, outbox) still go to the database. What `real` costs more than this
    is the price of "nothing lost" (the guide: durability should cost little)."""
    from aiogram.fsm.storage.memory import MemoryStorage

    from lapor.app import App
    from lapor.polling import InboxPoller

    class VolatilePoller(InboxPoller):
        async def replay(self) -> None:
            pass

        async def purge(self) -> None:
            pass

        async def accept(self, updates) -> None:
            for update in updates:
                self.schedule(update)

        async def handle(self, update) -> None:
            try:
                await self.dispatcher.feed_update(self.bot, update)
            except Exception:
                logging.getLogger(__name__).exception("update %s failed", update.update_id)
                self.failed += 1
            self.handled += 1

    class VolatileApp(App):
        def _conversation_storage(self):
            return MemoryStorage(), None

    return VolatileApp, VolatilePoller


async def serve_app(ns: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from core.clock import SystemClock
    from core.region import load_region_config
    from lapor.app import App
    from lapor.settings import Settings

    kwargs: dict[str, Any] = {}
    if ns.send_rate is not None:
        kwargs["send_rate_per_second"] = ns.send_rate
    settings = Settings(citizen_bot_token=CITIZEN_TOKEN, database_url=ns.db,
                        backoffice_bot_token=None if ns.no_backoffice else BACKOFFICE_TOKEN,
                        telegram_api_url=ns.api, _env_file=None, **kwargs)
    extra: dict[str, Any] = {}
    app_class = App
    if ns.volatile:
        app_class, extra["poller_class"] = volatile_app()
    if ns.think:
        extra["send_clock"] = emulator_time = EmulatorTime(ns.think)
    app = app_class(settings, clock=SystemClock(), region=load_region_config(TEST_REGION), run_scheduler=False, **extra)
    await app.start()
    if ns.think:
        for runtime in app.runtimes:
            runtime.bot.session.middleware(emulator_time.middleware)
    if ns.poller_concurrency:
        for runtime in app.runtimes:  # an experiment: the pollers' bound on updates handled at once
            runtime.poller._semaphore = asyncio.Semaphore(ns.poller_concurrency)
    pacers = {runtime.name: runtime.worker.pacer for runtime in app.runtimes}
    if ns.pacer_burst:  # an experiment: the shared budget's burst (lapor/pacing.py)
        for pacer in pacers.values():
            pacer.capacity = pacer.tokens = max(1.0 + pacer.reserve, ns.pacer_burst)
    if ns.gc_freeze:
        # What `lapor run` could do once started: everything allocated so far (modules, pydantic
        # schemas, the region config) leaves the collector's generations for good.
        import gc

        gc.collect()
        gc.freeze()
    gc_meter = GcMeter()
    profiler = _start_profile(ns.profile)
    print("READY", flush=True)
    await _wait_stop_line()
    _end_profile(profiler, ns.profile)
    figures = {
        **gc_meter.figures(),
        "handled": {r.name: r.poller.handled for r in app.runtimes},
        "outbox_sent": {r.name: r.worker.sent for r in app.runtimes},
        "outbox_errors": {r.name: r.worker.errors for r in app.runtimes},
        "pacer_taken": {name: {"interactive": p.taken[0], "outbox": p.taken[10]} for name, p in pacers.items()},
        **_thread_cpu(),
    }
    await app.stop()
    print(json.dumps(figures), flush=True)


async def serve_bare(ns: argparse.Namespace) -> None:
    """A bare aiogram 3 bot: aiogram's own polling, one handler per update kind, one message each."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from aiogram import Bot, Dispatcher
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from aiogram.types import (
        CallbackQuery,
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        Message,
    )

    from lapor.retry import RetryMiddleware

    session = AiohttpSession(api=TelegramAPIServer.from_base(ns.api))
    # The same 429/5xx handling as the real bot's replies, so a stray flood answer costs both alike.
    session.middleware(RetryMiddleware())
    bot = Bot(BARE_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    dp = Dispatcher()
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Next", callback_data="next")]])
    handled = 0

    @dp.message()
    async def on_message(message: Message) -> None:
        nonlocal handled
        await message.answer("<b>ok</b>", reply_markup=keyboard)
        handled += 1

    @dp.callback_query()
    async def on_callback(callback: CallbackQuery) -> None:
        nonlocal handled
        if ns.answer_presses:
            # What Telegram asks of a bot for a button press (stop the spinner), and what a flow
            # does to show its next step: two calls, as the real bot makes.
            await callback.answer()
            # (a new text each time: Telegram refuses an edit that changes nothing)
            await callback.message.edit_text(f"<b>ok</b> {handled}", reply_markup=keyboard)
        else:
            await bot.send_message(callback.from_user.id, "<b>ok</b>", reply_markup=keyboard)
        handled += 1

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=30,
                                                   allowed_updates=["message", "callback_query"]))
    gc_meter = GcMeter()
    profiler = _start_profile(ns.profile)
    print("READY", flush=True)
    await _wait_stop_line()
    _end_profile(profiler, ns.profile)
    figures = {"handled": {"bare": handled}, **gc_meter.figures(), **_thread_cpu()}
    await dp.stop_polling()
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(polling, 10)
    await bot.session.close()
    print(json.dumps(figures), flush=True)


def print_profile(path: str, top: int = 30) -> None:
    """The child's cProfile: where the bot's main thread spent its time (aiosqlite's thread, i.e.
    SQLite itself, is not in it; see the CPU line for that thread's share)."""
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    out.write("\n-- cumulative, project code --\n")
    stats.sort_stats("cumulative").print_stats(r"/work/main/(lapor|core|bot|backoffice|db)/", top)
    text = out.getvalue()
    print("\n".join(line for line in text.splitlines() if line.strip()))


# ------------------------------------------------------------------------------------------ residents

@dataclass
class Step:
    name: str
    kind: str  # text | location | callback
    real: Callable[[Any], Any]  # acts on an EmulatedUser, as tests/flows.py does
    text: str = ""

    def bare(self, user) -> None:
        """The same kind of update to the bare bot."""
        if self.kind == "text":
            user.send_text(self.text)
        elif self.kind == "location":
            user.send_location(*PIN_ALPHA)
        else:
            user.click_data("next")


def report_steps(send: bool = True) -> list[Step]:
    """The whole report flow of tests/flows.py (English, by pin), from /start: 14 updates."""
    from tests.flows import LABELS

    L = LABELS["en"]
    description = "Two children begging at the traffic light"
    steps = [
        Step("start", "text", lambda u: u.send_text("/start en"), "/start en"),
        Step("report", "text", lambda u: u.press(L["report"]), L["report"]),
        Step("category", "callback", lambda u: u.click(L["category"])),
        Step("location", "location", lambda u: u.press(L["send_location"], location=PIN_ALPHA)),
        Step("landmark", "callback", lambda u: u.click(L["skip"])),
        Step("people_count", "callback", lambda u: u.click(L["people"])),
        Step("age_group", "callback", lambda u: u.click(L["age"])),
        Step("description", "text", lambda u: u.send_text(description), description),
        Step("seen_when", "callback", lambda u: u.click(L["now"])),
        Step("photos", "callback", lambda u: u.click(L["photos_done"])),
        Step("urgent", "callback", lambda u: u.click(L["not_urgent"])),
        Step("reporter_type", "callback", lambda u: u.click(L["individual"])),
        Step("anonymous", "callback", lambda u: u.click(L["anonymous"])),
    ]
    if send:
        steps.append(Step("send", "callback", lambda u: u.click(L["send"])))
    return steps


def cancel_step() -> Step:
    from tests.flows import LABELS

    return Step("cancel", "callback", lambda u: u.click(LABELS["en"]["cancel_report"]))


@dataclass
class StepResult:
    step: str
    first: float  # seconds from the action to the bot's first call in the chat
    done: float  # ... to the step's last expected call


@dataclass
class ResidentRun:
    results: list[StepResult] = field(default_factory=list)
    error: str | None = None


async def play(emu, user, bot_id: int, steps: list[Step], counts: list[int] | None, *,
               bare: bool = False, timeout: float = 300.0, think: float = 0.0,
               record: Callable[[], bool] | None = None, ramp: asyncio.Semaphore | None = None,
               stop: Callable[[], bool] | None = None) -> ResidentRun:
    """One resident through `steps`; waits after each for the bot's answer (see module docstring).
    `think` is a real-time pause between a reply and the next action (a simulated person's
    reading time; it shapes the load, nothing is measured with it). `ramp` bounds how many
    residents are in their first step at once (so N residents do not all start in one instant)."""
    run = ResidentRun()
    for index, step in enumerate(steps):
        if stop is not None and stop():
            break
        expected = counts[index] if counts else 1
        log = emu.log_of(bot_id, user.id)
        before = len(log)
        gated = ramp is not None and index == 0
        if gated:
            await ramp.acquire()
        try:
            t0 = time.perf_counter()
            (step.bare if bare else step.real)(user)
            log = await emu.wait_calls(bot_id, user.id, before + expected, timeout)
        except (TimeoutError, AssertionError) as exc:
            run.error = f"{step.name}: {type(exc).__name__}: {str(exc)[:300]}"
            return run
        finally:
            if gated:
                ramp.release()
        if record is None or record():
            run.results.append(StepResult(step.name, log[before][0] - t0, log[before + expected - 1][0] - t0))
        if think:
            await asyncio.sleep(think)
    return run


async def calibrate_real_flow(steps: list[Step]) -> list[int]:
    """Calls per step in one resident's chat when it is alone with the real app (in-process, with
    the project's `settle`, which waits until every update is handled and the outbox is empty)."""
    from core.clock import SystemClock
    from core.region import load_region_config
    from lapor.app import App
    from lapor.demo import settle
    from lapor.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-calibrate-"))
    emu = make_emulator(think_time=1.5)
    await emu.start()
    citizen_id = emu.add_bot(CITIZEN_TOKEN, "lapor_bench_bot", "Lapor Bench")
    emu.add_bot(BACKOFFICE_TOKEN, "lapor_bench_petugas_bot", "Petugas Bench")
    settings = Settings(citizen_bot_token=CITIZEN_TOKEN, backoffice_bot_token=BACKOFFICE_TOKEN,
                        database_url=sqlite_url(tmp, "calibrate"), telegram_api_url=emu.base_url, _env_file=None)
    app = App(settings, clock=SystemClock(), region=load_region_config(TEST_REGION), poll_timeout=1,
              run_scheduler=False)
    await app.start()
    counts: list[int] = []
    try:
        user = emu.add_user(9_000_000, first_name="Kalibrasi", language_code="id", bot_token=CITIZEN_TOKEN)
        for step in steps:
            before = len(emu.log_of(citizen_id, user.id))
            step.real(user)
            await settle(app, emu, 30)
            counts.append(len(emu.log_of(citizen_id, user.id)) - before)
            if counts[-1] < 1:
                raise RuntimeError(f"step {step.name}: the bot did not answer\n{user.transcript()}")
    finally:
        await app.stop()
        await emu.stop()
    return counts


# ------------------------------------------------------------------------------------------ child entry

def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._harness", description="the bot under test (child)")
    parser.add_argument("kind", choices=["app", "bare"])
    parser.add_argument("--answer-presses", action="store_true",
                        help="bare: answer each button press and edit its message, instead of one new message")
    parser.add_argument("--api", required=True)
    parser.add_argument("--db")
    parser.add_argument("--send-rate", type=float)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--profile")
    parser.add_argument("--no-backoffice", action="store_true")
    parser.add_argument("--gc-freeze", action="store_true")
    parser.add_argument("--poller-concurrency", type=int)
    parser.add_argument("--pacer-burst", type=float)
    parser.add_argument("--volatile", action="store_true")
    ns = parser.parse_args()
    asyncio.run(serve_app(ns) if ns.kind == "app" else serve_bare(ns))


if __name__ == "__main__":
    main()
