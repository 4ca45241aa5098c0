"""One send budget per bot (lapor/pacing.py): replies first, the outbox with the rest, and never
more than Telegram allows, even with officers using the bot while an alert backlog drains."""
from __future__ import annotations

import asyncio

import pytest

from botapi_emulator import BotAPIEmulator
from core.officers import add_officer
from core.region import load_region_config
from core.report_submit import submit_report
from db.models import Outbox
from lapor.pacing import BULK, CHAT_RATE, INTERACTIVE, BotPacer
from tests.conftest import stop_or_explain
from tests.db_fixtures import new_reporter
from tests.harness import (
    BACKOFFICE_TOKEN,
    CITIZEN_TOKEN,
    PIN_ALPHA,
    TEST_REGION,
    Harness,
    database_url_for,
)
from tests.test_tickets_routing import complete_draft


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_outbox_leaves_the_last_tokens_to_replies():
    pacer = BotPacer(rate=10, burst=5, reserve=3, clock=FakeTime())
    await pacer.take(BULK)  # 5 -> 4
    await pacer.take(BULK)  # 4 -> 3: the outbox stops here, three are kept for replies
    blocked = asyncio.ensure_future(pacer.take(BULK))
    await asyncio.sleep(0)
    assert not blocked.done()
    for _ in range(3):
        await asyncio.wait_for(pacer.take(INTERACTIVE), 1)  # replies still go at once
    assert pacer.taken == {INTERACTIVE: 3, BULK: 2}
    blocked.cancel()


async def test_a_waiting_reply_goes_before_a_waiting_outbox_send():
    time = FakeTime()
    pacer = BotPacer(rate=8, burst=4, reserve=3, clock=time)  # steps of 1/8 s: exact in floats
    for _ in range(4):
        await pacer.take(INTERACTIVE)  # the budget is spent
    order: list[str] = []

    async def take(priority: int, name: str) -> None:
        await pacer.take(priority)
        order.append(name)

    bulk = asyncio.ensure_future(take(BULK, "outbox"))
    await asyncio.sleep(0)
    reply = asyncio.ensure_future(take(INTERACTIVE, "reply"))  # came later
    await asyncio.sleep(0)
    time.now += 0.125  # one token: enough for the reply, not for the outbox (it leaves three)
    pacer._release()
    await asyncio.wait_for(reply, 1)
    assert order == ["reply"] and not bulk.done()
    time.now += 0.5  # four more
    pacer._release()
    await asyncio.wait_for(bulk, 1)
    assert order == ["reply", "outbox"]


def test_a_chat_takes_a_burst_of_three_then_about_one_a_second():
    time = FakeTime()
    pacer = BotPacer(clock=time)
    assert [pacer.chat_turn(7) for _ in range(3)] == [0, 0, 0]  # a reply of three messages goes at once
    assert pacer.chat_turn(7) == pytest.approx(1 / CHAT_RATE)  # the fourth waits its turn
    assert pacer.chat_turn(8) == 0  # other chats are not held back
    time.now += 5
    assert pacer.chat_turn(7) == 0
    pacer.sent(9)  # the outbox's sends count against the chat as well
    assert pacer.last_sent(9) == time.now and pacer.last_sent(10) is None


def test_the_rate_must_be_positive():
    with pytest.raises(ValueError):
        BotPacer(rate=0)


OFFICERS = 30
BUSY = 4


