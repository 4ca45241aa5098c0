"""The period's reports and their history as an Excel workbook (openpyxl) or CSV: attached to
weekly and monthly summaries, and `lapor export` from the command line. Reporters appear by
number only; no cell is ever taken for a formula (core.spreadsheet).

What it holds is the policy's scope (core.access.summary_scope): a supervisor gets the reports
their agency handles, and of those it handed over to another agency only what it knew and did
(the report's place and category, its history up to the hand-over; not its text or pin); a
region-wide reader, and the operator's CLI, get every report.

A desk officer reads it: headers and labels are words, in Indonesian unless English is asked for
(every word of both in `TEXT` and the tables below it; categories, agencies and outcomes from the
region config); times are spreadsheet dates in the region's local time. The workbook has one sheet
per topic: the reports, their history, the outcomes per agency, and the reports per kecamatan and
desa and category.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.access import WHOLE_REGION, Scope
from core.draft import AGE_GROUP_LABELS, PEOPLE_COUNT_LABELS, REPORTER_TYPE_LABELS
from core.i18n import translator
from core.lifecycle import ReportState
from core.region import RegionConfig
from core.spreadsheet import append_row, csv_row, finish_table
from db.models import AuditEvent, Officer, Report

LANGUAGES = ("id", "en")

# Every word of the workbook and the CSV, (Indonesian, English).
TEXT: dict[str, tuple[str, str]] = {
    "sheet_reports": ("Laporan", "Reports"),
    "sheet_history": ("Riwayat", "History"),
    "sheet_outcomes": ("Hasil penanganan", "Outcomes"),
    "sheet_areas": ("Per wilayah", "By area"),
    "yes": ("Ya", "Yes"),
}
REPORT_HEADERS: list[tuple[str, str]] = [
    ("Tiket", "Ticket"),
    ("Waktu lapor", "Reported at"),
    ("Kategori", "Category"),
    ("Instansi", "Agency"),
    ("Status", "State"),
    ("Mendesak", "Urgent"),
    ("Kecamatan", "Kecamatan"),
    ("Desa/Kelurahan", "Desa/kelurahan"),
    ("Kode kecamatan", "Kecamatan code"),
    ("Kode desa/kelurahan", "Desa code"),
    ("Patokan lokasi", "Landmark"),
    ("Lintang", "Latitude"),
    ("Bujur", "Longitude"),
    ("Di luar wilayah", "Outside the region"),
    ("Jumlah orang", "People"),
    ("Kelompok umur", "Age group"),
    ("Uraian", "Description"),
    ("Waktu terlihat", "Seen at"),
    ("Jenis pelapor", "Reporter type"),
    ("Anonim", "Anonymous"),
    ("Petugas pemegang", "Held by"),
    ("Waktu diterima petugas", "Acknowledged at"),
    ("Waktu selesai", "Closed at"),
    ("Hasil penanganan", "Outcome"),
    ("Orang ditangani", "Persons handled"),
    ("Penilaian pelapor", "Rating"),
]
_REPORT_COLUMN = {english: index for index, (_, english) in enumerate(REPORT_HEADERS)}
# What an agency no longer sees of a report it handed over (columns by their English header).
WITHHELD_AFTER_HAND_OVER: dict[str, str | None] = {
    "Landmark": "", "Latitude": None, "Longitude": None, "Description": "", "Held by": "", "Acknowledged at": None,
    "Closed at": None, "Outcome": "", "Persons handled": None, "Rating": None,
}
# Columns holding a time: their header names the region's time zone (WIB, WITA, WIT).
REPORT_TIME_COLUMNS = (1, 17, 21, 22)
HISTORY_HEADERS: list[tuple[str, str]] = [
    ("Tiket", "Ticket"),
    ("Waktu", "Time"),
    ("Oleh", "By"),
    ("Tindakan", "Action"),
    ("Status sebelumnya", "State before"),
    ("Status sesudahnya", "State after"),
    ("Catatan", "Note"),
]
OUTCOME_HEADERS: list[tuple[str, str]] = [
    ("Instansi", "Agency"),
    ("Hasil penanganan", "Outcome"),
    ("Jumlah laporan", "Reports"),
    ("Orang ditangani", "Persons handled"),
]
# Followed by one column per category (its label).
AREA_HEADERS: list[tuple[str, str]] = [
    ("Kode kecamatan", "Kecamatan code"),
    ("Kecamatan", "Kecamatan"),
    ("Kode desa/kelurahan", "Desa code"),
    ("Desa/Kelurahan", "Desa/kelurahan"),
    ("Jumlah laporan", "Reports"),
]
STATES: dict[str, tuple[str, str]] = {
    ReportState.BARU: ("Baru", "New"),
    ReportState.DITERIMA: ("Diterima petugas", "Acknowledged"),
    ReportState.DITANGANI: ("Sedang ditangani", "Being handled"),
    ReportState.SELESAI: ("Selesai", "Closed"),
    ReportState.DIALIHKAN: ("Dialihkan ke instansi lain", "Handed over"),
    ReportState.DITOLAK: ("Ditolak", "Rejected"),
    ReportState.DUPLIKAT: ("Duplikat", "Duplicate"),
    ReportState.DITARIK: ("Ditarik pelapor", "Withdrawn by the reporter"),
}
ACTORS: dict[str, tuple[str, str]] = {
    "reporter": ("Pelapor", "Reporter"),
    "officer": ("Petugas", "Officer"),
    "system": ("Sistem", "System"),
    "unknown": ("Tidak dikenal", "Unknown"),
}
ACTIONS: dict[str, tuple[str, str]] = {
    "submitted": ("Laporan dikirim", "Report sent"),
    "acknowledged": ("Diterima petugas", "Acknowledged"),
    "in_progress": ("Petugas menuju lokasi", "Officers on the way"),
    "handed_over": ("Dialihkan ke instansi lain", "Handed over to another agency"),
    "closed": ("Selesai ditangani", "Closed"),
    "rejected": ("Ditolak", "Rejected"),
    "duplicate": ("Digabung dengan laporan lain", "Merged with another report"),
    "reopened": ("Dibuka kembali", "Reopened"),
    "reassigned": ("Dipindahkan ke petugas lain", "Reassigned to another officer"),
    "withdrawn": ("Ditarik pelapor", "Withdrawn by the reporter"),
    "info_added": ("Pelapor menambah informasi", "Reporter added information"),
    "photo_added": ("Foto ditambahkan", "Photo added"),
    "note_added": ("Catatan petugas", "Officer's note"),
    "question_asked": ("Pertanyaan kepada pelapor", "Question to the reporter"),
    "question_answered": ("Jawaban pelapor", "Reporter's answer"),
    "rated": ("Dinilai pelapor", "Rated by the reporter"),
    "anonymised": ("Dianonimkan (retensi data)", "Anonymised (data retention)"),
    "access_refused": ("Akses ditolak", "Access refused"),
}
class _Words:
    """The labels of one language; a code no table knows (an agency or category since removed
    from the region config) shows as itself."""

    def __init__(self, region: RegionConfig, language: str | None) -> None:
        lang = language or region.region.default_language
        self.region, self.lang = region, lang if lang in LANGUAGES else "id"
        self._en = self.lang == "en"

    def __call__(self, pair: tuple[str, str]) -> str:
        return pair[1] if self._en else pair[0]

    def text(self, key: str) -> str:
        return self(TEXT[key])

    def headers(self, pairs: list[tuple[str, str]]) -> list[str]:
        return [self(p) for p in pairs]

    def of(self, table: dict[str, tuple[str, str]], code: str | None) -> str:
        if not code:
            return ""
        return self(table[code]) if code in table else code

    def label(self, labels: dict[Any, str], code: str | None) -> str:
        """A code the report flow labels (core.draft), in the bot's own words for this language."""
        if not code:
            return ""
        return translator(self.lang).plain(labels[code]) if code in labels else code

    def yes(self, flag: bool | None) -> str:
        return self.text("yes") if flag else ""

    def category(self, code: str) -> str:
        return self.region.category_label(code, self.lang)

    def agency(self, code: str) -> str:
        return self.region.agency_label(code, self.lang)

    def outcome(self, agency: str, code: str | None) -> str:
        return self.region.outcome_label(agency, code, self.lang) if code else ""


