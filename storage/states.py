"""Conversation state: the journey, step and draft of each contact."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, ConversationState


async def contacts_and_states(
    session: AsyncSession, identities: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[Contact, ConversationState | None]]:
    """The contacts known among these (channel, external id) identities, each with its
    state, in one query per channel: this runs for every message, so it is the one read a
    unit of work makes."""
    by_channel: defaultdict[str, set[str]] = defaultdict(set)
    for channel, external_id in identities:
        by_channel[channel].add(external_id)
    found: dict[tuple[str, str], tuple[Contact, ConversationState | None]] = {}
    for channel, external_ids in by_channel.items():
        result = await session.execute(
            select(Contact, ConversationState)
            .outerjoin(ConversationState, ConversationState.contact_id == Contact.id)
            .where(Contact.channel == channel, Contact.external_id.in_(external_ids))
        )
        for contact, state in result:
            found[(channel, contact.external_id)] = (contact, state)
    return found


def new_state(session: AsyncSession, contact_id: int, now: datetime) -> ConversationState:
    """An empty state row for a contact who has none yet."""
    state = ConversationState(
        contact_id=contact_id, journey=None, step=None, data={}, offered=[], updated_at=now
    )
    session.add(state)
    return state
