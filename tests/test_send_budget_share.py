"""Webhook instances that send as one bot divide its budget (Telegram's ~30 messages/s per bot):
each counts the instances alive in the database and paces itself to its share; a dead instance's
share comes back to the others once it is counted out, a stopped one's at once."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core import instances
from core.clock import ManualClock
from lapor.app import App
from lapor.pacing import BULK, BotPacer
from tests.harness import free_port
from tests.test_pacing import FakeTime


async def test_instances_alive_are_counted_and_the_silent_are_counted_out(db):
    clock = ManualClock()
    async with db() as session:
        assert await instances.heartbeat(session, instance="a", now=clock.now(), ttl=instances.TTL) == 1
        assert await instances.heartbeat(session, instance="b", now=clock.now(), ttl=instances.TTL) == 2
        clock.advance(seconds=3)
        assert await instances.heartbeat(session, instance="a", now=clock.now(), ttl=instances.TTL) == 2
        # b was killed: its heartbeats stop; within the TTL it still counts (it may be busy)...
        clock.advance(seconds=5)
        assert await instances.heartbeat(session, instance="a", now=clock.now(), ttl=instances.TTL) == 2
        # ...and past it, it no longer does.
        clock.advance(seconds=5)
        assert await instances.heartbeat(session, instance="a", now=clock.now(), ttl=instances.TTL) == 1
        assert await instances.heartbeat(session, instance="c", now=clock.now(), ttl=instances.TTL) == 2
        await instances.leave(session, instance="c")  # a clean stop counts out at once
        assert await instances.heartbeat(session, instance="a", now=clock.now(), ttl=instances.TTL) == 1


async def test_a_pacer_shared_by_two_sends_half_as_fast_and_takes_it_all_back_alone():
    time = FakeTime()
    pacer = BotPacer(rate=30, burst=15, reserve=0, clock=time)

    async def sends_in(seconds: float) -> int:
        """How many the outbox gets through in `seconds` of the fake clock, from an empty bucket."""
        while pacer.tokens >= 1:
            await pacer.take(BULK)
        sent, end = 0, time.now + seconds
        while time.now < end:
            time.now += 0.01
            pacer._refill()
            while pacer.tokens >= 1:
                await pacer.take(BULK)
                sent += 1
        return sent

    assert 29 <= await sends_in(1.0) <= 30
    pacer.share(2)
    assert pacer.capacity == 7.5 and pacer.tokens <= 7.5
    assert 14 <= await sends_in(1.0) <= 15
    pacer.share(1)
    assert 29 <= await sends_in(1.0) <= 30


async def test_a_send_already_waiting_is_rescheduled_at_the_new_rate():
    pacer = BotPacer(rate=1, burst=1, reserve=0, clock=FakeTime())
    await pacer.take(BULK)  # empty: the next token is a second away
    waiter = asyncio.ensure_future(pacer.take(BULK))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    assert pacer._timer.when() - loop.time() == pytest.approx(1.0, abs=0.05)
    pacer.share(2)  # half the rate: two seconds away, not the one the timer was set for
    assert pacer._timer.when() - loop.time() == pytest.approx(2.0, abs=0.05)
    waiter.cancel()


async def test_two_webhook_instances_each_send_at_half_the_rate_until_one_stops(hw):
    """Two apps on one database, as `lapor run --webhook` twice behind a load balancer."""
    first = hw.app
    assert first.citizen.worker.pacer.rate == first.settings.send_rate_per_second  # alone
    second = App(hw.settings.model_copy(update={"http_port": free_port()}), clock=hw.clock, region=hw.region,
                 poll_timeout=1, run_scheduler=False, webhook=True)
    await second.start()
    try:
        full = first.settings.send_rate_per_second
        assert await second.share_send_budget() == 2  # it counted itself and the first at start
        assert await first.share_send_budget() == 2
        for app in (first, second):
            for runtime in app.runtimes:
                assert runtime.worker.pacer.rate == full / 2, (app.instance_id, runtime.name)
    finally:
        await second.stop()
    # The second stopped cleanly: the first takes the whole budget back at its next heartbeat.
    assert await first.share_send_budget() == 1
    assert all(r.worker.pacer.rate == full for r in first.runtimes)


async def test_a_killed_instance_gives_its_share_back_after_the_ttl(hw):
    first = hw.app
    second = App(hw.settings.model_copy(update={"http_port": free_port()}), clock=hw.clock, region=hw.region,
                 poll_timeout=1, run_scheduler=False, webhook=True)
    await second.start()
    await second.kill()  # no goodbye
    assert await first.share_send_budget() == 2
    hw.clock.advance((instances.TTL + timedelta(seconds=1)).total_seconds())
    assert await first.share_send_budget() == 1
    assert all(r.worker.pacer.rate == first.settings.send_rate_per_second for r in first.runtimes)
