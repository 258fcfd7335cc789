"""Consents per purpose, with their history kept as evidence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent


async def active_consents(session: AsyncSession, contact_id: int) -> list[Consent]:
    """Consents the contact has given and not withdrawn."""
    result = await session.execute(
        select(Consent)
        .where(Consent.contact_id == contact_id, Consent.withdrawn_at.is_(None))
        .order_by(Consent.granted_at)
    )
    return list(result.scalars().all())


async def grant_consent(
    session: AsyncSession, contact_id: int, purpose: str, wording_version: str, at: datetime
) -> Consent:
    """Record consent to `purpose`; an existing active one is kept, not duplicated."""
    for consent in await active_consents(session, contact_id):
        if consent.purpose == purpose:
            return consent
    consent = Consent(
        contact_id=contact_id, purpose=purpose, wording_version=wording_version, granted_at=at
    )
    session.add(consent)
    return consent


async def withdraw_consent(
    session: AsyncSession, contact_id: int, purpose: str, at: datetime
) -> bool:
    """Withdraw consent to `purpose`; False when there was none to withdraw."""
    withdrawn = False
    for consent in await active_consents(session, contact_id):
        if consent.purpose == purpose:
            consent.withdrawn_at = at
            withdrawn = True
    return withdrawn


async def grant_subject_consent(
    session: AsyncSession,
    contact_id: int,
    purpose: str,
    subject: str,
    wording_version: str,
    at: datetime,
) -> Consent:
    """Record consent to `purpose` for one `subject` (a nomination's code)."""
    consent = Consent(
        contact_id=contact_id,
        purpose=purpose,
        subject=subject,
        wording_version=wording_version,
        granted_at=at,
    )
    session.add(consent)
    return consent


async def withdraw_subject_consent(
    session: AsyncSession, contact_id: int, purpose: str, subject: str, at: datetime
) -> None:
    """Withdraw consent to `purpose` for one `subject`."""
    await session.execute(
        update(Consent)
        .where(
            Consent.contact_id == contact_id,
            Consent.purpose == purpose,
            Consent.subject == subject,
            Consent.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=at)
        .execution_options(synchronize_session=False)
    )
