"""Cancel at every step, change every field on the review card, and garbage at every step."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Report
from tests.flows import STEPS, english, full_report, report_until
from tests.harness import PIN_BETA, PIN_OUTSIDE


@pytest.mark.parametrize("step", STEPS)
async def test_cancel_at_every_step(h, step):
    r = h.resident()
    await english(r)
    await report_until(r, step)
    if step == "location":
        done = await r.press("✖️ Cancel report")
    elif step == "review":
        done = await r.tap("✖️ Cancel report")
    else:
        done = await r.tap("✖️ Cancel")
    assert "cancelled" in done.text.lower()
    assert done.reply_keyboard is not None and "📝 Make a report" in str(done.reply_keyboard)
    assert await h.count(Report) == 0
    state, data = await h.conversation(r)
    assert state is None and not data  # the draft is gone, by the resident's choice


async def test_cancel_command_works_mid_report(h):
    r = h.resident()
    await english(r)
    await report_until(r, "description")
    done = await r.say("/batal")
    assert "Cancelled" in done.text
    assert (await h.conversation(r))[0] is None


async def test_every_field_can_be_changed_on_the_review_card(h):
    r = h.resident()
    await english(r)
    review = await report_until(r, "review")
    assert "Check your report" in review.text

    await r.tap("✏️ Category")
    review = await r.tap("Street children")
    assert "Street children" in review.text and "Check your report" in review.text

    await r.tap("✏️ Location")
    await r.press("📍 Send my current location", location=PIN_BETA)
    review = await r.say("Behind the bus terminal")
    assert "Beta" in review.text and "Behind the bus terminal" in review.text

    await r.tap("✏️ Number of people")
    review = await r.tap("More than 10")
    assert "More than 10" in review.text

    await r.tap("✏️ Age group")
    review = await r.tap("Teenagers")
    assert "Teenagers" in review.text

    await r.tap("✏️ Description")
    review = await r.say("A group of teenagers selling newspapers")
    assert "selling newspapers" in review.text

    await r.tap("✏️ Time seen")
    await r.tap("At a time")
    review = await r.say("07:40")
    assert "07:40" in review.text

    await r.tap("✏️ Photos")
    await r.photo()
    review = await r.tap("Done with photos")
    assert "Photos:</b> 1" in review.html or "Photos: 1" in review.text

    await r.tap("✏️ Danger")
    review = await r.tap("Yes, someone is in danger")
    assert "YES" in review.text

    await r.tap("✏️ Reporting as")
    review = await r.tap("Organisation")
    assert "Organisation" in review.text

    await r.tap("✏️ Identity")
    review = await r.tap("Officers may see my name")
    assert "officers may see my name" in review.text

    receipt = await r.tap("Send report")
    assert "UJI-" in receipt.text
    report = await h.scalar(select(Report))
    assert (report.category, report.kecamatan, report.landmark) == ("anak_jalanan", "Beta", "Behind the bus terminal")
    assert (report.people_count, report.age_group, report.reporter_type) == ("10+", "remaja", "organisasi")
    assert report.urgent and not report.anonymous and report.seen_when == "time"
    assert report.description == "A group of teenagers selling newspapers"


async def test_back_to_summary_keeps_the_old_value(h):
    r = h.resident()
    await english(r)
    await report_until(r, "review")
    await r.tap("✏️ Number of people")
    review = await r.tap("↩️ Back to summary")
    assert "2-3 people" in review.text


GARBAGE = [
    ("sticker", {}),
    ("voice", {}),
    ("document", {}),
    ("text", {"text": "asdf 😀 <b>&"}),
]


@pytest.mark.parametrize("step", ["category", "location", "people_count", "age_group", "seen_when",
                                  "photos", "urgent", "reporter_type", "anonymous", "review"])
async def test_garbage_at_every_step_gets_an_answer_and_keeps_the_draft(h, step):
    r = h.resident()
    await english(r)
    await report_until(r, step)
    state_before, data = await h.conversation(r)
    draft_before = dict(data["draft"])
    for kind, kwargs in GARBAGE:
        count = len(r.user.messages)
        if kind == "text":
            await r.say(kwargs["text"])
        else:
            await r.send(kind)
        assert len(r.user.messages) > count, f"no answer to a {kind} at {step}"
        answer = r.last
        assert answer.text and ("Please" in answer.text or "I need the place" in answer.text
                                or "did not understand" in answer.text), answer.text
    state_after, data = await h.conversation(r)
    assert state_after == state_before
    assert data["draft"] == draft_before


async def test_a_photo_sent_too_early_is_kept(h):
    r = h.resident()
    await english(r)
    await report_until(r, "people_count")
    kept = await r.photo()
    assert "Photo kept" in kept.text and "How many people" in kept.text
    assert len((await h.conversation(r))[1]["draft"]["photos"]) == 1


async def test_photos_step_limits_and_wrong_kinds(h):
    r = h.resident()
    await english(r)
    await report_until(r, "photos")
    doc = await r.send("document", file_name="foto.jpg", mime_type="image/jpeg")
    assert doc.text == "Please send the picture as a photo (📎 → Gallery), not as a file."
    for _ in range(h.region.limits.max_photos):
        last = await r.photo()
    assert "Is someone in danger" in last.text  # the limit moved the report on
    assert len((await h.conversation(r))[1]["draft"]["photos"]) == h.region.limits.max_photos


async def test_too_long_description_is_refused_politely(h):
    r = h.resident()
    await english(r)
    await report_until(r, "description")
    limit = h.region.limits.description_max_chars
    answer = await r.say("x" * (limit + 1))
    assert str(limit) in answer.text and "kept" in answer.text
    ok = await r.say("short and clear")
    assert "When did you see it" in ok.text


async def test_bad_time_is_refused_and_a_later_time_means_yesterday(h):
    r = h.resident()
    await english(r)
    await report_until(r, "seen_when")
    await r.tap("At a time")
    bad = await r.say("25:99")
    assert "could not read" in bad.text
    # The manual clock stands at 10:00 WIB: 23:30 can only have been yesterday evening.
    ok = await r.say("23.30")
    assert "23:30" in ok.text
    assert (await h.conversation(r))[1]["draft"]["seen_at"].startswith("2026-11-22")


async def test_pin_outside_the_region_is_accepted_and_flagged(h):
    r = h.resident()
    await english(r)
    await report_until(r, "location")
    await r.press("📍 Send my current location", location=PIN_OUTSIDE)
    assert "outside Kabupaten Uji" in r.texts()[-2]
    await r.tap("📝 Tell more")
    await r.tap("Skip")
    await r.tap("2-3 people")
    await r.tap("Children")
    await r.say("x")
    await r.tap("Right now")
    await r.tap("Skip, no photos")
    await r.tap("No")
    await r.tap("Individual")
    await r.tap("Stay anonymous")
    receipt = await r.tap("Send report")
    assert "outside Kabupaten Uji" in receipt.text
    report = await h.scalar(select(Report))
    assert report.outside_region and report.kecamatan is None


async def test_landmark_required_without_a_pin(h):
    r = h.resident()
    await english(r)
    await report_until(r, "location")
    await r.press("🗺️ Choose kecamatan from a list")
    landmark = await r.tap("Gamma")  # no desa list: straight to the landmark
    assert "Type a landmark" in landmark.text
    assert "Skip" not in str(landmark.buttons)
    answer = await r.say("   ")
    assert "landmark" in answer.text.lower()


async def test_stale_button_is_refused(h):
    r = h.resident()
    await english(r)
    await report_until(r, "people_count")
    # The category question, edited to the answer once a category was chosen.
    category_question = next(m for m in r.user.messages if (m.text or "").startswith("✅ Category: Beggars"))
    # That message's buttons are gone; a forged press of a category arrives anyway.
    from bot.flows.report_ui import ReportAction, ReportCb
    await r.tap_data(ReportCb(action=ReportAction.CATEGORY, arg="pelacuran").pack())
    assert any("no longer valid" in a for a in r.user.callback_answers)
    assert (await h.conversation(r))[1]["draft"]["category"] == "pengemis"
    assert category_question.text == "✅ Category: Beggars"  # the question shows the answer kept


async def test_double_send_makes_one_report(h):
    r = h.resident()
    await english(r)
    await report_until(r, "review")
    review = r.last
    r.user.click("Send report", message=review)
    r.user.click_data(review.button_data["✅ Send report"], message=review)
    await h.settle()
    assert await h.count(Report) == 1
    await full_report(r)
    assert await h.count(Report) == 2
