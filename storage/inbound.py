"""Updates acknowledged to a platform but not yet handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Sessions
from storage.models import InboundUpdate


async def keep_inbound(
    sessions: Sessions, channel: str, payload: dict[str, Any], now: datetime
) -> int:
    """Store an update before acknowledging it; returns the receipt the turn clears."""
    [receipt] = await keep_inbound_many(sessions, channel, [payload], now)
    return receipt


async def keep_inbound_many(
    sessions: Sessions, channel: str, payloads: list[dict[str, Any]], now: datetime
) -> list[int]:
    """`keep_inbound` for a whole batch, in one transaction."""
    async with sessions.begin() as session:
        rows = [InboundUpdate(channel=channel, payload=p, received_at=now) for p in payloads]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def clear_inbound(session: AsyncSession, receipt: int) -> None:
    """Drop a handled update, inside the transaction that handled it."""
    await session.execute(delete(InboundUpdate).where(InboundUpdate.id == receipt))


async def pending_inbound(sessions: Sessions, channel: str) -> list[tuple[int, dict[str, Any]]]:
    """Updates of `channel` acknowledged before a crash and never handled, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(InboundUpdate.id, InboundUpdate.payload)
            .where(InboundUpdate.channel == channel)
            .order_by(InboundUpdate.id)
        )
        return [(row.id, dict(row.payload)) for row in rows]
