"""The export as a desk officer opens it: Indonesian words (English on request), times as date
cells in the region's local time, a frozen and filtered header row, fitting columns, a sheet per
topic; the CSV with the same words and ISO local times."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from core.access import Scope
from core.exports import csv_text, workbook
from core.lifecycle import ReportState
from db.models import AuditEvent, Report
from tests.db_fixtures import new_reporter

# 23:30 UTC on 20 November is 06:30 WIB on the 21st: the cells must show the local day and hour.
CREATED = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
START, END = datetime(2026, 11, 15, 17, tzinfo=UTC), datetime(2026, 11, 22, 17, tzinfo=UTC)
CODES = {"selesai", "baru", "dialihkan", "pengemis", "satpolpp", "dinsos", "ditertibkan", "perorangan", "dewasa",
         "2-3", "submitted", "acknowledged", "closed", "handed_over", "reporter", "officer", "system"}


async def _world(session, region) -> tuple[Report, Report, Report]:
    """A closed Satpol PP report, a new one (its description a formula), and one Satpol PP handed
    over to Dinsos, which closed it."""
    reporter = await new_reporter(session)

    def report(n: int, category: str, agency: str, state: str, **extra) -> Report:
        return Report(ticket=f"UJI-2611-{n:04d}", draft_token=f"t{n}", reporter_id=reporter.id, region="uji",
                      category=category, agency=agency, informed_agencies=[], state=state, urgent=n == 1,
                      latitude=-7.05, longitude=112.05, kecamatan="Alpha", desa="Alpha Satu", landmark="Pasar",
                      people_count="2-3", age_group="dewasa", seen_at=CREATED - timedelta(minutes=20),
                      seen_when="time", reporter_type="perorangan", anonymous=True, language="id",
                      created_at=CREATED + timedelta(minutes=n), updated_at=CREATED,
                      response_due_at=CREATED + timedelta(hours=2), **extra)

    closed = report(1, "pengemis", "satpolpp", ReportState.SELESAI, description="Dua pengemis di lampu merah",
                    acknowledged_at=CREATED + timedelta(minutes=15), closed_at=CREATED + timedelta(hours=2),
                    outcome="ditertibkan", persons_count=2, rating=5)
    new = report(2, "pengemis", "satpolpp", ReportState.BARU, description="=HYPERLINK(\"http://x\")")
    passed = report(3, "pengemis", "dinsos", ReportState.SELESAI, description="RAHASIA Dinsos",
                    acknowledged_at=CREATED + timedelta(hours=1), closed_at=CREATED + timedelta(hours=3),
                    outcome="dikembalikan_keluarga", persons_count=4)
    session.add_all([closed, new, passed])
    await session.flush()
    for r in (closed, new, passed):
        session.add(AuditEvent(report_id=r.id, at=r.created_at, actor_type="reporter", actor_id=reporter.id,
                               action="submitted", to_state=ReportState.BARU, data={}))
    session.add_all([
        AuditEvent(report_id=closed.id, at=closed.acknowledged_at, actor_type="officer", actor_id=1,
                   action="acknowledged", from_state="baru", to_state="diterima", data={}),
        AuditEvent(report_id=closed.id, at=closed.closed_at, actor_type="officer", actor_id=1, action="closed",
                   from_state="diterima", to_state="selesai", note="Dibawa ke kantor", data={}),
        AuditEvent(report_id=passed.id, at=CREATED + timedelta(minutes=30), actor_type="officer", actor_id=1,
                   action="handed_over", from_state="baru", to_state="dialihkan", note="Perlu rehabilitasi",
                   data={"from_agency": "satpolpp", "to_agency": "dinsos"}),
        AuditEvent(report_id=passed.id, at=passed.closed_at, actor_type="officer", actor_id=2, action="closed",
                   from_state="diterima", to_state="selesai", note="RAHASIA catatan Dinsos", data={}),
    ])
    await session.commit()
    return closed, new, passed


def _rows(sheet) -> list[tuple]:
    return list(sheet.values)


async def test_workbook_in_indonesian_with_date_cells_and_a_sheet_per_topic(db, region):
    async with db() as session:
        closed, new, passed = await _world(session, region)
        book = load_workbook(io.BytesIO(await workbook(session, region, START, END)))
    assert book.sheetnames == ["Laporan", "Riwayat", "Hasil penanganan", "Per wilayah"]
    reports = book["Laporan"]
    header = _rows(reports)[0]
    assert header[:8] == ("Tiket", "Waktu lapor (WIB)", "Kategori", "Instansi", "Status", "Mendesak", "Kecamatan",
                          "Desa/Kelurahan")
    assert {"Uraian", "Waktu terlihat (WIB)", "Jenis pelapor", "Petugas pemegang", "Waktu diterima petugas (WIB)",
            "Waktu selesai (WIB)", "Hasil penanganan", "Orang ditangani"} <= set(header)
    col = {name: i for i, name in enumerate(header)}
    first = _rows(reports)[1]
    assert first[col["Tiket"]] == closed.ticket
    assert first[col["Kategori"]] == region.category("pengemis").label.get("id")
    assert (first[col["Instansi"]], first[col["Status"]], first[col["Mendesak"]]) == ("Satpol PP", "Selesai", "Ya")
    assert (first[col["Jumlah orang"]], first[col["Kelompok umur"]], first[col["Jenis pelapor"]]) == \
        ("2-3 orang", "Dewasa", "Perorangan")
    assert (first[col["Hasil penanganan"]], first[col["Orang ditangani"]]) == ("Ditertibkan", 2)
    assert not CODES & {v for v in first if isinstance(v, str)}
    # Times: real date cells, the region's wall clock (naive: Excel has no time zones).
    created = reports.cell(row=2, column=col["Waktu lapor (WIB)"] + 1)
    assert created.is_date and created.value == datetime(2026, 11, 21, 6, 31)
    assert created.number_format == "dd-mm-yyyy hh:mm"
    for name, expected in (("Waktu terlihat (WIB)", datetime(2026, 11, 21, 6, 10)),
                           ("Waktu diterima petugas (WIB)", datetime(2026, 11, 21, 6, 45)),
                           ("Waktu selesai (WIB)", datetime(2026, 11, 21, 8, 30))):
        cell = reports.cell(row=2, column=col[name] + 1)
        assert cell.is_date and cell.value == expected and "yy" in cell.number_format, name
    # The new report's description is a formula as text, never run.
    formula = reports.cell(row=3, column=col["Uraian"] + 1)
    assert formula.value.startswith("=HYPERLINK") and formula.data_type == "s" and formula.quotePrefix
    # Every sheet a table: header frozen, filtered, bold; columns as wide as their contents, bounded.
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=sheet.max_column).column_letter}" \
                                         f"{sheet.max_row}", sheet.title
        assert sheet["A1"].font.b
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(6 <= w <= 60 for w in widths), (sheet.title, widths)
    letter = reports.cell(row=1, column=col["Uraian"] + 1).column_letter
    assert reports.column_dimensions[letter].width > reports.column_dimensions["F"].width  # Uraian > Mendesak

    history = _rows(book["Riwayat"])
    assert history[0] == ("Tiket", "Waktu (WIB)", "Oleh", "Tindakan", "Status sebelumnya", "Status sesudahnya",
                          "Catatan")
    closing = next(r for r in history if r[0] == closed.ticket and r[3] == "Selesai ditangani")
    assert closing[1:] == (datetime(2026, 11, 21, 8, 30), "Petugas", "Selesai ditangani", "Diterima petugas",
                           "Selesai", "Dibawa ke kantor")
    assert (closed.ticket, datetime(2026, 11, 21, 6, 31), "Pelapor", "Laporan dikirim", None, "Baru", None) \
        in history
    assert book["Riwayat"].cell(row=2, column=2).is_date

    assert _rows(book["Hasil penanganan"]) == [
        ("Instansi", "Hasil penanganan", "Jumlah laporan", "Orang ditangani"),
        ("Satpol PP", "Ditertibkan", 1, 2),
        ("Dinsos", "Dikembalikan kepada keluarga", 1, 4),
    ]
    areas = _rows(book["Per wilayah"])
    labels = tuple(c.label.get("id") for c in region.categories)
    assert areas[0] == ("Kode kecamatan", "Kecamatan", "Kode desa/kelurahan", "Desa/Kelurahan", "Jumlah laporan",
                        *labels)
    assert areas[1][1:5] == ("Alpha", None, "Alpha Satu", 3)
    assert areas[1][5 + [c.code for c in region.categories].index("pengemis")] == 3


async def test_workbook_and_csv_in_english(db, region):
    async with db() as session:
        closed, *_ = await _world(session, region)
        book = load_workbook(io.BytesIO(await workbook(session, region, START, END, language="en")))
        text = await csv_text(session, region, START, END, language="en")
    assert book.sheetnames == ["Reports", "History", "Outcomes", "By area"]
    header, first = _rows(book["Reports"])[:2]
    assert header[:5] == ("Ticket", "Reported at (WIB)", "Category", "Agency", "State")
    col = {name: i for i, name in enumerate(header)}
    assert first[col["Category"]] == region.category("pengemis").label.get("en")
    assert (first[col["State"]], first[col["Urgent"]], first[col["Reporter type"]], first[col["Outcome"]]) == \
        ("Closed", "Yes", "Individual", region.agency("satpolpp").outcome("ditertibkan").label.get("en"))
    assert first[col["Reported at (WIB)"]] == datetime(2026, 11, 21, 6, 31)
    assert _rows(book["History"])[0][:4] == ("Ticket", "Time (WIB)", "By", "Action")
    assert _rows(book["Outcomes"])[0] == ("Agency", "Outcome", "Reports", "Persons handled")
    assert _rows(book["By area"])[0][:5] == ("Kecamatan code", "Kecamatan", "Desa code", "Desa/kelurahan", "Reports")

    assert text.startswith("\ufeffTicket,Reported at (WIB),Category,")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0]["Ticket"] == closed.ticket and rows[0]["State"] == "Closed"
    assert rows[0]["Reported at (WIB)"] == "2026-11-21 06:31" and rows[0]["Closed at (WIB)"] == "2026-11-21 08:30"


async def test_csv_in_indonesian_by_default(db, region):
    async with db() as session:
        closed, new, _ = await _world(session, region)
        text = await csv_text(session, region, START, END)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert list(rows[0])[:5] == ["Tiket", "Waktu lapor (WIB)", "Kategori", "Instansi", "Status"]
    assert [r["Status"] for r in rows] == ["Selesai", "Baru", "Selesai"]
    assert rows[0]["Waktu diterima petugas (WIB)"] == "2026-11-21 06:45" and rows[1]["Waktu selesai (WIB)"] == ""
    assert rows[1]["Uraian"] == "'" + new.description  # never a formula


async def test_an_agencys_workbook_keeps_what_it_may_of_a_report_it_handed_over(db, region):
    async with db() as session:
        closed, new, passed = await _world(session, region)
        book = load_workbook(io.BytesIO(await workbook(session, region, START, END, Scope("satpolpp"))))
        text = await csv_text(session, region, START, END, Scope("satpolpp"))
    header, *rows = _rows(book["Laporan"])
    col = {name: i for i, name in enumerate(header)}
    handed = next(r for r in rows if r[0] == passed.ticket)
    assert handed[col["Status"]] == "Dialihkan ke instansi lain"
    assert handed[col["Uraian"]] is None and handed[col["Hasil penanganan"]] is None
    assert handed[col["Lintang"]] is None and handed[col["Waktu selesai (WIB)"]] is None
    history = [r for r in _rows(book["Riwayat"]) if r[0] == passed.ticket]
    assert [r[3] for r in history] == ["Laporan dikirim", "Dialihkan ke instansi lain"]
    # Dinsos's outcome is Dinsos's: not among Satpol PP's.
    assert _rows(book["Hasil penanganan"])[1:] == [("Satpol PP", "Ditertibkan", 1, 2)]
    assert "RAHASIA" not in text and passed.ticket in text
