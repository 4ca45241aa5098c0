"""The child process: the bot under test (``python -m bench.harness.child app|bare ...``).

It prints READY once it polls; on a STOP line on its stdin it stops and prints one JSON line of
figures: updates handled, what its workers sent, garbage collection, CPU time per thread.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from typing import Any

from bench.harness import BACKOFFICE_TOKEN, BARE_TOKEN, CITIZEN_TOKEN, TEST_REGION
from bench.harness.machine import CpuMeter


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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.harness.child", description="the bot under test (child)")
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
