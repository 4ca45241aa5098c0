"""Throughput of the citizen bot: N residents file a whole report at once, through real polling.

What runs: the project's Bot API emulator in this process (real HTTP on 127.0.0.1) and the bot
under test in a child process (see bench/harness/). N simulated residents each play the whole
report flow of tests/flows.py from `/start en` to "Send report" (14 updates: 5 messages, 9 button
presses) against

* real: `lapor.app.App` (citizen and backoffice bots, InboxPoller, outbox workers, SqlStorage,
  a fresh SQLite file or PostgreSQL database per run, the real clock), and
* bare (the baseline, measured in the same run just before it): a bare aiogram 3 bot, aiogram's own
  `Dispatcher.start_polling` with one handler answering every message and every button press with
  one message (and the project's RetryMiddleware on its session, so that a 429 costs it what it
  costs the real bot: a wait of retry_after, not a lost answer). Its residents send the same 14
  updates of the same kinds (text, location, button).

Every resident acts as soon as it has the bot's answer to its previous step (closed loop: the
figures are capacity, not a modelled arrival rate); at most 10 residents are in their first step at
once (a ramp, so N residents do not all start in one instant). Both runs use the same emulator
settings: Telegram's limits (1 message/s per chat with bursts of 3, 30 messages/s per bot with
bursts of 30, 20/min per group) judged on the emulator's VirtualClock following real time, and each
user action moves that clock on by --think seconds (1.5, as the end-to-end tests do): the pause a
person takes between taps, in virtual time only. So limits judge the bot's bursts in real time
(several messages answering one tap, or a bot answering 100 updates in one burst) and the residents'
pace in virtual time; in plain real time the per-bot 30/s would cap any bot at 30 answers/s, which
measures nothing. 429s are counted and printed. A third run, "bare, no 30/s", is the bare bot with
the per-bot limit lifted (per-chat limits kept): if it is faster than "bare", the emulator's limits
capped the baseline, and the ratio against it is printed too. A fourth, "bare, answering", is the
bare bot doing for a button press what Telegram asks of a bot and what a flow does to show its next
step: it answers the press (answerCallbackQuery, which stops the spinner) and edits the message, two
calls where the bare bot makes one (and leaves the spinner running). The real flow makes the same
two calls for a press.

How to read it:
  updates/s, reports/s   all residents' updates (N x 14) and reports over the wall time from the
                         first action to the last expected answer
  reply (first)          from a user's action to the bot's first call in that chat (send, edit)
  reply (complete)       ... to the last call the step makes when a resident is alone with the bot
                         (for "Send report": the receipt, which goes through the outbox worker)
  CPU                    cores busy during the run: the emulator+residents process, the bot's main
                         thread (the event loop) and its other threads (aiosqlite runs SQLite in
                         them), the whole machine. If the emulator process is near 1.0 in the bare
                         run, the emulator caps the baseline (and the ratio is flattering). Other
                         people's jobs share this machine: the last figure shows how busy it was.
  CPU per update         the bot process's CPU seconds / updates: the cost of one update, which
                         unlike updates/s does not depend on how much CPU others left us; and how
                         much of it the garbage collector took (wall time of its pauses).
  ratio real/bare        real updates/s divided by bare updates/s, same N, same database run;
                         target >= 0.5.

`--profile N` adds, after the measured runs of each database, one real run of N residents under
cProfile and prints where the bot's main thread spent its time.

    .venv/bin/python -m bench.throughput --quick
    .venv/bin/python -m bench.throughput --residents 50,200,1000 --database both
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bench.harness import BACKOFFICE_TOKEN, BARE_TOKEN, CITIZEN_TOKEN
from bench.harness.bot_process import BotProcess, app_args, print_profile
from bench.harness.databases import DbTarget, postgres_available
from bench.harness.emulator import make_emulator
from bench.harness.machine import CpuMeter, cpu_line, print_header
from bench.harness.residents import calibrate_real_flow, play, report_steps
from bench.harness.stats import pct_ms

USER_BASE = 7_000_000
# Residents in their first step at once: the bot's first answers (2 messages for /start) must fit
# the per-bot burst of 30 even when all N residents start together.
RAMP = 10


async def run_once(kind: str, n: int, *, steps, counts, think: float, db_url: str | None = None,
                   profile: str | None = None, timeout: float, per_bot_limit: bool = True,
                   gc_freeze: bool = False, poller_concurrency: int | None = None) -> dict:
    emu = make_emulator(think_time=think, per_bot_limit=per_bot_limit)
    await emu.start()
    bare = kind in ("bare", "answering")  # "answering": the bare bot answering presses as Telegram asks
    real = not bare  # "real", or "volatile": the real app with no durability
    token = BARE_TOKEN if bare else CITIZEN_TOKEN
    bot_id = emu.add_bot(token, "bench_bot", "Bench")
    if real:
        emu.add_bot(BACKOFFICE_TOKEN, "bench_petugas_bot", "Bench Petugas")
    users = [emu.add_user(USER_BASE + i, first_name=f"Warga{i}", language_code="id", bot_token=token)
             for i in range(n)]
    args = (["--api", emu.base_url] + (["--answer-presses"] if kind == "answering" else []) if bare
            else app_args(emu.base_url, db_url, profile=profile, gc_freeze=gc_freeze,
                          poller_concurrency=poller_concurrency, think=think, volatile=kind == "volatile"))
    if bare and profile:
        args += ["--profile", profile]
    child = BotProcess("bare" if bare else "app", args)
    try:
        await child.start()
        meter = CpuMeter(child.pid)
        meter.start()
        ramp = asyncio.Semaphore(RAMP)
        # A bare bot's answer is one call in the chat (the answer to a press is not addressed to it).
        runs = await asyncio.gather(*(play(emu, u, bot_id, steps, counts if real else None, bare=bare,
                                           timeout=timeout,
                                           ramp=ramp) for u in users))
        cpu = meter.stop()
        figures = await child.stop()
    except BaseException:
        await child.kill()
        raise
    finally:
        await emu.stop()
    wall = cpu["wall"]
    errors = [r.error for r in runs if r.error]
    first = [s.first for r in runs for s in r.results]
    done = [s.done for r in runs for s in r.results]
    updates = sum(len(r.results) for r in runs)
    receipts = 0
    if real:
        receipts = sum(1 for u in users if u.last_message and "Report received" in (u.last_message.text or ""))
    return {
        "kind": kind, "n": n, "per_bot_limit": per_bot_limit, "wall": wall, "updates": updates,
        "updates_s": updates / wall,
        "reports_s": (receipts if real else updates / len(steps)) / wall, "receipts": receipts,
        "first": first, "done": done, "errors": errors, "cpu": cpu, "child": figures,
        "r429": emu.status_count(bot_id, 429), "r400": emu.status_count(bot_id, 400),
        "warnings": child.warnings(), "stderr": child.stderr_tail(8) if errors or child.warnings() else "",
    }


def report(r: dict) -> None:
    label = {"bare": "bare aiogram", "answering": "bare, answering", "real": "real app   ",
             "volatile": "no durability"}[r["kind"]]
    if not r["per_bot_limit"]:
        label = "bare, no 30/s"
    print(f"  {label} N={r['n']:<5} {r['updates']} updates in {r['wall']:.1f} s: {r['updates_s']:.1f} updates/s, "
          f"{r['reports_s']:.2f} reports/s")
    print(f"      reply (first)    {pct_ms(r['first'])}")
    if r["kind"] in ("real", "volatile"):
        print(f"      reply (complete) {pct_ms(r['done'])}")
        print(f"      receipts {r['receipts']}/{r['n']} (read back from the emulator)")
    print(f"      429s: {r['r429']}, 400s: {r['r400']}; bot log warnings/errors: {r['warnings']}")
    print(f"      {cpu_line(r['cpu'])}")
    per_update = (r["cpu"]["bot_main_cpu"] + r["cpu"]["bot_other_cpu"]) * r["wall"] / max(1, r["updates"]) * 1000
    gc_ms = r["child"].get("gc_seconds", 0.0) * 1000 / max(1, r["updates"])
    main_ms = r["cpu"]["bot_main_cpu"] * r["wall"] / max(1, r["updates"]) * 1000
    print(f"      bot CPU per update: {per_update:.2f} ms (main thread {main_ms:.2f} ms), "
          f"of which garbage collection {gc_ms:.2f} ms ({r['child'].get('gc_collections')} collections by generation)")
    if r["errors"]:
        print(f"      !! {len(r['errors'])} residents did not finish; first: {r['errors'][0]}")
    if r["stderr"]:
        print("      bot stderr (tail):\n        " + r["stderr"].replace("\n", "\n        "))
    sys.stdout.flush()


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--residents", default="50,200,1000", help="comma-separated N (default 50,200,1000)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 residents")
    parser.add_argument("--think", type=float, default=1.5, help="virtual seconds per user action (default 1.5)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="after each database's runs, one real run of N residents under cProfile")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="the real app calls gc.freeze() once started (what lapor run could do)")
    parser.add_argument("--poller-concurrency", type=int, default=None,
                        help="experiment: updates each poller handles at once (lapor/polling.py's default otherwise)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a resident waits for one answer")
    ns = parser.parse_args(argv)
    ns_residents = [20] if ns.quick else [int(x) for x in ns.residents.split(",") if x.strip()]
    print_header("bench.throughput: N residents, whole report flow, real app vs bare aiogram",
                 ["bench.throughput", *argv])
    databases = ["sqlite", "postgres"] if ns.database == "both" else [ns.database]
    if "postgres" in databases:
        why = await postgres_available()
        if why:
            print(f"PostgreSQL not available ({why}): skipped")
            databases.remove("postgres")
    steps = report_steps()
    counts = await calibrate_real_flow(steps)
    print(f"calibration (one resident alone): {len(steps)} updates, bot calls per step "
          f"{dict(zip((s.name for s in steps), counts, strict=True))}")
    print(f"emulator: Telegram limits on a VirtualClock following real time, think time {ns.think} virtual s "
          "per action; bot in a child process\n", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-tp-"))
    summary = []
    for database in databases:
        target = DbTarget(database, tmp)
        print(f"-- database: {database}")
        try:
            for n in ns_residents:
                bare = await run_once("bare", n, steps=steps, counts=counts, think=ns.think, timeout=ns.timeout)
                report(bare)
                free = await run_once("bare", n, steps=steps, counts=counts, think=ns.think, timeout=ns.timeout,
                                      per_bot_limit=False)
                report(free)
                answering = await run_once("answering", n, steps=steps, counts=counts, think=ns.think,
                                           timeout=ns.timeout)
                report(answering)
                url = await target.fresh(f"bench_tp_{n}")
                real = await run_once("real", n, steps=steps, counts=counts, think=ns.think, db_url=url,
                                      timeout=ns.timeout, gc_freeze=ns.gc_freeze,
                                      poller_concurrency=ns.poller_concurrency)
                report(real)
                url = await target.fresh(f"bench_tp_{n}_volatile")
                volatile = await run_once("volatile", n, steps=steps, counts=counts, think=ns.think, db_url=url,
                                          timeout=ns.timeout, gc_freeze=ns.gc_freeze,
                                          poller_concurrency=ns.poller_concurrency)
                report(volatile)
                ratio = real["updates_s"] / bare["updates_s"]
                ratio_free = real["updates_s"] / free["updates_s"]
                verdict = "meets" if ratio >= 0.5 else "BELOW"
                print(f"  => N={n} {database}: ratio real/bare updates/s = {ratio:.3f} ({verdict} the 0.5 target); "
                      f"against the bare bot without the per-bot 30/s limit: {ratio_free:.3f}", flush=True)
                print(f"     against the bare bot answering presses as Telegram asks (answer + edit, 2 calls): "
                      f"{real['updates_s'] / answering['updates_s']:.3f}; that bot's own updates/s against the "
                      f"bare one's: {answering['updates_s'] / bare['updates_s']:.3f}")
                print("     durability: real/no-durability updates/s = "
                      f"{real['updates_s'] / volatile['updates_s']:.3f}; "
                      f"no-durability/bare = {volatile['updates_s'] / bare['updates_s']:.3f} (the flow itself)")
                if bare["r429"]:
                    print(f"     the emulator's per-bot limit (30/s, bursts of 30) capped the bare bot: {bare['r429']} "
                          f"429s, {bare['updates_s']:.0f} vs {free['updates_s']:.0f} updates/s without it")
                print(flush=True)
                summary.append((database, n, bare, free, answering, real, volatile, ratio, ratio_free))
            if ns.profile:
                path = str(tmp / f"profile-{database}.pstats")
                url = await target.fresh("bench_tp_profile")
                prof = await run_once("real", ns.profile, steps=steps, counts=counts, think=ns.think, db_url=url,
                                      profile=path, timeout=ns.timeout)
                print("-- profiled real run (cProfile slows it; figures not comparable):")
                report(prof)
                print_profile(path)
                print()
        finally:
            await target.cleanup()
    print("== summary (updates/s; ratio real/bare, target >= 0.5; 'free' = bare bot without the per-bot 30/s limit;"
          " 'answ.' = bare bot answering presses (answer + edit); 'volat.' = the real app with no durability,"
          " 'r/vol' = what durability leaves of its updates/s)")
    print(f"  {'db':8} {'N':>5} {'bare':>8} {'free':>8} {'answ.':>8} {'real':>8} {'volat.':>8} {'ratio':>6} "
          f"{'r/free':>6} {'r/answ':>6} {'r/vol':>6} "
          f"{'reports/s':>9} {'real p95':>9} {'bare p95':>9} {'emu CPU':>7}")
    from bench.harness.stats import percentile

    for database, n, bare, free, answering, real, volatile, ratio, ratio_free in summary:
        print(f"  {database:8} {n:>5} {bare['updates_s']:>8.1f} {free['updates_s']:>8.1f} "
              f"{answering['updates_s']:>8.1f} {real['updates_s']:>8.1f} {volatile['updates_s']:>8.1f} "
              f"{ratio:>6.3f} {ratio_free:>6.3f} "
              f"{real['updates_s'] / answering['updates_s']:>6.3f} {real['updates_s'] / volatile['updates_s']:>6.3f} "
              f"{real['reports_s']:>9.2f} "
              f"{percentile(real['first'], 95) * 1000:>6.0f} ms {percentile(bare['first'], 95) * 1000:>6.0f} ms "
              f"{max(bare['cpu']['emulator_cpu'], free['cpu']['emulator_cpu']):>7.2f}")
    failed = any(run["errors"] for row in summary for run in row[2:7])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
