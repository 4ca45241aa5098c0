"""The supervisors' dashboard in real headless Chromium (tests/browser/conftest.py), against the real
app and both bots on the Bot API emulator (tests/access_world.py), logged in as officers are: /dasbor
in the officers' bot, the link, its button. What a person does: read the tiles, filter the list,
open a report, see its photo, download the CSV, look at the map; and what a person of another
agency never sees. Nothing the pages ask for leaves the machine. Each page is saved as a screenshot
to docs/screenshots/."""
from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from core.lifecycle import OPEN_STATES
from core.officers import find_officer
from core.report_actions import acknowledge
from core.targets import overdue_clause
from core.today import period_start
from db.models import Report
from tests.access_world import World, make_world
from tests.browser.conftest import Chrome
from tests.dashboard_client import link_in
from tests.harness import PIN_ALPHA, PIN_BETA

pytestmark = pytest.mark.browser

PLANTED_MARK = "RAHASIA"  # in every planted description (tests/access_world.py: PLANTED)


@contextlib.asynccontextmanager
async def running(tmp_path, chrome: Chrome, **reports: int) -> AsyncIterator[World]:
    """The app with make_world's actors and reports, the browser pointed at it, clean; afterwards,
    nothing the browser asked for went anywhere but to the app."""
    world = await make_world(tmp_path, serve_http=True, **reports)
    h = world.h
    try:
        chrome.start(f"http://127.0.0.1:{h.http_port}", tmp_path / "downloads")
        yield world
        assert chrome.foreign_requests() == [], "a page asked for something outside the app"
        assert chrome.requests, "no request was recorded: the performance log is not read"
    finally:
        await h.app.stop()
        await h.emu.stop()


async def log_in(chrome: Chrome, world: World, kind: str, *, screenshot: bool = False) -> None:
    """`kind` sends /dasbor to the officers' bot and opens the link they get, then presses its button."""
    person = world.actors[kind].person
    await person.say("/dasbor")
    # The newest message with a link (an alert of a new report may have come after it).
    link = next((t for t in reversed(person.texts()) if "/dasbor/masuk/" in t), None)
    await chrome.open(link_in(link))
    assert await chrome.texts("form[action='/dasbor/masuk'] button"), "the login page has no button"
    if screenshot:
        await chrome.screenshot("login")
    await chrome.click("form[action='/dasbor/masuk'] button")
    assert await chrome.path() == "/dasbor/", await chrome.source()


async def file_report(world: World, n: int, *, category: str, pin=PIN_ALPHA, kecamatan: str = "Alpha",
                      description: str | None = None, acknowledged: bool = False) -> Report:
    """One more report, made as make_world makes its own, of any category and kecamatan."""
    h = world.h
    report_id = await world.file(100_000 + n, category=category, pin=pin, kecamatan=kecamatan,
                                 description=description or f"{PLANTED_MARK}-extra-{n}")
    if acknowledged:
        async with h.app.sessionmaker() as session:
            budi = await find_officer(session, 9001)
            await acknowledge(session, clock=h.clock, region=h.region, officer=budi, report_id=report_id)
    return await h.scalar(select(Report).where(Report.id == report_id))


def a_photo() -> bytes:
    """A real JPEG (the emulator's default photo is a few bytes no browser can draw)."""
    image = Image.new("RGB", (480, 320), (70, 120, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 440, 280), fill=(230, 200, 90))
    draw.ellipse((180, 100, 300, 220), fill=(190, 60, 50))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def number(text: str) -> int:
    return int(text.replace(".", "").replace(",", ""))


