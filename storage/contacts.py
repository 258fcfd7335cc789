"""Contacts: one row per identity on a channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact

LAST_SEEN_RESOLUTION = timedelta(minutes=5)


async def get_or_create_contact(
    session: AsyncSession,
    channel: str,
    external_id: str,
    *,
    now: datetime,
    name: str | None = None,
    language: str = "vi",
) -> Contact:
    """The contact for this identity, created on first contact.

    Insert-or-ignore first, so two workers meeting a new person at once both end up
    with the same row instead of one failing on the unique constraint.
    """
    name = storable_name(name)
    contact = await find_contact(session, channel, external_id)
    if contact is None:
        values = {
            "channel": channel,
            "external_id": external_id,
            "name": name,
            "language": language,
            "role": "citizen",
            "subscribed": False,
            "blocked": False,
            "failed_code_attempts": 0,
            "created_at": now,
            "last_seen_at": now,
        }
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(insert(Contact).values(**values).on_conflict_do_nothing())
        contact = await find_contact(session, channel, external_id)
        assert contact is not None
    touch_contact(contact, now, name)
    return contact


def touch_contact(contact: Contact, now: datetime, name: str | None) -> None:
    """Note that the contact wrote to us. Unchanged values write nothing, and last-seen is
    kept to the nearest few minutes, so a returning person's turn usually updates no row."""
    if now - contact.last_seen_at > LAST_SEEN_RESOLUTION:
        contact.last_seen_at = now
    # Whoever writes to us can be written to: a block or a failed send is over.
    if contact.blocked:
        contact.blocked = False
    name = storable_name(name)
    if name and contact.name != name:
        contact.name = name


def storable_name(name: str | None) -> str | None:
    """A display name as the contacts table can keep it: at most 200 characters, no
    lone surrogate, whatever a platform (or a forger) sent."""
    if not name:
        return None
    cleaned = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in name[:200])
    return cleaned.strip() or None


async def find_contact(session: AsyncSession, channel: str, external_id: str) -> Contact | None:
    """The contact for this identity, if it has ever written."""
    result = await session.execute(
        select(Contact).where(Contact.channel == channel, Contact.external_id == external_id)
    )
    return result.scalar_one_or_none()


async def set_reachable(
    session: AsyncSession, channel: str, external_id: str, reachable: bool
) -> None:
    """Record that a platform can (no longer) deliver to this identity. An unreachable
    contact is also unsubscribed: broadcasts must not keep retrying a person who left."""
    contact = await find_contact(session, channel, external_id)
    if contact is None:
        return
    contact.blocked = not reachable
    if not reachable:
        contact.subscribed = False
