"""Nominations: creating them with their receipt code, and reading them back for the
nominator and for officers."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Media, Nomination, NominationEvent

# No 0/O, 1/I/L: a code read aloud or copied from paper cannot be mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_PREFIX = "DC"
CODE_PATTERN = re.compile(rf"(?i)\s*{CODE_PREFIX}[-\s]?[{CODE_ALPHABET}]{{5}}\s*")


def normalise_code(text: str) -> str | None:
    """`dc7k3qx`, `DC-7K3QX` or `dc 7k3qx` as `DC-7K3QX`; None when it is not a code."""
    bare = re.sub(r"[-\s]", "", text.strip()).upper()
    if len(bare) != 7 or not bare.startswith(CODE_PREFIX):
        return None
    tail = bare[2:]
    if any(ch not in CODE_ALPHABET for ch in tail):
        return None
    return f"{CODE_PREFIX}-{tail}"


async def new_code(session: AsyncSession) -> str:
    """A receipt code no nomination has yet."""
    while True:
        code = CODE_PREFIX + "-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
        taken = await session.scalar(select(Nomination.id).where(Nomination.code == code))
        if taken is None:
            return code


async def nomination_by_code(session: AsyncSession, code: str) -> Nomination | None:
    result = await session.scalars(select(Nomination).where(Nomination.code == code))
    return result.first()


async def nominations_of(
    session: AsyncSession, contact_id: int, limit: int = 20
) -> list[Nomination]:
    """The contact's own submissions, newest first."""
    result = await session.scalars(
        select(Nomination)
        .where(Nomination.nominator_contact_id == contact_id)
        .order_by(Nomination.created_at.desc(), Nomination.id.desc())
        .limit(limit)
    )
    return list(result.all())


async def events_of(session: AsyncSession, nomination_id: int) -> list[NominationEvent]:
    result = await session.scalars(
        select(NominationEvent)
        .where(NominationEvent.nomination_id == nomination_id)
        .order_by(NominationEvent.at, NominationEvent.id)
    )
    return list(result.all())


async def photos_of(session: AsyncSession, nomination_id: int) -> Sequence[Media]:
    result = await session.scalars(
        select(Media).where(Media.nomination_id == nomination_id).order_by(Media.id)
    )
    return result.all()
