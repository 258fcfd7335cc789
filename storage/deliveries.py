"""The outbox: deliveries written with the change that causes them, claimed by their
channel's sender, and closed with an outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Sessions
from storage.models import Broadcast, Contact, Delivery

NOTICE = 0
BULK = 1

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
CANCELLED = "cancelled"
DONE = (SENT, FAILED, BLOCKED, CANCELLED)
# An outcome that is not final: try again later.
RETRY = "retry"


def broadcast_replies(broadcast: Broadcast) -> list[dict[str, Any]]:
    """What every recipient of a broadcast is sent."""
    return _broadcast_replies(broadcast.id, broadcast.text, broadcast.photo)


def _broadcast_replies(broadcast_id: int, text: str, photo: str | None) -> list[dict[str, Any]]:
    return [
        {
            "text": text,
            "buttons": [[f"news:seen:{broadcast_id}", "👍"]],
            "photo": f"media:{photo}" if photo else None,
        }
    ]


@dataclass(frozen=True)
class SendOutcome:
    """How sending one delivery went, as a channel reports it."""

    status: str
    message_id: str | None = None
    error: str | None = None
    retry_in: float | None = None


def delivery_row(
    contact: Contact,
    replies: list[dict[str, Any]],
    now: datetime,
    *,
    lane: int = NOTICE,
    broadcast_id: int | None = None,
    urgent: bool = False,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """Column values of one delivery to `contact`."""
    return {
        "contact_id": contact.id,
        "channel": contact.channel,
        "lane": lane,
        "urgent": urgent,
        "broadcast_id": broadcast_id,
        "replies": replies,
        "status": PENDING,
        "attempts": 0,
        "not_before": not_before or now,
        "created_at": now,
    }


async def queue_notices(
    session: AsyncSession, notices: Sequence[tuple[int, list[dict[str, Any]]]], now: datetime
) -> set[str]:
    """Deliveries of `notices` ((contact id, replies as JSON)) to each contact's own
    channel, in the caller's unit of work; returns the channels they go out on."""
    if not notices:
        return set()
    ids = {contact_id for contact_id, _ in notices}
    found = await session.execute(select(Contact.id, Contact.channel).where(Contact.id.in_(ids)))
    channels: dict[int, str] = {contact_id: channel for contact_id, channel in found}
    rows = [
        {
            "contact_id": contact_id,
            "channel": channels[contact_id],
            "lane": NOTICE,
            "urgent": False,
            "broadcast_id": None,
            "replies": replies,
            "status": PENDING,
            "attempts": 0,
            "not_before": now,
            "created_at": now,
        }
        for contact_id, replies in notices
        if contact_id in channels
    ]
    await queue_deliveries(session, rows)
    return {str(row["channel"]) for row in rows}


async def queue_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert deliveries in one statement, in the caller's unit of work."""
    if rows:
        await session.execute(insert(Delivery), list(rows))


@dataclass(frozen=True)
class Claimed:
    """A delivery a sender has claimed: where it goes and what it says."""

    id: int
    contact_id: int
    external_id: str
    lane: int
    attempts: int
    broadcast_id: int | None
    replies: list[Any]


