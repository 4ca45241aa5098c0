"""Retention (UU 27/2022): photos purged N days after closure, reports anonymised later, and a
reporter's deletion request carried out once their cases are closed."""
from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEvent, FsmRecord, Report, Reporter, ReportPhoto
from tests.flows import english, full_report, report_until

DAY = 86_400


async def _report_with_photo(h, r) -> Report:
    await english(r)
    await report_until(r, "photos", description="Two children at the market gate, red shirts")
    await r.photo()
    await r.tap("Done with photos")
    await r.tap("No")
    await r.tap("Individual")
    await r.tap("Stay anonymous")
    await r.tap("Send report")
    return (await h.rows(select(Report).order_by(Report.id.desc())))[0]


async def _reject(h, officer, report: Report) -> None:
    alert = next(m for m in officer.user.messages
                 if (m.text or m.caption or "") and report.ticket in (m.text or m.caption))
    officer.user.click(alert.buttons[0][0], message=alert)  # acknowledge
    await h.settle()
    alert = next(m for m in officer.user.messages if m.text and report.ticket in m.text and m.buttons)
    reject = next(b for row in alert.buttons for b in row if "Reject" in b)
    await officer.tap(reject)
    await officer.say("Not found at the location")
    assert (await h.scalar(select(Report).where(Report.id == report.id))).state == "ditolak"


async def test_photos_go_after_the_media_period_and_free_text_after_the_report_period(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident()
    report = await _report_with_photo(h, r)
    await _reject(h, officer, report)
    privacy = h.region.privacy

    h.clock.advance((privacy.media_retention_days - 1) * DAY)
    result = await h.app.run_retention()
    assert result.photos_purged == 0
    photo = await h.scalar(select(ReportPhoto))
    assert photo.file_id and photo.purged_at is None

    h.clock.advance(2 * DAY)
    assert (await h.app.run_retention()).photos_purged == 1
    photo = await h.scalar(select(ReportPhoto))
    assert photo.file_id == "" and photo.purged_at is not None
    assert (await h.app.run_retention()).photos_purged == 0  # idempotent
    kept = await h.scalar(select(Report))
    assert kept.description.startswith("Two children") and kept.anonymised_at is None

    h.clock.advance((privacy.report_retention_days - privacy.media_retention_days) * DAY)
    assert (await h.app.run_retention()).reports_anonymised == 1
    old = await h.scalar(select(Report))
    assert old.description is None and old.landmark is None and old.anonymised_at is not None
    # What the regency's statistics need stays: category, place, dates, state; the pin is coarse.
    assert (old.category, old.kecamatan, old.state) == (report.category, report.kecamatan, "ditolak")
    assert old.latitude == round(report.latitude, 2) and old.longitude == round(report.longitude, 2)
    assert await h.count(AuditEvent, AuditEvent.action == "anonymised") == 1


async def test_an_open_report_keeps_its_photo_however_old(h):
    await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident()
    await _report_with_photo(h, r)
    h.clock.advance(1000 * DAY)
    result = await h.app.run_retention()
    assert result.photos_purged == 0 and result.reports_anonymised == 0
    assert (await h.scalar(select(ReportPhoto))).file_id


async def test_deletion_request_waits_for_open_cases_then_unlinks_the_account(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident(5001, "Siti")
    first = await _report_with_photo(h, r)
    await _reject(h, officer, first)
    await full_report(r, description="A woman begging with a baby")
    second = (await h.rows(select(Report).order_by(Report.id.desc())))[0]
    assert second.state == "baru"

    privacy = await r.say("/privasi")
    await r.tap(privacy.buttons[0][0])
    await r.tap(r.last.buttons[0][0])  # yes, delete my data
    await report_until(r, "description")  # a draft in progress

    result = await h.app.run_retention()
    assert (result.reporters_deleted, result.deletions_waiting) == (0, 1)
    reporter = await h.scalar(select(Reporter))
    assert reporter.telegram_id == 5001 and reporter.display_name is None  # still reachable for the open case
    done = await h.scalar(select(Report).where(Report.id == first.id))
    assert done.description is None and done.anonymised_at is not None
    assert (await h.scalar(select(ReportPhoto))).file_id == ""
    open_case = await h.scalar(select(Report).where(Report.id == second.id))
    assert open_case.description == "A woman begging with a baby"

    await _reject(h, officer, second)
    result = await h.app.run_retention()
    assert (result.reporters_deleted, result.deletions_waiting) == (1, 0)
    await h.settle()
    assert "Your data has been deleted" in r.last.text
    reporter = await h.scalar(select(Reporter))
    assert reporter.telegram_id < 0 and reporter.chat_id < 0 and reporter.deleted_at is not None
    assert await h.count(FsmRecord, FsmRecord.key.like("%:5001:5001:%")) == 0
    assert await h.count(AuditEvent, AuditEvent.action == "reporter_deleted") == 1
    assert (await h.app.run_retention()).reporters_deleted == 0

    # Writing again, the resident is a stranger: a new reporter row, no old reports shown.
    await r.say("/start")
    assert await h.count(Reporter) == 2
    await r.say("/status")
    assert first.ticket not in r.last.text and second.ticket not in r.last.text


async def test_untouched_drafts_are_deleted_after_thirty_days(h):
    r = h.resident()
    await english(r)
    await report_until(r, "description")
    if h.redis_url:  # Redis drops them itself: every conversation key carries the same 30-day TTL
        from redis.asyncio import Redis

        redis = Redis.from_url(h.redis_url)
        try:
            keys = [k async for k in redis.scan_iter(f"{h.redis_prefix}:*")]
            ttls = {k: await redis.ttl(k) for k in keys}
        finally:
            await redis.aclose()
        # The markers of handled updates (lapor.redis_fsm: bot and update id, nobody's data) go after
        # the inbox's two-day redelivery window.
        markers = {k: t for k, t in ttls.items() if b":applied:" in k}
        drafts = {k: t for k, t in ttls.items() if k not in markers}
        assert drafts and all(29 * DAY < t <= 30 * DAY for t in drafts.values()), drafts
        assert markers and all(DAY < t <= 2 * DAY for t in markers.values()), markers
        return
    assert await h.count(FsmRecord) >= 1
    h.clock.advance(29 * DAY)
    assert (await h.app.run_retention()).drafts_purged == 0
    h.clock.advance(2 * DAY)
    assert (await h.app.run_retention()).drafts_purged >= 1
    assert await h.count(FsmRecord, FsmRecord.key.like("%:5001:5001:%")) == 0
