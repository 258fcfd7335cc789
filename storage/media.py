"""Stored photos: the rows behind the files of the media folder.

A channel stores a photo (`add_media`) before the turn that receives it, so the row
belongs to nobody yet; the journey that wants it takes it for the sender (`take_media`)
and later ties it to what it was sent for (`attach_media`). Rows nobody took are strays,
purged after a day (`stray_media`). Files are named by content hash and shared by rows
with the same content, so a file goes only once no row names its hash (`shas_in_use`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Media


async def add_media(
    session: AsyncSession,
    *,
    token: str,
    sha256: str,
    content_type: str,
    size: int,
    width: int,
    height: int,
    platform_ref: str | None,
    created_at: datetime,
) -> Media:
    """A new row for a photo nobody has taken yet."""
    media = Media(
        token=token,
        sha256=sha256,
        content_type=content_type,
        size=size,
        width=width,
        height=height,
        platform_ref=platform_ref,
        created_at=created_at,
    )
    session.add(media)
    await session.flush()
    return media


async def media_by_token(session: AsyncSession, token: str) -> Media | None:
    """The photo with this token, or None."""
    found: Media | None = await session.scalar(select(Media).where(Media.token == token))
    return found


async def media_by_tokens(session: AsyncSession, tokens: Sequence[str]) -> list[Media]:
    """The photos with these tokens, in the order of `tokens`; unknown ones are left out."""
    if not tokens:
        return []
    rows = {m.token: m for m in await session.scalars(select(Media).where(Media.token.in_(tokens)))}
    return [rows[token] for token in dict.fromkeys(tokens) if token in rows]


async def take_media(session: AsyncSession, token: str, contact_id: int) -> Media | None:
    """The photo for `contact_id`: taken for them if nobody has it yet, or theirs already.
    None when the token is unknown or another contact took it."""
    # One conditional UPDATE, so two turns racing for a stray cannot both get it.
    await session.execute(
        update(Media)
        .where(Media.token == token, Media.contact_id.is_(None))
        .values(contact_id=contact_id)
        .execution_options(synchronize_session=False)
    )
    found: Media | None = await session.scalar(
        select(Media)
        .where(Media.token == token, Media.contact_id == contact_id)
        .execution_options(populate_existing=True)
    )
    return found


async def attach_media(session: AsyncSession, tokens: Sequence[str], nomination_id: int) -> int:
    """Tie photos to a nomination; returns how many rows were tied."""
    if not tokens:
        return 0
    result = await session.execute(
        update(Media)
        .where(Media.token.in_(tokens))
        .values(nomination_id=nomination_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def set_platform_ref(session: AsyncSession, token: str, platform_ref: str) -> None:
    """Remember the platform's own reference to a photo once it holds a copy (a
    Telegram file id after an upload), so it is not uploaded again."""
    await session.execute(
        update(Media)
        .where(Media.token == token)
        .values(platform_ref=platform_ref)
        .execution_options(synchronize_session=False)
    )


async def delete_media(session: AsyncSession, tokens: Sequence[str]) -> list[str]:
    """Delete photos by token; returns the content hashes of the rows deleted, whose
    files `MediaStore.remove_files` removes once no other row shares them."""
    if not tokens:
        return []
    result = await session.execute(
        delete(Media)
        .where(Media.token.in_(tokens))
        .returning(Media.sha256)
        .execution_options(synchronize_session=False)
    )
    return sorted(set(result.scalars()))


async def stray_media(session: AsyncSession, older_than: datetime) -> list[Media]:
    """Photos no journey took, stored before `older_than`."""
    rows = await session.scalars(
        select(Media)
        .where(Media.contact_id.is_(None), Media.created_at < older_than)
        .order_by(Media.id)
    )
    return list(rows)


async def shas_in_use(session: AsyncSession, shas: Iterable[str]) -> set[str]:
    """Which of these content hashes some row still names."""
    wanted = set(shas)
    if not wanted:
        return set()
    rows = await session.scalars(select(Media.sha256).where(Media.sha256.in_(wanted)).distinct())
    return set(rows)
