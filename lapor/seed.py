"""Synthetic report history, for trying Lapor PMKS and for benchmarks (`lapor seed`, bench/scale.py).

It writes what the app would have written over a period: synthetic residents, officers where the
database has none, reports and their audit events (core/report_submit.py, core/report_actions.py,
core/my_reports.py), the escalations the scheduler would have recorded (core/escalation.py),
donation pledges, and the ticket counters moved past the numbers used. Never an outbox row: nothing
is owed to anyone. Rows are inserted in batches, many per statement, with no ORM object per row
(_Writer; on SQLite times are kept to the millisecond).

- Places come from the region: with a region pack each report has a desa/kelurahan and the
  Kemendagri codes of it and its kecamatan; most have a pin inside that desa's polygon (a few
  verified points per desa, jittered within a disk that lies inside the polygon and touches no
  other, so the pack's placement puts every pin in its desa); the rest were chosen by name (and
  then have a landmark, as the report flow asks). Counts are skewed: kecamatan are ranked by how
  urban they look (kelurahan, then small desa) and weighted 1, 1/2, 1/3, ..., so the regency seat
  and the towns are hotspots on a map; within a kecamatan some desa (markets, terminals) are busier.
- Reports arrive at a daily rhythm (few at night), growing slowly over the period. Categories are
  weighted (beggars and street children most) and tilted per kecamatan; a few are urgent; agencies
  and targets come from the region's routing.
- Each report runs the life cycle the app allows, step by step, and stops where the next step
  would fall after "now": recent reports are open (baru, diterima, ditangani, or dialihkan after a
  hand-over), older ones mostly closed (selesai with one of the agency's outcomes, persons handled
  and sometimes their breakdown; some rated), some rejected, merged as duplicates of an earlier
  report nearby, or withdrawn. Some are forgotten (more of the recent ones) and stay open past their
  response or close target: the overdue lists and escalations have work.

Synthetic people are recognisable by their Telegram ids: Telegram's user ids have at most 52
significant bits (Bot API, User.id), so an id from 2**52 on is nobody's. `lapor demo` uses
2**52 + 1..4; seeded residents get SEED_ID_BASE + their row id and seeded officers
SEED_OFFICER_BASE + theirs, both from 2**53 on. Residents are named "Warga Sintetis N" (or not
named); officers "Petugas Sintetis ...". A resident or officer with an id below 2**52 (or a
negative one: a deleted resident) is a real person: `seed_reports` refuses a database that has one
(`real_data`), so seeded officers are only ever added to seeded data.

The same seed, "now" and database give the same rows.
"""
from __future__ import annotations

import json
import math
import random
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from operator import itemgetter
from statistics import NormalDist
from typing import Any, TypeVar, cast

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.strtree import STRtree
from sqlalchemy import JSON, Table, func, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access import ACKNOWLEDGEABLE, SUPERVISING_ROLES, WORKING, Role
from core.desa_placement import PackPlacer
from core.donations import PLEDGE_PREFIX_SUFFIX
from core.lifecycle import OPEN_STATES
from core.placement import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQUATOR
from core.region import Category, RegionConfig
from core.targets import overdue_clause
from core.tickets import format_ticket
from db.models import (
    AuditEvent,
    DonationPledge,
    Escalation,
    Officer,
    Report,
    Reporter,
    TicketCounter,
    UTCDateTime,
)

REAL_ID_LIMIT = 2**52  # Telegram user ids are below it (at most 52 significant bits)
SEED_ID_BASE = 2**53  # seeded residents: SEED_ID_BASE + reporters.id
SEED_OFFICER_BASE = SEED_ID_BASE + 2**40  # seeded officers: SEED_OFFICER_BASE + officers.id
DEFAULT_SEED = 20261123
BATCH = 5_000  # reports per transaction; audit events are inserted EVENT_CHUNK rows at a time
EVENT_CHUNK = 10_000

PINS_PER_DESA = 5
PIN_JITTER_M = 30.0  # a pin lies within this of one of its desa's verified points
PINNED_SHARE = 0.75  # the rest chose kecamatan and desa by name
REPEAT_SHARE = 0.06  # a second report of something already reported nearby, still open
FORGOTTEN_RATE = 0.03  # a report of today left to lie; fewer of older ones (FORGOTTEN_DAYS)
FORGOTTEN_DAYS = 10.0

# Beggars and street children are most of the reports; other codes of another region weigh 5.
CATEGORY_WEIGHTS = {"pengemis": 30, "anak_jalanan": 25, "gelandangan": 15, "gelandangan_psikotik": 10,
                    "lansia_terlantar": 6, "anak_terlantar": 5, "pelacuran": 4}
URGENT_SHARE = {"anak_terlantar": 0.15, "gelandangan_psikotik": 0.12, "anak_jalanan": 0.07}
AGE_GROUPS = {
    "anak_jalanan": ["anak"] * 5 + ["remaja"] * 3 + ["campuran"],
    "anak_terlantar": ["anak"] * 8 + ["unknown"],
    "lansia_terlantar": ["lansia"] * 8 + ["unknown"],
    "pelacuran": ["dewasa"] * 6 + ["remaja", "unknown"],
}
DEFAULT_AGE_GROUPS = ["dewasa"] * 4 + ["lansia", "anak", "campuran", "campuran", "unknown"]
PEOPLE_COUNTS = ["1"] * 5 + ["2-3"] * 3 + ["4-10", "10+", "unknown", "unknown"]
DESCRIPTIONS = {
    "pengemis": ["Seorang ibu meminta-minta di lampu merah sambil menggendong anak",
                 "Beberapa orang meminta-minta di parkiran pasar", "Pengemis lansia di depan masjid setiap sore"],
    "anak_jalanan": ["Dua anak mengamen di perempatan sampai malam", "Anak kecil berjualan tisu di lampu merah",
                     "Sekelompok remaja tidur di emperan toko"],
    "gelandangan": ["Seorang bapak tidur di emperan toko sejak beberapa hari",
                    "Orang tanpa tempat tinggal menetap di halte"],
    "gelandangan_psikotik": ["Orang dengan gangguan jiwa berjalan di tengah jalan raya",
                             "Seorang perempuan berbicara sendiri dan tidak berpakaian layak"],
    "lansia_terlantar": ["Nenek tinggal sendirian dan tidak ada yang mengurus",
                         "Kakek duduk di pinggir jalan, tampak lemah dan lapar"],
    "anak_terlantar": ["Balita ditinggal sendirian di warung sejak pagi", "Anak tampak kurang gizi dan tidak terurus"],
    "pelacuran": ["Warung remang-remang ramai tengah malam", "Ada yang menjajakan diri di dekat terminal"],
}
DEFAULT_DESCRIPTIONS = ["Perlu dicek petugas", "Sudah beberapa kali terlihat di lokasi ini"]
LANDMARKS = ["depan pasar", "lampu merah alun-alun", "dekat masjid", "terminal", "pintu tol", "SPBU",
             "depan minimarket", "stasiun", "jembatan", "depan balai desa", "pertigaan"]