def local_time(value: datetime | None, region: RegionConfig) -> datetime | None:
    """A spreadsheet's time: the region's wall clock, without a zone (Excel has none), to the second."""
    if value is None:
        return None
    return value.astimezone(region.tz).replace(tzinfo=None, microsecond=0)


def _zone(region: RegionConfig, at: datetime) -> str:
    name = at.astimezone(region.tz).tzname() or ""
    return f" ({name})" if name.isalpha() else ""


@dataclass
class _Included:
    report: Report
    holder: str | None
    # Handed over by the scope's agency: what it may keep ends with this event (its hand-over).
    until_event: int | None = None


async def handed_over_by(session: AsyncSession, agency: str, report_ids: list[int] | None = None,
                         ) -> dict[int, int]:
    """Report id -> id of the agency's last hand-over of it (an agency keeps the record of its
    own work on a report it passed on)."""
    stmt = select(AuditEvent.report_id, AuditEvent.id).where(
        AuditEvent.action == "handed_over", AuditEvent.data["from_agency"].as_string() == agency)
    if report_ids is not None:
        stmt = stmt.where(AuditEvent.report_id.in_(report_ids))
    last: dict[int, int] = {}
    for report_id, event_id in (await session.execute(stmt)).all():
        if report_id is not None:
            last[report_id] = max(event_id, last.get(report_id, 0))
    return last


