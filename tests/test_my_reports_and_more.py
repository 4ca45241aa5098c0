"""/status and my reports, donations, help, privacy, language, deep links, flood control."""
from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEvent, DonationPledge, Outbox, Report, Reporter, ReportPhoto
from tests.flows import english, full_report


async def test_status_history_add_info_photo_and_withdraw(h):
    r = h.resident()
    await english(r)
    receipt = await full_report(r)
    report = await h.scalar(select(Report))
    listing = await r.press("📋 My reports")
    assert "1 in all" in listing.text and report.ticket in str(listing.buttons)
    detail = await r.tap(report.ticket)
    assert "New, waiting in the queue" in detail.text and "sent" in detail.text
    await r.tap("➕ Add information")
    done = await r.say("They are still there at 11:00, near the ATM")
    assert report.ticket in done.text
    detail = await r.say(f"/status {report.ticket.lower()}")
    assert "you added information" in detail.text and "near the ATM" in detail.text
    await r.tap("📷 Add a photo")
    done = await r.photo()
    assert "Photo added" in done.text
    assert await h.count(ReportPhoto, ReportPhoto.report_id == report.id) == 1
    await r.say(f"/status {report.ticket}")
    await r.tap("↩️ Withdraw this report")
    withdrawn = await r.tap("Yes, withdraw it")
    assert "Withdrawn by you" in withdrawn.text
    assert "Add information" not in str(withdrawn.buttons)
    assert (await h.scalar(select(Report))).state == "ditarik"
    actions = [e.action for e in await h.rows(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["submitted", "info_added", "photo_added", "withdrawn"]
    assert receipt.text.startswith(f"✅ Report received. Your ticket number: {report.ticket}")


async def test_another_residents_report_is_not_shown(h):
    a, b = h.resident(6001, "A"), h.resident(6002, "B")
    await english(a)
    await full_report(a)
    report = await h.scalar(select(Report))
    await english(b)
    answer = await b.say(f"/status {report.ticket}")
    assert "No report of yours" in answer.text
    from bot.handlers.my_reports import MyCb, MyReportsAction
    await b.tap_data(MyCb(action=MyReportsAction.WITHDRAW_YES, id=report.id).pack())
    assert any("not found" in t for t in b.user.callback_answers)
    assert (await h.scalar(select(Report))).state == "baru"


async def test_closed_report_takes_no_additions(h):
    r = h.resident()
    await english(r)
    await full_report(r)
    report = await h.scalar(select(Report))
    await r.say(f"/status {report.ticket}")
    await r.tap("➕ Add information")
    async with h.app.sessionmaker() as session:  # an officer closes it meanwhile
        row = await session.get(Report, report.id)
        row.state = "selesai"
        await session.commit()
    answer = await r.say("more info")
    assert "closed" in answer.text
    assert await h.count(AuditEvent, AuditEvent.action == "info_added") == 0


async def test_flood_of_reports_is_refused_politely(h):
    r = h.resident()
    await english(r)
    for _ in range(h.region.limits.reports_per_hour):
        await full_report(r)
    refusal = await r.press("📝 Make a report")
    assert "many reports" in refusal.text and "112" in refusal.text
    assert await h.count(Report) == h.region.limits.reports_per_hour
    h.clock.advance(hours=1, seconds=1)
    again = await r.press("📝 Make a report")
    assert "What did you see" in again.text


async def test_donation_pledge_is_recorded_and_routed_to_dinsos(h):
    r = h.resident()
    await english(r)
    await r.press("🤝 Donate")
    await r.tap("Goods")
    await r.say("20 food parcels and children's clothes")
    await r.press("📱 Share my phone number")
    summary = r.last
    assert "20 food parcels" in summary.text and "Dinas Sosial" in summary.text
    receipt = await r.tap("Send offer")
    pledge = await h.scalar(select(DonationPledge))
    assert pledge.agency == "dinsos" and pledge.kind == "barang" and pledge.contact.startswith("+62")
    assert pledge.ticket in receipt.text and "never asks for money" in receipt.text


async def test_donation_with_typed_phone_and_bad_phone(h):
    r = h.resident()
    await english(r)
    await r.say("/sumbangan")
    await r.tap("Money")
    await r.say("Rp 500.000 for school needs")
    bad = await r.say("call me maybe")
    assert "phone number" in bad.text
    await r.say("0812 3456 7890")
    await r.tap("Send offer")
    assert (await h.scalar(select(DonationPledge))).contact == "0812 3456 7890"


async def test_help_privacy_deletion_and_language(h):
    r = h.resident()
    welcome = await r.say("/start")
    assert "Laporan" in welcome.text or r.user.messages[0].text.startswith("👋")
    help_ = await r.say("/bantuan")
    assert "/lapor" in help_.text and "/status" in help_.text
    privacy = await r.say("/privasi")
    assert "UU 27/2022" in privacy.text
    await r.tap(privacy.buttons[0][0])
    await r.tap(r.last.buttons[0][0])  # yes, delete
    reporter = await h.scalar(select(Reporter))
    assert reporter.deletion_requested_at is not None
    await r.say("/bahasa")
    changed = await r.tap("English")
    assert "Language: English" in changed.text
    assert (await h.scalar(select(Reporter))).language == "en"


async def test_deep_link_starts_a_report(h):
    r = h.resident()
    question = await r.say("/start lapor")
    assert question.buttons and any("Pengemis" in b for row in question.buttons for b in row)


async def test_unknown_input_outside_any_flow_gets_the_menu(h):
    r = h.resident()
    await english(r)
    for action in (r.say("hello"), r.send("sticker"), r.send("voice"), r.pin(-7.05, 112.05)):
        answer = await action
        assert answer.reply_keyboard is not None and answer.text


async def test_a_blocked_resident_loses_the_receipt_not_the_report(h):
    r = h.resident()
    await english(r)
    from tests.flows import report_until
    await report_until(r, "review")
    r.user.click("Send report")
    r.user.block()
    await h.settle()
    assert await h.count(Report) == 1
    row = await h.scalar(select(Outbox))
    assert row.status == "dead" and "blocked" in row.last_error
    assert (await h.scalar(select(Reporter))).unreachable


async def test_a_button_on_a_message_older_than_two_days_still_works(h):
    """Telegram sends a press on a message older than 48 hours as an InaccessibleMessage: the bots
    cannot edit it. The press still does its work; what it shows comes as a fresh message."""
    from db.models import InboxUpdate

    r = h.resident()
    await english(r)
    await r.say("/bahasa")
    language_buttons = r.last
    query = r.user.click_data(language_buttons.inline_keyboard[0][0]["callback_data"], message=language_buttons,
                              stale=True)
    await h.settle()
    assert query.answered
    assert await h.count(InboxUpdate, InboxUpdate.status == "failed") == 0
    assert (await h.scalar(select(Reporter))).language == "id"
    assert r.last.text.startswith("✅ Bahasa: Indonesia") and language_buttons.buttons  # old message untouched

async def test_what_a_resident_adds_reaches_the_officer_holding_the_report(h):
    budi = await h.officer(9001, "Budi", areas=["Alpha"], language="en")
    sri = await h.officer(9002, "Sri", areas=["Alpha"], language="en")
    r = h.resident()
    await english(r)
    await full_report(r)
    report = await h.scalar(select(Report))
    alert = next(m for m in budi.user.messages if report.ticket in (m.text or ""))
    await budi.tap(alert.buttons[0][0])  # ✋ Acknowledge: Budi holds it now
    assert (await h.scalar(select(Report))).owner_id is not None
    await r.say(f"/status {report.ticket}")
    await r.tap("➕ Add information")
    await r.say("They moved to the bus stop")
    assert budi.last.text == f"➕ The reporter of {report.ticket} adds:\nThey moved to the bus stop"
    await r.say(f"/status {report.ticket}")
    await r.tap("📷 Add a photo")
    await r.photo()
    assert budi.last.text == f"📷 The reporter of {report.ticket} added a photo: /lapor {report.ticket}"
    # Only the holder: the other officer of the area is not disturbed.
    assert not any("adds:" in (m.text or "") or "added a photo" in (m.text or "") for m in sri.user.messages)
