"""A browser for the dashboard tests: real HTTP to the app's own port, cookies kept as a browser
keeps them, forms read from the page (the CSRF token is taken from the form, as a browser sends it)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDictProxy

LINK = re.compile(r"(https?://\S+/dasbor/masuk/[A-Za-z0-9_-]+)")


@dataclass
class Page:
    status: int
    text: str
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        # unsafe: keep cookies of an IP-address host (127.0.0.1), as a browser does.
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.requests: list[str] = []

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    async def get(self, path: str, *, follow: bool = True) -> Page:
        self.requests.append(self._url(path))
        async with self.session.get(self._url(path), allow_redirects=follow) as r:
            body = await r.read()
            return Page(r.status, body.decode("utf-8", "replace"), r.headers, body, str(r.url))

    async def post(self, path: str, data: dict, *, follow: bool = True) -> Page:
        self.requests.append(self._url(path))
        async with self.session.post(self._url(path), data=data, allow_redirects=follow) as r:
            body = await r.read()
            return Page(r.status, body.decode("utf-8", "replace"), r.headers, body, str(r.url))

    async def open_link(self, url: str, *, follow: bool = True) -> Page:
        """Opens a login link as a person does: the page, then its button."""
        page = await self.get(url)
        assert page.status == 200, page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token, "the login page has no button"
        return await self.post("/dasbor/masuk", {"token": token.group(1)}, follow=follow)

    async def close(self) -> None:
        await self.session.close()


def base(world) -> str:
    """The dashboard's address in a test world (tests/access_world.make_world(serve_http=True))."""
    return f"http://127.0.0.1:{world.h.http_port}"


async def logged_in(world, kind: str) -> Browser:
    """A browser logged in as `kind`, by the link the bot sent them on /dasbor."""
    message = await world.actors[kind].person.say("/dasbor")
    browser = Browser(base(world))
    page = await browser.open_link(link_in(message.text))
    assert page.status == 200 and page.url.endswith("/dasbor/"), (kind, page.status, page.text[:300])
    return browser


async def close(world, browsers) -> None:
    """The end of a dashboard test: its browsers, the app, the emulator."""
    for browser in browsers:
        await browser.close()
    await world.h.app.stop()
    await world.h.emu.stop()


def link_in(text: str | None) -> str:
    found = LINK.search(text or "")
    assert found, f"no login link in {text!r}"
    return found.group(1)
