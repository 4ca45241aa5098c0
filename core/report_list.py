"""The dashboard's list of reports: filters, sorting and pages that stay fast at a million rows.

The filters arrive as plain text (a page's query string); `parse_filter` checks them against the
region's own codes and says, politely, which one it could not use, keeping every other. What the
list holds is the policy's scope (core.access.list_scope), the same as the officers' queue.

Pages are keyset pages (after the last row shown, never OFFSET): the hundredth page costs what
the first does. The total is counted up to COUNT_CAP rows and said as "10,000+" beyond.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from core.access import list_scope
from core.i18n import N_
from core.lifecycle import OPEN_STATES
from core.officers import OfficerInfo
from core.queue import scope_clauses
from core.region import RegionConfig
from core.targets import is_overdue, overdue_clause
from core.when import day_start
from db import text_search
from db.dialect import dialect_name
from db.models import Officer, Report

PAGE_SIZE = 50
COUNT_CAP = 10_000
TEXT_MAX = 100


class Sort:
    NEWEST = "newest"
    OLDEST = "oldest"
    DUE = "due"  # the earliest response target first: the most overdue on top


SORTS = (Sort.NEWEST, Sort.OLDEST, Sort.DUE)
SORT_LABELS = {Sort.NEWEST: N_("Newest first"), Sort.OLDEST: N_("Oldest first"),
               Sort.DUE: N_("Most overdue first")}


@dataclass(frozen=True)
class ReportFilter:
    states: tuple[str, ...] = ()
    category: str | None = None
    agency: str | None = None
    kecamatan_code: str | None = None  # a pack's code, or the kecamatan's name where there is no pack
    desa_code: str | None = None
    date_from: date | None = None  # local dates, both included
    date_to: date | None = None
    overdue: bool = False
    text: str | None = None
    sort: str = Sort.NEWEST

    def query(self, **changes: Any) -> str:
        """The filter as a query string (for links: the next page, a sort, an export)."""
        f = replace(self, **{k: v for k, v in changes.items() if k != "after"})
        params: list[tuple[str, str]] = [("state", s) for s in f.states]
        for key in ("category", "agency", "desa_code", "text"):
            if getattr(f, key):
                params.append((key.replace("_code", ""), getattr(f, key)))
        if f.kecamatan_code:
            params.append(("kecamatan", f.kecamatan_code))
        if f.date_from:
            params.append(("from", f.date_from.isoformat()))
        if f.date_to:
            params.append(("to", f.date_to.isoformat()))
        if f.overdue:
            params.append(("overdue", "1"))
        if f.sort != Sort.NEWEST:
            params.append(("sort", f.sort))
        if changes.get("after"):
            params.append(("after", changes["after"]))
        return urlencode(params)


@dataclass(frozen=True)
class FilterProblem:
    msgid: str
    args: dict[str, str] = field(default_factory=dict)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_filter(region: RegionConfig, params: Mapping[str, Any]) -> tuple[ReportFilter, list[FilterProblem]]:
    """The filter a query string asks for, and what in it could not be used (each said once)."""
    problems: list[FilterProblem] = []

    def get(key: str) -> str:
        value = params.get(key)
        return value.strip() if isinstance(value, str) else ""

    getall = getattr(params, "getall", None)
    raw_states = getall("state", []) if getall else ([params["state"]] if params.get("state") else [])
    states = tuple(dict.fromkeys(s for s in raw_states if s in STATE_CODES))
    if len(states) != len([s for s in raw_states if s]):
        problems.append(FilterProblem(N_("A state in the address is not known; it was left out.")))
    category = get("category") or None
    if category and category not in {c.code for c in region.categories}:
        problems.append(FilterProblem(N_("There is no category {value}; it was left out."), {"value": category[:40]}))
        category = None
    agency = get("agency") or None
    if agency and agency not in {a.code for a in region.agencies}:
        problems.append(FilterProblem(N_("There is no agency {value}; it was left out."), {"value": agency[:40]}))
        agency = None
    kecamatan = get("kecamatan") or None
    kecamatan_obj = None
    if kecamatan:
        kecamatan_obj = region.kecamatan_by_code(kecamatan) or region.kecamatan_by_name(kecamatan)
        if kecamatan_obj is None:
            problems.append(FilterProblem(N_("There is no kecamatan {value}; it was left out."),
                                          {"value": kecamatan[:40]}))
            kecamatan = None
        else:
            kecamatan = kecamatan_obj.code or kecamatan_obj.name
    desa = get("desa") or None
    if desa:
        found = region.desa_by_code(desa)
        if found is None or (kecamatan_obj is not None and found[0].name != kecamatan_obj.name):
            problems.append(FilterProblem(N_("There is no desa {value} here; it was left out."), {"value": desa[:40]}))
            desa = None
    date_from, date_to = (_date(get("from")) if get("from") else None), (_date(get("to")) if get("to") else None)
    for key, value in (("from", date_from), ("to", date_to)):
        if get(key) and value is None:
            problems.append(FilterProblem(N_("{value} is not a date; use the calendar or YYYY-MM-DD."),
                                          {"value": get(key)[:20]}))
    if date_from and date_to and date_from > date_to:
        problems.append(FilterProblem(N_("The dates were the wrong way round; they have been swapped.")))
        date_from, date_to = date_to, date_from
    text = " ".join(get("text").split())[:TEXT_MAX] or None
    sort = get("sort") or Sort.NEWEST
    if sort not in SORTS:
        sort = Sort.NEWEST
    return ReportFilter(states, category, agency, kecamatan, desa, date_from, date_to,
                        get("overdue") in ("1", "on", "true"), text, sort), problems


STATE_CODES = ("baru", "diterima", "ditangani", "dialihkan", "selesai", "ditolak", "duplikat", "ditarik")


def _local_start(region: RegionConfig, day: date) -> datetime:
    return day_start(day, region.tz)


# SQLite plans without statistics (nothing runs ANALYZE): to it an equality on the agency, a column
# of five values, looks as selective as one on a ticket, so it would read an agency's whole history
# and sort it rather than walk ix_reports_agency_created newest first and stop after a page. That
# index is therefore partial, on this condition (true of every report), and only a query that says
# it uses it: the lists and pins that walk the history (history_walk) and the counts of a period
# (period_walk). The queue of open reports, a few hundred whatever the history, keeps (agency, state).
BY_CREATION = Report.created_at.is_not(None)


def open_only(f: ReportFilter) -> bool:
    """The filter holds only open reports: the day's work, found by their state at any size."""
    return f.overdue or (bool(f.states) and set(f.states) <= OPEN_STATES)


