"""What a Telegram update means to the engine, read straight from the Bot API's JSON.

Updates are stored as Telegram sent them, and only a handful of their fields matter here,
so they are read from that JSON directly: building PTB's `Update` object graph for every
message cost more CPU than handling the message. Field names follow
https://core.telegram.org/bots/api#update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.types import Incoming

JSONDict = dict[str, Any]
CHANNEL = "telegram"

# Member statuses after which the bot can no longer write to the person.
GONE = frozenset({"kicked", "left"})
# Photos above this are refused without being downloaded.
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# What a message without text or photo carries, as `Incoming.attachment` names it.
ATTACHMENTS = (
    ("sticker", "sticker"),
    ("voice", "voice"),
    ("audio", "voice"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),
    ("document", "file"),
)


@dataclass(frozen=True)
class Membership:
    """The person blocked the bot (or unblocked it): `my_chat_member`."""

    chat_id: str
    reachable: bool


@dataclass(frozen=True)
class ButtonTap:
    """An inline button pressed: the query Telegram wants answered, and the turn (None
    for a button on a message the bot cannot see, such as one sent in inline mode)."""

    incoming: Incoming | None
    query_id: str


NAME_LENGTH = 200


def update_id(payload: object) -> int | None:
    """The update's id, or None when the payload is not a Telegram update."""
    if not isinstance(payload, dict):
        return None
    value = payload.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_update(payload: JSONDict, receipt: int | None) -> Incoming | ButtonTap | Membership | None:
    """The engine's view of one update; None for an update that is not a person's turn
    (an edit, a channel post, a message without a sender)."""
    member = _object(payload, "my_chat_member")
    if member is not None:
        chat = _object(member, "chat")
        new = _object(member, "new_chat_member")
        chat_id = _chat_id(chat)
        if chat_id is None or new is None:
            return None
        return Membership(chat_id, reachable=new.get("status") not in GONE)
    query = _object(payload, "callback_query")
    if query is not None:
        if "id" not in query:
            return None
        message = _object(query, "message")
        chat = _object(message, "chat") if message is not None else None
        sender = _object(query, "from")
        chat_id = _chat_id(chat)
        if chat_id is None or sender is None:
            # Still answered, or the button would spin on the person's screen.
            return ButtonTap(None, str(query["id"]))
        data = query.get("data")
        incoming = Incoming(
            CHANNEL,
            chat_id,
            button=data if isinstance(data, str) else "",
            name=full_name(sender),
            receipt=receipt,
        )
        return ButtonTap(incoming, str(query["id"]))
    message = _object(payload, "message")
    if message is None:
        return None
    chat_id = _chat_id(_object(message, "chat"))
    sender = _object(message, "from")
    if chat_id is None or sender is None:
        return None
    contact = _object(message, "contact")
    if contact is not None:
        return Incoming(
            CHANNEL,
            chat_id,
            name=full_name(sender),
            shared_contact=True,
            phone=_own_phone(contact, sender),
            receipt=receipt,
        )
    text = message.get("text") or message.get("caption")
    text = text if isinstance(text, str) else None
    photo = photo_file(message)
    if photo is not None:
        too_large = photo.size is not None and photo.size > MAX_PHOTO_BYTES
        return Incoming(
            CHANNEL,
            chat_id,
            text=text,
            name=full_name(sender),
            photo=photo.file_id,
            attachment="too_large" if too_large else None,
            receipt=receipt,
        )
    attachment = _attachment(message)
    return Incoming(
        CHANNEL,
        chat_id,
        text=text,
        name=full_name(sender),
        # A location, a poll, a dice… and nothing typed: still a turn, of something else.
        attachment=attachment or (None if text else "other"),
        receipt=receipt,
    )


@dataclass(frozen=True)
class PhotoFile:
    """A photo to fetch: the file id of its largest size (or of an image sent as a
    file), and its size in bytes when Telegram said."""

    file_id: str
    size: int | None


