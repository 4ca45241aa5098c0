"""Memory: the app process's RSS with 10,000 half-finished reports in progress.

The real app (lapor.app.App: both bots, aiogram polling over HTTP, the outbox workers, the
scheduler) runs in a child process against the project's Bot API emulator, which runs here in the
parent with the residents, so the emulator's own memory is not counted. Each resident opens the
bot with the deep link `/start lapor`, chooses a category (Pengemis), sends a pin, picks the
kecamatan and types a landmark, and stops there, half way through a report: the draft and the
conversation state sit in the FSM storage (by default SqlStorage: the database, with a
write-through LRU cache of the most recently active chats in the process; RedisStorage with
--storage redis). The scheduler is off in the app process (nothing to escalate or summarise).

The child's RSS (VmRSS from /proc/<pid>/status, after a gc.collect()) is read:

  fresh start          the app started on an empty database, before any traffic
  baseline             after a few warm-up residents went through the same steps (code paths
                       loaded, pools and caches warm): the figure the drafts are measured against
  with N drafts        after N more residents stopped half way
  after a restart      a new app process on the same database (the drafts are kept, not loaded)

How to read it: "per draft" is (RSS with N drafts - baseline) / N, the memory a resident's
half-finished report costs the process for as long as it is kept; the ratio is RSS with N drafts
over the baseline. "cached" is how many conversations SqlStorage holds in memory (bounded by its
cache_size), "stored per draft" the drafts' own size as JSON in the database or Redis. RSS moves
in pages, and SQLite page caches and allocator arenas fill up early and then stay, so a small run
(--drafts 200) overstates the cost per draft; per-draft figures under a few hundred bytes are
noise. With --trace N the app runs under tracemalloc (much slower) and prints what grew.

    .venv/bin/python -m bench.memory                      # 10,000 drafts, SqlStorage on SQLite
    .venv/bin/python -m bench.memory --drafts 2000        # quicker
    .venv/bin/python -m bench.memory --storage both       # SqlStorage, then RedisStorage
    .venv/bin/python -m bench.memory --database postgres  # the database on PostgreSQL
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench._data import (
    DEFAULT_PG,
    drop_pg_database,
    fmt_count,
    machine_lines,
    recreate_pg_database,
    table,
)

CITIZEN_TOKEN = "111111:BENCH-CITIZEN-TOKEN"
BACKOFFICE_TOKEN = "222222:BENCH-BACKOFFICE-TOKEN"
PIN = (-7.70, 112.80)  # inside the Pasuruan bounding box; no boundaries bundled: the bot asks the kecamatan
STEP_TIMEOUT = 120.0


def rss_kib(pid: int | str = "self") -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


# ------------------------------------------------------------------------------------ child

async def serve(args) -> None:
    """The app process: starts App, then answers 'stats' and 'stop' on stdin with JSON lines."""
    from lapor.app import App
    from lapor.fsm_storage import SqlStorage
    from lapor.settings import Settings

    settings = Settings(citizen_bot_token=CITIZEN_TOKEN, backoffice_bot_token=BACKOFFICE_TOKEN,
                        database_url=args.db, telegram_api_url=args.api, redis_url=args.redis or None,
                        redis_prefix=args.redis_prefix, _env_file=None)
    if args.trace:
        import tracemalloc

        tracemalloc.start(args.trace)
    # The scheduler (escalations, summaries) has nothing to do without reports; off, so that a
    # start followed at once by a stop does not cancel its catch-up run half way.
    app = App(settings, poll_timeout=5, run_scheduler=False)
    await app.start()
    base_snapshot = None
    loop = asyncio.get_running_loop()

    def say(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    say({"ready": True})
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "stats":
            gc.collect()
            storages = [r.dispatcher.storage for r in app.runtimes]
            cached = sum(len(s._cache) for s in storages if isinstance(s, SqlStorage))
            say({**rss_kib(), "cached": cached})
        elif line == "snap":
            import tracemalloc

            gc.collect()
            base_snapshot = tracemalloc.take_snapshot()
            say({"snap": True})
        elif line == "top":
            import tracemalloc

            gc.collect()
            diff = tracemalloc.take_snapshot().compare_to(base_snapshot, "traceback")
            say({"top": [[d.size_diff, d.count_diff, [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}"
                                                      for f in d.traceback]] for d in diff[:15]]})
        else:  # "stop" or EOF
            await app.stop()
            say({"stopped": True})
            return


class Child:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, db: str, api: str, redis: str | None, prefix: str, trace: int = 0) -> Child:
        cmd = [sys.executable, "-m", "bench.memory", "--serve", "--db", db, "--api", api, "--redis-prefix", prefix,
               "--trace", str(trace)]
        if redis:
            cmd += ["--redis", redis]
        env = {**os.environ, "LOG_LEVEL": "WARNING"}
        proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE, env=env,
                                                    cwd=str(Path(__file__).resolve().parent.parent))
        child = cls(proc)
        assert (await child._read()).get("ready")
        return child

    async def _read(self) -> dict:
        line = await asyncio.wait_for(self.proc.stdout.readline(), 120)
        if not line:
            raise RuntimeError(f"the app process ended (exit code {await self.proc.wait()})")
        return json.loads(line)

    async def stats(self, command: str = "stats") -> dict:
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        return await self._read()

    async def stop(self) -> None:
        self.proc.stdin.write(b"stop\n")
        await self.proc.stdin.drain()
        await self._read()
        await asyncio.wait_for(self.proc.wait(), 60)


# ------------------------------------------------------------------------------------ residents

def _offers(message, label: str) -> bool:
    markup = message.reply_markup or {}
    for row in [*markup.get("inline_keyboard", []), *markup.get("keyboard", [])]:
        for button in row:
            if label in (button if isinstance(button, str) else button.get("text", "")):
                return True
    return False


async def _step(emu, user, act, expect: str) -> None:
    """Does `act`, then waits until a new bot message offers the button `expect`."""
    seen = len(user.messages)
    act()
    ok = await emu.wait_for(lambda: any(_offers(m, expect) for m in user.messages[seen:]), STEP_TIMEOUT)
    if not ok:
        raise RuntimeError(f"resident {user.id}: no {expect!r} within {STEP_TIMEOUT} s\n{user.transcript()}")


async def half_report(emu, user) -> None:
    """Category chosen, pin sent, kecamatan picked, landmark typed: the bot now asks how many people."""
    await _step(emu, user, lambda: user.send_text("/start lapor"), "Pengemis")
    await _step(emu, user, lambda: user.click("Pengemis"), "Kirim lokasi saya sekarang")
    await _step(emu, user, lambda: user.press("📍 Kirim lokasi saya sekarang", location=PIN), "Bangil")
    await _step(emu, user, lambda: user.click("Bangil"), "Lewati")
    await _step(emu, user, lambda: user.send_text(f"depan pasar, warung nomor {user.id % 1000}"), "2-3 orang")


async def drive(emu, first_id: int, count: int, concurrency: int, label: str) -> float:
    t0 = time.perf_counter()
    ids = iter(range(first_id, first_id + count))
    done = 0

    async def worker() -> None:
        nonlocal done
        for uid in ids:
            user = emu.add_user(uid, first_name=f"Warga {uid}", language_code="id")
            await half_report(emu, user)
            done += 1
            if done % 1000 == 0:
                print(f"  {label}: {done:,} residents half way ({time.perf_counter() - t0:.0f} s)", flush=True)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------------ parent

async def draft_bytes(url: str) -> tuple[int, int]:
    from sqlalchemy import text

    from db.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            cast = "data" if engine.dialect.name == "sqlite" else "data::text"
            rows, size = (await conn.execute(text(
                f"select count(*), coalesce(sum(length({cast})), 0) from fsm_records where state is not null"))).one()
    finally:
        await engine.dispose()
    return int(rows), int(size)


async def redis_bytes(url: str, prefix: str) -> tuple[int, int]:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys, size = 0, 0
        async for key in client.scan_iter(match=f"{prefix}:*:data"):
            keys += 1
            size += await client.strlen(key)
        return keys, size
    finally:
        await client.aclose()


async def redis_clear(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def measure(storage: str, args, emu) -> dict:
    from db import migrate

    tmp = None
    if args.database == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="bench_memory_"))
        url = f"sqlite+aiosqlite:///{tmp}/memory.sqlite3"
    else:
        url = await recreate_pg_database(args.pg_url, args.pg_database)
    redis = args.redis_url if storage == "redis" else None
    prefix = f"bench-memory-{os.getpid()}"
    if redis:
        await redis_clear(redis, prefix)
    await migrate.upgrade(url)
    print(f"\n=== storage {storage}, database {args.database} ===", flush=True)
    out: dict = {"storage": storage}
    try:
        child = await Child.start(url, emu.base_url, redis, prefix, args.trace)
        out["fresh"] = await child.stats()
        # Emulated users outlive a run (one emulator for all): each run has its own ids.
        first = 10_000_000 * (1 + ["sql", "redis"].index(storage))
        await drive(emu, first, args.warmup, min(args.concurrency, args.warmup), "warm-up")
        out["baseline"] = await child.stats()
        print(f"  baseline RSS {out['baseline']['VmRSS'] / 1024:.1f} MiB", flush=True)
        if args.trace:
            await child.stats("snap")
        out["seconds"] = await drive(emu, first + 1_000_000, args.drafts, args.concurrency, "drafts")
        out["loaded"] = await child.stats()
        print(f"  with {args.drafts:,} drafts RSS {out['loaded']['VmRSS'] / 1024:.1f} MiB "
              f"({out['loaded']['cached']:,} conversations cached)", flush=True)
        if args.trace:
            print("  allocations grown since the baseline (tracemalloc), largest first:")
            for size, count, frames in (await child.stats("top"))["top"]:
                print(f"    {size / 1024:>9,.0f} KiB {count:>8,} blocks  " + " <- ".join(reversed(frames[-4:])))
        await child.stop()
        child = await Child.start(url, emu.base_url, redis, prefix)
        out["restart"] = await child.stats()
        await child.stop()
        out["stored"] = await (redis_bytes(redis, prefix) if redis else draft_bytes(url))
    finally:
        if redis:
            await redis_clear(redis, prefix)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if args.database == "postgres":
            await drop_pg_database(args.pg_url, args.pg_database)
    return out


def summary(results: list[dict], args) -> str:
    header = ["storage", "fresh start", "baseline", f"{fmt_count(args.drafts)} drafts", "after restart",
              "per draft", "ratio", "cached", "stored per draft"]
    rows = []
    def mib(kib):
        return f"{kib / 1024:.1f} MiB"
    for r in results:
        base, loaded = r["baseline"]["VmRSS"], r["loaded"]["VmRSS"]
        per = (loaded - base) * 1024 / args.drafts
        stored_n, stored_bytes = r["stored"]
        rows.append([r["storage"], mib(r["fresh"]["VmRSS"]), mib(base), mib(loaded), mib(r["restart"]["VmRSS"]),
                     f"{per:,.0f} B", f"{loaded / base:.2f}x", f"{r['loaded']['cached']:,}",
                     f"{stored_bytes / max(1, stored_n):,.0f} B ({stored_n:,} rows)"])
    lines = [table(header, rows), ""]
    for r in results:
        lines.append(f"{r['storage']}: {args.drafts:,} residents half way in {r['seconds']:.0f} s "
                     f"({args.drafts * 5 / r['seconds']:,.0f} updates/s, concurrency {args.concurrency}); "
                     f"peak RSS (VmHWM) {r['loaded']['VmHWM'] / 1024:.1f} MiB")
    return "\n".join(lines)


async def main_async(args) -> list[dict]:
    from botapi_emulator import BotAPIEmulator, VirtualClock

    # Residents pause between taps (virtual time): per-chat flood limits judge a human pace.
    emu = BotAPIEmulator(clock=VirtualClock(follow_real_time=True), think_time=1.5)
    await emu.start()
    emu.add_bot(CITIZEN_TOKEN, "lapor_bench_bot", "Lapor PMKS Bench")
    emu.add_bot(BACKOFFICE_TOKEN, "lapor_bench_petugas_bot", "Petugas Lapor PMKS Bench")
    try:
        storages = ["sql", "redis"] if args.storage == "both" else [args.storage]
        return [await measure(s, args, emu) for s in storages]
    finally:
        await emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drafts", type=int, default=10_000, help="residents left half way through a report")
    parser.add_argument("--warmup", type=int, default=50, help="residents before the baseline is read")
    parser.add_argument("--concurrency", type=int, default=64, help="residents acting at once")
    parser.add_argument("--storage", choices=["sql", "redis", "both"], default="sql")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--trace", type=int, default=0, metavar="FRAMES",
                        help="diagnosis: tracemalloc in the app (slower), print what grew (FRAMES deep)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--pg-database", default="bench_memory")
    # The child process (the app):
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--redis-prefix", default="bench-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args))
        return
    t0 = time.perf_counter()
    results = asyncio.run(main_async(args))
    print("\n" + "=" * 100)
    print(f"Memory: RSS of the app process with {args.drafts:,} half-finished reports "
          f"(database {args.database})")
    for line in machine_lines():
        print(line)
    print()
    print(summary(results, args))
    print(f"\ntotal run time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
