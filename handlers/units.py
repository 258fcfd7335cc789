"""Units of work: which turns are handled together, and what each one writes to the
interaction log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from handlers.typed_text import clean_text
from handlers.types import Incoming, Reply
from storage.interactions import interaction_row

# Most turns in one unit of work: bounds the statement sizes and the work a rollback undoes.
MAX_WAVE = 200


def _kind(incoming: Incoming, text: str | None) -> str:
    if incoming.button is not None:
        return "button"
    if incoming.photo is not None:
        return "photo"
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
