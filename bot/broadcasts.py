"""Broadcasts going out: recipients added a page at a time when their time comes, the
senders woken, progress reported to whoever sent it, and a summary at the end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.quiet import QuietHours
from content.i18n import Catalogs
from handlers.types import Reply
from handlers.units import reply_dicts
from storage.broadcasts import due_broadcasts, expand_page, sending_broadcasts
from storage.db import Sessions
from storage.deliveries import (
    BLOCKED,
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    broadcast_counts,
    failure_reasons,
    queue_notices,
)
from storage.models import Broadcast, Contact

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
PROGRESS_EVERY = timedelta(minutes=1)
# Announcements to fewer people than this finish too fast to need progress reports.
PROGRESS_FROM = 200


class BroadcastWorker:
    """Moves broadcasts along: queued → expanding → sending → done."""

    def __init__(
        self,
        sessions: Sessions,
        wake: Callable[[], None],
        catalogs: Catalogs,
        clock: Callable[[], datetime],
        quiet: QuietHours,
    ) -> None:
        self._sessions = sessions
        self._wake = wake
        self._catalogs = catalogs
        self._clock = clock
        self._quiet = quiet
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        """One pass: add the recipients of every broadcast due, then report on those
        going out."""
        now = self._clock()
        async with self._sessions() as session:
            due = [b.id for b in await due_broadcasts(session, now)]
        for broadcast_id in due:
            await self._expand(broadcast_id)
        async with self._sessions() as session:
            sending = [b.id for b in await sending_broadcasts(session)]
        for broadcast_id in sending:
            await self._follow(broadcast_id)

    async def _expand(self, broadcast_id: int) -> None:
        while True:
            now = self._clock()
            async with self._sessions.begin() as session:
                broadcast = await session.get(Broadcast, broadcast_id)
                if broadcast is None or broadcast.status not in ("queued", "expanding"):
                    return
                broadcast.status = "expanding"
                broadcast.started_at = broadcast.started_at or now
                added = await expand_page(session, broadcast, now)
                if not added:
                    broadcast.status = "sending"
                    broadcast.progress_at = now
            # Sending starts with the first page, while later pages are still added.
            self._wake()
            if not added:
                return

    async def _follow(self, broadcast_id: int) -> None:
        now = self._clock()
        async with self._sessions.begin() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.status != "sending":
                return
            counts = await broadcast_counts(session, broadcast_id)
            waiting = counts.get(PENDING, 0) + counts.get(SENDING, 0)
            if waiting == 0:
                done = await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
                    .values(status="done", finished_at=now)
                    .returning(Broadcast.id)
                )
                if done.first() is not None:
                    await self._tell(session, broadcast, self._summary(broadcast, counts, now))
                    reasons = await failure_reasons(session, broadcast_id)
                    if reasons:
                        log.info("broadcast %d failures: %s", broadcast_id, reasons)
                return
            if (
                broadcast.total >= PROGRESS_FROM
                and broadcast.progress_at is not None
                and now - broadcast.progress_at >= PROGRESS_EVERY
            ):
                broadcast.progress_at = now
                await self._tell(session, broadcast, self._progress(broadcast, counts))

    def _words(self, language: str) -> Callable[[str], str]:
        return self._catalogs.translator(language).gettext

    async def _tell(
        self, session: AsyncSession, broadcast: Broadcast, text: Callable[[str], str]
    ) -> None:
        """Message whoever sent the broadcast, in their language, through the outbox."""
        contact_id = broadcast.created_by_contact_id
        if contact_id is None:
            return
        language = await session.scalar(select(Contact.language).where(Contact.id == contact_id))
        words = self._catalogs.translator(language or "vi")
        reply = Reply(text(words.language), language=words.language)
        await queue_notices(session, [(contact_id, reply_dicts([reply]))], self._clock())
        self._wake()

    def _progress(self, broadcast: Broadcast, counts: dict[str, int]) -> Callable[[str], str]:
        def text(language: str) -> str:
            _ = self._words(language)
            number = self._catalogs.translator(language).number
            return _("Thông báo #{id}: đã gửi {sent}/{total}, còn {left}.").format(
                id=broadcast.id,
                sent=number(counts.get(SENT, 0)),
                total=number(broadcast.total),
                left=number(counts.get(PENDING, 0) + counts.get(SENDING, 0)),
            )

        return text

    def _summary(
        self, broadcast: Broadcast, counts: dict[str, int], now: datetime
    ) -> Callable[[str], str]:
        started = broadcast.started_at or now
        quiet = not broadcast.urgent and self._quiet.overlaps(started, now)

        def text(language: str) -> str:
            _ = self._words(language)
            number = self._catalogs.translator(language).number
            minutes = max(1, round((now - started).total_seconds() / 60))
            lines = [
                _("Thông báo #{id} đã gửi xong.").format(id=broadcast.id),
                _("• Đã nhận: {n}").format(n=number(counts.get(SENT, 0))),
                _("• Lỗi: {n}").format(n=number(counts.get(FAILED, 0))),
                _("• Đã chặn bot: {n}").format(n=number(counts.get(BLOCKED, 0))),
                _("• Bỏ qua (đã hủy): {n}").format(n=number(counts.get(CANCELLED, 0))),
                _("• Thời gian: khoảng {n} phút").format(n=number(minutes)),
            ]
            if quiet:
                lines.append(_("Tạm dừng trong giờ nghỉ (21:00–6:30) và gửi tiếp buổi sáng."))
            return "\n".join(lines)

        return text

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="broadcasts")

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("broadcast worker failed; trying again shortly")
            await asyncio.sleep(TICK_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
