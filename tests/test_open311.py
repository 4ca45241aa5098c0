"""The Open311 GeoReport v2 API (/open311/v2) over real HTTP, on the app `lapor web` serves
(lapor.web.build_dashboard_only), against the spec's field lists, in JSON and XML, with a
description (and a landmark) planted in each report so that a leak shows."""
from __future__ import annotations

import contextlib
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update
from yarl import URL

from core.clock import ManualClock
from core.draft import AgeGroup, PeopleCount, ReportDraft, ReporterType, SeenWhen
from core.open311 import ATTRIBUTE_FIELDS, REQUEST_FIELDS, SERVICE_FIELDS, kecamatan_centroids
from core.partner_keys import add_key, revoke_key
from core.report_submit import submit_report
from dashboard.context import Dashboard
from db.models import AuditEvent, Open311Key, Report, Reporter
from lapor.web import build_dashboard_only
from tests.harness import PIN_ALPHA, PIN_BETA, make_harness

V2 = "/open311/v2"
START = datetime(2026, 8, 1, 3, 0, tzinfo=UTC)
SECRET = "RAHASIA-{n}-jangan-bocor"
LANDMARK = "depan-warung-{n}"


class Api:
    def __init__(self, client: TestClient, sessionmaker, region, clock, tickets, keys) -> None:
        self.client, self.sessionmaker, self.region, self.clock = client, sessionmaker, region, clock
        self.tickets: dict[str, str] = tickets  # name -> ticket
        self.keys: dict[str, str] = keys  # scope name -> the key itself

    async def get(self, path: str, **params: str):
        response = await self.client.get(V2 + path, params=params)
        return response.status, await response.text(), response

    async def json(self, path: str, expect: int = 200, **params: str):
        code, body, _ = await self.get(path, **params)
        assert code == expect, body
        return json.loads(body)

    async def xml(self, path: str, expect: int = 200, **params: str) -> ET.Element:
        code, body, response = await self.get(path, **params)
        assert code == expect, body
        assert response.content_type == "text/xml"
        return ET.fromstring(body)

    async def rows(self, stmt):
        async with self.sessionmaker() as session:
            return list((await session.execute(stmt)).scalars())


async def _file(sessionmaker, region, clock, n: int, *, category: str, pin, kecamatan: str,
                desa: str | None) -> str:
    async with sessionmaker() as session:
        reporter = Reporter(telegram_id=800_000 + n, chat_id=800_000 + n, language="id", created_at=clock.now(),
                            display_name=f"Pelapor-{n}", unreachable=True)
        session.add(reporter)
        await session.commit()
        draft = ReportDraft(category=category, latitude=pin[0], longitude=pin[1], kecamatan=kecamatan, desa=desa,
                            landmark=LANDMARK.format(n=n), people_count=PeopleCount.FEW,
                            age_group=AgeGroup.CHILD, description=SECRET.format(n=n), description_done=True,
                            seen_when=SeenWhen.NOW, seen_at=clock.now(), photos_done=True, urgent=False,
                            reporter_type=ReporterType.PERORANGAN, anonymous=True)
        result = await submit_report(session, clock=clock, region=region, reporter_id=reporter.id, draft=draft)
        return result.ticket


@contextlib.asynccontextmanager
async def api_world(db, region):
    """Four reports (one 100 days old, one closed), keys of every scope, and a client of the app."""
    clock = ManualClock(START)
    tickets = {}
    # 100 days before "now": outside the default window of 90 days.
    tickets["old"] = await _file(db, region, clock, 1, category="pengemis", pin=PIN_ALPHA, kecamatan="Alpha",
                                 desa="Alpha Satu")
    clock.advance(days=100)
    tickets["satpol"] = await _file(db, region, clock, 2, category="pengemis", pin=(-7.02, 112.03),
                                    kecamatan="Alpha", desa="Alpha Dua")
    clock.advance(minutes=10)
    tickets["dinsos"] = await _file(db, region, clock, 3, category="gelandangan", pin=PIN_BETA, kecamatan="Beta",
                                    desa="Beta Satu")
    clock.advance(minutes=10)
    tickets["closed"] = await _file(db, region, clock, 4, category="anak_jalanan", pin=PIN_ALPHA,
                                    kecamatan="Alpha", desa="Alpha Satu")
    async with db() as session:
        await session.execute(update(Report).where(Report.ticket == tickets["closed"])
                              .values(state="selesai", outcome="tidak_ditemukan", closed_at=clock.now()))
        await session.commit()
    clock.advance(minutes=10)
    keys = {}
    async with db() as session:
        for name, scope in (("satpol", "agency:satpolpp"), ("dinsos", "agency:dinsos"), ("all", "read-all"),
                            ("submit", "submit"), ("revoked", "read-all")):
            info, keys[name] = await add_key(session, partner=f"Mitra {name}", scope=scope, region=region,
                                             now=clock.now())
            if name == "revoked":
                await revoke_key(session, key_id=info.id, now=clock.now())
    dashboard = Dashboard(db, region, clock)
    client = TestClient(TestServer(build_dashboard_only(dashboard)))
    await client.start_server()
    try:
        yield Api(client, db, region, clock, tickets, keys)
    finally:
        await client.close()


