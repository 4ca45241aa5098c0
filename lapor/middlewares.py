"""Middlewares both bots share: one database session per update, opened before anything else looks
at it; and the message a pressed button is on, as every handler edits it.

A press names the message its button is on, and handlers answer it by editing that message. Two
things go wrong with that on Telegram, and both are handled here, once, for every handler:

- Telegram may send the message as inaccessible (an InaccessibleMessage: deleted, or too old for
  the bot to edit, as a rating request pressed days later is). The press still does its work; what
  the handler would have edited into the message comes as a fresh message in the same chat.
- An edit into what the message already shows is refused ("400 message is not modified"): a
  keyboard removed twice by a double press, the same page of a list shown again. Such an edit is not
  made; and if Telegram refuses one anyway, it is taken as done.

StaleButtonMiddleware hands each handler a PressedMessage in place of the update's message, whose
edit_text, edit_caption and edit_reply_markup do the above: handlers call them as they would on any
Message (each bot's `shown(callback)` returns it), and import nothing from here (nothing imports
lapor). Telegram marks an inaccessible message with date 0, and so does its stand-in.
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.default import Default
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageCaption, EditMessageReplyMarkup, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup, Message, TelegramObject
from pydantic import PrivateAttr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.i18n import N_
from core.outbox import OUTBOX_TOUCHED

log = logging.getLogger(__name__)

# Above a keyboard that can only come as a fresh message (the message it was for is inaccessible).
CHOOSE_BELOW = N_("Please choose below.")
# Telegram's refusals of an edit to a message that cannot take it: deleted, too old, or not text.
_CANNOT_EDIT = ("message to edit not found", "message can't be edited", "there is no text in the message to edit",
                "there is no caption in the message to edit")


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], after: Callable[[], None] | None = None) -> None:
        self.sessionmaker = sessionmaker
        self.after = after

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            try:
                return await handler(event, data)
            finally:
                # A service queued messages: the outbox worker looks now, not at its next tick.
                if self.after is not None and session.info.get(OUTBOX_TOUCHED):
                    self.after()


# --- what a message shows -----------------------------------------------------------------------

def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _entities(entities: list | None) -> str | None:
    return _json([e.model_dump(mode="json", exclude_none=True) for e in entities]) if entities else None


def _markup(markup: Any) -> str | None:
    """An inline keyboard as Telegram compares it: no buttons at all is no keyboard."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return None
    rows = [[button.model_dump(mode="json", exclude_none=True) for button in row] for row in markup.inline_keyboard]
    rows = [row for row in rows if row]
    return _json(rows) if rows else None


@dataclass(frozen=True)
class Look:
    """What a message shows, as Telegram compares it for "message is not modified"."""

    text: str | None
    entities: str | None
    caption: str | None
    caption_entities: str | None
    markup: str | None

    @classmethod
    def of(cls, message: Message) -> Look:
        return cls(message.text, _entities(message.entities), message.caption,
                   _entities(message.caption_entities), _markup(message.reply_markup))


@dataclass(frozen=True)
class _Edited:
    """A message as this process last edited it: what it shows, the HTML that shows it, and what it
    showed before (a press sent before the edit carries one of those)."""

    look: Look
    html: frozenset[str]
    before: tuple[Look, ...]
    edit_date: int


