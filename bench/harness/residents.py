"""The simulated residents: the steps of a report and one resident playing them."""
from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import BACKOFFICE_TOKEN, CITIZEN_TOKEN, PIN_ALPHA, TEST_REGION
from bench.harness.databases import sqlite_url
from bench.harness.emulator import make_emulator


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
