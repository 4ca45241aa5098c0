"""Request parameters and the content rules Telegram enforces (telegram-rules.md, section A).

Descriptions are Telegram's own where known, so a bot's error handling can be tested against the
strings it will meet in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .html_check import HTMLParseError, parse_html
from .models import bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes, not characters
CALLBACK_ANSWER_LIMIT = 200

# Fields that give an inline button its action; exactly one is required.
INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


@dataclass
class UploadedFile:
    """A multipart file part."""

    filename: str
    content_type: str
    data: bytes


class Params:
    """Typed access to request fields, whichever encoding they arrived in.

    aiogram sends form fields with nested objects as JSON strings; JSON bodies carry them as
    objects. Both are accepted.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        return default if value is None else str(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be an Integer') from None

    def get_float(self, name: str, *, required_error: str) -> float:
        value = self.get(name)
        if value is None:
            raise bad_request(required_error)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a Number') from None

    def get_bool(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str) -> Any:
        value = self.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value

    def get_file(self, name: str) -> UploadedFile | str | None:
        """A multipart upload, or a file_id / URL string; follows aiogram's attach:// references."""
        value = self.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.get(value.removeprefix("attach://"))
            if not isinstance(value, UploadedFile):
                raise bad_request(f'file "{name}" must be uploaded as a multipart part')
        return value


@dataclass
class FormattedText:
    text: str
    entities: list[dict]
    raw: str


def format_text(raw: str, parse_mode: str | None, entities: Any) -> FormattedText:
    """Apply parse_mode like Telegram: the limits count the parsed text, not the markup."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            parsed = parse_html(raw)
        except HTMLParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        return FormattedText(parsed.text, parsed.entities, raw)
    if mode in ("", "none", "markdown", "markdownv2"):
        # Markdown is passed through unparsed: the project's bots use HTML.
        given = entities if isinstance(entities, list) else []
        return FormattedText(raw, given, raw)
    raise bad_request("unsupported parse_mode")


def message_text(params: Params) -> FormattedText:
    raw = params.get_str("text")
    if raw is None:
        raise bad_request("message text is empty")
    entities = params.get_json("entities", "can't parse entities JSON object")
    formatted = format_text(raw, params.get_str("parse_mode"), entities)
    if not formatted.text.strip():  # Telegram trims whitespace before checking
        raise bad_request("message text is empty")
    if len(formatted.text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return formatted


def message_caption(params: Params, name: str = "caption") -> FormattedText | None:
    raw = params.get_str(name)
    if raw is None:
        return None
    formatted = format_text(
        raw,
        params.get_str("parse_mode"),
        params.get_json("caption_entities", "can't parse entities JSON object"),
    )
    if len(formatted.text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return formatted


def _strip_nulls(value: Any) -> Any:
    """Drop null fields so markups compare equal however the client serialised them."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def reply_markup(params: Params, *, inline_only: bool = False) -> dict | None:
    markup = params.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    markup = _strip_nulls(markup)
    if "inline_keyboard" in markup:
        _check_rows(markup["inline_keyboard"], _check_inline_button, "inline keyboard")
    elif inline_only:
        raise bad_request("inline keyboard expected")
    elif "keyboard" in markup:
        _check_rows(markup["keyboard"], _check_keyboard_button, "keyboard")
    return markup


def _check_rows(rows: Any, check_button: Any, what: str) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{what}" must be an Array of Arrays')
    for row in rows:
        for button in row:
            check_button(button)


def _check_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise bad_request(prefix + "Field \"text\" must be of type String")
    actions = [name for name in INLINE_BUTTON_ACTIONS if name in button]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        # Telegram silently uses the first field; a bot doing this almost surely has a bug.
        raise bad_request(prefix + f"exactly one of the fields {actions} must be used")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not str(button["url"]).startswith(("http://", "https://", "tg://")):
        raise bad_request("BUTTON_URL_INVALID")


def _check_keyboard_button(button: Any) -> None:
    prefix = "can't parse keyboard button: "
    if isinstance(button, str):
        return
    if not isinstance(button, dict):
        raise bad_request(prefix + "KeyboardButton must be a String or an Object")
    if not isinstance(button.get("text"), str) or not button["text"]:
        raise bad_request(prefix + "Field \"text\" must be of type String")


def coordinates(params: Params) -> dict[str, float]:
    latitude = params.get_float("latitude", required_error="latitude is empty")
    longitude = params.get_float("longitude", required_error="longitude is empty")
    if not -90 <= latitude <= 90:
        raise bad_request("wrong latitude specified")  # emulator wording
    if not -180 <= longitude <= 180:
        raise bad_request("wrong longitude specified")  # emulator wording
    location: dict[str, float] = {"latitude": latitude, "longitude": longitude}
    accuracy = params.get("horizontal_accuracy")
    if accuracy is not None:
        accuracy = float(accuracy)
        if not 0 <= accuracy <= 1500:
            raise bad_request("wrong horizontal accuracy specified")  # emulator wording
        location["horizontal_accuracy"] = accuracy
    return location
