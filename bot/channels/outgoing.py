"""Replies kept until sent, for channels that send after the turn.

The engine writes a turn's replies with the turn (see `Engine.deferred`). The channel
sends them through `OwedReplies.send`; once they are out, their stored copy is deleted
at once, together only with the others that finished while the previous delete was
being committed. If they cannot be sent (the platform down for minutes, the service
stopping first), the copy stays, and `resend` sends it later: at the next start, or a
little after the failure.

So a process killed outright sends again, at its next start, only what was in flight:
the replies the platform had taken without the answer reaching us, and those whose
delete was being committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.channels.background import RetrySoon
from handlers.types import Reply
from handlers.units import owed_replies
from storage.db import Sessions
from storage.models import utcnow
from storage.outgoing import forget_sent, still_owed

log = logging.getLogger(__name__)

# How long to wait before deleting sent replies again after the database refused.
RETRY_FLUSH_SECONDS = 1.0
# How long stopping waits for a delete under way.
STOP_SECONDS = 5.0
# Replies younger than this are not resent after a failure: their turn may still be
# about to send them.
STALE_AFTER = timedelta(seconds=30)

Deliver = Callable[[str, list[Reply]], Awaitable[None]]
Schedule = Callable[[str, list[Reply], int | None], Awaitable[None]]


class SentReplies:
    """Deletes the stored copy of replies as soon as they went out (by the receipt of
    the update they answer): one delete at a time, each taking every reply that went out
    while the one before was committed."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._receipts: set[int] = set()
        self._deleting: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    def sent(self, receipt: int) -> None:
        self._receipts.add(receipt)
        # A send that returns after stopping starts no delete: the database may be
        # closing under it. Its copy stays and is sent again at the next start.
        if self._stopped:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_while_any())

    def pending(self) -> set[int]:
        """Receipts sent and not deleted yet: not to be sent again."""
        return self._receipts | self._deleting

    async def _flush_while_any(self) -> None:
        while self._receipts:
            if not await self.flush():
                await asyncio.sleep(RETRY_FLUSH_SECONDS)

    async def flush(self) -> bool:
        """Delete what was sent so far; False when the database refused (kept for the
        next flush)."""
        receipts, self._receipts = self._receipts, set()
        self._deleting |= receipts
        try:
            await forget_sent(self._sessions, receipts)
        except BaseException as error:
            # Kept for the next flush; at worst they are sent again after a restart.
            self._receipts |= receipts
            if not isinstance(error, Exception):
                raise
            log.exception("could not delete %d sent replies", len(receipts))
            return False
        finally:
            self._deleting -= receipts
        return True

    async def stop(self) -> None:
        """Delete what was sent, waiting for a delete under way rather than cutting it."""
        self._stopped = True
        if self._task is not None:
            _done, running = await asyncio.wait([self._task], timeout=STOP_SECONDS)
            for task in running:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._task = None
        if self._receipts:
            await self.flush()


class OwedReplies:
    """A channel's replies from their turn to the platform, none lost on the way.

    `schedule` is how the channel queues a turn's replies for sending in order per chat;
    it ends up calling `send`. `transient` tells a failure worth trying again later (the
    platform unreachable) from one that will not pass (a message it refuses).
    """

    def __init__(
        self,
        sessions: Sessions,
        channel: str,
        schedule: Schedule,
        transient: Callable[[BaseException], bool],
        resend_after: float,
    ) -> None:
        self._sessions = sessions
        self._channel = channel
        self._schedule = schedule
        self._transient = transient
        self._sent = SentReplies(sessions)
        # Receipts of stored replies queued or being sent now: not resent meanwhile.
        self._sending: set[int] = set()
        self._retry = RetrySoon(self._resend_stale, resend_after)

    def queued(self, receipt: int | None) -> None:
        """Note that these replies are on their way, so `resend` leaves them be."""
        if receipt is not None:
            self._sending.add(receipt)

    async def send(
        self, deliver: Deliver, chat: str, replies: list[Reply], receipt: int | None
    ) -> None:
        """Deliver a turn's replies; once they are out, their stored copy goes. If the
        platform could not be reached, the copy stays and is sent again later; if it
        refused them, trying again cannot help, and the copy goes too."""
        try:
            await deliver(chat, replies)
        except Exception as error:
            if receipt is not None:
                if self._transient(error):
                    self._retry.request()
                else:
                    self._sent.sent(receipt)
            raise
        finally:
            if receipt is not None:
                self._sending.discard(receipt)
        if receipt is not None:
            self._sent.sent(receipt)

    async def resend(self, written_before: datetime | None = None) -> None:
        """Queue the replies still owed, oldest first (only those written before
        `written_before`, when given), but for those on their way or just sent."""
        skip = self._sending | self._sent.pending()
        for row in await still_owed(self._sessions, self._channel, skip, written_before):
            await self._schedule(row.external_id, owed_replies(row.replies), row.receipt)

    async def _resend_stale(self) -> None:
        # Recent ones belong to turns whose sending is still ahead of them.
        await self.resend(written_before=utcnow() - STALE_AFTER)

    async def stop_retrying(self) -> None:
        await self._retry.stop()

    async def stop(self) -> None:
        """Delete what was sent; what was not stays for the next start."""
        await self._retry.stop()
        await self._sent.stop()
