"""Replies owed to channels that send after the turn: written with the turn, deleted
once sent, read back at start (and after an outage) for whatever is still owed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Sessions
from storage.models import OutgoingReply


async def owe_replies(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert a unit of work's owed replies (column values) in one statement. A row
    left under the same receipt replaces: SQLite may hand a purged update's id out
    again, and what was owed for that old update is long stale."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OutgoingReply)
    columns = ("contact_id", "channel", "external_id", "replies", "created_at")
    statement = statement.on_conflict_do_update(
        index_elements=["receipt"],
        set_={column: statement.excluded[column] for column in columns},
    )
    await session.execute(statement, rows)


async def forget_sent(sessions: Sessions, receipts: Collection[int]) -> None:
    """Delete the replies to these updates: they were sent."""
    if receipts:
        async with sessions.begin() as session:
            await session.execute(
                delete(OutgoingReply).where(OutgoingReply.receipt.in_(list(receipts)))
            )


async def still_owed(
    sessions: Sessions,
    channel: str,
    skip: Collection[int] = (),
    written_before: datetime | None = None,
) -> Sequence[OutgoingReply]:
    """The replies still owed on `channel`, oldest first, but for the receipts in `skip`
    (and, when given, those written at or after `written_before`)."""
    query = select(OutgoingReply).where(OutgoingReply.channel == channel)
    if written_before is not None:
        query = query.where(OutgoingReply.created_at < written_before)
    async with sessions() as session:
        rows = await session.scalars(query.order_by(OutgoingReply.id))
        return [row for row in rows if row.receipt not in skip]
