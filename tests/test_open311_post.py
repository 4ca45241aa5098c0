"""POST requests: a partner's channel files a report through the bot's own submit service (routing,
ticket, alerts, audit, flood limits per key), placed by the region's boundaries."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from core.officers import add_officer
from core.partner_keys import add_key
from db.models import AuditEvent, Open311Key, Outbox, Report
from tests.harness import PIN_ALPHA, PIN_OUTSIDE
from tests.test_open311 import V2, api_world

SECRET = "RAHASIA-lewat-mitra"


@pytest.fixture
async def api(db, region):
    async with api_world(db, region) as world:
        yield world


async def post(api, fmt: str = "json", **form: str):
    response = await api.client.post(f"{V2}/requests.{fmt}", data=form)
    return response.status, await response.text()


def pin(lat_lon) -> dict[str, str]:
    return {"lat": str(lat_lon[0]), "long": str(lat_lon[1])}


async def test_a_partner_files_a_report_as_the_bot_does(api):
    async with api.sessionmaker() as session:
        await add_officer(session, region=api.region, now=api.clock.now(), telegram_id=9101, name="Budi",
                          agency="satpolpp", role="officer", areas=["Alpha"], language="id")
    status, body = await post(api, api_key=api.keys["submit"], service_code="pengemis", **pin(PIN_ALPHA),
                              description=SECRET, media_url="https://mitra.example/foto/1.jpg",
                              **{"attribute[people_count]": "2-3", "attribute[age_group]": "anak",
                                 "attribute[urgent]": "true", "attribute[landmark]": "depan pasar"})
    assert status == 200, body
    answer = json.loads(body)
    assert len(answer) == 1 and list(answer[0]) == ["service_request_id", "service_notice", "account_id"]
    ticket = answer[0]["service_request_id"]
    assert ticket.startswith("UJI-2611-")
    # Indonesian first, in the bot's own words.
    assert answer[0]["service_notice"].startswith("Ditangani oleh: Satpol PP. Target tanggapan: dalam ")
    assert answer[0]["service_notice"].endswith(". Mohon jangan menegur atau menghadapi siapa pun sendiri.")

    report = (await api.rows(select(Report).where(Report.ticket == ticket)))[0]
    assert (report.category, report.agency, report.state) == ("pengemis", "satpolpp", "baru")  # routed
    assert (report.kecamatan, report.latitude, report.longitude) == ("Alpha", PIN_ALPHA[0], PIN_ALPHA[1])
    assert (report.people_count, report.age_group, report.urgent) == ("2-3", "anak", True)
    assert report.landmark == "depan pasar" and report.anonymous
    assert report.description == f"{SECRET}\nhttps://mitra.example/foto/1.jpg"  # the link, not fetched
    # Audited: the submission, and the partner behind it.
    key_id = (await api.rows(select(Open311Key.id).where(Open311Key.partner == "Mitra submit")))[0]
    events = await api.rows(select(AuditEvent).where(AuditEvent.report_id == report.id).order_by(AuditEvent.id))
    assert [e.action for e in events] == ["submitted", "open311_submitted"]
    assert (events[1].actor_type, events[1].actor_id) == ("partner", key_id)
    assert events[1].data == {"partner": "Mitra submit", "media_url": "https://mitra.example/foto/1.jpg"}
    # The officer covering Alpha is alerted, as for a report from the bot; nothing goes to a resident.
    outbox = await api.rows(select(Outbox).where(Outbox.report_id == report.id))
    assert {(o.bot, o.chat_id) for o in outbox} == {("backoffice", 9101)}
    # Read back: published without a key, in full only to the agency's key.
    public = await api.json(f"/requests/{ticket}.json")
    assert public[0]["description"] is None and public[0]["status"] == "open"
    assert SECRET not in json.dumps(await api.json(f"/requests/{ticket}.json", api_key=api.keys["submit"]))
    full = await api.json(f"/requests/{ticket}.json", api_key=api.keys["satpol"])
    assert full[0]["description"].startswith(SECRET)

    status, body = await post(api, "xml", api_key=api.keys["submit"], service_code="gelandangan",
                              address_string="Jl. Mawar 3, Beta Satu")
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == "service_requests" and [c.tag for c in root[0]] == [
        "service_request_id", "service_notice", "account_id"]
    placed = (await api.rows(select(Report).where(Report.ticket == root.findtext("request/service_request_id"))))[0]
    assert (placed.agency, placed.kecamatan, placed.desa, placed.latitude) == ("dinsos", "Beta", "Beta Satu", None)
    assert placed.landmark == "Jl. Mawar 3, Beta Satu"


async def test_what_a_post_refuses(api):
    async def refused(expect: int, words: str, **form: str) -> None:
        for fmt in ("json", "xml"):
            status, body = await post(api, fmt, **form)
            assert status == expect, (form, body)
            if fmt == "json":
                error = json.loads(body)
                assert list(error[0]) == ["code", "description"] and error[0]["code"] == expect
                assert words in error[0]["description"], (words, error)
            else:
                assert ET.fromstring(body).findtext("error/code") == str(expect)

    good = {"service_code": "pengemis", **pin(PIN_ALPHA)}
    await refused(403, "submit scope", **good)
    await refused(403, "submit scope", api_key=api.keys["all"], **good)
    await refused(403, "revoked", api_key=api.keys["revoked"], **good)
    await refused(403, "not valid", api_key="o311_guessed", **good)
    key = api.keys["submit"]
    await refused(400, "lies outside Kabupaten Uji", api_key=key, service_code="pengemis", **pin(PIN_OUTSIDE))
    await refused(400, "not a service", api_key=key, service_code="parkir", **pin(PIN_ALPHA))
    await refused(400, "service_code is required", api_key=key, **pin(PIN_ALPHA))
    await refused(400, "give both lat and long", api_key=key, service_code="pengemis", lat="-7.05")
    await refused(400, "not a number", api_key=key, service_code="pengemis", lat="x", long="112.05")
    await refused(400, "give lat and long, or address_string", api_key=key, service_code="pengemis")
    await refused(400, "names no kecamatan", api_key=key, service_code="pengemis", address_string="Jakarta")
    await refused(400, "attribute[age_group]", api_key=key, **good, **{"attribute[age_group]": "bayi"})
    await refused(400, "media_url", api_key=key, **good, media_url="ftp://mitra.example/x")
    await refused(400, "at most 1000", api_key=key, **good, description="x" * 1001)
    assert await api.rows(select(Report).where(Report.created_at >= api.clock.now())) == []


async def test_flood_limits_are_per_key(api):
    # A partner files for many people: its key's own limits, not a resident's three an hour.
    assert api.region.limits.partner_reports_per_hour == 60 > api.region.limits.reports_per_hour
    api.region.limits = api.region.limits.model_copy(update={"partner_reports_per_hour": 5})
    limit = 5
    form = {"service_code": "pengemis", **pin(PIN_ALPHA)}
    for _ in range(limit):
        status, body = await post(api, api_key=api.keys["submit"], **form)
        assert status == 200, body
    response = await api.client.post(f"{V2}/requests.json", data={"api_key": api.keys["submit"], **form})
    assert response.status == 429 and "try again in" in (await response.json())[0]["description"]
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    # Another partner's key is not held back by the first one's flood.
    async with api.sessionmaker() as session:
        _, other = await add_key(session, partner="Call centre", scope="submit", region=api.region,
                                 now=api.clock.now())
    status, body = await post(api, api_key=other, **form)
    assert status == 200, body
    api.clock.advance(hours=1, minutes=1)
    status, body = await post(api, api_key=api.keys["submit"], **form)
    assert status == 200, body
