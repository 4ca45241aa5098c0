"""What the dashboard is given by the app that serves it (lapor wires it): nothing is read from
the environment here."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.region import RegionConfig

# A photo's bytes by the citizen bot's file id (None: Telegram no longer has it).
PhotoSource = Callable[[str], Awaitable[bytes | None]]


@dataclass
class Dashboard:
    sessionmaker: async_sessionmaker[AsyncSession]
    region: RegionConfig
    clock: Clock
    # Behind https (a reverse proxy): the session cookie is sent only over https.
    secure_cookies: bool = False
    # A tile server for the map's background, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png.
    # None: the map draws the region's own boundaries on a plain background, with no request out.
    basemap_url: str | None = None
    photos: PhotoSource | None = None


DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard", Dashboard)
PREFIX = "/dasbor"
