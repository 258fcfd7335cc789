"""What officers may do to a nomination, and doing it: ask for information, recommend
(the commune tier), accept, reject, mark as duplicate, commend.

Channel-neutral and free of `Turn`, so the chat journeys and the web dashboard call the
same functions: each checks the officer's area and tier, changes the status through
`storage.lifecycle`, records what review adds, writes the audit log (refusals too) and
returns the notices owed to other people, already in each recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import AsyncSession

from content.i18n import N_, TIMEZONE, Catalogs, Translator
from content.vietnamese import fold
from handlers.types import Reply, Services
from storage.audit import actor_label, record_audit
from storage.lifecycle import (
    ACCEPTED,
    COMMENDED,
    COMMUNE_OFFICER,
    OFFICER,
    TRANSITIONS,
    TransitionRefused,
    latest_event,
    transition,
)
from storage.models import Contact, Nomination
from storage.nominations import nomination_by_code
from storage.review import (
    Scope,
    add_info_request,
    contact_names,
    officers_covering,
    review_for,
    same_kind_and_commune,
)

LOCAL = ZoneInfo(TIMEZONE)

AWARDS = {
    "giay_khen_xa": N_("Giấy khen của Chủ tịch UBND xã"),
    "bang_khen_tinh": N_("Bằng khen của Chủ tịch UBND tỉnh"),
}
OTHER_AWARD = "other"
REASONS = {
    "criteria": N_("Chưa đạt tiêu chí của phong trào"),
    "evidence": N_("Chưa đủ minh chứng để xác minh"),
    "facts": N_("Thông tin chưa đúng với thực tế"),
    "scope": N_("Không thuộc phạm vi xét của phong trào"),
}
RECOMMENDATIONS = {
    "accept": N_("đề nghị công nhận"),
    "reject": N_("đề nghị không công nhận"),
}
MIN_REASON = 5
# How alike two nominees' names must read (0-100, diacritics aside) to be shown as a
# likely duplicate.
SIMILAR = 80.0
MIN_QUESTION = 10
MAX_NOTE = 1000


@dataclass(frozen=True)
class ReviewPolicy:
    """How review is organised in this deployment (REVIEW_COMMUNE_TIER)."""

    commune_tier: bool = True


DEFAULT_POLICY = ReviewPolicy()


def policy_of(services: Services) -> ReviewPolicy:
    """The deployment's policy, from REVIEW_COMMUNE_TIER."""
    return ReviewPolicy(commune_tier=services.review_commune_tier)


@dataclass(frozen=True)
class Officer:
    """Who acts, and the area they cover."""

    contact: Contact
    scope: Scope

    @property
    def role(self) -> str:
        """The lifecycle role: commune officers pre-review, the others decide."""
        return COMMUNE_OFFICER if self.scope.commune is not None else OFFICER


def allowed_actions(officer: Officer, nomination: Nomination, policy: ReviewPolicy) -> list[str]:
    """The actions this officer may take on this nomination now, in display order."""
    if not officer.scope.covers(nomination):
        return []
    if officer.role == COMMUNE_OFFICER:
        # Without the commune tier, commune officers look and ask, the province decides.
        wanted = ["recommend", "ask_info"] if policy.commune_tier else ["ask_info"]
    else:
        wanted = ["accept", "reject", "ask_info", "duplicate", "commend"]
    return [
        action
        for action in wanted
        if nomination.status in TRANSITIONS[action].sources
        and officer.role in TRANSITIONS[action].by
    ]


# Refusals: what the officer is told, and what the audit log says.
NOT_ALLOWED = "not_allowed"
NOT_FOUND = "not_found"
INVALID = "invalid"
TAKEN = "taken"


