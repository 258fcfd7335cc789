"""The outbox: every message to someone other than the person being answered (an
officer's answer, a notice to officers, a status notice, an announcement) is a
`deliveries` row written in the transaction that causes it, and a sender per channel
sends it.

A sender claims a batch of due rows, sends them at the channel's pace (one chat's
messages in order, different chats side by side), and records each outcome: sent,
failed, blocked (the person is marked and unsubscribed) or tried again later. A crash
between claiming and recording sends at most the claimed batch twice: the next sender
of that channel puts back what was claimed and not recorded. On PostgreSQL one process
at a time sends for a channel, holding an advisory lock, so the platform's overall
limit holds however many processes run; when it dies another takes over in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.quiet import QuietHours
from handlers.locks import KeyedLocks
from handlers.types import Reply
from handlers.units import owed_replies, reply_dicts
from storage.db import Sessions
from storage.deliveries import (
    BLOCKED,
    FAILED,
    RETRY,
    SENT,
    Claimed,
    Outcomes,
    SendOutcome,
    claim_due,
    delivery_row,
    queue_deliveries,
    record_outcomes,
    release_claims,
)
from storage.interactions import PUSH, interaction_row, record_interactions
from storage.models import Contact

log = logging.getLogger(__name__)

# Rows claimed at once: also the most that a crash can send twice on one channel.
BATCH = 30
# Chats sent to side by side within a batch.
IN_FLIGHT = 16
# Tries before a delivery is given up as failed; the waits between them grow to an hour.
MAX_ATTEMPTS = 8
IDLE_SECONDS = 1.0
LEADER_RETRY_SECONDS = 2.0


class Transport(Protocol):
    """What a channel offers the outbox: send one delivery and say how it went."""

    async def send_delivery(
        self, external_id: str, replies: Sequence[Reply], lane: int
    ) -> SendOutcome: ...


# Told who was sent to once the outcomes are recorded (the web chat wakes open pages).
Delivered = Callable[[Sequence[str]], None]


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before trying a delivery again after `attempts` failures."""
    return timedelta(seconds=min(5 * 2**attempts, 3600))


class Leadership(Protocol):
    async def hold(self) -> bool: ...

    async def release(self) -> None: ...


