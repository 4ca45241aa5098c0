"""The supervisors' dashboard at scale: its Today page, Reports list and Map data at 10k, 100k, 1M reports.

The same database, growth and timing as bench/scale.py (one database grown step by step with the
product's generator, the same recent load at every size; median of --reps runs after two warm-up
runs, each on a fresh session as the app's pages use them; growth t(size)/t(first size); SELECT 1
as the noise floor). What it times is what the dashboard's pages call, each as a Satpol PP
supervisor (their agency's reports, about 60% of all) and as the region-wide auditor (every
report; no scope clause at all):

  Today, today / last 30 days     core.today.today (the / page, period "today" and "30d")
  list ...                        core.report_list.list_reports, first page of 50 and its count
                                  (capped at 10,000): newest first with no filter; states baru and
                                  diterima, most overdue first; beggars in Pandaan (4% of all
                                  reports); the dates of last week; the closed reports; a word of
                                  the descriptions ("tisu", in one report in twenty), two words,
                                  and a word no report has; and the second page of the unfiltered
                                  list, through its cursor
  map counts / map pins           core.map_data.area_counts and report_pins (/peta/data), with no
                                  filter, the last 30 days (the map's first view) and the open
                                  states

How to read it: every operation but the unfiltered map counts reads a bounded part of the
history (a period, the open states, a page of 50, a count that stops at 10,001), so its growth
should stay within SELECT 1's noise. The list's capped count reads up to 10,001 rows: at 10k it
counts fewer than at 1M, so a filtered list may grow a little up to the cap and no further. A word
is found through the text index (db/text_search.py, migration 0011): the reports holding it are
read from the index, not the descriptions. The map's counts with no filter count every report in
scope, the whole history, and grow with it by nature.

On PostgreSQL the grown tables are vacuumed before the timing (what autovacuum does within minutes
of a bulk load), so index-only scans read no table pages, as in a database that has been running.

    .venv/bin/python -m bench.dashboard --quick                       # 2k, 5k on SQLite, a smoke run
    .venv/bin/python -m bench.dashboard --database both               # 10k, 100k, 1M on both databases
    .venv/bin/python -m bench.dashboard --database postgres --explain # with the query plans at 1M
    .venv/bin/python -m bench.dashboard --revision 0010               # without migration 0011
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bench._data import GrowingHistory
from bench.scale import AUDITOR, SUPERVISOR, Operations, main
from core.lifecycle import OPEN_STATES
from core.map_data import area_counts, report_pins
from core.officers import OfficerInfo
from core.region import RegionConfig
from core.report_list import ReportFilter, Sort, list_reports
from core.today import today

CATEGORY, KECAMATAN = "pengemis", "35.14.11"  # beggars in Pandaan, a market town: 4% of all reports
WORD, NO_WORD = "tisu", "odong"  # "Anak kecil berjualan tisu di lampu merah" (5%); a word nobody wrote


class DashboardOperations(Operations):
    """What the dashboard's pages call, each on a fresh session (Operations.select1 is the floor)."""

    def __init__(self, engine: AsyncEngine, region: RegionConfig, now: datetime, gen: GrowingHistory) -> None:
        super().__init__(engine, region, now, gen)
        local_today = now.astimezone(region.tz).date()
        monday = local_today - timedelta(days=local_today.weekday() + 7)
        self.filters = {
            "newest first": ReportFilter(),
            "baru+diterima, most overdue first": ReportFilter(states=("baru", "diterima"), sort=Sort.DUE),
            "category + kecamatan": ReportFilter(category=CATEGORY, kecamatan_code=KECAMATAN),
            "last week": ReportFilter(date_from=monday, date_to=monday + timedelta(days=6)),
            "closed (selesai), newest first": ReportFilter(states=("selesai",)),
            f'text "{WORD}"': ReportFilter(text=WORD),
            f'text "{WORD} lampu" (two words)': ReportFilter(text=f"{WORD} lampu"),
            f'text "{NO_WORD}" (no match)': ReportFilter(text=NO_WORD),
        }
        self.month = ReportFilter(date_from=local_today - timedelta(days=29), date_to=local_today)
        self.open = ReportFilter(states=tuple(sorted(OPEN_STATES)))
        self.cursors: dict[int, str | None] = {}

    async def settle(self) -> None:
        if self.engine.dialect.name == "postgresql":
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM (ANALYZE) reports")

    def all(self) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
        ops: list[tuple[str, Callable[[], Awaitable[object]]]] = [("SELECT 1 (round trip)", self.select1)]
        for who, actor in (("supervisor", SUPERVISOR), ("auditor", AUDITOR)):
            def add(name: str, fn: Callable[[], Awaitable[object]], who: str = who) -> None:
                ops.append((f"{name}, {who}", fn))
            add("Today, today", lambda a=actor: self.today(a, "today"))
            add("Today, last 30 days", lambda a=actor: self.today(a, "30d"))
            for name, f in self.filters.items():
                add(f"list, {name}", lambda a=actor, f=f: self.list_page(a, f))
            add("list, newest first, page 2", lambda a=actor: self.second_page(a))
            add("map counts, no filter", lambda a=actor: self.counts(a, ReportFilter()))
            add("map counts, last 30 days (first visit)", lambda a=actor: self.counts(a, self.month))
            add("map counts, open states", lambda a=actor: self.counts(a, self.open))
            add("map pins, no filter", lambda a=actor: self.pins(a, ReportFilter()))
            add("map pins, open states", lambda a=actor: self.pins(a, self.open))
        return ops

    async def today(self, actor: OfficerInfo, period: str) -> None:
        async with self.sm() as session:
            await today(session, self.region, actor=actor, period=period, now=self.now)

    async def list_page(self, actor: OfficerInfo, f: ReportFilter, after: str | None = None) -> str | None:
        async with self.sm() as session:
            page = await list_reports(session, self.region, actor=actor, f=f, now=self.now, after=after)
        assert page.total >= len(page.rows)
        return page.next_after

    async def second_page(self, actor: OfficerInfo) -> None:
        if actor.id not in self.cursors:  # the first page's cursor, read once (in the warm-up)
            self.cursors[actor.id] = await self.list_page(actor, ReportFilter())
        await self.list_page(actor, ReportFilter(), after=self.cursors[actor.id])

    async def counts(self, actor: OfficerInfo, f: ReportFilter) -> None:
        async with self.sm() as session:
            await area_counts(session, self.region, actor=actor, f=f, now=self.now)

    async def pins(self, actor: OfficerInfo, f: ReportFilter) -> None:
        async with self.sm() as session:
            await report_pins(session, self.region, actor=actor, f=f, now=self.now)


if __name__ == "__main__":
    main(DashboardOperations, __doc__ or "", "The dashboard at scale", "bench_dashboard")
