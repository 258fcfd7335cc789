"""Review queries: the queue scoped by area, what review adds to a nomination, the
questions officers ask nominators and askers, and villagers' supports.

Area scoping is a WHERE clause (`Scope`), so an officer's queue costs one indexed query
however many nominations other areas hold. Status changes stay in `storage.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select, true, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.lifecycle import ACCEPTED, COMMENDED, WITHDRAWN
from storage.models import (
    Contact,
    InfoRequest,
    Nomination,
    NominationReview,
    OfficerQuestion,
    QuestionFollowup,
    Support,
)


@dataclass(frozen=True)
class Scope:
    """What an officer covers: one commune (by code), one province (by slug), or, with
    neither, everywhere."""

    province: str | None = None
    commune: str | None = None

    @property
    def everywhere(self) -> bool:
        return self.province is None and self.commune is None

    def nominations(self) -> ColumnElement[bool]:
        """The WHERE clause of the nominations this scope covers."""
        if self.commune is not None:
            return Nomination.commune_code == self.commune
        if self.province is not None:
            return Nomination.province == self.province
        return true()

    def questions(self) -> ColumnElement[bool]:
        """The WHERE clause of the officer questions this scope covers."""
        if self.commune is not None:
            return OfficerQuestion.area == self.commune
        if self.province is not None:
            return OfficerQuestion.province == self.province
        return true()

    def covers(self, nomination: Nomination) -> bool:
        """The same test in Python, for a nomination already loaded."""
        if self.commune is not None:
            return nomination.commune_code == self.commune
        return self.province is None or nomination.province == self.province

    def covers_question(self, question: OfficerQuestion) -> bool:
        if self.commune is not None:
            return question.area == self.commune
        return self.province is None or question.province == self.province


# The queue --------------------------------------------------------------------------


async def queue_page(
    session: AsyncSession,
    scope: Scope,
    statuses: Sequence[str],
    kind: str | None,
    *,
    offset: int,
    limit: int,
    commune: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[int, list[tuple[Nomination, str | None]]]:
    """How many nominations match, and one page of them oldest first, each with the
    commune tier's recommendation (accept, reject or None). `commune` narrows the scope
    to one commune; `since` and `until` bound when they were sent, [since, until)."""
    narrower: list[ColumnElement[bool]] = []
    if kind is not None:
        narrower.append(Nomination.kind == kind)
    if commune is not None:
        narrower.append(Nomination.commune_code == commune)
    if since is not None:
        narrower.append(Nomination.created_at >= since)
    if until is not None:
        narrower.append(Nomination.created_at < until)
    where = [scope.nominations(), Nomination.status.in_(list(statuses)), *narrower]
    total = await session.scalar(select(func.count()).select_from(Nomination).where(*where))
    # One branch per status, each read in order from the (area, status, created_at)
    # index and cut at the page's end, then merged: no sort of every waiting row.
    branches = []
    for status in statuses:
        branch = (
            select(Nomination.id, Nomination.created_at)
            .where(scope.nominations(), Nomination.status == status, *narrower)
            .order_by(Nomination.created_at, Nomination.id)
            .limit(offset + limit)
            .subquery()
        )
        branches.append(select(branch.c.id, branch.c.created_at))
    merged = union_all(*branches).subquery()
    page = (
        select(merged.c.id)
        .order_by(merged.c.created_at, merged.c.id)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    rows = await session.execute(
        select(Nomination, NominationReview.recommendation)
        .join(page, page.c.id == Nomination.id)
        .outerjoin(NominationReview, NominationReview.nomination_id == Nomination.id)
        .order_by(Nomination.created_at, Nomination.id)
    )
    return int(total or 0), [(row[0], row[1]) for row in rows.all()]


async def same_kind_and_commune(
    session: AsyncSession, nomination: Nomination, limit: int = 2000
) -> list[tuple[str, str, str]]:
    """(code, nominee, status) of the other nominations of the same kind and commune,
    newest first: the candidates for "likely duplicate"."""
    rows = await session.execute(
        select(Nomination.code, Nomination.nominee, Nomination.status)
        .where(
            Nomination.kind == nomination.kind,
            Nomination.commune_code == nomination.commune_code,
            Nomination.id != nomination.id,
            Nomination.status != WITHDRAWN,
        )
        .order_by(Nomination.created_at.desc())
        .limit(limit)
    )
    return [(row[0], row[1], row[2]) for row in rows.all()]


# What review adds -------------------------------------------------------------------


async def review_of(session: AsyncSession, nomination_id: int) -> NominationReview | None:
    return await session.get(NominationReview, nomination_id)


async def review_for(session: AsyncSession, nomination_id: int, at: datetime) -> NominationReview:
    """The nomination's review row, added on first use."""
    review = await session.get(NominationReview, nomination_id)
    if review is None:
        review = NominationReview(nomination_id=nomination_id, supports_open=False, updated_at=at)
        session.add(review)
    review.updated_at = at
    return review