class OnlySender:
    """SQLite: one process owns the database file, so its sender always leads."""

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLock:
    """PostgreSQL: leadership is a session advisory lock held on a connection of its
    own; it ends when the process (or its connection) dies."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self._engine = engine
        self._key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        self._connection: AsyncConnection | None = None

    async def hold(self) -> bool:
        try:
            if self._connection is not None:
                await self._connection.execute(text("SELECT 1"))
                return True
            connection = await self._engine.connect()
            held = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
            if held:
                self._connection = connection
                return True
            await connection.close()
        except Exception:
            log.warning("outbox leadership check failed; trying again", exc_info=True)
            await self.release()
        return False

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


class ChannelSender:
    """Sends one channel's deliveries, for as long as it leads."""

    def __init__(
        self,
        channel: str,
        transport: Transport,
        sessions: Sessions,
        clock: Callable[[], datetime],
        locks: KeyedLocks,
        leadership: Leadership,
        quiet: QuietHours,
        delivered: Delivered | None = None,
    ) -> None:
        self.channel = channel
        self._delivered = delivered
        self._transport = transport
        self._sessions = sessions
        self._clock = clock
        self._locks = locks
        self._leadership = leadership
        self._quiet = quiet
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._leading = False
        self.sent = 0

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.channel}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._leadership.release()

    async def _run(self) -> None:
        while True:
            try:
                if not await self._lead():
                    await asyncio.sleep(LEADER_RETRY_SECONDS)
                    continue
                if not await self.send_due():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)
                    self._wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox for %s failed; trying again shortly", self.channel)
                await asyncio.sleep(IDLE_SECONDS)

    async def _lead(self) -> bool:
        leading = await self._leadership.hold()
        if leading and not self._leading:
            # Taking over: what the last sender claimed and never recorded goes again.
            released = await release_claims(self._sessions, self.channel)
            if released:
                log.info("outbox for %s: %d claimed deliveries put back", self.channel, released)
        self._leading = leading
        return leading

    async def send_due(self) -> int:
        """Claim, send and record one batch; how many deliveries it held."""
        now = self._clock()
        claimed = await claim_due(
            self._sessions, self.channel, now, BATCH, bulk_allowed=self._quiet.allows_bulk(now)
        )
        if not claimed:
            return 0
        results = await self._send_all(claimed)
        await self._record(claimed, results)
        return len(claimed)

    async def _send_all(self, claimed: list[Claimed]) -> dict[int, SendOutcome]:
        by_chat: dict[str, list[Claimed]] = {}
        for delivery in claimed:
            by_chat.setdefault(delivery.external_id, []).append(delivery)
        results: dict[int, SendOutcome] = {}
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def send_chat(deliveries: list[Claimed]) -> None:
            async with gate:
                for delivery in deliveries:
                    results[delivery.id] = await self._send_one(delivery)

        await asyncio.gather(*(send_chat(d) for d in by_chat.values()))
        return results

    async def _send_one(self, delivery: Claimed) -> SendOutcome:
        try:
            return await self._transport.send_delivery(
                delivery.external_id, owed_replies(delivery.replies), delivery.lane
            )
        except Exception as error:
            log.exception("sending delivery %d on %s failed", delivery.id, self.channel)
            return SendOutcome(RETRY, error=type(error).__name__)

    async def _record(self, claimed: list[Claimed], results: dict[int, SendOutcome]) -> None:
        now = self._clock()
        outcomes = Outcomes.empty()
        rows = []
        sent_to: list[str] = []
        for delivery in claimed:
            result = results[delivery.id]
            if result.status == SENT:
                outcomes.sent.append((delivery.id, result.message_id))
                rows += [
                    interaction_row(delivery.contact_id, "out", PUSH, now, text=reply.text)
                    for reply in owed_replies(delivery.replies)
                ]
                sent_to.append(delivery.external_id)
            elif result.status == BLOCKED:
                outcomes.blocked.append(delivery.id)
            elif result.status == FAILED or delivery.attempts + 1 >= MAX_ATTEMPTS:
                outcomes.failed.append((delivery.id, result.error or "failed"))
            else:
                wait = (
                    timedelta(seconds=result.retry_in)
                    if result.retry_in
                    else retry_delay(delivery.attempts)
                )
                outcomes.retry.append((delivery.id, now + wait, result.error or "retry"))
        # The people's locks: a message logged for someone lands between their turns,
        # so the web chat's "after this id" cursor never skips one.
        keys = sorted({(self.channel, d.external_id) for d in claimed})
        async with self._locks.holding(keys), self._sessions.begin() as session:
            await record_outcomes(session, outcomes, now)
            await record_interactions(session, rows)
        self.sent += len(outcomes.sent)
        if sent_to and self._delivered is not None:
            self._delivered(sent_to)


class Outbox:
    """Writes deliveries and keeps one sender per channel."""

    def __init__(
        self,
        sessions: Sessions,
        clock: Callable[[], datetime],
        locks: KeyedLocks,
        engine: AsyncEngine,
        quiet: QuietHours,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._locks = locks
        self._engine = engine
        self._quiet = quiet
        self.senders: dict[str, ChannelSender] = {}
        self._started = False

    def register(
        self, channel: str, transport: Transport, delivered: Delivered | None = None
    ) -> None:
        leadership: Leadership = (
            AdvisoryLock(self._engine, f"chungsuc-outbox:{channel}")
            if self._engine.dialect.name == "postgresql"
            else OnlySender()
        )
        self.senders[channel] = ChannelSender(
            channel,
            transport,
            self._sessions,
            self._clock,
            self._locks,
            leadership,
            self._quiet,
            delivered,
        )

    async def send(self, contact_id: int, replies: Sequence[Reply]) -> None:
        """Queue a message to one contact, outside any turn (a worker's reminder)."""
        async with self._sessions.begin() as session:
            contact = await session.scalar(select(Contact).where(Contact.id == contact_id))
            if contact is None:
                return
            row = delivery_row(contact, reply_dicts(replies), self._clock())
            await queue_deliveries(session, [row])
        self.wake(contact.channel)

    def wake(self, channel: str | None = None) -> None:
        """New deliveries are waiting (on `channel`, or anywhere)."""
        for name, sender in self.senders.items():
            if channel is None or name == channel:
                sender.wake()

    def start(self) -> None:
        for sender in self.senders.values():
            sender.start()
        self._started = True

    async def stop(self) -> None:
        for sender in self.senders.values():
            await sender.stop()

    async def drain(self) -> None:
        """Send what is due now on every channel (tests, and a service without
        background senders)."""
        for sender in self.senders.values():
            while await sender.send_due():
                pass