class Words(StrEnum):
    """How the reports holding the search box's words are best read (SQLite, which plans without
    statistics, must be told; PostgreSQL's planner knows how common a word is)."""

    FEW = "few"  # from the text index, then sorted: a page walked newest first might read all history
    MANY = "many"  # a page walks the history newest first and finds its 50 soon; a count reads the index


FEW_WORDS = 5000  # reports holding the words, at most, for Words.FEW


async def words_reading(session: AsyncSession, f: ReportFilter) -> Words | None:
    """None: no words to look for (or a ticket, or PostgreSQL): the WHERE says everything."""
    if not f.text or dialect_name(session) != "sqlite" or await _ticket(session, f.text):
        return None
    typed = text_search.words(f.text)
    if not typed:
        return None
    return Words.FEW if await text_search.holding(session, typed, FEW_WORDS) <= FEW_WORDS else Words.MANY


async def _ticket(session: AsyncSession, typed: str) -> bool:
    return (await session.execute(select(Report.id).where(Report.ticket == typed.strip().upper()))).first() \
        is not None


def history_walk(f: ReportFilter, words: Words | None = None) -> list[ColumnElement[bool]]:
    """BY_CREATION for a read in order of creation that may go through the history (not only the
    open reports): the planner may then walk (agency, created_at) and stop after a page. Not for
    words few reports hold: those are read from the text index (reports_from)."""
    return [] if open_only(f) or words == Words.FEW else [BY_CREATION]


