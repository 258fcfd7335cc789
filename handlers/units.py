"""Units of work: which turns are handled together, and what each one writes to the
interaction log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from handlers.typed_text import clean_text
from handlers.types import Button, DocumentRef, Incoming, Reply
from storage.interactions import interaction_row

# Most turns in one unit of work: bounds the statement sizes and the work a rollback undoes.
MAX_WAVE = 200


def _kind(incoming: Incoming, text: str | None) -> str:
    if incoming.button is not None:
        return "button"
    if incoming.photo is not None or incoming.media is not None:
        return "photo"
    if incoming.attachment is not None:
        return "attachment"
    if incoming.shared_contact:
        return "contact"
    if text and text.startswith("/"):
        return "command"
    return "text"


def waves(incomings: Sequence[Incoming]) -> list[list[int]]:
    """Indexes of `incomings` in waves: a person's n-th message goes in the n-th wave,
    and no wave is longer than MAX_WAVE."""
    waves: list[list[int]] = []
    seen: dict[tuple[str, str], int] = {}
    for index, incoming in enumerate(incomings):
        key = (incoming.channel, incoming.external_id)
        number = seen.get(key, 0)
        seen[key] = number + 1
        while len(waves) <= number:
            waves.append([])
        waves[number].append(index)
    return [
        wave[start : start + MAX_WAVE] for wave in waves for start in range(0, len(wave), MAX_WAVE)
    ]


def log_rows(
    incoming: Incoming, contact_id: int, replies: list[Reply], now: datetime
) -> list[dict[str, Any]]:
    """The interaction log rows of one turn: the message in, then each reply."""
    text = clean_text(incoming.text) if incoming.text is not None else None
    rows = [
        interaction_row(
            contact_id, "in", _kind(incoming, text), now, text=text, button_id=incoming.button
        )
    ]
    rows += [
        interaction_row(
            contact_id,
            "out",
            "text",
            now,
            text=reply.text if reply.loggable else None,
            answer_id=reply.answer_id,
            score=reply.score,
        )
        for reply in replies
    ]
    return rows


def reply_dicts(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """Replies as JSON, to be sent later (owed replies, outbox deliveries)."""
    return [
        {
            "text": reply.text,
            "buttons": [[button.id, button.label] for button in reply.buttons],
            "photo": reply.photo,
            "language": reply.language,
            "request_phone": reply.request_phone,
            **({"document": asdict(reply.document)} if reply.document else {}),
        }
        for reply in replies
    ]


def _document(stored: object) -> DocumentRef | None:
    if not isinstance(stored, dict):
        return None
    token, filename = stored.get("token"), stored.get("filename")
    content_type = stored.get("content_type")
    if not all(isinstance(value, str) for value in (token, filename, content_type)):
        return None
    return DocumentRef(str(token), str(filename), str(content_type))


def owed_row(
    contact_id: int, incoming: Incoming, receipt: int, replies: list[Reply], now: datetime
) -> dict[str, Any]:
    """A turn's replies as an outgoing_replies row, for a channel that sends them later."""
    return {
        "receipt": receipt,
        "contact_id": contact_id,
        "channel": incoming.channel,
        "external_id": incoming.external_id,
        "replies": reply_dicts(replies),
        "created_at": now,
    }


def owed_replies(stored: list[Any]) -> list[Reply]:
    """The replies of an outgoing_replies row, ready to send again."""
    return [
        Reply(
            str(item.get("text", "")),
            tuple(Button(str(b[0]), str(b[1])) for b in item.get("buttons", [])),
            photo=item.get("photo"),
            language=str(item.get("language", "vi")),
            request_phone=bool(item.get("request_phone", False)),
            document=_document(item.get("document")),
        )
        for item in stored
        if isinstance(item, dict)
    ]