@pytest.fixture
async def api(db, region):
    async with api_world(db, region) as world:
        yield world


def _children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


# ---- services ---------------------------------------------------------------------------------


async def test_services_list_each_category_with_its_criteria_and_family(api):
    services = await api.json("/services.json")
    assert [s["service_code"] for s in services] == [c.code for c in api.region.categories]
    for service in services:
        assert list(service) == list(SERVICE_FIELDS)
        category = api.region.category(service["service_code"])
        assert service["service_name"] == category.label["id"]
        assert service["description"] == " ".join(category.criteria["id"].split())
        assert service["metadata"] is True and service["type"] == "realtime"
    groups = {s["service_code"]: s["group"] for s in services}
    assert groups["pengemis"] == groups["anak_jalanan"] == "Penyakit masyarakat (Pekat)"
    assert groups["lansia_terlantar"] == "PMKS terlantar"
    english = await api.json("/services.json", locale="en")
    assert english[0]["service_name"] == api.region.categories[0].label["en"]

    root = await api.xml("/services.xml")
    assert root.tag == "services" and len(root) == len(services)
    for element, service in zip(root, services, strict=True):
        assert element.tag == "service" and _children(element) == list(SERVICE_FIELDS)
        assert element.findtext("service_code") == service["service_code"]
        assert element.findtext("description") == service["description"]
        assert element.findtext("metadata") == "true"


async def test_a_service_definition_asks_what_the_bot_asks(api):
    definition = await api.json("/services/pengemis.json")
    assert list(definition) == ["service_code", "attributes"] and definition["service_code"] == "pengemis"
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == ["people_count", "age_group", "urgent", "landmark"]
    for order, attribute in enumerate(attributes, start=1):
        assert list(attribute) == list(ATTRIBUTE_FIELDS)
        assert attribute["order"] == order and attribute["variable"] is True and attribute["required"] is False
    people = attributes[0]
    assert people["datatype"] == "singlevaluelist"
    assert [v["key"] for v in people["values"]] == ["1", "2-3", "4-10", "10+", "unknown"]
    # Indonesian first: the bot's own question and labels, without their HTML.
    assert people["description"] == "Berapa orang yang Anda lihat?", people["description"]
    assert "<" not in attributes[2]["description"] and attributes[2]["values"][0]["key"] == "true"
    assert attributes[3]["datatype"] == "string" and attributes[3]["values"] == []

    root = await api.xml("/services/pengemis.xml")
    assert root.tag == "service_definition" and _children(root) == ["service_code", "attributes"]
    first = root.find("attributes/attribute")
    assert first is not None and _children(first) == list(ATTRIBUTE_FIELDS)
    assert [v.findtext("key") for v in first.findall("values/value")] == ["1", "2-3", "4-10", "10+", "unknown"]
    assert first.findtext("variable") == "true"

    missing = await api.json("/services/nothing.json", expect=404)
    assert list(missing[0]) == ["code", "description"] and missing[0]["code"] == 404
    error = await api.xml("/services/nothing.xml", expect=404)
    assert error.tag == "errors" and error.findtext("error/code") == "404"