@dataclass(frozen=True)
class Outcome:
    """What happened: the new status, or why nothing did. When someone else changed
    the nomination first, who, to what and when."""

    status: str | None
    refused: str | None = None
    by: str | None = None
    at: datetime | None = None
    notices: list[tuple[int, list[Reply]]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.refused is None


Render = Callable[[Translator], str]


@dataclass
class _Act:
    session: AsyncSession
    catalogs: Catalogs
    officer: Officer
    nomination: Nomination
    policy: ReviewPolicy
    at: datetime
    notices: list[tuple[int, list[Reply]]] = field(default_factory=list)

    def audit(self, action: str, **details: Any) -> None:
        contact = self.officer.contact
        record_audit(
            self.session,
            actor=actor_label(contact),
            actor_contact_id=contact.id,
            action=action,
            at=self.at,
            target=self.nomination.code,
            details=details,
        )

    def refuse(self, action: str, reason: str, **details: Any) -> Outcome:
        self.audit("review.refused", attempted=action, reason=reason, **details)
        return Outcome(self.nomination.status, refused=reason)

    async def tell(self, contact_id: int | None, render: Render) -> None:
        """A notice to another contact, in their language."""
        if contact_id is None:
            return
        contact = await self.session.get(Contact, contact_id)
        if contact is None or contact.blocked:
            return
        words = self.catalogs.translator(contact.language)
        self.notices.append((contact.id, [Reply(render(words), language=words.language)]))

    async def move(self, action: str, note: str | None, **details: Any) -> Outcome | None:
        """The status change itself; an Outcome when it was refused."""
        nomination = self.nomination
        if action not in allowed_actions(self.officer, nomination, self.policy):
            if not self.officer.scope.covers(nomination):
                return self.refuse(action, NOT_FOUND)
            return await self._taken_or_not_allowed(action, nomination.status)
        try:
            status = await transition(
                self.session,
                nomination.id,
                action,
                actor_contact_id=self.officer.contact.id,
                actor_role=self.officer.role,
                at=self.at,
                note=note,
            )
        except TransitionRefused as refused:
            return await self._taken_or_not_allowed(action, refused.current)
        nomination.status = status
        self.audit(f"review.{action}", status=status, **details)
        return None

    async def _taken_or_not_allowed(self, action: str, current: str | None) -> Outcome:
        """Someone changed it since the officer looked (say who), or it never could."""
        event = await latest_event(self.session, self.nomination.id)
        changed_by_other = (
            event is not None
            and event.actor_contact_id not in (None, self.officer.contact.id)
            and current not in TRANSITIONS[action].sources
        )
        if not changed_by_other or event is None:
            return self.refuse(action, NOT_ALLOWED, status=current)
        names = await contact_names(self.session, [event.actor_contact_id or 0])
        self.audit("review.refused", attempted=action, reason=TAKEN, status=current)
        return Outcome(
            current,
            refused=TAKEN,
            by=names.get(event.actor_contact_id or 0) or "",
            at=event.at,
        )


def _done(act: _Act) -> Outcome:
    return Outcome(act.nomination.status, notices=act.notices)


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_NOTE]


async def ask_info(
    session: AsyncSession,
    catalogs: Catalogs,
    officer: Officer,
    nomination: Nomination,
    question: str,
    *,
    policy: ReviewPolicy,
    at: datetime,
) -> Outcome:
    """Ask the nominator a question; their answer puts the nomination back in the queue."""
    act = _Act(session, catalogs, officer, nomination, policy, at)
    question = _clean(question)
    if len(question) < MIN_QUESTION:
        return act.refuse("ask_info", INVALID)
    refused = await act.move("ask_info", question)
    if refused is not None:
        return refused
    add_info_request(session, nomination.id, officer.contact.id, question, at)
    await act.tell(
        nomination.nominator_contact_id,
        lambda words: words.gettext(
            "Cán bộ cần bạn bổ sung cho hồ sơ {code} ({nominee}):\n“{question}”\n"
            "Trả lời ngay tại đây: gõ /traloi rồi gõ nội dung, có ảnh thì gửi kèm."
        ).format(code=nomination.code, nominee=nomination.nominee, question=question),
    )
    return _done(act)


