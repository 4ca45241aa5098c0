"""The supervisors' dashboard over real HTTP on the app's own port, logged in the way officers are:
/dasbor in the backoffice bot, the one-time link, its button. Every page, download and action is
asked of the same policy as the bot, for every kind of actor (tests/access_world.py), with a
description planted in each report so a leak shows."""
from __future__ import annotations

import asyncio
import contextlib
import csv
import http.cookiejar
import io
import json
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.officers import disable_officer, find_officer
from core.trends import trends
from db.models import AuditEvent, Officer, Report, ReportPhoto, WebLoginLink, WebSession
from lapor.web_cli import _login_link
from tests.access_world import make_world
from tests.dashboard_client import Browser, base, close, link_in, logged_in
from tests.harness import PIN_ALPHA, TEST_REGION, free_port
from tests.procs import app_env, run_cli

# Who reads a Satpol PP report of kecamatan Alpha (held by Budi): the policy's VIEW.
READERS = {"holder", "same", "supervisor", "auditor"}
TICKET_LINK = re.compile(r'href="/dasbor/laporan/([A-Z]+-\d{4}-\d+)"')
WEB_ACTORS = ["holder", "same", "area", "supervisor", "other", "other_boss", "auditor"]


async def test_the_link_from_the_bot_logs_in_once(tmp_path):
    world = await make_world(tmp_path, new=2, held=1, serve_http=True)
    h = world.h
    browsers: list[Browser] = []
    try:
        message = await world.actors["supervisor"].person.say("/dasbor")
        link = link_in(message.text)
        assert "once" in message.text and message.link_preview_options.get("is_disabled") is True
        # Opening the link shows a button and spends nothing: a link preview or a scanner that
        # fetches it does not use it up.
        browser = Browser(base(world))
        browsers.append(browser)
        for _ in range(2):
            page = await browser.get(link)
            assert page.status == 200 and 'name="token"' in page.text
        assert await h.count(WebLoginLink, WebLoginLink.used_at.is_not(None)) == 0
        page = await browser.open_link(link, follow=False)
        assert page.status == 303 and page.headers["Location"] == "/dasbor/"
        cookie = page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dasbor" in cookie
        assert "Max-Age=28800" in cookie  # 8 hours
        today = await browser.get("/dasbor/?period=7d")
        assert today.status == 200 and "Kasatpol" in today.text
        assert 'id="received">3<' in today.text and 'id="open">3<' in today.text
        # The same link again, in another browser: refused, and nothing of the dashboard shown.
        other = Browser(base(world))
        browsers.append(other)
        again = await other.open_link(link)
        # (Nobody is logged in: the page is in the region's language.)
        assert again.status == 403 and "sudah tidak berlaku" in again.text and "Kasatpol" not in again.text
        assert (await other.get("/dasbor/")).status == 401
        actions = [e.action for e in await h.rows(select(AuditEvent).where(AuditEvent.action.like("web_%"))
                                                   .order_by(AuditEvent.id))]
        assert actions == ["web_link_issued", "web_login", "web_login_refused"]
        # The database keeps hashes: the token and the cookie's key are nowhere in it.
        token = link.rsplit("/", 1)[1]
        key = re.search(r"lapor_dasbor=([^;]+)", cookie).group(1)
        stored = [(r.token_hash,) for r in await h.rows(select(WebLoginLink))]
        stored += [(s.key_hash, s.csrf_token) for s in await h.rows(select(WebSession))]
        assert token not in str(stored) and key not in str(stored)
    finally:
        await close(world, browsers)


async def test_an_expired_link_a_race_and_too_many_links(tmp_path):
    world = await make_world(tmp_path, serve_http=True)
    h = world.h
    browsers = [Browser(base(world)) for _ in range(3)]
    try:
        sri = world.actors["same"].person
        stale = link_in((await sri.say("/dasbor")).text)
        h.clock.advance(minutes=11)
        assert (await browsers[0].open_link(stale)).status == 403
        # Two browsers press the button of one fresh link at the same instant: one gets in.
        fresh = link_in((await sri.say("/dasbor")).text)
        pages = await asyncio.gather(browsers[1].open_link(fresh, follow=False),
                                     browsers[2].open_link(fresh, follow=False))
        assert sorted(p.status for p in pages) == [303, 403]
        # Five links an hour; the sixth request is answered politely, with no link.
        for _ in range(3):
            link_in((await sri.say("/dasbor")).text)
        refused = await sri.say("/dasbor")
        assert "too many login links" in refused.text and "/dasbor/masuk/" not in refused.text
        h.clock.advance(hours=1)
        link_in((await sri.say("/dasbor")).text)
        # Not in a group: a link there would let its members in.
        world.type(world.actors["group"], "/dasbor")
        await h.settle()
        group = h.emu.groups[world.actors["group"].chat_id]
        assert not any("/dasbor/masuk/" in (m.text or "") for m in group.messages)
    finally:
        await close(world, browsers)


