"""Buttons pressed late, twice, or on a message the bot can no longer edit, in both bots.

Telegram sends a press on a message the bot cannot edit any more (deleted, or too old: a rating
request pressed days later) as an InaccessibleMessage. The press must still do its work, and what
the handler would have shown in the old message comes as a fresh one. An edit into what the message
already shows is refused by Telegram ("400 message is not modified"): the bots must not make one,
whether a keyboard is removed twice by a double press or a page is shown again.

Everything runs through the real stack: the emulator (which refuses what Telegram refuses, and
records every call), both bots polling it, the database. A random run of presses and texts over both
bots closes the file (short by default; `-m slow` runs more).
"""
from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from backoffice.handlers.queue import QueueCb
from bot.handlers.my_reports import MyCb, MyReportsAction
from botapi_emulator import EmulatedUser
from db.models import AuditEvent, InboxUpdate, Report, Reporter
from tests.flows import alerted_report, english, full_report, report_until
from tests.harness import PIN_ALPHA, PIN_BETA, Harness

NOT_MODIFIED = "message is not modified"


async def _closed_report(h: Harness):
    """A report closed by an officer: the resident has the rating request."""
    officer, r, report, alert = await alerted_report(h)
    officer.user.click("✋ Acknowledge", message=alert)
    await h.settle()
    assert alert.edited
    await officer.tap("✅ Close")
    await officer.tap("Not found at the location")
    await officer.tap("Skip")
    stars = next(m for m in r.user.messages if m.inline_keyboard and "rate:" in str(m.button_data))
    return officer, r, report, stars


async def _clean(h: Harness, caplog) -> list[str]:
    """Everything that went wrong: calls the emulator refused, updates that failed, errors logged."""
    problems = [f"refused: {c.method} {c.status} {c.description}" for c in h.emu.errors() if c.status != 429]
    failed = await h.rows(select(InboxUpdate).where(InboxUpdate.status == "failed"))
    problems += [f"update {u.update_id} failed: {u.error}" for u in failed]
    problems += [f"logged {r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records
                 if r.levelno >= logging.ERROR]
    return problems


# --- a press on a message Telegram sends as inaccessible ------------------------------------------

async def test_rating_pressed_days_later_is_recorded_and_thanked_in_a_fresh_message(h, caplog):
    caplog.set_level(logging.WARNING)
    _, r, report, stars = await _closed_report(h)
    assert stars.buttons == [["1⭐", "2⭐", "3⭐", "4⭐", "5⭐"]]  # one style for every button
    before = len(r.user.messages)
    h.clock.advance(days=3)
    query = r.user.click("4⭐", message=stars, stale=True)  # Telegram: an InaccessibleMessage
    await h.settle()
    assert (await h.scalar(select(Report))).rating == 4
    assert await h.count(AuditEvent, AuditEvent.action == "rated") == 1
    assert query.answered
    # The thanks comes as a new message; the old request is left as it was (it cannot be edited).
    assert len(r.user.messages) == before + 1
    assert r.last.text == "🙏 Thank you for your rating: 4/5."
    assert not stars.edited and stars.buttons
    assert await _clean(h, caplog) == []


async def test_a_report_step_pressed_on_an_inaccessible_question_still_advances(h, caplog):
    """The report flow (bot/flows) edits the answered question into a record of the answer: on an
    inaccessible question that record, and the next question, come as fresh messages."""
    caplog.set_level(logging.WARNING)
    r = h.resident()
    await english(r)
    question = await report_until(r, "category")
    r.user.click("Beggars", message=question, stale=True)
    await h.settle()
    assert (await h.conversation(r))[1]["draft"]["category"] == "pengemis"
    assert not question.edited
    assert any(m.text == "✅ Category: Beggars" for m in r.user.messages)
    assert "Where is it?" in r.last.text
    # The conversation goes on from there as usual.
    await r.press("📍 Send my current location", location=PIN_ALPHA)
    assert await _clean(h, caplog) == []