async def test_log_in_by_the_link_and_today_shows_the_database_s_counts(tmp_path, chrome):
    async with running(tmp_path, chrome, new=2, held=2, closed=1) as world:
        h = world.h
        await file_report(world, 1, category="gelandangan", description="Dinsos's own report")  # not theirs
        h.clock.advance(hours=3)  # the new reports are past their response target
        await log_in(chrome, world, "supervisor", screenshot=True)
        assert "Kasatpol" in await chrome.text("header .who span")
        assert await chrome.text("nav a[aria-current='page']") == "Today"
        now = h.clock.now()
        start = period_start(h.region, "today", now)
        satpolpp = Report.agency == "satpolpp"

        async def count(*where) -> int:
            return await h.scalar(select(func.count()).select_from(Report).where(satpolpp, *where))

        expected = {
            "received": await count(Report.created_at >= start),
            "acknowledged": await count(Report.acknowledged_at >= start),
            "closed": await count(Report.closed_at >= start, Report.state == "selesai"),
            "open": await count(Report.state.in_(list(OPEN_STATES))),
            "overdue": await count(overdue_clause(now)),
        }
        assert expected == {"received": 5, "acknowledged": 3, "closed": 1, "open": 4, "overdue": 2}
        shown = {tile: number(await chrome.text(f".tiles #{tile}")) for tile in expected}
        assert shown == expected
        # The overdue ones are listed, oldest first.
        overdue = await h.rows(select(Report).where(satpolpp, overdue_clause(now)).order_by(Report.response_due_at))
        assert await chrome.texts("table.list tbody td:first-child a") == [r.ticket for r in overdue]
        await chrome.screenshot("today")
        assert chrome.console_errors() == []
        # The charts are drawn for the projector; the audit log lists what happened.
        await chrome.open("/dasbor/grafik")
        await chrome.wait_for("return [...document.querySelectorAll('.chart img')]"
                              ".every(i => i.complete && i.naturalWidth > 0) || null", "the four charts")
        assert len(await chrome.texts(".chart img")) == 4
        await chrome.screenshot("charts")
        await chrome.open("/dasbor/audit")
        assert "Budi (Satpol PP)" in await chrome.text("#audit")
        await chrome.screenshot("audit")
        assert chrome.console_errors() == [] and chrome.foreign_requests() == []


async def test_filter_the_list_open_a_report_and_download_the_csv(tmp_path, chrome):
    async with running(tmp_path, chrome, new=3, held=2, closed=1) as world:
        h = world.h
        wanted = [await file_report(world, n, category="pelacuran") for n in (1, 2)]
        await file_report(world, 3, category="pelacuran", acknowledged=True)
        await log_in(chrome, world, "supervisor")
        await chrome.click("header nav a[href='/dasbor/laporan']")
        assert await chrome.text("#count") == "Reports found: 9"
        assert len(await chrome.texts("table.list tbody tr")) == 9
        await chrome.screenshot("reports")
        # New reports of one category: tick the state, choose the category, press Show.
        await chrome.tick("input[name='state'][value='baru']")
        await chrome.choose("category", "pelacuran")
        await chrome.click("form.filters button[type='submit']")
        assert await chrome.text("#count") == "Reports found: 2"
        shown = await chrome.texts("table.list tbody td:first-child a")
        assert sorted(shown) == sorted(r.ticket for r in wanted)
        assert await chrome.js("return document.querySelector(\"input[value='baru']\").checked") is True
        assert await chrome.js("return document.querySelector(\"select[name='category']\").value") == "pelacuran"
        # The CSV of what the list shows: downloaded by the browser, the same two reports.
        path = await chrome.download("#csv")
        assert path.name.startswith("laporan-") and path.suffix == ".csv"
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
        assert rows[0][0] == "Ticket" and sorted(row[0] for row in rows[1:]) == sorted(shown)
        # The held ones; open one by its ticket: its description and its history.
        await chrome.click("form.filters a")  # Clear
        await chrome.tick("input[name='state'][value='diterima']")
        await chrome.click("form.filters button[type='submit']")
        assert await chrome.text("#count") == "Reports found: 3"
        ticket = (await chrome.texts("table.list tbody td:first-child a"))[0]
        await chrome.click(f"table.list a[href='/dasbor/laporan/{ticket}']")
        assert await chrome.path() == f"/dasbor/laporan/{ticket}"
        report = await h.scalar(select(Report).where(Report.ticket == ticket))
        assert await chrome.text("h1") == ticket
        assert await chrome.text("#description") == report.description
        history = await chrome.texts("#history li")
        assert len(history) == 2 and "sent the report" in history[0] and "acknowledged it" in history[1], history
        assert chrome.console_errors() == []


async def test_a_report_s_photo_is_shown(tmp_path, chrome):
    async with running(tmp_path, chrome) as world:
        h = world.h
        resident = h.resident(5101, "Siti")
        await resident.say("/start en")
        await resident.press("📝 Make a report")
        await resident.tap("Beggars")
        await resident.press("📍 Send my current location", location=PIN_ALPHA)
        await resident.send("photo", data=a_photo())
        await resident.tap("📨 Send now")
        await resident.tap("Send report")
        report = await h.scalar(select(Report).order_by(Report.id.desc()))
        assert report is not None
        await log_in(chrome, world, "supervisor")
        await chrome.click("header nav a[href='/dasbor/laporan']")
        await chrome.click(f"table.list a[href='/dasbor/laporan/{report.ticket}']")
        assert await chrome.text("h1") == report.ticket
        image = ".photos img"
        await chrome.js(f"document.querySelector('{image}').scrollIntoView()")
        width = await chrome.wait_for(
            f"const i = document.querySelector('{image}'); return i.complete && i.naturalWidth;", "the photo")
        assert width == 480
        assert await chrome.js(f"return document.querySelector('{image}').naturalHeight") == 320
        await chrome.js("window.scrollTo(0, 0)")
        await chrome.screenshot("report")
        assert chrome.console_errors() == []