async def test_every_page_download_and_action_for_every_actor(tmp_path):
    world = await make_world(tmp_path, new=1, held=2, closed=1, serve_http=True)
    h = world.h
    browsers: dict[str, Browser] = {}
    try:
        held = await world.take("held")
        closed = await world.take("closed")
        other_held = await world.take("held")
        for kind in WEB_ACTORS:
            browsers[kind] = await logged_in(world, kind)
        browsers["none"] = Browser(base(world))
        forged = Browser(base(world))
        forged.session.cookie_jar.update_cookies({"lapor_dasbor": "x" * 43})
        browsers["forged"] = forged
        problems = []
        pages = {
            "report": f"/dasbor/laporan/{held.ticket}",
            "list": "/dasbor/laporan",
            "list_text": f"/dasbor/laporan?text={held.ticket}",
            "csv": "/dasbor/laporan.csv",
            "xlsx": "/dasbor/laporan.xlsx",
            "today": "/dasbor/",
            "photo": f"/dasbor/laporan/{held.ticket}/foto/1",
        }
        for kind, browser in browsers.items():
            reads = kind in READERS
            for name, path in pages.items():
                page = await browser.get(path)
                body = page.text
                if name == "xlsx" and page.status == 200:
                    book = load_workbook(io.BytesIO(page.body))
                    body = "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row)
                leaked = held.description in body
                if kind in ("none", "forged"):
                    if page.status != 401 or leaked or held.ticket in body:
                        problems.append(f"{kind} {name}: {page.status}, leaked={leaked}")
                    continue
                if name in ("report",) and (page.status == 200) != reads:
                    problems.append(f"{kind} {name}: status {page.status}, reads={reads}")
                if leaked and not reads:
                    problems.append(f"{kind} {name}: the planted description reached them")
                if name == "report" and not reads and held.ticket in body:
                    problems.append(f"{kind} {name}: the refusal names the report")
                if name in ("report", "csv") and reads and not leaked:
                    problems.append(f"{kind} {name}: a reader does not see the description")
            # The report of another agency's queue (Dinsos has none here); a ticket that does not
            # exist is refused in the same words as one that may not be seen.
            missing = await browser.get("/dasbor/laporan/PSR-0000-9999")
            seen = await browser.get(f"/dasbor/laporan/{held.ticket}")
            if kind not in ("none", "forged", *READERS) and \
                    (missing.status, _main(missing.text)) != (seen.status, _main(seen.text)):
                problems.append(f"{kind}: a report it may not see is told apart from one that does not exist")
        # The supervisor's actions, asked by everyone: only Satpol PP's supervisor may.
        same_id = world.officer_ids["same"]
        for kind, browser in browsers.items():
            before = await h.scalar(select(Report).where(Report.id == other_held.id))
            today = await browser.get("/dasbor/")
            csrf = today.csrf() if today.status == 200 else "nothing"
            page = await browser.post(f"/dasbor/laporan/{other_held.ticket}/reassign",
                                      {"csrf": csrf, "officer": str(same_id)})
            after = await h.scalar(select(Report).where(Report.id == other_held.id))
            moved = after.owner_id != before.owner_id
            if kind == "supervisor":
                if not moved or after.owner_id != same_id or page.status != 200:
                    problems.append(f"supervisor could not reassign: {page.status} {after.owner_id}")
                continue
            if moved:
                problems.append(f"{kind} reassigned a report")
            if other_held.description in page.text:
                problems.append(f"{kind}: the refusal of a reassignment shows the report")
        assert not problems, "\n".join(problems)
        # Sri, given the report, is told in the bot; the reassignment is in the audit log.
        await h.settle()
        assert any(other_held.ticket in t for t in world.actors["same"].person.texts())
        assert await h.count(AuditEvent, AuditEvent.action == "reassigned", AuditEvent.report_id == other_held.id) == 1
        # A closed report reopened by the supervisor goes back to the queue: its officers are
        # alerted again, as the bot's own reopening does.
        sup = browsers["supervisor"]
        csrf = (await sup.get(f"/dasbor/laporan/{closed.ticket}")).csrf()
        page = await sup.post(f"/dasbor/laporan/{closed.ticket}/reopen", {"csrf": csrf, "note": "Masih ada"})
        assert page.status == 200 and "open again" in page.text
        reopened = await h.scalar(select(Report).where(Report.id == closed.id))
        assert reopened.state == "baru" and reopened.owner_id is None
        assert await h.count(AuditEvent, AuditEvent.action == "reopened", AuditEvent.note == "Masih ada") == 1
        await h.settle()
        assert any(closed.ticket in t for t in world.actors["holder"].person.texts())
        # The auditor reads everything and changes nothing: no action forms on the page.
        auditor_page = await browsers["auditor"].get(f"/dasbor/laporan/{held.ticket}")
        assert held.description in auditor_page.text and "/reassign" not in auditor_page.text
    finally:
        await close(world, browsers.values())


