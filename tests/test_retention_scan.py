"""Issue 14, finding 6: what retention removes is gone from every table, cache and queue.

A resident with a distinctive chat id reports, adds information, answers an officer, pledges a
donation with their phone number and leaves a half-written report; then asks to be deleted. After
retention runs, every column of every table is read back, and the conversation storage (the
database's cache, or Redis), and none holds the planted words, the phone number or the chat id.
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy import text as sql_text

from backoffice.keyboards import OfficerAction, OfficerCb
from db import text_search
from db.models import Base, Report
from tests.flows import english, full_report, report_until

CHAT = 7_123_456_789  # a Telegram user id, distinctive enough to find anywhere it is kept
PHONE = "0812 9876 5432"
PLANTED = "ZZPLANTED"


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


async def _everything(h) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every cell of every table."""
    cells = []
    async with h.app.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)
                    cells.append((table.name, column, text))
    return cells


async def _storage_contents(h) -> list[str]:
    storage = h.app.citizen.dispatcher.storage
    if hasattr(storage, "_cache"):  # lapor.fsm_storage.SqlStorage
        return [f"{key} {json.dumps(value, default=str)}" for key, value in storage._cache.items()]
    redis = storage.redis  # aiogram's RedisStorage
    out = []
    async for key in redis.scan_iter(match=f"{h.redis_prefix}*"):
        out.append(f"{key!r} {await redis.get(key)!r}")
    return out


async def _in_search_index(h) -> list[str]:
    """Where the search index (db/text_search.py) still holds the planted word: a report it finds
    by it, and on SQLite the bytes of FTS5's own tables (an erased row's words stay there until
    its segments are merged)."""
    word = PLANTED.lower()
    async with h.app.sessionmaker() as session:
        dialect = session.get_bind().dialect.name
        hits = [f"report {i} found by the word" for i in (await session.execute(
            select(Report.id).where(text_search.matching(dialect, [word])))).scalars()]
        if dialect == "sqlite":
            for name in ("report_search_data", "report_search_idx"):
                for row in (await session.execute(sql_text(f"SELECT * FROM {name}"))).all():
                    if any(isinstance(v, bytes) and word.encode() in v for v in row):
                        hits.append(f"{name} holds it")
    return hits


def _found(cells: list[tuple[str, str, str]]) -> list[str]:
    phone = _digits(PHONE)
    hits = []
    for table, column, text in cells:
        if PLANTED in text or phone in _digits(text) or str(CHAT) in text:
            hits.append(f"{table}.{column}: {text[:120]}")
    return hits


async def test_after_deletion_nothing_of_the_resident_is_left_anywhere(h):
    budi = await h.officer(9001, "Budi", areas=["Alpha"])
    r = h.resident(CHAT, "Siti")
    await english(r)
    await full_report(r, description=f"{PLANTED}-description two children")
    report = await h.scalar(select(Report))
    # Information added later, an answer to an officer, a donation with a phone number.
    await r.say("/status")
    await r.tap(report.ticket)
    await r.tap("➕ Add information")
    await r.say(f"{PLANTED}-info they sleep behind the market")
    alert = next(m for m in budi.user.messages if m.text and report.ticket in m.text)
    budi.user.click(alert.buttons[0][0], message=alert)
    await h.settle()
    await budi.tap_data(OfficerCb(action=OfficerAction.ASK, report=report.id).pack())
    await budi.say("Which side of the market?")
    question = next(m for m in r.user.messages if m.text and "Which side" in m.text)
    await r.tap(question.buttons[0][0])
    await r.say(f"{PLANTED}-answer the east side")
    await r.say("/sumbangan")
    await r.tap("Goods")
    await r.say(f"{PLANTED}-pledge rice")
    await r.say(PHONE)
    await r.tap("Send offer")
    # Budi closes the case; the resident asks to be deleted, with a report half written.
    await budi.tap_data(OfficerCb(action=OfficerAction.CLOSE, report=report.id).pack())
    await budi.tap("Not found at the location")
    await budi.tap("Skip")
    assert (await h.scalar(select(Report))).state == "selesai"
    privacy = await r.say("/privasi")
    await r.tap(privacy.buttons[0][0])
    await r.tap(r.last.buttons[0][0])
    await report_until(r, "seen_when", description=f"{PLANTED}-draft a new report")
    assert _found(await _everything(h)), "the planted data should be there before retention"
    assert await _in_search_index(h), "the planted word should be in the search index before retention"

    result = await h.app.run_retention()
    assert result.reporters_deleted == 1
    await h.settle()
    assert "deleted" in r.last.text  # told, in their language, once

    leftovers = _found(await _everything(h)) + await _in_search_index(h)
    assert not leftovers, "\n".join(leftovers)
    storage = [s for s in await _storage_contents(h) if str(CHAT) in s or PLANTED in s]
    assert not storage, storage

    # Writing again, they are someone new: the half-written report does not come back.
    await r.say("/start")
    state, data = await h.conversation(r)
    assert PLANTED not in json.dumps(data) and state is None
