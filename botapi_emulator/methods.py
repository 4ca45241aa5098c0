"""Bot API methods. Each takes (emulator, bot, params) and returns the JSON result or raises
ApiError; names are registered lower-case because Telegram matches them case-insensitively."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import ApiError, BotState, Chat, Message, bad_request
from .validation import (
    CALLBACK_ANSWER_LIMIT,
    FormattedText,
    Params,
    UploadedFile,
    coordinates,
    format_text,
    message_caption,
    message_text,
    reply_markup,
)

if TYPE_CHECKING:
    from .server import BotAPIEmulator

Handler = Callable[["BotAPIEmulator", BotState, Params], Any]
METHODS: dict[str, Handler] = {}
_CANONICAL: dict[str, str] = {}

# Methods that create a new message: the only ones flood control counts.
SENDS_MESSAGE = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation",
                 "sendvenue", "copymessage"}  # fmt: skip

CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_POLLER = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note"}  # fmt: skip
MAX_PHOTO_UPLOAD = 10 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def api_method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = handler
        _CANONICAL[name.lower()] = name
        return handler

    return register


def canonical_name(name: str) -> str:
    return _CANONICAL.get(name.lower(), name)


def _clamp(value: int, low: int, high: int) -> int:
    # Telegram clamps integer arguments into range instead of rejecting them.
    return max(low, min(high, value))


# --------------------------------------------------------------------- bot and updates


@api_method("getMe")
def get_me(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    return {**bot.to_api(), "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip


@api_method("getUpdates")
async def get_updates(emu: BotAPIEmulator, bot: BotState, p: Params) -> list[dict]:
    if bot.webhook is not None:
        raise ApiError(409, CONFLICT_WEBHOOK)
    limit = _clamp(p.get_int("limit", 100), 1, 100)
    timeout = _clamp(p.get_int("timeout", 0), 0, 50)
    allowed = p.get_json("allowed_updates", "can't parse allowed updates JSON object")
    if allowed is not None:
        bot.allowed_updates = list(allowed)  # applies to updates created from now on
    bot.updates.confirm(p.get_int("offset", 0))

    bot.poll_generation += 1
    generation = bot.poll_generation
    emu.notify()  # an older long poll of this bot must now answer 409

    def superseded() -> bool:
        return bot.poll_generation != generation

    await emu.wait_for(lambda: bot.updates.pending or superseded() or bot.webhook, timeout)
    if superseded():
        raise ApiError(409, CONFLICT_POLLER)
    if bot.webhook is not None:
        raise ApiError(409, "Conflict: terminated by setWebhook request")
    return bot.updates.batch(limit)


@api_method("setWebhook")
async def set_webhook(emu: BotAPIEmulator, bot: BotState, p: Params) -> bool:
    url = p.get_str("url")
    if not url:
        return await delete_webhook(emu, bot, p)
    if not re.match(r"https?://[^/\s:]+", url):
        raise bad_request("invalid webhook URL specified")
    secret = p.get_str("secret_token")
    if secret is not None and len(secret) > 256:
        raise bad_request("secret token is too long")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if p.get_bool("drop_pending_updates"):
        bot.updates.drop_pending()
    allowed = p.get_json("allowed_updates", "can't parse allowed updates JSON object")
    if allowed is not None:
        bot.allowed_updates = list(allowed)
    bot.webhook = {
        "url": url,
        "secret_token": secret,
        "max_connections": _clamp(p.get_int("max_connections", 40), 1, 100),
    }
    bot.webhook_error = None
    emu.start_webhook(bot)
    emu.notify()  # a waiting getUpdates is terminated by setWebhook
    return True


@api_method("deleteWebhook")
async def delete_webhook(emu: BotAPIEmulator, bot: BotState, p: Params) -> bool:
    if p.get_bool("drop_pending_updates"):
        bot.updates.drop_pending()
    bot.webhook = None
    await emu.stop_webhook(bot)
    return True


@api_method("getWebhookInfo")
def get_webhook_info(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    info: dict[str, Any] = {"url": "", "has_custom_certificate": False,
                            "pending_update_count": len(bot.updates.pending)}  # fmt: skip
    if bot.webhook is not None:
        info["url"] = bot.webhook["url"]
        info["max_connections"] = bot.webhook["max_connections"]
    if bot.allowed_updates:
        info["allowed_updates"] = bot.allowed_updates
    if bot.webhook_error is not None:
        info["last_error_date"], info["last_error_message"] = bot.webhook_error
    return info


# --------------------------------------------------------------------- sending


def _reply_target(chat: Chat, p: Params) -> Message | None:
    reply = p.get_json("reply_parameters", "can't parse reply parameters JSON object") or {}
    message_id = reply.get("message_id") or p.get_int("reply_to_message_id")
    if not message_id:
        return None
    target = chat.find(int(message_id))
    allow_missing = reply.get("allow_sending_without_reply") or p.get_bool(
        "allow_sending_without_reply"
    )
    if target is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return target


def _send(
    emu: BotAPIEmulator, bot: BotState, chat: Chat, p: Params, **content: Any
) -> Message:
    """The shared tail of every send method: reply target, flood control, then the message.
    Flood control runs after validation so that a rejected request consumes no token."""
    reply_to = _reply_target(chat, p)
    emu.check_flood(bot, chat)
    message = chat.new_message(bot.to_api(), from_bot=True, reply_to=reply_to, **content)
    emu.notify()
    return message


def _text_fields(text: FormattedText, p: Params) -> dict[str, Any]:
    previews = p.get_json("link_preview_options", "can't parse link preview options JSON object")
    if previews is not None and not isinstance(previews, dict):
        raise bad_request("object expected as link preview options")
    return {"text": text.text, "entities": text.entities, "html": text.raw,
            "parse_mode": p.get_str("parse_mode"), "link_preview_options": previews}  # fmt: skip


def _caption_fields(caption: FormattedText | None, p: Params) -> dict[str, Any]:
    if caption is None:
        return {}
    return {"caption": caption.text, "caption_entities": caption.entities, "html": caption.raw,
            "parse_mode": p.get_str("parse_mode")}  # fmt: skip


@api_method("sendMessage")
def send_message(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    text = message_text(p)
    markup = reply_markup(p)
    return _send(emu, bot, chat, p, reply_markup=markup, **_text_fields(text, p)).to_api()


def _upload_too_big(upload: UploadedFile, limit: int) -> None:
    if len(upload.data) > limit:
        raise ApiError(413, "Request Entity Too Large")


def _photo_sizes(emu: BotAPIEmulator, bot: BotState, photo: UploadedFile | str | None) -> list[dict]:
    if photo is None:
        raise bad_request("there is no photo in the request")
    if isinstance(photo, UploadedFile):
        _upload_too_big(photo, MAX_PHOTO_UPLOAD)
        return emu.store_photo(bot, photo.data)
    if str(photo).startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")  # the emulator has no internet
    stored = emu.find_file(bot, str(photo))
    if stored.kind != "photo":
        raise bad_request(f"can't use file of type {stored.kind.capitalize()} as Photo")
    return [stored.to_api()]


def _document(emu: BotAPIEmulator, bot: BotState, document: UploadedFile | str | None) -> dict:
    if document is None:
        raise bad_request("there is no document in the request")
    if isinstance(document, UploadedFile):
        _upload_too_big(document, MAX_UPLOAD)
        ext = document.filename.rsplit(".", 1)[-1] if "." in document.filename else "bin"
        return emu.store_file(bot, "document", document.data, ext, file_name=document.filename,
                              mime_type=document.content_type).to_api()  # fmt: skip
    if str(document).startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    stored = emu.find_file(bot, str(document))
    if stored.kind != "document":
        raise bad_request(f"can't use file of type {stored.kind.capitalize()} as Document")
    return stored.to_api()


@api_method("sendPhoto")
def send_photo(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    caption = message_caption(p)
    markup = reply_markup(p)
    sizes = _photo_sizes(emu, bot, p.get_file("photo"))
    return _send(emu, bot, chat, p, photo_sizes=sizes, reply_markup=markup,
                 **_caption_fields(caption, p)).to_api()  # fmt: skip


@api_method("sendDocument")
def send_document(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    caption = message_caption(p)
    markup = reply_markup(p)
    document = _document(emu, bot, p.get_file("document"))
    return _send(emu, bot, chat, p, document=document, reply_markup=markup,
                 **_caption_fields(caption, p)).to_api()  # fmt: skip


@api_method("sendMediaGroup")
def send_media_group(emu: BotAPIEmulator, bot: BotState, p: Params) -> list[dict]:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    media = p.get_json("media", "can't parse media JSON object")
    if not isinstance(media, list):
        raise bad_request("expected an Array of InputMedia")
    if len(media) > 10:
        raise bad_request("too many messages to send as an album")
    if len(media) < 2:
        raise bad_request("media group must include 2-10 items")  # emulator wording
    kinds = {item.get("type") if isinstance(item, dict) else None for item in media}
    if not kinds <= {"photo", "document"}:
        raise bad_request("can't parse InputMedia: the emulator supports photo and document")
    if len(kinds) > 1:
        raise bad_request("can't use the media of the specified type in the album")

    contents = []
    for item in media:
        caption = None
        if item.get("caption"):
            caption = format_text(item["caption"], item.get("parse_mode"),
                                  item.get("caption_entities"))  # fmt: skip
            if len(caption.text) > 1024:
                raise bad_request("message caption is too long")
        file = item.get("media")
        if isinstance(file, str) and file.startswith("attach://"):
            file = p.get(file.removeprefix("attach://"))
        content: dict[str, Any] = {}
        if item["type"] == "photo":
            content["photo_sizes"] = _photo_sizes(emu, bot, file)
        else:
            content["document"] = _document(emu, bot, file)
        if caption is not None:
            content.update(caption=caption.text, caption_entities=caption.entities,
                           html=caption.raw, parse_mode=item.get("parse_mode"))  # fmt: skip
        contents.append(content)

    # One flood-control token for the album: counting items could make a 4-item album
    # impossible under a burst of 3.
    group_id = str(10**17 + emu.next_id())
    first = _send(emu, bot, chat, p, media_group_id=group_id, **contents[0])
    rest = [chat.new_message(bot.to_api(), from_bot=True, media_group_id=group_id, **content)
            for content in contents[1:]]  # fmt: skip
    return [message.to_api() for message in [first, *rest]]


@api_method("sendLocation")
def send_location(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    location: dict[str, Any] = coordinates(p)
    if p.get_int("live_period"):
        location["live_period"] = p.get_int("live_period")
    markup = reply_markup(p)
    return _send(emu, bot, chat, p, location=location, reply_markup=markup).to_api()


@api_method("sendVenue")
def send_venue(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    location = coordinates(p)
    title, address = p.get_str("title"), p.get_str("address")
    if not title or not address:
        raise bad_request("venue title and address must be non-empty")  # emulator wording
    venue = {"location": location, "title": title, "address": address}
    markup = reply_markup(p)
    return _send(emu, bot, chat, p, location=location, venue=venue, reply_markup=markup).to_api()


@api_method("copyMessage")
def copy_message(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    source_chat = emu.resolve_chat(bot, p.get("from_chat_id"))
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    source = source_chat.find(p.get_int("message_id") or 0)
    if source is None:
        raise bad_request("message to copy not found")
    content: dict[str, Any] = {
        "text": source.text, "entities": source.entities, "caption": source.caption,
        "caption_entities": source.caption_entities, "html": source.html,
        "photo_sizes": source.photo_sizes, "document": source.document,
        "location": source.location, "venue": source.venue, "contact": source.contact,
    }  # fmt: skip
    if "caption" in p and source.text is None:
        content.update(_caption_fields(message_caption(p), p))
    content["reply_markup"] = reply_markup(p)
    return {"message_id": _send(emu, bot, chat, p, **content).message_id}


@api_method("sendChatAction")
def send_chat_action(emu: BotAPIEmulator, bot: BotState, p: Params) -> bool:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    action = p.get_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.actions.append(action)
    emu.notify()
    return True


# --------------------------------------------------------------------- editing


def _own_message(emu: BotAPIEmulator, bot: BotState, p: Params) -> Message:
    if p.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not emulated
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    message_id = p.get_int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.find(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot or message.sender["id"] != bot.id or message.inaccessible:
        raise bad_request("message can't be edited")
    return message


def _apply_edit(emu: BotAPIEmulator, message: Message, current: tuple, new: tuple,
                **changes: Any) -> dict:  # fmt: skip
    # Telegram compares what the message would show: its text (or caption) with its entities, and
    # its inline keyboard; the same again, however it was asked for, is refused.
    if current == new:
        raise bad_request(NOT_MODIFIED)
    message.history.append(message.snapshot())
    for name, value in changes.items():
        setattr(message, name, value)
    message.edit_date = int(time.time())
    message.chat.edit_log.append(message)
    emu.notify()
    return message.to_api()


def _inline_markup(message: Message) -> dict | None:
    return _shown_markup(message.reply_markup if message.inline_keyboard is not None else None)


def _shown_markup(markup: dict | None) -> dict | None:
    """An inline keyboard as a message shows it: empty rows dropped, and no buttons at all is no
    keyboard (so removing a keyboard already gone is "not modified", however it is asked for)."""
    if markup is None or "inline_keyboard" not in markup:
        return markup
    rows = [row for row in markup["inline_keyboard"] if row]
    return {**markup, "inline_keyboard": rows} if rows else None


@api_method("editMessageText")
def edit_message_text(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    message = _own_message(emu, bot, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text = message_text(p)
    # Omitting reply_markup in an edit removes the inline keyboard, as on Telegram.
    markup = _shown_markup(reply_markup(p, inline_only=True))
    return _apply_edit(
        emu, message,
        (message.text, message.entities, _inline_markup(message)),
        (text.text, text.entities, markup),
        reply_markup=markup, **_text_fields(text, p),
    )  # fmt: skip


@api_method("editMessageCaption")
def edit_message_caption(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    message = _own_message(emu, bot, p)
    if not (message.photo_sizes or message.document):
        raise bad_request("there is no caption in the message to edit")
    caption = message_caption(p)
    markup = _shown_markup(reply_markup(p, inline_only=True))
    new_caption = caption.text if caption else None
    new_entities = caption.entities if caption else []
    return _apply_edit(
        emu, message,
        (message.caption, message.caption_entities, _inline_markup(message)),
        (new_caption, new_entities, markup),
        caption=new_caption, caption_entities=new_entities,
        html=caption.raw if caption else None, reply_markup=markup,
    )  # fmt: skip


@api_method("editMessageReplyMarkup")
def edit_message_reply_markup(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    message = _own_message(emu, bot, p)
    markup = _shown_markup(reply_markup(p, inline_only=True))
    return _apply_edit(emu, message, (_inline_markup(message),), (markup,), reply_markup=markup)


@api_method("deleteMessage")
def delete_message(emu: BotAPIEmulator, bot: BotState, p: Params) -> bool:
    chat = emu.resolve_chat(bot, p.get("chat_id"))
    message = chat.find(p.get_int("message_id") or 0)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    emu.notify()
    return True


# --------------------------------------------------------------------- callbacks, commands, files


@api_method("answerCallbackQuery")
def answer_callback_query(emu: BotAPIEmulator, bot: BotState, p: Params) -> bool:
    text = p.get_str("text")
    if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    query = emu.callback_queries.get(p.get_str("callback_query_id") or "")
    if (
        query is None
        or query.bot_id != bot.id
        or query.answered
        or time.monotonic() - query.created > emu.callback_answer_window
    ):
        raise bad_request(QUERY_INVALID)
    query.answered = True
    query.text = text
    query.show_alert = p.get_bool("show_alert")
    query.url = p.get_str("url")
    emu.notify()
    return True


def _commands_key(p: Params) -> tuple[str, str]:
    scope = p.get_json("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.get_str("language_code", "")


@api_method("setMyCommands")
def set_my_commands(emu: BotAPIEmulator, bot: BotState, p: Params) -> bool:
    commands = p.get_json("commands", "can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("expected an Array of BotCommand")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    bot.commands[_commands_key(p)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@api_method("getMyCommands")
def get_my_commands(emu: BotAPIEmulator, bot: BotState, p: Params) -> list[dict]:
    return bot.commands.get(_commands_key(p), [])


@api_method("deleteMyCommands")
def delete_my_commands(emu: BotAPIEmulator, bot: BotState, p: Params) -> bool:
    bot.commands.pop(_commands_key(p), None)
    return True


@api_method("getFile")
def get_file(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    file_id = p.get_str("file_id")
    if not file_id:
        raise bad_request("file_id not specified")
    stored = emu.find_file(bot, file_id)
    if len(stored.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data), "file_path": stored.file_path}  # fmt: skip


@api_method("getChat")
def get_chat(emu: BotAPIEmulator, bot: BotState, p: Params) -> dict:
    chat_id = p.get_int("chat_id")
    chat = emu.groups.get(chat_id) if chat_id is not None else None
    if chat is None and chat_id is not None:
        chat = emu.private_chat(bot, chat_id)  # a blocked user can still be looked up
    if chat is None or (chat.type != "private" and bot.id not in chat.bot_ids):
        raise bad_request("chat not found")
    gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts",
                           "premium_subscription", "gifts_from_channels"), False)  # fmt: skip
    return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": gifts}  # fmt: skip
