"""Once a month, each commune's results go to the subscribers who asked for them
(U-Report's oldest open request: results back to each village)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from content.areas import load_areas
from content.i18n import Catalogs
from handlers.digest import digest_text, month_before
from handlers.fields import VIETNAM
from storage.broadcasts import create_broadcast
from storage.db import Sessions
from storage.figures import commune_figures, communes_wanting_results
from storage.models import Broadcast

log = logging.getLogger(__name__)

# Sent on the 1st, from 08:00 Vietnam time.
SEND_HOUR = 8
CHECK_SECONDS = 3600.0


class MonthlyDigest:
    """Queues one digest broadcast per commune that wants one, once a month."""

    def __init__(
        self, sessions: Sessions, catalogs: Catalogs, clock: Callable[[], datetime]
    ) -> None:
        self._sessions = sessions
        self._catalogs = catalogs
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Queue this month's digests if it is time and they are not queued yet; how
        many were queued."""
        now = self._clock()
        local = now.astimezone(VIETNAM)
        if local.day != 1 or local.hour < SEND_HOUR:
            return 0
        start, end = month_before(now)
        words = self._catalogs.translator("vi")
        queued = 0
        async with self._sessions.begin() as session:
            already = await session.scalar(
                select(func.count())
                .select_from(Broadcast)
                .where(Broadcast.kind == "digest", Broadcast.created_at >= end)
            )
            if already:
                return 0
            for code in await communes_wanting_results(session):
                commune = load_areas().get(code)
                if commune is None:
                    continue
                figures = await commune_figures(session, code, start, end)
                await create_broadcast(
                    session,
                    kind="digest",
                    created_by="system:digest",
                    created_by_contact_id=None,
                    province=commune.province,
                    audience=[f"commune:{code}"],
                    text=digest_text(words, commune.name, start, figures),
                    scheduled_at=now,
                    now=now,
                )
                queued += 1
        return queued

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="monthly-digest")

    async def _run(self) -> None:
        while True:
            try:
                queued = await self.run_once()
                if queued:
                    log.info("monthly digest queued for %d communes", queued)
            except Exception:
                log.exception("monthly digest failed; trying again in an hour")
            await asyncio.sleep(CHECK_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
