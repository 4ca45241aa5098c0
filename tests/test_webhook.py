"""Webhook mode: Telegram (the emulator) posts updates to the app's HTTP server, which checks the
secret, stores each update in the inbox before answering, and serves /healthz and /metrics."""
from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import select

from db.models import InboxUpdate, Report, Reporter
from lapor.web import SECRET_HEADER
from tests.flows import english, full_report
from tests.harness import BACKOFFICE_TOKEN, CITIZEN_TOKEN, WEBHOOK_SECRET, make_harness


def url(h, path: str) -> str:
    return f"http://127.0.0.1:{h.http_port}{path}"


async def test_both_webhooks_are_set_with_secret_allowed_updates_and_max_connections(hw):
    for token, name in ((CITIZEN_TOKEN, "citizen"), (BACKOFFICE_TOKEN, "backoffice")):
        bot = hw.emu.bots[token]
        assert bot.webhook["url"] == url(hw, f"/webhook/{name}")
        assert bot.webhook["secret_token"] == WEBHOOK_SECRET
        assert bot.webhook["max_connections"] == hw.app.settings.webhook_max_connections
        assert bot.allowed_updates == ["message", "callback_query"]


async def test_a_whole_report_comes_in_by_webhook_and_reaches_the_officer(hw):
    officer = await hw.officer(9001, "Budi", agency="satpolpp")
    r = hw.resident()
    await english(r)
    receipt = await full_report(r)
    assert "UJI-" in receipt.text
    reports = await hw.rows(select(Report))
    assert len(reports) == 1 and reports[0].state == "baru"
    assert any(reports[0].ticket in t for t in officer.texts())
    # Nothing reached the app by polling: every update came through the HTTP server's inbox.
    assert await hw.count(InboxUpdate, InboxUpdate.status == "done") >= 12


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-0123456789", WEBHOOK_SECRET + "x"])
async def test_a_request_without_the_right_secret_gets_401_and_touches_nothing(hw, secret):
    update = {"update_id": 777, "message": {
        "message_id": 1, "date": 1_700_000_000, "chat": {"id": 4242, "type": "private"},
        "from": {"id": 4242, "is_bot": False, "first_name": "Mallory"}, "text": "/start"}}
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with aiohttp.ClientSession() as http, \
            http.post(url(hw, "/webhook/citizen"), json=update, headers=headers) as resp:
        assert resp.status == 401
    await hw.settle()
    assert await hw.count(InboxUpdate) == 0
    assert await hw.count(Reporter, Reporter.telegram_id == 4242) == 0
    async with aiohttp.ClientSession() as http, http.get(url(hw, "/metrics")) as resp:
        assert "lapor_webhook_refused_total 1.0" in await resp.text()


async def test_the_right_secret_is_accepted_and_a_redelivered_update_is_handled_once(hw):
    r = hw.resident(4343, "Ani", language_code="en")
    await r.say("/start")
    welcome = len(r.user.messages)
    delivered = hw.emu.bots[CITIZEN_TOKEN].updates.confirmed
    update = next(u for u in delivered.values() if u["message"]["from"]["id"] == 4343)
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # Telegram sends it again (it saw no answer in time)
            async with http.post(url(hw, "/webhook/citizen"), json=update,
                                 headers={SECRET_HEADER: WEBHOOK_SECRET}) as resp:
                assert resp.status == 200
        async with http.post(url(hw, "/webhook/citizen"), data=b"{not json",
                             headers={SECRET_HEADER: WEBHOOK_SECRET}) as resp:
            assert resp.status == 400
        async with http.post(url(hw, "/webhook/nosuchbot"), json=update,
                             headers={SECRET_HEADER: WEBHOOK_SECRET}) as resp:
            assert resp.status == 404
    await hw.settle()
    assert await hw.count(Reporter, Reporter.telegram_id == 4343) == 1
    assert await hw.count(InboxUpdate, InboxUpdate.update_id == update["update_id"],
                          InboxUpdate.status == "done") == 1
    assert len(r.user.messages) == welcome  # one welcome, not three


async def test_an_update_left_by_a_dead_instance_is_taken_over_after_its_lease(hw):
    from datetime import timedelta

    from core import inbox

    r = hw.resident(4444, "Dewi", language_code="en")
    await r.say("/start")
    before = len(r.user.messages)
    # An update another instance accepted just before it died: in the inbox, held, never handled.
    payload = {"update_id": 90_001, "message": {
        "message_id": 999, "date": 1_700_000_000, "chat": {"id": 4444, "type": "private"},
        "from": {"id": 4444, "is_bot": False, "first_name": "Dewi", "language_code": "en"}, "text": "/bantuan"}}
    lease = timedelta(seconds=hw.app.settings.inbox_lease_seconds)
    async with hw.app.sessionmaker() as session:
        await inbox.record(session, bot="citizen", updates=[payload], now=hw.clock.now(), lease=lease)
    poller = hw.app.citizen.poller
    assert await poller.recover() == 0  # still held by its instance
    hw.clock.advance((lease + timedelta(seconds=1)).total_seconds())
    assert await poller.recover() == 1
    await hw.settle()
    row = (await hw.rows(select(InboxUpdate).where(InboxUpdate.update_id == 90_001)))[0]
    assert row.status == "done"
    assert len(r.user.messages) == before + 1  # the help text
    assert await poller.recover() == 0  # handled once, never again


async def test_healthz_and_metrics(hw):
    r = hw.resident()
    await english(r)
    await full_report(r)
    async with aiohttp.ClientSession() as http:
        async with http.get(url(hw, "/healthz")) as resp:
            assert resp.status == 200
            expected = {"status": "ok", "database": "ok", **({"redis": "ok"} if hw.redis_url else {})}
            assert await resp.json() == expected
        async with http.get(url(hw, "/metrics")) as resp:
            body = await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert 'lapor_reports{agency="satpolpp",state="baru"} 1.0' in body
    assert 'lapor_outbox_backlog{bot="citizen"} 0.0' in body
    assert 'lapor_outbox_oldest_age_seconds{bot="backoffice"}' in body
    assert 'lapor_inbox_pending{bot="citizen"} 0.0' in body
    handled = [line for line in body.splitlines()
               if line.startswith('lapor_updates_handled_total{bot="citizen",result="ok"}')]
    assert handled and float(handled[0].split()[-1]) >= 12
    assert "lapor_outbox_sent_total" in body
    assert 'lapor_send_rate_per_second{bot="citizen"} 30.0' in body  # alone: the whole budget


async def test_healthz_says_503_and_which_part_is_down(tmp_path):
    harness = await make_harness(tmp_path)
    harness.webhook = True
    harness.redis_url = "redis://127.0.0.1:1/0"  # nothing listens there
    harness.redis_prefix = "lapor-test-down"
    await harness.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(url(harness, "/healthz")) as resp:
            assert resp.status == 503
            body = await resp.json()
        assert body["status"] == "fail" and body["database"] == "ok"
        assert body["redis"] != "ok"
    finally:
        await harness.app.stop()
        await harness.emu.stop()


async def test_going_back_to_polling_removes_the_webhook(hw):
    await hw.app.stop()
    hw.webhook = False
    await hw.start()
    assert hw.emu.bots[CITIZEN_TOKEN].webhook is None and hw.emu.bots[BACKOFFICE_TOKEN].webhook is None
    r = hw.resident(4545, "Rina", language_code="en")
    welcome = await r.say("/start")
    assert welcome is not None and len(r.user.messages) >= 1
