"""Nominations: creating them with their receipt code, reading them back for the
nominator and for officers, and the figures that exports and the yearly report read."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Broadcast,
    Contact,
    Delivery,
    Interaction,
    Media,
    Nomination,
    NominationEvent,
    NominationReview,
    OfficerQuestion,
    Support,
)
from storage.review import Scope

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


# Exports and the yearly report ---------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which nominations an export takes: created in [since, until), these statuses
    and kind, within `scope`."""

    scope: Scope = field(default_factory=Scope)
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = ()
    kind: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses = [self.scope.nominations()]
        if self.since is not None:
            clauses.append(Nomination.created_at >= self.since)
        if self.until is not None:
            clauses.append(Nomination.created_at < self.until)
        if self.statuses:
            clauses.append(Nomination.status.in_(self.statuses))
        if self.kind is not None:
            clauses.append(Nomination.kind == self.kind)
        return clauses


EXPORT_COLUMNS = (
    "code",
    "kind",
    "status",
    "province",
    "commune_code",
    "village",
    "former_place",
    "nominee",
    "achievements",
    "organisation",
    "nominee_consent",
    "created_at",
    "updated_at",
    "recommendation",
    "reason",
    "duplicate_of",
    "award",
    "decided_by_body",
    "decision_number",
    "decision_date",
    "supports",
    "photos",
    "nominator_name",
    "nominator_phone",
    "proxy_for_name",
    "proxy_for_phone",
    "contact_consent",
)
CONTACT_COLUMNS = frozenset(
    {"nominator_name", "nominator_phone", "proxy_for_name", "proxy_for_phone", "contact_consent"}
)