def _main(html: str) -> str:
    """The page's content, without the header that names who is logged in."""
    return html.split("<main>", 1)[-1]


async def test_disabling_an_officer_ends_their_session_at_once(tmp_path):
    world = await make_world(tmp_path, held=1, serve_http=True)
    h = world.h
    browser = await logged_in(world, "same")
    try:
        held = await world.take("held")
        assert held.description in (await browser.get(f"/dasbor/laporan/{held.ticket}")).text
        async with h.app.sessionmaker() as session:
            await disable_officer(session, now=h.clock.now(), officer_id=world.officer_ids["same"])
        page = await browser.get(f"/dasbor/laporan/{held.ticket}")
        assert page.status == 401 and held.description not in page.text and "/dasbor" in page.text
        ended = await h.rows(select(WebSession).where(WebSession.officer_id == world.officer_ids["same"]))
        assert [(s.ended_why, s.ended_at is not None) for s in ended] == [("disabled", True)]
        # Enabled again, the old cookie still opens nothing: they log in again.
        async with h.app.sessionmaker() as session:
            (await session.get(Officer, world.officer_ids["same"])).active = True
            await session.commit()
        assert (await browser.get("/dasbor/")).status == 401
    finally:
        await close(world, [browser])


async def test_headers_csrf_and_logout(tmp_path):
    world = await make_world(tmp_path, held=1, serve_http=True)
    h = world.h
    browser = await logged_in(world, "supervisor")
    try:
        held = await world.take("held")
        page = await browser.get(f"/dasbor/laporan/{held.ticket}")
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
        # No inline script or style anywhere: the policy would block them, so there are none.
        for path in ("/dasbor/", "/dasbor/laporan", f"/dasbor/laporan/{held.ticket}"):
            text = (await browser.get(path)).text
            assert not re.search(r"<script(?![^>]*\bsrc=)", text) and " style=" not in text and "<style" not in text
        # A form without the session's token (a page of another site posting here) does nothing.
        before = await h.scalar(select(Report.owner_id).where(Report.id == held.id))
        for token in (None, "wrong"):
            data = {"officer": str(world.officer_ids["same"])} | ({"csrf": token} if token else {})
            refused = await browser.post(f"/dasbor/laporan/{held.ticket}/reassign", data)
            assert refused.status == 403
        assert await h.scalar(select(Report.owner_id).where(Report.id == held.id)) == before
        # Logging out ends the session in the database, and the cookie with it.
        csrf = page.csrf()
        out = await browser.post("/dasbor/keluar", {"csrf": csrf})
        assert out.status == 200 and "logged out" in out.text
        assert (await browser.get("/dasbor/")).status == 401
        sessions = await h.rows(select(WebSession))
        assert [s.ended_why for s in sessions] == ["logout"]
    finally:
        await close(world, [browser])