async def contact_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str | None]:
    """Display names by contact id, for "who did what" in a history."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(wanted)))
    return {row[0]: row[1] for row in rows.all()}


async def officers_covering(session: AsyncSession, province: str, commune: str) -> list[Contact]:
    """Officers and admins whose area is this province or this commune, or everywhere."""
    rows = await session.scalars(
        select(Contact).where(
            Contact.role.in_(("officer", "admin")),
            Contact.blocked.is_(False),
            (Contact.area.is_(None)) | (Contact.area == province) | (Contact.area == commune),
        )
    )
    return list(rows.all())


# Questions to nominators -------------------------------------------------------------


def add_info_request(
    session: AsyncSession, nomination_id: int, asked_by: int, question: str, at: datetime
) -> InfoRequest:
    request = InfoRequest(
        nomination_id=nomination_id,
        asked_by_contact_id=asked_by,
        question=question,
        asked_at=at,
        photos=0,
    )
    session.add(request)
    return request


async def info_requests_of(session: AsyncSession, nomination_id: int) -> list[InfoRequest]:
    rows = await session.scalars(
        select(InfoRequest)
        .where(InfoRequest.nomination_id == nomination_id)
        .order_by(InfoRequest.asked_at, InfoRequest.id)
    )
    return list(rows.all())


async def waiting_info_requests(
    session: AsyncSession, contact_id: int
) -> list[tuple[Nomination, InfoRequest]]:
    """The contact's nominations that wait for their answer, with the question asked."""
    rows = await session.execute(
        select(Nomination, InfoRequest)
        .join(InfoRequest, InfoRequest.nomination_id == Nomination.id)
        .where(
            Nomination.nominator_contact_id == contact_id,
            Nomination.status == "needs_info",
            InfoRequest.answered_at.is_(None),
        )
        .order_by(InfoRequest.asked_at, InfoRequest.id)
    )
    return [(row[0], row[1]) for row in rows.all()]


# Questions back to askers ------------------------------------------------------------


async def open_questions(
    session: AsyncSession, scope: Scope, limit: int
) -> tuple[int, list[tuple[OfficerQuestion, Contact, QuestionFollowup | None]]]:
    """Open questions in the scope, oldest first, with who asked and any question back."""
    where = [OfficerQuestion.status == "open", scope.questions()]
    total = await session.scalar(select(func.count()).select_from(OfficerQuestion).where(*where))
    rows = await session.execute(
        select(OfficerQuestion, Contact, QuestionFollowup)
        .join(Contact, Contact.id == OfficerQuestion.contact_id)
        .outerjoin(QuestionFollowup, QuestionFollowup.question_id == OfficerQuestion.id)
        .where(*where)
        .order_by(OfficerQuestion.id)
        .limit(limit)
    )
    return int(total or 0), [(row[0], row[1], row[2]) for row in rows.all()]


async def followup_of(session: AsyncSession, question_id: int) -> QuestionFollowup | None:
    found: QuestionFollowup | None = await session.scalar(
        select(QuestionFollowup).where(QuestionFollowup.question_id == question_id)
    )
    return found


async def waiting_followups(
    session: AsyncSession, contact_id: int
) -> list[tuple[OfficerQuestion, QuestionFollowup]]:
    """Questions officers asked this contact back that they have not answered yet."""
    rows = await session.execute(
        select(OfficerQuestion, QuestionFollowup)
        .join(QuestionFollowup, QuestionFollowup.question_id == OfficerQuestion.id)
        .where(
            OfficerQuestion.contact_id == contact_id,
            OfficerQuestion.status == "open",
            QuestionFollowup.replied_at.is_(None),
        )
        .order_by(QuestionFollowup.asked_at)
    )
    return [(row[0], row[1]) for row in rows.all()]


# Supports -------------------------------------------------------------------------

