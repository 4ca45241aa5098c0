"""Telegram's parse_mode=HTML, checked the way the real server does it.

The tokenizer follows tdlib's ``parse_html`` (MessageEntity.cpp): the same tag set, the same
error texts ("Unsupported start tag "br" at byte offset 5", ...), byte offsets into the UTF-8
source and entity offsets in UTF-16 units. ``html.parser`` was tried first but it silently drops
input Telegram would reject or keep (``AT&T`` loses its ``&``, ``</>`` vanishes), which defeats a
validator.

One deliberate difference: Telegram keeps a bare ``&`` (one not starting ``&lt;`` ``&gt;``
``&amp;`` ``&quot;`` or ``&#...;``) as text, but it is nearly always an unescaped user string, so
the emulator rejects it to make bots call html.escape. A bare ``>`` is accepted like Telegram does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Tag -> entity type. "span" and "code"/"pre" languages and "a" links need attributes, below.
_TAG_ENTITY = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}  # fmt: skip

_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]+));?")
_SPACE = " \t\n\r\f\v"


class HTMLParseError(ValueError):
    """Carries the detail that follows "Bad Request: can't parse entities: "."""


@dataclass
class ParsedText:
    text: str
    entities: list[dict] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset in the plain text where the tag's content starts
    attrs: dict[str, str]
    order: int


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(src: str, pos: int) -> tuple[str, int] | None:
    """The character an HTML entity at src[pos] stands for and the position after it."""
    match = _ENTITY_RE.match(src, pos)
    if match is None:
        return None
    hex_code, dec_code, name = match.groups()
    if name is not None:
        char = _NAMED.get(name)
        return None if char is None else (char, match.end())
    code = int(hex_code, 16) if hex_code else int(dec_code)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0  # UTF-16 length of the text produced so far
        self.stack: list[_OpenTag] = []
        self.entities: list[tuple[int, dict]] = []
        self.opened = 0

    def fail(self, message: str) -> None:
        raise HTMLParseError(message)

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8"))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def parse(self) -> ParsedText:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "&":
                decoded = _decode_entity(src, self.pos)
                if decoded is None:
                    self.fail(
                        f'Character "&" at byte offset {self.byte_offset(self.pos)} must be '
                        'escaped as "&amp;"'
                    )
                self.emit(decoded[0])
                self.pos = decoded[1]
            elif char == "<":
                if src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                self.emit(char)
                self.pos += 1
        if self.stack:
            self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        entities = [entity for _, entity in sorted(self.entities, key=_entity_sort_key)]
        return ParsedText("".join(self.out), entities)

    def start_tag(self) -> None:
        src, begin = self.src, self.pos
        i = begin + 1
        while i < len(src) and src[i] not in _SPACE and src[i] != ">":
            i += 1
        if i >= len(src):
            self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = src[begin + 1 : i].lower()
        if name not in _TAG_ENTITY:
            self.fail(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        attrs, i = self.attributes(name, begin, i)
        self.pos = i + 1  # past ">"
        self.check_attributes(name, attrs, begin)
        self.opened += 1  # keeps nested entities with equal spans in opening order
        self.stack.append(_OpenTag(name, self.utf16, attrs, self.opened))

    def attributes(self, tag: str, begin: int, i: int) -> tuple[dict[str, str], int]:
        """Parse `name`, `name=token` and `name="value"` pairs up to ">" (returns its index)."""
        src, attrs = self.src, {}
        while True:
            while i < len(src) and src[i] in _SPACE:
                i += 1
            if i >= len(src):
                self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[i] == ">":
                return attrs, i
            name_start = i
            while i < len(src) and src[i] not in _SPACE and src[i] not in "=>":
                i += 1
            name = src[name_start:i].lower()
            while i < len(src) and src[i] in _SPACE:
                i += 1
            if i >= len(src) or src[i] != "=":
                attrs[name] = ""  # a value-less attribute such as <blockquote expandable>
                continue
            i += 1
            while i < len(src) and src[i] in _SPACE:
                i += 1
            if i >= len(src):
                self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[i] in "'\"":
                quote, i = src[i], i + 1
                value: list[str] = []
                while i < len(src) and src[i] != quote:
                    decoded = _decode_entity(src, i) if src[i] == "&" else None
                    if decoded:
                        value.append(decoded[0])
                        i = decoded[1]
                    else:
                        value.append(src[i])
                        i += 1
                if i >= len(src):
                    self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
                attrs[name] = "".join(value)
                i += 1
            else:
                token_start = i
                while i < len(src) and (src[i].isalnum() or src[i] in ".-"):
                    i += 1
                if i < len(src) and src[i] not in _SPACE and src[i] != ">":
                    self.fail(
                        "Unexpected end of name token at byte offset "
                        f"{self.byte_offset(token_start)}"
                    )
                attrs[name] = src[token_start:i].lower()

    def check_attributes(self, name: str, attrs: dict[str, str], begin: int) -> None:
        where = f"at byte offset {self.byte_offset(begin)}"
        if name == "span" and attrs.get("class") != "tg-spoiler":
            self.fail(f'Tag "span" must have class "tg-spoiler" {where}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            self.fail(f'Tag "tg-emoji" must have attribute "emoji-id" {where}')

    def end_tag(self) -> None:
        src, begin = self.src, self.pos
        close = src.find(">", begin)
        if close < 0:
            self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        name = src[begin + 2 : close].strip(_SPACE).lower()
        if not self.stack:
            self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        tag = self.stack.pop()
        if name and name != tag.name:  # "</>" closes whatever is open, as in tdlib
            self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        self.pos = close + 1
        self.close_entity(tag)

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.offset
        kind = _TAG_ENTITY[tag.name]
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, not two.
            language = tag.attrs.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].attrs["language"] = language.removeprefix("language-")
                return
        if length == 0:
            return  # Telegram drops empty entities
        entity: dict = {"type": kind, "offset": tag.offset, "length": length}
        if kind == "text_link":
            # Without href tdlib links the text itself (Telegram would turn tg://user?id= links
            # into text_mention entities; the emulator keeps them as plain links).
            entity["url"] = tag.attrs.get("href") or "".join(self.out)[-length:]
        elif kind == "pre" and tag.attrs.get("language"):
            entity["language"] = tag.attrs["language"]
        elif kind == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append((tag.order, entity))


def _entity_sort_key(item: tuple[int, dict]) -> tuple[int, int, int]:
    order, entity = item
    return entity["offset"], -entity["length"], order


def parse_html(src: str) -> ParsedText:
    """Plain text and entities of an HTML-formatted message; raises HTMLParseError."""
    return _Parser(src).parse()
