"""Sweeps expired documents (files sent in chat) out of the database while the service
runs: hourly, so none outlives its expiry by much more than that."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from storage.db import Sessions
from storage.documents import delete_expired_documents

log = logging.getLogger(__name__)

SWEEP_EVERY = 3600.0
# The first sweep waits a little, so that starting the service stays quick.
FIRST_SWEEP_SECONDS = 60.0


class DocumentSweeper:
    """Deletes expired documents, now (`sweep`) or hourly in the background."""

    def __init__(
        self,
        sessions: Sessions,
        clock: Callable[[], datetime],
        first_seconds: float = FIRST_SWEEP_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._first = first_seconds

    async def sweep(self) -> int:
        """Delete what has expired; returns how many documents went."""
        async with self._sessions.begin() as session:
            return await delete_expired_documents(session, self._clock())

    async def _run(self) -> None:
        await asyncio.sleep(self._first)
        while True:
            try:
                swept = await self.sweep()
                if swept:
                    log.info("deleted %d expired documents", swept)
            except Exception:
                # The database away, say: the next sweep catches up.
                log.exception("deleting expired documents failed")
            await asyncio.sleep(SWEEP_EVERY)

    async def running(self, _app: web.Application) -> AsyncIterator[None]:
        """For `web.Application.cleanup_ctx`: sweeps for as long as the server runs."""
        task = asyncio.create_task(self._run(), name="document-sweep")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