async def recommend(
    session: AsyncSession,
    catalogs: Catalogs,
    officer: Officer,
    nomination: Nomination,
    verdict: str,
    note: str | None,
    *,
    policy: ReviewPolicy,
    at: datetime,
) -> Outcome:
    """The commune tier's view, accept or reject (with why), for the province to decide."""
    act = _Act(session, catalogs, officer, nomination, policy, at)
    note = _clean(note) if note else None
    if verdict not in RECOMMENDATIONS or (verdict == "reject" and not _reason_ok(note)):
        return act.refuse("recommend", INVALID)
    label = RECOMMENDATIONS[verdict]
    event_note = f"{label}: {note}" if note else label
    refused = await act.move("recommend", event_note, verdict=verdict)
    if refused is not None:
        return refused
    review = await review_for(session, nomination.id, at)
    review.recommendation = verdict
    review.recommendation_note = note
    review.recommended_at = at
    await act.tell(
        nomination.nominator_contact_id,
        lambda words: words.gettext(
            "Hồ sơ {code} ({nominee}) đã được cán bộ xã xem xét và chuyển lên tỉnh quyết "
            "định. Bạn chưa cần làm gì thêm."
        ).format(code=nomination.code, nominee=nomination.nominee),
    )
    for other in await officers_covering(session, nomination.province, nomination.commune_code):
        if other.id != officer.contact.id and other.area != nomination.commune_code:
            await act.tell(
                other.id,
                lambda words: words.gettext(
                    "Cán bộ xã đã xem hồ sơ {code} ({nominee}) và {verdict}. "
                    "Gõ /duyet để quyết định."
                ).format(
                    code=nomination.code,
                    nominee=nomination.nominee,
                    verdict=words.gettext(label),
                ),
            )
    return _done(act)


def _reason_ok(reason: str | None) -> bool:
    return reason is not None and sum(ch.isalpha() for ch in reason) >= MIN_REASON


async def accept(
    session: AsyncSession,
    catalogs: Catalogs,
    officer: Officer,
    nomination: Nomination,
    *,
    policy: ReviewPolicy,
    at: datetime,
) -> Outcome:
    act = _Act(session, catalogs, officer, nomination, policy, at)
    refused = await act.move("accept", None)
    if refused is not None:
        return refused
    (await review_for(session, nomination.id, at)).decided_at = at
    await act.tell(
        nomination.nominator_contact_id,
        lambda words: words.gettext(
            "Tin vui! Hồ sơ {code} ({nominee}) đã được công nhận. Khi có quyết định khen "
            "thưởng, mình sẽ báo bạn tại đây."
        ).format(code=nomination.code, nominee=nomination.nominee),
    )
    return _done(act)


async def reject(
    session: AsyncSession,
    catalogs: Catalogs,
    officer: Officer,
    nomination: Nomination,
    reason: str,
    *,
    policy: ReviewPolicy,
    at: datetime,
) -> Outcome:
    """Reject with a reason: one of REASONS (stored as its Vietnamese text, told to the
    nominator in their language) or the officer's own words."""
    act = _Act(session, catalogs, officer, nomination, policy, at)
    reason = _clean(reason)
    if not _reason_ok(reason):
        return act.refuse("reject", INVALID)
    refused = await act.move("reject", reason)
    if refused is not None:
        return refused
    review = await review_for(session, nomination.id, at)
    review.reason = reason
    review.decided_at = at
    await act.tell(
        nomination.nominator_contact_id,
        lambda words: words.gettext(
            "Hồ sơ {code} ({nominee}) chưa được chấp nhận. Lý do: {reason}\n"
            "Khi có thêm minh chứng, bạn có thể đề cử lại bằng /decu."
        ).format(code=nomination.code, nominee=nomination.nominee, reason=words.gettext(reason)),
    )
    return _done(act)


async def mark_duplicate(
    session: AsyncSession,
    catalogs: Catalogs,
    officer: Officer,
    nomination: Nomination,
    original_code: str | None,
    *,
    policy: ReviewPolicy,
    at: datetime,
) -> Outcome:
    """Mark as a duplicate of another nomination the officer can see (not itself)."""
    act = _Act(session, catalogs, officer, nomination, policy, at)
    original = await nomination_by_code(session, original_code) if original_code else None
    if original is None or not officer.scope.covers(original):
        return act.refuse("duplicate", NOT_FOUND, original=original_code)
    if original.id == nomination.id:
        return act.refuse("duplicate", INVALID, original=original_code)
    refused = await act.move("duplicate", original.code, original=original.code)
    if refused is not None:
        return refused
    review = await review_for(session, nomination.id, at)
    review.duplicate_of_id = original.id
    review.decided_at = at
    await act.tell(
        nomination.nominator_contact_id,
        lambda words: words.gettext(
            "Hồ sơ {code} ({nominee}) trùng với hồ sơ {original} đã có, nên được xét chung "
            "với hồ sơ đó. Bạn không cần làm gì thêm."
        ).format(code=nomination.code, nominee=nomination.nominee, original=original.code),
    )
    return _done(act)


