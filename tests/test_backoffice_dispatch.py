"""Both bots running: a resident's report reaches the right officers, one of two wins the claim."""
from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEvent, Outbox, Report
from tests.flows import alerted_report, english, full_report, report_until
from tests.harness import PIN_ALPHA


async def test_report_alerts_covering_officers_and_acknowledge_race(h):
    alpha = await h.officer(9001, "Budi", areas=["Alpha"])
    alpha2 = await h.officer(9002, "Sri", areas=["Alpha"])
    beta = await h.officer(9003, "Joko", areas=["Beta"])
    dinsos = await h.officer(9004, "Ani", agency="dinsos")
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    r = h.resident()
    await english(r)
    await full_report(r)  # pengemis at a pin in Alpha -> Satpol PP
    report = await h.scalar(select(Report))
    for officer in (alpha, alpha2):
        alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
        # An officer who does not hold it yet: take it, add a note, hand it over, read it.
        assert "Alpha" in alert.text
        assert alert.buttons == [["✋ Acknowledge"], ["📝 Note"], ["🔀 Hand over"], ["📄 Details"]]
        assert any(m.location for m in officer.user.messages)  # the map pin
    # 📄 Details adds what the alert does not have: the report's whole history.
    details = await alpha.tap("📄 Details")
    assert details.text.startswith(alert.text.split("\n")[0]) and "History\n• " in details.text
    assert details.text.rstrip().endswith("· Reporter sent the report") and "📄 Details" not in str(details.buttons)
    assert not any(report.ticket in (m.text or "") for m in beta.user.messages)  # another kecamatan
    assert not any(report.ticket in (m.text or "") for m in dinsos.user.messages)  # another agency
    assert not any(report.ticket in (m.text or "") for m in supervisor.user.messages)  # not urgent

    # Both press "acknowledge" at the same instant: one wins, the other is told who has it.
    first = next(m for m in alpha.user.messages if m.text and report.ticket in m.text)
    second = next(m for m in alpha2.user.messages if m.text and report.ticket in m.text)
    ack_label = first.buttons[0][0]
    alpha.user.click(ack_label, message=first)
    alpha2.user.click(ack_label, message=second)
    await h.settle()
    claimed = await h.scalar(select(Report))
    assert claimed.state == "diterima" and claimed.owner_id is not None
    ack_event = await h.scalar(select(AuditEvent).where(AuditEvent.action == "acknowledged"))
    winner, loser = (alpha, alpha2) if ack_event.actor_id == await _officer_id(h, 9001) else (alpha2, alpha)
    assert any("is yours" in t for t in winner.user.callback_answers)
    assert any("already taken by" in t for t in loser.user.callback_answers)
    assert await h.count(AuditEvent, AuditEvent.action == "acknowledged") == 1
    # The resident is told, in their language.
    assert any("received by an officer" in t for t in r.texts())


async def _officer_id(h, telegram_id: int) -> int:
    from db.models import Officer

    return (await h.scalar(select(Officer).where(Officer.telegram_id == telegram_id))).id


async def test_urgent_report_alerts_supervisors_too(h):
    await h.officer(9001, "Budi", areas=["Alpha"])
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    r = h.resident()
    await english(r)
    from tests.flows import report_until
    await report_until(r, "urgent")
    await r.tap("Yes, someone is in danger")
    await r.tap("Individual")
    await r.tap("Stay anonymous")
    await r.tap("Send report")
    report = await h.scalar(select(Report))
    alert = next(m for m in supervisor.user.messages if m.text and report.ticket in m.text)
    assert "⚠️ URGENT: the reporter says someone is in danger now." in alert.text


async def test_unregistered_user_is_refused_and_logged(h):
    stranger = h.emu.add_user(9999, first_name="Orang").with_bot("222222:BACKOFFICE-TEST-TOKEN")
    from tests.harness import Resident
    s = Resident(h, stranger)
    answer = await s.say("/antrian")
    assert answer.text == ("Bot ini untuk petugas terdaftar di Kabupaten Uji. Anda belum terdaftar; mintalah tautan "
                           "undangan kepada admin instansi Anda.")  # a stranger: the region's language
    assert await h.count(AuditEvent, AuditEvent.action == "unregistered_access") == 1