NOTES = ["Warga melapor ulang", "Sudah dikoordinasikan dengan desa", "Lokasi dicek, menunggu tim",
         "Keluarga dihubungi", "Perlu pendampingan lanjutan"]
REJECT_REASONS = ["Bukan PMKS", "Informasi tidak cukup untuk ditindaklanjuti", "Lokasi tidak ditemukan"]
HANDOVER_REASONS = ["Lebih tepat ditangani instansi lain", "Setelah penertiban, perlu rehabilitasi sosial",
                    "Butuh layanan kesehatan"]
CLOSE_NOTES = ["Sudah dijangkau tim", "Koordinasi dengan desa", "Diantar ke rumah singgah"]
# Reports arrive in the day, few at night (local hour 0-23), a little more on Friday and Saturday.
HOURLY = (0.15, 0.1, 0.08, 0.08, 0.15, 0.4, 0.8, 1.2, 1.5, 1.6, 1.6, 1.5,
          1.4, 1.4, 1.5, 1.5, 1.6, 1.7, 1.6, 1.3, 1.0, 0.7, 0.45, 0.25)
WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 0.85)

Row = dict[str, Any]
T = TypeVar("T")
EVENT_COLUMNS = ("id", "report_id", "at", "actor_type", "actor_id", "action", "from_state", "to_state", "note", "data")
# Standard normal quantiles, drawn by index: a delay needs a log-normal draw, rng.gauss costs more.
NORMAL = [NormalDist().inv_cdf((i + 0.5) / 4096) for i in range(4096)]


def _language(reporter_id: int) -> str:
    """A resident's language, and so their reports' (one in ten writes English)."""
    return "en" if reporter_id % 10 == 0 else "id"


class NotSynthetic(Exception):
    """The database holds something of a real person: it is never seeded."""


async def real_data(engine: AsyncEngine) -> str | None:
    """What the database holds of real people, said in a few words; None if nothing. A real person
    has a Telegram id below 2**52 (a deleted resident's is negative, and was a person's): residents
    who wrote to the bot and their reports, officers registered (a production database has them
    before its first report)."""
    async with engine.connect() as conn:
        residents = (await conn.execute(select(func.count()).select_from(Reporter)
                                        .where(Reporter.telegram_id < REAL_ID_LIMIT))).scalar_one()
        reports = (await conn.execute(select(func.count()).select_from(Report)
                                      .join(Reporter, Reporter.id == Report.reporter_id)
                                      .where(Reporter.telegram_id < REAL_ID_LIMIT))).scalar_one()
        officers = (await conn.execute(select(func.count()).select_from(Officer).where(
            or_(Officer.telegram_id.is_(None), Officer.telegram_id < REAL_ID_LIMIT)))).scalar_one()
    found = [f"{n} {what}" for n, what in ((reports, "report(s)"), (residents, "resident(s)"),
                                           (officers, "officer(s)")) if n]
    return f"real people's data ({', '.join(found)})" if found else None


# ------------------------------------------------------------------------------------ places

@dataclass
class Place:
    """A desa (or, without a region pack, a kecamatan and maybe a desa name) reports come from."""

    kecamatan: str
    kecamatan_code: str | None
    desa: str | None
    desa_code: str | None
    kecamatan_index: int
    weight: float
    # Points known to lie in this desa; a pin is one of them moved by up to `radius_m`, in the
    # metres per degree (of latitude, of longitude) the disk around it was checked in.
    pins: list[tuple[float, float]] = field(default_factory=list)
    radius_m: float = 0.0
    metres_per_degree: tuple[float, float] = (KM_PER_DEG_LAT * 1000, KM_PER_DEG_LON_EQUATOR * 1000)


def _kecamatan_shares(count: int, order: list[int]) -> list[float]:
    """Zipf-like: the kecamatan ranked r-th (0 first) weighs 1/(r+1)."""
    shares = [0.0] * count
    for rank, index in enumerate(order):
        shares[index] = 1.0 / (rank + 1)
    return shares


def region_places(region: RegionConfig, rng: random.Random) -> list[Place]:
    """Every place a report may come from, weighted so that a choropleth shows hotspots."""
    placer = region.placer
    if isinstance(placer, PackPlacer):
        return _pack_places(region, placer, rng)
    return _named_places(region, rng)


def _pack_places(region: RegionConfig, placer: PackPlacer, rng: random.Random) -> list[Place]:
    shapes = placer.desa_shapes()
    areas = placer.desa.areas
    minx, miny, maxx, maxy = shapely.total_bounds(np.array([g for _, _, g in shapes], dtype=object))
    kx = KM_PER_DEG_LON_EQUATOR * 1000 * math.cos(math.radians((miny + maxy) / 2))
    ky = KM_PER_DEG_LAT * 1000
    scale = np.array([kx, ky])
    metres = shapely.transform(np.array([g for _, _, g in shapes], dtype=object), lambda c: c * scale)
    tree = STRtree(metres)
    kecamatan = [k for k in region.kecamatan if k.code]
    index_of = {k.code: i for i, k in enumerate(kecamatan)}
    # Urban first: more kelurahan, then smaller desa (denser); the regency seat and towns lead.
    kelurahan: dict[int, int] = defaultdict(int)
    area_sum: dict[int, float] = defaultdict(float)
    desa_count: dict[int, int] = defaultdict(int)
    for area, geom in zip(areas, metres, strict=True):
        k = index_of[area.kecamatan_code]
        kelurahan[k] += area.level == "kelurahan"
        area_sum[k] += geom.area
        desa_count[k] += 1
    order = sorted(range(len(kecamatan)),
                   key=lambda k: (-kelurahan[k], area_sum[k] / max(1, desa_count[k]), kecamatan[k].code or ""))
    shares = _kecamatan_shares(len(kecamatan), order)
    places: list[Place] = []
    for i, (area, geom) in enumerate(zip(areas, metres, strict=True)):
        k = index_of[area.kecamatan_code]
        busy = (3.0 if area.level == "kelurahan" else 1.0) * math.exp(rng.gauss(0, 0.7))
        place = Place(area.kecamatan, area.kecamatan_code, area.name, area.code, k, busy)
        place.pins, place.radius_m = _pins_in(geom, i, tree, placer, area.code, kx, ky, rng)
        place.metres_per_degree = (ky, kx)
        places.append(place)
    _spread(places, shares)
    return places


