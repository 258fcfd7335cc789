"""The audit log of officer and admin actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
