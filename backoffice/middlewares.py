"""Who is asking, through which chat, and what a refusal looks like in Telegram.

The officer is loaded from the database on every update (a disabled officer is a stranger from
the next update on); the chat becomes a channel of the policy (core.access.channel_of). Typed
commands and texts are served in the officer's private chat only; a press on a button is left to
the policy, which lets an agency's duty group acknowledge and set off on its own reports.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User
from aiogram.utils.callback_answer import CallbackAnswer

from core.access import ONLY_PRIVATE, ChannelKind, channel_of
from core.i18n import N_, Translator, translator
from core.lifecycle import STATE_WORDS, ReportState
from core.officers import find_officer
from core.refusals import record_refusal
from core.report_access import ActionRefused

INVITE_PREFIX = "/start "
PRIVATE_ANSWERS = 3  # refusals answered per sender and hour in a private chat
NOT_REGISTERED = N_("This bot is for registered officers of {region}. You are not registered; "
                    "ask your agency's admin for an invitation link.")


class OfficerMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or user.is_bot:
            return None
        session, region, clock = data["session"], data["region"], data["clock"]
        channel = channel_of(region.agencies, chat_id=chat.id if chat else user.id,
                             chat_type=chat.type if chat else None, user_id=user.id)
        officer = await find_officer(session, user.id)
        data["channel"] = channel
        data["officer"] = officer
        tr = data["tr"] = translator(officer.language if officer else region.region.default_language)
        private = channel.kind == ChannelKind.PRIVATE
        if officer is not None and (private or isinstance(event, CallbackQuery)):
            return await handler(event, data)
        if officer is None and private and isinstance(event, Message) and (event.text or "").startswith(INVITE_PREFIX):
            return await handler(event, data)  # an invite link being redeemed
        what = "button" if isinstance(event, CallbackQuery) else (getattr(event, "text", None) or
                                                                  getattr(event, "content_type", "?"))
        count = await record_refusal(session, now=clock.now(), what=f"{channel.kind}:{what}"[:64],
                                     officer_id=officer.id if officer else None, telegram_id=user.id,
                                     chat_id=chat.id if chat else None)
        text = tr.plain(NOT_REGISTERED, region=region.region.name) if officer is None else tr.plain(ONLY_PRIVATE)
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message) and count <= (PRIVATE_ANSWERS if private else 1) and \
                (private or (event.text or "").startswith("/")):
            # A few answers an hour in a private chat, one to a command in a group, then silence:
            # a flood of strangers must not spend the send budget the officers' alerts need.
            await event.answer(text)
        return None


def shown(callback: CallbackQuery) -> Message:
    """The message the pressed button is on. lapor.middlewares.StaleButtonMiddleware gives every
    press one before any handler runs: the message as the update showed it, whose edits skip what
    would change nothing, or for a message Telegram sent as inaccessible (deleted, too old to edit)
    a stand-in whose edits come as fresh messages in the chat."""
    assert isinstance(callback.message, Message), "a press without its message reached a handler"
    return callback.message


def inaccessible(message: Message) -> bool:
    """Telegram sent the pressed message as inaccessible: date 0 is how it marks one (and so does
    the stand-in a handler gets for it). Nothing of it is known but its chat and id."""
    return message.date.timestamp() == 0


def refusal_args(tr: Translator, exc: ActionRefused) -> dict[str, str]:
    """A refusal's details as the officer reads them: a state in words, not its code."""
    args = dict(exc.args_)
    if args.get("state") in STATE_WORDS:
        args["state"] = tr.plain(STATE_WORDS[ReportState(args["state"])])
    return args


class RefusalMiddleware(BaseMiddleware):
    """Turns a refusal into the officer's answer, in one place: a press gets a short alert (and no
    re-rendered report), a typed message a reply. core.report_access recorded it already."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except ActionRefused as exc:
            tr: Translator = data["tr"]
            args = refusal_args(tr, exc)
            text = tr.plain(exc.reason, **args)
            answer: CallbackAnswer | None = data.get("callback_answer")
            if isinstance(event, CallbackQuery) and answer is not None:
                answer.text, answer.show_alert = text[:200], True
            elif isinstance(event, Message):
                await event.answer(tr(exc.reason, **args))
            return None