async def test_the_map_draws_each_kecamatan_and_the_counts(tmp_path, chrome):
    async with running(tmp_path, chrome, new=2, held=2, closed=1) as world:
        h = world.h
        await file_report(world, 1, category="pengemis", pin=PIN_BETA, kecamatan="Beta")
        await log_in(chrome, world, "supervisor")
        await chrome.click("header nav a[href='/dasbor/peta']")
        assert await chrome.path() == "/dasbor/peta"
        kecamatan = h.region.kecamatan_names
        shapes = await chrome.wait_for(
            "const n = document.querySelectorAll('.leaflet-pane path.map-area.kecamatan').length;"
            f" return n >= {len(kecamatan)} && n;", "the kecamatan drawn on the map")
        assert shapes == len(kecamatan) == 3
        pins = await chrome.wait_for("return document.querySelectorAll('.leaflet-pane path.map-pin').length",
                                     "the pins")
        assert pins == 6
        # Coloured by their counts: Alpha (5) the most, Beta (1) fewer, Gamma none.
        assert await chrome.js("return document.querySelectorAll('path.map-area.c0').length") == 1
        assert await chrome.js("return document.querySelectorAll('path.map-area.c5').length") == 1
        assert await chrome.texts("#map-legend li")
        # The counts table says the same as the database.
        rows = await chrome.js(
            "return [...document.querySelectorAll('#per-kecamatan tbody tr[data-area]')]"
            ".map(r => [r.dataset.area, r.querySelector('td').textContent.trim()]);")
        counted = {name: await h.count(Report, Report.kecamatan == name) for name in kecamatan}
        assert {area: number(n) for area, n in rows} == counted == {"Alpha": 5, "Beta": 1, "Gamma": 0}
        assert number(await chrome.text("#total")) == 6
        await chrome.screenshot("map")
        # The filters: the closed ones only.
        await chrome.tick("input[name='state'][value='selesai']")
        await chrome.click("form.filters button[type='submit']")
        await chrome.wait_for("return document.querySelectorAll('path.map-area.kecamatan').length === 3",
                              "the map drawn again")
        assert await chrome.text("#total") == "1"
        assert await chrome.js("return document.querySelectorAll('path.map-pin').length") == 1
        assert chrome.console_errors() == []


async def test_another_agency_s_officer_sees_no_planted_description(tmp_path, chrome):
    async with running(tmp_path, chrome, new=1, held=1, closed=1) as world:
        h = world.h
        theirs = await file_report(world, 1, category="gelandangan", description="Dinsos's own report")
        assert theirs.agency == "dinsos"
        others = await h.rows(select(Report).where(Report.agency == "satpolpp"))
        assert len(others) == 3 and all(PLANTED_MARK in r.description for r in others)
        await log_in(chrome, world, "other")  # Ani, Dinsos officer
        seen = [await chrome.source()]
        for path in ("/dasbor/?period=30d", "/dasbor/laporan", f"/dasbor/laporan?text={PLANTED_MARK}",
                     f"/dasbor/laporan/{theirs.ticket}"):
            await chrome.open(path)
            seen.append(await chrome.source())
        assert "Dinsos's own report" in seen[-1]
        await chrome.open("/dasbor/peta")
        await chrome.wait_for("return document.querySelectorAll('path.map-area.kecamatan').length === 3",
                              "the map")
        seen.append(await chrome.source())
        await chrome.open("/dasbor/laporan")
        csv_file = await chrome.download("#csv")
        exported = csv_file.read_text("utf-8-sig")
        assert theirs.ticket in exported
        seen.append(exported)
        for report in others:
            await chrome.open(f"/dasbor/laporan/{report.ticket}")
            assert await chrome.text("h1") == "Not available"
            seen.append(await chrome.source())
        for page in seen:
            assert not any(r.description in page or r.ticket in page for r in others)
        # (Refused pages answer 404: the console says so, and nothing else.)
        errors = chrome.console_errors()
        assert all("404" in e["message"] for e in errors), errors
