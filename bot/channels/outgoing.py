"""Stored replies deleted once sent, a handful of statements a second however many go out."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from storage.db import Sessions
from storage.outgoing import forget_sent

log = logging.getLogger(__name__)

# How often sent replies are deleted, at most; a crash in between only sends them again.
FLUSH_SECONDS = 0.25


class SentReplies:
    """Collects which stored replies went out (by the receipt of the update they
    answer) and deletes them together."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._receipts: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    def sent(self, receipt: int) -> None:
        self._receipts.add(receipt)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        receipts, self._receipts = self._receipts, set()
        try:
            await forget_sent(self._sessions, receipts)
        except Exception:
            # Kept for the next flush; at worst they are sent again after a restart.
            log.exception("could not delete %d sent replies", len(receipts))
            self._receipts |= receipts

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
