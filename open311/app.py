"""The Open311 GeoReport v2 endpoints, each as `.json` or `.xml`:

    GET discovery, services, services/{code}, requests, requests/{id}, tokens/{id}
    POST requests (a key with the submit scope)

A handler is a translator: the query string in -> core.open311 (what may be read is the policy's,
core.access, asked there) -> JSON or XML out (open311.render). A client may present `api_key`; an
unknown or revoked key is refused with 403 rather than served as if there were none, so a partner
notices a revoked key at once. Error descriptions are English: the spec's clients and partners'
developers read them, residents never do.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import open311
from core.access import PartnerFacts
from core.clock import Clock
from core.open311 import Open311Error
from core.partner_keys import resolve_key
from core.region import RegionConfig
from open311.render import errors, respond

PREFIX = "/open311/v2"
FMT = "{fmt:(json|xml)}"
BAD_KEY = "api_key is not valid (unknown or revoked); ask the operator of this service for a key"


@dataclass
class Open311:
    sessionmaker: async_sessionmaker[AsyncSession]
    region: RegionConfig
    clock: Clock


OPEN311: web.AppKey[Open311] = web.AppKey("open311", Open311)
Params = MultiDictProxy[str]
Handler = Callable[[web.Request, Open311, AsyncSession, PartnerFacts | None, str, Params],
                   Awaitable[web.Response]]
# What of a request the audit log keeps of a keyed use: the filters, never a description.
AUDITED = ("service_request_id", "service_code", "start_date", "end_date", "status", "page_size")


def _fmt(request: web.Request) -> str:
    fmt = request.match_info.get("fmt")
    if fmt in ("json", "xml"):
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _details(request: web.Request, params: Params, endpoint: str) -> dict[str, Any]:
    """What a keyed use asked for, for the audit log (never the key itself, nor what was written)."""
    asked = {k: params[k][:80] for k in AUDITED if params.get(k)}
    return {"endpoint": endpoint, **({"params": asked} if asked else {}),
            **({"id": request.match_info["id"][:40]} if "id" in request.match_info else {})}


async def _params(request: web.Request) -> Params:
    """The query string, and for a POST its form fields (files are not taken)."""
    params: MultiDict[str] = MultiDict(request.query)
    if request.method == "POST":
        for key, value in (await request.post()).items():
            if isinstance(value, str):
                params.add(key, value)
    return MultiDictProxy(params)


def endpoint(name: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler with what every endpoint does: the format, the key (resolved and its use
    audited), a session, and the spec's errors."""

    async def handle(request: web.Request) -> web.Response:
        ctx = request.app[OPEN311]
        fmt = _fmt(request)
        try:
            params = await _params(request)
            async with ctx.sessionmaker() as session:
                partner = None
                key = params.get("api_key")
                if key is not None:
                    partner = await resolve_key(session, key=key.strip(), now=ctx.clock.now(),
                                                use=f"{request.method} {name}",
                                                details=_details(request, params, name))
                    if partner is None:
                        return errors(fmt, 403, BAD_KEY)
                return await handler(request, ctx, session, partner, fmt, params)
        except Open311Error as exc:
            return errors(fmt, exc.status, exc.description, retry_after=exc.retry_after)

    return handle


def _lang(params: Params) -> str | None:
    return params.get("locale") or params.get("lang")


async def discovery(request: web.Request, ctx: Open311, session: AsyncSession, partner: PartnerFacts | None,
                    fmt: str, params: Params) -> web.Response:
    base = f"{request.scheme}://{request.host}{PREFIX}"
    return respond(fmt, "discovery", open311.discovery(ctx.region, base))


async def services(request: web.Request, ctx: Open311, session: AsyncSession, partner: PartnerFacts | None,
                   fmt: str, params: Params) -> web.Response:
    return respond(fmt, "services", open311.services(ctx.region, _lang(params)))


async def service_definition(request: web.Request, ctx: Open311, session: AsyncSession,
                             partner: PartnerFacts | None, fmt: str, params: Params) -> web.Response:
    return respond(fmt, "service_definition",
                   open311.service_definition(ctx.region, request.match_info["code"], _lang(params)))


async def requests_list(request: web.Request, ctx: Open311, session: AsyncSession, partner: PartnerFacts | None,
                        fmt: str, params: Params) -> web.Response:
    query = open311.parse_query(ctx.region, params, ctx.clock.now())
    page = await open311.list_requests(session, ctx.region, partner=partner, query=query, lang=_lang(params))
    headers = {}
    if page.next_after is not None:
        # The body stays the spec's plain list; the next page is a link, as in RFC 8288.
        following = request.rel_url.update_query(after=page.next_after)
        headers["Link"] = f'<{following}>; rel="next"'
    return respond(fmt, "service_requests", page.requests, headers=headers)


async def request_one(request: web.Request, ctx: Open311, session: AsyncSession, partner: PartnerFacts | None,
                      fmt: str, params: Params) -> web.Response:
    found = await open311.get_request(session, ctx.region, partner=partner, ticket=request.match_info["id"],
                                      lang=_lang(params))
    return respond(fmt, "service_requests", [found])


async def token(request: web.Request, ctx: Open311, session: AsyncSession, partner: PartnerFacts | None,
                fmt: str, params: Params) -> web.Response:
    return respond(fmt, "service_requests", [await open311.token_of(session, request.match_info["id"])])


async def requests_post(request: web.Request, ctx: Open311, session: AsyncSession, partner: PartnerFacts | None,
                        fmt: str, params: Params) -> web.Response:
    created = await open311.submit_request(session, clock=ctx.clock, region=ctx.region, partner=partner,
                                           params=params, lang=_lang(params))
    # 200, as FixMyStreet answers (the spec names no status; clients check for 200).
    return respond(fmt, "service_requests", [created])


@web.middleware
async def spec_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                      ) -> web.StreamResponse:
    """aiohttp's own 404 and 405 as the spec's error list."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return errors(_fmt(request), 404, "no such endpoint; GET discovery.json lists them")
    except web.HTTPMethodNotAllowed:
        return errors(_fmt(request), 405, f"{request.method} is not served here")


def build_open311(ctx: Open311) -> web.Application:
    app = web.Application(middlewares=[spec_errors])
    app[OPEN311] = ctx
    routes = [
        (f"/discovery.{FMT}", "discovery", discovery),
        (f"/services.{FMT}", "services", services),
        ("/services/{code:[A-Za-z0-9_-]+}." + FMT, "service_definition", service_definition),
        (f"/requests.{FMT}", "requests", requests_list),
        ("/requests/{id:[A-Za-z0-9_-]+}." + FMT, "request", request_one),
        ("/tokens/{id:[A-Za-z0-9_-]+}." + FMT, "token", token),
    ]
    for path, name, handler in routes:
        app.router.add_get(path, endpoint(name, handler))
    app.router.add_post(f"/requests.{FMT}", endpoint("requests", requests_post))
    return app


def mount_open311(web_app: web.Application, ctx: Open311) -> None:
    web_app.add_subapp(PREFIX, build_open311(ctx))