COUNTED = "counted"
HELD = "held"
DISCARDED = "discarded"
# More than this many supports within the window, mostly from contacts that are new,
# look like a campaign of throwaway accounts rather than neighbours.
BURST_SIZE = 20
BURST_WINDOW = timedelta(hours=1)
NEW_CONTACT = timedelta(days=1)
SUPPORTABLE = (ACCEPTED, COMMENDED)


def _supportable() -> list[ColumnElement[bool]]:
    return [
        NominationReview.supports_open.is_(True),
        Nomination.status.in_(SUPPORTABLE),
        Nomination.nominee_consent == "yes",
    ]


async def open_for_support(
    session: AsyncSession, province: str, commune: str | None, limit: int
) -> list[Nomination]:
    """Nominations villagers may support in their commune (or province when they have
    not said which commune is theirs), newest first."""
    place = Nomination.commune_code == commune if commune else Nomination.province == province
    rows = await session.scalars(
        select(Nomination)
        .join(NominationReview, NominationReview.nomination_id == Nomination.id)
        .where(place, *_supportable())
        .order_by(Nomination.updated_at.desc(), Nomination.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def supportable(session: AsyncSession, code: str) -> Nomination | None:
    """The nomination with this code if villagers may support it now."""
    found: Nomination | None = await session.scalar(
        select(Nomination)
        .join(NominationReview, NominationReview.nomination_id == Nomination.id)
        .where(Nomination.code == code, *_supportable())
    )
    return found


@dataclass(frozen=True)
class SupportOutcome:
    added: bool
    # This support started a burst: the officers should hear of it.
    flagged: bool = False


async def add_support(
    session: AsyncSession, nomination_id: int, contact_id: int, at: datetime
) -> SupportOutcome:
    """One support per contact and nomination. A burst (more than BURST_SIZE within
    BURST_WINDOW, most from contacts created in the last day) is flagged, and its
    supports are held apart, as are the ones that follow, until an officer clears it."""
    taken = await session.scalar(
        select(Support.id).where(
            Support.nomination_id == nomination_id, Support.contact_id == contact_id
        )
    )
    if taken is not None:
        return SupportOutcome(added=False)
    review = await review_for(session, nomination_id, at)
    status = HELD if review.burst_flagged_at is not None else COUNTED
    try:
        async with session.begin_nested():
            session.add(
                Support(
                    nomination_id=nomination_id, contact_id=contact_id, status=status, created_at=at
                )
            )
    except IntegrityError:
        # The same person, twice at once from two processes: the other one counted.
        return SupportOutcome(added=False)
    if status == HELD:
        return SupportOutcome(added=True)
    since = max(at - BURST_WINDOW, review.burst_cleared_at or at - BURST_WINDOW)
    recent = and_(
        Support.nomination_id == nomination_id,
        Support.created_at >= since,
        Support.status == COUNTED,
    )
    row = (
        await session.execute(
            select(
                func.count(Support.id),
                func.coalesce(
                    func.sum(case((Contact.created_at >= at - NEW_CONTACT, 1), else_=0)), 0
                ),
            )
            .join(Contact, Contact.id == Support.contact_id)
            .where(recent)
        )
    ).one()
    total, fresh = int(row[0]), int(row[1])
    if total <= BURST_SIZE or fresh * 2 <= total:
        return SupportOutcome(added=True)
    review.burst_flagged_at = at
    await session.execute(
        update(Support)
        .where(recent)
        .values(status=HELD)
        .execution_options(synchronize_session=False)
    )
    return SupportOutcome(added=True, flagged=True)


async def support_counts(session: AsyncSession, nomination_id: int) -> dict[str, int]:
    """Supports by status (counted, held, discarded)."""
    rows = await session.execute(
        select(Support.status, func.count())
        .where(Support.nomination_id == nomination_id)
        .group_by(Support.status)
    )
    return {row[0]: int(row[1]) for row in rows.all()}


async def clear_burst(
    session: AsyncSession, nomination_id: int, *, keep: bool, at: datetime
) -> int:
    """An officer's verdict on a flagged burst: count its supports after all, or throw
    them out. Returns how many supports it concerned; 0 when nothing was flagged."""
    review = await review_of(session, nomination_id)
    if review is None or review.burst_flagged_at is None:
        return 0
    result = await session.execute(
        update(Support)
        .where(Support.nomination_id == nomination_id, Support.status == HELD)
        .values(status=COUNTED if keep else DISCARDED)
        .execution_options(synchronize_session=False)
    )
    review.burst_flagged_at = None
    review.burst_cleared_at = at
    review.updated_at = at
    return int(getattr(result, "rowcount", 0) or 0)