class EditMemory:
    """The messages a bot edited lately (one per dispatcher, so per bot and process). A second
    press sent before the first was handled carries the message as it was before; this remembers
    what the first press made of it. Bounded: the oldest are forgotten first."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._edited: OrderedDict[tuple[int, int, int], _Edited] = OrderedDict()

    def get(self, key: tuple[int, int, int]) -> _Edited | None:
        return self._edited.get(key)

    def put(self, key: tuple[int, int, int], edited: _Edited) -> None:
        self._edited[key] = edited
        self._edited.move_to_end(key)
        while len(self._edited) > self.limit:
            self._edited.popitem(last=False)

    def forget(self, key: tuple[int, int, int]) -> None:
        self._edited.pop(key, None)


# --- the pressed message ------------------------------------------------------------------------

Edit = EditMessageText | EditMessageCaption | EditMessageReplyMarkup


class PressedMessage(Message):
    """The message a button was pressed on, as its handler sees it. Its edits skip what would change
    nothing, and on a message the bot cannot edit (inaccessible, deleted since, a photo asked to
    show text) become a fresh message in the chat."""

    _inaccessible: bool = PrivateAttr(default=False)
    _memory: EditMemory | None = PrivateAttr(default=None)
    _prompt: str = PrivateAttr(default=CHOOSE_BELOW)

    @property
    def inaccessible(self) -> bool:
        """Telegram sent the message as inaccessible: nothing of it is known but its chat and id."""
        return self._inaccessible

    def edit_text(self, *args: Any, **kwargs: Any) -> EditMessageText:
        return self._guard(super().edit_text(*args, **kwargs), _GuardedEditText)

    def edit_caption(self, *args: Any, **kwargs: Any) -> EditMessageCaption:
        return self._guard(super().edit_caption(*args, **kwargs), _GuardedEditCaption)

    def edit_reply_markup(self, *args: Any, **kwargs: Any) -> EditMessageReplyMarkup:
        return self._guard(super().edit_reply_markup(*args, **kwargs), _GuardedEditReplyMarkup)

    def _guard(self, method: Any, cls: Any) -> Any:
        guarded = cls.model_construct(_fields_set=method.model_fields_set, **dict(method))
        guarded._pressed = self
        return guarded.as_(self._bot) if self._bot is not None else guarded

    # -- carrying an edit out

    def _key(self, bot: Bot) -> tuple[int, int, int]:
        return bot.id, self.chat.id, self.message_id

    def _current(self, bot: Bot) -> tuple[Look, frozenset[str]]:
        """What the message shows now, as far as this process knows, and HTML known to show it."""
        seen = Look.of(self)
        edited = self._memory.get(self._key(bot)) if self._memory is not None else None
        if edited is not None and (seen == edited.look or (
                seen in edited.before and (self.edit_date or 0) <= edited.edit_date)):
            return edited.look, edited.html
        return seen, frozenset({self.html_text}) if (self.text or self.caption) else frozenset()

    async def carry_out(self, bot: Bot, method: Edit) -> Message | bool:
        if self._inaccessible or not _fits(self, method):
            return await self._instead(bot, method)
        look, html = self._current(bot)
        if _changes_nothing(bot, method, look, html):
            log.debug("%s on message %s: it already shows that; not sent", method.__api_method__, self.message_id)
            return True
        try:
            result = await bot(method)
        except TelegramBadRequest as exc:
            text = exc.message.lower()
            if "message is not modified" in text:  # shown otherwise than this process knows: learn it next time
                log.info("%s: the message already shows this", method.__api_method__)
                if self._memory is not None:
                    self._memory.forget(self._key(bot))
                return True
            if any(reason in text for reason in _CANNOT_EDIT):
                log.info("%s on message %s refused (%s); sending a new message instead",
                         method.__api_method__, self.message_id, exc.message)
                self._inaccessible = True
                return await self._instead(bot, method)
            raise
        if self._memory is not None:
            if isinstance(result, Message):
                edited = self._memory.get(self._key(bot))
                before = (*(edited.before[-3:] if edited and look == edited.look else ()), look)
                given = _given_html(bot, method)
                self._memory.put(self._key(bot), _Edited(
                    Look.of(result), frozenset({result.html_text, *([given] if given is not None else [])}),
                    before, result.edit_date or 0))
            else:  # "not modified", taken as done on the way: what it shows exactly is not known
                self._memory.forget(self._key(bot))
        return result

    async def _instead(self, bot: Bot, method: Edit) -> Message | bool:
        """What the edit would have shown, as a new message; a keyboard taken away needs none."""
        markup = method.reply_markup
        if isinstance(method, EditMessageText) and method.text:
            send = SendMessage(chat_id=self.chat.id, text=method.text, parse_mode=method.parse_mode,
                               entities=method.entities, link_preview_options=method.link_preview_options,
                               reply_markup=markup)
        elif isinstance(method, EditMessageCaption) and method.caption:
            send = SendMessage(chat_id=self.chat.id, text=method.caption, parse_mode=method.parse_mode,
                               entities=method.caption_entities, reply_markup=markup)
        elif _markup(markup) is not None:
            send = SendMessage(chat_id=self.chat.id, text=self._prompt, reply_markup=markup)
        else:
            return True
        return await bot(send)


class _GuardedEditText(EditMessageText):
    _pressed: Any = PrivateAttr(default=None)

    async def emit(self, bot: Bot) -> Message | bool:
        return await self._pressed.carry_out(bot, self)


class _GuardedEditCaption(EditMessageCaption):
    _pressed: Any = PrivateAttr(default=None)

    async def emit(self, bot: Bot) -> Message | bool:
        return await self._pressed.carry_out(bot, self)


class _GuardedEditReplyMarkup(EditMessageReplyMarkup):
    _pressed: Any = PrivateAttr(default=None)

    async def emit(self, bot: Bot) -> Message | bool:
        return await self._pressed.carry_out(bot, self)


def _fits(message: Message, method: Edit) -> bool:
    """Whether the message has what the edit changes: text for a text, media for a caption."""
    if isinstance(method, EditMessageText):
        return message.text is not None
    if isinstance(method, EditMessageCaption):
        return any(getattr(message, kind) is not None for kind in ("photo", "document", "video", "animation",
                                                                  "audio", "voice"))
    return True


def _parse_mode(bot: Bot, value: Any) -> str | None:
    return bot.default[value.name] if isinstance(value, Default) else value


def _given_html(bot: Bot, method: Edit) -> str | None:
    """The HTML an edit gives for the message's text or caption (None: not HTML, or no text)."""
    if isinstance(method, EditMessageReplyMarkup):
        return None
    text = method.text if isinstance(method, EditMessageText) else method.caption
    entities = method.entities if isinstance(method, EditMessageText) else method.caption_entities
    if text is None or entities or (_parse_mode(bot, method.parse_mode) or "").upper() != "HTML":
        return None
    return text


