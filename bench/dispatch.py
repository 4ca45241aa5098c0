"""Dispatch: 2,000 alerts owed to 500 officers, drained under Telegram's limits.

What runs: the project's Bot API emulator in this process (real HTTP), the real `lapor.app.App`
(citizen and backoffice bots, pollers, outbox workers, real clock) in a child process, a fresh
SQLite file or PostgreSQL database per scenario (see bench/harness/). The emulator enforces
Telegram's limits in real time: 30 messages/s per bot (bursts of 30), 1 message/s per chat
(bursts of 3), 20/min per group; a 429 carries retry_after as Telegram's does.

Setup: 500 Satpol PP officers covering kecamatan Alpha are registered with `core.officers.add_officer`
(what `lapor officer add` does) and have opened their chat with the backoffice bot. Two residents
fill in a report (Beggars, a pin in Alpha) up to the review card. Each report, once sent, owes every
officer an alert and its map pin: 2 reports x 500 officers x 2 = 2,000 backoffice messages, 4 per
officer. Both residents tap "Send report" at the same instant; the drain runs from that tap to the
last alert delivered.

  theoretical minimum   2,000 / 30 per s = 66.7 s (65.7 s if Telegram's burst of 30 is spent
                        first); per chat, 4 messages at 1/s take 3 s, so the bot budget binds.
                        Target: within 10% (73.3 s).
  pacing                each bot has one send budget, SEND_RATE_PER_SECOND (30 by default, burst
                        15), shared by its direct replies (first) and its outbox (lapor/pacing.py).
  429s                  counted in the emulator, per bot (target: none).
  lost / duplicated     each officer's chat is read back from the emulator: each report's alert
                        exactly once, and one pin per report; the outbox table must hold no
                        backoffice row that is not "sent".
  residents             20 residents (--residents) go through a report (every step up to the
                        review card, then cancel) with 1.5 s real pauses between taps (a person
                        reading; the pause shapes the load, nothing is timed with it; their
                        starts are staggered over one pause). Reply time = from the tap to the
                        citizen bot's first call in their chat. After an untimed first round
                        (/start, warm-up), one timed round with no backlog, then timed rounds
                        for as long as the drain lasts; both p95s are printed side by side.

Scenarios (--scenarios, comma-separated; default all):
  base        the app as it is, nobody else using the backoffice bot
  busy        as base, and 20 officers of another agency (--active-officers) send /tugas to the
              backoffice bot every 1.5 s during the drain: direct replies of the SAME bot as the
              alerts (they are not alerted, so their chats get only replies: any 429 is the bot's
              budget, not a chat's)
  rate25      as busy, with SEND_RATE_PER_SECOND=25: what five messages a second of headroom costs

In the busy scenarios the replies take their share of the 30/s first, so the alerts cannot drain
in 66.7 s; the bound printed beside ("/all sent") is every message the bot sent in the drain at
30/s.

    .venv/bin/python -m bench.dispatch --quick
    .venv/bin/python -m bench.dispatch --database both
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import BACKOFFICE_TOKEN, CITIZEN_TOKEN, TEST_REGION
from bench.harness.bot_process import BotProcess, app_args
from bench.harness.databases import DbTarget, postgres_available
from bench.harness.emulator import make_emulator
from bench.harness.machine import CpuMeter, cpu_line, print_header
from bench.harness.residents import calibrate_real_flow, cancel_step, play, report_steps
from bench.harness.stats import pct_ms, percentile

OFFICER_BASE = 8_000_000
ACTIVE_BASE = 8_500_000
RESIDENT_BASE = 7_500_000
REPORTER_BASE = 7_900_000
THINK = 1.5


@dataclass
class Scenario:
    name: str
    rate: float
    active: bool
    what: str


SCENARIOS = {
    "base": Scenario("base", 30.0, False, "as is: one budget per bot, 30/s"),
    "busy": Scenario("busy", 30.0, True, "as is, officers using the backoffice bot"),
    "rate25": Scenario("rate25", 25.0, True, "budget 25/s, officers using the backoffice bot"),
}


async def register_officers(url: str, officers: int, active: int) -> None:
    from core.clock import SystemClock
    from core.officers import add_officer
    from core.region import load_region_config
    from db.engine import create_engine, create_sessionmaker

    region = load_region_config(TEST_REGION)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    now = SystemClock().now()
    try:
        async with sessionmaker() as session:
            for i in range(officers):
                await add_officer(session, region=region, now=now, telegram_id=OFFICER_BASE + i, name=f"Petugas {i}",
                                  agency="satpolpp", role="officer", areas=["Alpha"], language="en", actor="bench")
            for i in range(active):
                await add_officer(session, region=region, now=now, telegram_id=ACTIVE_BASE + i, name=f"Dinsos {i}",
                                  agency="dinsos", role="officer", areas=["Beta"], language="en", actor="bench")
    finally:
        await engine.dispose()


async def analyze_outbox(url: str) -> None:
    """Diagnostic (--analyze): refresh PostgreSQL's statistics of the outbox once the backlog is
    queued, as autovacuum does some time later, to see what stale statistics cost the claims."""
    from sqlalchemy import text

    from db.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE outbox"))
    finally:
        await engine.dispose()


async def db_figures(url: str) -> dict:
    from sqlalchemy import func, select

    from db.engine import create_engine, create_sessionmaker
    from db.models import Outbox, Report

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            tickets = list((await session.execute(select(Report.ticket).order_by(Report.id))).scalars())
            rows = dict((await session.execute(
                select(Outbox.status, func.count()).where(Outbox.bot == "backoffice").group_by(Outbox.status))).all())
        return {"tickets": tickets, "outbox": rows}
    finally:
        await engine.dispose()


async def wait_outbox_settled(url: str, timeout: float = 15.0) -> dict:
    """The worker marks a row sent just after Telegram took it: wait (bounded) until no backoffice
    row is left pending, then read the figures."""
    deadline = time.perf_counter() + timeout
    while True:
        figures = await db_figures(url)
        if not figures["outbox"].get("pending") or time.perf_counter() > deadline:
            return figures
        await asyncio.sleep(0.2)  # polling the database for a state, not timing anything


async def run_scenario(sc: Scenario, *, target: DbTarget, officers: int, reports: int, residents: int,
                       active: int, counts: dict, pacer_burst: float | None = None, analyze: bool = False) -> dict:
    owed = officers * reports * 2
    url = await target.fresh("bench_dispatch")
    emu = make_emulator(think_time=0.0)  # no virtual think time: every limit is judged in real time
    await emu.start()
    citizen_id = emu.add_bot(CITIZEN_TOKEN, "bench_bot", "Bench")
    backoffice_id = emu.add_bot(BACKOFFICE_TOKEN, "bench_petugas_bot", "Bench Petugas")
    bo_state = emu.bot(BACKOFFICE_TOKEN)
    child = BotProcess("app", app_args(emu.base_url, url, send_rate=sc.rate,
                                       pacer_burst=pacer_burst))
    active_n = active if sc.active else 0
    try:
        await child.start()
        await register_officers(url, officers, active_n)
        alerted = []
        for i in range(officers):
            emu.add_user(OFFICER_BASE + i, first_name=f"Petugas{i}", language_code="en", bot_token=BACKOFFICE_TOKEN)
            emu.private_chat(bo_state, OFFICER_BASE + i, create=True)  # they pressed Start once
            alerted.append(OFFICER_BASE + i)
        busy = []
        for i in range(active_n):
            busy.append(emu.add_user(ACTIVE_BASE + i, first_name=f"Dinsos{i}", language_code="en",
                                     bot_token=BACKOFFICE_TOKEN))
            emu.private_chat(bo_state, ACTIVE_BASE + i, create=True)
        watch = emu.watch_sends(backoffice_id, set(alerted))
        people = [emu.add_user(RESIDENT_BASE + i, first_name=f"Warga{i}", language_code="id", bot_token=CITIZEN_TOKEN)
                  for i in range(residents)]
        reporters = [emu.add_user(REPORTER_BASE + i, first_name=f"Pelapor{i}", language_code="id",
                                  bot_token=CITIZEN_TOKEN) for i in range(reports)]

        # Phase 0: the reporters fill in their reports up to the review card (this also warms the app up).
        first_round, round_steps = counts["first"], counts["round"]
        prep = await asyncio.gather(*(play(emu, r, citizen_id, counts["prep_steps"], counts["prep"], think=THINK)
                                      for r in reporters))
        errors = [r.error for r in prep if r.error]
        # Phase 1, no backlog: every resident does a first round (/start, a report, cancel; not timed),
        # then one timed round. Starts are staggered over one pause so that the residents' taps are
        # spread out, as they are in phase 2 (the same stagger there).
        def staggered(index: int, coroutine):
            async def later():
                await asyncio.sleep(index * THINK / max(1, residents))  # load shaping, not timing
                return await coroutine
            return later()

        warm = await asyncio.gather(*(staggered(i, play(emu, u, citizen_id, first_round[0], first_round[1],
                                                        think=THINK)) for i, u in enumerate(people)))
        errors += [r.error for r in warm if r.error]
        base_runs = await asyncio.gather(*(staggered(i, play(emu, u, citizen_id, round_steps[0], round_steps[1],
                                                             think=THINK)) for i, u in enumerate(people)))
        errors += [r.error for r in base_runs if r.error]
        baseline = [s.first for r in base_runs for s in r.results]

        # Phase 2: both reports sent at once; residents keep going and officers keep asking while it drains.
        drained = asyncio.Event()
        meter = CpuMeter(child.pid)
        meter.start()
        t_send = time.perf_counter()
        send = counts["send_step"]
        for r in reporters:
            send.real(r)

        async def resident_rounds(user) -> list:
            results = []
            while not drained.is_set():
                run = await play(emu, user, citizen_id, round_steps[0], round_steps[1], think=THINK,
                                 stop=drained.is_set, record=lambda: not drained.is_set())
                results += run.results
                if run.error:
                    errors.append(run.error)
                    break
            return results

        async def officer_asks(user) -> int:
            asked = 0
            while not drained.is_set():
                user.send_text("/tugas")
                asked += 1
                with contextlib.suppress(TimeoutError):  # the officer's pause; ends with the drain
                    await asyncio.wait_for(drained.wait(), THINK)
            return asked

        loops = [asyncio.ensure_future(staggered(i, resident_rounds(u))) for i, u in enumerate(people)]
        if analyze and target.kind == "postgres":
            async def analyze_when_queued() -> None:
                await watch.wait(1, owed)  # the first alert: the rows are committed
                await analyze_outbox(url)
            analyzer = asyncio.ensure_future(analyze_when_queued())
        askers = [asyncio.ensure_future(officer_asks(u)) for u in busy]
        limit = owed / min(sc.rate, 30.0) * 3 + 120
        complete = await watch.wait(owed, limit)
        t_end = watch.times[-1] if watch.times else time.perf_counter()
        drained.set()
        if analyze and target.kind == "postgres":
            analyzer.cancel()
        bo_sends = sum(1 for t in emu.sends_at.get(backoffice_id, []) if t_send <= t <= t_end)
        cpu = meter.stop()
        during = [s.first for results in await asyncio.gather(*loops) for s in results]
        asked = sum(await asyncio.gather(*askers))
        figures = await wait_outbox_settled(url)
        bot_figures = await child.stop()
    except BaseException:
        await child.kill()
        raise
    finally:
        await emu.stop()

    # Every officer: each report's alert exactly once, and one pin per report.
    tickets = figures["tickets"][:reports] if len(figures["tickets"]) >= reports else figures["tickets"]
    lost = dup = 0
    for uid in alerted:
        chat = emu.private_chat(bo_state, uid)
        messages = [m for m in chat.messages if m.from_bot]
        heads = [(m.text or "").split("\n", 1)[0] for m in messages if m.text]
        for ticket in tickets:
            got = sum(1 for h in heads if ticket in h)
            lost += max(0, 1 - got)
            dup += max(0, got - 1)
        pins = sum(1 for m in messages if m.location)
        lost += max(0, reports - pins)
        dup += max(0, pins - reports)
    if len(tickets) < reports:
        lost += (reports - len(tickets)) * officers * 2
    first_alert = watch.times[0] if watch.times else float("nan")
    return {
        "scenario": sc, "owed": owed, "delivered": len(watch.times), "complete": complete,
        "drain": t_end - t_send, "drain_from_first": t_end - first_alert, "bo_sends": bo_sends, "lost": lost,
        "duplicated": dup,
        "r429_backoffice": emu.status_count(backoffice_id, 429), "r429_citizen": emu.status_count(citizen_id, 429),
        "citizen_429_chats": sorted({c.chat_id for c in emu.calls if c.bot_id == citizen_id and c.status == 429}),
        "backoffice_429_alerted": sum(1 for c in emu.calls if c.bot_id == backoffice_id and c.status == 429
                                      and c.chat_id is not None and OFFICER_BASE <= c.chat_id < ACTIVE_BASE),
        "baseline": baseline, "during": during, "errors": errors, "asked": asked, "outbox": figures["outbox"],
        "cpu": cpu, "child": bot_figures, "warnings": child.warnings(), "stderr": child.stderr_tail(6),
    }


def report(r: dict, officers: int, reports: int) -> None:
    sc: Scenario = r["scenario"]
    owed = r["owed"]
    minimum = owed / 30.0
    floor = owed / sc.rate
    print(f"  [{sc.name}] {sc.what}")
    status = "all delivered" if r["complete"] else f"INCOMPLETE: {r['delivered']}/{owed} delivered"
    print(f"      drain {r['drain']:.1f} s from the Send taps to the last alert ({r['drain_from_first']:.1f} s from "
          f"the first alert); {status}")
    print(f"      backoffice bot sent {r['bo_sends']} messages in that time (alerts and replies): "
          f"{r['bo_sends'] / r['drain']:.1f}/s of its 30/s")
    if r["bo_sends"] > owed:
        # Replies to the busy officers share the bot's 30/s (and go first): the alerts can only
        # have what is left, so the bound for the drain counts every message the bot sent.
        shared = r["bo_sends"] / 30.0
        print(f"      with the replies: {r['bo_sends']} messages at 30/s take at least {shared:.1f} s; "
              f"drain / that = {r['drain'] / shared:.3f}")
    print(f"      theoretical minimum {minimum:.1f} s ({owed} at 30/s; per chat {2 * reports} at 1/s = "
          f"{2 * reports - 1} s): drain / minimum = {r['drain'] / minimum:.3f} "
          f"({'within' if r['drain'] <= 1.1 * minimum else 'NOT within'} 10%); from the first alert "
          f"{r['drain_from_first'] / minimum:.3f} "
          f"({'within' if r['drain_from_first'] <= 1.1 * minimum else 'NOT within'} 10%); "
          f"outbox floor at {sc.rate:g}/s = {floor:.1f} s ({floor / minimum:.2f} x minimum)")
    print(f"      429s: backoffice bot {r['r429_backoffice']} ({r['backoffice_429_alerted']} on alerts, the rest on "
          f"replies), citizen bot {r['r429_citizen']}; lost {r['lost']}, duplicated {r['duplicated']}; "
          f"backoffice outbox rows by status {r['outbox']}")
    if r["citizen_429_chats"]:
        kinds = ["reporter" if c >= REPORTER_BASE else "resident" for c in r["citizen_429_chats"]]
        print(f"      citizen 429s were in {len(kinds)} chats ({', '.join(sorted(set(kinds)))}): per-chat limit "
              f"(1/s, bursts of 3), retried by RetryMiddleware")
    b, d = r["baseline"], r["during"]
    print(f"      residents' reply time, no backlog: {pct_ms(b)} (n={len(b)})")
    print(f"      residents' reply time, during drain: {pct_ms(d)} (n={len(d)}); "
          f"p95 ratio {percentile(d, 95) / percentile(b, 95):.2f}")
    if sc.active:
        print(f"      busy officers sent {r['asked']} /tugas during the drain")
    taken = r["child"].get("pacer_taken")
    if taken:
        print(f"      shared budget: tokens taken {taken}")
    print(f"      outbox worker errors {r['child'].get('outbox_errors')}; bot log warnings/errors {r['warnings']}")
    print(f"      {cpu_line(r['cpu'])}")
    if r["errors"]:
        print(f"      !! {len(r['errors'])} resident errors; first: {r['errors'][0]}")
    sys.stdout.flush()


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__.split("\n")[0])
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=2000, help="messages owed: 2 per officer per report")
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--active-officers", type=int, default=20)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--pacer-burst", type=float, default=None,
                        help="burst of the shared send budget (lapor/pacing.py's default otherwise)")
    parser.add_argument("--analyze", action="store_true",
                        help="diagnostic, PostgreSQL: ANALYZE outbox once the alerts are queued")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 50 officers, 200 alerts, 5 residents, 5 busy officers, scenarios base,busy")
    ns = parser.parse_args(argv)
    if ns.quick:
        ns.officers, ns.alerts, ns.residents, ns.active_officers = 50, 200, 5, 5
        if "--scenarios" not in " ".join(argv):
            ns.scenarios = "base,busy"
    if ns.alerts % (2 * ns.officers):
        parser.error("--alerts must be a multiple of 2 x --officers (each report owes each officer 2 messages)")
    reports = ns.alerts // (2 * ns.officers)
    print_header("bench.dispatch: alerts owed to officers, drained under Telegram's limits", ["bench.dispatch", *argv])
    databases = ["sqlite", "postgres"] if ns.database == "both" else [ns.database]
    if "postgres" in databases:
        why = await postgres_available()
        if why:
            print(f"PostgreSQL not available ({why}): skipped")
            databases.remove("postgres")
    prep = report_steps(send=False)
    send = report_steps(send=True)[-1]
    round_steps = prep[1:] + [cancel_step()]  # "Make a report" ... review card, then cancel
    calibration = await calibrate_real_flow([prep[0], *round_steps, *round_steps])
    one = calibration[1:1 + len(round_steps)]
    if calibration[1 + len(round_steps):] != one:
        raise SystemExit(f"a second round answers differently: {calibration}")
    counts = {
        "first": ([prep[0], *round_steps], [calibration[0], *one]),
        "round": (round_steps, one),
        "prep_steps": prep, "prep": [calibration[0], *one[:len(prep) - 1]],
        "send_step": send,
    }
    print(f"{ns.officers} officers, {reports} reports -> {ns.alerts} backoffice messages owed "
          f"({2 * reports} per officer); {ns.residents} residents; calibration per step "
          f"{dict(zip(('start', *(s.name for s in round_steps)), [calibration[0], *one], strict=True))}\n", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    results = []
    for database in databases:
        target = DbTarget(database, tmp)
        print(f"-- database: {database}")
        try:
            for name in [x.strip() for x in ns.scenarios.split(",") if x.strip()]:
                sc = SCENARIOS[name]
                r = await run_scenario(sc, target=target, officers=ns.officers, reports=reports,
                                       residents=ns.residents, active=ns.active_officers, counts=counts,
                                       pacer_burst=ns.pacer_burst, analyze=ns.analyze)
                report(r, ns.officers, reports)
                results.append((database, r))
                print(flush=True)
        finally:
            await target.cleanup()
    print("== summary (drain / theoretical minimum, from the Send taps and from the first alert; target <= 1.10, "
          "no 429s, nothing lost)")
    print(f"  {'db':8} {'scenario':11} {'drain s':>8} {'/min':>6} {'/min 1st':>8} {'429 bo':>6} {'429 cit':>7} "
          f"{'lost':>5} {'dup':>4} {'p95 base':>9} {'p95 drain':>9} {'/all sent':>9}")
    for database, r in results:
        minimum = r["owed"] / 30.0
        # Against the bound that counts the replies sent alongside (the busy scenarios).
        with_replies = r["drain"] / (max(r["bo_sends"], r["owed"]) / 30.0)
        print(f"  {database:8} {r['scenario'].name:11} {r['drain']:>8.1f} {r['drain'] / minimum:>6.3f} "
              f"{r['drain_from_first'] / minimum:>8.3f} "
              f"{r['r429_backoffice']:>6} {r['r429_citizen']:>7} {r['lost']:>5} {r['duplicated']:>4} "
              f"{percentile(r['baseline'], 95) * 1000:>6.0f} ms {percentile(r['during'], 95) * 1000:>6.0f} ms "
              f"{with_replies:>9.3f}")
    bad = any(r["lost"] or r["duplicated"] or not r["complete"] for _, r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
