"""The dashboard's search box (core.report_list through db.text_search): words of a report's free
text found through the index, as typed by someone at a desk, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from sqlalchemy import select, update

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


async def test_words_of_the_free_text_are_found_by_their_start(tmp_path):
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
    finally:
        await close(world, [])
