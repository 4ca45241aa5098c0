"""The same flows in Indonesian, the default language: what most residents and officers see."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import DonationPledge, Report
from tests.flows import full_report, report_until


@pytest.mark.parametrize("step", ["category", "location", "description", "photos", "review"])
async def test_cancel_in_indonesian(h, step):
    r = h.resident()
    await r.say("/start")
    await report_until(r, step, lang="id")
    if step == "location":
        done = await r.press("✖️ Batalkan laporan")
    elif step == "review":
        done = await r.tap("✖️ Batalkan laporan")
    else:
        done = await r.tap("✖️ Batal")
    assert "dibatalkan" in done.text.lower()
    assert "📝 Buat laporan" in str(done.reply_keyboard)
    assert await h.count(Report) == 0


async def test_garbage_in_indonesian_gets_an_indonesian_answer(h):
    r = h.resident()
    await r.say("/start")
    await report_until(r, "people_count", lang="id")
    answer = await r.send("sticker")
    assert "tombol" in answer.text.lower()  # "gunakan tombol ..."
    assert (await h.conversation(r))[1]["draft"]["category"] == "pengemis"


async def test_status_add_info_and_withdraw_in_indonesian(h):
    r = h.resident()
    await r.say("/start")
    receipt = await full_report(r, lang="id")
    assert "Nomor tiket" in receipt.text and "Target tanggapan" in receipt.text
    report = await h.scalar(select(Report))
    await r.press("📋 Laporan saya")
    detail = await r.tap(report.ticket)
    assert "Riwayat" in detail.text
    await r.tap("➕ Tambah informasi")
    added = await r.say("Masih ada di depan minimarket")
    assert report.ticket in added.text
    await r.say(f"/status {report.ticket}")
    await r.tap("↩️ Tarik laporan ini")
    await r.tap("Ya, tarik laporan")
    assert (await h.scalar(select(Report))).state == "ditarik"


async def test_donation_in_indonesian(h):
    r = h.resident()
    await r.say("/start")
    await r.press("🤝 Sumbangan")
    await r.tap("Barang")
    await r.say("20 paket sembako")
    await r.press("📱 Kirim nomor HP saya")
    receipt = await r.tap("✅ Kirim tawaran")
    pledge = await h.scalar(select(DonationPledge))
    assert pledge.ticket in receipt.text and "Dinas Sosial" in receipt.text


async def test_officer_in_indonesian_acknowledges_and_resident_is_told(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"], language="id")
    r = h.resident()
    await r.say("/start")
    await full_report(r, lang="id")
    report = await h.scalar(select(Report))
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    assert "Tempat" in alert.text
    await officer.tap("✋ Terima")
    assert any("sudah diterima petugas" in t for t in r.texts())
