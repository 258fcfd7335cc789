"""Broadcasts: who an audience is, expanded into deliveries a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, ColumnElement, and_, func, literal, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deliveries import BULK
from storage.models import Broadcast, Contact, Delivery, UTCDateTime

TOPICS = ("announcements", "commendations", "events", "results")
# What a subscriber gets until they choose: everything but the monthly figures, which
# they ask for.
DEFAULT_TOPICS = ("announcements", "commendations", "events")
KIND_TOPICS = {
    "announcement": "announcements",
    "commendation": "commendations",
    "digest": "results",
}
SELECTORS = ("province", "commune", "org")
FILTERS = ("topic", "channel")
PAGE = 5000


def parse_audience(specs: Sequence[str]) -> list[tuple[str, str]]:
    """`province:quang-tri`, `commune:19414`, `org:NAME`, `topic:events`, `channel:zalo`
    as (kind, value) pairs; ValueError names the first one that is not."""
    parsed = []
    for spec in specs:
        kind, _, value = spec.partition(":")
        if kind not in SELECTORS + FILTERS or not value.strip():
            raise ValueError(spec)
        if kind == "topic" and value not in TOPICS:
            raise ValueError(spec)
        parsed.append((kind, value.strip()))
    return parsed


def topics_text(topics: Sequence[str]) -> str:
    return "," + ",".join(t for t in TOPICS if t in topics) + ","


def contact_topics(contact: Contact) -> list[str]:
    if contact.topics is None:
        return list(DEFAULT_TOPICS)
    return [t for t in TOPICS if f",{t}," in contact.topics]


def _wants(topic: str) -> ColumnElement[bool]:
    chosen = Contact.topics.like(f"%,{topic},%")
    return or_(chosen, Contact.topics.is_(None)) if topic in DEFAULT_TOPICS else chosen


def audience_clause(audience: Sequence[str], kind: str = "announcement") -> ColumnElement[bool]:
    """Who a broadcast reaches: subscribed, reachable, in any of its places or
    organisations (everyone when it names none), wanting its topic, on its channels."""
    parsed = parse_audience(audience)
    who = [
        Contact.province == value
        if key == "province"
        else Contact.area == value
        if key == "commune"
        else Contact.organisation == value
        for key, value in parsed
        if key in SELECTORS
    ]
    topics = [value for key, value in parsed if key == "topic"] or [KIND_TOPICS[kind]]
    channels = [value for key, value in parsed if key == "channel"]
    return and_(
        Contact.subscribed.is_(True),
        Contact.blocked.is_(False),
        or_(*who) if who else true(),
        or_(*[_wants(t) for t in topics]),
        Contact.channel.in_(channels) if channels else true(),
    )


async def count_audience(session: AsyncSession, audience: Sequence[str], kind: str) -> int:
    clause = audience_clause(audience, kind)
    return int(await session.scalar(select(func.count()).select_from(Contact).where(clause)) or 0)


async def expand_page(
    session: AsyncSession, broadcast: Broadcast, now: datetime, page: int = PAGE
) -> int:
    """Add the next `page` recipients (in contact id order, after the last added) as
    deliveries; returns how many. Never loads the whole audience: a page at a time, and
    a recipient added twice (a page done again after a crash) is added once."""
    recipients = (
        select(Contact.id, Contact.channel)
        .where(
            audience_clause(broadcast.audience, broadcast.kind),
            Contact.id > broadcast.expanded_to,
        )
        .order_by(Contact.id)
        .limit(page)
        .subquery()
    )
    count, last = (await session.execute(select(func.count(), func.max(recipients.c.id)))).one()
    if not count:
        return 0
    # The page is copied inside the database (INSERT ... SELECT): no row crosses to
    # Python and back, which is what made a 100,000-recipient expansion slow.
    rows = select(
        recipients.c.id,
        recipients.c.channel,
        literal(BULK),
        literal(broadcast.urgent),
        literal(broadcast.id),
        # Read from the broadcast when sent (storage.deliveries.claim_due).
        literal([], JSON),
        literal("pending"),
        literal(0),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(
        # SQLite reads "SELECT ... ON CONFLICT" as a join's ON unless the SELECT has a
        # WHERE clause of its own.
        true()
    )
    columns = [
        "contact_id",
        "channel",
        "lane",
        "urgent",
        "broadcast_id",
        "replies",
        "status",
        "attempts",
        "not_before",
        "created_at",
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Delivery)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["broadcast_id", "contact_id"])
    )
    broadcast.expanded_to = int(last)
    broadcast.total += int(count)
    return int(count)


async def due_broadcasts(session: AsyncSession, now: datetime) -> list[Broadcast]:
    """Broadcasts whose time has come and whose audience is not all added yet."""
    result = await session.scalars(
        select(Broadcast)
        .where(Broadcast.status.in_(("queued", "expanding")), Broadcast.scheduled_at <= now)
        .order_by(Broadcast.scheduled_at, Broadcast.id)
    )
    return list(result.all())


async def sending_broadcasts(session: AsyncSession) -> list[Broadcast]:
    result = await session.scalars(
        select(Broadcast).where(Broadcast.status == "sending").order_by(Broadcast.id)
    )
    return list(result.all())


async def create_broadcast(
    session: AsyncSession,
    *,
    created_by: str,
    created_by_contact_id: int | None,
    province: str | None,
    audience: Sequence[str],
    text: str,
    scheduled_at: datetime,
    now: datetime,
    photo: str | None = None,
    urgent: bool = False,
    kind: str = "announcement",
    nomination_id: int | None = None,
) -> Broadcast:
    """A broadcast queued for its time; its recipients are added when it goes out."""
    broadcast = Broadcast(
        kind=kind,
        created_by=created_by,
        created_by_contact_id=created_by_contact_id,
        province=province,
        audience=list(audience),
        text=text,
        photo=photo,
        urgent=urgent,
        status="queued",
        scheduled_at=scheduled_at,
        expanded_to=0,
        total=0,
        nomination_id=nomination_id,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def recent_broadcasts(session: AsyncSession, limit: int = 20) -> list[Broadcast]:
    result = await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
    return list(result.all())


async def cancel_broadcast(session: AsyncSession, broadcast_id: int, now: datetime) -> str | None:
    """Stop a broadcast: what has not gone out yet never will. Returns the status it
    had, or None when there is no such broadcast; one already done stays done."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    before = broadcast.status
    if before in ("done", "cancelled"):
        return before
    broadcast.status = "cancelled"
    broadcast.finished_at = now
    await session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    return before