async def test_language_chosen_on_a_deleted_message_is_set(h, caplog):
    """Telegram sends a press on a message deleted meanwhile as inaccessible too: the language is
    set, and the keyboard that cannot be removed is left alone (no call that must fail)."""
    caplog.set_level(logging.WARNING)
    r = h.resident()
    await english(r)
    languages = await r.say("/bahasa")
    languages.deleted = True  # the resident's client still showed it for a moment
    r.user.click("🇮🇩 Bahasa Indonesia", message=languages, stale=True)
    await h.settle()
    assert (await h.scalar(select(Reporter))).language == "id"
    assert r.last.text.startswith("✅ Bahasa: Indonesia")
    assert h.emu.count_calls("editMessageReplyMarkup") == 0
    assert await _clean(h, caplog) == []


async def test_acknowledge_on_an_alert_the_bot_cannot_edit(h, caplog):
    caplog.set_level(logging.WARNING)
    officer, r, report, alert = await alerted_report(h)
    before = len(officer.user.messages)
    h.clock.advance(days=3)
    query = officer.user.click("✋ Acknowledge", message=alert, stale=True)
    await h.settle()
    taken = await h.scalar(select(Report))
    assert taken.state == "diterima" and taken.owner_id is not None
    assert query.answered and officer.user.callback_answers[-1] == f"{report.ticket} is yours."
    # The alert as it is now, with what can be done next, as a fresh message; the old one untouched.
    assert not alert.edited and ["✋ Acknowledge"] in alert.buttons
    fresh = officer.user.messages[before:]
    assert len(fresh) == 1 and report.ticket in fresh[0].text and ["🚶 On the way"] in fresh[0].buttons
    assert any("received by an officer" in t for t in r.texts())
    # From the fresh alert the work goes on as usual.
    await officer.tap("🚶 On the way")
    assert (await h.scalar(select(Report))).state == "ditangani"
    assert await _clean(h, caplog) == []


async def test_backoffice_keyboard_only_edit_on_an_inaccessible_message_comes_with_a_line(h, caplog):
    """A handler that only swaps the keyboard (the subscriptions): the new keyboard cannot go on
    the old message, so it comes under a short line of its own."""
    caplog.set_level(logging.WARNING)
    supervisor = await h.officer(9005, "Kasatpol", role="supervisor")
    subscriptions = await supervisor.say("/langganan")
    daily = next(label for row in subscriptions.buttons for label in row if "Daily" in label)
    supervisor.user.click(daily, message=subscriptions, stale=True)
    await h.settle()
    assert not subscriptions.edited
    assert supervisor.last.text == "Please choose below." and supervisor.last.buttons != subscriptions.buttons
    assert await _clean(h, caplog) == []


# --- never an edit into what the message already shows ---------------------------------------------

async def test_double_press_removes_a_keyboard_once(h, caplog):
    caplog.set_level(logging.WARNING)
    r = h.resident()
    await english(r)
    await r.say("/privasi")
    ask = await r.tap("🗑️ Ask to delete my data")
    edits = h.emu.count_calls("editMessageReplyMarkup")
    # Both presses arrive before the bot has handled either: each shows the keyboard still there.
    r.user.click("No, keep it", message=ask)
    r.user.click_data(ask.button_data["No, keep it"], message=ask)
    languages = await r.say("/bahasa")
    r.user.click("🇬🇧 English", message=languages)
    r.user.click("🇬🇧 English", message=languages)
    await h.settle()
    assert ask.buttons == [] and languages.buttons == []
    assert h.emu.count_calls("editMessageReplyMarkup") == edits + 2  # one per message
    assert all(q.answered for q in r.user.callback_queries)
    assert h.emu.errors(NOT_MODIFIED) == []
    assert await _clean(h, caplog) == []


