"""Two real app processes (`lapor run --webhook`) on one PostgreSQL and one Redis, behind a
round-robin proxy as a load balancer would put them: they share the load, a report, an alert or a
summary is never doubled or lost, and killing one (kill -9) in the middle of the traffic loses
nothing: the other takes over what it had accepted or claimed once the leases run out.

Needs TEST_DATABASE_URL on PostgreSQL (the second CI run) and a Redis; skipped otherwise."""
from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections import Counter
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import func, select

from botapi_emulator import BotAPIEmulator, VirtualClock
from core.officers import add_officer
from core.region import load_region_config
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import AuditEvent, InboxUpdate, Outbox, Report, SummarySend
from tests.flows import LABELS, STEPS
from tests.harness import (
    BACKOFFICE_TOKEN,
    CITIZEN_TOKEN,
    PIN_ALPHA,
    TEST_REGION,
    WEBHOOK_SECRET,
    database_url_for,
    free_port,
)
from tests.procs import AppProcess

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
LEASE = 3  # seconds: how soon the survivor takes over what the dead instance held

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several instances share PostgreSQL (set TEST_DATABASE_URL)",
)


class RoundRobin:
    """The load balancer: each webhook request to the next instance; an instance that does not
    answer is skipped (nginx's proxy_next_upstream), so Telegram only sees the failure if all are down."""

    def __init__(self, upstreams: list[int]) -> None:
        self.upstreams = upstreams
        self._next = itertools.cycle(range(len(upstreams)))
        self.served: Counter[int] = Counter()
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()
        await self._http.close()

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        first = next(self._next)
        for i in range(len(self.upstreams)):
            port = self.upstreams[(first + i) % len(self.upstreams)]
            try:
                async with self._http.request(request.method, f"http://127.0.0.1:{port}{request.path_qs}",
                                              data=body, headers=headers,
                                              timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    self.served[port] += 1
                    return web.Response(status=resp.status, body=await resp.read())
            except (TimeoutError, aiohttp.ClientError):
                continue
        return web.Response(status=502, text="no instance answered")


class RemoteResident:
    """The tests.flows interface (say, tap, press) over apps in other processes: an action is done
    when the whole system is quiet again (nothing undelivered, in the inbox, or due in the outbox),
    as the in-process harness's settle, but read from the emulator and the shared database."""

    def __init__(self, user, quiet) -> None:
        self.user, self.quiet = user, quiet

    async def say(self, text: str):
        self.user.send_text(text)
        await self.quiet()
        return self.user.last_message

    async def press(self, label: str, **kwargs):
        self.user.press(label, **kwargs)
        await self.quiet()
        return self.user.last_message

    async def tap(self, label: str):
        self.user.click(label)
        await self.quiet()
        return self.user.last_message


def quiet_checker(emu, sessionmaker, timeout: float = 90.0):
    async def quiet() -> None:
        async def is_quiet() -> bool:
            if any(emu.pending_updates(token) for token in (CITIZEN_TOKEN, BACKOFFICE_TOKEN)):
                return False
            async with sessionmaker() as session:
                inbox = (await session.execute(select(func.count()).select_from(InboxUpdate)
                                               .where(InboxUpdate.status == "pending"))).scalar()
                due = (await session.execute(select(func.count()).select_from(Outbox).where(
                    Outbox.status == "pending", Outbox.next_attempt_at <= datetime.now(UTC)))).scalar()
            return not inbox and not due
        await _wait_for(is_quiet, timeout)
    return quiet


async def report(r: RemoteResident, description: str) -> str:
    """A whole report by pin; returns the receipt's text."""
    L = LABELS["en"]
    actions = {
        "category": lambda: r.tap(L["category"]),
        "location": lambda: r.press(L["send_location"], location=PIN_ALPHA),
        "pace": lambda: r.tap(L["more"]),
        "landmark": lambda: r.tap(L["skip"]), "people_count": lambda: r.tap(L["people"]),
        "age_group": lambda: r.tap(L["age"]), "description": lambda: r.say(description),
        "seen_when": lambda: r.tap(L["now"]), "photos": lambda: r.tap(L["photos_done"]),
        "urgent": lambda: r.tap(L["not_urgent"]), "reporter_type": lambda: r.tap(L["individual"]),
        "anonymous": lambda: r.tap(L["anonymous"]), "review": lambda: r.tap(L["send"]),
    }
    await r.say("/start en")
    await r.press(L["report"])
    for step in STEPS:
        await actions[step]()
    return next(m.text for m in r.user.messages if "UJI-" in (m.text or ""))


@pytest.fixture
async def deployment(tmp_path):
    emu = BotAPIEmulator(clock=VirtualClock(follow_real_time=True))
    await emu.start()
    emu.add_bot(CITIZEN_TOKEN, "lapor_uji_bot", "Lapor PMKS Uji")
    emu.add_bot(BACKOFFICE_TOKEN, "lapor_uji_petugas_bot", "Petugas Lapor PMKS Uji")
    url = database_url_for(tmp_path)
    region = load_region_config(TEST_REGION)
    await migrate.upgrade(url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    from core.clock import SystemClock
    async with sessionmaker() as session:
        for tid, name, role in ((9001, "Budi", "officer"), (9002, "Sri", "officer"), (9005, "Kasatpol", "supervisor")):
            await add_officer(session, region=region, now=SystemClock().now(), telegram_id=tid, name=name,
                              agency="satpolpp", role=role, areas=["Alpha"] if role == "officer" else [],
                              language="en")
    ports = [free_port(), free_port()]
    proxy = RoundRobin(ports)
    await proxy.start()
    prefix = f"lapor-inst-{uuid.uuid4().hex[:8]}"
    common = {
        "CITIZEN_BOT_TOKEN": CITIZEN_TOKEN, "BACKOFFICE_BOT_TOKEN": BACKOFFICE_TOKEN, "DATABASE_URL": url,
        "REGION_CONFIG": TEST_REGION, "TELEGRAM_API_URL": emu.base_url, "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": prefix, "WEBHOOK_URL": f"http://127.0.0.1:{proxy.port}", "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "INBOX_LEASE_SECONDS": LEASE, "OUTBOX_LEASE_SECONDS": LEASE, "REDIS_LOCK_SECONDS": 10,
    }
    procs = [AppProcess(env={**common, "HTTP_PORT": port}, args=("run", "--webhook"), log_dir=tmp_path,
                        name=f"app{i}") for i, port in enumerate(ports)]
    officers = {tid: emu.add_user(tid, first_name=name, language_code="en").with_bot(BACKOFFICE_TOKEN)
                for tid, name in ((9001, "Budi"), (9002, "Sri"), (9005, "Kasatpol"))}
    for officer in officers.values():  # their chats with the backoffice bot were opened long ago
        officer.send_text("/start")
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            await proc.wait_ready(log_pattern="running for", timeout=90)
        yield emu, sessionmaker, procs, proxy, officers
    finally:
        for proc in procs:
            proc.close()
        await proxy.stop()
        await engine.dispose()
        await emu.stop()
        redis = Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def _scalar(sessionmaker, stmt):
    async with sessionmaker() as session:
        return (await session.execute(stmt)).scalar()


async def _wait_for(predicate, timeout: float = 90.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)  # polling the database for a condition; bounded by the deadline


async def test_two_instances_share_the_load_and_one_dying_loses_nothing(deployment):
    emu, sessionmaker, (a, b), proxy, officers = deployment

    # Both instances caught up on the summaries owed at start: each went out once, not twice.
    async def summaries_settled() -> bool:
        owed = await _scalar(sessionmaker, select(func.count()).select_from(SummarySend))
        waiting = await _scalar(sessionmaker, select(func.count()).select_from(Outbox).where(
            Outbox.status == "pending", Outbox.chat_id == 9005))
        return owed > 0 and waiting == 0
    await _wait_for(summaries_settled)
    sends = await _scalar(sessionmaker, select(func.count()).select_from(SummarySend))
    # The summaries themselves (the welcome a supervisor got for /start mentions 📊 too).
    supervisor_texts = [m.text for m in officers[9005].messages if m.text and m.text.startswith("📊")]
    assert len(supervisor_texts) == sends, supervisor_texts

    # Two instances send as one bot: each paces itself to half of Telegram's ~30 messages/s.
    await _wait_for(lambda: _send_rates(a, b, equal=15.0))

    quiet = quiet_checker(emu, sessionmaker)
    residents = [RemoteResident(emu.add_user(6000 + i, first_name=f"Warga{i}", language_code="en"), quiet)
                 for i in range(10)]
    tasks = [asyncio.create_task(report(r, f"Two children begging, case {i}")) for i, r in enumerate(residents)]
    # Kill one instance while reports are under way: whatever it had accepted or claimed must
    # still be handled and delivered, by the other.
    await _wait_for(lambda: _scalar_ok(sessionmaker, 3), timeout=120)
    assert proxy.served[int(a.env_overrides["HTTP_PORT"])] > 0 and proxy.served[int(b.env_overrides["HTTP_PORT"])] > 0
    a.kill()
    receipts = await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)

    reports = await _rows(sessionmaker, select(Report))
    assert len(reports) == len(residents)
    tickets = {r.ticket for r in reports}
    assert len(tickets) == len(residents)
    for receipt in receipts:
        assert sum(t in receipt for t in tickets) == 1

    # Every alert owed was delivered to both covering officers; none was owed twice.
    async def alerts_delivered() -> bool:
        waiting = await _scalar(sessionmaker, select(func.count()).select_from(Outbox).where(Outbox.status != "sent"))
        return waiting == 0
    await _wait_for(alerts_delivered, timeout=120)
    for tid in (9001, 9002):
        # An alert names its report on its first line (further down, nearby reports too).
        seen = Counter(t for m in officers[tid].messages for t in tickets
                       if t in (m.text or m.caption or "").split("\n")[0])
        assert set(seen) == tickets, f"officer {tid} missing alerts: {tickets - set(seen)}"
        doubled = [t for t, n in seen.items() if n > 1]
        # At least once: only a message in flight at the kill may arrive twice.
        assert len(doubled) <= 1, [m.text for m in officers[tid].messages if doubled[0] in (m.text or "")]

    # Both officers press "acknowledge" on every report at once, through both... one instance now.
    for ticket in tickets:
        for tid in (9001, 9002):
            # The report's own alert (its ticket on the first line), not a later one naming it nearby.
            alert = next(m for m in officers[tid].messages
                         if ticket in (m.text or "").split("\n")[0] and m.buttons)
            officers[tid].click(alert.buttons[0][0], message=alert)
    async def acknowledged() -> bool:
        n = await _scalar(sessionmaker, select(func.count()).select_from(Report).where(Report.state == "diterima"))
        return n == len(tickets)
    await _wait_for(acknowledged, timeout=120)
    acks = await _scalar(sessionmaker, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "acknowledged"))
    assert acks == len(tickets)
    # The survivor took the dead instance's share of the send budget back.
    await _wait_for(lambda: _send_rates(b, equal=30.0))
    assert not b.log_lines(), "\n".join(b.log_lines())


async def _send_rates(*procs: AppProcess, equal: float) -> bool:
    """True when every instance's /metrics says each bot sends at `equal` messages/s."""
    async with aiohttp.ClientSession() as http:
        for proc in procs:
            async with http.get(f"http://127.0.0.1:{proc.env_overrides['HTTP_PORT']}/metrics") as resp:
                body = await resp.text()
            for bot in ("citizen", "backoffice"):
                if f'lapor_send_rate_per_second{{bot="{bot}"}} {equal}' not in body:
                    return False
    return True


async def _scalar_ok(sessionmaker, n: int) -> bool:
    """True once n reports exist: traffic is under way."""
    return await _scalar(sessionmaker, select(func.count()).select_from(Report)) >= n


async def _rows(sessionmaker, stmt):
    async with sessionmaker() as session:
        return list((await session.execute(stmt)).scalars())
