"""/start (and invite links) and /bantuan for officers."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.handlers.queue import require
from core.access import Channel, View
from core.clock import Clock
from core.i18n import Translator, translator
from core.officers import OfficerInfo, redeem_invite
from core.refusals import record_refusal
from core.region import RegionConfig


def help_text(tr: Translator, officer: OfficerInfo, region: RegionConfig) -> str:
    agency = region.agency(officer.agency).short.get(tr.lang)
    return "\n".join([
        tr("👮 <b>Lapor PMKS — officers</b>, {agency}", agency=agency),
        tr("You are registered as {name} ({role}).", name=officer.name, role=officer.role.value),
        tr("New reports for your agency arrive here as alerts: tap ✋ Acknowledge to take one."),
    ])


def router() -> Router:
    r = Router(name="backoffice-start")

    @r.message(CommandStart())
    async def start(message: Message, command: CommandObject, officer: OfficerInfo | None, channel: Channel,
                    tr: Translator, region: RegionConfig, session: AsyncSession, clock: Clock) -> None:
        if officer is None:
            # Only in a private chat (backoffice.middlewares lets nothing else through to here).
            user = message.from_user
            assert user is not None  # the middleware answers only updates with a sender
            code = (command.args or "").strip()
            registered = await redeem_invite(
                session, now=clock.now(), code=code, telegram_id=user.id, chat_id=message.chat.id,
                name=user.full_name, language=region.region.default_language) if code else None
            if registered is None:
                await record_refusal(session, now=clock.now(), telegram_id=user.id,
                                     chat_id=message.chat.id, what="invalid invite")
                await message.answer(tr("This invitation link is not valid any more (used or expired). "
                                        "Ask your agency's admin for a new one."))
                return
            officer, tr = registered, translator(registered.language)
            await message.answer(tr("✅ Welcome, {name}! You are now registered.", name=officer.name))
        require(officer, View.HELP, channel)
        await message.answer(help_text(tr, officer, region))

    @r.message(Command("bantuan", "help"))
    async def help_(message: Message, officer: OfficerInfo, channel: Channel, tr: Translator,
                    region: RegionConfig) -> None:
        require(officer, View.HELP, channel)
        await message.answer(help_text(tr, officer, region))

    return r
