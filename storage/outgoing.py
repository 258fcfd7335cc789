"""Replies owed to channels that send after the turn: written with the turn, deleted
once sent, read back at start (and after an outage) for whatever is still owed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Sessions
from storage.models import OutgoingReply


async def owe_replies(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert a unit of work's owed replies (column values) in one statement."""
    if rows:
        await session.execute(insert(OutgoingReply), rows)


async def forget_sent(sessions: Sessions, receipts: Collection[int]) -> None:
    """Delete the replies to these updates: they were sent."""
    if receipts:
        async with sessions.begin() as session:
            await session.execute(
                delete(OutgoingReply).where(OutgoingReply.receipt.in_(list(receipts)))
            )


async def still_owed(
    sessions: Sessions, channel: str, skip: Collection[int] = ()
) -> Sequence[OutgoingReply]:
    """The replies still owed on `channel`, oldest first, but for the receipts in `skip`."""
    async with sessions() as session:
        rows = await session.scalars(
            select(OutgoingReply).where(OutgoingReply.channel == channel).order_by(OutgoingReply.id)
        )
        return [row for row in rows if row.receipt not in skip]