def photo_file(message: JSONDict) -> PhotoFile | None:
    """The photo a message carries: a photo, or a file whose type is an image."""
    sizes = message.get("photo")
    # Telegram sends each photo in several sizes, smallest first.
    if isinstance(sizes, list) and sizes and isinstance(sizes[-1], dict):
        return _file(sizes[-1])
    document = _object(message, "document")
    # An animation (a GIF) also carries itself as a document, for older clients.
    if document is not None and _object(message, "animation") is None:
        mime = document.get("mime_type")
        if isinstance(mime, str) and mime.startswith("image/"):
            return _file(document)
    return None


def photo_to_fetch(payload: JSONDict) -> PhotoFile | None:
    """The photo of an update that must be downloaded before its turn; None for every
    other update, and for a photo refused on its size alone."""
    message = _object(payload, "message")
    photo = photo_file(message) if message is not None else None
    if photo is None or (photo.size is not None and photo.size > MAX_PHOTO_BYTES):
        return None
    return photo


def chat_of(payload: JSONDict) -> str | None:
    """The chat a message or a button tap comes from."""
    message = _object(payload, "message")
    if message is None:
        query = _object(payload, "callback_query")
        message = _object(query, "message") if query is not None else None
    return _chat_id(_object(message, "chat") if message is not None else None)


def _chat_id(chat: JSONDict | None) -> str | None:
    """A chat's id as we key it; None unless it is a whole number, as Telegram sends
    (a forged update may carry an object or a string of any length)."""
    value = chat.get("id") if chat is not None else None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return str(value)
    return None


def _file(data: JSONDict) -> PhotoFile | None:
    file_id, size = data.get("file_id"), data.get("file_size")
    if not isinstance(file_id, str) or not file_id:
        return None
    known = isinstance(size, int) and not isinstance(size, bool)
    return PhotoFile(file_id, size if known else None)


def _attachment(message: JSONDict) -> str | None:
    # Checked in this order: an animation is also a document.
    for key, kind in ATTACHMENTS:
        if _object(message, key) is not None:
            return kind
    return None


def _own_phone(contact: JSONDict, sender: JSONDict) -> str | None:
    # Telegram's "share my phone" button sends the person's own contact, with their id;
    # a contact picked from the address book is someone else's, or nobody's on Telegram.
    number = contact.get("phone_number")
    user_id = contact.get("user_id")
    if isinstance(number, str) and number and user_id is not None and user_id == sender.get("id"):
        return number
    return None


def without_contact_details(payload: JSONDict) -> JSONDict:
    """The update as it may be stored: a shared contact keeps only that it was shared,
    and the number when it is the sender's own (a form asked for it; stored, a crash
    before the turn cannot lose it). Other people's numbers, vCards and contacts in a
    quoted message are nobody's business here (collect the minimum)."""
    message = _object(payload, "message")
    if message is None:
        return payload
    sender = _object(message, "from") or {}
    stripped = _without_contact(message, sender)
    for quoted in ("reply_to_message", "external_reply"):
        inner = _object(message, quoted)
        if inner is not None and _object(inner, "contact") is not None:
            stripped = {**stripped, quoted: _without_contact(inner, {})}
    return payload if stripped is message else {**payload, "message": stripped}


def _without_contact(message: JSONDict, sender: JSONDict) -> JSONDict:
    contact = _object(message, "contact")
    if contact is None:
        return message
    phone = _own_phone(contact, sender)
    kept = {"phone_number": phone, "user_id": contact["user_id"]} if phone else {}
    return {**message, "contact": kept}


def full_name(user: JSONDict) -> str | None:
    """First and last name, as Telegram clients show them."""
    parts = [user.get("first_name"), user.get("last_name")]
    name = " ".join(part for part in parts if isinstance(part, str) and part)
    # Clipped to what the contacts table keeps: a forged update's endless name would
    # otherwise fail the turn on PostgreSQL every time it is retried.
    return name[:NAME_LENGTH] or None


def _object(container: JSONDict, key: str) -> JSONDict | None:
    value = container.get(key)
    return value if isinstance(value, dict) else None
