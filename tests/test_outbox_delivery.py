"""Outbox delivery: in order per chat, through 429 bursts and 5xx, to duty groups, and across a
process killed mid-send, with no alert lost."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import select

from db.models import Outbox, Report
from tests.flows import english, full_report
from tests.harness import BACKOFFICE_TOKEN, TEST_REGION, make_harness


def alert_messages(officer, ticket):
    return [m for m in officer.user.messages if ticket in (m.text or m.caption or "")]


async def drain(h, rounds: int = 40) -> None:
    """Settles, moving the manual clock past retry times, until nothing is pending."""
    for _ in range(rounds):
        await h.settle()
        if not await h.count(Outbox, Outbox.status == "pending"):
            return
        h.clock.advance(seconds=30)
    raise AssertionError("outbox did not drain")


async def test_429_bursts_and_5xx_delay_but_lose_no_alert(h):
    officers = [await h.officer(9100 + i, f"Officer {i}", areas=["Alpha"]) for i in range(6)]
    for chat in (9100, 9101, 9102):
        h.emu.inject_fault("sendMessage", status=429, retry_after=2, count=2, chat_id=chat)
    for chat in (9103, 9104):
        h.emu.inject_fault("sendLocation", status=502, count=3, chat_id=chat)
    r = h.resident()
    await english(r)
    await full_report(r)
    await drain(h)
    report = await h.scalar(select(Report))
    for officer in officers:
        texts = alert_messages(officer, report.ticket)
        assert len(texts) == 1, officer.user.transcript()
        assert any(m.location for m in officer.user.messages)
    sent = await h.rows(select(Outbox).where(Outbox.bot == "backoffice"))
    assert all(row.status == "sent" for row in sent)
    assert any(row.attempts > 1 for row in sent)  # some were retried


async def test_order_per_chat_is_kept_after_a_retry(h):
    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    h.emu.inject_fault("sendMessage", status=429, retry_after=3, count=1, chat_id=9001)
    r = h.resident()
    await english(r)
    await full_report(r)
    await drain(h)
    report = await h.scalar(select(Report))
    messages = [m for m in officer.user.messages if m.text and report.ticket in m.text or m.location]
    assert messages[0].text and report.ticket in messages[0].text  # the alert text came first
    assert messages[1].location is not None  # then its map pin, not before


async def test_process_killed_mid_delivery_loses_no_alert(h):
    officers = [await h.officer(9200 + i, f"Officer {i}", areas=["Alpha"]) for i in range(3)]
    h.emu.inject_delay("sendMessage", 3, count=1)  # the first alert hangs in flight
    r = h.resident()
    await english(r)
    from tests.flows import report_until
    await report_until(r, "review")
    r.user.click("Send report")
    await h.emu.wait_for(lambda: any(c.method.lower() == "sendmessage" and c.chat_id in (9200, 9201, 9202)
                                     for c in h.emu.calls) or None, 5)
    await h.restart(crash=True)
    h.emu.clear_faults()
    h.clock.advance(seconds=120)  # past the dead worker's claim lease
    await drain(h)
    report = await h.scalar(select(Report))
    for officer in officers:
        assert alert_messages(officer, report.ticket), officer.user.transcript()
    assert await h.count(Outbox, Outbox.status != "sent") == 0


async def test_duty_group_gets_the_alert(tmp_path):
    text = TEST_REGION.read_text().replace("# duty_chat_id = -1001234567890", "duty_chat_id = -1001234567890", 1)
    region_file = Path(tmp_path) / "region.toml"
    region_file.write_text(text)
    for extra in TEST_REGION.parent.glob("testregion.geojson"):
        (Path(tmp_path) / extra.name).write_text(extra.read_text())
    h = await make_harness(tmp_path, region_file)
    await h.start()
    try:
        group = h.emu.add_group(-1001234567890, "Piket Satpol PP Uji", members=[9001], bots=[BACKOFFICE_TOKEN])
        r = h.resident()
        await english(r)
        await full_report(r)
        await drain(h)
        report = await h.scalar(select(Report))
        assert any(report.ticket in (m.text or "") for m in group.messages)
    finally:
        await h.app.stop()
        await h.emu.stop()


async def test_two_workers_never_share_a_chat_or_a_row(db):
    """Several instances: a row goes to one worker, and a chat whose rows one worker holds is left
    to it (on PostgreSQL; SQLite has one instance), so its messages keep their order."""
    from datetime import datetime

    from core import outbox
    from db.dialect import dialect_name

    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    async with db() as session:
        for chat in (1, 1, 1, 2, 2):
            _text(session, bot="citizen", chat_id=chat, text=f"to {chat}", now=now)
        await session.commit()
    async with db() as a_session, db() as b_session:
        a = await outbox.claim_due(a_session, bot="citizen", worker="A", now=now, limit=2)
        b = await outbox.claim_due(b_session, bot="citizen", worker="B", now=now, limit=10)
        postgres = dialect_name(a_session) == "postgresql"
    assert [r.chat_id for r in a] == [1, 1]
    assert not {r.id for r in a} & {r.id for r in b}
    if postgres:
        assert [r.chat_id for r in b] == [2, 2]  # chat 1's third row waits for A
    else:
        assert [r.chat_id for r in b] == [1, 2, 2]
    # When the leases run out (A died, B too), everything is taken again, in order.
    async with db() as session:
        later = await outbox.claim_due(session, bot="citizen", worker="C", now=now + outbox.CLAIM_LEASE * 2)
    assert [r.chat_id for r in later] == [1, 1, 1, 2, 2]


async def test_a_chat_with_a_backlog_does_not_hold_the_others_back(db):
    from datetime import datetime

    from core import outbox

    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    async with db() as session:
        for i in range(10):
            _text(session, bot="backoffice", chat_id=1, text=f"alert {i}", now=now)
        _text(session, bot="backoffice", chat_id=2, text="alert for someone else", now=now)
        await session.commit()
        claimed = await outbox.claim_due(session, bot="backoffice", worker="A", now=now, limit=50)
    assert [r.chat_id for r in claimed] == [1] * outbox.PER_CHAT + [2]
    assert [r.payload["text"] for r in claimed][:3] == ["alert 0", "alert 1", "alert 2"]  # in order


@asynccontextmanager
async def _spare_queue(h, lease, notes: int):
    """Officer Budi, `notes` messages owed to him, and two workers A and B on an outbox queue of
    their own ("spare", sent as the backoffice bot), so the app's own worker leaves those rows
    alone and the test decides who holds what, and when."""
    from lapor.app import make_bot
    from lapor.outbox_worker import OutboxWorker
    from lapor.pacing import BotPacer

    officer = await h.officer(9001, "Budi", areas=["Alpha"])
    # A chat's rows still go a second apart, as the emulator holds the bot to (its clock).
    workers = [OutboxWorker(name="spare", bot=make_bot(BACKOFFICE_TOKEN, h.emu.base_url, retry=False),
                            sessionmaker=h.app.sessionmaker, clock=h.clock, lease=lease,
                            pacer=BotPacer(clock=h.emu.clock.monotonic))
               for _ in range(2)]
    async with h.app.sessionmaker() as session:
        for i in range(notes):
            _text(session, bot="spare", chat_id=9001, text=f"note {i}", now=h.clock.now())
        await session.commit()
    try:
        yield officer, *workers
    finally:
        for worker in workers:
            await worker.bot.session.close()


async def _claim(h, worker, lease):
    from core import outbox

    async with h.app.sessionmaker() as session:
        return await outbox.claim_due(session, bot="spare", worker=worker.worker_id, now=h.clock.now(), lease=lease)


def _notes(officer) -> list[str]:
    return [m.text for m in officer.user.messages if (m.text or "").startswith("note ")]


async def test_a_row_taken_over_after_the_lease_ran_out_is_sent_once(h):
    """Instance A claimed a chat's rows and then stalled past its lease; B took them over. When A
    wakes it must not send them again (the supervisor would get each summary twice)."""
    lease = timedelta(seconds=10)
    async with _spare_queue(h, lease, notes=3) as (officer, a, b):
        held_by_a = await _claim(h, a, lease)
        h.clock.advance(seconds=25)
        held_by_b = await _claim(h, b, lease)
        assert [r.id for r in held_by_b] == [r.id for r in held_by_a]
        await a._deliver_chat(held_by_a)
        await b._deliver_chat(held_by_b)
        assert _notes(officer) == ["note 0", "note 1", "note 2"]
        assert await h.count(Outbox, Outbox.bot == "spare", Outbox.status == "sent") == 3


async def test_a_slow_worker_renews_its_claim_so_no_one_takes_the_chat_over(h):
    """Past half its lease a worker renews what it still holds: a row it stalled on is neither
    taken by another instance meanwhile nor lost, and a lease that ran out with no one taking the
    rows over is simply picked up again."""
    from core import outbox

    lease = timedelta(seconds=10)
    async with _spare_queue(h, lease, notes=2) as (officer, a, b):
        held = await _claim(h, a, lease)
        h.clock.advance(seconds=7)  # past half the lease, not past the lease
        async with h.app.sessionmaker() as session:
            renewed = await outbox.renew_claims(session, ids=[r.id for r in held], worker=a.worker_id,
                                                until=h.clock.now() + lease)
        assert renewed == {r.id for r in held}
        h.clock.advance(seconds=7)  # past the first lease, within the renewed one
        assert await _claim(h, b, lease) == []
        h.clock.advance(seconds=30)  # A's renewed lease ran out too, but no one took the rows
        await a._deliver_chat(held)
        assert _notes(officer) == ["note 0", "note 1"]


def _text(session, *, bot: str, chat_id: int, text: str, now) -> None:
    """A row with a ready payload: these tests are of the delivery mechanics, not of notices."""
    from core import outbox

    outbox.enqueue(session, bot=bot, chat_id=chat_id, method="sendMessage", payload={"text": text}, now=now)
