"""Who is asking, and the headers every answer carries.

The session cookie (aiohttp-session, with the storage below) holds only a random key; the session
and its officer are looked up in the database on every request (core.web_login), so a forged or
stolen-and-ended cookie opens nothing, and disabling an officer shuts them out at once. Each form
carries the session's CSRF token, checked on every POST; the cookie is SameSite=Strict as well.
"""
from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import AbstractStorage, Session, get_session

from core.web_login import SESSION_TTL, WebActor, load_web_session
from dashboard.context import DASHBOARD, PREFIX

COOKIE = "lapor_dasbor"
ACTOR = web.RequestKey("actor", WebActor)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def content_security_policy(basemap_url: str | None) -> str:
    """No inline script or style, nothing from another origin but the optional basemap's tiles."""
    images = "'self' data:"
    if basemap_url:
        parts = urlsplit(basemap_url)
        host = parts.netloc.replace("{s}.", "*.", 1)  # tile servers' a./b./c. subdomains
        images += f" {parts.scheme}://{host}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src {images}; connect-src 'self'; font-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


def security_headers(csp: str) -> Callable:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _apply(exc, csp)
            raise
        if request.path.startswith(f"{PREFIX}/static/") and response.status == 200:
            # The app's own CSS and scripts, the vendored ones among them: nothing personal.
            response.headers["Cache-Control"] = "public, max-age=86400"
        _apply(response, csp)
        return response

    return middleware


def _apply(response: web.StreamResponse, csp: str) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # A login link is a secret in a URL: no page tells another site where it came from.
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Pages about people are not kept by the browser or a proxy; the vendored scripts may be.
    headers.setdefault("Cache-Control", "no-store")


class DatabaseStorage(AbstractStorage):
    """aiohttp-session's storage with the session in the database: the cookie is the key."""

    def __init__(self, *, secure: bool) -> None:
        super().__init__(cookie_name=COOKIE, max_age=int(SESSION_TTL.total_seconds()), path=PREFIX,
                         httponly=True, secure=secure, samesite="Strict")

    async def load_session(self, request: web.Request) -> Session:
        key = self.load_cookie(request)
        dashboard = request.app[DASHBOARD]
        actor = None
        if key:
            async with dashboard.sessionmaker() as db:
                actor = await load_web_session(db, key=key, now=dashboard.clock.now())
        if actor is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        request[ACTOR] = actor
        return Session(key, data={"session": {"officer": actor.officer.id}}, new=False, max_age=self.max_age)

    async def save_session(self, request: web.Request, response: web.StreamResponse, session: Session) -> None:
        if session.empty or session.identity is None:
            self.save_cookie(response, "", max_age=session.max_age)
        else:
            self.save_cookie(response, str(session.identity), max_age=session.max_age)


async def current_actor(request: web.Request) -> WebActor | None:
    await get_session(request)  # loads it, and with it the actor
    return request.get(ACTOR)


async def check_csrf(request: web.Request, actor: WebActor) -> None:
    form = await request.post()
    given = form.get("csrf")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), actor.csrf_token.encode()):
        raise web.HTTPForbidden(text="The form has expired. Please go back, reload the page and try again.")