async def _included(session: AsyncSession, scope: Scope, start: datetime, end: datetime) -> list[_Included]:
    in_period = [Report.created_at >= start, Report.created_at < end]
    query = (select(Report, Officer.name).outerjoin(Officer, Officer.id == Report.owner_id)
             .where(*in_period).order_by(Report.created_at, Report.id))
    if scope.region_wide:
        return [_Included(r, holder) for r, holder in (await session.execute(query)).all()]
    assert scope.agency is not None
    own = [_Included(r, holder) for r, holder in
           (await session.execute(query.where(Report.agency == scope.agency))).all()]
    period_ids = list((await session.execute(select(Report.id).where(*in_period, Report.agency != scope.agency)
                                              )).scalars())
    passed = await handed_over_by(session, scope.agency, period_ids) if period_ids else {}
    if passed:
        others = (await session.execute(select(Report).where(Report.id.in_(list(passed))))).scalars()
        own += [_Included(r, None, passed[r.id]) for r in others]
        own.sort(key=lambda i: (i.report.created_at, i.report.id))
    return own


def _report_row(item: _Included, words: _Words) -> list[Any]:
    r, region = item.report, words.region
    row = [r.ticket, local_time(r.created_at, region), words.category(r.category), words.agency(r.agency),
           words.of(STATES, r.state), words.yes(r.urgent), r.kecamatan or "", r.desa or "", r.kecamatan_code or "",
           r.desa_code or "", r.landmark or "", r.latitude, r.longitude, words.yes(r.outside_region),
           words.label(PEOPLE_COUNT_LABELS, r.people_count), words.label(AGE_GROUP_LABELS, r.age_group),
           r.description or "", local_time(r.seen_at, region), words.label(REPORTER_TYPE_LABELS, r.reporter_type),
           words.yes(r.anonymous), item.holder or "", local_time(r.acknowledged_at, region),
           local_time(r.closed_at, region), words.outcome(r.agency, r.outcome), r.persons_count, r.rating]
    if item.until_event is not None:
        # Passed on: the category, place and dates stay with the agency's statistics; the case
        # itself (text, pin, what the other agency did) is the other agency's now.
        row[_REPORT_COLUMN["State"]] = words.of(STATES, ReportState.DIALIHKAN)
        for column, blank in WITHHELD_AFTER_HAND_OVER.items():
            row[_REPORT_COLUMN[column]] = blank
    return row


async def _history_rows(session: AsyncSession, items: list[_Included], words: _Words) -> list[list[Any]]:
    by_id = {i.report.id: i for i in items}
    rows: list[list[Any]] = []
    if not by_id:
        return rows
    events = (await session.execute(
        select(AuditEvent).where(AuditEvent.report_id.in_(list(by_id))).order_by(AuditEvent.id))).scalars()
    for e in events:
        item = by_id[e.report_id or 0]
        if item.until_event is not None and e.id > item.until_event:
            continue
        rows.append([item.report.ticket, local_time(e.at, words.region), words.of(ACTORS, e.actor_type),
                     words.of(ACTIONS, e.action), words.of(STATES, e.from_state), words.of(STATES, e.to_state),
                     e.note or ""])
    return rows


def _outcome_rows(items: list[_Included], words: _Words) -> list[list[Any]]:
    """Per agency and outcome: the reports closed with it and the persons handled, in the region
    config's order. A report handed over is counted by the agency that closed it."""
    reports: Counter[tuple[str, str]] = Counter()
    persons: Counter[tuple[str, str]] = Counter()
    for item in items:
        r = item.report
        if item.until_event is None and r.outcome:
            reports[(r.agency, r.outcome)] += 1
            persons[(r.agency, r.outcome)] += r.persons_count or 0
    order: dict[tuple[str, str], int] = {}
    for agency in words.region.agencies:
        for outcome in agency.outcomes:
            order[(agency.code, outcome.code)] = len(order)
    keys = sorted(reports, key=lambda k: (order.get(k, len(order)), k))
    return [[words.agency(a), words.outcome(a, o), reports[(a, o)], persons[(a, o)]] for a, o in keys]


