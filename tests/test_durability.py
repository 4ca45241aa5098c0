"""Nothing is lost: restarts and crashes mid-report, redelivered updates, replayed inbox, API faults."""
from __future__ import annotations

from sqlalchemy import select

from db.models import InboxUpdate, Outbox, Report
from tests.flows import english, full_report, report_until
from tests.harness import CITIZEN_TOKEN


async def test_graceful_restart_mid_report_resumes_the_draft(h):
    r = h.resident()
    await english(r)
    await report_until(r, "description")
    await h.restart()
    await r.say("Two children begging at the crossroads")  # answered by the new process
    await r.tap("Right now")
    await r.tap("Skip, no photos")
    await r.tap("No")
    await r.tap("Individual")
    review = await r.tap("Stay anonymous")
    assert "Beggars" in review.text and "Alpha" in review.text and "crossroads" in review.text
    await r.tap("Send report")
    assert await h.count(Report) == 1


async def test_crash_mid_report_resumes_the_draft(h):
    r = h.resident()
    await english(r)
    await report_until(r, "age_group")
    await h.restart(crash=True)
    await r.tap("Children")
    assert "Describe what you saw" in r.last.text
    # "Make a report" again offers to continue the saved draft rather than losing it.
    resume = await r.press("📝 Make a report")
    assert "not sent yet" in resume.text
    again = await r.tap("Continue my report")
    assert "Describe what you saw" in again.text


async def test_redelivered_update_creates_no_second_report(h):
    r = h.resident()
    await english(r)
    await full_report(r)
    send_update_id = h.emu.bot(CITIZEN_TOKEN).updates.next_id - 1
    h.emu.redeliver(CITIZEN_TOKEN, send_update_id)
    await h.settle()
    assert await h.count(Report) == 1
    assert await h.count(Outbox) == 1  # one receipt
    assert sum("UJI-" in t for t in r.texts()) == 1


async def test_confirmed_but_unhandled_update_is_replayed_after_a_crash(h):
    r = h.resident()
    await english(r)
    # The bot's answer hangs; meanwhile the poller has stored and confirmed the update.
    h.emu.inject_delay("sendMessage", 3, count=1)
    r.user.send_text("/bantuan")
    await h.emu.wait_for(lambda: not h.emu.pending_updates(CITIZEN_TOKEN), 5)
    row = await h.scalar(select(InboxUpdate).order_by(InboxUpdate.update_id.desc()))
    assert row.status == "pending"
    await h.restart(crash=True)
    h.emu.clear_faults()
    await h.settle()
    assert any("/lapor" in t and "/status" in t for t in r.texts())  # the help text arrived
    assert await h.count(InboxUpdate, InboxUpdate.status == "pending") == 0


async def test_429_and_5xx_during_a_report_lose_nothing(h):
    r = h.resident()
    await english(r)
    await report_until(r, "people_count")
    h.emu.inject_fault("sendMessage", status=429, retry_after=1)
    age = await r.tap("2-3 people")
    assert "how old" in age.text
    h.emu.inject_fault("sendMessage", status=502)
    description = await r.tap("Children")
    assert "Describe what you saw" in description.text
    await r.say("Two children")
    await r.tap("Right now")
    await r.tap("Skip, no photos")
    await r.tap("No")
    await r.tap("Individual")
    await r.tap("Stay anonymous")
    # The receipt itself meets a 429: the outbox keeps it and sends it after retry_after.
    h.emu.inject_fault("sendMessage", status=429, retry_after=3)
    r.user.click("Send report")
    await h.settle()
    row = await h.scalar(select(Outbox))
    assert row.status == "pending" and "429" in row.last_error
    h.clock.advance(seconds=3)
    await h.settle()
    assert (await h.scalar(select(Outbox))).status == "sent"
    assert "UJI-" in r.last.text
    report = await h.scalar(select(Report))
    assert report.people_count == "2-3" and report.age_group == "anak"


async def test_a_failing_handler_still_answers_and_keeps_the_draft(h, monkeypatch):
    r = h.resident()
    await english(r)
    await report_until(r, "description")

    async def broken(*args, **kwargs):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr("bot.handlers.start.show_my_reports", broken)
    answer = await r.press("📋 My reports")
    assert "something went wrong" in answer.text and "112" in answer.text
    failed = await h.scalar(select(InboxUpdate).where(InboxUpdate.status == "failed"))
    assert failed is not None and "database unreachable" in failed.error
    monkeypatch.undo()
    ok = await r.say("Two children begging")  # the draft and its step are intact
    assert "When did you see it" in ok.text


async def test_a_garbled_answer_to_getupdates_does_not_silence_the_bot(h, caplog):
    """A proxy's HTML page instead of JSON (aiogram cannot parse it): the receiver logs it, waits,
    and polls again, rather than ending and leaving the bot deaf with nothing said."""
    h.emu.inject_fault("getUpdates", status=200, raw_body="<html>upstream hiccup</html>", count=1)
    r = h.resident()
    await r.say("/start en")
    assert any("Lapor PMKS" in text for text in r.texts())  # the welcome came after all
    assert any("getUpdates failed" in rec.getMessage() for rec in caplog.records)