async def stream_for_export(
    session: AsyncSession, filters: Filters, *, with_contacts: bool, batch: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Matching nominations oldest first, one plain row at a time, read from a cursor in
    batches: memory stays flat however many there are. The nominator's name and phone
    only `with_contacts`."""
    original = aliased(Nomination)
    supports = (
        select(Support.nomination_id, func.count().label("n"))
        .where(Support.status == "counted")
        .group_by(Support.nomination_id)
        .subquery()
    )
    photos = (
        select(Media.nomination_id, func.count().label("n"))
        .where(Media.nomination_id.is_not(None))
        .group_by(Media.nomination_id)
        .subquery()
    )
    columns = [
        *(getattr(Nomination, name).label(name) for name in EXPORT_COLUMNS[:13]),
        NominationReview.recommendation.label("recommendation"),
        NominationReview.reason.label("reason"),
        original.code.label("duplicate_of"),
        NominationReview.award.label("award"),
        NominationReview.decided_by_body.label("decided_by_body"),
        NominationReview.decision_number.label("decision_number"),
        NominationReview.decision_date.label("decision_date"),
        func.coalesce(supports.c.n, 0).label("supports"),
        func.coalesce(photos.c.n, 0).label("photos"),
    ]
    if with_contacts:
        columns += [getattr(Nomination, name).label(name) for name in sorted(CONTACT_COLUMNS)]
    statement = (
        select(*columns)
        .outerjoin(NominationReview, NominationReview.nomination_id == Nomination.id)
        .outerjoin(original, original.id == NominationReview.duplicate_of_id)
        .outerjoin(supports, supports.c.nomination_id == Nomination.id)
        .outerjoin(photos, photos.c.nomination_id == Nomination.id)
        .where(*filters.where())
        .order_by(Nomination.created_at, Nomination.id)
        .execution_options(yield_per=batch)
    )
    # On the session's connection, without the ORM: plain rows are what a file needs.
    connection = await session.connection()
    result = await connection.stream(statement)
    keys = list(result.keys())
    # Plain tuples zipped with the labels: a fifth cheaper than mapping rows, per row.
    async for partition in result.partitions():
        for row in partition:
            yield dict(zip(keys, row, strict=True))


@dataclass(frozen=True)
class YearFigures:
    """The raw counts of one year, for the report to arrange."""

    # (commune code, kind, status) -> nominations created in the year
    nominations: dict[tuple[str, str, str], int]
    # nominations commended in the year: code, nominee, commune, kind, award, body,
    # decision number and date
    commendations: list[dict[str, Any]]
    supports: int
    supports_held: int
    open_for_support: int
    bot_answers: int
    officer_questions: int
    officer_answers: int
    broadcasts: int
    broadcast_deliveries: int
    broadcast_delivered: int


async def year_figures(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime
) -> YearFigures:
    """Every count the yearly report shows, for nominations of `scope` and people of
    its province, between `start` and `end`."""
    in_year = [scope.nominations(), Nomination.created_at >= start, Nomination.created_at < end]
    grouped = await session.execute(
        select(Nomination.commune_code, Nomination.kind, Nomination.status, func.count())
        .where(*in_year)
        .group_by(Nomination.commune_code, Nomination.kind, Nomination.status)
    )
    nominations = {(row[0], row[1], row[2]): int(row[3]) for row in grouped.all()}
    commended = await session.execute(
        select(
            Nomination.code,
            Nomination.nominee,
            Nomination.commune_code,
            Nomination.kind,
            NominationReview.award_kind,
            NominationReview.award,
            NominationReview.decided_by_body,
            NominationReview.decision_number,
            NominationReview.decision_date,
        )
        .join(NominationReview, NominationReview.nomination_id == Nomination.id)
        .where(
            scope.nominations(),
            Nomination.status == "commended",
            NominationReview.decided_at >= start,
            NominationReview.decided_at < end,
        )
        .order_by(NominationReview.decision_date, Nomination.code)
    )
    commendations = [dict(row) for row in commended.mappings().all()]
    support_rows = await session.execute(
        select(Support.status, func.count())
        .join(Nomination, Nomination.id == Support.nomination_id)
        .where(scope.nominations(), Support.created_at >= start, Support.created_at < end)
        .group_by(Support.status)
    )
    supports = {row[0]: int(row[1]) for row in support_rows.all()}
    open_count = await session.scalar(
        select(func.count())
        .select_from(Nomination)
        .join(NominationReview, NominationReview.nomination_id == Nomination.id)
        .where(scope.nominations(), NominationReview.supports_open.is_(True))
    )
    people = _people(scope)
    bot_answers = await session.scalar(
        select(func.count())
        .select_from(Interaction)
        .join(Contact, Contact.id == Interaction.contact_id)
        .where(
            people,
            Interaction.direction == "out",
            Interaction.answer_id.is_not(None),
            Interaction.at >= start,
            Interaction.at < end,
        )
    )
    questions = scope.questions()
    asked = await session.scalar(
        select(func.count())
        .select_from(OfficerQuestion)
        .where(questions, OfficerQuestion.created_at >= start, OfficerQuestion.created_at < end)
    )
    answered = await session.scalar(
        select(func.count())
        .select_from(OfficerQuestion)
        .where(
            questions,
            OfficerQuestion.answered_at >= start,
            OfficerQuestion.answered_at < end,
        )
    )
    sent_by: ColumnElement[bool] = (
        true()
        if scope.everywhere
        else (Broadcast.province == scope.province) | Broadcast.province.is_(None)
    )
    if scope.commune is not None:
        # Announcements are addressed to provinces and audiences, not to one commune.
        sent_by = false()
    broadcasts = await session.scalar(
        select(func.count())
        .select_from(Broadcast)
        .where(sent_by, Broadcast.created_at >= start, Broadcast.created_at < end)
    )
    delivery_rows = await session.execute(
        select(Delivery.status, func.count())
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(sent_by, Broadcast.created_at >= start, Broadcast.created_at < end)
        .group_by(Delivery.status)
    )
    deliveries = {row[0]: int(row[1]) for row in delivery_rows.all()}
    return YearFigures(
        nominations=nominations,
        commendations=commendations,
        supports=supports.get("counted", 0),
        supports_held=supports.get("held", 0),
        open_for_support=int(open_count or 0),
        bot_answers=int(bot_answers or 0),
        officer_questions=int(asked or 0),
        officer_answers=int(answered or 0),
        broadcasts=int(broadcasts or 0),
        broadcast_deliveries=sum(deliveries.values()),
        broadcast_delivered=deliveries.get("sent", 0),
    )


def _people(scope: Scope) -> ColumnElement[bool]:
    """Contacts of the scope: who chose its province, or said its commune is theirs."""
    if scope.commune is not None:
        return Contact.area == scope.commune
    if scope.province is not None:
        return Contact.province == scope.province
    return true()