async def claim_due(
    sessions: Sessions, channel: str, now: datetime, limit: int, *, bulk_allowed: bool
) -> list[Claimed]:
    """Mark up to `limit` due deliveries of `channel` as being sent, notices before
    bulk and oldest first, and return them. Bulk that is not urgent waits while
    `bulk_allowed` is false (quiet hours). On PostgreSQL rows another process has
    locked are skipped, so two claimers never take the same row."""
    async with sessions.begin() as session:
        lane_ok = or_(Delivery.lane == NOTICE, Delivery.urgent.is_(True))
        if bulk_allowed:
            lane_ok = or_(lane_ok, Delivery.lane == BULK)
        due = (
            select(Delivery.id)
            .where(
                Delivery.channel == channel,
                Delivery.status == PENDING,
                Delivery.not_before <= now,
                lane_ok,
            )
            .order_by(Delivery.lane, Delivery.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list((await session.scalars(due)).all())
        if not ids:
            return []
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(status=SENDING, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        rows = await session.execute(
            select(
                Delivery.id,
                Delivery.contact_id,
                Contact.external_id,
                Delivery.lane,
                Delivery.attempts,
                Delivery.broadcast_id,
                Delivery.replies,
                Broadcast.text,
                Broadcast.photo,
            )
            .join(Contact, Contact.id == Delivery.contact_id)
            .outerjoin(Broadcast, Broadcast.id == Delivery.broadcast_id)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.lane, Delivery.id)
        )
        # A broadcast's deliveries hold no copy of what it says (a 3,000-character text
        # a hundred thousand times over): it is read from the broadcast as it is sent.
        return [
            Claimed(
                id=row.id,
                contact_id=row.contact_id,
                external_id=row.external_id,
                lane=row.lane,
                attempts=row.attempts,
                broadcast_id=row.broadcast_id,
                replies=row.replies
                or (
                    _broadcast_replies(row.broadcast_id, row.text, row.photo)
                    if row.broadcast_id is not None
                    else []
                ),
            )
            for row in rows
        ]


async def release_claims(sessions: Sessions, channel: str) -> int:
    """Put back deliveries a sender had claimed and not closed (it died): the one
    sender of the channel calls this as it takes over. At most the claimed batch can
    go out twice."""
    async with sessions.begin() as session:
        result = await session.execute(
            update(Delivery)
            .where(Delivery.channel == channel, Delivery.status == SENDING)
            .values(status=PENDING)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class Outcomes:
    """What happened to a claimed batch, recorded together."""

    sent: list[tuple[int, str | None]]
    failed: list[tuple[int, str]]
    blocked: list[int]
    retry: list[tuple[int, datetime, str]]

    @classmethod
    def empty(cls) -> Outcomes:
        return cls([], [], [], [])

    def __bool__(self) -> bool:
        return bool(self.sent or self.failed or self.blocked or self.retry)


async def record_outcomes(session: AsyncSession, outcomes: Outcomes, now: datetime) -> None:
    """Close each delivery with its outcome; a blocked person is marked unreachable and
    unsubscribed, as a platform refusing them for good means."""
    if outcomes.sent:
        # One statement for the batch, run for each row (an executemany): a statement per
        # row here kept the sender idle between batches.
        table = cast(Table, Delivery.__table__)
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("delivery_id"))
            .values(
                status=SENT,
                sent_at=now,
                attempts=table.c.attempts + 1,
                platform_message_id=bindparam("message_id"),
            ),
            [{"delivery_id": i, "message_id": m[:64] if m else None} for i, m in outcomes.sent],
        )
    for delivery_id, error in outcomes.failed:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=FAILED, error=error[:200], attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    if outcomes.blocked:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(outcomes.blocked))
            .values(status=BLOCKED, attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        blocked_contacts = select(Delivery.contact_id).where(Delivery.id.in_(outcomes.blocked))
        await session.execute(
            update(Contact)
            .where(Contact.id.in_(blocked_contacts))
            .values(blocked=True, subscribed=False)
            .execution_options(synchronize_session=False)
        )
    for delivery_id, at, error in outcomes.retry:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                status=PENDING, not_before=at, error=error[:200], attempts=Delivery.attempts + 1
            )
            .execution_options(synchronize_session=False)
        )


async def outbox_depth(session: AsyncSession) -> tuple[int, datetime | None]:
    """Deliveries not yet closed, and when the oldest of them was written."""
    row = (
        await session.execute(
            select(func.count(), func.min(Delivery.created_at)).where(
                Delivery.status.in_((PENDING, SENDING))
            )
        )
    ).one()
    return int(row[0] or 0), row[1]


async def broadcast_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How many of a broadcast's deliveries are in each status."""
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    )
    return {status: int(n) for status, n in rows}


async def failure_reasons(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.error, func.count())
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == FAILED)
        .group_by(Delivery.error)
    )
    return {str(error or "?"): int(n) for error, n in rows}