def _pins_in(geom: Any, index: int, tree: STRtree, placer: PackPlacer, code: str, kx: float, ky: float,
             rng: random.Random) -> tuple[list[tuple[float, float]], float]:
    """Up to PINS_PER_DESA (lat, lon) points of the desa (metres geometry `geom`, `index` in the
    tree), each the centre of a disk of the returned radius that lies inside the desa and touches no
    other desa, and that the pack's placement puts in this desa."""
    for radius in (PIN_JITTER_M, PIN_JITTER_M / 4, 0.0):
        margin = radius + 1.0  # a metre more: rounding the pin to 6 decimals moves it 0.06 m at most
        inner = geom.buffer(-margin)
        if inner.is_empty:
            continue
        shapely.prepare(inner)
        x0, y0, x1, y1 = inner.bounds
        candidates = [inner.representative_point()]
        pins: list[tuple[float, float]] = []
        for _ in range(400):
            if len(pins) == PINS_PER_DESA or not candidates:
                break
            point = candidates.pop()
            if inner.contains(point) and [int(h) for h in tree.query(point.buffer(margin), predicate="intersects")] \
                    == [index]:
                lat, lon = point.y / ky, point.x / kx
                placed = placer.place(lat, lon)
                if placed.desa_code == code and placed.snapped_m is None:
                    pins.append((lat, lon))
            candidates.append(Point(rng.uniform(x0, x1), rng.uniform(y0, y1)))
        if pins:
            return pins, radius
    return [], 0.0


def _named_places(region: RegionConfig, rng: random.Random) -> list[Place]:
    """Without a region pack: the configured kecamatan and desa names; pins where kecamatan
    boundaries place them (points of the bounding box the placer puts in one kecamatan)."""
    kecamatan = region.kecamatan
    order = list(range(len(kecamatan)))
    rng.shuffle(order)
    shares = _kecamatan_shares(len(kecamatan), order)
    pins: dict[str, list[tuple[float, float]]] = defaultdict(list)
    bbox = region.region.bbox
    if region.placer.has_boundaries and bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        for _ in range(50 * PINS_PER_DESA * len(kecamatan)):
            lat, lon = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
            placed = region.placer.place(lat, lon)
            if placed.kecamatan and placed.inside_region and not placed.approximate \
                    and len(pins[placed.kecamatan]) < PINS_PER_DESA:
                pins[placed.kecamatan].append((lat, lon))
    places = []
    for i, k in enumerate(kecamatan):
        names: list[str | None] = list(k.desa) or [None]
        for desa in names:
            place = Place(k.name, k.code, desa, k.desa_code(desa) if desa else None, i,
                          math.exp(rng.gauss(0, 0.7)))
            place.pins = list(pins.get(k.name, []))
            places.append(place)
    _spread(places, shares)
    return places


def _spread(places: list[Place], shares: list[float]) -> None:
    """A kecamatan's share divided among its places by their own weights."""
    totals: dict[int, float] = defaultdict(float)
    for p in places:
        totals[p.kecamatan_index] += p.weight
    for p in places:
        p.weight = shares[p.kecamatan_index] * p.weight / totals[p.kecamatan_index]


# ------------------------------------------------------------------------------------ time

class Arrivals:
    """Creation times of `n` reports between two instants, in order: a daily rhythm in the region's
    local time, a little busier at the week's end, growing by half over the period."""

    def __init__(self, start: datetime, end: datetime, tz: Any) -> None:
        self.edges: list[float] = [start.timestamp()]
        hour = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while hour < end:
            self.edges.append(hour.timestamp())
            hour += timedelta(hours=1)
        self.edges.append(end.timestamp())
        span = max(1.0, self.edges[-1] - self.edges[0])
        weights = []
        for a, b in zip(self.edges, self.edges[1:], strict=False):
            local = datetime.fromtimestamp(a, UTC).astimezone(tz)
            trend = 0.8 + 0.4 * (a - self.edges[0]) / span
            weights.append((b - a) / 3600 * HOURLY[local.hour] * WEEKDAY[local.weekday()] * trend)
        self.weights = weights
        self.cum = list(accumulate(weights))

    def times(self, n: int, rng: random.Random) -> Iterator[float]:
        total = self.cum[-1]
        for i in range(n):
            q = (i + rng.random()) / n * total
            k = min(bisect_right(self.cum, q), len(self.weights) - 1)
            before = self.cum[k - 1] if k else 0.0
            fraction = min(1.0, max(0.0, (q - before) / self.weights[k])) if self.weights[k] else 0.0
            yield self.edges[k] + fraction * (self.edges[k + 1] - self.edges[k])


# ------------------------------------------------------------------------------------ writing