def reports_from(f: ReportFilter, words: Words | None, dialect: str, *,
                 whole: bool) -> tuple[FromClause, list[ColumnElement[bool]]]:
    """What a read of the filter's reports selects from, and the text's condition: the reports,
    with the words as "id IN (the index's matches)"; or, on SQLite, the text index joined to
    them (its matches read first) for a read of few matches, or of all of them (whole: a count).
    Never for the open reports alone: their few rows are found by their state."""
    if words is not None and not open_only(f) and (whole or words == Words.FEW):
        return text_search.REPORTS_FROM_INDEX, [text_search.index_match(text_search.words(f.text or ""))]
    if words == Words.MANY and not open_only(f):
        # A page of a common word: the history walked newest first decides, each report looked up
        # in the matches (words_reading said the text is no ticket).
        return Report.__table__, [text_search.among_matches(text_search.words(f.text or ""))]
    return Report.__table__, text_clauses(f, dialect)


def period_walk(f: ReportFilter) -> list[ColumnElement[bool]]:
    """BY_CREATION for a count over the filter's dates: (agency, created_at) holds the period."""
    return [BY_CREATION] if f.date_from or f.date_to else []


def _kecamatan_clause(region: RegionConfig, key: str, *, uncoded: bool) -> ColumnElement[bool] | None:
    kecamatan = region.kecamatan_by_code(key) or region.kecamatan_by_name(key)
    if kecamatan is None:
        return None
    if not kecamatan.code:
        return Report.kecamatan == kecamatan.name
    # By code where the region has a pack (names change between decrees), and by name for reports
    # made before the codes were filled, if there are any (uncoded).
    by_code = Report.kecamatan_code == kecamatan.code
    if not uncoded:
        return by_code
    return or_(by_code, and_(Report.kecamatan_code.is_(None), Report.kecamatan == kecamatan.name))


async def _uncoded(session: AsyncSession, region: RegionConfig, key: str) -> bool:
    """Some report names the kecamatan without its code (one ix_reports_area lookup)."""
    kecamatan = region.kecamatan_by_code(key) or region.kecamatan_by_name(key)
    if kecamatan is None or not kecamatan.code:
        return False
    return (await session.execute(select(Report.id).where(
        Report.kecamatan_code.is_(None), Report.kecamatan == kecamatan.name).limit(1))).first() is not None


def filter_clauses(region: RegionConfig, f: ReportFilter, now: datetime, *,
                   uncoded: bool = True) -> list[ColumnElement[bool]]:
    """The filter as WHERE clauses, but its text (text_clauses; the scope's come separately).
    uncoded=False: no report names the filter's kecamatan without its code (scoped_clauses asks),
    so its code alone finds its reports, through an index the planner can walk."""
    where: list[ColumnElement[bool]] = []
    if f.states:
        where.append(Report.state.in_(list(f.states)))
    if f.category:
        where.append(Report.category == f.category)
    if f.agency:
        where.append(Report.agency == f.agency)
    if f.kecamatan_code:
        clause = _kecamatan_clause(region, f.kecamatan_code, uncoded=uncoded)
        if clause is not None:
            where.append(clause)
    if f.desa_code:
        where.append(Report.desa_code == f.desa_code)
    if f.date_from:
        where.append(Report.created_at >= _local_start(region, f.date_from))
    if f.date_to:
        where.append(Report.created_at < _local_start(region, f.date_to + timedelta(days=1)))
    if f.overdue:
        # Only open reports are late: said outright, the planner finds them by their state.
        where += [Report.state.in_(list(OPEN_STATES)), overdue_clause(now)]
    return where


def text_clauses(f: ReportFilter, dialect: str) -> list[ColumnElement[bool]]:
    """The search box: a ticket as typed, or the words in the free text (through its index,
    db/text_search.py, which each database spells its own way)."""
    if not f.text:
        return []
    typed = text_search.words(f.text)
    ticket = Report.ticket == f.text.strip().upper()
    return [or_(ticket, text_search.matching(dialect, typed)) if typed else ticket]


