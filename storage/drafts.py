"""Form drafts: one half-filled form per contact and form, kept apart from the
conversation slot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FormDraft


async def get_draft(session: AsyncSession, contact_id: int, form: str) -> FormDraft | None:
    """The contact's draft of `form`, if one is open."""
    result = await session.scalars(
        select(FormDraft).where(FormDraft.contact_id == contact_id, FormDraft.form == form)
    )
    return result.first()


async def open_draft(
    session: AsyncSession, contact_id: int, form: str, step: str, now: datetime
) -> FormDraft:
    """A new, empty draft of `form`, replacing any the contact had."""
    await session.execute(
        delete(FormDraft).where(FormDraft.contact_id == contact_id, FormDraft.form == form)
    )
    draft = FormDraft(
        contact_id=contact_id, form=form, step=step, data={}, created_at=now, updated_at=now
    )
    session.add(draft)
    await session.flush()
    return draft


def save_draft(draft: FormDraft, step: str, data: dict[str, Any], now: datetime) -> None:
    """Record the draft's new step and values (a new dict, so the change is seen)."""
    draft.step = step
    draft.data = data
    draft.updated_at = now
    draft.reminded_at = None


async def discard_draft(session: AsyncSession, draft: FormDraft) -> None:
    await session.delete(draft)


async def drafts_to_remind(
    session: AsyncSession, untouched_since: datetime, limit: int = 500
) -> list[FormDraft]:
    """Drafts nobody touched since `untouched_since` and not yet reminded of."""
    result = await session.scalars(
        select(FormDraft)
        .where(FormDraft.updated_at < untouched_since, FormDraft.reminded_at.is_(None))
        .order_by(FormDraft.id)
        .limit(limit)
    )
    return list(result.all())


async def drafts_to_delete(
    session: AsyncSession, reminded_before: datetime, limit: int = 500
) -> list[FormDraft]:
    """Drafts whose reminder went out before `reminded_before` and that stayed untouched."""
    result = await session.scalars(
        select(FormDraft)
        .where(FormDraft.reminded_at.is_not(None), FormDraft.reminded_at < reminded_before)
        .order_by(FormDraft.id)
        .limit(limit)
    )
    return list(result.all())
