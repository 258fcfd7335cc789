"""Retention: what people wrote is erased from the interaction log after RETENTION_DAYS
(the rows stay, so figures still count them), and platform updates once handled are
deleted after the week in which a late copy could still arrive."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from storage.db import Sessions
from storage.inbound import purge_handled_inbound
from storage.models import Interaction

log = logging.getLogger(__name__)

# Handled updates are purged hourly, so none outlives KEEP_HANDLED by more than that.
SWEEP_EVERY = 3600.0
# Texts are purged once a day: that query reads the whole log.
TEXTS_EVERY = timedelta(days=1)
# Texts cleared per transaction: short ones, so turns go on in between (one writer on SQLite).
BATCH = 500


@dataclass(frozen=True)
class Purged:
    """What one pass removed."""

    texts: int
    updates: int


class Retention:
    """Purges old interaction texts (daily) and old handled updates (hourly)."""

    def __init__(self, sessions: Sessions, clock: Callable[[], datetime], days: int) -> None:
        self._sessions = sessions
        self._clock = clock
        self.keep_texts = timedelta(days=days)
        self._texts_done_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> Purged:
        """One full pass: texts older than RETENTION_DAYS and handled updates."""
        now = self._clock()
        texts = await self.purge_texts(now - self.keep_texts)
        self._texts_done_at = now
        async with self._sessions.begin() as session:
            updates = await purge_handled_inbound(session, now)
        return Purged(texts, updates)

    async def purge_texts(self, before: datetime) -> int:
        """Set the text of interactions from before `before` to NULL, in batches walked
        by id (each batch starts where the last ended, so the log is read once)."""
        cleared = 0
        after = 0
        while True:
            async with self._sessions.begin() as session:
                ids = list(
                    await session.scalars(
                        select(Interaction.id)
                        .where(
                            Interaction.id > after,
                            Interaction.at < before,
                            Interaction.text.is_not(None),
                        )
                        .order_by(Interaction.id)
                        .limit(BATCH)
                    )
                )
                if not ids:
                    return cleared
                await session.execute(
                    update(Interaction).where(Interaction.id.in_(ids)).values(text=None)
                )
            cleared += len(ids)
            after = ids[-1]

    async def _sweep(self) -> Purged:
        now = self._clock()
        if self._texts_done_at is None or now - self._texts_done_at >= TEXTS_EVERY:
            return await self.run_once()
        async with self._sessions.begin() as session:
            return Purged(0, await purge_handled_inbound(session, now))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="retention")

    async def _run(self) -> None:
        while True:
            try:
                purged = await self._sweep()
                if purged.texts or purged.updates:
                    log.info(
                        "retention: %d texts erased, %d handled updates deleted",
                        purged.texts,
                        purged.updates,
                    )
            except Exception:
                log.exception("retention pass failed; trying again later")
            await asyncio.sleep(SWEEP_EVERY)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
