"""/dasbor: a one-time link into the web dashboard, for the officer who asks, in their private chat."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.handlers.queue import require
from core.access import Channel, View
from core.clock import Clock
from core.i18n import Translator
from core.officers import OfficerInfo
from core.region import RegionConfig
from core.web_login import LoginRefused, issue_login_link
from core.when import clock_time

LOGIN_PATH = "/dasbor/masuk/"


def router() -> Router:
    r = Router(name="backoffice-dashboard")

    @r.message(Command("dasbor", "dashboard"))
    async def dashboard_link(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator,
                             session: AsyncSession, clock: Clock, region: RegionConfig,
                             dashboard_url: str | None = None) -> None:
        # A link posted in a group would let its members in: private chat only (the policy's rule).
        require(officer, View.HELP, channel)
        if not dashboard_url:
            await message.answer(tr("The web dashboard is not switched on for this region yet. "
                                    "Ask the operator to serve it (HTTP_PORT, WEB_URL)."))
            return
        try:
            link = await issue_login_link(session, officer_id=officer.id, now=clock.now())
        except LoginRefused as exc:
            await message.answer(tr(exc.reason))
            return
        until = clock_time(link.expires_at.astimezone(region.tz), tr.lang)
        # No preview: Telegram's preview fetch must not be the link's first visitor.
        await message.answer(
            tr("🔑 Your login link to the dashboard. It works once, until {time}; do not forward it.",
               time=until) + f"\n\n{dashboard_url.rstrip('/')}{LOGIN_PATH}{link.token}",
            link_preview_options=LinkPreviewOptions(is_disabled=True))

    return r