async def test_the_same_page_or_answer_again_is_not_an_edit(h, caplog):
    caplog.set_level(logging.WARNING)
    officer, r, report, stars = await _closed_report(h)
    # The same star twice, both pressed before either was handled.
    r.user.click("5⭐", message=stars)
    r.user.click_data(stars.button_data["5⭐"], message=stars)
    await h.settle()
    assert (await h.scalar(select(Report))).rating == 5 and stars.text == "🙏 Thank you for your rating: 5/5."
    # The list of one's reports, shown again on the message that shows it.
    listing = await r.say("/status")
    edits = h.emu.count_calls("editMessageText")
    await r.tap_data(MyCb(action=MyReportsAction.PAGE, id=0).pack())
    assert listing.text.startswith("📋 Your reports") and not listing.edited
    assert h.emu.count_calls("editMessageText") == edits and all(q.answered for q in r.user.callback_queries)
    # The officers' queue: the first page asked for again, then twice the same filter.
    await full_report(r)
    queue = await officer.say("/antrian")
    edits = h.emu.count_calls("editMessageText")
    officer.user.click_data(QueueCb().pack(), message=queue)
    officer.user.click_data(QueueCb().pack(), message=queue)
    await h.settle()
    assert h.emu.count_calls("editMessageText") == edits
    officer.user.click(next(b for row in queue.buttons for b in row if b.startswith("🏷️")), message=queue)
    officer.user.click(next(b for row in queue.buttons for b in row if b.startswith("🏷️")), message=queue)
    await h.settle()
    assert queue.text == "Filter the queue:"
    # An acknowledgement pressed twice: taken once, the alert shown as it is now, once.
    alert = next(m for m in officer.user.messages if m.inline_keyboard and "✋ Acknowledge" in str(m.buttons))
    officer.user.click("✋ Acknowledge", message=alert)
    officer.user.click("✋ Acknowledge", message=alert)
    await h.settle()
    assert await h.count(AuditEvent, AuditEvent.action == "acknowledged") == 2  # this report and the first
    assert all(q.answered for q in officer.user.callback_queries)
    assert h.emu.errors(NOT_MODIFIED) == []
    assert await _clean(h, caplog) == []


async def test_emulator_refuses_an_edit_into_the_same_as_telegram_does(h):
    """What the bots are kept from: the emulator answers such an edit exactly as Telegram does."""
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.types import InlineKeyboardMarkup

    r = h.resident()
    await english(r)
    bot = h.app.citizen.sender  # the outbox's bot, which retries nothing (the bots take it as done)
    sent = await bot.send_message(r.user.id, "<b>Hello</b>")
    with pytest.raises(TelegramBadRequest) as refused:
        await bot.edit_message_reply_markup(chat_id=r.user.id, message_id=sent.message_id, reply_markup=None)
    assert refused.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
        "same as a current content and reply markup of the message")
    # An empty keyboard is no keyboard; the same text, however written, is the same text.
    with pytest.raises(TelegramBadRequest, match=NOT_MODIFIED):
        await bot.edit_message_reply_markup(chat_id=r.user.id, message_id=sent.message_id,
                                            reply_markup=InlineKeyboardMarkup(inline_keyboard=[]))
    with pytest.raises(TelegramBadRequest, match=NOT_MODIFIED):
        await bot.edit_message_text("<strong>Hello</strong>", chat_id=r.user.id, message_id=sent.message_id)
    assert [c.status for c in h.emu.errors(NOT_MODIFIED)] == [400, 400, 400]


# --- random presses and texts across both bots ------------------------------------------------------

FUZZ_UPDATES = 300
SLOW_FUZZ_UPDATES = int(os.environ.get("LAPOR_OLD_BUTTON_UPDATES", "1500"))
CITIZEN_TEXTS = ["/status", "/bahasa", "/privasi", "/batal", "/bantuan", "📝 Make a report", "📋 My reports",
                 "/sumbangan", "Two children begging at the crossing", "14.30", "hello", "/start"]
OFFICER_TEXTS = ["/antrian", "/tugas", "/langganan", "/terlambat", "/bantuan", "2", "0", "a closing note", "xyz"]


@dataclass
class Tally:
    updates: int = 0
    presses: int = 0
    stale: int = 0
    double: int = 0
    queries: list = field(default_factory=list, repr=False)


def _pressable(user: EmulatedUser, depth: int) -> list:
    """The user's recent bot messages with inline buttons (newest first, at most `depth`)."""
    return [m for m in reversed(user.messages) if m.inline_keyboard and not m.deleted][:depth]


