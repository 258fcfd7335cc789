"""Figures for one commune over a period: what its people nominated, what came of it,
and the questions answered for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Interaction, Nomination, NominationEvent, OfficerQuestion


@dataclass(frozen=True)
class CommuneFigures:
    received: int
    accepted: int
    commended: int
    answered_by_bot: int
    answered_by_officers: int


async def commune_figures(
    session: AsyncSession, commune_code: str, start: datetime, end: datetime
) -> CommuneFigures:
    """What happened in the commune between `start` and `end`."""
    received = await session.scalar(
        select(func.count())
        .select_from(Nomination)
        .where(
            Nomination.commune_code == commune_code,
            Nomination.created_at >= start,
            Nomination.created_at < end,
        )
    )

    async def reached(status: str) -> int:
        found = await session.scalar(
            select(func.count(func.distinct(NominationEvent.nomination_id)))
            .join(Nomination, Nomination.id == NominationEvent.nomination_id)
            .where(
                Nomination.commune_code == commune_code,
                NominationEvent.to_status == status,
                NominationEvent.at >= start,
                NominationEvent.at < end,
            )
        )
        return int(found or 0)

    by_bot = await session.scalar(
        select(func.count())
        .select_from(Interaction)
        .join(Contact, Contact.id == Interaction.contact_id)
        .where(
            Contact.area == commune_code,
            Interaction.direction == "out",
            Interaction.answer_id.is_not(None),
            Interaction.at >= start,
            Interaction.at < end,
        )
    )
    by_officers = await session.scalar(
        select(func.count())
        .select_from(OfficerQuestion)
        .join(Contact, Contact.id == OfficerQuestion.contact_id)
        .where(
            Contact.area == commune_code,
            OfficerQuestion.answered_at >= start,
            OfficerQuestion.answered_at < end,
        )
    )
    return CommuneFigures(
        received=int(received or 0),
        accepted=await reached("accepted"),
        commended=await reached("commended"),
        answered_by_bot=int(by_bot or 0),
        answered_by_officers=int(by_officers or 0),
    )


async def communes_wanting_results(session: AsyncSession) -> list[str]:
    """Communes with at least one subscriber who asked for its monthly results."""
    rows = await session.scalars(
        select(Contact.area)
        .where(
            Contact.subscribed.is_(True),
            Contact.blocked.is_(False),
            Contact.area.is_not(None),
            Contact.topics.like("%,results,%"),
        )
        .distinct()
    )
    return [row for row in rows if row]