async def test_the_list_filters_pages_and_exports_what_it_shows(tmp_path):
    world = await make_world(tmp_path, new=55, held=3, closed=2, serve_http=True)
    h = world.h
    browser = await logged_in(world, "supervisor")
    try:
        page = await browser.get("/dasbor/laporan")
        assert "Reports found: 60" in page.text
        assert len(TICKET_LINK.findall(page.text)) == 50
        after = re.search(r'rel="next" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
        second = await browser.get(after)
        assert len(TICKET_LINK.findall(second.text)) == 10 and 'rel="next"' not in second.text
        first_tickets, second_tickets = set(TICKET_LINK.findall(page.text)), set(TICKET_LINK.findall(second.text))
        assert not first_tickets & second_tickets and len(first_tickets | second_tickets) == 60
        # Filters: the held ones; a state that does not exist is said, politely, and the rest kept.
        held = await browser.get("/dasbor/laporan?state=diterima&state=bogus&category=pengemis")
        assert "Reports found: 3" in held.text and "was left out" in held.text
        assert 'value="diterima" checked' in held.text
        # The export holds what the list shows, in the officer's language.
        exported = await browser.get("/dasbor/laporan.csv?state=diterima")
        rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        assert exported.headers["Content-Disposition"].startswith('attachment; filename="laporan-')
        assert len(rows) == 1 + 3 and rows[0][0] == "Ticket"
        book = load_workbook(io.BytesIO((await browser.get("/dasbor/laporan.xlsx?state=selesai")).body))
        assert book.worksheets[0].max_row == 1 + 2
        assert await h.count(AuditEvent, AuditEvent.action == "list_exported") == 2
        # Sorted by the response target: the most overdue first.
        h.clock.advance(hours=3)
        due = await browser.get("/dasbor/laporan?overdue=1&sort=due")
        tickets = TICKET_LINK.findall(due.text)
        reports = {r.ticket: r for r in await h.rows(select(Report))}
        dues = [reports[t].response_due_at for t in tickets]
        assert tickets and dues == sorted(dues)
        # Today: the counts and the overdue list, oldest first.
        today = await browser.get("/dasbor/?period=7d")
        assert 'id="open">58<' in today.text and "Overdue, oldest first" in today.text
    finally:
        await close(world, [browser])


async def test_photos_only_through_the_policy(tmp_path):
    world = await make_world(tmp_path, serve_http=True)
    h = world.h
    browsers = {kind: await logged_in(world, kind) for kind in ("supervisor", "other_boss")}
    try:
        resident = h.resident(5101, "Siti")
        await resident.say("/start en")
        await resident.press("📝 Make a report")
        await resident.tap("Beggars")
        await resident.press("📍 Send my current location", location=PIN_ALPHA)
        await resident.photo()
        await resident.tap("📨 Send now")
        await resident.tap("Send report")
        report = await h.scalar(select(Report).order_by(Report.id.desc()))
        assert report is not None
        photo = await browsers["supervisor"].get(f"/dasbor/laporan/{report.ticket}/foto/1")
        assert photo.status == 200 and photo.headers["Content-Type"] == "image/jpeg"
        sent = h.emu.files[(await h.rows(select(ReportPhoto)))[0].file_id]
        assert photo.body == sent.data and photo.headers["Cache-Control"] == "no-store"
        refused = await browsers["other_boss"].get(f"/dasbor/laporan/{report.ticket}/foto/1")
        assert refused.status == 404 and refused.body != sent.data
        page = await browsers["supervisor"].get(f"/dasbor/laporan/{report.ticket}")
        assert f'src="/dasbor/laporan/{report.ticket}/foto/1"' in page.text
    finally:
        await close(world, browsers.values())


async def test_an_operator_prints_a_login_link(tmp_path):
    world = await make_world(tmp_path, serve_http=True)
    h = world.h
    try:
        settings = h.settings.model_copy(update={"web_url": base(world)})
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert await _login_link(settings, 9004) == 0
        browser = Browser(base(world))
        try:
            page = await browser.open_link(link_in(out.getvalue()))
            assert page.status == 200 and "Kasatpol" in page.text
        finally:
            await browser.close()
        issued = await h.rows(select(AuditEvent).where(AuditEvent.action == "web_link_issued"))
        assert [e.data["by"] for e in issued] == ["cli"]
    finally:
        await close(world, [])



async def test_the_audit_log_for_supervisors_and_the_auditor(tmp_path):
    world = await make_world(tmp_path, held=1, serve_http=True)
    h = world.h
    browsers = {kind: await logged_in(world, kind) for kind in ("supervisor", "other_boss", "auditor", "holder")}
    try:
        held = await world.take("held")
        # A field officer may not open it: refused in words, nothing of the log shown.
        page = await browsers["holder"].get("/dasbor/audit")
        assert page.status == 403 and held.ticket not in page.text
        assert (await browsers["holder"].get("/dasbor/audit.csv")).status == 403
        assert 'href="/dasbor/audit"' not in (await browsers["holder"].get("/dasbor/")).text
        # Satpol PP's supervisor sees its report's events and its officers' logins, by name.
        page = await browsers["supervisor"].get("/dasbor/audit")
        assert page.status == 200 and held.ticket in page.text and "acknowledged it" in page.text
        assert "Budi (Satpol PP)" in page.text
        # Dinsos's supervisor sees nothing of Satpol PP's report, and not its officers' doings.
        page = await browsers["other_boss"].get("/dasbor/audit")
        assert held.ticket not in page.text and "Budi" not in page.text and "Dewi" in page.text
        # The auditor sees everything, filters it, and takes it away as CSV (which is audited).
        page = await browsers["auditor"].get(f"/dasbor/audit?ticket={held.ticket}&action=acknowledged")
        rows = re.findall(r"<tr>\s*<td>(\d+)</td>", page.text)
        assert len(rows) == 1 and "Budi" in page.text
        download = await browsers["auditor"].get(f"/dasbor/audit.csv?ticket={held.ticket}")
        lines = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
        assert lines[0][:3] == ["id", "at_utc", "ticket"] and {r[2] for r in lines[1:]} == {held.ticket}
        assert {r[6] for r in lines[1:]} >= {"submitted", "acknowledged"}
        exported = await h.rows(select(AuditEvent).where(AuditEvent.action == "list_exported"))
        assert [e.data["kind"] for e in exported] == ["audit.csv"]
    finally:
        await close(world, browsers.values())


async def test_charts_count_only_the_readers_reports(tmp_path):
    world = await make_world(tmp_path, new=3, held=2, closed=1, serve_http=True)
    h = world.h
    browsers = {kind: await logged_in(world, kind) for kind in ("supervisor", "other_boss")}
    try:
        page = await browsers["supervisor"].get("/dasbor/grafik?period=90d")
        assert page.status == 200 and page.text.count('src="/dasbor/grafik/') == 4
        for name in ("reports", "targets", "times", "outcomes"):
            png = await browsers["supervisor"].get(f"/dasbor/grafik/{name}.png?period=90d")
            assert png.status == 200 and png.headers["Content-Type"] == "image/png"
            assert png.body[:8] == b"\x89PNG\r\n\x1a\n" and png.headers["Cache-Control"] == "no-store"
        assert (await Browser(base(world)).get("/dasbor/grafik/reports.png")).status == 401
        # The figures behind them: Satpol PP's six reports for its supervisor, none for Dinsos's.
        async with h.app.sessionmaker() as session:
            officers = {kind: await find_officer(session, world.actors[kind].user.id)
                        for kind in ("supervisor", "other_boss")}
            mine = await trends(session, h.region, actor=officers["supervisor"], period="30d", now=h.clock.now())
            theirs = await trends(session, h.region, actor=officers["other_boss"], period="30d", now=h.clock.now())
        assert sum(mine.by_category["pengemis"]) == 6 and sum(mine.acknowledged) == 3 and sum(mine.closed) == 1
        assert sum(mine.outcomes.values()) == 1 and theirs.by_category == {} and sum(theirs.closed) == 0
    finally:
        await close(world, browsers.values())


def test_lapor_web_serves_the_dashboard_alone(tmp_path):
    """`lapor web`, a process of its own beside `lapor run`: the dashboard and /healthz, nothing else;
    an operator's login link (`lapor web login-link`) opens it."""
    port = free_port()
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/web.sqlite3", "REGION_CONFIG": str(TEST_REGION),
           "HTTP_PORT": str(port)}
    run_cli("db", "upgrade", env=env)
    run_cli("officer", "add", "--telegram-id", "9004", "--name", "Kasatpol", "--agency", "satpolpp",
            "--role", "supervisor", env=env)
    link = run_cli("web", "login-link", "--telegram-id", "9004", env=env).stdout.strip()
    assert link.startswith(f"http://127.0.0.1:{port}/dasbor/masuk/")
    missing = run_cli("web", "login-link", "--telegram-id", "1234", env=env, check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("lapor: no active officer")
    process = subprocess.Popen([sys.executable, "-m", "lapor.cli", "web"], env=app_env(env), cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):  # its start: a few seconds at most
            try:
                health = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                threading.Event().wait(0.1)  # a subprocess's start, not the app's clock
        else:
            raise AssertionError("lapor web did not answer /healthz")
        assert json.load(health)["status"] == "ok"
        page = urllib.request.urlopen(link).read().decode()
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        today = browser.open(f"http://127.0.0.1:{port}/dasbor/masuk", data=urlencode({"token": token}).encode())
        assert today.url.endswith("/dasbor/") and "Kasatpol" in today.read().decode()
        with pytest.raises(urllib.error.HTTPError) as no_webhooks:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/webhook/citizen", data=b"{}"))
        assert no_webhooks.value.code in (404, 405)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
