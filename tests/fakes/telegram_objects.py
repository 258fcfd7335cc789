"""Builders for Bot API JSON objects and Telegram's HTML parse mode, used by the fake Bot API.

Objects are plain dicts shaped like the ones api.telegram.org returns, so that
``telegram.Update.de_json`` and friends read them exactly as they read real traffic.
"""

import html
import re
from dataclasses import dataclass
from typing import Any

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

# Telegram matches commands as "/" + 1-32 of [A-Za-z0-9_], optionally "@botusername". A command
# spelt with Vietnamese letters ("/đăngký") therefore gets no bot_command entity, as on Telegram.
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


class EntityParseError(ValueError):
    """Text could not be parsed in the requested parse mode; the message is Telegram's wording."""


@dataclass
class FakeUser:
    """A Telegram user known to the fake server."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"

    def to_json(self) -> JSONDict:
        """The ``User`` object as it appears in ``from`` fields."""
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> JSONDict:
        """The ``Chat`` object of this user's private chat with the bot (same id as the user)."""
        data: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` entity Telegram adds when a message starts with a command."""
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_length(match.group())}]


def photo_sizes(file_ids: list[tuple[str, str]], file_size: int) -> list[JSONDict]:
    """``PhotoSize`` objects for the given (file_id, file_unique_id) pairs, smallest first.

    Telegram keeps the original and a few thumbnails; the fake reports one thumbnail and the
    full size so that code relying on ``photo[-1]`` being the largest is exercised.
    """
    # With fewer ids than sizes, the largest sizes are the ones reported.
    dimensions = [(320, 240), (1280, 960)][-len(file_ids) :]
    sizes: list[JSONDict] = []
    for (file_id, unique_id), (width, height) in zip(file_ids, dimensions, strict=True):
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": width,
                "height": height,
                "file_size": file_size if width == 1280 else max(1, file_size // 16),
            }
        )
    return sizes


def chat_member_update(
    user: FakeUser, bot: JSONDict, date: int, old_status: str, new_status: str
) -> JSONDict:
    """A ``ChatMemberUpdated`` for the bot in a user's private chat (block or unblock)."""

    def member(status: str) -> JSONDict:
        data: JSONDict = {"status": status, "user": bot}
        if status == "kicked":
            data["until_date"] = 0
        return data

    return {
        "chat": user.private_chat(),
        "from": user.to_json(),
        "date": date,
        "old_chat_member": member(old_status),
        "new_chat_member": member(new_status),
    }


def validate_reply_markup(markup: object) -> None:
    """Reject reply markup that Telegram would reject, with Telegram's error description."""
    if not isinstance(markup, dict):
        raise ValueError("Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("keyboard", []):
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ValueError("Bad Request: keyboard button text must be non-empty")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ValueError("Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            # The limit is in bytes: Vietnamese letters take 2-3 bytes each in UTF-8.
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ValueError("Bad Request: BUTTON_DATA_INVALID")


def callback_data_of(markup: JSONDict | None) -> set[str]:
    """All ``callback_data`` values on an inline keyboard."""
    if not markup:
        return set()
    return {
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    }


_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_ATTRIBUTE = re.compile(r"""([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY_REFERENCE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9A-Fa-f]+);")


@dataclass
class _OpenTag:
    name: str
    entity: JSONDict | None  # None for a tag that adds no entity of its own
    start: int


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram's HTML parse mode into plain text and ``MessageEntity`` dicts.

    Follows the rules users trip over: only Telegram's tags are allowed, every tag must be
    closed in order, and a bare ``<`` is an error (it must be written ``&lt;``). Only the four
    named character references Telegram supports, plus numeric ones, are decoded.

    Raises:
        EntityParseError: With Telegram's description, e.g. "Bad Request: can't parse entities:
            Can't find end tag corresponding to start tag "b"".
    """
    plain: list[str] = []
    offset = 0
    entities: list[JSONDict] = []
    stack: list[_OpenTag] = []
    position = 0

    def add_text(chunk: str) -> None:
        nonlocal offset
        decoded = _ENTITY_REFERENCE.sub(lambda m: html.unescape(m.group()), chunk)
        plain.append(decoded)
        offset += utf16_length(decoded)

    while (start := text.find("<", position)) != -1:
        add_text(text[position:start])
        at = f"at byte offset {len(text[:start].encode())}"
        match = _TAG.match(text, start)
        if match is None:
            raise _parse_error(f'Unsupported start tag "" {at}')
        closing, name, attributes = match.group(1) == "/", match.group(2).lower(), match.group(3)
        position = match.end()
        if not closing:
            parent = stack[-1] if stack else None
            stack.append(_OpenTag(name, _entity_for_tag(name, attributes, parent, at), offset))
            continue
        if not stack:
            raise _parse_error(f"Unexpected end tag {at}")
        opened = stack.pop()
        if opened.name != name:
            raise _parse_error(
                f'Unmatched end tag {at}, expected "</{opened.name}>", found "</{name}>"'
            )
        # Telegram drops entities that cover no text.
        if opened.entity is not None and offset > opened.start:
            length = offset - opened.start
            entities.append({**opened.entity, "offset": opened.start, "length": length})
    add_text(text[position:])
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(plain), entities


def _parse_error(reason: str) -> EntityParseError:
    return EntityParseError(f"Bad Request: can't parse entities: {reason}")


def _entity_for_tag(
    name: str, attributes: str, parent: _OpenTag | None, at: str
) -> JSONDict | None:
    """The entity a start tag opens, or None for a tag that only qualifies its parent.

    Raises:
        EntityParseError: The tag is not one Telegram supports.
    """
    values = {
        match.group(1).lower(): next(g for g in match.groups()[1:] if g is not None)
        for match in _ATTRIBUTE.finditer(attributes)
    }
    if name == "code" and parent is not None and parent.name == "pre" and parent.entity:
        # <pre><code class="language-x"> is one pre entity with a language, not two entities.
        language = values.get("class", "")
        if language.startswith("language-"):
            parent.entity["language"] = language.removeprefix("language-")
        return None
    if name == "blockquote" and "expandable" in attributes:
        return {"type": "expandable_blockquote"}
    if name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[name]}
    if name == "span" and values.get("class") == "tg-spoiler":
        return {"type": "spoiler"}
    if name == "a" and values.get("href"):
        return {"type": "text_link", "url": html.unescape(values["href"])}
    if name == "tg-emoji" and values.get("emoji-id"):
        return {"type": "custom_emoji", "custom_emoji_id": values["emoji-id"]}
    raise _parse_error(f'Unsupported start tag "{name}" {at}')
