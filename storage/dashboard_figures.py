"""Figures for the dashboard, scoped in SQL by the officer's area (`storage.review.Scope`):
nominations by commune, kind and status; questions answered by the bot and by officers
over time; subscribers by channel and commune; announcements and their delivery.

Each is one grouped query, whatever the number of rows; periods are counted in the
same query with one CASE column each, which reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, case, cast, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from content.i18n import TIMEZONE
from storage.models import Broadcast, Contact, Delivery, Interaction, Nomination, OfficerQuestion
from storage.review import Scope

LOCAL = ZoneInfo(TIMEZONE)


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The starts of the last `months` months in Vietnam time (the current one last),
    then the start of the next: `months + 1` boundaries, as UTC-comparable datetimes."""
    local = now.astimezone(LOCAL)
    year, month = local.year, local.month
    starts = []
    for back in range(months - 1, -2, -1):
        index = year * 12 + (month - 1) - back
        starts.append(datetime(index // 12, index % 12 + 1, 1, tzinfo=LOCAL))
    return starts


@dataclass(frozen=True)
class NominationCounts:
    """Nominations counted by (commune code, status) and by (kind, status)."""

    communes: dict[tuple[str, str], int] = field(default_factory=dict)
    kinds: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def by_commune(self) -> dict[str, dict[str, int]]:
        """{commune: {status: n}}."""
        out: dict[str, dict[str, int]] = defaultdict(dict)
        for (commune, status), n in self.communes.items():
            out[commune][status] = n
        return dict(out)

    def by_kind(self) -> dict[str, dict[str, int]]:
        """{kind: {status: n}}."""
        out: dict[str, dict[str, int]] = defaultdict(dict)
        for (kind, status), n in self.kinds.items():
            out[kind][status] = n
        return dict(out)

    def per_commune(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for (commune, _status), n in self.communes.items():
            out[commune] += n
        return dict(out)


async def nomination_counts(
    session: AsyncSession,
    scope: Scope,
    communes: Sequence[str] | None = None,
    since: datetime | None = None,
) -> NominationCounts:
    """Nominations in the scope (filed since `since`), by commune and status and by kind
    and status. `communes`, the codes of the scope's communes when the caller knows
    them, lets the first count read only the (commune, status) index."""
    where = [scope.nominations()]
    if since is not None:
        where.append(Nomination.created_at >= since)
    by_place = (
        [Nomination.commune_code.in_(list(communes))]
        if communes is not None and scope.commune is None and since is None
        else where
    )
    place_rows = await session.execute(
        select(Nomination.commune_code, Nomination.status, func.count())
        .where(*by_place)
        .group_by(Nomination.commune_code, Nomination.status)
    )
    kind_rows = await session.execute(
        select(Nomination.kind, Nomination.status, func.count())
        .where(*where)
        .group_by(Nomination.kind, Nomination.status)
    )
    return NominationCounts(
        {(row[0], row[1]): int(row[2]) for row in place_rows.all()},
        {(row[0], row[1]): int(row[2]) for row in kind_rows.all()},
    )


def people_in(scope: Scope) -> ColumnElement[bool]:
    """The contacts a scope covers: who said the commune is theirs, or who follows the
    province; a commune officer's own area is that commune, so officers and admins are
    not counted among its people."""
    if scope.commune is not None:
        return and_(Contact.area == scope.commune, Contact.role.not_in(("officer", "admin")))
    if scope.province is not None:
        return Contact.province == scope.province
    return true()


def _period(column: Any, bounds: Sequence[datetime]) -> Any:
    """Which period [bounds[i], bounds[i + 1]) a row's `column` falls in, as i (rows
    before or after every period are left out by the caller's WHERE)."""
    return case(
        *((column < end, index) for index, end in enumerate(bounds[1:-1])),
        else_=len(bounds) - 2,
    )


async def _per_period(
    session: AsyncSession, column: Any, bounds: Sequence[datetime], query: Any
) -> list[int]:
    """How many rows of `query` fall in each period, by `column`."""
    period = _period(column, bounds).label("period")
    rows = await session.execute(
        query.add_columns(period, func.count())
        .where(column >= bounds[0], column < bounds[-1])
        .group_by(period)
    )
    counts = [0] * (len(bounds) - 1)
    for index, n in rows.all():
        counts[int(index)] = int(n)
    return counts


@dataclass(frozen=True)
class AnswersOverTime:
    """Per period (between consecutive `bounds`): questions answered by the bot, and by
    officers; plus those still waiting for an officer now."""

    bounds: list[datetime]
    by_bot: list[int]
    by_officers: list[int]
    waiting: int


async def answers_over_time(
    session: AsyncSession, scope: Scope, bounds: Sequence[datetime]
) -> AnswersOverTime:
    """Bot answers are the replies that matched a knowledge entry (`answer_id` set), of
    the people in the scope; officer answers are the answered questions in the scope."""
    by_bot = await _per_period(
        session,
        Interaction.at,
        bounds,
        select()
        .select_from(Interaction)
        .join(Contact, Contact.id == Interaction.contact_id)
        .where(
            people_in(scope),
            Interaction.direction == "out",
            Interaction.answer_id.is_not(None),
        ),
    )
    by_officers = await _per_period(
        session,
        OfficerQuestion.answered_at,
        bounds,
        select().select_from(OfficerQuestion).where(scope.questions()),
    )
    waiting = await session.scalar(
        select(func.count())
        .select_from(OfficerQuestion)
        .where(scope.questions(), OfficerQuestion.status == "open")
    )
    return AnswersOverTime(
        bounds=list(bounds),
        by_bot=by_bot,
        by_officers=by_officers,
        waiting=int(waiting or 0),
    )


async def subscribers_by_commune_and_channel(
    session: AsyncSession, scope: Scope
) -> dict[str | None, dict[str, int]]:
    """Reachable subscribers in the scope: {commune code or None: {channel: n}}."""
    rows = await session.execute(
        select(Contact.area, Contact.channel, func.count())
        .where(people_in(scope), Contact.subscribed.is_(True), Contact.blocked.is_(False))
        .group_by(Contact.area, Contact.channel)
    )
    out: dict[str | None, dict[str, int]] = defaultdict(dict)
    for area, channel, n in rows.all():
        out[area][channel] = int(n)
    return dict(out)


def broadcasts_in(scope: Scope, contact_id: int | None = None) -> ColumnElement[bool]:
    """The announcements a scope covers: a province's are those sent within it; a
    commune's, those addressed to the commune (and those the officer sent)."""
    if scope.commune is not None:
        named = cast(Broadcast.audience, String).like(f'%"commune:{scope.commune}"%')
        return or_(named, Broadcast.created_by_contact_id == contact_id) if contact_id else named
    if scope.province is not None:
        return Broadcast.province == scope.province
    return true()


@dataclass(frozen=True)
class BroadcastDelivery:
    broadcast: Broadcast
    counts: dict[str, int]

    @property
    def remaining(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("sending", 0)


async def recent_broadcast_delivery(
    session: AsyncSession, scope: Scope, limit: int, contact_id: int | None = None
) -> list[BroadcastDelivery]:
    """The latest announcements in the scope, newest first, each with its deliveries
    counted by status."""
    broadcasts = list(
        (
            await session.scalars(
                select(Broadcast)
                .where(broadcasts_in(scope, contact_id))
                .order_by(Broadcast.id.desc())
                .limit(limit)
            )
        ).all()
    )
    counts: dict[int, dict[str, int]] = {b.id: {} for b in broadcasts}
    if broadcasts:
        rows = await session.execute(
            select(Delivery.broadcast_id, Delivery.status, func.count())
            .where(Delivery.broadcast_id.in_(list(counts)))
            .group_by(Delivery.broadcast_id, Delivery.status)
        )
        for broadcast_id, status, n in rows.all():
            counts[int(broadcast_id or 0)][status] = int(n)
    return [BroadcastDelivery(b, counts[b.id]) for b in broadcasts]


async def answered_not_saved(
    session: AsyncSession, scope: Scope, limit: int
) -> list[tuple[OfficerQuestion, Contact]]:
    """Questions in the scope answered by an officer and not yet saved to the
    knowledge base, latest first, with who asked: what the inbox offers to save."""
    rows = await session.execute(
        select(OfficerQuestion, Contact)
        .join(Contact, Contact.id == OfficerQuestion.contact_id)
        .where(
            scope.questions(),
            OfficerQuestion.status == "answered",
            OfficerQuestion.knowledge_entry_id.is_(None),
        )
        .order_by(OfficerQuestion.answered_at.desc(), OfficerQuestion.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows.all()]
