"""kill -9 at random moments: the real app (`python -m lapor.cli run`, a separate process) against the
emulator running in this test, under mixed traffic (residents reporting, some leaving drafts; two
officers acknowledging, setting off and closing; the supervisors' summaries: the scheduler's catch-up
at start and a `lapor summary send` from another process). Killed with SIGKILL and restarted.

After every kill (before the restart, while the database is still) and at the end, after letting
everything settle:
- every report a resident got a ticket for exists exactly once; at the end also every report a
  resident pressed "Send" for; no report exists twice or without a resident having sent it;
- no update failed in a handler, and at the end nothing is pending in the inbox or the outbox and
  no outbox row is dead; the app logged no ERROR;
- every resident who left a half-finished draft can continue it (asked the step they left at, and
  the step after works);
- every owed message was delivered at least once: the receipt, each officer's alert and map pin,
  the resident's notices (acknowledged, on the way, closed, rating), each supervisor's summaries. A
  second copy is allowed only for a message in flight at a kill (the first copy came before the
  kill, the second after the restart); duplicates are counted and printed.

The default run kills 5 times; `-m slow` kills LAPOR_CRASH_POINTS times (default 200). The seed
(LAPOR_CRASH_SEED to repeat one) is printed, and is in every failure message.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from botapi_emulator import BotAPIEmulator, EmulatedUser, VirtualClock
from core.officers import add_officer
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import InboxUpdate, Officer, Outbox, SummarySend
from tests.harness import BACKOFFICE_TOKEN, CITIZEN_TOKEN, TEST_REGION, database_url_for
from tests.procs import AppProcess, emulator_polling, run_cli_async
from tests.reliability.checks import (
    Owed,
    Verdict,
    check_clean,
    check_delivered,
    check_refusals,
    check_reports,
    owed_for_reports,
    report_text,
)
from tests.reliability.drivers import (
    LEAVE_STEPS,
    OfficerActor,
    ReportPlan,
    ResidentRun,
    continue_draft,
    officer_lane,
    play_report,
    text_of,
    wait_db,
)

ALPHA_LAT, ALPHA_LON = (-7.09, -7.01), (112.01, 112.09)
PERIOD_NAMES = {"daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}


@dataclass
class Kill:
    at: float
    after_ready: bool  # False: during start-up
    sizes: dict[tuple[int, int], int] = field(default_factory=dict)  # chat -> bot messages at restart


@dataclass
class World:
    seed: int
    rng: random.Random
    emu: BotAPIEmulator
    proc: AppProcess
    db: object  # async_sessionmaker
    officers: list[EmulatedUser]
    supervisor: EmulatedUser
    runs: list[ResidentRun] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    verdict: Verdict = field(default_factory=Verdict)
    chaos_done: asyncio.Event = field(default_factory=asyncio.Event)
    ready: object = None  # the readiness predicate of the current start
    summary_cli: str | None = None
    cli_day: str | None = None  # the day `lapor summary send` was asked for
    next_resident: int = 0
    seen: set[str] = field(default_factory=set)

    def chats(self) -> list[EmulatedUser]:
        return [r.user for r in self.runs] + self.officers + [self.supervisor]

    def header(self) -> str:
        return (f"crash test: seed={self.seed} (LAPOR_CRASH_SEED), kills={len(self.kills)} "
                f"({sum(not k.after_ready for k in self.kills)} during start-up), residents={len(self.runs)}, "
                f"log {self.proc.log_path}")


def chat_key(user: EmulatedUser) -> tuple[int, int]:
    return user.bot.id, user.id


async def start_app(world: World) -> None:
    world.ready = emulator_polling(world.emu, CITIZEN_TOKEN, BACKOFFICE_TOKEN)
    world.proc.start()


async def check_after_kill(world: World) -> None:
    """The database as the killed process left it: what residents were told is there, once."""
    verdict = Verdict()
    await check_reports(world.db, world.runs, verdict, settled=False)
    await check_clean(world.db, verdict, settled=False)
    for problem in verdict.problems:
        if problem not in world.seen:  # each once, at the first kill after which it shows
            world.seen.add(problem)
            world.verdict.fail(f"after kill {len(world.kills)}: {problem}")


async def chaos(world: World, points: int, up: tuple[float, float]) -> None:
    """Kills the app `points` times at random moments and starts it again each time: a fifth of the
    kills during start-up (migrations, replay, the summaries' catch-up), the others `up` (a range of
    seconds) after the new process began polling."""
    rng = world.rng
    summary_at = rng.randrange(points)
    summary = None
    try:
        for k in range(points):
            during_startup = rng.random() < 0.2
            if during_startup:
                moment = world.proc.started_at + rng.uniform(0.3, 4.5)
            else:
                await world.proc.wait_ready(world.ready, timeout=60)
                moment = time.monotonic() + rng.uniform(*up)
            await asyncio.sleep(max(0.0, moment - time.monotonic()))  # the kill time is the random variable
            after_ready = bool(world.ready())
            world.proc.kill()
            kill = Kill(time.monotonic(), after_ready)
            world.kills.append(kill)
            await check_after_kill(world)
            if k == summary_at:  # a summary queued from another process, while the app restarts
                summary = asyncio.create_task(summary_send(world))
            # Whatever the dead process still had on the wire has arrived by now: the message
            # counts mark what came from it, before the next process can send anything.
            kill.sizes = {chat_key(u): len(u.messages) for u in world.chats()}
            await start_app(world)
        await world.proc.wait_ready(world.ready, timeout=60)
        world.summary_cli = await summary
    finally:
        world.chaos_done.set()


async def summary_send(world: World) -> str:
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    world.cli_day = today
    result = await run_cli_async("summary", "send", "--period", "daily", "--date", today,
                                 env=world.proc.env_overrides, cwd=world.proc.cwd, check=False)
    if result.returncode != 0:
        world.verdict.fail(f"lapor summary send exited {result.returncode}: {result.stderr[-1000:]}")
    return f"exit {result.returncode}: {result.stdout.strip()}"


async def resident_lane(world: World, lane: int, leave_share: float) -> None:
    """New residents, one after another, until the kills are over; some leave a draft."""
    rng = random.Random(world.rng.random())
    while not world.chaos_done.is_set():
        # Residents come at the pace the officers' chats can take their alerts (one message a
        # second per chat): wait while the officers have a backlog.
        async def calm(session):
            backlog = (await session.execute(select(func.count()).select_from(Outbox).where(
                Outbox.bot == "backoffice", Outbox.status == "pending",
                Outbox.chat_id.in_([u.id for u in world.officers])))).scalar()
            return backlog <= 6
        await wait_db(world.db, calm, timeout=60)
        i = world.next_resident
        world.next_resident += 1
        plan = ReportPlan(description=f"crash test {world.seed} resident {i}: two children begging",
                          pin=(round(rng.uniform(*ALPHA_LAT), 6), round(rng.uniform(*ALPHA_LON), 6)),
                          leave_at=rng.choice(LEAVE_STEPS) if rng.random() < leave_share else None)
        user = world.emu.add_user(700_000 + i, first_name=f"Warga {i}", language_code="id")
        run = ResidentRun(user, plan)
        world.runs.append(run)  # counted from the first tap, so a kill's checks see it
        await play_report(world.emu, user, plan, step_timeout=25.0, receipt_timeout=90.0, max_recoveries=6,
                          run=run)


async def settle(world: World, timeout: float) -> bool:
    """Until the emulator has handed out every update and nothing is pending in the database."""
    async def quiet(session):
        if any(world.emu.pending_updates(t) for t in (CITIZEN_TOKEN, BACKOFFICE_TOKEN)):
            return False
        inbox = (await session.execute(select(func.count()).select_from(InboxUpdate)
                                       .where(InboxUpdate.status == "pending"))).scalar()
        outbox = (await session.execute(select(func.count()).select_from(Outbox)
                                        .where(Outbox.status == "pending"))).scalar()
        return inbox == 0 and outbox == 0

    return bool(await wait_db(world.db, quiet, timeout))


async def owed_summaries(world: World) -> list[Owed]:
    async with world.db() as session:
        sends = list((await session.execute(select(SummarySend))).scalars())
        officers = {o.id: o.telegram_id for o in (await session.execute(select(Officer))).scalars()}
    owed = []
    for send in sends:
        assert officers[send.officer_id] == world.supervisor.id, "only the supervisor receives summaries"
        period, first = send.period_key.split(":")
        day = datetime.fromisoformat(first).strftime("%d-%m-%Y")
        name = PERIOD_NAMES[period]
        owed.append(Owed(world.supervisor, f"{period} summary {first}",
                         lambda m, name=name, day=day: f"{name} summary" in text_of(m) and day in text_of(m)))
        if period != "daily":
            for ext in ("xlsx", "csv"):
                stem = f"{period}-{first}.{ext}"
                owed.append(Owed(world.supervisor, f"{period} {ext} {first}",
                                 lambda m, stem=stem: bool(m.document) and m.document.get("file_name",
                                                                                          "").endswith(stem)))
    return owed


def expected_summaries(region, cli_day: str | None) -> set[str]:
    """What the supervisor must have been sent: the scheduler's catch-up at the first start (the
    last run of each schedule, missed because the app was not running), and the day asked for on
    the command line."""
    from core.summary import Period, previous_window
    from core.summary_sends import last_fire_time

    now = datetime.now(ZoneInfo("UTC"))
    out = set()
    for period in Period:
        fired = last_fire_time(getattr(region.summaries, period.value), region, now)
        if fired is not None:
            out.add(f"{period.value} summary {previous_window(region, period, fired).first_day.isoformat()}")
    if cli_day:
        out.add(f"daily summary {cli_day}")
    return out


def allowed_duplicate(world: World):
    def allowed(item: Owed, first: int, second: int) -> bool:
        key = chat_key(item.chat)
        return any(first < kill.sizes.get(key, 0) <= second for kill in world.kills if kill.sizes)
    return allowed


async def run_crash_test(tmp_path, *, points: int, lanes: int, seed: int, up: tuple[float, float]) -> None:
    begun = time.monotonic()
    rng = random.Random(seed)
    url = database_url_for(tmp_path)
    await migrate.upgrade(url)
    engine = create_engine(url)
    db = create_sessionmaker(engine)
    emu = BotAPIEmulator(clock=VirtualClock(follow_real_time=True), think_time=1.5)
    await emu.start()
    emu.add_bot(CITIZEN_TOKEN, "lapor_uji_bot", "Lapor PMKS Uji")
    emu.add_bot(BACKOFFICE_TOKEN, "lapor_uji_petugas_bot", "Petugas Lapor PMKS Uji")
    env = {"CITIZEN_BOT_TOKEN": CITIZEN_TOKEN, "BACKOFFICE_BOT_TOKEN": BACKOFFICE_TOKEN, "DATABASE_URL": url,
           "REGION_CONFIG": str(TEST_REGION), "TELEGRAM_API_URL": emu.base_url, "POLLING_TIMEOUT": "1",
           # A dead process's outbox claims are taken over after this; the default (60 s) is for
           # several instances, here the next process is the only one.
           "OUTBOX_LEASE_SECONDS": "2"}
    proc = AppProcess(env=env, log_dir=tmp_path, name="lapor-run")
    world = None
    try:
        from core.region import load_region_config

        region = load_region_config(TEST_REGION)
        staff = [(9301, "Officer A", "officer"), (9302, "Officer B", "officer"), (9309, "Supervisor", "supervisor")]
        async with db() as session:
            for telegram_id, name, role in staff:
                await add_officer(session, region=region, now=datetime.now(ZoneInfo("UTC")), telegram_id=telegram_id,
                                  name=name, agency="satpolpp", role=role, areas=["Alpha"], language="en")
        users = []
        for telegram_id, name, _ in staff:
            user = emu.add_user(telegram_id, first_name=name).with_bot(BACKOFFICE_TOKEN)
            user.send_text("/start")  # opens the chat; handled once the app runs
            users.append(user)
        ids = {o.telegram_id: o.id for o in await _officers(db)}
        world = World(seed, rng, emu, proc, db, users[:2], users[2])
        await start_app(world)
        await proc.wait_ready(world.ready, timeout=60)

        actors = [OfficerActor(emu, u, ids[u.id], db, timeout=60.0) for u in world.officers]
        lanes_done, tickets = asyncio.Event(), set()
        officer_tasks = [asyncio.create_task(officer_lane(a, random.Random(rng.random()), lanes_done, tickets, 120.0))
                         for a in actors]
        resident_tasks = [asyncio.create_task(resident_lane(world, n, leave_share=0.3)) for n in range(lanes)]
        phases = {"begin": begun, "first start": time.monotonic()}
        await chaos(world, points, up)
        phases["kills"] = time.monotonic()
        await asyncio.gather(*resident_tasks)
        phases["residents finish"] = time.monotonic()
        tickets.update(run.ticket for run in world.runs if run.ticket)
        lanes_done.set()
        await asyncio.gather(*officer_tasks)
        phases["officers finish"] = time.monotonic()
        for actor in actors:
            world.verdict.problems += actor.problems

        # Residents who left a draft come back to it.
        for run in world.runs:
            if run.left_at and not run.error:
                problem = await continue_draft(emu, run, timeout=60.0)
                if problem:
                    world.verdict.fail(f"resident {run.user.id} left a draft at {run.left_at}: {problem}")
        for run in world.runs:
            if run.error:
                world.verdict.fail(f"resident {run.user.id}: {run.error}; steps {run.trace}")

        phases["drafts continued"] = time.monotonic()
        if not await settle(world, timeout=120):
            world.verdict.fail("did not settle within 120 s")
        verdict = world.verdict
        reports = await check_reports(db, world.runs, verdict, settled=True)
        await check_clean(db, verdict, settled=True)
        owed = await owed_for_reports(db, reports, {r.user.id: r.user for r in world.runs}, world.officers)
        owed += await owed_summaries(world)
        expected = expected_summaries(region, world.cli_day)
        queued = {o.what for o in owed if " summary " in o.what}
        if not expected <= queued:
            verdict.fail(f"summaries not queued: {sorted(expected - queued)} (queued: {sorted(queued)}; "
                         f"summary send: {world.summary_cli})")
        check_delivered(owed, verdict, allowed_duplicate(world))
        check_refusals(emu, verdict)
        for line in proc.log_lines()[:20]:
            verdict.fail(f"app log: {line}")
        phases["settled, checked"] = time.monotonic()
        code = await proc.stop(timeout=30)
        phases["stopped"] = time.monotonic()
        names = list(phases)
        timing = ", ".join(f"{b} {phases[b] - phases[a]:.1f}s" for a, b in itertools.pairwise(names))
        if code != 0:
            verdict.fail(f"graceful stop (SIGTERM) exited {code}")
        header = (world.header() + f"\nreports={len(reports)}, officer actions="
                  f"{sum(len(a.actions) for a in actors)}, summary send: {world.summary_cli}\ntimes: {timing}")
        print(report_text(verdict, header))
        assert not verdict.problems, report_text(verdict, header) + "\n" + proc.describe(40)
    except BaseException:
        print(f"crash test seed={seed} (repeat with LAPOR_CRASH_SEED={seed})")
        raise
    finally:
        proc.close()
        await emu.stop()
        await engine.dispose()


async def _officers(db) -> list[Officer]:
    async with db() as session:
        return list((await session.execute(select(Officer))).scalars())


def _seed(default: int | None) -> int:
    value = os.environ.get("LAPOR_CRASH_SEED")
    if value:
        return int(value)
    return default if default is not None else random.SystemRandom().randrange(2**31)


async def test_kill_9_at_random_points_loses_nothing(tmp_path):
    await run_crash_test(tmp_path, points=5, lanes=2, seed=_seed(20261123), up=(0.2, 2.0))


@pytest.mark.slow
async def test_kill_9_at_many_random_points_loses_nothing(tmp_path):
    points = int(os.environ.get("LAPOR_CRASH_POINTS", "200"))
    await run_crash_test(tmp_path, points=points, lanes=3, seed=_seed(None), up=(0.3, 3.0))
