"""Flood control: one person sending more than a person can type is told once to slow
down, and the rest of their burst is kept but not answered, so nobody else waits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from handlers.typed_text import clean_text
from handlers.types import Incoming, Reply, Services
from storage.inbound import claim_inbound
from storage.interactions import DROPPED, interaction_row, record_interactions
from storage.states import contacts_and_states

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

ADMIT = "admit"
NOTICE = "notice"
DROP = "drop"

# More than 20 messages within 10 seconds is no conversation.
LIMIT = 20
WINDOW = 10.0
# How long a dropped message's caller waits for its (empty) answer, where the caller
# waits for answers (the web chat): a pause costs nothing here and slows a script down.
PAUSE_SECONDS = 1.0
# How often dropped messages are logged, and how many in one statement at most.
FLUSH_SECONDS = 0.5
MAX_FLUSH = 500


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
        # The last limit + 1 times are all a verdict needs, however fast a flood comes.
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._noticed: set[tuple[str, str]] = set()
        self._swept = clock()

    def verdict(self, person: tuple[str, str]) -> str:
        """ADMIT, NOTICE for the first message over the limit, DROP for the rest."""
        recent, now = self._recent(person)
        recent.append(now)
        if len(recent) <= self._limit:
            self._noticed.discard(person)
            return ADMIT
        return self._over(person)

    def refuse(self, person: tuple[str, str]) -> str | None:
        """For a channel that stops a flood before the engine: NOTICE or DROP, counted,
        for a message over the limit; None, not counted, for one `verdict` would admit
        (the engine counts it then)."""
        recent, now = self._recent(person)
        if len(recent) < self._limit:
            return None
        recent.append(now)
        return self._over(person)

    def retry_after(self, person: tuple[str, str]) -> float:
        """Seconds until this person's next message would be admitted, if they wait."""
        recent, now = self._recent(person)
        if len(recent) < self._limit:
            return 0.0
        return recent[len(recent) - self._limit] + self._window - now

    def flooding(self, person: tuple[str, str]) -> bool:
        """Whether this person was told to slow down and has not yet."""
        return person in self._noticed

    def _recent(self, person: tuple[str, str]) -> tuple[deque[float], float]:
        now = self._clock()
        if now - self._swept > self._window:
            self._sweep(now)
        recent = self._seen.get(person)
        if recent is None:
            recent = self._seen[person] = deque(maxlen=self._limit + 1)
        while recent and now - recent[0] > self._window:
            recent.popleft()
        return recent, now

    def _over(self, person: tuple[str, str]) -> str:
        if person in self._noticed:
            return DROP
        self._noticed.add(person)
        return NOTICE

    def _sweep(self, now: float) -> None:
        # People who went quiet are forgotten, so the table does not grow for ever.
        for person in [
            p for p, times in self._seen.items() if not times or now - times[-1] > self._window
        ]:
            del self._seen[person]
            self._noticed.discard(person)
        self._swept = now


async def record_dropped(
    services: Services, incomings: list[Incoming], notify: list[bool]
) -> list[list[Reply]]:
    """Messages past a person's flood limit: kept in the log as dropped, their
    updates marked handled, in one cheap unit of work; the first one is answered
    with a request to slow down, the rest not at all."""
    try:
        async with services.sessions.begin() as session:
            return await _write_dropped(session, services, incomings, notify)
    except Exception:
        log.exception("could not record %d dropped messages", len(incomings))
        return [[] for _ in incomings]


async def _write_dropped(
    session: AsyncSession, services: Services, incomings: list[Incoming], notify: list[bool]
) -> list[list[Reply]]:
    now = services.clock()
    receipts = [i.receipt for i in incomings if i.receipt is not None]
    # A copy handed over again meanwhile (the channel resuming what it thinks pending)
    # is logged once.
    claimed = await claim_inbound(session, receipts, now)
    found = await contacts_and_states(session, [(i.channel, i.external_id) for i in incomings])
    rows = []
    answers: list[list[Reply]] = []
    for incoming, tell in zip(incomings, notify, strict=True):
        contact, _state = found.get((incoming.channel, incoming.external_id), (None, None))
        if contact is None or (incoming.receipt is not None and incoming.receipt not in claimed):
            answers.append([])
            continue
        claimed.discard(incoming.receipt or 0)
        text = clean_text(incoming.text) if incoming.text else None
        rows.append(interaction_row(contact.id, "in", DROPPED, now, text=text))
        words = services.catalogs.translator(contact.language)
        notice = words.gettext(
            "Bạn nhắn nhanh quá, mình chưa kịp đọc. Bạn đợi một chút rồi gửi lại giúp mình nhé."
        )
        answers.append([Reply(notice, language=words.language)] if tell else [])
    await record_interactions(session, rows)
    return answers


class DroppedMessages:
    """The messages dropped in a flood, logged together every FLUSH_SECONDS: a flood
    costs one write for the lot instead of one per message, so the database stays free
    for everyone else. A crash loses at most the last FLUSH_SECONDS of a flood's log;
    the updates of channels that store them stay unhandled and are handed over again."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._pending: list[Incoming] = []
        self._task: asyncio.Task[None] | None = None
        self._asleep = False

    def add(self, incomings: list[Incoming]) -> None:
        if not incomings:
            return
        self._pending += incomings
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        self._asleep = True
        try:
            await asyncio.sleep(FLUSH_SECONDS)
        finally:
            self._asleep = False
        await self.flush()

    async def flush(self) -> None:
        """Log what was dropped so far (at shutdown, and in tests)."""
        waiting = self._task
        if waiting is not None and waiting is not asyncio.current_task():
            # Once it has slept it is writing: let it finish rather than cut it.
            if self._asleep:
                waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
            self._task = None
        while self._pending:
            batch, self._pending = self._pending[:MAX_FLUSH], self._pending[MAX_FLUSH:]
            await record_dropped(self._services, batch, [False] * len(batch))