def _changes_nothing(bot: Bot, method: Edit, look: Look, html: frozenset[str]) -> bool:
    if _markup(method.reply_markup) != look.markup:
        return False
    if isinstance(method, EditMessageReplyMarkup):
        return True
    given = _given_html(bot, method)
    shown_text = look.text if isinstance(method, EditMessageText) else look.caption
    return given is not None and shown_text is not None and given in html


def pressed(message: Message | InaccessibleMessage, *, memory: EditMemory | None = None,
            prompt: str = CHOOSE_BELOW) -> PressedMessage:
    """The PressedMessage for a press's message: the same message, or for an inaccessible one a
    stand-in that knows only its chat and id."""
    if isinstance(message, Message):
        result = PressedMessage.model_construct(_fields_set=message.model_fields_set, **dict(message))
    else:
        result = PressedMessage.model_construct(message_id=message.message_id, chat=message.chat,
                                                date=datetime.fromtimestamp(0, UTC))
        result._inaccessible = True
    result._memory, result._prompt = memory if memory is not None else EditMemory(limit=8), prompt
    bot = message.bot
    return result.as_(bot) if bot is not None else result


class StaleButtonMiddleware(BaseMiddleware):
    """Gives every press's handler a PressedMessage (see the module's docstring). A press on an old
    (stale) button, whose message Telegram sends as inaccessible, is handled like any other, and
    answered (CallbackAnswerMiddleware); what it shows comes as a fresh message.
    Registered after the middleware that resolves the sender, whose translator words the line above
    a keyboard that has to come as a fresh message."""

    def __init__(self) -> None:
        self.memory = EditMemory()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, CallbackQuery) and event.message is not None \
                and not isinstance(event.message, PressedMessage):
            tr = data.get("tr")
            message = pressed(event.message, memory=self.memory, prompt=tr(CHOOSE_BELOW) if tr else CHOOSE_BELOW)
            event = event.model_copy(update={"message": message})
        return await handler(event, data)

