"""Conversation state: the journey, step and draft of each contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState


async def load_state(session: AsyncSession, contact_id: int, now: datetime) -> ConversationState:
    """The contact's state row, created empty when it has none."""
    state = await session.get(ConversationState, contact_id)
    if state is None:
        state = ConversationState(
            contact_id=contact_id, journey=None, step=None, data={}, offered=[], updated_at=now
        )
        session.add(state)
    return state
