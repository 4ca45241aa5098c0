"""The dashboard's Map page over real HTTP, logged in through the bot as tests/test_dashboard.py is:
the boundaries (one feature per kecamatan), the counts and pins of each reader's scope (the planted
description never in them), the filters, no answer without a session, and only the app's own
scripts. Then core.map_data on the bundled Kabupaten Pasuruan, whose pack has desa: the test region
has kecamatan boundaries only."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.access import Role
from core.lifecycle import ReportState
from core.map_data import area_counts, region_boundaries, report_pins
from core.officers import OfficerInfo
from core.region import RegionConfig, load_region_config
from core.report_list import ReportFilter
from db.models import Report
from tests.access_world import make_world
from tests.dashboard_client import Browser, base, close, link_in, logged_in
from tests.db_fixtures import new_reporter
from tests.harness import TEST_REGION, make_harness

PIN_KEYS = {"ticket", "lat", "lon", "category", "state", "overdue", "url"}
STATIC = Path(__file__).parent.parent / "dashboard" / "static"


async def _json(browser: Browser, path: str) -> dict:
    page = await browser.get(path)
    assert page.status == 200, (path, page.status, page.text[:300])
    assert page.headers["Content-Type"].startswith("application/json")
    return json.loads(page.text)


async def test_boundaries_counts_and_pins_follow_the_policy(tmp_path):
    world = await make_world(tmp_path, new=2, held=2, closed=1, serve_http=True)
    h = world.h
    kinds = ["holder", "area", "supervisor", "other", "other_boss", "auditor"]
    browsers = {kind: await logged_in(world, kind) for kind in kinds}
    try:
        reports = await h.rows(select(Report))
        tickets = {r.ticket for r in reports}
        planted = [r.description for r in reports]
        assert len(tickets) == 5 and all(planted)
        # The boundaries: one feature per kecamatan of the region (no pack here: no desa), no report.
        page = await browsers["other"].get("/dasbor/peta/wilayah.geojson")
        assert page.status == 200 and page.headers["Cache-Control"] == "private, max-age=3600"
        shapes = json.loads(page.text)
        names = [f["properties"]["name"] for f in shapes["kecamatan"]["features"]]
        assert sorted(names) == sorted(h.region.kecamatan_names) and len(names) == len(set(names))
        assert [f["properties"]["code"] for f in shapes["kecamatan"]["features"]] == names  # no codes: names
        assert shapes["desa"] is None and shapes["bounds"] == [112.0, -7.2, 112.2, -7.0]
        assert not any(t in page.text for t in tickets)
        # The counts and pins: every report for Satpol PP's readers and the auditor, none for Dinsos
        # or for Joko (Beta; Alpha is covered by Budi and Sri).
        seen = {"holder": 5, "supervisor": 5, "auditor": 5, "area": 0, "other": 0, "other_boss": 0}
        for kind, browser in browsers.items():
            page = await browser.get("/dasbor/peta/data.json")
            assert page.status == 200 and page.headers["Cache-Control"] == "no-store", kind
            data = json.loads(page.text)
            assert data["total"] == seen[kind], (kind, data)
            assert data["kecamatan"] == ({"Alpha": seen[kind]} if seen[kind] else {}), (kind, data)
            assert {p["ticket"] for p in data["pins"]} == (tickets if seen[kind] else set()), kind
            assert all(set(p) == PIN_KEYS for p in data["pins"])
            assert not any(text in page.text for text in planted), f"{kind}: a description in data.json"
            assert "reporter" not in page.text
        pin = (await _json(browsers["supervisor"], "/dasbor/peta/data.json"))["pins"][0]
        assert pin["url"] == f"/dasbor/laporan/{pin['ticket']}" and pin["category"] == "Beggars"
        assert (await browsers["supervisor"].get(pin["url"])).status == 200
        # The page says the same in its table, for a reader without the map.
        for kind, n in (("supervisor", 5), ("other", 0)):
            text = (await browsers[kind].get("/dasbor/peta")).text
            assert re.search(rf'<tr data-area="Alpha"><th scope="row"><a [^>]+>Alpha</a></th><td>{n}</td>', text)
            assert not any(t in text for t in tickets) and not any(p in text for p in planted)
    finally:
        await close(world, browsers.values())


async def test_the_filters_change_the_counts(tmp_path):
    world = await make_world(tmp_path, new=2, held=2, closed=1, serve_http=True)
    browser = await logged_in(world, "supervisor")
    try:
        async def alpha(query: str) -> tuple[int, int]:
            data = await _json(browser, f"/dasbor/peta/data.json?{query}")
            return data["kecamatan"].get("Alpha", 0), len(data["pins"])

        assert await alpha("") == (5, 5)
        assert await alpha("state=diterima") == (2, 2)
        assert await alpha("state=baru&state=selesai") == (3, 3)
        assert await alpha("category=pengemis") == (5, 5)
        assert await alpha("category=anak_jalanan") == (0, 0)
        assert await alpha("kecamatan=Beta") == (0, 0)
        # A filter it cannot use is left out, as the list does.
        assert await alpha("state=bogus&category=nothing") == (5, 5)
        page = await browser.get("/dasbor/peta?state=diterima&category=nothing")
        assert "was left out" in page.text and 'value="diterima" checked' in page.text
        assert 'action="/dasbor/peta"' in page.text and 'name="sort"' not in page.text
        # Each kecamatan leads to the list under the same filters.
        found = re.search(r'<tr data-area="Alpha"><th scope="row"><a href="([^"]+)">Alpha</a></th><td>2</td>',
                          page.text)
        assert found, page.text
        href = found.group(1).replace("&amp;", "&")
        assert href == "/dasbor/laporan?state=diterima&kecamatan=Alpha"
        assert "Reports found: 2" in (await browser.get(href)).text
    finally:
        await close(world, [browser])


async def test_nothing_without_a_session_and_only_the_app_s_own_scripts(tmp_path):
    world = await make_world(tmp_path, held=1, serve_http=True)
    h = world.h
    stranger = Browser(base(world))
    browser = await logged_in(world, "supervisor")
    try:
        held = await world.take("held")
        for path in ("/dasbor/peta", "/dasbor/peta/data.json", "/dasbor/peta/wilayah.geojson"):
            page = await stranger.get(path)
            assert page.status == 401 and held.ticket not in page.text and "Alpha" not in page.text, path
        page = await browser.get("/dasbor/peta")
        assert page.status == 200 and '<a href="/dasbor/peta" aria-current="page">Map</a>' in page.text
        text = page.text
        # No inline script or style (the CSP forbids them), and nothing from another site.
        assert not re.search(r"<script(?![^>]*\bsrc=)", text) and " style=" not in text and "<style" not in text
        scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', text)
        assert scripts == ["/dasbor/static/vendor/leaflet/leaflet.js", "/dasbor/static/basemap.js",
                           "/dasbor/static/map.js"]
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
        assert sheets == ["/dasbor/static/app.css", "/dasbor/static/vendor/leaflet/leaflet.css"]
        assert 'data-basemap=""' in text and 'id="map"' in text
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "http" not in csp
        for path, kind in [(scripts[0], "javascript"), (scripts[1], "javascript"), (sheets[1], "text/css"),
                           ("/dasbor/static/vendor/leaflet/images/layers.png", "image/png")]:
            served = await stranger.get(path)
            assert served.status == 200 and kind in served.headers["Content-Type"], (path, served.headers)
        # The words map.js says come with the page, in the reader's language.
        words = json.loads(re.search(r"data-words='([^']+)'", text).group(1).replace("&#34;", '"'))
        assert words["open"] == "Open the report"
        licence = (STATIC / "vendor" / "leaflet" / "LICENSE").read_text()
        assert "BSD 2-Clause" in licence
        script = (STATIC / "map.js").read_text()
        for banned in ("eval(", "innerHTML", "new Function", "setAttribute(\"style", ".style.", "http://",
                       "https://"):
            assert banned not in script, banned
    finally:
        await stranger.close()
        await browser.close()
        await h.app.stop()
        await h.emu.stop()


async def test_a_region_without_boundaries_gets_the_table(tmp_path):
    text = TEST_REGION.read_text(encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text("\n".join(line for line in text.splitlines() if not line.startswith("boundaries =")),
                     encoding="utf-8")
    h = await make_harness(tmp_path, plain)
    h.serve_http = True
    await h.start()
    browser = Browser(f"http://127.0.0.1:{h.http_port}")
    try:
        boss = await h.officer(9004, "Kasatpol", agency="satpolpp", role="supervisor")
        await browser.open_link(link_in((await boss.say("/dasbor")).text))
        page = await browser.get("/dasbor/peta")
        assert page.status == 200 and 'id="no-boundaries"' in page.text and 'id="map"' not in page.text
        assert "<script" not in page.text
        assert re.findall(r'<tr data-area="([^"]+)">', page.text) == ["Alpha", "Beta", "Gamma"]
        assert (await _json(browser, "/dasbor/peta/wilayah.geojson"))["kecamatan"] is None
    finally:
        await browser.close()
        await h.app.stop()
        await h.emu.stop()


# ---- core.map_data on a region with a pack ------------------------------------------------------

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pasuruan() -> RegionConfig:
    return load_region_config()


def _officer(agency: str, role: Role, officer_id: int = 1) -> OfficerInfo:
    return OfficerInfo(officer_id, 100 + officer_id, 100 + officer_id, "Test", agency, role, (), True, "id", False)


async def _add(session, region: RegionConfig, reporter_id: int, n: int, *, category: str, kecamatan: str | None,
               desa_index: int | None = 0, coded: bool = True, state: str = ReportState.BARU,
               pinned: bool = True) -> None:
    k = region.kecamatan_by_name(kecamatan) if kecamatan else None
    desa = k.desa[desa_index] if k is not None and desa_index is not None else None
    desa_code = k.desa_codes[desa_index] if k is not None and desa_index is not None else None
    point = region.placer.point_in(k.code) if k is not None else (-7.9, 112.9)  # type: ignore[attr-defined]
    for _ in range(n):
        number = await session.scalar(select(func.count()).select_from(Report))
        created = NOW - timedelta(hours=number + 1)
        session.add(Report(
            ticket=f"PSR-2612-{number + 1:04d}", draft_token=f"map-{number + 1}", reporter_id=reporter_id,
            region=region.region.code, category=category, agency=region.category(category).primary,
            informed_agencies=[], state=state, latitude=point[0] if pinned else None,
            longitude=point[1] if pinned else None, kecamatan=k.name if k else None,
            kecamatan_code=k.code if k is not None and coded else None, desa=desa if coded else None,
            desa_code=desa_code if coded else None, description=f"RAHASIA-{number + 1}", seen_at=created,
            seen_when="now", reporter_type="perorangan", anonymous=True, language="id", created_at=created,
            updated_at=created, response_due_at=created + timedelta(hours=2)))
        await session.flush()
    await session.commit()


async def test_boundaries_of_a_pack_one_feature_per_kecamatan_and_desa(pasuruan):
    shapes = region_boundaries(pasuruan)
    assert shapes is not None and region_boundaries(pasuruan) is shapes  # built once
    kecamatan = shapes.kecamatan["features"]
    assert sorted(f["properties"]["code"] for f in kecamatan) == sorted(k.code for k in pasuruan.kecamatan)
    assert len(kecamatan) == 24
    desa = shapes.desa["features"]
    codes = [code for k in pasuruan.kecamatan for code in k.desa_codes]
    assert sorted(f["properties"]["code"] for f in desa) == sorted(codes) and len(desa) == 365
    pogar = next(f for f in desa if f["properties"]["code"] == "35.14.14.1003")
    assert pogar["properties"] == {"code": "35.14.14.1003", "name": "Pogar", "kecamatan": "Bangil",
                                   "kecamatan_code": "35.14.14"}
    text = json.dumps(shapes.geojson())
    assert not re.search(r"\d\.\d{6,}", text)  # five decimals at most
    assert len(text) < 600_000  # simplified: the pack's own files are larger
    west, south, east, north = shapes.bounds
    assert 112.5 < west < east < 113.2 and -8.0 < south < north < -7.5


async def test_no_boundaries_no_shapes(tmp_path):
    assert region_boundaries(load_region_config(TEST_REGION)) is not None
    text = TEST_REGION.read_text(encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text("\n".join(line for line in text.splitlines() if not line.startswith("boundaries =")),
                     encoding="utf-8")
    assert region_boundaries(load_region_config(plain)) is None


async def test_counts_per_kecamatan_and_desa_in_the_reader_s_scope(db, pasuruan):
    async with db() as session:
        reporter = await new_reporter(session)
        await _add(session, pasuruan, reporter.id, 3, category="pengemis", kecamatan="Bangil", desa_index=0)
        await _add(session, pasuruan, reporter.id, 1, category="pengemis", kecamatan="Bangil", desa_index=1,
                   state=ReportState.SELESAI)
        # Made before the pack: a name and no codes, still Bangil's.
        await _add(session, pasuruan, reporter.id, 1, category="pengemis", kecamatan="Bangil", coded=False,
                   pinned=False)
        await _add(session, pasuruan, reporter.id, 1, category="pengemis", kecamatan=None, desa_index=None,
                   pinned=False)
        await _add(session, pasuruan, reporter.id, 2, category="gelandangan", kecamatan="Purwodadi", desa_index=0)
    bangil, purwodadi = pasuruan.kecamatan_by_name("Bangil"), pasuruan.kecamatan_by_name("Purwodadi")
    assert bangil is not None and purwodadi is not None
    satpol = pasuruan.category("pengemis").primary
    dinsos = pasuruan.category("gelandangan").primary
    assert satpol != dinsos
    async with db() as session:
        for actor, kecamatan, desa, total in [
            (_officer(satpol, Role.SUPERVISOR), {bangil.code: 5}, {bangil.desa_codes[0]: 3, bangil.desa_codes[1]: 1},
             6),
            (_officer(dinsos, Role.SUPERVISOR), {purwodadi.code: 2}, {purwodadi.desa_codes[0]: 2}, 2),
            (_officer(satpol, Role.AUDITOR), {bangil.code: 5, purwodadi.code: 2},
             {bangil.desa_codes[0]: 3, bangil.desa_codes[1]: 1, purwodadi.desa_codes[0]: 2}, 8),
        ]:
            counts = await area_counts(session, pasuruan, actor=actor, f=ReportFilter(), now=NOW)
            assert (counts.kecamatan, counts.desa, counts.total) == (kecamatan, desa, total), actor
            assert counts.elsewhere == (1 if actor.agency == satpol else 0)
        # A filter: the closed ones; Purwodadi only.
        supervisor = _officer(satpol, Role.SUPERVISOR)
        closed = await area_counts(session, pasuruan, actor=supervisor, f=ReportFilter(states=("selesai",)), now=NOW)
        assert (closed.kecamatan, closed.desa) == ({bangil.code: 1}, {bangil.desa_codes[1]: 1})
        auditor = _officer(satpol, Role.AUDITOR)
        only = await area_counts(session, pasuruan, actor=auditor, f=ReportFilter(kecamatan_code=purwodadi.code),
                                 now=NOW)
        assert only.kecamatan == {purwodadi.code: 2} and only.total == 2
        # Pins: the pinned reports the reader may open, newest first, at most as many as asked.
        pins = await report_pins(session, pasuruan, actor=supervisor, f=ReportFilter(), now=NOW)
        assert len(pins.pins) == 4 and not pins.capped
        assert all(p.category == "pengemis" for p in pins.pins)
        assert [p.ticket for p in pins.pins] == sorted(p.ticket for p in pins.pins)  # the first made is newest
        other = await report_pins(session, pasuruan, actor=_officer(dinsos, Role.OFFICER), f=ReportFilter(), now=NOW)
        assert {p.category for p in other.pins} == {"gelandangan"}
        few = await report_pins(session, pasuruan, actor=auditor, f=ReportFilter(), now=NOW, limit=3)
        assert len(few.pins) == 3 and few.capped
        late = await report_pins(session, pasuruan, actor=auditor, f=ReportFilter(), now=NOW + timedelta(days=1))
        assert {p.overdue for p in late.pins if p.state == "baru"} == {True}
        assert {p.overdue for p in late.pins if p.state == "selesai"} == {False}


async def test_a_first_visit_shows_the_last_30_days_and_empty_dates_the_whole_history(tmp_path):
    world = await make_world(tmp_path, new=2, held=1, serve_http=True)
    world.h.clock.advance(days=40)  # the three reports are now older than the map's default period
    browser = await logged_in(world, "supervisor")
    try:
        first = await _json(browser, "/dasbor/peta/data.json")
        everything = await _json(browser, "/dasbor/peta/data.json?from=&to=")
        assert first["total"] == 0 and everything["total"] == 3
        page = await browser.get("/dasbor/peta")
        start = (world.h.clock.now().astimezone(world.h.region.tz).date() - timedelta(days=29)).isoformat()
        assert f'name="from" value="{start}"' in page.text
    finally:
        await close(world, [browser])
