"""The review queue (`/duyet`) and one submission opened for review: its fields,
photos, history, the nominator's contact when they agreed to it, likely duplicates,
and the buttons for what this officer may do with it."""

from __future__ import annotations

from content.areas import load_areas
from content.i18n import N_
from handlers.engine import Journey
from handlers.officer import audit, officer_scope, require_officer
from handlers.review_actions import (
    RECOMMENDATIONS,
    Officer,
    allowed_actions,
    policy_of,
    similar_nominations,
)
from handlers.submissions import KIND_WORDS, status_words
from handlers.types import Button, Reply, Turn
from storage.lifecycle import (
    ACCEPTED,
    COMMENDED,
    COMMUNE_OFFICER,
    DUPLICATE,
    IN_REVIEW,
    NEEDS_INFO,
    NOMINATOR,
    REJECTED,
    STATUSES,
    SUBMITTED,
    WITHDRAWN,
)
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

PAGE = 6
STATUS_FILTERS: dict[str, tuple[tuple[str, ...], str]] = {
    "waiting": ((SUBMITTED, IN_REVIEW), N_("chờ xử lý")),
    "needs_info": ((NEEDS_INFO,), N_("chờ người đề cử bổ sung")),
    "accepted": ((ACCEPTED,), N_("đã công nhận")),
    "commended": ((COMMENDED,), N_("đã khen thưởng")),
    "closed": ((REJECTED, DUPLICATE, WITHDRAWN), N_("đã từ chối, trùng hoặc rút")),
    "all": (STATUSES, N_("tất cả")),
}
KIND_FILTERS = {
    "all": N_("mọi loại"),
    "village": KIND_WORDS["village"],
    "initiative": KIND_WORDS["initiative"],
    "exemplary": KIND_WORDS["exemplary"],
}
ROLE_WORDS = {
    NOMINATOR: N_("người đề cử"),
    COMMUNE_OFFICER: N_("cán bộ xã"),
    "officer": N_("cán bộ tỉnh"),
}
CONSENT_WORDS = {"yes": N_("đã đồng ý"), "no": N_("không đồng ý"), "not_asked": N_("chưa hỏi")}


def officer_of(turn: Turn) -> Officer:
    return Officer(turn.contact, officer_scope(turn))


def place_name(code: str) -> str:
    commune = load_areas().get(code)
    return commune.name if commune else code


async def queue(turn: Turn) -> list[Reply]:
    """`/duyet`: nominations waiting in the officer's area, oldest first."""
    return await _queue(turn, "waiting", "all", 0)


async def listed(turn: Turn) -> list[Reply]:
    """A page of the queue: `<status>:<kind>:<page>`."""
    status, _, rest = turn.args.partition(":")
    kind, _, page = rest.partition(":")
    return await _queue(turn, status, kind, int(page) if page.isdigit() else 0)


async def _queue(turn: Turn, status: str, kind: str, page: int) -> list[Reply]:
    require_officer(turn)
    _ = turn._
    turn.finish()
    if status not in STATUS_FILTERS or kind not in KIND_FILTERS:
        status, kind = "waiting", "all"
    statuses, status_label = STATUS_FILTERS[status]
    scope = officer_scope(turn)
    total, rows = await queue_page(
        turn.session,
        scope,
        statuses,
        None if kind == "all" else kind,
        offset=page * PAGE,
        limit=PAGE,
    )
    audit(turn, "review.listed", status=status, kind=kind, page=page, count=total)
    filters = (
        Button(f"review:statuses:{kind}", _("🔎 Lọc theo tình trạng")),
        Button(f"review:kinds:{status}", _("🔎 Lọc theo loại")),
    )
    if not rows:
        text = (
            _("Chưa có hồ sơ nào chờ duyệt.")
            if status == "waiting" and kind == "all" and page == 0
            else _("Không có hồ sơ nào {status}.").format(status=_(status_label))
        )
        return [Reply(text, filters)]
    lines = [
        _("Hồ sơ {status} ({kind}): {n}, cũ nhất trước.").format(
            status=_(status_label), kind=_(KIND_FILTERS[kind]), n=turn.translator.number(total)
        )
    ]
    buttons: list[Button] = []
    for number, (item, recommendation) in enumerate(rows, start=page * PAGE + 1):
        line = (
            f"{number}. {item.code} · {item.nominee} · {place_name(item.commune_code)} · "
            f"{turn.translator.date(item.created_at)} · {status_words(turn, item.status)}"
        )
        if recommendation is not None:
            line += " · " + _("xã {verdict}").format(verdict=_(RECOMMENDATIONS[recommendation]))
        lines.append(line)
        buttons.append(Button(f"review:view:{item.code}", f"{item.code} {item.nominee}"[:60]))
    if (page + 1) * PAGE < total:
        buttons.append(Button(f"review:list:{status}:{kind}:{page + 1}", _("➡️ Trang sau")))
    return [Reply("\n".join(lines), (*buttons, *filters))]


