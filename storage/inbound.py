"""Updates a platform handed us: stored before we acknowledge them, marked handled by
the turn that handles them, and known by the platform's own key so a copy delivered
twice (a webhook retry, a batch fetched again after a restart) is handled once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Sessions
from storage.models import InboundUpdate

# Handled updates are kept this long to recognise late copies, then purged.
KEEP_HANDLED = timedelta(days=7)


async def keep_inbound_many(
    sessions: Sessions, channel: str, updates: list[tuple[str, dict[str, Any]]], now: datetime
) -> list[int | None]:
    """Store (key, payload) updates in one transaction; for each, its receipt, or None
    when that key was stored before (a copy: skip it)."""
    first: dict[str, dict[str, Any]] = {}
    for key, payload in updates:
        first.setdefault(key, payload)
    rows = [
        {"channel": channel, "key": key, "payload": payload, "received_at": now}
        for key, payload in first.items()
    ]
    stored: dict[str, int] = {}
    async with sessions.begin() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(InboundUpdate)
            .on_conflict_do_nothing(index_elements=["channel", "key"])
            .returning(InboundUpdate.id, InboundUpdate.key)
        )
        if rows:
            # Sent as one multi-row INSERT (SQLAlchemy batches an executemany with
            # RETURNING); rows come back in no set order, and a key stored before not at all.
            result = await session.execute(statement, rows)
            stored = {key: id_ for id_, key in result}
    receipts: list[int | None] = []
    for key, _payload in updates:
        receipts.append(stored.pop(key, None))
    return receipts


async def keep_inbound(
    sessions: Sessions, channel: str, key: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """`keep_inbound_many` for one update."""
    [receipt] = await keep_inbound_many(sessions, channel, [(key, payload)], now)
    return receipt


async def clear_inbound(session: AsyncSession, receipts: Sequence[int], now: datetime) -> None:
    """Mark updates handled (ones that are not turns: a block, an edit)."""
    await claim_inbound(session, receipts, now)


async def claim_inbound(session: AsyncSession, receipts: Sequence[int], now: datetime) -> set[int]:
    """Mark updates handled, inside the transaction that handles them; returns the ones
    this transaction claimed. One handled already is not returned, and a transaction
    claiming it at the same time waits for this one and then finds it taken."""
    if not receipts:
        return set()
    result = await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.id.in_(receipts), InboundUpdate.handled_at.is_(None))
        .values(handled_at=now)
        .returning(InboundUpdate.id)
    )
    return set(result.scalars())


async def purge_handled_inbound(session: AsyncSession, now: datetime) -> int:
    """Delete the updates handled more than KEEP_HANDLED ago, of every channel (the
    retention worker calls it); returns how many."""
    result = await session.execute(
        delete(InboundUpdate).where(InboundUpdate.handled_at < now - KEEP_HANDLED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def pending_inbound(
    sessions: Sessions, channel: str, now: datetime
) -> list[tuple[int, dict[str, Any]]]:
    """Updates of `channel` stored and never handled (a crash came between), oldest
    first. (Handled ones are purged by `purge_handled_inbound`.)"""
    async with sessions.begin() as session:
        rows = await session.execute(
            select(InboundUpdate.id, InboundUpdate.payload)
            .where(InboundUpdate.channel == channel, InboundUpdate.handled_at.is_(None))
            .order_by(InboundUpdate.id)
        )
        return [(row.id, dict(row.payload)) for row in rows]


async def erase_inbound_of(session: AsyncSession, channel: str, external_id: str) -> None:
    """Delete the handled updates that came from, or name, one person: their raw text,
    name and anything they typed go with the rest of their data. Updates are stored as
    the platform sent them, so the person is found by their id in the stored JSON."""
    quoted = json.dumps(external_id)
    number = external_id if external_id.lstrip("-").isdigit() else None
    patterns = [f'%"id": {quoted}%']
    if number is not None:
        patterns += [f'%"id": {number},%', f'%"id": {number}}}%']
    text = cast(InboundUpdate.payload, String)
    await session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.channel == channel,
            InboundUpdate.handled_at.is_not(None),
            or_(*(text.like(pattern) for pattern in patterns)),
        )
    )


SET_ASIDE = "set_aside"


async def set_aside(sessions: Sessions, receipt: int, reason: str, now: datetime) -> bool:
    """Take an update that fails every time out of the queue (a dead letter): marked
    handled, its payload wrapped with why, for an admin to look at. False when it could
    not be done either."""
    try:
        async with sessions.begin() as session:
            row = await session.get(InboundUpdate, receipt)
            if row is None or row.handled_at is not None:
                return False
            row.payload = {SET_ASIDE: reason[:200], "update": row.payload}
            row.handled_at = now
        return True
    except Exception:
        return False


async def set_aside_count(session: AsyncSession) -> int:
    """How many updates were set aside as dead letters (and not purged yet)."""
    text = cast(InboundUpdate.payload, String)
    found = await session.scalar(
        select(func.count()).select_from(InboundUpdate).where(text.like(f'%"{SET_ASIDE}": %'))
    )
    return int(found or 0)
