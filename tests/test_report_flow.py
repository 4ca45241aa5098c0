"""The resident's report, end to end: emulator -> aiogram polling -> handlers -> database -> outbox."""
from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEvent, Outbox, Report, ReportPhoto
from tests.flows import english, full_report
from tests.harness import CITIZEN_TOKEN, PIN_ALPHA


async def test_report_by_pin_in_indonesian(h):
    siti = h.resident()
    welcome = await siti.say("/start")
    assert "Lapor PMKS" in siti.texts()[0] and "112" in siti.texts()[0] and "129" in siti.texts()[0]
    assert welcome.buttons == [["🇮🇩 Bahasa Indonesia", "🇬🇧 English"]]  # the language choice
    question = await siti.press("📝 Buat laporan")
    assert "kategori" in question.text.lower()
    loc = await siti.tap("Pengemis")
    assert loc.reply_keyboard == [["📍 Kirim lokasi saya sekarang"], ["🗺️ Pilih kecamatan dari daftar"],
                                  ["✖️ Batalkan laporan"]]
    pace = await siti.press("📍 Kirim lokasi saya sekarang", location=PIN_ALPHA)
    assert "Alpha" in siti.texts()[-2]  # the pin was placed (and the menu is back)
    assert pace.buttons == [["📨 Kirim sekarang"], ["🚨 Ada yang dalam bahaya sekarang"], ["📝 Tambah keterangan"],
                            ["✖️ Batal"]]
    landmark = await siti.tap("📝 Tambah keterangan")
    assert "patokan" in landmark.text.lower()
    await siti.tap("Lewati")
    await siti.tap("2-3 orang")
    await siti.tap("Anak-anak")
    await siti.say("Dua anak meminta-minta di lampu merah, baju merah")
    await siti.tap("Sekarang")
    await siti.photo()
    await siti.tap("Selesai")
    await siti.tap("Tidak")
    await siti.tap("Perorangan")
    review = await siti.tap("Tetap anonim")
    assert "Pengemis" in review.text and "Alpha" in review.text and "lampu merah" in review.text
    receipt = await siti.tap("Kirim laporan")
    report = (await h.rows(select(Report)))[0]
    assert report.ticket in receipt.text and "Satpol PP" in receipt.text
    assert receipt.reply_keyboard is not None  # the main menu is back
    assert report.category == "pengemis" and report.agency == "satpolpp" and report.state == "baru"
    assert report.kecamatan == "Alpha" and report.latitude == PIN_ALPHA[0]
    assert report.people_count == "2-3" and report.age_group == "anak" and report.anonymous
    assert report.informed_agencies == ["dinsos"]
    assert await h.count(ReportPhoto, ReportPhoto.report_id == report.id) == 1
    assert await h.count(AuditEvent, AuditEvent.report_id == report.id) == 1
    assert await h.count(Outbox, Outbox.status == "sent") == 1


async def test_a_resident_in_a_hurry_sends_a_report_in_five_interactions(h):
    """Category, pin, send now, send (after "Make a report"): five; a photo makes six. What was
    not said takes defaults that claim nothing, changeable on the review card."""
    siti = h.resident()
    await siti.say("/start")  # opening the bot, not part of a report
    before = h.emu.bot(CITIZEN_TOKEN).updates.next_id
    await siti.press("📝 Buat laporan")
    await siti.tap("Pengemis")
    await siti.press("📍 Kirim lokasi saya sekarang", location=PIN_ALPHA)
    await siti.photo()
    review = await siti.tap("📨 Kirim sekarang")
    assert "Jumlah orang: Tidak tahu" in review.text and "Foto: 1" in review.text, review.text
    receipt = await siti.tap("Kirim laporan")
    assert h.emu.bot(CITIZEN_TOKEN).updates.next_id - before == 6  # every press, tap, pin and photo
    report = (await h.rows(select(Report)))[0]
    assert report.ticket in receipt.text
    assert (report.people_count, report.age_group, report.description, report.seen_when) == (
        "unknown", "unknown", None, "now")
    assert report.anonymous and report.reporter_type == "perorangan" and not report.urgent
    assert await h.count(ReportPhoto, ReportPhoto.report_id == report.id) == 1


async def test_in_a_hurry_with_someone_in_danger_the_report_is_urgent_and_the_numbers_shown(h):
    r = h.resident(5003, "Rina", "en")
    await r.say("/start en")
    await r.press("📝 Make a report")
    await r.tap("Beggars")
    await r.press("📍 Send my current location", location=PIN_ALPHA)
    await r.say("A child alone at the crossing")  # typed at "send now or tell more": the description
    review = await r.tap("🚨 Someone is in danger now")
    assert any("If someone is in danger, call now" in t and "112" in t for t in r.texts()[-3:])
    assert "Someone in danger: YES" in review.text and "A child alone at the crossing" in review.text
    await r.tap("Send report")
    report = (await h.rows(select(Report)))[0]
    assert report.urgent and report.description == "A child alone at the crossing"


async def test_the_full_path_for_those_who_say_more_takes_fourteen_interactions(h):
    r = h.resident(5004, "Eko", "en")
    await english(r)
    before = h.emu.bot(CITIZEN_TOKEN).updates.next_id
    receipt = await full_report(r)
    assert "UJI-" in receipt.text
    assert h.emu.bot(CITIZEN_TOKEN).updates.next_id - before == 14


async def test_report_in_english_by_kecamatan_list(h):
    john = h.resident(5002, "John", "en")
    await john.say("/bahasa")
    await john.tap("English")
    await john.press("📝 Make a report")
    await john.tap("Beggars")
    await john.press("🗺️ Choose kecamatan from a list")
    desa = await john.tap("Alpha")
    assert "desa" in desa.text.lower()
    await john.tap("Alpha Dua")
    await john.say("Near the market gate")
    await john.tap("📝 Tell more")
    await john.tap("1 person")
    await john.tap("Elderly")
    await john.tap("Skip")
    await john.tap("At a time")
    await john.say("9.15")
    await john.tap("Skip, no photos")
    await john.tap("Yes, someone is in danger")
    emergency = john.user.messages[-2]
    assert "112" in emergency.text and "129" in emergency.text and "urgent" in emergency.text
    await john.tap("Group")
    review = await john.tap("Officers may see my name")
    assert "Alpha Dua" in review.text and "Near the market gate" in review.text and "YES" in review.text
    receipt = await john.tap("Send report")
    assert "UJI-" in receipt.text and "Response target" in receipt.text
    report = (await h.rows(select(Report)))[0]
    assert report.urgent and report.desa == "Alpha Dua" and report.latitude is None
    assert report.landmark == "Near the market gate" and not report.anonymous
    assert report.reporter_type == "kelompok"
    assert report.seen_at.astimezone(h.region.tz).strftime("%H:%M") == "09:15"
    # Urgent reports get the category's shorter target.
    category = h.region.category("pengemis")
    assert (report.response_due_at - report.created_at).total_seconds() == category.urgent_response_minutes * 60
