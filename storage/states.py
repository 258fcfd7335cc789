"""Conversation state: the journey, step and draft of each contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, ConversationState


async def contact_and_state(
    session: AsyncSession, channel: str, external_id: str
) -> tuple[Contact, ConversationState | None] | None:
    """The contact for this identity with its state, in one query: this runs on every
    message, so it is the one read a turn makes."""
    result = await session.execute(
        select(Contact, ConversationState)
        .outerjoin(ConversationState, ConversationState.contact_id == Contact.id)
        .where(Contact.channel == channel, Contact.external_id == external_id)
    )
    row = result.first()
    return (row[0], row[1]) if row else None


def new_state(session: AsyncSession, contact_id: int, now: datetime) -> ConversationState:
    """An empty state row for a contact who has none yet."""
    state = ConversationState(
        contact_id=contact_id, journey=None, step=None, data={}, offered=[], updated_at=now
    )
    session.add(state)
    return state