class _Writer:
    """Multi-row INSERTs (one executemany per chunk). Times are given as UNIX timestamps (floats).

    On SQLite the rows go through the driver, with each value stored as SQLAlchemy stores it there:
    a UTC time as text 'YYYY-MM-DD HH:MM:SS.ffffff' (rendered by SQLite itself from the timestamp,
    to the millisecond), JSON as json.dumps text. SQLAlchemy's processing of each value, in Python,
    would cost more than SQLite's insert itself. Elsewhere the rows go through SQLAlchemy Core."""

    SQLITE_TIME = "strftime('%Y-%m-%d %H:%M:%f', ?, 'unixepoch') || '000'"

    def __init__(self, engine: AsyncEngine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        # Most events carry one of a few data values (acknowledged: {}, rated: {"rating": 5}):
        # each is rendered once.
        self.rendered_json: dict[Any, str] = {}

    def _json(self, value: Any) -> str:
        if not value:
            return "{}" if isinstance(value, dict) else "[]"
        try:
            key = ("d", *value.items()) if isinstance(value, dict) else ("l", *value)
            done = self.rendered_json.get(key)
        except TypeError:  # a list inside: not a key
            return json.dumps(value)
        if done is None:
            if len(self.rendered_json) > 100_000:
                self.rendered_json.clear()
            done = self.rendered_json[key] = json.dumps(value)
        return done

    async def insert(self, conn: AsyncConnection, table: Table, rows: list[Row] | list[list[Any]],
                     columns: Sequence[str] | None = None) -> None:
        """rows: dicts by column name, or lists of the values of `columns` (changed in place)."""
        if not rows:
            return
        if columns is None:
            columns = list(rows[0])
            get = itemgetter(*columns)
            lists = [list(get(row)) for row in cast(list[Row], rows)]
        else:
            lists = cast(list[list[Any]], rows)
        times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
        jsons = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        if self.sqlite:
            dumps = self._json
            for values in lists:
                for i in jsons:
                    values[i] = dumps(values[i])
            marks = ", ".join(self.SQLITE_TIME if i in times else "?" for i in range(len(columns)))
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
            for i in range(0, len(lists), EVENT_CHUNK):
                await conn.exec_driver_sql(sql, [tuple(values) for values in lists[i:i + EVENT_CHUNK]])
            return
        for values in lists:
            for i in times:
                if values[i] is not None:
                    values[i] = datetime.fromtimestamp(values[i], UTC)
        dicts = [dict(zip(columns, values, strict=True)) for values in lists]
        for i in range(0, len(dicts), EVENT_CHUNK):
            await conn.execute(insert(table), dicts[i:i + EVENT_CHUNK])


def _uuid(n: int) -> str:
    """str(uuid.UUID(int=n)), cheaper: a draft token nobody's draft has (version bits 0)."""
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# ------------------------------------------------------------------------------------ generator

@dataclass
class SeedStats:
    reports: int  # added by this run
    events: int
    first: datetime | None
    last: datetime | None
    seconds: float
    officers_created: int
    total_reports: int = 0  # in the database afterwards
    open_reports: int = 0
    overdue_reports: int = 0


@dataclass
class _Recent:
    """A report that a later one may repeat (same place and category) while it is open."""

    id: int
    ticket: str
    agency: str
    place: int
    pin: int | None
    created: float
    ended: float | None  # when it stopped being open (None: open now)


def _pick(rng: random.Random, cum: Sequence[float]) -> int:
    """An index drawn with the weights whose running sums are `cum` (random() < 1, so the value
    drawn is at most cum[-1] and the index a valid one)."""
    return bisect_left(cum, rng.random() * cum[-1])


@dataclass
class HistoryGenerator:
    """Writes synthetic report history into a migrated database (see the module's docstring).

    `since` is the earliest any report will be (seeded officers exist from a month before it).
    `start(engine)` reads what the database holds (ids, ticket counters, officers; a second run
    appends); `add(engine, n, begin, end)` writes n reports created between begin and end (any
    number of times), each batch in a transaction with the ticket counters (and PostgreSQL's
    sequences) moved past what it used; `finish(engine)` refreshes PostgreSQL's statistics.
    """

    region: RegionConfig
    now: datetime
    since: datetime
    seed: int = DEFAULT_SEED
    batch: int = BATCH
    officers_per_agency: int = 3  # field officers per agency created when it has none (plus a supervisor)
    pledge_every: int = 40

    rng: random.Random = field(init=False)
    places: list[Place] = field(init=False)
    reports_added: int = field(init=False, default=0)
    events_added: int = field(init=False, default=0)
    officers_created: int = field(init=False, default=0)
    first: datetime | None = field(init=False, default=None)
    last: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.tz = self.region.tz
        self.prefix = self.region.region.ticket_prefix
        self.pledge_prefix = (self.prefix + PLEDGE_PREFIX_SUFFIX)[:6]
        self.now_ts = self.now.timestamp()
        self.places = region_places(self.region, self.rng)
        self.place_cum = list(accumulate(p.weight for p in self.places))
        self.categories = list(self.region.categories)
        base = [CATEGORY_WEIGHTS.get(c.code, 5) for c in self.categories]
        self.base_cum = list(accumulate(base))
        # Each kecamatan has its own mix (pelacuran near the main road, lansia in the villages).
        kecamatan_count = 1 + max(p.kecamatan_index for p in self.places)
        self.category_cum = [list(accumulate(w * math.exp(self.rng.gauss(0, 0.5)) for w in base))
                             for _ in range(kecamatan_count)]
        self.pin_cum = [list(accumulate([3.0] + [1.0] * (len(p.pins) - 1))) if p.pins else [] for p in self.places]
        self.outcomes = {a.code: (a.outcomes, list(accumulate(
            2.0 if o.code == "tidak_ditemukan" else 0.8 if o.code == "dirujuk" else 3.0 for o in a.outcomes)))
            for a in self.region.agencies}
        self.informed = {c.code: tuple(c.informed) for c in self.categories}
        self.recent: dict[str, deque[_Recent]] = defaultdict(lambda: deque(maxlen=32))
        self.counters: dict[tuple[str, str], int] = {}
        self.counters_used: set[tuple[str, str]] = set()  # since the last write
        self.periods: dict[int, str] = {}  # UTC hour -> local YYMM (Indonesia's offsets are whole hours)
        self.ids = {"reports": 0, "audit_events": 0, "reporters": 0, "officers": 0, "donation_pledges": 0}
        self.staff: dict[int, tuple[str, str, tuple[str, ...]]] = {}  # officer id -> agency, role, areas
        self.holders: dict[tuple[str, int], list[int]] = {}
        self.bosses: dict[str, list[int]] = {}
        self.writer: _Writer | None = None

    # -------------------------------------------------------------------------- set-up

    async def start(self, engine: AsyncEngine) -> None:
        """Reads the database's ids, counters and officers; creates synthetic officers for every
        agency that has nobody who may hold its reports, and an auditor if there is none."""
        self.writer = _Writer(engine)
        async with engine.connect() as conn:
            for table, model in (("reports", Report), ("audit_events", AuditEvent), ("reporters", Reporter),
                                 ("officers", Officer), ("donation_pledges", DonationPledge)):
                self.ids[table] = (await conn.execute(select(func.coalesce(func.max(model.id), 0)))).scalar_one()
            for prefix, period, last in (await conn.execute(
                    select(TicketCounter.prefix, TicketCounter.period, TicketCounter.last)
                    .where(TicketCounter.prefix.in_([self.prefix, self.pledge_prefix])))).all():
                self.counters[(prefix, period)] = last
            rows = (await conn.execute(select(Officer.id, Officer.agency, Officer.role, Officer.areas)
                                       .where(Officer.active.is_(True)).order_by(Officer.id))).all()
        self.staff = {r.id: (r.agency, r.role, tuple(r.areas or ())) for r in rows}
        officers, events = self._officer_rows()
        if officers:
            async with engine.begin() as conn:
                await self.writer.insert(conn, _table(Officer), officers)
                await self.writer.insert(conn, _table(AuditEvent), events, EVENT_COLUMNS)
                await self._keep_up(conn)
        self._index_officers()

    def _officer_rows(self) -> tuple[list[Row], list[list[Any]]]:
        created = (self.since - timedelta(days=30)).timestamp()
        rows: list[Row] = []
        events: list[list[Any]] = []
        acting = {agency for agency, role, _ in self.staff.values() if role != Role.AUDITOR}
        kecamatan = self.region.kecamatan_names

        def officer(agency: str, role: str, name: str, areas: list[str]) -> None:
            self.ids["officers"] += 1
            oid = self.ids["officers"]
            rows.append(dict(id=oid, telegram_id=SEED_OFFICER_BASE + oid, chat_id=SEED_OFFICER_BASE + oid, name=name,
                             agency=agency, role=role, areas=areas, active=True,
                             language=self.region.region.default_language, unreachable=False, created_at=created))
            events.append(self._event(None, created, "system", None, "officer_added", None, None, None,
                                      {"officer_id": oid, "agency": agency, "role": role, "areas": areas,
                                       "by": "seed"}))
            self.staff[oid] = (agency, role, tuple(areas))
            self.officers_created += 1

        for agency in self.region.agencies:
            if agency.code in acting:
                continue
            short = agency.short.get("id")
            officer(agency.code, Role.SUPERVISOR.value, f"Kepala Sintetis {short}", [])
            for i in range(self.officers_per_agency):
                # The first covers the whole regency; the others a share of the kecamatan each.
                areas = [] if i == 0 else kecamatan[i - 1::max(1, self.officers_per_agency - 1)]
                officer(agency.code, Role.OFFICER.value, f"Petugas Sintetis {short} {i + 1}", areas)
        if not any(role == Role.AUDITOR for _, role, _ in self.staff.values()):
            officer(self.region.agencies[0].code, Role.AUDITOR.value, "Auditor Sintetis Inspektorat", [])
        return rows, events

    def _index_officers(self) -> None:
        """Who may hold a report of an agency from a place (officers covering it, else any field
        officer, else anyone of the agency who may act), and who supervises each agency."""
        for agency in self.region.agencies:
            people = [(oid, role, areas) for oid, (a, role, areas) in self.staff.items()
                      if a == agency.code and role != Role.AUDITOR]
            field_officers = [p for p in people if p[1] == Role.OFFICER]
            bosses = [oid for oid, role, _ in people if role in SUPERVISING_ROLES]
            self.bosses[agency.code] = bosses or [oid for oid, _, _ in people]
            for i, place in enumerate(self.places):
                covering = [oid for oid, _, areas in field_officers
                            if not areas or place.kecamatan in areas or (place.desa_code or "") in areas]
                self.holders[(agency.code, i)] = covering or [oid for oid, _, _ in field_officers] or \
                    [oid for oid, _, _ in people]

    # -------------------------------------------------------------------------- writing

    async def add(self, engine: AsyncEngine, count: int, begin: datetime, end: datetime, *,
                  forgotten: bool = False, progress: Callable[[int], None] | None = None,
                  observe: Callable[[str, datetime], None] | None = None) -> None:
        """Writes `count` reports created between `begin` and `end` (in order of creation), with
        their residents (a new pool of about a third as many), events, escalations and pledges.
        forgotten: every one is left open (a benchmark's stale load).
        progress(n) is called after each batch with the reports written by this call; observe(ticket,
        created) for each report."""
        if self.writer is None:
            await self.start(engine)
        assert self.writer is not None
        if count <= 0:
            return
        first_reporter = self.ids["reporters"] + 1
        reporters = self._reporter_rows(max(20, count // 3), begin.timestamp())
        async with engine.begin() as conn:
            await self.writer.insert(conn, _table(Reporter), reporters)
            await self._keep_up(conn)
        pool = (first_reporter, self.ids["reporters"])
        times = Arrivals(begin, end, self.tz).times(count, self.rng)
        written = 0
        while written < count:
            n = min(self.batch, count - written)
            reports: list[Row] = []
            events: list[list[Any]] = []
            escalations: list[Row] = []
            pledges: list[Row] = []
            for _ in range(n):
                report = self._report(next(times), pool, forgotten, events, escalations)
                reports.append(report)
                if observe is not None:
                    observe(report["ticket"], datetime.fromtimestamp(report["created_at"], UTC))
                if self.region.donations.enabled and self.rng.random() * self.pledge_every < 1:
                    pledges.append(self._pledge(report))
            async with engine.begin() as conn:
                await self.writer.insert(conn, _table(Report), reports)
                await self.writer.insert(conn, _table(AuditEvent), events, EVENT_COLUMNS)
                await self.writer.insert(conn, _table(Escalation), escalations)
                await self.writer.insert(conn, _table(DonationPledge), pledges)
                await self._keep_up(conn)
            written += n
            self.reports_added += n
            self.events_added += len(events)
            first = datetime.fromtimestamp(reports[0]["created_at"], UTC)
            last = datetime.fromtimestamp(reports[-1]["created_at"], UTC)
            self.first = first if self.first is None else min(self.first, first)
            self.last = last if self.last is None else max(self.last, last)
            if progress is not None:
                progress(written)

    def _reporter_rows(self, count: int, begin: float) -> list[Row]:
        rows = []
        rng = self.rng
        for _ in range(count):
            self.ids["reporters"] += 1
            rid = self.ids["reporters"]
            rows.append(dict(id=rid, telegram_id=SEED_ID_BASE + rid, chat_id=SEED_ID_BASE + rid,
                             display_name=f"Warga Sintetis {rid}" if rng.random() < 0.7 else None,
                             language=_language(rid), created_at=begin - 86_400 * (1 + 30 * rng.random()),
                             unreachable=rng.random() < 0.02, banned=False, deletion_requested_at=None,
                             deleted_at=None))
        return rows

    def _ticket(self, prefix: str, ts: float) -> str:
        hour = int(ts // 3600)
        period = self.periods.get(hour)
        if period is None:
            period = self.periods[hour] = datetime.fromtimestamp(hour * 3600, UTC).astimezone(self.tz).strftime("%y%m")
        number = self.counters.get((prefix, period), 0) + 1
        self.counters[(prefix, period)] = number
        self.counters_used.add((prefix, period))
        return format_ticket(prefix, period, number)

    def _event(self, report_id: int | None, at: float, actor_type: str, actor_id: int | None, action: str,
               from_state: str | None, to_state: str | None, note: str | None, data: dict[str, Any]) -> list[Any]:
        """An audit event, as the values of EVENT_COLUMNS."""
        self.ids["audit_events"] += 1
        return [self.ids["audit_events"], report_id, at, actor_type, actor_id, action, from_state, to_state, note,
                data]

    def _minutes(self, median: float, sigma: float) -> float:
        """A delay in seconds, log-normal around `median` minutes."""
        return 60.0 * median * math.exp(sigma * NORMAL[int(self.rng.random() * len(NORMAL))])

    def _place(self, created: float) -> tuple[int, int | None, _Recent | None, Category | None]:
        """Where the report comes from: somewhere new, or (now and then) the place of an open report
        of the last day, which it then repeats (category and all)."""
        rng = self.rng
        if rng.random() < REPEAT_SHARE:
            category = self.categories[_pick(rng, self.base_cum)]
            for earlier in reversed(self.recent[category.code]):
                if created - earlier.created < 86_400 and (earlier.ended is None or earlier.ended > created):
                    return earlier.place, earlier.pin, earlier, category
        index = _pick(rng, self.place_cum)
        pin = None
        if self.pin_cum[index] and rng.random() < PINNED_SHARE:
            pin = _pick(rng, self.pin_cum[index])
        return index, pin, None, None

    def _pin(self, place: Place, pin: int) -> tuple[float, float]:
        lat, lon = place.pins[pin]
        if place.radius_m:
            r = place.radius_m * math.sqrt(self.rng.random())
            angle = 2 * math.pi * self.rng.random()
            ky, kx = place.metres_per_degree
            lat += r * math.sin(angle) / ky
            lon += r * math.cos(angle) / kx
        return round(lat, 6), round(lon, 6)

    def _report(self, created: float, pool: tuple[int, int], forgotten: bool, events: list[list[Any]],
                escalations: list[Row]) -> Row:
        rng = self.rng
        random_ = rng.random
        self.ids["reports"] += 1
        rid = self.ids["reports"]
        place_index, pin, repeats, category = self._place(created)
        place = self.places[place_index]
        if category is None:
            category = self.categories[_pick(rng, self.category_cum[place.kecamatan_index])]
        code = category.code
        urgent = random_() < URGENT_SHARE.get(code, 0.05)
        response = category.urgent_response_minutes if urgent else category.response_minutes
        low, high = pool
        reporter_id = low + int((high - low + 1) * random_() ** 1.5)  # some residents report often
        lat, lon = self._pin(place, pin) if pin is not None else (None, None)
        quick = random_() < 0.4  # "send now": the rest took its defaults (ReportDraft.send_now)
        if quick:
            seen_when, people, age, description, kind = "now", "unknown", "unknown", None, "perorangan"
        else:
            seen_when = _any(rng, ("now", "now", "earlier", "time"))
            people = _any(rng, PEOPLE_COUNTS)
            age = _any(rng, AGE_GROUPS.get(code, DEFAULT_AGE_GROUPS))
            description = _any(rng, DESCRIPTIONS.get(code, DEFAULT_DESCRIPTIONS))
            kind = _any(rng, REPORTER_TYPES)
        seen_at = created - 60 * (3 * random_() if seen_when == "now" else 20 + 280 * random_())
        informed = self.informed[code]
        near = repeats.id if repeats is not None else None
        r: Row = {
            "id": rid, "ticket": self._ticket(self.prefix, created), "draft_token": _uuid(rid),
            "reporter_id": reporter_id, "region": self.region.region.code, "category": code,
            "agency": category.primary, "informed_agencies": informed, "state": "baru", "urgent": urgent,
            "latitude": lat, "longitude": lon, "kecamatan": place.kecamatan, "desa": place.desa,
            "kecamatan_code": place.kecamatan_code, "desa_code": place.desa_code,
            "landmark": _any(rng, LANDMARKS) if pin is None or random_() < 0.4 else None, "outside_region": False,
            "people_count": people, "age_group": age, "description": description, "seen_at": seen_at,
            "seen_when": seen_when, "reporter_type": kind, "anonymous": quick or random_() < 0.7,
            "language": _language(reporter_id), "created_at": created, "updated_at": created,
            "response_due_at": created + 60 * response, "owner_id": None, "acknowledged_at": None,
            "closed_at": None, "close_due_at": None, "outcome": None, "persons_count": None, "case_data": {},
            "duplicate_of_id": None, "near_report_id": near, "rating": None, "anonymised_at": None,
        }
        events.append(self._event(rid, created, "reporter", reporter_id, "submitted", None, "baru", None, {
            "agency": category.primary, "informed": informed, "response_minutes": response, "urgent": urgent,
            "outside_region": False, "near_report_id": near}))
        ended = _Life(self, r, category, place_index, repeats, forgotten, events, escalations).run()
        self.recent[code].append(_Recent(rid, r["ticket"], r["agency"], place_index, pin, created, ended))
        return r

    def _pledge(self, report: Row) -> Row:
        self.ids["donation_pledges"] += 1
        n = self.ids["donation_pledges"]
        at = min(self.now_ts, report["created_at"] + 3600 * self.rng.uniform(0.2, 8))
        kind = _any(self.rng, ("uang", "barang"))
        return dict(id=n, ticket=self._ticket(self.pledge_prefix, at), draft_token=_uuid(n),
                    reporter_id=report["reporter_id"], agency=self.region.donations.agency, kind=kind,
                    description="Sembako untuk panti sosial" if kind == "barang" else "Rp 500.000",
                    contact=None, state="baru", created_at=at)

    # -------------------------------------------------------------------------- the end

    async def _keep_up(self, conn: AsyncConnection) -> None:
        """In the transaction of the rows written: the ticket counters past every number used (the
        app's next report takes the next one) and, on PostgreSQL, the id sequences past the ids
        given. A run cut short leaves a database the app carries on with."""
        if self.counters_used:
            upsert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            stmt = upsert(TicketCounter).values([dict(prefix=prefix, period=period, last=self.counters[prefix, period])
                                                 for prefix, period in sorted(self.counters_used)])
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[TicketCounter.prefix, TicketCounter.period], set_={"last": stmt.excluded.last},
                where=TicketCounter.last < stmt.excluded.last))
            self.counters_used.clear()
        if conn.dialect.name == "postgresql":
            for table, last in self.ids.items():
                if last:
                    await conn.execute(text(f"select setval(pg_get_serial_sequence('{table}', 'id'), {int(last)})"))

    async def finish(self, engine: AsyncEngine) -> None:
        """After a bulk load, on PostgreSQL: fresh planner statistics (what autovacuum would do soon)."""
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text("analyze"))


REPORTER_TYPES = ("perorangan",) * 8 + ("kelompok", "organisasi")


def _any(rng: random.Random, options: Sequence[T]) -> T:
    """rng.choice, for less (it is called a few million times)."""
    return options[int(rng.random() * len(options))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint, for less."""
    return low + int(rng.random() * (high - low + 1))


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


class _Life:
    """One report's life cycle after its submission, as the app's services write it, step by step;
    it stops where the next step would come after `now`. run() returns when the report stopped
    being open (None: open now). Times are UNIX timestamps."""

    def __init__(self, gen: HistoryGenerator, r: Row, category: Category, place: int, repeats: _Recent | None,
                 forgotten: bool, events: list[list[Any]], escalations: list[Row]) -> None:
        self.gen, self.r, self.category, self.place = gen, r, category, place
        self.repeats, self.events, self.escalations = repeats, events, escalations
        self.rng = gen.rng
        self.now = gen.now_ts
        self.t = r["created_at"]
        age_days = (self.now - self.t) / 86_400
        self.forgotten = forgotten or self.rng.random() < FORGOTTEN_RATE * math.exp(-age_days / FORGOTTEN_DAYS)
        self.escalated: list[str] = []

    def event(self, at: float, actor_type: str, actor_id: int | None, action: str, from_state: str | None,
              to_state: str | None, note: str | None = None, **data: Any) -> None:
        ids = self.gen.ids
        ids["audit_events"] += 1
        self.events.append([ids["audit_events"], self.r["id"], at, actor_type, actor_id, action, from_state,
                            to_state, note, data])
        if to_state:
            self.r["state"] = to_state
        if action != "rated":  # a rating changes the report's rating only (core.report_actions.rate_report)
            self.r["updated_at"] = at

    def waits_until(self, until: float | None, kind: str, due: float | None) -> None:
        """The report sat in a state judged by `due` until `until` (None: still): had the target
        passed meanwhile, the scheduler escalated it then, once per kind (core/escalation.py)."""
        if due is None or kind in self.escalated:
            return
        at = due + 1 + 59 * self.rng.random()  # the minute's tick after the target
        if at <= self.now and (until is None or at < until):
            self.escalated.append(kind)
            self.escalations.append({"report_id": self.r["id"], "kind": kind, "level": 1, "at": at})

    def holder(self, agency: str) -> int:
        return _any(self.rng, self.gen.holders[(agency, self.place)])

    def run(self) -> float | None:
        ended = self._run()
        r = self.r
        if r["state"] in ACKNOWLEDGEABLE:
            self.waits_until(None, "ack", r["response_due_at"])
        elif r["state"] in WORKING:
            self.waits_until(None, "close", r["close_due_at"])
        return ended

    def _run(self) -> float | None:
        rng, r, gen = self.rng, self.r, self.gen
        fate = rng.random()
        if fate < 0.02 and not self.forgotten:  # withdrawn by the reporter before anyone took it
            t = self.t + 60 * rng.uniform(3, 90)
            if t > self.now:
                return None
            self.waits_until(t, "ack", r["response_due_at"])
            self.event(t, "reporter", r["reporter_id"], "withdrawn", "baru", "ditarik")
            return t
        if self.forgotten and rng.random() < 0.35:  # nobody ever picked it up
            return None
        t = self.t + gen._minutes(10 if r["urgent"] else 35, 0.9)
        if t > self.now:
            return None
        if fate < 0.05:  # rejected from the queue by a supervisor
            self.waits_until(t, "ack", r["response_due_at"])
            self.event(t, "officer", _any(rng, gen.bosses[r["agency"]]), "rejected", "baru", "ditolak",
                       _any(rng, REJECT_REASONS))
            r["closed_at"] = t
            return t
        if fate < 0.12:  # handed over to another agency, whose officer then acknowledges it
            others = [a for a in self.category.informed if a != r["agency"]] or \
                [a.code for a in gen.region.agencies if a.code != r["agency"]]
            if others:
                to = _any(rng, others)
                self.waits_until(t, "ack", r["response_due_at"])
                self.event(t, "officer", self.holder(r["agency"]), "handed_over", "baru", "dialihkan",
                           _any(rng, HANDOVER_REASONS), from_agency=r["agency"], to_agency=to)
                minutes = self.category.urgent_response_minutes if r["urgent"] else self.category.response_minutes
                r["agency"], r["response_due_at"] = to, t + 60 * minutes
                if self.forgotten and rng.random() < 0.5:
                    return None
                t += gen._minutes(45, 0.9)
                if t > self.now:
                    return None
        officer = self.holder(r["agency"])
        self.waits_until(t, "ack", r["response_due_at"])
        self.event(t, "officer", officer, "acknowledged", r["state"], "diterima")
        r["owner_id"], r["acknowledged_at"] = officer, t
        r["close_due_at"] = t + 3600 * self.category.close_hours
        target = self.repeats
        if target is not None and target.agency == r["agency"] and rng.random() < 0.6:  # merged into it
            t2 = t + 60 * rng.uniform(5, 120)
            if t2 <= self.now and (target.ended is None or target.ended > t2):
                self.waits_until(t2, "close", r["close_due_at"])
                self.event(t2, "officer", officer, "duplicate", "diterima", "duplikat", None, of=target.ticket)
                r["duplicate_of_id"], r["closed_at"] = target.id, t2
                return t2
        if fate > 0.97:  # rejected by its holder once looked at
            t2 = t + 60 * rng.uniform(5, 90)
            if t2 > self.now:
                return None
            self.waits_until(t2, "close", r["close_due_at"])
            self.event(t2, "officer", officer, "rejected", "diterima", "ditolak", _any(rng, REJECT_REASONS))
            r["closed_at"] = t2
            return t2
        if rng.random() < 0.75:
            t += gen._minutes(40, 0.8)
            if t > self.now:
                return None
            self.event(t, "officer", officer, "in_progress", "diterima", "ditangani")
        t_close = t + gen._minutes(6 * 60, 1.0)
        # While it is worked: an internal note now and then, and a supervisor reassigning it.
        extras = []
        if rng.random() < 0.15:
            extras.append((t + (min(t_close, self.now) - t) * rng.uniform(0.2, 0.8), "note"))
        holders = gen.holders[(r["agency"], self.place)]
        if rng.random() < 0.03 and len(holders) > 1:
            extras.append((t + (min(t_close, self.now) - t) * rng.uniform(0.1, 0.5), "reassign"))
        for at, what in sorted(extras):
            if what == "note":
                self.event(at, "officer", officer, "note_added", None, None, _any(rng, NOTES))
            else:
                other = _any(rng, [o for o in holders if o != officer])
                self.event(at, "officer", _any(rng, gen.bosses[r["agency"]]), "reassigned", r["state"],
                           r["state"], None, from_officer=officer, to_officer=other)
                officer = r["owner_id"] = other
        if self.forgotten or t_close > self.now:
            return None
        outcomes, cum = gen.outcomes[r["agency"]]
        if not outcomes:  # an agency with no outcomes configured cannot close a report
            return None
        outcome = outcomes[_pick(rng, cum)]
        persons = self.persons() if outcome.counts_persons else None
        outside = (0 if rng.random() < 0.75 else _between(rng, 1, persons)) if persons else None
        self.waits_until(t_close, "close", r["close_due_at"])
        self.event(t_close, "officer", officer, "closed", r["state"], "selesai",
                   _any(rng, CLOSE_NOTES) if rng.random() < 0.2 else None,
                   outcome=outcome.code, persons=persons, from_outside=outside)
        r["closed_at"], r["outcome"], r["persons_count"] = t_close, outcome.code, persons
        r["case_data"] = {"from_outside": outside, **(self.breakdown(persons) if persons else {})}
        if rng.random() < 0.35:
            t_rate = t_close + 60 * rng.uniform(2, 720)
            for _ in range(1 + (rng.random() < 0.05)):  # now and then the resident changes their mind
                if t_rate > self.now:
                    break
                rating = _any(rng, RATINGS)
                self.event(t_rate, "reporter", r["reporter_id"], "rated", None, None, rating=rating)
                r["rating"] = rating
                t_rate += 60 * rng.uniform(1, 60)
        return t_close

    def persons(self) -> int:
        low, high = PERSONS.get(self.r["people_count"], (1, 4))
        return _between(self.rng, low, high)

    def breakdown(self, persons: int) -> dict[str, int]:
        """Age groups and sexes as the closing officer may record them (half of them do)."""
        rng = self.rng
        if rng.random() < 0.5:
            return {}
        age = BREAKDOWN_AGES.get(self.r["age_group"])
        if age is not None:
            counts = {age: persons}
        else:
            children = _between(rng, 0, persons)
            counts = {"child": children, "adult": persons - children}
        male = _between(rng, 0, persons)
        counts.update(male=male, female=persons - male)
        return {k: v for k, v in counts.items() if v}


RATINGS = (5, 5, 5, 4, 4, 4, 3, 3, 2, 1)
PERSONS = {"1": (1, 1), "2-3": (2, 3), "4-10": (4, 10), "10+": (11, 25)}
BREAKDOWN_AGES = {"anak": "child", "remaja": "teen", "dewasa": "adult", "lansia": "elderly"}


# ------------------------------------------------------------------------------------ lapor seed

async def seed_reports(engine: AsyncEngine, region: RegionConfig, *, reports: int, days: int, seed: int = DEFAULT_SEED,
                       now: datetime, progress: Callable[[int], None] | None = None) -> SeedStats:
    """`lapor seed`: `reports` synthetic reports created over the `days` before `now`, added to a
    database that holds nothing of a real person (NotSynthetic otherwise)."""
    real = await real_data(engine)
    if real is not None:
        raise NotSynthetic(f"the database holds {real}")
    t0 = time.perf_counter()
    gen = HistoryGenerator(region, now, since=now - timedelta(days=days), seed=seed)
    await gen.start(engine)
    await gen.add(engine, reports, gen.since, now, progress=progress)
    await gen.finish(engine)
    async with engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(Report))).scalar_one()
        open_ = (await conn.execute(select(func.count()).select_from(Report)
                                    .where(Report.state.in_(list(OPEN_STATES))))).scalar_one()
        overdue = (await conn.execute(select(func.count()).select_from(Report)
                                      .where(overdue_clause(now)))).scalar_one()
    return SeedStats(gen.reports_added, gen.events_added, gen.first, gen.last, time.perf_counter() - t0,
                     gen.officers_created, total, open_, overdue)
