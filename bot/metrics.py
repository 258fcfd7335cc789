"""`GET /metrics`: the service's figures in the Prometheus text format, for a bearer of
METRICS_TOKEN. Most are read from the database when scraped (the same in every process
sharing it); errors are counted as they are logged, in this process."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Sessions
from storage.deliveries import outbox_depth
from storage.inbound import set_aside_count
from storage.models import Contact, InboundUpdate, Interaction, OfficerQuestion

log = logging.getLogger(__name__)

# The engine logs every turn that failed (apologised for, or lost until the database is
# back) at ERROR under this name.
ENGINE_LOGGER = "handlers.engine"
# Counting dead letters reads every stored update's payload: not at every scrape.
DEAD_LETTERS_EVERY = 60.0


class RowTally:
    """Counts a table's rows once each, by id, without reading the whole table again:
    each look counts the rows up to the highest id seen at the look before. A row whose
    transaction was still open then (its id below a committed one) is counted too."""

    def __init__(self) -> None:
        self.counted = 0
        self._seen: int | None = None

    def window(self, top: int) -> tuple[int, int]:
        """Ids to count now: above `counted`, up to the highest id seen last time (the
        first time, every row there is)."""
        upto = top if self._seen is None else min(self._seen, top)
        return self.counted, max(upto, self.counted)

    def done(self, upto: int, top: int) -> None:
        self.counted = upto
        self._seen = top


class ErrorCount(logging.Handler):
    """Counts records at ERROR and above, by logger; failed turns apart."""

    def __init__(self, errors: Counter, turn_errors: Counter) -> None:
        super().__init__(logging.ERROR)
        self._errors = errors
        self._turn_errors = turn_errors

    def emit(self, record: logging.LogRecord) -> None:
        self._errors.labels(logger=record.name).inc()
        if record.name == ENGINE_LOGGER:
            self._turn_errors.inc()


class Metrics:
    """The figures of one service, in a registry of its own (several services in one
    process, as in tests, do not collide)."""

    def __init__(
        self,
        sessions: Sessions,
        clock: Callable[[], datetime],
        token: str,
        last_success: Callable[[], Mapping[str, datetime | None]],
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._token = token.encode()
        self._last_success = last_success
        self._lock = asyncio.Lock()
        self._interactions = RowTally()
        self._questions = RowTally()
        self._answered = 0
        self._handed = 0
        self._dead_letters_at: float | None = None
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates_in = Counter(
            "chungsuc_updates_in", "Messages received, by channel", ["channel"], registry=r
        )
        self.replies_out = Counter(
            "chungsuc_replies_out", "Messages sent, by channel", ["channel"], registry=r
        )
        self.answers = Counter(
            "chungsuc_answers", "Questions answered from the knowledge base", registry=r
        )
        self.handoffs = Counter(
            "chungsuc_handoffs", "Questions handed over to officers", registry=r
        )
        self.fallback_ratio = Gauge(
            "chungsuc_answer_fallback_ratio",
            "Handed over / (answered + handed over), over the counts above",
            registry=r,
        )
        self.turn_errors = Counter(
            "chungsuc_turn_errors", "Turns that failed (this process)", registry=r
        )
        self.errors = Counter(
            "chungsuc_log_errors", "Records logged at ERROR (this process)", ["logger"], registry=r
        )
        self.outbox_depth = Gauge(
            "chungsuc_outbox_depth", "Deliveries waiting or being sent", registry=r
        )
        self.outbox_age = Gauge(
            "chungsuc_outbox_oldest_age_seconds",
            "Age of the oldest delivery waiting or being sent (0 when none)",
            registry=r,
        )
        self.dead_letters = Gauge(
            "chungsuc_dead_letters",
            "Platform updates set aside after failing twice (kept a week)",
            registry=r,
        )
        self.inbound_unhandled = Gauge(
            "chungsuc_inbound_unhandled",
            "Platform updates stored and not handled yet",
            registry=r,
        )
        self.last_seen = Gauge(
            "chungsuc_channel_last_success_timestamp_seconds",
            "When each channel last polled or took a webhook successfully",
            ["channel"],
            registry=r,
        )
        self.database_up = Gauge(
            "chungsuc_database_up", "1 when the last scrape could read the database", registry=r
        )
        self._log_handler = ErrorCount(self.errors, self.turn_errors)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self.handle)

    def start(self) -> None:
        """Count errors logged from now on."""
        logging.getLogger().addHandler(self._log_handler)

    def stop(self) -> None:
        logging.getLogger().removeHandler(self._log_handler)

    def authorised(self, request: web.Request) -> bool:
        """The request bears METRICS_TOKEN (compared in constant time)."""
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode(), self._token)

    async def handle(self, request: web.Request) -> web.Response:
        if not self.authorised(request):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        async with self._lock:
            await self.refresh()
            body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def refresh(self) -> None:
        """Bring the figures read from the database up to date."""
        for channel, at in self._last_success().items():
            if at is not None:
                self.last_seen.labels(channel=channel).set(at.timestamp())
        try:
            async with self._sessions() as session:
                await self._count_messages(session)
                await self._count_handoffs(session)
                depth, oldest = await outbox_depth(session)
                unhandled = await session.scalar(
                    select(func.count())
                    .select_from(InboundUpdate)
                    .where(InboundUpdate.handled_at.is_(None))
                )
                await self._count_dead_letters(session)
        except Exception:
            log.warning("metrics: the database could not be read", exc_info=True)
            self.database_up.set(0)
            return
        self.database_up.set(1)
        self.outbox_depth.set(depth)
        age = (self._clock() - oldest).total_seconds() if oldest is not None else 0.0
        self.outbox_age.set(max(age, 0.0))
        self.inbound_unhandled.set(int(unhandled or 0))
        asked = self._answered + self._handed
        self.fallback_ratio.set(self._handed / asked if asked else 0.0)

    async def _count_dead_letters(self, session: AsyncSession) -> None:
        now = asyncio.get_running_loop().time()
        if self._dead_letters_at is None or now - self._dead_letters_at >= DEAD_LETTERS_EVERY:
            self.dead_letters.set(await set_aside_count(session))
            self._dead_letters_at = now

    async def _count_messages(self, session: AsyncSession) -> None:
        top = int(await session.scalar(select(func.max(Interaction.id))) or 0)
        after, upto = self._interactions.window(top)
        if upto > after:
            rows = await session.execute(
                select(
                    Contact.channel,
                    Interaction.direction,
                    func.count(),
                    func.count(Interaction.answer_id),
                )
                .join(Contact, Contact.id == Interaction.contact_id)
                .where(Interaction.id > after, Interaction.id <= upto)
                .group_by(Contact.channel, Interaction.direction)
            )
            for channel, direction, count, answered in rows:
                if direction == "in":
                    self.updates_in.labels(channel=channel).inc(count)
                else:
                    self.replies_out.labels(channel=channel).inc(count)
                    self.answers.inc(answered)
                    self._answered += answered
        self._interactions.done(upto, top)

    async def _count_handoffs(self, session: AsyncSession) -> None:
        top = int(await session.scalar(select(func.max(OfficerQuestion.id))) or 0)
        after, upto = self._questions.window(top)
        if upto > after:
            count = await session.scalar(
                select(func.count())
                .select_from(OfficerQuestion)
                .where(OfficerQuestion.id > after, OfficerQuestion.id <= upto)
            )
            self.handoffs.inc(int(count or 0))
            self._handed += int(count or 0)
        self._questions.done(upto, top)