async def choose_status(turn: Turn) -> list[Reply]:
    require_officer(turn)
    kind = turn.args if turn.args in KIND_FILTERS else "all"
    buttons = tuple(
        Button(f"review:list:{key}:{kind}:0", turn._(label))
        for key, (_statuses, label) in STATUS_FILTERS.items()
    )
    return [Reply(turn._("Xem hồ sơ có tình trạng nào?"), buttons)]


async def choose_kind(turn: Turn) -> list[Reply]:
    require_officer(turn)
    status = turn.args if turn.args in STATUS_FILTERS else "waiting"
    buttons = tuple(
        Button(f"review:list:{status}:{key}:0", turn._(label))
        for key, label in KIND_FILTERS.items()
    )
    return [Reply(turn._("Xem loại đề cử nào?"), buttons)]


async def nomination_in_scope(turn: Turn, raw: str, attempted: str) -> Nomination | None:
    """The nomination with this code if the officer covers it; otherwise None, with the
    refusal in the audit log (another area's code reads as not found)."""
    code = normalise_code(raw)
    nomination = await nomination_by_code(turn.session, code) if code else None
    if nomination is None or not officer_scope(turn).covers(nomination):
        audit(
            turn, "review.refused", target=code or raw[:40], attempted=attempted, reason="not_found"
        )
        return None
    return nomination


def not_found(turn: Turn, raw: str) -> list[Reply]:
    return [Reply(turn._("Không tìm thấy hồ sơ {code}.").format(code=normalise_code(raw) or raw))]


async def open_nomination(turn: Turn) -> list[Reply]:
    """One submission, as the officer reviews it."""
    require_officer(turn)
    turn.finish()
    nomination = await nomination_in_scope(turn, turn.args, "open")
    if nomination is None:
        return not_found(turn, turn.args)
    audit(turn, "nomination.viewed", target=nomination.code)
    return await render(turn, nomination)


async def render(turn: Turn, nomination: Nomination, note: str | None = None) -> list[Reply]:
    """Photos first (one message each), then the fields, history and actions."""
    _ = turn._
    session = turn.session
    photos = await photos_of(session, nomination.id)
    replies = [
        Reply(
            _("📷 Ảnh {n}/{m} – {code}").format(n=n, m=len(photos), code=nomination.code),
            photo=f"media:{media.token}",
        )
        for n, media in enumerate(photos, start=1)
    ]
    lines = [note] if note else []
    lines += await _details(turn, nomination)
    replies.append(Reply("\n".join(lines), _buttons(turn, nomination)))
    return replies


