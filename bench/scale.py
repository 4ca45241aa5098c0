"""Scale of data: does an operation cost more as the history of reports grows?

One database is grown step by step (by default to 10k, then 100k, then 1M reports) with realistic
history from the bundled region config (core/regions/pasuruan.toml): categories, their agencies,
kecamatan and desa, life-cycle states and the audit events the app writes for each step (see
lapor/seed.py, the generator `lapor seed` uses, and bench/_data.py's GrowingHistory). The first
step writes a fixed current load (the last 62 days at a steady rate, plus a few forgotten reports
still open from long ago); each later step adds only older history (up to three years back).
Yesterday, last month and the open queue therefore hold the same work at every size.

After each step it times, with fresh sessions as the app uses them (median of --reps runs after
two warm-up runs):

  SELECT 1                  a round trip to the database: the noise floor of the machine
  daily summary             core.summary.compute + render for yesterday (Period.DAILY)
  monthly summary           the same for last month (Period.MONTHLY)
  queue page                core.queue.open_reports, first page, as a Satpol PP supervisor opens /antrian
                            (newest first; and "most overdue first")
  escalation tick           core.escalation.escalate_due, which the scheduler runs every minute
  ticket lookup             what /lapor TICKET does in the backoffice (find_ticket, history,
                            alert_text), for a report of the last week and one over a year old

How to read it: the table gives each operation's median time at each size, then its growth
t(size)/t(first size). The daily summary and a queue page must stay near 1 (they read the same
rows at every size); a ratio that climbs with the size means a query that reads history it does not
need (a missing index, or a range without an upper bound). The monthly summary and the lookups
should stay near 1 too. A query that scans history grows with it: about 10x at 100k and 100x at
1M (the daily summary did, 150x, before migration 0005). SELECT 1's ratio shows how much the
machine's own noise moves the figures (other jobs share it): ratios of 2-3x that do not climb
from step to step, with SELECT 1 moving as much, are noise, not growth.

The current load is a quarter of the first size spread over 62 days (40 reports a day when the
first size is 10k); --stale-open sets how many forgotten reports stay open in the old history.

    .venv/bin/python -m bench.scale --quick                      # 2k, 5k on SQLite, a smoke run
    .venv/bin/python -m bench.scale                              # 10k, 100k, 1M on SQLite
    .venv/bin/python -m bench.scale --database both --explain    # also PostgreSQL; query plans
    .venv/bin/python -m bench.scale --revision 0004              # the schema before the scale indexes
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backoffice.alerts import alert_text
from bench._data import (
    DEFAULT_PG,
    GrowingHistory,
    database_version,
    drop_pg_database,
    fmt_count,
    fmt_seconds,
    machine_lines,
    median_time,
    recreate_pg_database,
    table,
)
from core.access import Role
from core.escalation import escalate_due
from core.i18n import translator
from core.officers import OfficerInfo
from core.queue import find_ticket, open_reports, report_with_history
from core.region import RegionConfig, load_region_config
from core.report_view import build_view
from core.summary import Period, compute, previous_window, render
from db import migrate
from db.engine import create_engine, create_sessionmaker

QUEUE_AGENCY = "satpolpp"
# Who asks: the queue and a ticket's history are read as an officer sees them, through the policy.
SUPERVISOR = OfficerInfo(id=1, telegram_id=1, chat_id=1, name="Kasatpol", agency=QUEUE_AGENCY,
                         role=Role.SUPERVISOR, areas=(), active=True, language="id", unreachable=False)
AUDITOR = OfficerInfo(id=2, telegram_id=2, chat_id=2, name="Inspektur", agency=QUEUE_AGENCY,
                      role=Role.AUDITOR, areas=(), active=True, language="id", unreachable=False)


class Operations:
    """The timed operations, each one call on a fresh session."""

    def __init__(self, engine: AsyncEngine, region: RegionConfig, now: datetime, gen: GrowingHistory) -> None:
        self.engine = engine
        self.sm = create_sessionmaker(engine)
        self.region = region
        self.tr = translator("id")
        self.daily = previous_window(region, Period.DAILY, now)
        self.monthly = previous_window(region, Period.MONTHLY, now)
        self.now = now
        self.gen = gen
        self.rng = random.Random(7)

    def tickets(self, which: str) -> itertools.cycle:
        pool = list(self.gen.recent_tickets if which == "recent" else self.gen.old_tickets)
        self.rng.shuffle(pool)
        return itertools.cycle(pool)

    def all(self) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
        recent, old = self.tickets("recent"), self.tickets("old")
        ops = [
            ("SELECT 1 (round trip)", self.select1),
            ("daily summary (yesterday)", lambda: self.summary(self.daily)),
            ("monthly summary (last month)", lambda: self.summary(self.monthly)),
            ("queue page 1, newest first", lambda: self.queue(False)),
            ("queue page 1, most overdue first", lambda: self.queue(True)),
            ("escalation tick (runs every minute)", self.escalate),
        ]
        if self.gen.recent_tickets:
            ops.append(("ticket lookup, report < 7 days old", lambda: self.lookup(next(recent))))
        if self.gen.old_tickets:
            ops.append(("ticket lookup, report > 1 year old", lambda: self.lookup(next(old))))
        return ops

    async def settle(self) -> None:
        """Before the timing at each size: nothing here (bench/dashboard.py vacuums)."""

    async def select1(self) -> None:
        async with self.sm() as session:
            (await session.execute(text("select 1"))).scalar_one()

    async def summary(self, win) -> str:
        async with self.sm() as session:
            result = await compute(session, self.region, win)
        return render(result, self.region, self.tr)

    async def queue(self, most_overdue_first: bool) -> None:
        async with self.sm() as session:
            lines, total = await open_reports(session, actor=SUPERVISOR, now=self.now, page=0,
                                              most_overdue_first=most_overdue_first)
        assert total >= len(lines)

    async def escalate(self) -> None:
        async with self.sm() as session:
            await escalate_due(session, region=self.region, now=self.now)

    async def lookup(self, ticket: str) -> str:
        """backoffice/handlers/queue.py one_report: the report, its history, its alert text (as the
        region-wide auditor, who may read any ticket the generator made)."""
        async with self.sm() as session:
            found = await find_ticket(session, actor=AUDITOR, ticket=ticket, now=self.now)
            report, _, _ = await report_with_history(session, actor=AUDITOR, report_id=found.id, now=self.now)
            view = await build_view(session, self.region, report, actor=AUDITOR)
            return alert_text(view, self.region, self.tr)


# What run_one times at each size: a class like Operations (bench/dashboard.py has another), whose
# all() lists (name, fn) with "SELECT 1" first.
OperationsFactory = Callable[[AsyncEngine, RegionConfig, datetime, GrowingHistory], Operations]


async def explain(engine: AsyncEngine, fn: Callable[[], Awaitable[object]]) -> list[str]:
    """The query plan of every SELECT fn() runs (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)."""
    captured: list[tuple[str, object]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().lower().startswith("select"):
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        await fn()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)
    out = []
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as conn:
        for statement, parameters in captured:
            if statement.strip().lower() == "select 1":
                continue
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
            rows = (await conn.exec_driver_sql(prefix + statement, parameters)).all()
            out.append("    " + " ".join(statement.split())[:230])
            for row in rows:
                out.append("      " + (row[-1] if sqlite else row[0]))
    return out


async def database_size(engine: AsyncEngine, sqlite_path: Path | None) -> str:
    if sqlite_path is not None:
        wal = sqlite_path.with_name(sqlite_path.name + "-wal")
        wal_mib = wal.stat().st_size / 2**20 if wal.exists() else 0
        return f"{sqlite_path.stat().st_size / 2**20:.0f} MiB (+ WAL {wal_mib:.0f} MiB)"
    else:
        async with engine.connect() as conn:
            total = (await conn.execute(text("select pg_database_size(current_database())"))).scalar_one()
    return f"{total / 2**20:.0f} MiB"


async def run_one(kind: str, args, region: RegionConfig, now: datetime, sizes: list[int],
                  operations: OperationsFactory = Operations) -> dict:
    tmp = None
    sqlite_path = None
    if kind == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="bench_scale_"))
        sqlite_path = tmp / "scale.sqlite3"
        url = f"sqlite+aiosqlite:///{sqlite_path}"
    else:
        url = await recreate_pg_database(args.pg_url, args.pg_database)
    print(f"\n=== {kind}: {url if kind != 'sqlite' else sqlite_path} ===", flush=True)
    await migrate.upgrade(url, args.revision)
    engine = create_engine(url)
    version = await database_version(engine)
    print(version, flush=True)
    recent_per_day = max(1, round(min(sizes) * 0.25 / 62))
    gen = GrowingHistory(region, now, recent_per_day=recent_per_day, stale_open=args.stale_open)
    results: dict[int, dict[str, float]] = {}
    facts: dict[int, str] = {}
    plans: list[str] = []
    try:
        for size in sizes:
            print(f"growing to {size:,} reports ...", flush=True)
            stats = await gen.grow(engine, size, progress=(lambda m: print(m, flush=True)) if args.verbose else None)
            size_text = await database_size(engine, sqlite_path)
            facts[size] = (f"{fmt_count(size)}: {stats.reports:,} reports, {stats.events:,} audit events, "
                           f"{stats.open_reports:,} open; {size_text}; written in {stats.seconds:.1f} s "
                           f"({stats.added / stats.seconds:,.0f} reports/s)")
            print("  " + facts[size], flush=True)
            ops = operations(engine, region, now, gen)
            await ops.settle()
            results[size] = {}
            for name, fn in ops.all():
                med, _ = await median_time(fn, args.reps, warmup=2)
                results[size][name] = med
                print(f"  {name:<52} {fmt_seconds(med):>10}", flush=True)
            if args.explain and size == sizes[-1]:
                for name, fn in ops.all()[1:]:
                    plans.append(f"  {name}:")
                    plans += await explain(engine, fn)
    finally:
        await engine.dispose()
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"(kept {sqlite_path})")
        if kind == "postgres" and not args.keep:
            await drop_pg_database(args.pg_url, args.pg_database)
    return {"kind": kind, "version": version, "results": results, "facts": facts, "plans": plans}


def report(run: dict, sizes: list[int]) -> str:
    results = run["results"]
    names = list(results[sizes[0]])
    header = ["operation", *(fmt_count(s) for s in sizes),
              *(f"{fmt_count(s)}/{fmt_count(sizes[0])}" for s in sizes[1:])]
    rows = []
    for name in names:
        base = results[sizes[0]][name]
        row = [name] + [fmt_seconds(results[s].get(name)) for s in sizes]
        row += [f"{results[s][name] / base:.2f}x" if name in results[s] else "-" for s in sizes[1:]]
        rows.append(row)
    lines = [f"--- {run['kind']} ({run['version']}): median time per operation, growth against "
             f"{fmt_count(sizes[0])} ---", table(header, rows), "", "data:"]
    lines += ["  " + run["facts"][s] for s in sizes]
    if run["plans"]:
        lines += ["", f"query plans at {fmt_count(sizes[-1])}:", *run["plans"]]
    return "\n".join(lines)


def main(operations: OperationsFactory = Operations, doc: str = __doc__ or "", title: str = "Scale of data",
         pg_database: str = "bench_scale") -> None:
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="total reports at each step, ascending")
    parser.add_argument("--quick", action="store_true", help="a smoke run: sizes 2000,5000 and 5 repetitions")
    parser.add_argument("--reps", type=int, default=9, help="timed repetitions per operation (median)")
    parser.add_argument("--stale-open", type=int, default=30, help="forgotten open reports in the old history")
    parser.add_argument("--explain", action="store_true", help="print the query plans at the largest size")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server (any database on it)")
    parser.add_argument("--pg-database", default=pg_database, help="scratch database (dropped and created)")
    parser.add_argument("--revision", default="head",
                        help="migrate only to this revision, e.g. 0004 to see the history scans before 0005")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    parser.add_argument("--verbose", action="store_true", help="progress of the bulk load")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.reps = "2000,5000", min(args.reps, 5)
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(sizes) or len(set(sizes)) != len(sizes):
        parser.error("--sizes must be ascending")
    region = load_region_config(None)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    t0 = time.perf_counter()
    runs = [asyncio.run(run_one(kind, args, region, now, sizes, operations)) for kind in kinds]
    print("\n" + "=" * 100)
    print(f"{title}: Lapor PMKS,", region.region.name, "config;", f"now = {now:%Y-%m-%d %H:%M} UTC")
    for line in machine_lines():
        print(line)
    for run in runs:
        print()
        print(report(run, sizes))
    print(f"\ntotal run time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
