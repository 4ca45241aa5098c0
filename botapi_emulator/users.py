"""Test-side Telegram users: they type, tap buttons and read what the bot answered.

Every action becomes a real update in the bot's queue, shaped like Telegram's. Actions are
synchronous (nothing to await: the update is queued at once); reading waits on the emulator's
change notifications, never on sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .html_check import utf16_len
from .models import BotState, CallbackQuery, Chat, Message

if TYPE_CHECKING:
    from .server import BotAPIEmulator

T = TypeVar("T")

# A few bytes that start like a JPEG; the emulator never decodes images.
_FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"emulated photo " * 64 + b"\xff\xd9"


class EmulatedUser:
    """One user talking to one bot (``with_bot`` gives the same person talking to another)."""

    def __init__(self, emulator: BotAPIEmulator, user_id: int, bot_token: str | None = None) -> None:
        self.emulator = emulator
        self.id = user_id
        self._bot_token = bot_token
        self._read = 0  # read cursor into chat.messages, for next_message()
        self._edits_read = 0  # read cursor into chat.edit_log, for next_edit()
        self.phone_number = f"+62812{user_id % 10**7:07d}"

    def __repr__(self) -> str:
        return f"<EmulatedUser {self.id} {self.first_name!r} -> bot {self.bot.id}>"

    @property
    def info(self) -> dict[str, Any]:
        return self.emulator.users[self.id]

    @property
    def first_name(self) -> str:
        return self.info["first_name"]

    @property
    def bot(self) -> BotState:
        return self.emulator.bot(self._bot_token)

    def with_bot(self, bot_token: str) -> EmulatedUser:
        return EmulatedUser(self.emulator, self.id, bot_token)

    @property
    def chat(self) -> Chat | None:
        """The private chat with the bot; it exists once the user has written to the bot."""
        return self.emulator.private_chat(self.bot, self.id)

    # ------------------------------------------------------------------ actions

    def _send(self, **content: Any) -> Message:
        self.emulator.user_acts()
        return self.emulator.user_message(self.bot, self.id, **content)

    def send_text(self, text: str) -> Message:
        entities = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return self._send(text=text, entities=entities)

    def send_command(self, command: str) -> Message:
        if not command.startswith("/"):
            raise ValueError("a command starts with '/'")
        return self.send_text(command)

    def send_location(
        self, latitude: float, longitude: float, horizontal_accuracy: float | None = None
    ) -> Message:
        location: dict[str, float] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        return self._send(location=location)

    def send_venue(self, latitude: float, longitude: float, title: str, address: str) -> Message:
        location = {"latitude": latitude, "longitude": longitude}
        return self._send(location=location,
                          venue={"location": location, "title": title, "address": address})  # fmt: skip

    def send_photo(
        self, caption: str | None = None, media_group_id: str | None = None, data: bytes = _FAKE_JPEG
    ) -> str:
        """Send a photo (three sizes, like Telegram); returns the largest size's file_id."""
        sizes = self.emulator.store_photo(self.bot, data)
        self._send(photo_sizes=sizes, caption=caption, media_group_id=media_group_id)
        return sizes[-1]["file_id"]

    def send_document(
        self,
        file_name: str = "dokumen.pdf",
        mime_type: str = "application/pdf",
        data: bytes = b"%PDF-1.4\n% emulated\n",
        caption: str | None = None,
    ) -> str:
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = self.emulator.store_file(self.bot, "document", data, ext, file_name=file_name,
                                          mime_type=mime_type)  # fmt: skip
        self._send(document=stored.to_api(), caption=caption)
        return stored.file_id

    def send_sticker(self, emoji: str = "👍") -> str:
        stored = self.emulator.store_file(
            self.bot, "sticker", b"RIFF emulated sticker", "webp", width=512, height=512,
            type="regular", is_animated=False, is_video=False, emoji=emoji,
        )  # fmt: skip
        self._send(sticker=stored.to_api())
        return stored.file_id

    def send_voice(self, duration: int = 3) -> str:
        stored = self.emulator.store_file(self.bot, "voice", b"OggS emulated voice", "oga",
                                          duration=duration, mime_type="audio/ogg")  # fmt: skip
        self._send(voice=stored.to_api())
        return stored.file_id

    def send_contact(self, phone_number: str | None = None, first_name: str | None = None) -> Message:
        """Share a contact; without arguments, the user's own (as a request_contact button does)."""
        contact = {"phone_number": phone_number or self.phone_number,
                   "first_name": first_name or self.first_name}  # fmt: skip
        if phone_number is None:
            contact["user_id"] = self.id
        return self._send(contact=contact)

    def click(self, label: str, message: Message | int | None = None, *, stale: bool = False) -> CallbackQuery:
        """Tap an inline button by its label (exact match first, then substring) on `message`, or
        on the latest bot message with an inline keyboard. Only buttons that exist can be tapped.
        `stale`: the message is too old for the bot to edit (see click_data)."""
        target = self._keyboard_message(message, allow_deleted=stale)
        buttons = [button for row in target.inline_keyboard or [] for button in row]
        matches = [b for b in buttons if b["text"] == label] or [
            b for b in buttons if label in b["text"]
        ]
        if len(matches) != 1:
            problem = "no button" if not matches else "several buttons match"
            raise AssertionError(
                f"{problem} {label!r} on message {target.message_id}; buttons: {target.buttons}"
            )
        if "callback_data" not in matches[0]:
            raise AssertionError(f"button {label!r} is not a callback button: {matches[0]}")
        self.emulator.user_acts()
        button = matches[0]
        return self.emulator.user_callback(
            self.bot, self.id, target, button["callback_data"], label=button["text"], stale=stale
        )

    def click_data(self, data: str, message: Message | int | None = None, *, stale: bool = False) -> CallbackQuery:
        """Send arbitrary callback_data, as a modified client could (forged-button tests).
        `stale`: on a message Telegram sends the bot as inaccessible (an InaccessibleMessage: its
        chat and id, date 0): one older than 48 hours, or deleted (a client can still show it for a
        moment). From then on the bot cannot edit that message (400 "message can't be edited")."""
        target = self._keyboard_message(message, require_keyboard=False, allow_deleted=stale)
        self.emulator.user_acts()
        return self.emulator.user_callback(self.bot, self.id, target, data, stale=stale)

    def press(
        self, label: str, *, location: tuple[float, float] | None = None, phone_number: str | None = None
    ) -> Message:
        """Tap a button of the reply keyboard currently shown. A request_location button needs
        `location=(lat, lon)` (the user picks where they are) and sends a location message; a
        request_contact button shares the user's contact; other buttons send their text."""
        rows = self.reply_keyboard
        if rows is None:
            raise AssertionError(f"no reply keyboard is shown\n{self.transcript()}")
        buttons = [
            b if isinstance(b, dict) else {"text": b} for row in self._keyboard_rows() for b in row
        ]
        matches = [b for b in buttons if b["text"] == label] or [
            b for b in buttons if label in b["text"]
        ]
        if len(matches) != 1:
            problem = "no button" if not matches else "several buttons match"
            raise AssertionError(f"{problem} {label!r} on the reply keyboard: {rows}")
        button = matches[0]
        if button.get("request_location"):
            if location is None:
                raise AssertionError(
                    f"{label!r} asks for a location: press(label, location=(lat, lon))"
                )
            return self.send_location(*location)
        if button.get("request_contact"):
            return self.send_contact(phone_number)
        return self.send_text(button["text"])

    def block(self) -> None:
        self.emulator.set_blocked(self.bot, self.id, True)

    def unblock(self) -> None:
        self.emulator.set_blocked(self.bot, self.id, False)

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[Message]:
        """Every message the bot sent in this chat, oldest first (deleted ones included)."""
        return [m for m in (self.chat.messages if self.chat else []) if m.from_bot]

    @property
    def last_message(self) -> Message | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def callback_queries(self) -> list[CallbackQuery]:
        return [q for q in self.emulator.callback_queries.values()
                if q.user_id == self.id and q.bot_id == self.bot.id]  # fmt: skip

    @property
    def callback_answers(self) -> list[str]:
        """Texts the bot showed in answer to this user's taps (toasts and alerts)."""
        return [q.text for q in self.callback_queries if q.answered and q.text]

    @property
    def chat_actions(self) -> list[str]:
        return list(self.chat.actions) if self.chat else []

    def _keyboard_rows(self) -> list[list[Any]]:
        for message in reversed(self.messages):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard"):
                return []
            if "keyboard" in markup:
                return markup["keyboard"]
        return []

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard shown now: the last one a bot message set, until a
        ReplyKeyboardRemove."""
        rows = self._keyboard_rows()
        if not rows:
            return None
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    def _keyboard_message(
        self, message: Message | int | None, require_keyboard: bool = True, allow_deleted: bool = False
    ) -> Message:
        if isinstance(message, Message):
            target: Message | None = message
        elif isinstance(message, int):
            target = next((m for m in self.messages if m.message_id == message), None)
        else:
            candidates = [m for m in self.messages if allow_deleted or not m.deleted]
            if require_keyboard:
                candidates = [m for m in candidates if m.inline_keyboard]
            target = candidates[-1] if candidates else None
        if target is None or (require_keyboard and not target.inline_keyboard):
            raise AssertionError(f"no bot message with an inline keyboard\n{self.transcript()}")
        return target

    async def next_message(
        self, timeout: float = 5.0, predicate: Callable[[Message], bool] | None = None
    ) -> Message:
        """The next bot message this user has not read yet (matching `predicate`; messages
        passed over are marked read). Raises AssertionError with the transcript on timeout."""

        def unread() -> Message | None:
            chat = self.chat
            while chat is not None and self._read < len(chat.messages):
                message = chat.messages[self._read]
                self._read += 1
                if message.from_bot and (predicate is None or predicate(message)):
                    return message
            return None

        message = await self.emulator.wait_for(unread, timeout)
        if message is None:
            raise AssertionError(f"no new bot message within {timeout} s\n{self.transcript()}")
        return message

    async def next_edit(
        self, timeout: float = 5.0, predicate: Callable[[Message], bool] | None = None
    ) -> Message:
        """The message of the next edit this user has not seen yet."""

        def unseen() -> Message | None:
            chat = self.chat
            while chat is not None and self._edits_read < len(chat.edit_log):
                message = chat.edit_log[self._edits_read]
                self._edits_read += 1
                if predicate is None or predicate(message):
                    return message
            return None

        message = await self.emulator.wait_for(unseen, timeout)
        if message is None:
            raise AssertionError(f"no message edit within {timeout} s\n{self.transcript()}")
        return message

    async def wait_until(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `predicate()` (no arguments; close over the user) is truthy; returns it."""
        result = await self.emulator.wait_for(predicate, timeout)
        if not result:
            raise AssertionError(f"condition not met within {timeout} s\n{self.transcript()}")
        return result

    def mark_read(self) -> None:
        """Treat everything received so far as read."""
        chat = self.chat
        if chat is not None:
            self._read = len(chat.messages)
            self._edits_read = len(chat.edit_log)

    # ------------------------------------------------------------------ transcript

    def transcript(self) -> str:
        """The conversation as text, for failure messages and the terminal demo."""
        chat = self.chat
        if chat is None:
            return "(no conversation yet)"
        lines: list[str] = []
        for item in chat.timeline:
            if isinstance(item, CallbackQuery):
                tapped = f"tap {item.label}" if item.label else f"data {item.data!r}"
                lines.append(f"YOU: [{tapped}]")
                if item.text:
                    lines.append(f"  ({'alert' if item.show_alert else 'toast'}: {item.text})")
                continue
            who = "BOT" if item.from_bot else "YOU"
            body = item.summary().replace("\n", "\n     ")
            lines.append(f"{who}: {body}")
            if item.buttons:
                lines.extend("  " + " ".join(f"[{label}]" for label in row) for row in item.buttons)
            if item.reply_keyboard:
                rows = [" ".join(f"[{label}]" for label in row) for row in item.reply_keyboard]
                lines.append(f"  keyboard: {' / '.join(rows)}")
            if item.removes_keyboard:
                lines.append("  (keyboard removed)")
        return "\n".join(lines)
