"""Shared helpers of the benchmarks: machine facts, timing, scratch databases, and a database grown
step by step with realistic report history (GrowingHistory, on the product's generator in
lapor/seed.py, which `lapor seed` uses too).
"""
from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.lifecycle import OPEN_STATES
from core.region import RegionConfig
from db.models import AuditEvent, Report
from db.pg_admin import drop_database, recreate_database
from lapor.seed import DEFAULT_SEED, HistoryGenerator

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


# ------------------------------------------------------------------------------------ machine

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_lines() -> list[str]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} cores (load average {' '.join(f'{x:.2f}' for x in load)})",
        f"Python {sys.version.split()[0]} ({platform.python_implementation()}), {platform.system()} "
        f"{platform.release()}",
    ]


async def database_version(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return "SQLite " + (await conn.execute(text("select sqlite_version()"))).scalar_one()
        return "PostgreSQL " + (await conn.execute(text("show server_version"))).scalar_one()


# ------------------------------------------------------------------------------------ timing

async def median_time(fn: Callable[[], Awaitable[Any]], reps: int, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of `reps` runs of fn() (after `warmup` runs not counted), in seconds."""
    for _ in range(warmup):
        await fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_count(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    def line(r):
        cells = enumerate(zip(r, widths, strict=True))
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in cells)
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *[line(r) for r in rows]])


# ------------------------------------------------------------------------------------ databases

# One helper for tests and benchmarks alike (db/pg_admin.py), under the names the scripts use.
recreate_pg_database = recreate_database
drop_pg_database = drop_database


# ------------------------------------------------------------------------------------ history

@dataclass
class GrowStats:
    added: int
    seconds: float
    reports: int
    events: int
    open_reports: int


@dataclass
class GrowingHistory:
    """Grows one database to a total number of reports, step by step, with the product's generator
    of synthetic history (lapor/seed.py: what each report's history holds).

    The first step writes a fixed "current load" (the last `recent_days` days at `recent_per_day`
    reports a day, plus `stale_open` forgotten reports still open from long ago); every step then
    spreads the rest over the `years` before that. So yesterday, last month and the open queue hold
    the same work at every size, and only the history behind them grows: a query whose time grows
    with the total is one that reads history it does not need.
    """

    region: RegionConfig
    now: datetime
    recent_per_day: int = 40
    recent_days: int = 62
    stale_open: int = 30
    years: float = 3.0
    seed: int = DEFAULT_SEED

    recent_tickets: list[str] = field(init=False, default_factory=list)
    old_tickets: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.gen = HistoryGenerator(self.region, self.now, since=self.now - timedelta(days=365 * self.years),
                                    seed=self.seed)
        self.rng = random.Random(self.seed + 1)

    def _sample_ticket(self, ticket: str, created: datetime) -> None:
        """Keeps up to 200 tickets of the last week and 200 over a year old, for the lookups."""
        age = self.now - created
        target = self.recent_tickets if age < timedelta(days=7) else self.old_tickets if age > timedelta(days=365) \
            else None
        if target is None:
            return
        if len(target) < 200:
            target.append(ticket)
        elif self.rng.random() < 0.01:
            target[self.rng.randrange(200)] = ticket

    async def grow(self, engine: AsyncEngine, total: int, progress: Callable[[str], None] | None = None) -> GrowStats:
        t0 = time.perf_counter()
        existing = self.gen.reports_added
        if total <= existing:
            raise ValueError(f"the database already holds {existing} reports")
        remaining = total - existing
        history_end = self.now - timedelta(days=self.recent_days)

        def report(done: int) -> None:
            if progress:
                progress(f"  {self.gen.reports_added:>9,} reports written ({time.perf_counter() - t0:.0f} s)")

        if existing == 0:
            recent = min(remaining, self.recent_days * self.recent_per_day)
            stale = min(self.stale_open, remaining - recent)
            await self.gen.add(engine, recent, history_end, self.now, observe=self._sample_ticket, progress=report)
            await self.gen.add(engine, stale, self.gen.since, history_end, forgotten=True,
                               observe=self._sample_ticket)
            remaining -= recent + stale
        await self.gen.add(engine, remaining, self.gen.since, history_end, observe=self._sample_ticket,
                           progress=report)
        await self.gen.finish(engine)
        async with engine.connect() as conn:
            n_reports = (await conn.execute(select(func.count()).select_from(Report))).scalar_one()
            n_events = (await conn.execute(select(func.count()).select_from(AuditEvent))).scalar_one()
            n_open = (await conn.execute(select(func.count()).select_from(Report)
                                         .where(Report.state.in_(list(OPEN_STATES))))).scalar_one()
        return GrowStats(total - existing, time.perf_counter() - t0, n_reports, n_events, n_open)


def run(coro) -> Any:
    return asyncio.run(coro)