async def test_discovery_names_the_endpoint_and_its_formats(api):
    found = await api.json("/discovery.json")
    assert set(found) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = found["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["formats"] == ["text/xml", "application/json"]
    root = await api.xml("/discovery.xml")
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


# ---- privacy ----------------------------------------------------------------------------------

SECRETS = [SECRET.format(n=n) for n in range(1, 5)] + [LANDMARK.format(n=n) for n in range(1, 5)]
PRIVATE_WORDS = ["Alpha Satu", "Alpha Dua", "Beta Satu", "Pelapor-", "800002", "-7.02", "112.03"]


def _leaks(body: str, allowed: set[str] = frozenset()) -> list[str]:
    return [word for word in SECRETS + PRIVATE_WORDS if word in body and word not in allowed]


async def _bodies(api, **params: str) -> list[str]:
    """Every read of the API, as a client with `params` (a key, or none) gets it."""
    bodies = []
    window = {"start_date": "2026-01-01T00:00:00+07:00"}  # the old report too
    for fmt in ("json", "xml"):
        bodies.append((await api.get(f"/requests.{fmt}", **params, **window))[1])
        bodies.append((await api.get(f"/requests.{fmt}", **params))[1])
        bodies.append((await api.get(f"/requests.{fmt}", **params,
                                     service_request_id=",".join(api.tickets.values())))[1])
        for ticket in api.tickets.values():
            bodies.append((await api.get(f"/requests/{ticket}.{fmt}", **params))[1])
    return bodies


async def test_without_a_key_a_request_is_only_what_may_be_published(api):
    requests = await api.json("/requests.json")
    assert [r["service_request_id"] for r in requests] == [api.tickets[n] for n in ("closed", "dinsos", "satpol")]
    for request in requests:
        assert list(request) == list(REQUEST_FIELDS)
        assert request["description"] is None and request["media_url"] is None
    satpol, dinsos = requests[2], requests[1]
    centroids = kecamatan_centroids(api.region)
    assert (satpol["lat"], satpol["long"]) == centroids["Alpha"] == (-7.05, 112.05)  # not its pin (-7.02, 112.03)
    assert (dinsos["lat"], dinsos["long"]) == centroids["Beta"]
    assert satpol["address"] == "Kecamatan Alpha" and satpol["status"] == "open"
    assert satpol["service_code"] == "pengemis" and satpol["service_name"] == "Pengemis"
    assert satpol["agency_responsible"] == "Satpol PP" and dinsos["agency_responsible"] == "Dinsos"
    assert satpol["requested_datetime"] == "2026-11-09T10:00:00+07:00"
    assert satpol["status_notes"] == "baru"  # the state in words, no officer's note
    closed = requests[0]
    assert closed["status"] == "closed" and closed["expected_datetime"] is None
    assert closed["status_notes"] == "selesai"  # the outcome only to a key that covers it
    for body in await _bodies(api):
        assert _leaks(body) == [], body[:500]


async def test_an_agency_key_reads_its_own_reports_in_full_and_the_others_as_published(api):
    mine = await api.json(f"/requests/{api.tickets['satpol']}.json", api_key=api.keys["satpol"])
    assert len(mine) == 1 and list(mine[0]) == list(REQUEST_FIELDS)
    assert mine[0]["description"] == SECRET.format(n=2)
    assert (mine[0]["lat"], mine[0]["long"]) == (-7.02, 112.03)
    assert mine[0]["address"] == f"{LANDMARK.format(n=2)}, Desa/Kelurahan Alpha Dua, Kecamatan Alpha"
    closed = await api.json(f"/requests/{api.tickets['closed']}.json", api_key=api.keys["satpol"])
    assert closed[0]["status_notes"] == "selesai: Tidak ditemukan di lokasi"
    theirs = await api.json(f"/requests/{api.tickets['dinsos']}.json", api_key=api.keys["satpol"])
    assert theirs[0]["description"] is None and theirs[0]["address"] == "Kecamatan Beta"

    satpol_secrets = {SECRET.format(n=n) for n in (1, 2, 4)} | {LANDMARK.format(n=n) for n in (1, 2, 4)}
    satpol_places = {"Alpha Satu", "Alpha Dua", "-7.02", "112.03"}
    for body in await _bodies(api, api_key=api.keys["satpol"]):
        assert _leaks(body, satpol_secrets | satpol_places) == [], body[:500]
    # Dinas Sosial's key: its own report in full, Satpol PP's never.
    for body in await _bodies(api, api_key=api.keys["dinsos"]):
        assert _leaks(body, {SECRET.format(n=3), LANDMARK.format(n=3), "Beta Satu"}) == [], body[:500]
    listed = await api.json("/requests.json", api_key=api.keys["dinsos"])
    assert {r["service_request_id"]: r["description"] for r in listed} == {
        api.tickets["closed"]: None, api.tickets["dinsos"]: SECRET.format(n=3), api.tickets["satpol"]: None}


async def test_a_read_all_key_reads_every_report_in_full_and_a_submit_key_as_published(api):
    listed = await api.json("/requests.json", api_key=api.keys["all"])
    assert [r["description"] for r in listed] == [SECRET.format(n=n) for n in (4, 3, 2)]
    root = await api.xml("/requests.xml", api_key=api.keys["all"])
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"] * 3
    assert _children(root[0]) == list(REQUEST_FIELDS)
    assert root[2].findtext("description") == SECRET.format(n=2) and root[2].findtext("lat") == "-7.02"
    for body in await _bodies(api, api_key=api.keys["submit"]):
        assert _leaks(body) == [], body[:500]
    # Never the reporter, whoever reads.
    for body in await _bodies(api, api_key=api.keys["all"]):
        assert "Pelapor-" not in body and "800002" not in body


async def test_a_revoked_or_unknown_key_is_refused_and_every_use_is_audited(api):
    for fmt in ("json", "xml"):
        status, body, _ = await api.get(f"/requests.{fmt}", api_key=api.keys["revoked"])
        assert status == 403 and SECRET.format(n=2) not in body
        status, body, _ = await api.get(f"/requests/{api.tickets['satpol']}.{fmt}", api_key="o311_guessed")
        assert status == 403 and "api_key" in body
    refused = await api.json("/services.json", expect=403, api_key=api.keys["revoked"])
    assert refused == [{"code": 403, "description": refused[0]["description"]}]
    root = await api.xml("/requests.xml", expect=403, api_key=api.keys["revoked"])
    assert root.tag == "errors" and root.findtext("error/code") == "403"

    await api.json("/requests.json", api_key=api.keys["satpol"], status="open")
    keys = {k.partner: k.id for k in await api.rows(select(Open311Key))}
    events = await api.rows(select(AuditEvent).where(AuditEvent.action.like("open311_%")).order_by(AuditEvent.id))
    used = [e for e in events if e.action == "open311_key_used"]
    assert len(used) == 1 and used[0].actor_type == "partner" and used[0].actor_id == keys["Mitra satpol"]
    assert used[0].data == {"use": "GET requests", "endpoint": "requests", "params": {"status": "open"}}
    refusals = [e for e in events if e.action == "open311_key_refused"]
    assert len(refusals) == 4 and {e.actor_id for e in refusals} == {keys["Mitra revoked"]}
    assert all(e.data["why"] == "revoked" for e in refusals)
    # The key itself is nowhere in the database: only its hash.
    everything = str([(k.key_hash, k.partner) for k in await api.rows(select(Open311Key))]) + str(
        [e.data for e in events])
    assert not any(key in everything for key in api.keys.values())
    # A guessed key writes nothing (guessing cannot flood the log).
    assert not [e for e in events if "guessed" in str(e.data)]


# ---- the spec's filters, window and pages ------------------------------------------------------


async def test_the_window_filters_and_pages(api):
    tickets = api.tickets
    ids = lambda rows: [r["service_request_id"] for r in rows]  # noqa: E731
    # Default: the last 90 days; the old report only with dates that hold it.
    assert tickets["old"] not in ids(await api.json("/requests.json"))
    assert ids(await api.json("/requests.json", start_date="2026-07-01", end_date="2026-08-31")) == [tickets["old"]]
    assert ids(await api.json("/requests.json", end_date="2026-08-01T10:00:00+07:00")) == [tickets["old"]]
    assert ids(await api.json("/requests.json", end_date="2026-08-01T09:59:59+07:00")) == []
    assert ids(await api.json("/requests.json", status="closed")) == [tickets["closed"]]
    assert ids(await api.json("/requests.json", status="open")) == [tickets["dinsos"], tickets["satpol"]]
    assert ids(await api.json("/requests.json", status="open,closed")) == ids(await api.json("/requests.json"))
    assert ids(await api.json("/requests.json", service_code="gelandangan,anak_jalanan")) == [
        tickets["closed"], tickets["dinsos"]]
    # service_request_id: those, whatever the other filters say.
    assert ids(await api.json("/requests.json", service_request_id=f"{tickets['old']},{tickets['satpol']}",
                              status="closed")) == [tickets["satpol"], tickets["old"]]
    # Pages: at most page_size, the next one named by the Link header, none repeated or skipped.
    seen: list[str] = []
    params = {"page_size": "1", "start_date": "2026-01-01"}
    for _ in range(5):
        status, body, response = await api.get("/requests.json", **params)
        assert status == 200
        rows = json.loads(body)
        assert len(rows) <= 1
        seen += ids(rows)
        link = response.headers.get("Link")
        if link is None:
            break
        assert link.endswith('>; rel="next"')
        following = URL(link[1:link.index(">")])
        assert following.path == V2 + "/requests.json"
        params = dict(following.query)
    assert seen == [tickets[n] for n in ("closed", "dinsos", "satpol", "old")]
    # Bad input: 400 with the spec's error list, in either format.
    for params in ({"page_size": "1001"}, {"page_size": "0"}, {"start_date": "yesterday"}, {"status": "pending"},
                   {"service_code": "nothing"}, {"after": "not-a-cursor"},
                   {"start_date": "2026-11-10", "end_date": "2026-11-01"},
                   {"service_request_id": ",".join(f"UJI-{n}" for n in range(101))}):
        error = await api.json("/requests.json", expect=400, **params)
        assert error[0]["code"] == 400 and error[0]["description"], params
        assert (await api.xml("/requests.xml", expect=400, **params)).findtext("error/code") == "400"
    assert len(await api.json("/requests.json", page_size="1000")) == 3


async def test_one_request_its_token_and_what_is_not_there(api):
    ticket = api.tickets["dinsos"]
    assert (await api.json(f"/requests/{ticket}.json"))[0]["service_request_id"] == ticket
    assert (await api.json(f"/requests/{ticket.lower()}.json"))[0]["service_request_id"] == ticket
    root = await api.xml(f"/requests/{ticket}.xml")
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == ticket
    assert await api.json(f"/tokens/{ticket}.json") == [{"service_request_id": ticket, "token": ticket}]
    token = await api.xml(f"/tokens/{ticket}.xml")
    assert _children(token[0]) == ["service_request_id", "token"]
    for path in ("/requests/UJI-0000-0000.json", "/tokens/UJI-0000-0000.json", "/nothing.json",
                 "/requests.csv"):
        error = await api.json(path, expect=404)
        assert error[0]["code"] == 404, path
    assert (await api.xml("/requests/UJI-0000-0000.xml", expect=404)).findtext("error/code") == "404"


async def test_centroids_come_from_the_boundaries(region):
    centroids = kecamatan_centroids(region)
    assert centroids == {"Alpha": (-7.05, 112.05), "Beta": (-7.05, 112.15), "Gamma": (-7.15, 112.1)}
    assert kecamatan_centroids(region) is centroids  # computed once per region



async def test_lapor_run_serves_the_api_beside_the_dashboard(tmp_path):
    h = await make_harness(tmp_path)
    h.serve_http = True  # HTTP_PORT: the dashboard, and the API beside it
    await h.start()
    try:
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{h.http_port}{V2}"
            async with session.get(f"{base}/services.json") as response:
                assert response.status == 200
                assert [s["service_code"] for s in await response.json()] == [c.code for c in h.region.categories]
            async with session.get(f"{base}/requests.xml") as response:
                assert response.status == 200 and ET.fromstring(await response.read()).tag == "service_requests"
    finally:
        await h.app.stop()
        await h.emu.stop()


def test_the_policy_decides_what_a_partner_reads_in_full():
    from core.access import PartnerFacts, partner_full_scope, partner_may_submit, partner_reads_in_full

    agency, everyone, submit = (PartnerFacts(1, "A", "agency:dinsos"), PartnerFacts(2, "B", "read-all"),
                                PartnerFacts(3, "C", "submit"))
    assert [partner_reads_in_full(p, "dinsos") for p in (None, agency, everyone, submit)] == [
        False, True, True, False]
    assert [partner_reads_in_full(p, "satpolpp") for p in (None, agency, everyone, submit)] == [
        False, False, True, False]
    assert partner_full_scope(agency).agency == "dinsos" and partner_full_scope(everyone).region_wide
    assert partner_full_scope(PartnerFacts(4, "D", "agency:")) is None
    assert [partner_may_submit(p) for p in (None, agency, everyone, submit)] == [False, False, False, True]