@dataclass(frozen=True)
class ListRow:
    id: int
    ticket: str
    created_at: datetime
    category: str
    agency: str
    state: str
    kecamatan: str | None
    desa: str | None
    urgent: bool
    holder: str | None
    overdue: bool
    response_due_at: datetime


@dataclass(frozen=True)
class ReportPage:
    rows: list[ListRow]
    total: int  # at most COUNT_CAP + 1: "more than COUNT_CAP"
    next_after: str | None  # the cursor of the next page, if there is one
    filter: ReportFilter

    @property
    def total_capped(self) -> bool:
        return self.total > COUNT_CAP


def _sort_column(sort: str):
    return Report.response_due_at if sort == Sort.DUE else Report.created_at


def _encode(value: datetime, report_id: int) -> str:
    raw = json.dumps([value.astimezone(UTC).isoformat(), report_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor or len(cursor) > 200:
        return None
    try:
        at, report_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value = datetime.fromisoformat(at)
        if value.tzinfo is None or not isinstance(report_id, int):
            return None
        return value, report_id
    except (ValueError, TypeError):
        return None


async def scoped_clauses(session: AsyncSession, region: RegionConfig, actor: OfficerInfo, f: ReportFilter,
                         now: datetime, *, text: bool = True) -> list[ColumnElement[bool]]:
    """The actor's scope (the policy's) and the filter, as one WHERE: the list, its exports and
    the map all read the same reports. text=False: without the search box's words, for a read
    that adds them as reports_from says."""
    uncoded = bool(f.kecamatan_code) and await _uncoded(session, region, f.kecamatan_code or "")
    return [*await scope_clauses(session, list_scope(actor)), *filter_clauses(region, f, now, uncoded=uncoded),
            *(text_clauses(f, dialect_name(session)) if text else [])]


async def list_reports(session: AsyncSession, region: RegionConfig, *, actor: OfficerInfo, f: ReportFilter,
                       now: datetime, after: str | None = None, page_size: int = PAGE_SIZE) -> ReportPage:
    where = await scoped_clauses(session, region, actor, f, now, text=False)
    words = await words_reading(session, f)
    column = _sort_column(f.sort)
    descending = f.sort == Sort.NEWEST
    order = (column.desc(), Report.id.desc()) if descending else (column.asc(), Report.id.asc())
    source, matching = reports_from(f, words, dialect_name(session), whole=False)
    stmt = (select(Report, Officer.name).select_from(source).outerjoin(Officer, Officer.id == Report.owner_id)
            .where(*where, *matching, *history_walk(f, words)).order_by(*order).limit(page_size + 1))
    cursor = _decode(after)
    if cursor is not None:
        value, last_id = cursor
        # The bound on the column alone lets an index start at the cursor: page 100 costs page 1's.
        if descending:
            stmt = stmt.where(column <= value, or_(column < value, and_(column == value, Report.id < last_id)))
        else:
            stmt = stmt.where(column >= value, or_(column > value, and_(column == value, Report.id > last_id)))
    fetched = (await session.execute(stmt)).all()
    if cursor is None and len(fetched) <= page_size:
        total = len(fetched)  # the first page holds them all: nothing more to count
    else:
        source, matching = reports_from(f, words, dialect_name(session), whole=True)
        counted = select(Report.id).select_from(source).where(*where, *matching, *period_walk(f))
        total = (await session.execute(
            select(func.count()).select_from(counted.limit(COUNT_CAP + 1).subquery()))).scalar_one()
    rows = [ListRow(r.id, r.ticket, r.created_at, r.category, r.agency, r.state, r.kecamatan, r.desa, r.urgent,
                    holder, is_overdue(r.state, r.response_due_at, r.close_due_at, now), r.response_due_at)
            for r, holder in fetched[:page_size]]
    next_after = None
    if len(fetched) > page_size:
        last = fetched[page_size - 1][0]
        next_after = _encode(last.response_due_at if f.sort == Sort.DUE else last.created_at, last.id)
    return ReportPage(rows, total, next_after, f)
