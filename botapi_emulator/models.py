"""State kept by the emulator: chats, messages, callback queries, files, errors.

The same Message objects are what test users read, so an edit made by a bot is visible through
every reference a test already holds (``user.last_message.text`` follows edits).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class ApiError(Exception):
    """An error answer, rendered as Telegram's envelope."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


class CallRecord(NamedTuple):
    bot_id: int | None
    method: str
    chat_id: int | None
    status: int
    description: str | None = None  # the error's text, for calls that were refused


@dataclass(eq=False)
class StoredFile:
    file_id: str
    file_unique_id: str
    bot_id: int  # a file_id is only valid for the bot that received it
    kind: str  # photo, document, sticker, voice
    data: bytes
    file_path: str
    meta: dict[str, Any] = field(default_factory=dict)  # width/height/file_name/mime_type...

    def to_api(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": len(self.data), **self.meta}  # fmt: skip


@dataclass(eq=False)
class Message:
    """One message in a chat, sent by a bot or by a test user."""

    chat: Chat
    message_id: int
    date: int
    sender: dict[str, Any]  # the User object in "from"
    from_bot: bool
    text: str | None = None  # plain text, tags stripped, entities unescaped
    entities: list[dict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    html: str | None = None  # text or caption exactly as the bot sent it
    parse_mode: str | None = None
    # As sent: a bot that sends a one-time link turns previews off, so no preview fetch opens it.
    link_preview_options: dict[str, Any] | None = None
    reply_markup: dict[str, Any] | None = None  # as sent, any keyboard kind
    photo_sizes: list[dict] = field(default_factory=list)
    document: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    venue: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    sticker: dict[str, Any] | None = None
    voice: dict[str, Any] | None = None
    media_group_id: str | None = None
    reply_to: Message | None = None
    edit_date: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # snapshots before each edit
    deleted: bool = False
    # Telegram sent a press on it as an InaccessibleMessage (too old): the bot cannot edit it.
    inaccessible: bool = False

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        buttons = f" {self.buttons}" if self.buttons else ""
        return f"<Message {self.message_id} from {who} in {self.chat.id}: {self.summary()!r}{buttons}>"

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def photo(self) -> list[str] | None:
        """File ids of the photo sizes, smallest first (like Telegram), or None."""
        return [size["file_id"] for size in self.photo_sizes] or None

    @property
    def inline_keyboard(self) -> list[list[dict]] | None:
        markup = self.reply_markup or {}
        return markup.get("inline_keyboard")

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the inline keyboard, row by row."""
        return [[button["text"] for button in row] for row in self.inline_keyboard or []]

    @property
    def button_data(self) -> dict[str, str]:
        return {
            button["text"]: button["callback_data"]
            for row in self.inline_keyboard or []
            for button in row
            if "callback_data" in button
        }

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        rows = (self.reply_markup or {}).get("keyboard")
        if rows is None:
            return None
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    @property
    def removes_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("remove_keyboard"))

    def snapshot(self) -> dict[str, Any]:
        return {"text": self.text, "caption": self.caption, "html": self.html,
                "reply_markup": self.reply_markup, "edit_date": self.edit_date}  # fmt: skip

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object as the Bot API renders it."""
        data: dict[str, Any] = {"message_id": self.message_id, "from": self.sender,
                                "chat": self.chat.to_api(), "date": self.date}  # fmt: skip
        optional = {
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "photo": self.photo_sizes,
            "document": self.document,
            "location": self.location,
            "venue": self.venue,
            "contact": self.contact,
            "sticker": self.sticker,
            "voice": self.voice,
            "media_group_id": self.media_group_id,
            "edit_date": self.edit_date,
            "link_preview_options": self.link_preview_options,
        }
        data.update({key: value for key, value in optional.items() if value})
        if self.text is not None:
            data["text"] = self.text
        if self.inline_keyboard is not None:
            # Telegram echoes only inline keyboards; reply keyboards belong to the client.
            data["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return data

    def summary(self) -> str:
        """One line for transcripts."""
        if self.text is not None:
            body = self.text
        elif self.photo_sizes:
            body = "[photo]" + (f" {self.caption}" if self.caption else "")
        elif self.venue:
            body = f"[venue] {self.venue['title']}, {self.venue['address']}"
        elif self.location:
            body = f"[location] {self.location['latitude']}, {self.location['longitude']}"
        elif self.document:
            body = f"[document] {self.document.get('file_name', '')}" + (
                f" {self.caption}" if self.caption else ""
            )
        elif self.contact:
            body = f"[contact] {self.contact['phone_number']}"
        elif self.sticker:
            body = f"[sticker] {self.sticker.get('emoji', '')}"
        elif self.voice:
            body = f"[voice] {self.voice.get('duration', 0)}s"
        else:
            body = "[message]"
        flags = " (edited)" * self.edited + " (deleted)" * self.deleted
        return body + flags


@dataclass(eq=False)
class Chat:
    id: int
    type: str  # "private" or "group"
    title: str | None = None
    user: dict[str, Any] | None = None  # the other side of a private chat
    bot_ids: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    edit_log: list[Message] = field(default_factory=list)  # one entry per edit, in order
    timeline: list[Message | CallbackQuery] = field(default_factory=list)  # for transcripts
    actions: list[str] = field(default_factory=list)  # sendChatAction history
    blocked: bool = False  # the user blocked the bot (private chats)
    next_message_id: int = 1

    def __repr__(self) -> str:
        return f"<Chat {self.id} {self.type} messages={len(self.messages)}>"

    def to_api(self) -> dict[str, Any]:
        if self.type == "private":
            assert self.user is not None
            data = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
            if self.user.get("username"):
                data["username"] = self.user["username"]
            return data
        return {"id": self.id, "type": self.type, "title": self.title}

    def new_message(self, sender: dict[str, Any], *, from_bot: bool, **content: Any) -> Message:
        message = Message(self, self.next_message_id, int(time.time()), sender, from_bot, **content)
        self.next_message_id += 1
        self.messages.append(message)
        self.timeline.append(message)
        return message

    def find(self, message_id: int) -> Message | None:
        for message in reversed(self.messages):
            if message.message_id == message_id:
                return None if message.deleted else message
        return None


@dataclass(eq=False)
class CallbackQuery:
    id: str
    bot_id: int
    user_id: int
    message: Message
    data: str
    label: str | None = None  # the button's text when tapped (None for forged data)
    created: float = field(default_factory=time.monotonic)  # real time: answers are judged live
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


# Update types Telegram delivers when a bot never asked for specific ones.
DEFAULT_UPDATE_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}


@dataclass(eq=False)
class UpdateQueue:
    """A bot's updates: pending until a getUpdates offset (or a webhook 2xx) confirms them."""

    pending: list[dict] = field(default_factory=list)  # ordered by update_id
    requeued: set[int] = field(default_factory=set)  # redelivered, not yet handed out again
    confirmed: dict[int, dict] = field(default_factory=dict)  # kept for redeliver()
    next_id: int = 1
    keep_confirmed: int = 10_000

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self.next_id, kind: payload}
        self.next_id += 1
        self.pending.append(update)
        return update

    def _archive(self, updates: list[dict]) -> None:
        for update in updates:
            self.confirmed[update["update_id"]] = update
            self.requeued.discard(update["update_id"])
        while len(self.confirmed) > self.keep_confirmed:
            del self.confirmed[next(iter(self.confirmed))]

    def confirm(self, offset: int) -> None:
        """getUpdates' offset: confirm every update below it; a negative offset keeps only the
        last -offset updates. A redelivered update survives until it has been handed out once,
        otherwise a live poller (whose offset is already past it) would never see it."""
        if offset > 0:
            done = [u for u in self.pending
                    if u["update_id"] < offset and u["update_id"] not in self.requeued]  # fmt: skip
        elif offset < 0:
            done = self.pending[:offset]
        else:
            return
        done_ids = {u["update_id"] for u in done}
        self.pending = [u for u in self.pending if u["update_id"] not in done_ids]
        self._archive(done)

    def confirm_update(self, update: dict) -> None:
        if any(u is update for u in self.pending):
            self.pending = [u for u in self.pending if u is not update]
            self._archive([update])

    def batch(self, limit: int) -> list[dict]:
        updates = self.pending[:limit]
        self.requeued.difference_update(u["update_id"] for u in updates)
        return updates

    def redeliver(self, update_id: int) -> None:
        if any(u["update_id"] == update_id for u in self.pending):
            return  # still pending: it will be delivered again anyway
        update = self.confirmed.pop(update_id, None)
        if update is None:
            raise KeyError(f"update {update_id} is unknown or too old to redeliver")
        self.pending.append(update)
        self.pending.sort(key=lambda u: u["update_id"])
        self.requeued.add(update_id)

    def drop_pending(self) -> None:
        self._archive(self.pending)
        self.pending = []


@dataclass(eq=False)
class BotState:
    id: int
    token: str
    username: str
    first_name: str
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    allowed_updates: list[str] = field(default_factory=list)  # empty = Telegram's default set
    poll_generation: int = 0  # bumped by each getUpdates; an older long poll then gets 409
    webhook: dict[str, Any] | None = None
    webhook_error: tuple[int, str] | None = None  # (unix time, message) of the last failure
    commands: dict[tuple[str, str], list[dict]] = field(default_factory=dict)

    def wants(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_UPDATE_EXCLUDED

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name,
                "username": self.username}  # fmt: skip
