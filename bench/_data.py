"""Shared helpers of the benchmarks: machine facts, timing, scratch databases, and a generator of
realistic report history (reporters, officers, reports, their audit events, donation pledges)
bulk-inserted with SQLAlchemy Core.

The history generator follows what the app writes (core/report_submit.py, core/report_actions.py,
core/my_reports.py): every report has a `submitted` event; most are acknowledged, set on the way
and closed with one of the agency's outcomes (some rated); a few are withdrawn, rejected, handed
over to another agency or merged as duplicates; a report whose next step would fall after "now"
stays in the state it reached, so recent reports are open and old ones closed.
"""
from __future__ import annotations

import asyncio
import math
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.lifecycle import OPEN_STATES
from core.region import RegionConfig
from core.tickets import format_ticket
from db.models import AuditEvent, DonationPledge, Officer, Report, Reporter
from db.pg_admin import drop_database, recreate_database

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

NOTES = ["Warga melapor ulang", "Sudah dikoordinasikan dengan desa", "Lokasi dicek, menunggu tim",
         "Keluarga dihubungi", "Perlu pendampingan lanjutan"]
LANDMARKS = ["depan pasar", "lampu merah alun-alun", "dekat masjid", "terminal", "pintu tol", "SPBU",
             "depan minimarket", "stasiun"]
DESCRIPTIONS = ["Dua anak mengemis di lampu merah", "Seorang lansia tidur di emperan toko",
                "Beberapa orang meminta-minta di parkiran", "Anak kecil berjualan tisu malam hari",
                "Orang dengan gangguan jiwa berjalan di jalan raya", "Pengamen anak di perempatan"]


@dataclass
class GrowStats:
    added: int
    seconds: float
    reports: int
    events: int
    open_reports: int


