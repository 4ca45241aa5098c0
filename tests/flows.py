"""Drives the report flow step by step for tests, in English or Indonesian."""
from __future__ import annotations

from sqlalchemy import select

from db.models import Report
from tests.harness import PIN_ALPHA, Harness, Resident

LABELS = {
    "en": {
        "report": "📝 Make a report", "send_location": "📍 Send my current location",
        "pick_kecamatan": "🗺️ Choose kecamatan from a list", "skip": "Skip", "category": "Beggars",
        "people": "2-3 people", "age": "Children", "now": "Right now", "photos_done": "Skip, no photos",
        "not_urgent": "No", "individual": "Individual", "anonymous": "Stay anonymous", "send": "Send report",
        "cancel": "✖️ Cancel", "cancel_report": "✖️ Cancel report",
        "more": "📝 Tell more", "send_now": "📨 Send now",
    },
    "id": {
        "report": "📝 Buat laporan", "send_location": "📍 Kirim lokasi saya sekarang",
        "pick_kecamatan": "🗺️ Pilih kecamatan dari daftar", "skip": "Lewati", "category": "Pengemis",
        "people": "2-3 orang", "age": "Anak-anak", "now": "Sekarang", "photos_done": "Lewati, tanpa foto",
        "not_urgent": "Tidak", "individual": "Perorangan", "anonymous": "Tetap anonim", "send": "Kirim laporan",
        "cancel": "✖️ Batal", "cancel_report": "✖️ Batalkan laporan",
        "more": "📝 Tambah keterangan", "send_now": "📨 Kirim sekarang",
    },
}

# The steps of a report by pin, each as (name, action): used to stop at any step.
STEPS = ["category", "location", "pace", "landmark", "people_count", "age_group", "description", "seen_when",
         "photos", "urgent", "reporter_type", "anonymous", "review"]


async def english(r: Resident) -> None:
    await r.say("/start en")


async def report_until(r: Resident, stop_at: str, lang: str = "en", description: str = "Two children begging"):
    """Starts a report and answers every step before `stop_at`; returns the bot's last message."""
    L = LABELS[lang]
    last = await r.press(L["report"])
    actions = {
        "category": lambda: r.tap(L["category"]),
        "location": lambda: r.press(L["send_location"], location=PIN_ALPHA),
        "pace": lambda: r.tap(L["more"]),
        "landmark": lambda: r.tap(L["skip"]),
        "people_count": lambda: r.tap(L["people"]),
        "age_group": lambda: r.tap(L["age"]),
        "description": lambda: r.say(description),
        "seen_when": lambda: r.tap(L["now"]),
        "photos": lambda: r.tap(L["photos_done"]),
        "urgent": lambda: r.tap(L["not_urgent"]),
        "reporter_type": lambda: r.tap(L["individual"]),
        "anonymous": lambda: r.tap(L["anonymous"]),
        "review": lambda: r.tap(L["send"]),
    }
    for step in STEPS:
        if step == stop_at:
            return last
        last = await actions[step]()
    return last


async def full_report(r: Resident, lang: str = "en", **kwargs):
    """A complete report, sent; returns the receipt."""
    return await report_until(r, "__end__", lang, **kwargs)


async def alerted_report(h: Harness):
    """Officer Budi (Kec. Alpha) and a resident's whole report there: (officer, resident, report,
    the report's alert in Budi's chat)."""
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident()
    await english(r)
    await full_report(r)
    report = await h.scalar(select(Report))
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    return officer, r, report, alert
