"""With REDIS_URL set, conversations live in Redis (shared by instances) with event isolation.
Runs against the Redis on 127.0.0.1:6379 (REDIS_URL overrides)."""
from __future__ import annotations

import os
import uuid

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from db.models import FsmRecord, Report
from tests.flows import english, report_until
from tests.harness import make_harness

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def hr(tmp_path):
    harness = await make_harness(tmp_path)
    harness.redis_url, harness.redis_prefix = REDIS_URL, f"lapor-test-{uuid.uuid4().hex[:8]}"
    await harness.start()
    try:
        yield harness
    finally:
        await harness.app.stop()
        await harness.emu.stop()
        redis = Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(f"{harness.redis_prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_draft_lives_in_redis_and_survives_a_restart(hr):
    r = hr.resident()
    await english(r)
    await report_until(r, "description")
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(f"{hr.redis_prefix}:*")]
    finally:
        await redis.aclose()
    assert any(b":data" in k for k in keys)  # the draft is in Redis ...
    assert await hr.count(FsmRecord) == 0  # ... not in the database
    await hr.restart(crash=True)
    ok = await r.say("Two children begging")
    assert "When did you see it" in ok.text
    await r.tap("Right now")
    await r.tap("Skip, no photos")
    await r.tap("No")
    await r.tap("Individual")
    await r.tap("Stay anonymous")
    await r.tap("Send report")
    report = await hr.scalar(select(Report))
    assert report.description == "Two children begging" and report.category == "pengemis"
