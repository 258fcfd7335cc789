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
    async with sessions.begin() as session:
        row = InboundUpdate(channel=channel, payload=payload, received_at=now)
        session.add(row)
        await session.flush()
        return row.id


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
