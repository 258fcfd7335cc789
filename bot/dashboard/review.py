"""Review on the web: the queue with filters and pages, one submission with its photos,
history and likely duplicates, and every decision, made by the same functions as in
chat (`handlers.review_actions`), with the nominator told through the outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import PREFIX, Dashboard, NavItem
from bot.dashboard.auth import SignedIn, guarded
from bot.export import local_midnight
from content.areas import Commune, load_areas
from content.i18n import N_
from content.provinces import load_provinces
from handlers.decide import parse_day
from handlers.review import CONSENT_WORDS, KIND_FILTERS, ROLE_WORDS, STATUS_FILTERS, place_name
from handlers.review_actions import (
    AWARDS,
    INVALID,
    LOCAL,
    NOT_FOUND,
    OTHER_AWARD,
    REASONS,
    RECOMMENDATIONS,
    TAKEN,
    Commendation,
    Outcome,
    accept,
    allowed_actions,
    ask_info,
    commend,
    mark_duplicate,
    may_open_supports,
    recommend,
    reject,
    set_supports,
    similar_nominations,
)
from handlers.submissions import KIND_WORDS, STATUS_WORDS
from storage.lifecycle import ACCEPTED, COMMENDED, COMMUNE_OFFICER
from storage.models import Nomination
from storage.nominations import events_of, nomination_by_code, normalise_code, photos_of
from storage.review import (
    HELD,
    contact_names,
    info_requests_of,
    queue_page,
    review_of,
    support_counts,
)

QUEUE = PREFIX + "/review"
PAGE = 25
NAV = (NavItem(QUEUE, N_("Duyệt hồ sơ"), 10),)
DONE = {
    "accept": N_("Đã công nhận hồ sơ {code}."),
    "reject": N_("Đã ghi nhận: hồ sơ {code} không được công nhận. Người đề cử đã được báo."),
    "ask": N_("Đã gửi câu hỏi cho người đề cử hồ sơ {code}."),
    "duplicate": N_("Đã ghi nhận hồ sơ {code} là hồ sơ trùng."),
    "recommend": N_("Đã gửi ý kiến của xã về hồ sơ {code} lên tỉnh."),
    "commend": N_("Đã ghi nhận khen thưởng hồ sơ {code}. Người đề cử đã được báo."),
    "supports_open": N_("Đã mở cho bà con ủng hộ."),
    "supports_close": N_("Đã đóng ủng hộ."),
}


def _day(raw: str | None) -> date | None:
    """A date field (`2026-03-01` from the browser, or `1/3/2026` typed)."""
    return parse_day(raw) if raw else None


def _communes(signed: SignedIn) -> list[Commune]:
    """The communes the officer may filter by: those of their province, or every one."""
    areas = load_areas()
    scope = signed.scope
    if scope.commune is not None:
        return []
    provinces = [scope.province] if scope.province else list(load_provinces())
    return [c for p in provinces if p in areas.provinces() for c in areas.communes(p)]


@guarded("review.queue")
async def queue(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The queue: filters by status, kind, commune and dates; PAGE a page, oldest first."""
    query = request.query
    status = query.get("status", "waiting")
    status = status if status in STATUS_FILTERS else "waiting"
    kind = query.get("kind", "all")
    kind = kind if kind in KIND_FILTERS else "all"
    communes = _communes(signed)
    commune = query.get("commune") or None
    if commune not in {c.code for c in communes}:
        commune = None
    since, until = _day(query.get("since")), _day(query.get("until"))
    raw_page = query.get("page", "1")
    page = max(int(raw_page), 1) if raw_page.isdigit() and len(raw_page) < 6 else 1
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        total, rows = await queue_page(
            session,
            signed.scope,
            STATUS_FILTERS[status][0],
            None if kind == "all" else kind,
            offset=(page - 1) * PAGE,
            limit=PAGE,
            commune=commune,
            since=local_midnight(since) if since else None,
            until=local_midnight(until + timedelta(days=1)) if until else None,
        )
        signed.audit(
            session, "review.listed", status=status, kind=kind, page=page, count=total, web=True
        )
    filters = {
        "status": status,
        "kind": kind,
        "commune": commune or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    pages = max((total + PAGE - 1) // PAGE, 1)

    def page_link(number: int) -> str:
        return QUEUE + "?" + urlencode({**filters, "page": number})

    return dashboard.render(
        request,
        signed,
        "review_queue.html",
        {
            "rows": [
                {
                    "item": item,
                    "place": place_name(item.commune_code),
                    "kind": KIND_WORDS.get(item.kind, item.kind),
                    "status": STATUS_WORDS.get(item.status, item.status),
                    "recommendation": RECOMMENDATIONS.get(recommendation or ""),
                    "number": number,
                }
                for number, (item, recommendation) in enumerate(rows, start=(page - 1) * PAGE + 1)
            ],
            "total": total,
            "page": page,
            "pages": pages,
            "previous": page_link(page - 1) if page > 1 else None,
            "next": page_link(page + 1) if page < pages else None,
            "filters": filters,
            "statuses": [(key, label) for key, (_s, label) in STATUS_FILTERS.items()],
            "kinds": list(KIND_FILTERS.items()),
            "communes": communes,
            "several_provinces": signed.scope.province is None,
        },
    )


async def _in_scope(
    session: AsyncSession, signed: SignedIn, raw: str, attempted: str
) -> Nomination | None:
    """The nomination with this code if the officer covers it; the refusal is audited
    (another area's code reads as not found, as in chat)."""
    code = normalise_code(raw)
    nomination = await nomination_by_code(session, code) if code else None
    if nomination is None or not signed.scope.covers(nomination):
        signed.audit(
            session,
            "review.refused",
            target=code or raw[:40],
            attempted=attempted,
            reason="not_found",
            web=True,
        )
        return None
    return nomination


async def _submission_values(
    session: AsyncSession, signed: SignedIn, nomination: Nomination
) -> dict[str, Any]:
    """Everything the submission page shows."""
    policy = signed.dashboard.policy
    review = await review_of(session, nomination.id)
    events = await events_of(session, nomination.id)
    names = await contact_names(session, [e.actor_contact_id for e in events if e.actor_contact_id])
    commune = load_areas().get(nomination.commune_code)
    counts = (
        await support_counts(session, nomination.id)
        if nomination.status in (ACCEPTED, COMMENDED)
        else {}
    )
    officer = signed.officer
    suggestions = []
    if commune is not None:
        suggestions.append(signed._("UBND {place}").format(place=commune.name))
    province = load_provinces().get(nomination.province)
    if province is not None:
        suggestions.append(signed._("UBND tỉnh {name}").format(name=province.name("vi")))
    return {
        "n": nomination,
        "place": commune.name if commune else nomination.commune_code,
        "kind": KIND_WORDS.get(nomination.kind, nomination.kind),
        "status": STATUS_WORDS.get(nomination.status, nomination.status),
        "consent": CONSENT_WORDS.get(nomination.nominee_consent, nomination.nominee_consent),
        "show_phone": bool(nomination.contact_consent and nomination.nominator_phone),
        "review": review,
        "recommendation": RECOMMENDATIONS.get((review.recommendation if review else None) or ""),
        "photos": await photos_of(session, nomination.id),
        "requests": await info_requests_of(session, nomination.id),
        "events": [
            {
                "event": event,
                "status": STATUS_WORDS.get(event.to_status, event.to_status),
                "who": ROLE_WORDS.get(event.actor_role, event.actor_role),
                "name": names.get(event.actor_contact_id or 0),
            }
            for event in events
        ],
        "similar": [
            (code, name, STATUS_WORDS.get(status, status))
            for code, name, status in await similar_nominations(session, nomination)
        ],
        "actions": allowed_actions(officer, nomination, policy),
        "supports": counts,
        "held": counts.get(HELD, 0),
        "supports_open": bool(review and review.supports_open),
        "may_manage_supports": officer.role != COMMUNE_OFFICER
        and nomination.status in (ACCEPTED, COMMENDED),
        "may_open_supports": may_open_supports(nomination),
        "reasons": list(REASONS.items()),
        "awards": list(AWARDS.items()),
        "other_award": OTHER_AWARD,
        "bodies": suggestions,
        "today": signed.now.astimezone(LOCAL).date().isoformat(),
    }


async def _show(
    request: web.Request,
    signed: SignedIn,
    code: str,
    *,
    note: str | None = None,
    problem: str | None = None,
    status: int = 200,
    audit_view: bool = True,
) -> web.StreamResponse:
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        nomination = await _in_scope(session, signed, code, "open")
        if nomination is not None:
            if audit_view:
                signed.audit(session, "nomination.viewed", target=nomination.code, web=True)
            values = await _submission_values(session, signed, nomination)
    if nomination is None:
        raise dashboard.not_found(request, signed)
    values.update(note=note, problem=problem)
    return dashboard.render(request, signed, "review_submission.html", values, status=status)


@guarded("review.submission")
async def submission(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """One submission as the officer reviews it."""
    code = request.match_info["code"]
    done = request.query.get("done", "")
    note = signed._(DONE[done]).format(code=normalise_code(code)) if done in DONE else None
    return await _show(request, signed, code, note=note, audit_view=note is None)


Decision = Callable[[AsyncSession, SignedIn, Nomination, MultiDictProxy[Any]], Awaitable[Outcome]]


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return " ".join(value.split()) if isinstance(value, str) else ""


async def _accept(
    session: AsyncSession, signed: SignedIn, n: Nomination, form: MultiDictProxy[Any]
) -> Outcome:
    d = signed.dashboard
    return await accept(session, d.catalogs, signed.officer, n, policy=d.policy, at=signed.now)


async def _reject(
    session: AsyncSession, signed: SignedIn, n: Nomination, form: MultiDictProxy[Any]
) -> Outcome:
    d = signed.dashboard
    reason = _text(form, "reason_text") or REASONS.get(_text(form, "reason"), "")
    return await reject(
        session, d.catalogs, signed.officer, n, reason, policy=d.policy, at=signed.now
    )


async def _ask(
    session: AsyncSession, signed: SignedIn, n: Nomination, form: MultiDictProxy[Any]
) -> Outcome:
    d = signed.dashboard
    question = _text(form, "question")
    return await ask_info(
        session, d.catalogs, signed.officer, n, question, policy=d.policy, at=signed.now
    )


async def _duplicate(
    session: AsyncSession, signed: SignedIn, n: Nomination, form: MultiDictProxy[Any]
) -> Outcome:
    d = signed.dashboard
    original = normalise_code(_text(form, "original"))
    return await mark_duplicate(
        session, d.catalogs, signed.officer, n, original, policy=d.policy, at=signed.now
    )


async def _recommend(
    session: AsyncSession, signed: SignedIn, n: Nomination, form: MultiDictProxy[Any]
) -> Outcome:
    d = signed.dashboard
    verdict = _text(form, "verdict")
    note = _text(form, "note") or None
    return await recommend(
        session, d.catalogs, signed.officer, n, verdict, note, policy=d.policy, at=signed.now
    )


async def _commend(
    session: AsyncSession, signed: SignedIn, n: Nomination, form: MultiDictProxy[Any]
) -> Outcome:
    d = signed.dashboard
    kind = _text(form, "award_kind")
    award = _text(form, "award_name") if kind == OTHER_AWARD else AWARDS.get(kind, "")
    day = parse_day(_text(form, "day"))
    commendation = Commendation(
        kind=kind,
        award=award[:200],
        body=_text(form, "body")[:200],
        number=_text(form, "number")[:64],
        # A missing date is refused by the core as a day in the future.
        day=day or date.max,
    )
    return await commend(
        session, d.catalogs, signed.officer, n, commendation, policy=d.policy, at=signed.now
    )


def _supports(value: bool) -> Decision:
    async def decide(
        session: AsyncSession, signed: SignedIn, n: Nomination, form: MultiDictProxy[Any]
    ) -> Outcome:
        d = signed.dashboard
        return await set_supports(
            session, d.catalogs, signed.officer, n, value, policy=d.policy, at=signed.now
        )

    return decide


DECISIONS: dict[str, Decision] = {
    "accept": _accept,
    "reject": _reject,
    "ask": _ask,
    "duplicate": _duplicate,
    "recommend": _recommend,
    "commend": _commend,
    "supports_open": _supports(True),
    "supports_close": _supports(False),
}


@guarded("review.decide")
async def decide(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """One decision on a submission; the page again, saying what happened."""
    code = request.match_info["code"]
    action = request.match_info["action"]
    decision = DECISIONS.get(action)
    if decision is None:
        raise web.HTTPNotFound()
    form = await request.post()
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        nomination = await _in_scope(session, signed, code, action)
        if nomination is not None:
            outcome = await decision(session, signed, nomination, form)
            woken = await dashboard.queue_notices(session, outcome.notices)
    if nomination is None:
        raise dashboard.not_found(request, signed)
    dashboard.wake(woken)
    if outcome.done:
        raise web.HTTPSeeOther(f"{QUEUE}/{nomination.code}?done={action}")
    return await _show(
        request,
        signed,
        nomination.code,
        problem=_refusal_text(signed, nomination, outcome),
        status=409 if outcome.refused == TAKEN else 400,
        audit_view=False,
    )


def _refusal_text(signed: SignedIn, nomination: Nomination, outcome: Outcome) -> str:
    _ = signed._
    status = _(STATUS_WORDS.get(outcome.status or "", outcome.status or ""))
    if outcome.refused == TAKEN:
        return _(
            "Hồ sơ {code} vừa được {who} chuyển sang “{status}” lúc {time}. "
            "Lựa chọn của bạn không được ghi nhận."
        ).format(
            code=nomination.code,
            who=outcome.by or _("cán bộ khác"),
            status=status,
            time=signed.translator.datetime(outcome.at) if outcome.at else "",
        )
    if outcome.refused == NOT_FOUND:
        return _("Không tìm thấy hồ sơ {code}.").format(code=nomination.code)
    if outcome.refused == INVALID:
        return _("Thông tin chưa hợp lệ nên không có gì thay đổi. Bạn làm lại giúp mình nhé.")
    return _("Hồ sơ {code} đang ở tình trạng “{status}”, không làm được việc này.").format(
        code=nomination.code, status=status
    )


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    return [
        web.get(QUEUE, queue),
        web.get(QUEUE + "/{code}", submission),
        web.post(QUEUE + "/{code}/{action}", decide),
    ]
