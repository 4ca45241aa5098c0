"""A published Open311 client against the running app: georeport (PyPI), as a partner's developer
would use it, over real HTTP. georeport reads (services, a service's definition, requests) in JSON
and XML; it has no call to submit, so the report is POSTed as the spec's form, then read back
through georeport."""
from __future__ import annotations

import asyncio

from georeport import GeoReport

from core.open311 import kecamatan_centroids
from tests.harness import PIN_ALPHA
from tests.test_open311 import SECRET, V2, api_world


async def test_georeport_lists_services_and_reads_back_a_submitted_request(db, region):
    async with api_world(db, region) as api:
        root = str(api.client.make_url(V2))
        client = GeoReport(root)
        as_xml = GeoReport(root, output_format="xml")

        services = await asyncio.to_thread(client.get_service_list)
        assert [s["service_code"] for s in services] == [c.code for c in region.categories]
        xml_services = await asyncio.to_thread(as_xml.get_service_list)
        assert [s["service_code"] for s in xml_services] == [c.code for c in region.categories]
        definition = await asyncio.to_thread(client.get_service_definition, "pengemis")
        assert [a["code"] for a in definition["attributes"]] == ["people_count", "age_group", "urgent", "landmark"]

        response = await api.client.post(f"{V2}/requests.json", data={
            "api_key": api.keys["submit"], "service_code": "pengemis", "lat": str(PIN_ALPHA[0]),
            "long": str(PIN_ALPHA[1]), "description": "RAHASIA-dari-klien"})
        assert response.status == 200, await response.text()
        ticket = (await response.json())[0]["service_request_id"]

        # Read back as anyone reads it: what may be published, the place at the kecamatan's centre.
        request = await asyncio.to_thread(client.get_service_request, ticket)
        assert request["service_request_id"] == ticket and request["status"] == "open"
        assert request["service_code"] == "pengemis" and request["description"] is None
        assert (request["lat"], request["long"]) == kecamatan_centroids(region)["Alpha"]
        assert request["agency_responsible"] == region.agency_label("satpolpp", "id")
        xml_request = await asyncio.to_thread(as_xml.get_service_request, ticket)
        assert xml_request["service_request_id"] == ticket and xml_request["status"] == "open"
        listed = await asyncio.to_thread(client.get_service_requests, status="open")
        assert ticket in [r["service_request_id"] for r in listed]
        every = await asyncio.to_thread(as_xml.get_service_requests)
        texts = str(every) + str(listed) + str(request)
        assert "RAHASIA" not in texts and SECRET.format(n=2) not in texts
