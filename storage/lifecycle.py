"""The nomination lifecycle: its statuses, the transitions allowed between them (as
data), and the one function that changes a status.

A change is a conditional UPDATE (the status must still be one the transition starts
from) and an event, both in the caller's unit of work: two officers deciding at once
cannot both win, and every change has its who, when and why. Nothing else writes
`nominations.status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Nomination, NominationEvent

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
NEEDS_INFO = "needs_info"
ACCEPTED = "accepted"
REJECTED = "rejected"
DUPLICATE = "duplicate"
COMMENDED = "commended"
WITHDRAWN = "withdrawn"
STATUSES = (
    SUBMITTED,
    IN_REVIEW,
    NEEDS_INFO,
    ACCEPTED,
    REJECTED,
    DUPLICATE,
    COMMENDED,
    WITHDRAWN,
)
# Before any of these, the nominator may still withdraw or change their mind.
UNDECIDED = frozenset({SUBMITTED, IN_REVIEW, NEEDS_INFO})


@dataclass(frozen=True)
class Transition:
    """A named change: the statuses it may start from, where it goes, who may make it."""

    sources: frozenset[str]
    target: str
    by: frozenset[str]


NOMINATOR = "nominator"
# Province officers and admins decide; commune officers pre-review (recommend) where the
# deployment has the commune tier.
OFFICER = "officer"
COMMUNE_OFFICER = "commune_officer"
_ANY_OFFICER = frozenset({OFFICER, COMMUNE_OFFICER})
_OPEN = frozenset({SUBMITTED, IN_REVIEW})

TRANSITIONS: dict[str, Transition] = {
    "withdraw": Transition(UNDECIDED, WITHDRAWN, frozenset({NOMINATOR})),
    "take": Transition(frozenset({SUBMITTED}), IN_REVIEW, _ANY_OFFICER),
    "ask_info": Transition(_OPEN, NEEDS_INFO, _ANY_OFFICER),
    "add_info": Transition(frozenset({NEEDS_INFO}), IN_REVIEW, frozenset({NOMINATOR})),
    # The commune's view; the status stays (or becomes) "in review" for the province,
    # and the event records what was recommended.
    "recommend": Transition(_OPEN, IN_REVIEW, frozenset({COMMUNE_OFFICER})),
    "accept": Transition(_OPEN, ACCEPTED, frozenset({OFFICER})),
    # A nominator who never answers a question can still be told no.
    "reject": Transition(UNDECIDED, REJECTED, frozenset({OFFICER})),
    "duplicate": Transition(UNDECIDED, DUPLICATE, frozenset({OFFICER})),
    "commend": Transition(frozenset({ACCEPTED}), COMMENDED, frozenset({OFFICER})),
}


class TransitionRefused(Exception):
    """The nomination is no longer in a status the transition starts from (someone else
    changed it first), or the actor may not make it."""

    def __init__(self, current: str | None) -> None:
        super().__init__(current)
        self.current = current


def record_submitted(
    session: AsyncSession, nomination: Nomination, actor_contact_id: int | None, at: datetime
) -> None:
    """The first event of a nomination: it was sent."""
    session.add(
        NominationEvent(
            nomination_id=nomination.id,
            actor_contact_id=actor_contact_id,
            actor_role=NOMINATOR,
            from_status=None,
            to_status=SUBMITTED,
            at=at,
        )
    )


async def transition(
    session: AsyncSession,
    nomination_id: int,
    action: str,
    *,
    actor_contact_id: int | None,
    actor_role: str,
    at: datetime,
    note: str | None = None,
) -> str:
    """Make `action` happen to the nomination and return its new status; raise
    TransitionRefused with the current status when it cannot."""
    rule = TRANSITIONS[action]
    current = await session.scalar(select(Nomination.status).where(Nomination.id == nomination_id))
    if actor_role not in rule.by or current not in rule.sources:
        raise TransitionRefused(current)
    # Conditional on the status just read: of two people acting at once, the second
    # finds it changed and is refused, even across processes.
    changed = await session.execute(
        update(Nomination)
        .where(Nomination.id == nomination_id, Nomination.status == current)
        .values(status=rule.target, updated_at=at)
        .returning(Nomination.id)
        .execution_options(synchronize_session="fetch")
    )
    if changed.first() is None:
        raise TransitionRefused(
            await session.scalar(select(Nomination.status).where(Nomination.id == nomination_id))
        )
    session.add(
        NominationEvent(
            nomination_id=nomination_id,
            actor_contact_id=actor_contact_id,
            actor_role=actor_role,
            from_status=current,
            to_status=rule.target,
            note=note,
            at=at,
        )
    )
    return rule.target


async def latest_event(session: AsyncSession, nomination_id: int) -> NominationEvent | None:
    """The nomination's last change: who moved it where, to tell an officer who came
    second what the first one did."""
    found: NominationEvent | None = await session.scalar(
        select(NominationEvent)
        .where(NominationEvent.nomination_id == nomination_id)
        .order_by(NominationEvent.at.desc(), NominationEvent.id.desc())
        .limit(1)
    )
    return found
