"""The Open311 API's reads at scale: GET requests as the public and as keyed partners read them, at
10k, 100k and 1M reports.

The same database, growth and timing as bench/scale.py (one database grown step by step with the
product's generator, the same recent load at every size; median of --reps runs after two warm-up
runs, each on a fresh session; growth t(size)/t(first size); SELECT 1 as the noise floor). Each
operation is what GET requests does: core.open311.parse_query, list_requests (or get_request) and
the JSON or XML body open311.render writes, at the spec's largest page (1,000 requests):

  public, last 90 days          no key: the default window, newest first, as published
  public, page 2                the same, from the first page's cursor
  public, XML                   the first page as XML
  public, open                  status=open (the open reports, found by their state)
  public, one category, closed  service_code=anak_jalanan&status=closed
  read-all key / agency key     the default window, read in full (every report, or Satpol PP's)
  one request, recent / old     GET requests/{id} of a report of the last week, of a year ago
  20 requests by id             service_request_id=a,b,... (20 tickets of the last week)

How to read it: every list reads at most one page of the default window (90 days, the same number
of reports at every size), or the open reports, or tickets by their unique index: flat from 10k.

    .venv/bin/python -m bench.open311 --quick                       # 2k, 5k on SQLite, a smoke run
    .venv/bin/python -m bench.open311 --database both               # 10k, 100k, 1M on both databases
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench._data import GrowingHistory
from bench.scale import Operations, main
from core import open311
from core.access import PartnerFacts
from core.region import RegionConfig
from open311.render import respond

READ_ALL = PartnerFacts(key_id=1, partner="Inspektorat", scope="read-all")
SATPOL = PartnerFacts(key_id=2, partner="Satpol PP", scope="agency:satpolpp")


class Open311Operations(Operations):
    def __init__(self, engine: AsyncEngine, region: RegionConfig, now: datetime, gen: GrowingHistory) -> None:
        super().__init__(engine, region, now, gen)
        self.cursor: str | None = None

    def all(self) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
        recent, old = self.tickets("recent"), self.tickets("old")
        ops: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("SELECT 1 (round trip)", self.select1),
            ("public, last 90 days (1,000)", lambda: self.list({})),
            ("public, page 2", self.second_page),
            ("public, XML", lambda: self.list({}, fmt="xml")),
            ("public, open", lambda: self.list({"status": "open"})),
            ("public, one category, closed", lambda: self.list({"service_code": "anak_jalanan", "status": "closed"})),
            ("read-all key, last 90 days", lambda: self.list({}, partner=READ_ALL)),
            ("agency key, last 90 days", lambda: self.list({}, partner=SATPOL)),
        ]
        if self.gen.recent_tickets:
            ops.append(("one request, recent", lambda: self.one(next(recent))))
            ops.append(("20 requests by id", lambda: self.list(
                {"service_request_id": ",".join(next(recent) for _ in range(20))})))
        if self.gen.old_tickets:
            ops.append(("one request, a year old", lambda: self.one(next(old))))
        return ops

    async def list(self, params: dict[str, str], *, partner: PartnerFacts | None = None,
                   fmt: str = "json") -> str | None:
        query = open311.parse_query(self.region, params, self.now)
        async with self.sm() as session:
            page = await open311.list_requests(session, self.region, partner=partner, query=query)
        _body(fmt, page.requests)
        return page.next_after

    async def second_page(self) -> None:
        if self.cursor is None:  # the first page's cursor, read once (in the warm-up)
            self.cursor = await self.list({})
        await self.list({"after": self.cursor} if self.cursor else {})

    async def one(self, ticket: str) -> None:
        async with self.sm() as session:
            found = await open311.get_request(session, self.region, partner=None, ticket=ticket)
        _body("json", [found])


def _body(fmt: str, value: Any) -> None:
    assert respond(fmt, "service_requests", value).body


if __name__ == "__main__":
    main(Open311Operations, __doc__ or "", "The Open311 API at scale", "bench_open311")
