"""Delivery of messages to contacts other than the one being served."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from handlers.locks import KeyedLocks
from handlers.types import Reply
from storage.db import Sessions
from storage.interactions import PUSH, interaction_row, record_interactions
from storage.models import Contact

log = logging.getLogger(__name__)


class Deliverer(Protocol):
    """What a channel offers the outbox: send replies to one of its identities."""

    async def deliver(self, external_id: str, replies: Sequence[Reply]) -> None: ...


class ChannelOutbox:
    """Routes a message to the channel of the contact, and logs it as an interaction.

    The interaction is written first: a channel outage must not lose the record of what
    an officer said, and the web chat shows it from history when the page comes back.
    """

    def __init__(
        self, sessions: Sessions, clock: Callable[[], datetime], locks: KeyedLocks
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._channels: dict[str, Deliverer] = {}
        # The engine's per-contact locks: a message for a person is logged between their
        # turns, never interleaved, so ids follow commit order and the web chat's
        # "after this id" cursor cannot skip one.
        self._locks = locks

    def register(self, channel: str, deliverer: Deliverer) -> None:
        self._channels[channel] = deliverer

    async def send(self, contact_id: int, replies: Sequence[Reply]) -> None:
        async with self._sessions() as session:
            contact = await session.get(Contact, contact_id)
        if contact is None:
            return
        async with (
            self._locks.get((contact.channel, contact.external_id)),
            self._sessions.begin() as session,
        ):
            now = self._clock()
            await record_interactions(
                session,
                [interaction_row(contact.id, "out", PUSH, now, text=r.text) for r in replies],
            )
        deliverer = self._channels.get(contact.channel)
        if deliverer is None:
            log.warning("no channel %s to reach contact %s", contact.channel, contact_id)
            return
        await deliverer.deliver(contact.external_id, replies)
