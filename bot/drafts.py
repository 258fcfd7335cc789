"""Old drafts: one reminder after 30 untouched days, deleted with their photos 7 days
after that, so a half-filled form neither nags nor lingers for ever."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from content.i18n import Catalogs
from handlers.fields import photo_tokens
from handlers.types import Outbox, Reply
from storage.db import Sessions
from storage.drafts import drafts_to_delete, drafts_to_remind
from storage.media import delete_media
from storage.models import Contact

log = logging.getLogger(__name__)

REMIND_AFTER = timedelta(days=30)
DELETE_AFTER_REMINDER = timedelta(days=7)
SWEEP_EVERY = 3600.0


class DraftSweeper:
    """Reminds of and then deletes drafts nobody touches, once an hour."""

    def __init__(
        self,
        sessions: Sessions,
        outbox: Outbox,
        catalogs: Catalogs,
        clock: Callable[[], datetime],
        remove_files: Callable[[list[str]], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._catalogs = catalogs
        self._clock = clock
        self._remove_files = remove_files
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> tuple[int, int]:
        """One pass: (drafts reminded, drafts deleted)."""
        now = self._clock()
        reminders: list[tuple[int, str]] = []
        async with self._sessions.begin() as session:
            for draft in await drafts_to_remind(session, now - REMIND_AFTER):
                draft.reminded_at = now
                contact = await session.get(Contact, draft.contact_id)
                reminders.append((draft.contact_id, contact.language if contact else "vi"))
            deleted = await drafts_to_delete(session, now - DELETE_AFTER_REMINDER)
            shas: list[str] = []
            for draft in deleted:
                tokens = photo_tokens((draft.data or {}).get("values", {}).get("photos"))
                shas += await delete_media(session, tokens)
                await session.delete(draft)
        for contact_id, language in reminders:
            _ = self._catalogs.translator(language).gettext
            await self._outbox.send(
                contact_id,
                [
                    Reply(
                        _(
                            "Bạn còn một bản đề cử đang điền dở. Gõ /decu để điền tiếp; "
                            "sau 7 ngày nữa bản nháp sẽ tự xóa."
                        ),
                        language=language,
                    )
                ],
            )
        if shas and self._remove_files is not None:
            await self._remove_files(shas)
        return len(reminders), len(deleted)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                reminded, deleted = await self.sweep()
                if reminded or deleted:
                    log.info("drafts: %d reminded, %d deleted", reminded, deleted)
            except Exception:
                log.exception("draft sweep failed; trying again later")
            await asyncio.sleep(SWEEP_EVERY)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
