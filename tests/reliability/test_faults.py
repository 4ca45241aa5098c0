"""Telegram misbehaving at set rates while residents report and officers act: 5xx answers, 429 bursts
with retry_after, slow answers, connections dropped before or after the call took effect (the
emulator's random faults, seeded). Nothing may be lost: each report exists once, each owed alert
and notice arrives, every resident gets every answer, and no handler fails.

Short version in the default run; `-m slow` runs many more residents (LAPOR_FAULT_RESIDENTS, default
40). LAPOR_FAULT_SEED repeats a run; the seed is printed on failure.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time

import pytest
from sqlalchemy import select

from db.models import InboxUpdate, Officer, Outbox
from tests.flows import english, report_until
from tests.harness import make_harness
from tests.reliability.checks import (
    Verdict,
    check_clean,
    check_delivered,
    check_refusals,
    check_reports,
    owed_for_reports,
    report_text,
)
from tests.reliability.drivers import (
    OfficerActor,
    ReportPlan,
    ResidentRun,
    officer_lane,
    play_report,
)

# Alpha's square (tests/data/testregion.geojson), away from its edges.
ALPHA_LAT, ALPHA_LON = (-7.09, -7.01), (112.01, 112.09)


async def _ticker(h, stop: asyncio.Event) -> None:
    """Time passes (ten times faster than real) so the outbox's retries and back-offs come due."""
    while not stop.is_set():
        h.clock.advance(seconds=1)
        for runtime in h.app.runtimes:
            runtime.worker.wake()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)


async def run_scenario(tmp_path, caplog, *, residents: int, concurrency: int, officers: int, seed: int) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(seed)
    started = time.monotonic()
    h = await make_harness(tmp_path)
    await h.start()
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(h, stop))
    try:
        crew = [await h.officer(9100 + i, f"Officer {i}", areas=["Alpha"]) for i in range(officers)]
        ids = {o.telegram_id: o.id for o in await h.rows(select(Officer))}
        actors = [OfficerActor(h.emu, o.user, ids[o.user.id], h.app.sessionmaker, timeout=20.0) for o in crew]

        # Every Bot API method but getUpdates; getUpdates gets its own share (a lost answer to
        # getUpdates means the same updates come again, which the inbox must drop). At these rates a
        # direct reply fails all of its 4 attempts about once in 150 000 calls.
        api = h.emu.inject_random_faults(seed=seed, error_rate=0.02, rate_limit_rate=0.01, retry_after=1,
                                         disconnect_rate=0.02, after_processing=0.5, slow_rate=0.05,
                                         slow_seconds=0.3)
        polls = h.emu.inject_random_faults(seed=seed + 1, methods=["getUpdates"], exclude=[], error_rate=0.02,
                                           disconnect_rate=0.02, after_processing=0.7)

        limit = asyncio.Semaphore(concurrency)

        async def resident(i: int) -> ResidentRun:
            plan = ReportPlan(description=f"fault test {seed} resident {i}: two children begging",
                              pin=(round(rng.uniform(*ALPHA_LAT), 6), round(rng.uniform(*ALPHA_LON), 6)))
            user = h.emu.add_user(6000 + i, first_name=f"Warga {i}", language_code="id")
            async with limit:
                return await play_report(h.emu, user, plan, step_timeout=15.0, receipt_timeout=30.0,
                                         max_recoveries=3)

        residents_done, tickets = asyncio.Event(), set()
        lanes = [asyncio.create_task(officer_lane(a, random.Random(rng.random()), residents_done, tickets, 120.0))
                 for a in actors]
        runs = await asyncio.gather(*(resident(i) for i in range(residents)))
        tickets.update(run.ticket for run in runs if run.ticket)
        residents_done.set()
        await asyncio.gather(*lanes)

        injected = api.injected + polls.injected
        h.emu.clear_faults()
        for _ in range(60):  # let every retry come due, with faults off
            await h.settle(timeout=60)
            if not await h.count(Outbox, Outbox.status == "pending"):
                break
            h.clock.advance(seconds=30)

        verdict = Verdict()
        for run in runs:
            if run.error:
                verdict.fail(f"resident {run.user.id}: {run.error}; steps {run.trace}")
            elif run.recoveries:
                verdict.fail(f"resident {run.user.id} had to reopen the report {run.recoveries}x "
                             f"(an answer never came); steps {run.trace}")
        for actor in actors:
            verdict.problems += actor.problems
        reports = await check_reports(h.app.sessionmaker, runs, verdict, settled=True)
        await check_clean(h.app.sessionmaker, verdict, settled=True)
        owed = await owed_for_reports(h.app.sessionmaker, reports, {r.user.id: r.user for r in runs},
                                      [o.user for o in crew])
        check_delivered(owed, verdict)  # duplicates (answers lost after the call took effect) are counted
        check_refusals(h.emu, verdict)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        for record in errors[:10]:
            verdict.fail(f"logged {record.levelname} {record.name}: {record.getMessage()}"
                         + (f"\n{record.exc_text or ''}" if record.exc_info or record.exc_text else ""))
        header = (f"fault test: seed={seed} (LAPOR_FAULT_SEED), residents={residents}, reports={len(reports)}, "
                  f"officer actions={sum(len(a.actions) for a in actors)}, injected={dict(injected)}, "
                  f"{time.monotonic() - started:.0f} s")
        print(report_text(verdict, header))
        assert not verdict.problems, report_text(verdict, header)
        assert sum(injected.values()) > 0, "no fault was injected: the test tested nothing"
    finally:
        stop.set()
        await ticker
        if h.app is not None:
            await h.app.stop()
        await h.emu.stop()


