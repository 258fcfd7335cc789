"""One-time invite codes that grant the officer or admin role."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Invite

# No 0/O, 1/I/L: codes are read aloud over the phone and typed on small keyboards.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
VALID_FOR = timedelta(days=7)
ROLES = ("officer", "admin", "member")


def normalise_code(code: str) -> str:
    """Upper case, without the spaces and dashes people add when typing it."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


async def create_invite(
    session: AsyncSession,
    *,
    role: str,
    area: str | None,
    created_by: str,
    now: datetime,
    organisation: str | None = None,
) -> str:
    """Store a new invite and return its code, shown once and never stored in clear.
    A member invite names the union or association the member belongs to."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "member" and not organisation:
        raise ValueError("a member invite needs the organisation")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    session.add(
        Invite(
            code_hash=_hash(raw),
            role=role,
            area=area,
            organisation=organisation,
            created_by=created_by,
            created_at=now,
            expires_at=now + VALID_FOR,
        )
    )
    return f"{raw[:5]}-{raw[5:]}"


async def redeem_invite(
    session: AsyncSession, code: str, *, contact_id: int, now: datetime
) -> Invite | None:
    """Mark the invite used by `contact_id`; None when the code is wrong, used or expired."""
    result = await session.execute(
        select(Invite).where(Invite.code_hash == _hash(code)).with_for_update()
    )
    invite = result.scalar_one_or_none()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    invite.used_at = now
    invite.used_by_contact_id = contact_id
    return invite


async def admin_contacts(
    session: AsyncSession, identities: Collection[tuple[str, str]]
) -> Sequence[Contact]:
    """The admins who can be told something: contacts with the admin role, and those
    of `identities` (ADMINS) who have written to the bot, but for blocked ones."""
    named = [
        and_(Contact.channel == channel, Contact.external_id == external_id)
        for channel, external_id in identities
    ]
    query = select(Contact).where(or_(Contact.role == "admin", *named), ~Contact.blocked)
    return (await session.scalars(query.order_by(Contact.id))).all()
