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
        if chat is None or new is None or "id" not in chat:
            return None
        return Membership(str(chat["id"]), reachable=new.get("status") not in GONE)
    query = _object(payload, "callback_query")
    if query is not None:
        if "id" not in query:
            return None
        message = _object(query, "message")
        chat = _object(message, "chat") if message is not None else None
        sender = _object(query, "from")
        if chat is None or sender is None or "id" not in chat:
            # Still answered, or the button would spin on the person's screen.
            return ButtonTap(None, str(query["id"]))
        data = query.get("data")
        incoming = Incoming(
            CHANNEL,
            str(chat["id"]),
            button=data if isinstance(data, str) else "",
            name=full_name(sender),
            receipt=receipt,
        )
        return ButtonTap(incoming, str(query["id"]))
    message = _object(payload, "message")
    if message is None:
        return None
    chat = _object(message, "chat")
    sender = _object(message, "from")
    if chat is None or sender is None or "id" not in chat:
        return None
    if _object(message, "contact") is not None:
        return Incoming(
            CHANNEL, str(chat["id"]), name=full_name(sender), shared_contact=True, receipt=receipt
        )
    photo = _largest_photo(message)
    text = message.get("text") or message.get("caption")
    return Incoming(
        CHANNEL,
        str(chat["id"]),
        text=text if isinstance(text, str) else (None if photo else ""),
        name=full_name(sender),
        photo=photo,
        receipt=receipt,
    )


def without_contact_details(payload: JSONDict) -> JSONDict:
    """The update as it may be stored: a shared contact keeps only that it was shared,
    here and in the message it replies to. Phone numbers and vCards are nobody's
    business here (collect the minimum)."""
    message = _object(payload, "message")
    if message is None:
        return payload
    stripped = _without_contact(message)
    for quoted in ("reply_to_message", "external_reply"):
        inner = _object(message, quoted)
        if inner is not None and _object(inner, "contact") is not None:
            stripped = {**stripped, quoted: _without_contact(inner)}
    return payload if stripped is message else {**payload, "message": stripped}


def _without_contact(message: JSONDict) -> JSONDict:
    return {**message, "contact": {}} if _object(message, "contact") is not None else message


def full_name(user: JSONDict) -> str | None:
    """First and last name, as Telegram clients show them."""
    parts = [user.get("first_name"), user.get("last_name")]
    name = " ".join(part for part in parts if isinstance(part, str) and part)
    return name or None


def _largest_photo(message: JSONDict) -> str | None:
    # Telegram sends each photo in several sizes, smallest first.
    sizes = message.get("photo")
    if not isinstance(sizes, list) or not sizes or not isinstance(sizes[-1], dict):
        return None
    file_id = sizes[-1].get("file_id")
    return file_id if isinstance(file_id, str) else None


def _object(container: JSONDict, key: str) -> JSONDict | None:
    value = container.get(key)
    return value if isinstance(value, dict) else None
