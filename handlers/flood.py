"""Flood control: one person sending more than a person can type is told once to slow
down, and the rest of their burst is kept but not answered, so nobody else waits."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from handlers.typed_text import clean_text
from handlers.types import Incoming, Reply, Services
from storage.inbound import claim_inbound
from storage.interactions import DROPPED, interaction_row, record_interactions
from storage.states import contacts_and_states

log = logging.getLogger(__name__)

ADMIT = "admit"
NOTICE = "notice"
DROP = "drop"

# More than 20 messages within 10 seconds is no conversation.
LIMIT = 20
WINDOW = 10.0


class FloodGate:
    """Counts each person's recent messages (in this process)."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._noticed: set[tuple[str, str]] = set()
        self._swept = clock()

    def verdict(self, person: tuple[str, str]) -> str:
        """ADMIT, NOTICE for the first message over the limit, DROP for the rest."""
        now = self._clock()
        if now - self._swept > self._window:
            self._sweep(now)
        recent = self._seen.setdefault(person, deque())
        while recent and now - recent[0] > self._window:
            recent.popleft()
        recent.append(now)
        if len(recent) <= self._limit:
            self._noticed.discard(person)
            return ADMIT
        if person in self._noticed:
            return DROP
        self._noticed.add(person)
        return NOTICE

    def _sweep(self, now: float) -> None:
        # People who went quiet are forgotten, so the table does not grow for ever.
        for person in [p for p, times in self._seen.items() if now - times[-1] > self._window]:
            del self._seen[person]
            self._noticed.discard(person)
        self._swept = now


async def record_dropped(
    services: Services, incomings: list[Incoming], notify: list[bool]
) -> list[list[Reply]]:
    """Messages past a person's flood limit: kept in the log as dropped, their
    updates marked handled, in one cheap unit of work; the first one is answered
    with a request to slow down, the rest not at all."""
    now = services.clock()
    try:
        async with services.sessions.begin() as session:
            receipts = [i.receipt for i in incomings if i.receipt is not None]
            await claim_inbound(session, receipts, now)
            found = await contacts_and_states(
                session, [(i.channel, i.external_id) for i in incomings]
            )
            rows = []
            answers: list[list[Reply]] = []
            for incoming, tell in zip(incomings, notify, strict=True):
                contact, _state = found.get((incoming.channel, incoming.external_id), (None, None))
                if contact is None:
                    answers.append([])
                    continue
                text = clean_text(incoming.text) if incoming.text else None
                rows.append(interaction_row(contact.id, "in", DROPPED, now, text=text))
                words = services.catalogs.translator(contact.language)
                answers.append(
                    [
                        Reply(
                            words.gettext(
                                "Bạn nhắn nhanh quá, mình chưa kịp đọc. Bạn đợi một "
                                "chút rồi gửi lại giúp mình nhé."
                            ),
                            language=words.language,
                        )
                    ]
                    if tell
                    else []
                )
            await record_interactions(session, rows)
    except Exception:
        log.exception("could not record %d dropped messages", len(incomings))
        return [[] for _ in incomings]
    return answers