@dataclass(frozen=True)
class Commendation:
    """The award as decided: its kind, its name, who decided, the decision's number
    and date."""

    kind: str
    award: str
    body: str
    number: str
    day: date

    def problems(self, today: date) -> bool:
        return (
            not self.award.strip()
            or not self.body.strip()
            or not any(ch.isdigit() for ch in self.number)
            or self.day > today
        )


async def commend(
    session: AsyncSession,
    catalogs: Catalogs,
    officer: Officer,
    nomination: Nomination,
    commendation: Commendation,
    *,
    policy: ReviewPolicy,
    at: datetime,
) -> Outcome:
    act = _Act(session, catalogs, officer, nomination, policy, at)
    if commendation.problems(at.astimezone(LOCAL).date()):
        return act.refuse("commend", INVALID)
    note = f"{commendation.award}; {commendation.body}; {commendation.number}; {commendation.day}"
    refused = await act.move("commend", note, award=commendation.kind)
    if refused is not None:
        return refused
    review = await review_for(session, nomination.id, at)
    review.award_kind = commendation.kind
    review.award = commendation.award
    review.decided_by_body = commendation.body
    review.decision_number = commendation.number
    review.decision_date = commendation.day
    review.decided_at = at
    await act.tell(
        nomination.nominator_contact_id,
        lambda words: words.gettext(
            "Chúc mừng! {nominee} (hồ sơ {code}) được khen thưởng: {award}, theo Quyết định "
            "số {number} ngày {date} của {body}."
        ).format(
            nominee=nomination.nominee,
            code=nomination.code,
            award=words.gettext(commendation.award),
            number=commendation.number,
            date=words.date(commendation.day),
            body=commendation.body,
        ),
    )
    return _done(act)


async def similar_nominations(
    session: AsyncSession, nomination: Nomination
) -> list[tuple[str, str, str]]:
    """(code, nominee, status) of others of the same kind and commune whose names read
    alike, diacritics aside: the likely duplicates shown beside a submission."""
    candidates = await same_kind_and_commune(session, nomination)
    if not candidates:
        return []
    names = [fold(name) for _code, name, _status in candidates]
    found = process.extract(
        fold(nomination.nominee),
        names,
        scorer=fuzz.token_sort_ratio,
        score_cutoff=SIMILAR,
        limit=3,
    )
    return [candidates[index] for _name, _score, index in found]


def may_open_supports(nomination: Nomination) -> bool:
    """Villagers may be asked to support only an accepted (or commended) nomination
    whose nominee agreed to be named."""
    return nomination.nominee_consent == "yes" and nomination.status in (ACCEPTED, COMMENDED)


async def set_supports(
    session: AsyncSession,
    catalogs: Catalogs,
    officer: Officer,
    nomination: Nomination,
    value: bool,
    *,
    policy: ReviewPolicy,
    at: datetime,
) -> Outcome:
    """Open or close a nomination to villagers' supports (province officers), audited."""
    act = _Act(session, catalogs, officer, nomination, policy, at)
    if not officer.scope.covers(nomination):
        return act.refuse("supports", NOT_FOUND)
    if officer.role == COMMUNE_OFFICER or (value and not may_open_supports(nomination)):
        act.audit("supports.refused", status=nomination.status)
        return Outcome(nomination.status, refused=NOT_ALLOWED)
    review = await review_for(session, nomination.id, at)
    review.supports_open = value
    if value:
        review.supports_opened_at = at
    act.audit("supports.opened" if value else "supports.closed")
    return Outcome(nomination.status)
