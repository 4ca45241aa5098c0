"""Only registered officers get past this point; who they are comes from the database."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from core.i18n import translator
from core.officers import find_officer, record_unregistered

INVITE_PREFIX = "/start "


class OfficerMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        session = data["session"]
        officer = await find_officer(session, user.id)
        region = data["region"]
        if officer is not None:
            data["officer"] = officer
            data["tr"] = translator(officer.language)
            return await handler(event, data)
        tr = translator(region.region.default_language)
        data["officer"], data["tr"] = None, tr
        if isinstance(event, Message) and (event.text or "").startswith(INVITE_PREFIX):
            return await handler(event, data)  # an invite link being redeemed
        what = "button" if isinstance(event, CallbackQuery) else (event.text or event.content_type)[:32]
        await record_unregistered(session, now=data["clock"].now(), telegram_id=user.id, what=what)
        text = tr.plain("This bot is for registered officers of {region}. You are not registered; "
                        "ask your agency's admin for an invitation link.", region=region.region.name)
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message) and event.chat.type == "private":
            await event.answer(text)
        return None