@dataclass
class HistoryGenerator:
    """Grows one database to a total number of reports, step by step.

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
    seed: int = 20261123
    batch: int = 20_000
    officers_per_agency: int = 6
    pledge_every: int = 40

    rng: random.Random = field(init=False)
    next_report: int = field(init=False, default=1)
    next_event: int = field(init=False, default=1)
    next_pledge: int = field(init=False, default=1)
    reporters: int = field(init=False, default=0)
    recent_tickets: list[str] = field(init=False, default_factory=list)
    old_tickets: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.tz = self.region.tz
        self.prefix = self.region.region.ticket_prefix
        self.counters: dict[str, int] = defaultdict(int)
        self.categories = list(self.region.categories)
        # Beggars and street children are most of the reports.
        base = {"pengemis": 30, "anak_jalanan": 25, "gelandangan": 15, "gelandangan_psikotik": 10}
        self.category_weights = [base.get(c.code, 5) for c in self.categories]
        self.kecamatan = [k.name for k in self.region.kecamatan]
        # Busy kecamatan (towns, main roads) get most reports: a Zipf-like weighting.
        self.kecamatan_weights = [1 / (i + 1) for i in range(len(self.kecamatan))]
        min_lon, min_lat, max_lon, max_lat = self.region.region.bbox or (112.55, -7.95, 113.10, -7.50)
        # Street corners: reports come back to the same few hundred places (hotspots).
        self.corners = [(self.rng.uniform(min_lat, max_lat), self.rng.uniform(min_lon, max_lon),
                         self.rng.choices(self.kecamatan, self.kecamatan_weights)[0]) for _ in range(300)]
        self.officers: dict[str, list[int]] = {}
        self.recent_ids: deque[tuple[int, str]] = deque(maxlen=64)
        self.span = timedelta(days=365 * self.years)

    # -------------------------------------------------------------------------- rows

    def _officer_rows(self) -> list[dict]:
        rows, oid = [], 1
        created = self.now - self.span - timedelta(days=30)
        for agency in self.region.agencies:
            ids = []
            for i in range(self.officers_per_agency + 1):
                role = "supervisor" if i == 0 else "officer"
                areas = [] if i == 0 else self.kecamatan[i - 1::self.officers_per_agency]
                rows.append(dict(id=oid, telegram_id=9_000_000 + oid, chat_id=9_000_000 + oid,
                                 name=f"Petugas {agency.code} {i}", agency=agency.code, role=role, areas=areas,
                                 active=True, language="id", unreachable=False, created_at=created))
                if role == "officer":
                    ids.append(oid)
                oid += 1
            self.officers[agency.code] = ids
        return rows

    def _reporter_rows(self, upto: int) -> list[dict]:
        created = self.now - self.span - timedelta(days=1)
        rows = [dict(id=i, telegram_id=100_000_000 + i, chat_id=100_000_000 + i, display_name=f"Warga {i}",
                     language="en" if i % 10 == 0 else "id", created_at=created, unreachable=False, banned=False,
                     deletion_requested_at=None)
                for i in range(self.reporters + 1, upto + 1)]
        self.reporters = upto
        return rows

    def _minutes(self, median: float, sigma: float) -> timedelta:
        return timedelta(minutes=median * math.exp(self.rng.gauss(0, sigma)))

    def _report(self, rid: int, created: datetime, stale: bool, events: list[dict]) -> dict:
        rng = self.rng
        cat = rng.choices(self.categories, self.category_weights)[0]
        urgent = rng.random() < 0.06
        agency = cat.primary
        response = cat.urgent_response_minutes if urgent else cat.response_minutes
        period = created.astimezone(self.tz).strftime("%y%m")
        self.counters[period] += 1
        ticket = format_ticket(self.prefix, period, self.counters[period])
        reporter_id = rng.randint(1, self.reporters)
        if rng.random() < 0.7:
            lat, lon, kecamatan = rng.choice(self.corners)
            lat, lon = lat + rng.uniform(-0.0004, 0.0004), lon + rng.uniform(-0.0004, 0.0004)
        else:
            lat = lon = None
            kecamatan = rng.choices(self.kecamatan, self.kecamatan_weights)[0]
        r = dict(
            id=rid, ticket=ticket, draft_token=str(uuid.UUID(int=rid)), reporter_id=reporter_id,
            region=self.region.region.code, category=cat.code, agency=agency, informed_agencies=list(cat.informed),
            state="baru", urgent=urgent, latitude=lat, longitude=lon, kecamatan=kecamatan, desa=None,
            landmark=rng.choice(LANDMARKS) if rng.random() < 0.6 else None, outside_region=False,
            people_count=rng.choice(["1", "2-3", "4-10", "unknown"]),
            age_group=rng.choice(["anak", "remaja", "dewasa", "lansia", "campuran"]),
            description=rng.choice(DESCRIPTIONS), seen_at=created - timedelta(minutes=rng.randint(0, 90)),
            seen_when=rng.choice(["now", "now", "earlier", "time"]),
            reporter_type=rng.choice(["perorangan"] * 8 + ["kelompok", "organisasi"]),
            anonymous=rng.random() < 0.8, language="en" if reporter_id % 10 == 0 else "id",
            created_at=created, updated_at=created, response_due_at=created + timedelta(minutes=response),
            owner_id=None, acknowledged_at=None, closed_at=None, close_due_at=None, outcome=None,
            persons_count=None, case_data={}, duplicate_of_id=None, near_report_id=None, rating=None,
        )

        def event(at: datetime, actor_type: str, actor_id: int | None, action: str, from_state: str | None,
                  to_state: str | None, note: str | None = None, **data: Any) -> None:
            events.append(dict(id=self.next_event, report_id=rid, at=at, actor_type=actor_type, actor_id=actor_id,
                               action=action, from_state=from_state, to_state=to_state, note=note, data=data))
            self.next_event += 1
            if to_state:
                r["state"] = to_state
            r["updated_at"] = at

        event(created, "reporter", reporter_id, "submitted", None, "baru", agency=agency,
              informed=list(cat.informed), response_minutes=response, urgent=urgent, outside_region=False,
              near_report_id=None)
        self._lifecycle(r, cat, stale, event)
        self.recent_ids.append((rid, ticket))
        return r

    def _lifecycle(self, r: dict, cat, stale: bool, event) -> None:
        rng, now = self.rng, self.now
        created, fate = r["created_at"], rng.random()
        if fate < 0.02:  # withdrawn by the reporter before anyone took it
            t = created + timedelta(minutes=rng.uniform(3, 90))
            if t <= now:
                event(t, "reporter", r["reporter_id"], "withdrawn", "baru", "ditarik")
            return
        t = created + self._minutes(10 if r["urgent"] else 35, 0.9)
        if t > now:
            return
        officer = rng.choice(self.officers[r["agency"]])
        if fate < 0.07:  # rejected
            event(t, "officer", officer, "rejected", "baru", "ditolak", "Bukan PMKS / informasi tidak cukup")
            r["closed_at"] = t
            return
        if fate < 0.13:  # handed over to another agency, which then acknowledges it
            others = [a for a in (cat.informed or []) if a != r["agency"]] or \
                [a.code for a in self.region.agencies if a.code != r["agency"]]
            to = rng.choice(others)
            event(t, "officer", officer, "handed_over", "baru", "dialihkan", "Lebih tepat ditangani instansi lain",
                  from_agency=r["agency"], to_agency=to)
            r["agency"], r["response_due_at"] = to, t + timedelta(minutes=cat.response_minutes)
            t = t + self._minutes(30, 0.9)
            if t > now:
                return
            officer = rng.choice(self.officers[to])
        previous = r["state"]
        event(t, "officer", officer, "acknowledged", previous, "diterima")
        r["owner_id"], r["acknowledged_at"] = officer, t
        r["close_due_at"] = t + timedelta(hours=cat.close_hours)
        if stale:  # forgotten: acknowledged long ago and never closed
            return
        if fate < 0.17 and len(self.recent_ids) > 1:  # merged into an earlier report
            t2 = t + timedelta(minutes=rng.uniform(5, 120))
            if t2 <= now:
                of_id, of_ticket = self.recent_ids[rng.randrange(len(self.recent_ids) - 1)]
                event(t2, "officer", officer, "duplicate", "diterima", "duplikat", None, of=of_ticket)
                r["duplicate_of_id"], r["closed_at"] = of_id, t2
            return
        if rng.random() < 0.75:
            t = t + self._minutes(40, 0.8)
            if t > now:
                return
            event(t, "officer", officer, "in_progress", "diterima", "ditangani")
        t_close = t + self._minutes(6 * 60, 1.0)
        if rng.random() < 0.15:
            t_note = t + (min(t_close, now) - t) * rng.uniform(0.2, 0.8)
            event(t_note, "officer", officer, "note_added", None, None, rng.choice(NOTES))
        if t_close > now:
            return
        outcome = rng.choice(self.region.agency(r["agency"]).outcomes)
        persons = rng.randint(1, 4) if outcome.counts_persons else None
        outside = rng.choice([0, 0, 0, 1]) if persons else None
        event(t_close, "officer", officer, "closed", r["state"], "selesai", None, outcome=outcome.code,
              persons=persons, from_outside=outside)
        r["closed_at"], r["outcome"], r["persons_count"] = t_close, outcome.code, persons
        r["case_data"] = {"from_outside": outside}
        if rng.random() < 0.35:
            t_rate = t_close + timedelta(minutes=rng.uniform(2, 720))
            if t_rate <= now:
                rating = rng.choice([3, 4, 4, 5, 5, 5, 2, 1])
                event(t_rate, "reporter", r["reporter_id"], "rated", None, None, rating=rating)
                r["rating"] = rating

    def _pledge(self, created: datetime, reporter_id: int) -> dict:
        n = self.next_pledge
        self.next_pledge += 1
        kind = self.rng.choice(["uang", "barang"])
        return dict(id=n, ticket=f"BENCH-S-{n}", draft_token=str(uuid.UUID(int=10**15 + n)), reporter_id=reporter_id,
                    agency="dinsos", kind=kind, description="Sembako untuk panti" if kind == "barang" else "Rp 500.000",
                    contact=None, state="baru", created_at=created)

    # -------------------------------------------------------------------------- growth

    def _created(self, kind: str) -> datetime:
        recent = timedelta(days=self.recent_days)
        if kind == "recent":
            return self.now - recent * self.rng.random() - timedelta(minutes=2)
        return self.now - recent - (self.span - recent) * self.rng.random()

    def _sample_ticket(self, ticket: str, created: datetime) -> None:
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
        existing = self.next_report - 1
        if total <= existing:
            raise ValueError(f"the database already holds {existing} reports")
        kinds: list[tuple[str, int]] = []
        remaining = total - existing
        if existing == 0:
            async with engine.begin() as conn:
                await conn.execute(insert(Officer.__table__), self._officer_rows())
            recent = min(remaining, self.recent_days * self.recent_per_day)
            stale = min(self.stale_open, remaining - recent)
            kinds += [("recent", recent), ("stale", stale)]
            remaining -= recent + stale
        kinds.append(("history", remaining))
        want_reporters = max(200, total // 4)
        if want_reporters > self.reporters:
            rows = self._reporter_rows(want_reporters)
            for i in range(0, len(rows), self.batch):
                async with engine.begin() as conn:
                    await conn.execute(insert(Reporter.__table__), rows[i:i + self.batch])
        added = 0
        for kind, count in kinds:
            while count > 0:
                n = min(count, self.batch)
                reports, events, pledges = [], [], []
                for _ in range(n):
                    created = self._created(kind)
                    rid = self.next_report
                    self.next_report += 1
                    r = self._report(rid, created, kind == "stale", events)
                    reports.append(r)
                    self._sample_ticket(r["ticket"], created)
                    if self.rng.randrange(self.pledge_every) == 0:
                        pledges.append(self._pledge(min(self.now, created + timedelta(hours=5)), r["reporter_id"]))
                async with engine.begin() as conn:
                    await conn.execute(insert(Report.__table__), reports)
                    await conn.execute(insert(AuditEvent.__table__), events)
                    if pledges:
                        await conn.execute(insert(DonationPledge.__table__), pledges)
                count -= n
                added += n
                if progress:
                    progress(f"  {existing + added:>9,} reports written ({time.perf_counter() - t0:.0f} s)")
        await self._after_load(engine)
        async with engine.connect() as conn:
            n_reports = (await conn.execute(select(func.count()).select_from(Report))).scalar_one()
            n_events = (await conn.execute(select(func.count()).select_from(AuditEvent))).scalar_one()
            n_open = (await conn.execute(select(func.count()).select_from(Report)
                                         .where(Report.state.in_(list(OPEN_STATES))))).scalar_one()
        return GrowStats(added, time.perf_counter() - t0, n_reports, n_events, n_open)

    async def _after_load(self, engine: AsyncEngine) -> None:
        if engine.dialect.name != "postgresql":
            return
        # Ids were given explicitly: move the sequences past them, as if the app had written the rows.
        async with engine.begin() as conn:
            for table in ("reports", "audit_events", "reporters", "officers", "donation_pledges"):
                await conn.execute(text(
                    f"select setval(pg_get_serial_sequence('{table}', 'id'), (select max(id) from {table}))"))
        # What autovacuum would do shortly after a bulk load: fresh planner statistics.
        async with engine.begin() as conn:
            await conn.execute(text("analyze"))


def run(coro) -> Any:
    return asyncio.run(coro)