async def _details(turn: Turn, nomination: Nomination) -> list[str]:
    _ = turn._
    session = turn.session
    commune = load_areas().get(nomination.commune_code)
    place = commune.name if commune else nomination.commune_code
    if nomination.village and nomination.village != nomination.nominee:
        place = f"{nomination.village}, {place}"
    if nomination.former_place:
        place += " " + _("(trước đây: {former})").format(former=nomination.former_place)
    lines = [
        _("Hồ sơ {code}: {nominee}").format(code=nomination.code, nominee=nomination.nominee),
        _("Loại: {kind}").format(kind=_(KIND_WORDS.get(nomination.kind, nomination.kind))),
        _("Nơi: {place}").format(place=place),
        _("Tình trạng: {status}").format(status=status_words(turn, nomination.status)),
        _("Thành tích: {text}").format(text=nomination.achievements),
    ]
    if nomination.organisation:
        lines.append(_("Thay mặt: {organisation}").format(organisation=nomination.organisation))
    if nomination.proxy_for_name:
        lines.append(_("Điền giúp cho: {name}").format(name=nomination.proxy_for_name))
    consent = CONSENT_WORDS.get(nomination.nominee_consent, nomination.nominee_consent)
    lines.append(_("Người được đề cử công khai tên: {answer}").format(answer=_(consent)))
    if nomination.contact_consent and nomination.nominator_phone:
        lines.append(
            _("Người đề cử: {name}, {phone}").format(
                name=nomination.nominator_name or "—", phone=nomination.nominator_phone
            )
        )
    else:
        lines.append(_("Người đề cử không đồng ý để cán bộ liên hệ."))
    review = await review_of(session, nomination.id)
    if review is not None and review.recommendation:
        verdict = _(RECOMMENDATIONS[review.recommendation])
        lines.append(_("Cán bộ xã: {verdict}").format(verdict=verdict))
    for request in await info_requests_of(session, nomination.id):
        lines.append(_("Hỏi thêm: “{question}”").format(question=request.question))
        if request.answered_at is not None:
            lines.append(
                _("Trả lời: “{answer}” ({n} ảnh)").format(
                    answer=request.answer or "", n=request.photos
                )
            )
    if nomination.status in (ACCEPTED, COMMENDED):
        counts = await support_counts(session, nomination.id)
        line = _("Ủng hộ: {n}").format(n=counts.get("counted", 0))
        if review is not None and review.supports_open:
            line += " " + _("(đang mở)")
        if counts.get(HELD):
            line += " " + _("– {n} lượt bất thường đang tạm giữ").format(n=counts[HELD])
        lines.append(line)
    lines.append(_("Diễn biến:"))
    events = await events_of(session, nomination.id)
    names = await contact_names(session, [e.actor_contact_id for e in events if e.actor_contact_id])
    for event in events:
        who = _(ROLE_WORDS.get(event.actor_role, event.actor_role))
        name = names.get(event.actor_contact_id or 0)
        line = f"• {turn.translator.datetime(event.at)}: {status_words(turn, event.to_status)}"
        line += f" – {who}" + (f" {name}" if name else "")
        if event.note:
            line += f": {_(event.note)}"
        lines.append(line)
    similar = await likely_duplicates(turn, nomination)
    if similar:
        lines.append(_("Có thể trùng:"))
        lines += [
            f"• {code} {name} ({status_words(turn, status)})" for code, name, status in similar
        ]
    return lines


async def likely_duplicates(turn: Turn, nomination: Nomination) -> list[tuple[str, str, str]]:
    """Others of the same kind and commune whose names read alike (diacritics aside)."""
    return await similar_nominations(turn.session, nomination)


def _buttons(turn: Turn, nomination: Nomination) -> tuple[Button, ...]:
    _ = turn._
    code = nomination.code
    labels = {
        "recommend": [
            (f"decide:recommend:{code}:accept", _("👍 Đề nghị công nhận")),
            (f"decide:recommend:{code}:reject", _("👎 Đề nghị không công nhận")),
        ],
        "accept": [(f"decide:accept:{code}", _("✅ Công nhận"))],
        "reject": [(f"decide:reject:{code}", _("❌ Không công nhận"))],
        "ask_info": [(f"decide:ask:{code}", _("❓ Hỏi thêm người đề cử"))],
        "duplicate": [(f"decide:duplicate:{code}", _("🔁 Trùng hồ sơ khác"))],
        "commend": [(f"decide:commend:{code}", _("🏅 Khen thưởng"))],
    }
    officer = officer_of(turn)
    buttons = [
        Button(button_id, label)
        for action in allowed_actions(officer, nomination, policy_of(turn.services))
        for button_id, label in labels[action]
    ]
    if officer.role != COMMUNE_OFFICER and nomination.status in (ACCEPTED, COMMENDED):
        buttons.append(Button(f"support:manage:{code}", _("📣 Lượt ủng hộ")))
    buttons.append(Button("review:list:waiting:all:0", _("⬅️ Danh sách chờ duyệt")))
    return tuple(buttons)


journey = Journey(
    name="review",
    commands={"duyet": queue},
    buttons={
        "open": queue,
        "view": open_nomination,
        "list": listed,
        "statuses": choose_status,
        "kinds": choose_kind,
    },
    entry_actions=frozenset({"open"}),
    menu_label=N_("📋 Duyệt hồ sơ"),
    menu_order=105,
    officer_only=True,
    help={"duyet": N_("hồ sơ đề cử chờ duyệt (cán bộ)")},
)
