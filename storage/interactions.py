"""The interaction log: every message in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Interaction

# The kind of an outgoing message sent outside a turn (officer answer, announcement).
PUSH = "push"
# A message past its sender's flood limit: kept, not answered.
DROPPED = "dropped"
# Longer texts are refused before they reach a journey; the log keeps this much of them.
MAX_LOGGED_TEXT = 4000


def interaction_row(
    contact_id: int,
    direction: str,
    kind: str,
    at: datetime,
    *,
    text: str | None = None,
    button_id: str | None = None,
    answer_id: str | None = None,
    score: float | None = None,
) -> dict[str, Any]:
    """One interaction as column values, for `record_interactions`."""
    return {
        "contact_id": contact_id,
        "direction": direction,
        "kind": kind,
        "text": text[:MAX_LOGGED_TEXT] if text is not None else None,
        "button_id": button_id,
        "answer_id": answer_id,
        "score": score,
        "at": at,
    }


async def record_interactions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert a turn's interactions in one statement (no ids fetched back)."""
    if rows:
        # render_nulls keeps rows with different empty columns in one executemany.
        await session.execute(insert(Interaction).execution_options(render_nulls=True), rows)


async def recent_interactions(
    session: AsyncSession, contact_id: int, limit: int | None = 50
) -> list[Interaction]:
    """The contact's latest interactions (all of them with `limit=None`), oldest first."""
    result = await session.execute(
        select(Interaction)
        .where(Interaction.contact_id == contact_id)
        .order_by(Interaction.id.desc())
        .limit(limit)
    )
    return list(reversed(result.scalars().all()))


async def latest_interaction_id(session: AsyncSession, contact_id: int) -> int:
    """The id of the contact's newest interaction, 0 when there is none."""
    latest = await session.scalar(
        select(func.max(Interaction.id)).where(Interaction.contact_id == contact_id)
    )
    return int(latest or 0)


async def pushed_after(session: AsyncSession, contact_id: int, after_id: int) -> list[Interaction]:
    """Messages pushed to the contact outside a conversation turn (officer answers,
    announcements) with an id above `after_id`, oldest first."""
    result = await session.execute(
        select(Interaction)
        .where(
            Interaction.contact_id == contact_id,
            Interaction.kind == PUSH,
            Interaction.id > after_id,
        )
        .order_by(Interaction.id)
    )
    return list(result.scalars().all())