async def test_a_lost_answer_to_a_button_press_is_no_failure(h):
    """The answer to answerCallbackQuery (or to an edit) is lost after Telegram took it: the retry is
    refused as already done, which must not fail the update (nor earn the resident an apology)."""
    r = h.resident()
    await english(r)
    await report_until(r, "people_count")
    h.emu.inject_disconnect("answerCallbackQuery", after_processing=True)
    h.emu.inject_disconnect("editMessageText", after_processing=True)
    age = await r.tap("2-3 people")
    assert "how old" in age.text
    assert await h.count(InboxUpdate, InboxUpdate.status == "failed") == 0
    assert not any("something went wrong" in t for t in r.texts())


async def test_a_button_press_replayed_after_a_crash_is_no_failure(h):
    """Killed after handling a tap but before recording it as done: the next process replays it. The
    edit it makes is already there, and the query is too old to answer; neither is a failure."""
    r = h.resident()
    await english(r)
    await report_until(r, "age_group")
    assert "not sent yet" in (await r.press("📝 Make a report")).text
    h.emu.inject_delay("answerCallbackQuery", 3, count=1)  # the handler's last call hangs
    r.user.click("Continue my report")
    await h.emu.wait_for(lambda: "how old" in (r.user.last_message.text or ""), 5)
    await h.restart(crash=True)
    h.emu.callback_answer_window = 0  # the replay comes too late to answer the press
    await h.settle()
    assert await h.count(InboxUpdate, InboxUpdate.status == "failed") == 0
    assert not any("something went wrong" in t for t in r.texts())
    assert "how old" in r.last.text  # asked again by the replay; the resident goes on
    assert "Describe what you saw" in (await r.tap("Children")).text


def _seed(default: int | None) -> int:
    value = os.environ.get("LAPOR_FAULT_SEED")
    if value:
        return int(value)
    return default if default is not None else random.SystemRandom().randrange(2**31)


async def test_faults_lose_nothing(tmp_path, caplog):
    await run_scenario(tmp_path, caplog, residents=3, concurrency=3, officers=2, seed=_seed(20261123))


@pytest.mark.slow
async def test_faults_lose_nothing_many_residents(tmp_path, caplog):
    residents = int(os.environ.get("LAPOR_FAULT_RESIDENTS", "40"))
    await run_scenario(tmp_path, caplog, residents=residents, concurrency=8, officers=3, seed=_seed(None))