def _act(rng: random.Random, user: EmulatedUser, texts: list[str], citizen: bool, tally: Tally) -> None:
    """One thing a person does: a text or a pin, or a press on a button of a recent message (at times
    twice at once, at times on a message Telegram sends as inaccessible)."""
    targets = _pressable(user, 4)
    roll = rng.random()
    if targets and roll < 0.65:
        target = targets[0] if rng.random() < 0.6 else rng.choice(targets)
        button = rng.choice([b for row in target.inline_keyboard for b in row])
        if "callback_data" not in button:
            return
        stale = rng.random() < 0.15
        tally.presses += 1
        tally.stale += stale
        tally.queries.append(user.click_data(button["callback_data"], message=target, stale=stale))
        if rng.random() < 0.15:  # a double press: the second arrives before the first is handled
            tally.double += 1
            tally.queries.append(user.click_data(button["callback_data"], message=target, stale=stale))
    elif roll < 0.75 and citizen:
        user.send_location(*rng.choice([PIN_ALPHA, PIN_BETA]))
    else:
        user.send_text(rng.choice(texts))


async def _fuzz(h: Harness, caplog, updates: int, seed: int = 20240611) -> Tally:
    caplog.set_level(logging.WARNING)
    officers = [await h.officer(9001, "Budi", areas=["Alpha"]), await h.officer(9002, "Sri", areas=["Beta"]),
                await h.officer(9005, "Kasatpol", role="supervisor")]
    residents = [h.resident(5001, "Siti"), h.resident(5002, "Eko")]
    for r in residents:
        await english(r)
    await full_report(residents[0])  # an alert, a receipt: buttons to press from the start
    rng = random.Random(seed)
    tally = Tally()
    actors = [(r.user, CITIZEN_TEXTS, True) for r in residents] + [(o.user, OFFICER_TEXTS, False) for o in officers]
    while tally.updates < updates:
        user, texts, citizen = rng.choice(actors)
        queued = len(tally.queries)
        _act(rng, user, texts, citizen, tally)
        tally.updates += 1 + max(0, len(tally.queries) - queued - 1)
        if rng.random() < 0.1:  # now and then a report is closed, and the resident asked for a rating
            await _close_one(h, rng)
        await h.settle(timeout=60)
    return tally


async def _close_one(h: Harness, rng: random.Random) -> None:
    from core.officers import find_officer
    from core.report_access import ActionRefused
    from core.report_actions import acknowledge, close_report

    open_reports = await h.rows(select(Report).where(Report.state.in_(("baru", "diterima"))))
    if not open_reports:
        return
    report = rng.choice(open_reports)
    async with h.app.sessionmaker() as session:
        officer = await find_officer(session, 9005)
        try:
            if report.state == "baru":
                await acknowledge(session, clock=h.clock, region=h.region, officer=officer, report_id=report.id)
            await close_report(session, clock=h.clock, region=h.region, officer=officer, report_id=report.id,
                               outcome="tidak_ditemukan", persons=None, from_outside=None, note=None)
        except ActionRefused:  # held by someone else, or closed meanwhile: another time
            return
        await session.commit()


async def _fuzz_and_check(h: Harness, caplog, updates: int) -> None:
    tally = await _fuzz(h, caplog, updates)
    problems = await _clean(h, caplog)
    problems += [f"press {q.data!r} never answered" for q in tally.queries if not q.answered]
    assert not problems, "\n".join(problems[:30]) + f"\n{tally}"
    assert h.emu.errors(NOT_MODIFIED) == []
    # The run did what it is for: presses, stale ones and double ones, edits and fresh messages.
    assert tally.presses > updates // 3 and tally.stale > 5 and tally.double > 5, tally
    assert h.emu.count_calls("editMessageText") + h.emu.count_calls("editMessageReplyMarkup") > 20


async def test_random_presses_and_texts_across_both_bots(h, caplog):
    await _fuzz_and_check(h, caplog, FUZZ_UPDATES)


@pytest.mark.slow
async def test_random_presses_and_texts_across_both_bots_many(h, caplog):
    await _fuzz_and_check(h, caplog, SLOW_FUZZ_UPDATES)
