"""The dashboard's search box (core.report_list through db.text_search): words of a report's free
text found through the index, as typed by someone at a desk, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import event, select, update

from core import report_list
from core.map_data import area_counts, report_pins
from core.officers import find_officer
from core.report_list import list_reports, parse_filter
from db.models import Report
from tests.access_world import make_world
from tests.dashboard_client import close


async def _found(world, typed: str, actor_id: int = 9007) -> set[int]:
    """The ids the list shows `actor_id` (the auditor unless said) for `typed` in the search box."""
    h = world.h
    async with h.app.sessionmaker() as session:
        actor = await find_officer(session, actor_id)
        f, problems = parse_filter(h.region, {"text": typed})
        assert not problems
        page = await list_reports(session, h.region, actor=actor, f=f, now=h.clock.now())
    return {row.id for row in page.rows}


# SQLite reads the matches of words few reports hold from the index, and walks the history for
# common ones (core.report_list.Words): the same reports either way.
@pytest.mark.parametrize("few_words", [5000, 0], ids=["rare words", "common words"])
async def test_words_of_the_free_text_are_found_by_their_start(tmp_path, monkeypatch, few_words):
    monkeypatch.setattr(report_list, "FEW_WORDS", few_words)
    world = await make_world(tmp_path)
    h = world.h
    try:
        market = await world.file(1, description="Dua anak mengamen di lampu merah dekat Pasar Bangil")
        station = await world.file(2, description="Pengemis tidur di emperan stasiun, malam hari")
        crossing = await world.file(3, description="Anak-anak di perempatan; LAMPU mati")
        assert await _found(world, "pasar") == {market}
        assert await _found(world, "lampu") == {market, crossing}  # any case
        assert await _found(world, "lampu mer") == {market}  # every word, the last one as typed so far
        assert await _found(world, "anak") == {market, crossing}  # "Anak-anak" is two words
        assert await _found(world, "stasiun malam") == {station}
        assert await _found(world, "sekolah") == set()
        assert await _found(world, "mengamen sekolah") == set()  # every word must be there
        # Query syntax and punctuation are words or nothing, never an error or a pattern.
        assert await _found(world, 'pasar" OR "stasiun') == set()
        assert await _found(world, "NOT pasar") == set()
        assert await _found(world, "pas*") == {market}
        assert await _found(world, "%") == set()
        assert await _found(world, "pengemis; DROP TABLE reports") == set()
        # A ticket as typed finds its report; so does the landmark and the desa.
        ticket = (await h.scalar(select(Report).where(Report.id == station))).ticket
        assert await _found(world, ticket.lower()) == {station}
        async with h.app.sessionmaker() as session:
            await session.execute(update(Report).where(Report.id == crossing)
                                  .values(landmark="Depan Masjid Agung", desa="Kalirejo"))
            await session.commit()
        assert await _found(world, "masjid") == {crossing}
        assert await _found(world, "kalirejo") == {crossing}
        # The index follows an edit: the old words are no longer found, the new ones are.
        async with h.app.sessionmaker() as session:
            await session.execute(update(Report).where(Report.id == market)
                                  .values(description="Dua anak di alun-alun"))
            await session.commit()
        assert await _found(world, "pasar") == set()
        assert await _found(world, "alun") == {market}
        # The scope still holds: Dinsos's officer sees none of Satpol PP's reports, whatever the words.
        assert await _found(world, "anak", actor_id=9005) == set()
        # The map counts and pins the same reports.
        async with h.app.sessionmaker() as session:
            auditor = await find_officer(session, 9007)
            f, _ = parse_filter(h.region, {"text": "anak"})
            counts = await area_counts(session, h.region, actor=auditor, f=f, now=h.clock.now())
            pins = await report_pins(session, h.region, actor=auditor, f=f, now=h.clock.now())
        assert counts.total == 2 and {p.id for p in pins.pins} == {market, crossing}
    finally:
        await close(world, [])


@pytest.mark.parametrize("few_words", [5000, 0], ids=["rare words", "common words"])
async def test_a_word_in_many_reports_is_counted_and_paged(tmp_path, monkeypatch, few_words):
    monkeypatch.setattr(report_list, "FEW_WORDS", few_words)
    world = await make_world(tmp_path, new=55)  # each "RAHASIA-n-jangan-bocor"
    h = world.h
    try:
        odd = await world.file(100, description="Pengamen di terminal")
        async with h.app.sessionmaker() as session:
            auditor = await find_officer(session, 9007)
            f, _ = parse_filter(h.region, {"text": "jangan bocor"})
            first = await list_reports(session, h.region, actor=auditor, f=f, now=h.clock.now())
            second = await list_reports(session, h.region, actor=auditor, f=f, now=h.clock.now(),
                                        after=first.next_after)
            f_due, _ = parse_filter(h.region, {"text": "rahasia", "sort": "due"})
            by_due = await list_reports(session, h.region, actor=auditor, f=f_due, now=h.clock.now())
        assert first.total == 55 and len(first.rows) == 50 and len(second.rows) == 5 and second.next_after is None
        ids = {r.id for r in first.rows} | {r.id for r in second.rows}
        assert len(ids) == 55 and odd not in ids
        assert by_due.total == 55 and [r.response_due_at for r in by_due.rows] == sorted(
            r.response_due_at for r in by_due.rows)
    finally:
        await close(world, [])


async def test_sqlite_never_asks_the_text_index_once_per_report(tmp_path, monkeypatch):
    """SQLite plans without statistics; given the chance it reads an agency's reports and asks
    the text index about each (an FTS5 probe by rowid, "INDEX 0:=M..." in the plan), minutes at a
    million reports. Every statement the list and the map send for words, rare or common, is read
    from the index first or looks its matches up as a set."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("SQLite's planner; PostgreSQL plans from statistics")
    world = await make_world(tmp_path, new=3)
    h = world.h
    statements: list[tuple[str, str, object]] = []  # (what was asked, the statement, its parameters)
    asking = ""

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "report_search" in statement:
            statements.append((asking, statement, parameters))

    engine = h.app.engine.sync_engine
    try:
        async with h.app.sessionmaker() as session:
            actors = {kind: await find_officer(session, uid) for kind, uid in (("supervisor", 9004), ("auditor", 9007))}
            event.listen(engine, "before_cursor_execute", seen)
            for few_words in (5000, 0):
                monkeypatch.setattr(report_list, "FEW_WORDS", few_words)
                for kind, actor in actors.items():
                    for text in ("jangan", "jangan bocor"):
                        f, _ = parse_filter(h.region, {"text": text})
                        asking = f"page, {kind}, {'common' if few_words == 0 else 'rare'}"
                        await list_reports(session, h.region, actor=actor, f=f, now=h.clock.now(), page_size=1)
                        asking = "map"
                        await area_counts(session, h.region, actor=actor, f=f, now=h.clock.now())
                        await report_pins(session, h.region, actor=actor, f=f, now=h.clock.now())
            event.remove(engine, "before_cursor_execute", seen)
            conn = await session.connection()
            plans = [(asked, " / ".join(row[-1] for row in await conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", tuple(parameters)))) for asked, statement, parameters in statements]
    finally:
        await close(world, [])
    assert len(plans) >= 24
    assert [p for p in plans if "INDEX 0:=" in p[1]] == [], plans
    # A page of a common word walks the history newest first (nothing to sort), for the auditor too,
    # who has no agency to walk: the page is full after a few reports, not after every match.
    walks = [plan for asked, plan in plans if asked.startswith("page") and asked.endswith("common")
             and "TEMP B-TREE FOR ORDER BY" not in plan and "SCAN report_search VIRTUAL TABLE" in plan
             and ("ix_reports_created" in plan or "ix_reports_agency_created" in plan)]
    assert len(walks) == 4, [p for p in plans if p[0].startswith("page")]