def _area_rows(items: list[_Included], words: _Words) -> list[list[Any]]:
    """One row per kecamatan and desa with reports (a kecamatan-only row for reports placed in no
    desa), by code where there is one, each kecamatan's current name from the region."""
    region = words.region
    categories = [c.code for c in region.categories]
    counts: dict[tuple[str, str, str, str], dict[str, int]] = {}
    for item in items:
        r = item.report
        kec_code, desa_code = r.kecamatan_code or "", r.desa_code or ""
        known = region.kecamatan_by_code(kec_code) if kec_code else None
        key = (kec_code, known.name if known else r.kecamatan or "-", desa_code, r.desa or "")
        per = counts.setdefault(key, dict.fromkeys(categories, 0))
        per[r.category] = per.get(r.category, 0) + 1
    return [[*key, sum(per.values()), *(per.get(c, 0) for c in categories)]
            for key, per in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][3]))]


def _report_headers(words: _Words, start: datetime) -> list[str]:
    headers = words.headers(REPORT_HEADERS)
    zone = _zone(words.region, start)
    return [h + zone if i in REPORT_TIME_COLUMNS else h for i, h in enumerate(headers)]


async def workbook(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime,
                   scope: Scope = WHOLE_REGION, *, language: str | None = None) -> bytes:
    """The workbook of the reports created in [start, end), in `language` (default: the region's)."""
    words = _Words(region, language)
    return await _workbook_of(session, await _included(session, scope, start, end), words, start)


async def _workbook_of(session: AsyncSession, items: list[_Included], words: _Words, start: datetime) -> bytes:
    region = words.region
    book = Workbook()
    reports = book.active
    assert reports is not None
    reports.title = words.text("sheet_reports")
    append_row(reports, _report_headers(words, start))
    for item in items:
        append_row(reports, _report_row(item, words))
    history = book.create_sheet(words.text("sheet_history"))
    headers = words.headers(HISTORY_HEADERS)
    headers[1] += _zone(region, start)
    append_row(history, headers)
    for row in await _history_rows(session, items, words):
        append_row(history, row)
    outcomes = book.create_sheet(words.text("sheet_outcomes"))
    append_row(outcomes, words.headers(OUTCOME_HEADERS))
    for row in _outcome_rows(items, words):
        append_row(outcomes, row)
    # Reports per kecamatan and desa and category: the table a desk officer pivots on.
    areas = book.create_sheet(words.text("sheet_areas"))
    append_row(areas, [*words.headers(AREA_HEADERS), *(words.category(c.code) for c in region.categories)])
    for row in _area_rows(items, words):
        append_row(areas, row)
    for sheet in book.worksheets:
        finish_table(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The dashboard's filtered list as a file: at most this many reports (a workbook of more is more
# than a desk computer opens comfortably; the page says so and a narrower filter gets the rest).
EXPORT_CAP = 100_000


async def _included_where(session: AsyncSession, where: list[ColumnElement[bool]]) -> list[_Included]:
    """The reports a list shows (its scope and filter already in `where`), oldest first."""
    query = (select(Report, Officer.name).outerjoin(Officer, Officer.id == Report.owner_id)
             .where(*where).order_by(Report.created_at, Report.id).limit(EXPORT_CAP))
    return [_Included(r, holder) for r, holder in (await session.execute(query)).all()]


async def filtered_workbook(session: AsyncSession, region: RegionConfig, where: list[ColumnElement[bool]], *,
                            now: datetime, language: str | None = None) -> bytes:
    """The dashboard's filtered list as the summaries' workbook (the same sheets and labels)."""
    return await _workbook_of(session, await _included_where(session, where), _Words(region, language), now)


async def filtered_csv(session: AsyncSession, region: RegionConfig, where: list[ColumnElement[bool]], *,
                       now: datetime, language: str | None = None) -> str:
    return _csv_of(await _included_where(session, where), _Words(region, language), now)


def record_export(session: AsyncSession, *, officer_id: int, now: datetime, kind: str, query: str) -> None:
    """Personal data left the system in a file: who took it, when, and which filter (audited)."""
    session.add(AuditEvent(report_id=None, at=now, actor_type="officer", actor_id=officer_id,
                           action="list_exported", data={"kind": kind, "filter": query[:500]}))


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return "" if value is None else value


async def csv_text(session: AsyncSession, region: RegionConfig, start: datetime, end: datetime,
                   scope: Scope = WHOLE_REGION, *, language: str | None = None) -> str:
    """The reports as CSV, with the workbook's headers and labels; times as ISO local text
    (YYYY-MM-DD HH:MM). Starts with a byte order mark: Excel then reads it as UTF-8."""
    return _csv_of(await _included(session, scope, start, end), _Words(region, language), start)


def _csv_of(items: list[_Included], words: _Words, start: datetime) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(csv_row(_report_headers(words, start)))
    writer.writerows(csv_row(_csv_value(v) for v in _report_row(item, words)) for item in items)
    return out.getvalue()
