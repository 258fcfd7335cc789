"""Files made for one person and sent in chat (a report, a data export, a loudspeaker
script): stored with an unguessable token, read back by it until they expire, and
swept away after."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Document

# Long enough to open the link tomorrow morning; short enough that a copy of someone's
# data does not linger.
DOCUMENT_LIFETIME = timedelta(hours=24)
FILENAME_LENGTH = 120


def new_document_token() -> str:
    """192 random bits, URL-safe, as photo tokens are."""
    return secrets.token_urlsafe(24)


async def store_document(
    session: AsyncSession,
    *,
    contact_id: int | None,
    filename: str,
    content_type: str,
    body: bytes,
    now: datetime,
    lifetime: timedelta = DOCUMENT_LIFETIME,
) -> Document:
    """A new document for `contact_id`, in the caller's unit of work."""
    document = Document(
        token=new_document_token(),
        contact_id=contact_id,
        filename=filename[:FILENAME_LENGTH],
        content_type=content_type,
        body=body,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(document)
    await session.flush()
    return document


async def document_by_token(
    session: AsyncSession, token: str, now: datetime | None = None
) -> Document | None:
    """The document with this token; None when unknown or, given `now`, expired."""
    query = select(Document).where(Document.token == token)
    if now is not None:
        query = query.where(Document.expires_at > now)
    found: Document | None = await session.scalar(query)
    return found


async def delete_expired_documents(session: AsyncSession, now: datetime) -> int:
    """Delete every document past its expiry; returns how many went."""
    result = await session.execute(
        delete(Document)
        .where(Document.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
