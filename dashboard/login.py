"""Coming in with a one-time link, and going out.

Opening the link (GET) only shows a button: link previews and mail scanners fetch URLs, and a GET
that spent the link would let them use it up, or log them in. The button posts the token, and only
that starts the session.
"""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import get_session, new_session

from core.web_login import WebActor, end_web_session, redeem_login_link
from dashboard.context import DASHBOARD, PREFIX
from dashboard.render import render
from dashboard.security import COOKIE, check_csrf, current_actor


async def login_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    return render(request, "login.html", await current_actor(request), token=token)


async def login(request: web.Request) -> web.Response:
    dashboard = request.app[DASHBOARD]
    form = await request.post()
    token = form.get("token")
    started = None
    if isinstance(token, str):
        async with dashboard.sessionmaker() as db:
            started = await redeem_login_link(db, token=token, now=dashboard.clock.now())
    if started is None:
        return render(request, "login_failed.html", None, status=403)
    # A session opened before (another officer's, on a shared computer) is replaced, not joined.
    old = await get_session(request)
    if not old.new:
        old.invalidate()
    session = await new_session(request)
    session.set_new_identity(started.key)
    session["officer"] = started.officer.id
    raise web.HTTPSeeOther(f"{PREFIX}/")


async def logout(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    if actor is not None:
        await check_csrf(request, actor)
        dashboard = request.app[DASHBOARD]
        async with dashboard.sessionmaker() as db:
            await end_web_session(db, key=request.cookies.get(COOKIE, ""), now=dashboard.clock.now())
        (await get_session(request)).invalidate()
    return render(request, "logged_out.html", None, language=actor.officer.language if actor else None)


async def need_login(request: web.Request) -> web.Response:
    """Where every page sends a visitor without a live session: how to get a link."""
    return render(request, "need_login.html", None, status=401)


PageHandler = Callable[[web.Request, WebActor], Awaitable[web.StreamResponse]]


def logged_in(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The page for someone with a live session; anyone else is told how to get a link. A POST
    must carry the session's CSRF token."""

    @functools.wraps(handler)
    async def page(request: web.Request) -> web.StreamResponse:
        actor = await current_actor(request)
        if actor is None:
            return await need_login(request)
        if request.method == "POST":
            await check_csrf(request, actor)
        return await handler(request, actor)

    return page
