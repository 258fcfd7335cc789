"""The audit log of officer and admin actions, refusals included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Contact


def actor_label(contact: Contact) -> str:
    """How a contact is named in the audit log: `channel:external_id`."""
    return f"{contact.channel}:{contact.external_id}"


def record_audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    at: datetime,
    actor_contact_id: int | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the unit of work."""
    entry = AuditEntry(
        actor=actor,
        actor_contact_id=actor_contact_id,
        action=action,
        target=target,
        details=details or {},
        at=at,
    )
    session.add(entry)
    return entry


def _on_channel(channel: str) -> ColumnElement[bool]:
    return AuditEntry.actor.startswith(f"{channel}:", autoescape=True)


async def count_on_channel(
    session: AsyncSession, action: str, channel: str, since: datetime
) -> int:
    """How many `action` entries people of `channel` caused since `since`."""
    query = select(func.count()).where(
        AuditEntry.action == action, AuditEntry.at >= since, _on_channel(channel)
    )
    return int(await session.scalar(query) or 0)


async def last_on_channel(session: AsyncSession, action: str, channel: str) -> datetime | None:
    """When a person of `channel` last caused an `action` entry."""
    query = select(func.max(AuditEntry.at)).where(AuditEntry.action == action, _on_channel(channel))
    return await session.scalar(query)


async def recorded_since(session: AsyncSession, action: str, target: str, since: datetime) -> bool:
    """Whether an `action` entry about `target` was written since `since`."""
    query = (
        select(AuditEntry.id)
        .where(AuditEntry.action == action, AuditEntry.target == target, AuditEntry.at >= since)
        .limit(1)
    )
    return await session.scalar(query) is not None