@pytest.mark.alone
async def test_a_backlog_and_busy_officers_stay_within_telegrams_limits(tmp_path):
    """30 officers are owed an alert and a pin each (60 messages, two seconds at 30/s) while four
    officers of another agency keep asking the same bot for their tasks. The emulator judges
    every send in real time at Telegram's 30/s per bot and 1/s per chat: no 429 may come back,
    every alert arrives once, and the officers' answers come while the backlog drains, not after
    it."""
    emu = BotAPIEmulator()  # real time, no think time: the limits are judged as Telegram does
    await emu.start()
    emu.add_bot(CITIZEN_TOKEN, "lapor_uji_bot", "Lapor PMKS Uji")
    emu.add_bot(BACKOFFICE_TOKEN, "lapor_uji_petugas_bot", "Petugas Lapor PMKS Uji")
    h = Harness(emu=emu, database_url=database_url_for(tmp_path), region=load_region_config(TEST_REGION))
    app = await h.start()
    try:
        office = emu.bot(BACKOFFICE_TOKEN)
        async with app.sessionmaker() as session:
            for i in range(OFFICERS):
                await add_officer(session, region=h.region, now=h.clock.now(), telegram_id=9300 + i,
                                  name=f"Petugas {i}", agency="satpolpp", role="officer", areas=["Alpha"],
                                  language="en")
            for i in range(BUSY):
                await add_officer(session, region=h.region, now=h.clock.now(), telegram_id=9400 + i,
                                  name=f"Dinsos {i}", agency="dinsos", role="officer", areas=["Beta"],
                                  language="en")
        officers = [emu.add_user(9300 + i, first_name=f"Petugas{i}", language_code="en", bot_token=BACKOFFICE_TOKEN)
                    for i in range(OFFICERS)]
        for user in officers:
            emu.private_chat(office, user.id, create=True)  # they pressed Start once
        busy = [emu.add_user(9400 + i, first_name=f"Dinsos{i}", language_code="en", bot_token=BACKOFFICE_TOKEN)
                for i in range(BUSY)]
        for user in busy:
            emu.private_chat(office, user.id, create=True)

        # A resident's report (sent through the service: a resident tapping through the citizen bot
        # at test speed would trip that chat's own 1/s limit, which real people do not).
        async with app.sessionmaker() as session:
            reporter = await new_reporter(session)
            ticket = (await submit_report(session, clock=h.clock, region=h.region, reporter_id=reporter.id,
                                          draft=complete_draft(kecamatan="Alpha", latitude=PIN_ALPHA[0],
                                                               longitude=PIN_ALPHA[1]))).ticket
        app.backoffice.worker.wake()

        async def pending_alerts() -> int:
            return await h.count(Outbox, Outbox.bot == "backoffice", Outbox.status == "pending")

        async def keep_asking(user) -> int:
            asked = 0
            while await pending_alerts():
                seen = len(user.messages)
                user.send_text("/tugas")
                asked += 1
                await emu.wait_for(lambda seen=seen: len(user.messages) > seen, 10)
            return asked

        asked = await asyncio.wait_for(asyncio.gather(*(keep_asking(user) for user in busy)), 60)
        await h.settle()

        calls = [c for c in emu.calls if c.bot_id == office.id]
        assert [c for c in calls if c.status == 429] == []
        for i in range(OFFICERS):
            chat_calls = [c for c in calls if c.chat_id == 9300 + i and c.status == 200]
            assert [c.method for c in chat_calls] == ["sendMessage", "sendLocation"], (i, chat_calls)
        for user, n in zip(busy, asked, strict=True):
            assert n >= 1
            assert len([m for m in user.messages if m.text]) == n  # every question answered once
        alert_calls = [k for k, c in enumerate(calls) if c.chat_id is not None and 9300 <= c.chat_id < 9400]
        reply_calls = [k for k, c in enumerate(calls)
                       if c.method == "sendMessage" and c.chat_id is not None and c.chat_id >= 9400]
        # Answers went out between the alerts, not queued behind all of them.
        assert reply_calls[0] < alert_calls[-1]
        for user in officers:
            alert, pin = user.messages
            assert ticket in alert.text and pin.location is not None
        pacer = app.backoffice.worker.pacer
        assert pacer.taken[BULK] == 2 * OFFICERS
        assert pacer.taken[INTERACTIVE] >= sum(asked)
    finally:
        await stop_or_explain(app)
        await emu.stop()


def test_the_budget_setting_and_its_former_name(monkeypatch):
    from pydantic import ValidationError

    from lapor.settings import Settings

    assert Settings(_env_file=None).send_rate_per_second == 30
    monkeypatch.setenv("OUTBOX_RATE_PER_SECOND", "12")  # an older env file
    assert Settings(_env_file=None).send_rate_per_second == 12
    monkeypatch.setenv("SEND_RATE_PER_SECOND", "31")  # over Telegram's limit
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