async def test_officer_of_another_agency_cannot_acknowledge(h):
    await h.officer(9001, "Budi", areas=["Alpha"])
    dinsos = await h.officer(9004, "Ani", agency="dinsos")
    r = h.resident()
    await english(r)
    await full_report(r)
    report = await h.scalar(select(Report))
    from backoffice.keyboards import OfficerAction, OfficerCb
    await dinsos.tap_data(OfficerCb(action=OfficerAction.ACK, report=report.id).pack())
    assert any("not available" in t for t in dinsos.user.callback_answers)
    assert (await h.scalar(select(Report))).state == "baru"
    assert await h.count(Outbox, Outbox.bot == "backoffice", Outbox.status == "dead") == 0


async def test_alert_carries_the_residents_photo_reuploaded_by_the_backoffice_bot(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident()
    await english(r)
    from tests.flows import report_until
    await report_until(r, "photos")
    await r.photo()
    await r.tap("Done with photos")
    await r.tap("No")
    await r.tap("Individual")
    await r.tap("Stay anonymous")
    await r.tap("Send report")
    report = await h.scalar(select(Report))
    photo = next(m for m in officer.user.messages if m.photo_sizes)
    assert report.ticket in photo.caption
    assert await h.count(Outbox, Outbox.status == "dead") == 0


async def test_invite_link_registers_once_and_expires(h):
    from datetime import timedelta

    from core.officers import create_invite
    from db.models import Officer
    from tests.harness import BACKOFFICE_TOKEN, Resident

    async with h.app.sessionmaker() as session:
        code, _ = await create_invite(session, region=h.region, now=h.clock.now(), agency="dinsos",
                                      role="officer", areas=["Beta"])
        old, _ = await create_invite(session, region=h.region, now=h.clock.now(), agency="dinsos",
                                     role="officer", areas=[], ttl=timedelta(minutes=5))
    tksk = Resident(h, h.emu.add_user(9100, first_name="Tksk").with_bot(BACKOFFICE_TOKEN))
    welcome = await tksk.say(f"/start {code}")
    assert "Tksk" in " ".join(tksk.texts())
    officer = await h.scalar(select(Officer).where(Officer.telegram_id == 9100))
    assert officer.agency == "dinsos" and officer.areas == ["Beta"]
    assert welcome.text.startswith("👮 Lapor PMKS — petugas, Dinsos")  # then the help, in Indonesian
    other = Resident(h, h.emu.add_user(9101, first_name="Lain").with_bot(BACKOFFICE_TOKEN))
    reused = await other.say(f"/start {code}")
    assert reused.text.startswith("Tautan undangan ini sudah tidak berlaku")
    h.clock.advance(minutes=6)
    late = Resident(h, h.emu.add_user(9102, first_name="Telat").with_bot(BACKOFFICE_TOKEN))
    expired = await late.say(f"/start {old}")
    assert expired.text.startswith("Tautan undangan ini sudah tidak berlaku")
    assert await h.count(Officer) == 1


async def _acknowledged_report(h):
    officer, r, report, alert = await alerted_report(h)
    officer.user.click(alert.buttons[0][0], message=alert)
    await h.settle()
    return officer, r, report


async def test_on_the_way_then_close_with_outcome_and_rating(h):
    officer, r, report = await _acknowledged_report(h)
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    await officer.tap(alert.buttons[0][0])  # on the way
    assert (await h.scalar(select(Report))).state == "ditangani"
    assert any("on their way" in t for t in r.texts())
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    close_label = next(b for row in alert.buttons for b in row if b == "✅ Close")
    await officer.tap(close_label)
    outcome_label = officer.last.buttons[0][0]  # ditertibkan: counts persons
    await officer.tap(outcome_label)
    await officer.say("two")
    assert officer.last.text == "Please type the number of persons, e.g. 3."
    await officer.say("2")
    await officer.say("3")  # more from outside than handled
    await officer.say("1")
    bad = await officer.say("anak 5")
    assert bad.text.startswith("I could not read that, or it counts more than 2 persons.")
    await officer.say("anak 2 L 1 P 1")
    await officer.say("Both taken to the shelter")
    closed = await h.scalar(select(Report))
    assert closed.state == "selesai" and closed.outcome == "ditertibkan" and closed.persons_count == 2
    assert closed.case_data == {"from_outside": 1, "child": 2, "male": 1, "female": 1}
    closing = next(t for t in r.texts() if "is closed by" in t)
    assert report.ticket in closing
    rating = r.last
    assert rating.buttons and len(rating.buttons[0]) == 5
    await r.tap(rating.buttons[0][4])
    assert (await h.scalar(select(Report))).rating == 5
    # The resident's /status says how it ended, in their words.
    status = await r.say(f"/status {report.ticket}")
    assert "Outcome: Removed from the street (penertiban)" in status.text
    assert await h.count(AuditEvent, AuditEvent.action == "rated") == 1


async def test_hand_over_from_satpol_pp_to_dinsos_alerts_dinsos(h):
    officer, r, report = await _acknowledged_report(h)
    dinsos = await h.officer(9004, "Ani", agency="dinsos")
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    hand = next(b for row in alert.buttons for b in row if b == "🔀 Hand over")
    await officer.tap(hand)
    await officer.tap("Dinsos")
    await officer.say("Picked up in a penertiban; needs rehabilitation")
    moved = await h.scalar(select(Report))
    assert moved.agency == "dinsos" and moved.state == "dialihkan" and moved.owner_id is None
    assert any(report.ticket in (m.text or "") for m in dinsos.user.messages)
    assert any("handed over" in t for t in r.texts())
    event = await h.scalar(select(AuditEvent).where(AuditEvent.action == "handed_over"))
    assert event.data["from_agency"] == "satpolpp" and "penertiban" in event.note


async def test_reject_with_a_reason_tells_the_reporter(h):
    officer, r, report = await _acknowledged_report(h)
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    reject = next(b for row in alert.buttons for b in row if b == "⛔ Reject")
    await officer.tap(reject)
    await officer.say("Not found at the location")
    assert (await h.scalar(select(Report))).state == "ditolak"
    assert any("Not found at the location" in t for t in r.texts())
    # A closed report refuses further actions, even from a forged button.
    from backoffice.keyboards import OfficerAction, OfficerCb
    await officer.tap_data(OfficerCb(action=OfficerAction.ACK, report=report.id).pack())
    assert officer.user.callback_answers[-1] == f"{report.ticket} can no longer be acknowledged (it is rejected).", \
        officer.user.callback_answers


async def test_queue_tasks_overdue_and_ticket_history(h):
    officer, r, report = await _acknowledged_report(h)
    await full_report(r)  # a second, unclaimed report
    queue = await officer.say("/antrian")
    assert "2" in queue.text and sum(report.ticket[:8] in str(row) for row in queue.buttons) == 2
    # Filter by state: only the acknowledged one.
    await officer.tap(next(b for row in queue.buttons for b in row if b.startswith("🏷️")))
    filtered = await officer.tap("diterima")
    assert report.ticket in str(filtered.buttons) and "1" in filtered.text
    # Filter by a kecamatan with nothing in it.
    await officer.tap(next(b for row in filtered.buttons for b in row if b.startswith("📍")))
    empty = await officer.tap("Gamma")
    assert empty.text == "📭 No open reports for Satpol PP with these filters."
    tasks = await officer.say("/tugas")
    assert report.ticket in str(tasks.buttons) and len(tasks.buttons) == 1
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    none_late = await supervisor.say("/terlambat")
    assert none_late.text == "✅ Nothing is overdue."
    h.clock.advance(hours=30)
    late = await supervisor.say("/terlambat")
    assert len(late.buttons) == 2
    refused = await officer.say("/terlambat")
    assert refused.text == "Only supervisors see the overdue list."
    detail = await officer.say(f"/lapor {report.ticket}")
    # The history in the officer's words: who (the reporter unnamed, an officer by agency) and when.
    history = detail.text.split("History\n", 1)[1].splitlines()
    assert history[0].endswith(" · Reporter sent the report") and "submitted" not in detail.text
    assert history[1].endswith(" · Officer of Satpol PP acknowledged it")
    assert history[0].startswith("• 23 November at ")


async def test_escalation_on_an_injected_clock_goes_out_once(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    r = h.resident()
    await english(r)
    await full_report(r)
    report = await h.scalar(select(Report))
    assert await h.app.run_escalations() == 0  # not late yet
    h.clock.advance(minutes=h.region.category("pengemis").response_minutes + 1)
    assert await h.app.run_escalations() == 1
    assert await h.app.run_escalations() == 0  # once per threshold
    await h.settle()
    late = [m for m in supervisor.user.messages if m.text and "not acknowledged" in m.text]
    assert len(late) == 1 and report.ticket in late[0].text
    # Claimed but not closed in time: the supervisor is told and the holder reminded.
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    officer.user.click(alert.buttons[0][0], message=alert)
    await h.settle()
    h.clock.advance(hours=25)
    assert await h.app.run_escalations() == 1
    await h.settle()
    assert any("past its close target" in (m.text or "") for m in supervisor.user.messages)
    assert any("Reminder" in (m.text or "") for m in officer.user.messages)


async def test_a_backlog_of_escalated_reports_does_not_hide_a_new_late_one(h, monkeypatch):
    import core.escalation

    monkeypatch.setattr(core.escalation, "BATCH", 2)  # a backlog bigger than one run takes
    await h.officer(9005, "Kasatpol", role="supervisor")
    for i in range(3):
        r = h.resident(5100 + i, f"Warga{i}")
        await english(r)
        await full_report(r)
    h.clock.advance(minutes=h.region.category("pengemis").response_minutes + 1)
    assert await h.app.run_escalations() == 2
    assert await h.app.run_escalations() == 1  # the third, not the first two again
    assert await h.app.run_escalations() == 0


async def test_blocked_officer_is_marked_unreachable_and_supervisor_told(h):
    from db.models import Officer

    budi = await h.officer(9001, "Budi", areas=["Alpha"])
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    budi.user.block()
    r = h.resident()
    await english(r)
    await full_report(r)
    officer = await h.scalar(select(Officer).where(Officer.telegram_id == 9001))
    assert officer.unreachable
    assert supervisor.last.text == "⚠️ Budi has blocked the officers' bot and no longer receives alerts."
    dead = await h.rows(select(Outbox).where(Outbox.status == "dead"))
    assert dead and all(row.chat_id == 9001 for row in dead)


async def test_question_relayed_to_the_reporter_and_answer_back_without_identities(h):
    officer, r, report = await _acknowledged_report(h)
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    ask = next(b for row in alert.buttons for b in row if b == "❓ Ask the reporter")
    await officer.tap(ask)
    await officer.say("Are the children still at the crossroads?")
    question = next(m for m in r.user.messages if m.text and "still at the crossroads" in m.text)
    assert "Budi" not in question.text  # the officer's name is not passed on either
    prompt = await r.tap(question.buttons[0][0])
    assert prompt.text == "Type your answer. The officer will not see your name or account."  # anonymous
    await r.say("Yes, near the ATM")
    answer = officer.last
    assert "Yes, near the ATM" in answer.text and report.ticket in answer.text
    assert "Siti" not in answer.text and "5001" not in answer.text
    actions = [e.action for e in await h.rows(select(AuditEvent).where(AuditEvent.report_id == report.id))]
    assert "question_asked" in actions and "question_answered" in actions
    # A second tap on the answered question is refused.
    await r.tap_data(question.button_data[question.buttons[0][0]])
    assert r.user.callback_answers[-1] == "This question is already answered."


async def test_internal_note_is_not_shown_to_the_reporter(h):
    officer, r, report = await _acknowledged_report(h)
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    note = next(b for row in alert.buttons for b in row if b == "📝 Note")
    await officer.tap(note)
    await officer.say("Coordinated with TKSK Alpha")
    assert await h.count(AuditEvent, AuditEvent.action == "note_added") == 1
    officer.user.click(note, message=alert)
    await officer.photo()
    photo_event = await h.scalar(select(AuditEvent).where(AuditEvent.action == "photo_added"))
    assert photo_event.actor_type == "officer" and photo_event.data["file_id"]
    detail = await r.say(f"/status {report.ticket}")
    assert "TKSK" not in detail.text


async def test_nearby_report_is_linked_in_the_alert_and_can_be_merged(h):
    from backoffice.keyboards import OfficerAction, OfficerCb

    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    first, second = h.resident(5001, "Siti"), h.resident(5002, "Rina")
    await english(first)
    await full_report(first)
    await english(second)
    await full_report(second)  # same category, same pin, minutes later
    reports = await h.rows(select(Report).order_by(Report.id))
    assert reports[1].near_report_id == reports[0].id
    alert = next(m for m in officer.user.messages if m.text and reports[1].ticket in m.text and "🔁" in m.text)
    assert reports[0].ticket in alert.text
    # Merging is for the report's holder (or a supervisor): the officer takes it first.
    assert not any("Merge" in b for row in alert.buttons for b in row)
    await officer.tap_data(OfficerCb(action=OfficerAction.MERGE, report=reports[1].id).pack())
    assert (await h.scalar(select(Report).where(Report.id == reports[1].id))).state == "baru"
    officer.user.click(alert.buttons[0][0], message=alert)  # ✋ Acknowledge; the alert is redrawn
    await h.settle()
    merge = next(b for row in alert.buttons for b in row if b == "🔗 Merge into the nearby report")
    await officer.tap(merge)
    merged = await h.scalar(select(Report).where(Report.id == reports[1].id))
    assert merged.state == "duplikat" and merged.duplicate_of_id == reports[0].id
    assert any(reports[0].ticket in t for t in second.texts()[-2:])


async def test_supervisor_reassigns_and_reopens_officer_cannot(h):
    officer, r, report = await _acknowledged_report(h)
    sri = await h.officer(9002, "Sri", areas=["Alpha"])
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    from backoffice.keyboards import OfficerAction, OfficerCb
    # An officer forging the supervisor's button is refused on the server.
    await officer.tap_data(OfficerCb(action=OfficerAction.REASSIGN_TO, report=report.id, arg="2").pack())
    assert officer.user.callback_answers[-1] == "Only a supervisor can do that."
    detail = await supervisor.say(f"/lapor {report.ticket}")
    await supervisor.tap(next(b for row in detail.buttons for b in row if b == "👤 Reassign"))
    await supervisor.tap("Sri")
    moved = await h.scalar(select(Report))
    from db.models import Officer
    sri_id = (await h.scalar(select(Officer).where(Officer.telegram_id == 9002))).id
    assert moved.owner_id == sri_id
    assert any(report.ticket in (m.text or "") for m in sri.user.messages)
    # Sri rejects it; the supervisor reopens it.
    await sri.tap_data(OfficerCb(action=OfficerAction.REJECT, report=report.id).pack())
    await sri.say("Wrong place")
    assert (await h.scalar(select(Report))).state == "ditolak"
    detail = await supervisor.say(f"/lapor {report.ticket}")
    await supervisor.tap(next(b for row in detail.buttons for b in row if b == "🔁 Reopen"))
    reopened = await h.scalar(select(Report))
    assert reopened.state == "baru" and reopened.owner_id is None
    assert any("reopened" in t for t in r.texts())
    events = [e.action for e in await h.rows(select(AuditEvent).where(AuditEvent.report_id == report.id))]
    assert events[-3:] == ["reassigned", "rejected", "reopened"]


async def test_auditor_reads_but_cannot_act(h):
    await h.officer(9001, "Budi", areas=["Alpha"])
    auditor = await h.officer(9010, "Inspektorat", role="auditor")
    r = h.resident()
    await english(r)
    await full_report(r)
    report = await h.scalar(select(Report))
    detail = await auditor.say(f"/lapor {report.ticket}")
    assert report.ticket in detail.text and not detail.buttons
    from backoffice.keyboards import OfficerAction, OfficerCb
    await auditor.tap_data(OfficerCb(action=OfficerAction.ACK, report=report.id).pack())
    assert any("only read" in t for t in auditor.user.callback_answers)
    assert (await h.scalar(select(Report))).state == "baru"


async def test_reporter_name_only_when_allowed_and_fallback_to_all_officers(h):
    # Nobody covers Alpha: the agency's officer covering Beta gets the alert rather than nobody.
    beta = await h.officer(9003, "Joko", areas=["Beta"])
    r = h.resident(5001, "Siti")
    await english(r)
    await full_report(r)  # anonymous
    named = h.resident(5002, "Rina")
    await english(named)
    from tests.flows import report_until
    await report_until(named, "anonymous")
    await named.tap("Officers may see my name")
    await named.tap("Send report")
    reports = await h.rows(select(Report).order_by(Report.id))
    first = next(m for m in beta.user.messages if m.text and reports[0].ticket in m.text)
    second = next(m for m in beta.user.messages if m.text and reports[1].ticket in m.text)
    assert "Siti" not in first.text
    assert "Rina" in second.text


async def test_help_lists_what_each_role_may_do_and_stray_text_gets_a_pointer(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"], language="id")
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor", language="en")
    auditor = await h.officer(9010, "Inspektorat", role="auditor", language="en")
    mine = await officer.say("/bantuan")
    assert "Anda terdaftar sebagai Budi (petugas lapangan)." in mine.text and "(officer)" not in mine.text
    assert "/antrian — laporan terbuka instansi Anda" in mine.text and "/tugas" in mine.text
    assert "/terlambat" not in mine.text and "/ringkasan" not in mine.text  # supervisors' tools
    boss = await supervisor.say("/bantuan")
    assert "(supervisor)" in boss.text and "/terlambat — overdue reports" in boss.text and "/langganan" in boss.text
    reader = await auditor.say("/bantuan")
    assert "auditor (read only, the whole region)" in reader.text and "Acknowledge" not in reader.text
    pointer = await officer.say("halo")
    assert pointer.text.startswith("Di sini saya hanya memahami perintah. /bantuan")


async def test_a_reporter_who_agreed_to_be_named_is_not_told_otherwise(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident()
    await english(r)
    await report_until(r, "anonymous")
    await r.tap("Officers may see my name")
    await r.tap("Send report")
    report = await h.scalar(select(Report))
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    await officer.tap(alert.buttons[0][0])
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    await officer.tap(next(b for row in alert.buttons for b in row if b == "❓ Ask the reporter"))
    await officer.say("Which side of the road?")
    question = next(m for m in r.user.messages if m.text and "Which side of the road" in m.text)
    prompt = await r.tap(question.buttons[0][0])
    assert prompt.text == "Type your answer. For this report you agreed that officers may see your name."


async def test_details_bring_the_history_and_the_photos_again(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident()
    await english(r)
    await r.press("📝 Make a report")
    await r.tap("Beggars")
    await r.press("📍 Send my current location", location=PIN_ALPHA)
    await r.photo()
    await r.tap("📨 Send now")
    await r.tap("Send report")
    report = await h.scalar(select(Report))
    photos_before = sum(1 for m in officer.user.messages if m.photo_sizes)
    assert photos_before == 1  # with the alert
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text)
    await officer.tap_data(alert.button_data["📄 Details"])
    assert any("History\n• " in (m.text or "") and report.ticket in m.text for m in officer.user.messages[-3:])
    assert sum(1 for m in officer.user.messages if m.photo_sizes) == photos_before + 1
