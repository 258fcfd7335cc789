"""Deciding in chat: the buttons under a submission opened in `/duyet`, and the short
steps some decisions need (a reason, a question, the original's code, the award and
its decision). The decisions themselves are `handlers.review_actions`."""

from __future__ import annotations

import re
from datetime import date

from content.areas import load_areas
from content.provinces import load_provinces
from handlers.engine import Journey
from handlers.officer import audit, require_officer
from handlers.review import nomination_in_scope, not_found, officer_of
from handlers.review_actions import (
    AWARDS,
    INVALID,
    LOCAL,
    NOT_ALLOWED,
    NOT_FOUND,
    OTHER_AWARD,
    REASONS,
    TAKEN,
    Commendation,
    Outcome,
    accept,
    allowed_actions,
    ask_info,
    commend,
    mark_duplicate,
    policy_of,
    recommend,
    reject,
)
from handlers.submissions import status_words
from handlers.types import Button, Reply, Turn
from storage.models import Nomination
from storage.nominations import normalise_code

# Modes of the reason step: rejecting, or a commune officer recommending rejection.
REJECTING = "reject"
RECOMMENDING = "recommend"
_DATE = re.compile(r"\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")


def _after(turn: Turn, nomination: Nomination, outcome: Outcome, done: str) -> list[Reply]:
    """Tell the officer what happened, and send the notices the decision owes."""
    _ = turn._
    for contact_id, replies in outcome.notices:
        turn.send_later(contact_id, replies)
    code = nomination.code
    back = (
        Button(f"review:view:{code}", _("🔎 Xem lại hồ sơ")),
        Button("review:list:waiting:all:0", _("⬅️ Danh sách chờ duyệt")),
    )
    turn.finish()
    if outcome.done:
        return [Reply(done.format(code=code), back)]
    if outcome.refused == TAKEN:
        text = _(
            "Hồ sơ {code} vừa được {who} chuyển sang “{status}” lúc {time}. "
            "Lựa chọn của bạn không được ghi nhận."
        ).format(
            code=code,
            who=outcome.by or _("cán bộ khác"),
            status=status_words(turn, outcome.status or ""),
            time=turn.translator.datetime(outcome.at) if outcome.at else "",
        )
    elif outcome.refused == NOT_FOUND:
        text = _("Không tìm thấy hồ sơ {code}.").format(code=code)
    elif outcome.refused == INVALID:
        text = _("Thông tin chưa hợp lệ nên không có gì thay đổi. Bạn làm lại giúp mình nhé.")
    else:
        text = _("Hồ sơ {code} đang ở tình trạng “{status}”, không làm được việc này.").format(
            code=code, status=status_words(turn, outcome.status or "")
        )
    return [Reply(text, back)]


async def _target(turn: Turn, raw: str, attempted: str) -> Nomination | None:
    require_officer(turn)
    return await nomination_in_scope(turn, raw, attempted)


def _cannot_start(turn: Turn, nomination: Nomination, action: str) -> list[Reply] | None:
    """The refusal of a decision this officer cannot take on the nomination as it stands
    (decided already, or not their tier), given before asking for a reason, a question
    or an award that would only be thrown away; None when it may go ahead."""
    if action in allowed_actions(officer_of(turn), nomination, policy_of(turn.services)):
        return None
    audit(
        turn,
        "review.refused",
        target=nomination.code,
        attempted=action,
        reason=NOT_ALLOWED,
        status=nomination.status,
    )
    return _after(turn, nomination, Outcome(nomination.status, refused=NOT_ALLOWED), "")


async def _startable(turn: Turn, raw: str, action: str) -> Nomination | list[Reply]:
    """The nomination `raw` names, when this officer may start `action` on it now;
    otherwise the replies saying why not (not found, or not possible as it stands)."""
    nomination = await _target(turn, raw, action)
    if nomination is None:
        return not_found(turn, raw)
    refused = _cannot_start(turn, nomination, action)
    return nomination if refused is None else refused


async def do_accept(turn: Turn) -> list[Reply]:
    nomination = await _target(turn, turn.args, "accept")
    if nomination is None:
        return not_found(turn, turn.args)
    outcome = await accept(
        turn.session,
        turn.services.catalogs,
        officer_of(turn),
        nomination,
        policy=policy_of(turn.services),
        at=turn.now,
    )
    replies = _after(turn, nomination, outcome, turn._("Đã công nhận hồ sơ {code}."))
    if outcome.done:
        code = nomination.code
        extra = (Button(f"decide:commend:{code}", turn._("🏅 Khen thưởng")),)
        replies[-1] = Reply(replies[-1].text, extra + replies[-1].buttons)
    return replies


async def ask_reason(turn: Turn) -> list[Reply]:
    """ "Không công nhận", or a commune officer's "đề nghị không công nhận": why?"""
    return await _reasons(turn, REJECTING, turn.args)


async def _reasons(turn: Turn, mode: str, code: str) -> list[Reply]:
    found = await _startable(turn, code, mode)
    if not isinstance(found, Nomination):
        return found
    nomination = found
    _ = turn._
    buttons = tuple(
        Button(f"decide:reason:{mode}:{nomination.code}:{key}", _(label))
        for key, label in REASONS.items()
    )
    turn.begin("decide", "reason", {"mode": mode, "code": nomination.code})
    return [
        Reply(
            _("Lý do với hồ sơ {code}? Chọn một lý do, hoặc gõ lý do của bạn (hoặc /huy).").format(
                code=nomination.code
            ),
            buttons,
        )
    ]


async def chose_reason(turn: Turn) -> list[Reply]:
    mode, _, rest = turn.args.partition(":")
    code, _, key = rest.partition(":")
    return await _give_reason(turn, mode, code, REASONS.get(key, ""))


async def typed_reason(turn: Turn) -> list[Reply]:
    data = turn.state.data
    return await _give_reason(
        turn, str(data.get("mode")), str(data.get("code")), turn.incoming.text or ""
    )


async def _give_reason(turn: Turn, mode: str, code: str, reason: str) -> list[Reply]:
    nomination = await _target(turn, code, mode)
    if nomination is None:
        turn.finish()
        return not_found(turn, code)
    common = (turn.session, turn.services.catalogs, officer_of(turn), nomination)
    policy, at = policy_of(turn.services), turn.now
    if mode == RECOMMENDING:
        outcome = await recommend(*common, "reject", reason, policy=policy, at=at)
        done = turn._("Đã gửi đề nghị không công nhận hồ sơ {code} lên tỉnh.")
    else:
        outcome = await reject(*common, reason, policy=policy, at=at)
        done = turn._("Đã ghi nhận: hồ sơ {code} không được công nhận. Người đề cử đã được báo.")
    if outcome.refused == INVALID:
        return [
            Reply(
                turn._(
                    "Lý do cần rõ hơn, ít nhất vài chữ, để người đề cử hiểu. Gõ lại lý do "
                    "(hoặc /huy), không có gì thay đổi."
                )
            )
        ]
    return _after(turn, nomination, outcome, done)


async def do_recommend(turn: Turn) -> list[Reply]:
    code, _, verdict = turn.args.partition(":")
    if verdict == "reject":
        return await _reasons(turn, RECOMMENDING, code)
    nomination = await _target(turn, code, "recommend")
    if nomination is None:
        return not_found(turn, code)
    outcome = await recommend(
        turn.session,
        turn.services.catalogs,
        officer_of(turn),
        nomination,
        "accept",
        None,
        policy=policy_of(turn.services),
        at=turn.now,
    )
    return _after(
        turn, nomination, outcome, turn._("Đã gửi đề nghị công nhận hồ sơ {code} lên tỉnh.")
    )


async def start_question(turn: Turn) -> list[Reply]:
    found = await _startable(turn, turn.args, "ask_info")
    if not isinstance(found, Nomination):
        return found
    nomination = found
    turn.begin("decide", "question", {"code": nomination.code})
    return [
        Reply(
            turn._(
                "Gõ câu hỏi cho người đề cử hồ sơ {code} (hoặc /huy). Câu hỏi được gửi cho "
                "họ ngay; họ trả lời, hồ sơ trở lại hàng chờ."
            ).format(code=nomination.code)
        )
    ]


async def typed_question(turn: Turn) -> list[Reply]:
    code = str(turn.state.data.get("code"))
    nomination = await _target(turn, code, "ask_info")
    if nomination is None:
        turn.finish()
        return not_found(turn, code)
    outcome = await ask_info(
        turn.session,
        turn.services.catalogs,
        officer_of(turn),
        nomination,
        turn.incoming.text or "",
        policy=policy_of(turn.services),
        at=turn.now,
    )
    if outcome.refused == INVALID:
        return [Reply(turn._("Câu hỏi ngắn quá. Gõ rõ hơn giúp mình (hoặc /huy)."))]
    return _after(turn, nomination, outcome, turn._("Đã gửi câu hỏi cho người đề cử hồ sơ {code}."))


async def start_duplicate(turn: Turn) -> list[Reply]:
    found = await _startable(turn, turn.args, "duplicate")
    if not isinstance(found, Nomination):
        return found
    nomination = found
    turn.begin("decide", "original", {"code": nomination.code})
    return [
        Reply(
            turn._(
                "Hồ sơ {code} trùng với hồ sơ nào? Gõ mã hồ sơ gốc, ví dụ DC-7K3QX (hoặc /huy)."
            ).format(code=nomination.code)
        )
    ]


async def typed_original(turn: Turn) -> list[Reply]:
    code = str(turn.state.data.get("code"))
    nomination = await _target(turn, code, "duplicate")
    if nomination is None:
        turn.finish()
        return not_found(turn, code)
    typed = (turn.incoming.text or "").strip()
    outcome = await mark_duplicate(
        turn.session,
        turn.services.catalogs,
        officer_of(turn),
        nomination,
        normalise_code(typed),
        policy=policy_of(turn.services),
        at=turn.now,
    )
    if outcome.refused == NOT_FOUND:
        return [
            Reply(
                turn._("Không tìm thấy hồ sơ {code}. Gõ lại mã hồ sơ gốc (hoặc /huy).").format(
                    code=typed[:40]
                )
            )
        ]
    if outcome.refused == INVALID:
        return [Reply(turn._("Đó chính là hồ sơ này. Gõ mã của hồ sơ gốc (hoặc /huy)."))]
    return _after(turn, nomination, outcome, turn._("Đã ghi nhận hồ sơ {code} là hồ sơ trùng."))


# Commending: the award, who decided it, the decision's number and date, then confirm.


async def start_commend(turn: Turn) -> list[Reply]:
    found = await _startable(turn, turn.args, "commend")
    if not isinstance(found, Nomination):
        return found
    nomination = found
    _ = turn._
    code = nomination.code
    buttons = [Button(f"decide:award:{code}:{key}", _(label)) for key, label in AWARDS.items()]
    buttons.append(Button(f"decide:award:{code}:{OTHER_AWARD}", _("Hình thức khác")))
    turn.begin("decide", "award", {"code": code})
    return [
        Reply(_("Khen thưởng hồ sơ {code} bằng hình thức nào?").format(code=code), tuple(buttons))
    ]


async def chose_award(turn: Turn) -> list[Reply]:
    code, _, kind = turn.args.partition(":")
    found = await _startable(turn, code, "commend")
    if not isinstance(found, Nomination):
        return found
    nomination = found
    if kind == OTHER_AWARD:
        turn.begin("decide", "award_name", {"code": code, "kind": OTHER_AWARD})
        return [
            Reply(
                turn._(
                    "Gõ tên hình thức khen thưởng, ví dụ: Giấy khen của Ban Thường vụ "
                    "Hội Nông dân tỉnh."
                )
            )
        ]
    if kind not in AWARDS:
        return await start_commend(turn)
    return _ask_body(turn, nomination, kind, AWARDS[kind])


async def typed_award_name(turn: Turn) -> list[Reply]:
    code = str(turn.state.data.get("code"))
    nomination = await _target(turn, code, "commend")
    if nomination is None:
        turn.finish()
        return not_found(turn, code)
    name = " ".join((turn.incoming.text or "").split())
    if not 3 <= len(name) <= 200:
        return [
            Reply(turn._("Tên hình thức cần từ 3 đến 200 ký tự. Gõ lại giúp mình (hoặc /huy)."))
        ]
    return _ask_body(turn, nomination, OTHER_AWARD, name)


def _ask_body(turn: Turn, nomination: Nomination, kind: str, award: str) -> list[Reply]:
    _ = turn._
    commune = load_areas().get(nomination.commune_code)
    province = load_provinces().get(nomination.province)
    suggestions = []
    if commune is not None:
        suggestions.append(_("UBND {place}").format(place=commune.name))
    if province is not None:
        suggestions.append(_("UBND tỉnh {name}").format(name=province.name("vi")))
    turn.begin(
        "decide",
        "body",
        {"code": nomination.code, "kind": kind, "award": award, "suggestions": suggestions},
    )
    buttons = tuple(
        Button(f"decide:body:{nomination.code}:{n}", text) for n, text in enumerate(suggestions)
    )
    return [Reply(_("Cơ quan nào ra quyết định? Chọn hoặc gõ tên cơ quan."), buttons)]


async def chose_body(turn: Turn) -> list[Reply]:
    _code, _, index = turn.args.partition(":")
    suggestions = list(turn.state.data.get("suggestions") or [])
    if not index.isdigit() or int(index) >= len(suggestions):
        return [Reply(turn._("Lựa chọn này đã hết hạn. Bạn chọn lại từ menu nhé."))]
    return _take_body(turn, str(suggestions[int(index)]))


async def typed_body(turn: Turn) -> list[Reply]:
    return _take_body(turn, " ".join((turn.incoming.text or "").split()))


def _take_body(turn: Turn, body: str) -> list[Reply]:
    require_officer(turn)
    if not 3 <= len(body) <= 200:
        return [Reply(turn._("Tên cơ quan cần từ 3 đến 200 ký tự. Gõ lại giúp mình (hoặc /huy)."))]
    turn.advance("number", body=body)
    return [Reply(turn._("Số quyết định? Ví dụ: 1234/QĐ-UBND."))]


async def typed_number(turn: Turn) -> list[Reply]:
    require_officer(turn)
    number = " ".join((turn.incoming.text or "").split())
    if not 1 <= len(number) <= 64 or not any(ch.isdigit() for ch in number):
        return [
            Reply(turn._("Số quyết định cần có chữ số, ví dụ 1234/QĐ-UBND. Gõ lại (hoặc /huy)."))
        ]
    turn.advance("date", number=number)
    return [Reply(turn._("Ngày ký quyết định? Ví dụ: 15/11/2026."))]


def parse_day(text: str) -> date | None:
    """`15/11/2026`, `15-11-2026`, `15.11.2026` or `2026-11-15`; None otherwise."""
    found = _DATE.fullmatch(text)
    iso = _ISO_DATE.fullmatch(text)
    try:
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    except ValueError:
        return None
    return None


async def typed_date(turn: Turn) -> list[Reply]:
    require_officer(turn)
    _ = turn._
    day = parse_day(turn.incoming.text or "")
    today = turn.now.astimezone(LOCAL).date()
    if day is None or day > today or day.year < 2000:
        return [
            Reply(_("Ngày chưa đúng (không sau hôm nay), ví dụ 15/11/2026. Gõ lại (hoặc /huy)."))
        ]
    data = turn.state.data
    turn.advance("confirming", day=day.isoformat())
    code = str(data.get("code"))
    text = _(
        "Khen thưởng hồ sơ {code}: {award}, Quyết định số {number} ngày {date} của {body}. "
        "Ghi nhận và báo người đề cử?"
    ).format(
        code=code,
        award=_(str(data.get("award"))),
        number=data.get("number"),
        date=turn.translator.date(day),
        body=data.get("body"),
    )
    return [
        Reply(
            text,
            (
                Button(f"decide:confirm:{code}", _("✅ Ghi nhận")),
                Button(f"decide:commend:{code}", _("✏️ Nhập lại")),
            ),
        )
    ]


async def confirm_commend(turn: Turn) -> list[Reply]:
    data = turn.state.data
    code = str(data.get("code"))
    nomination = await _target(turn, turn.args, "commend")
    if nomination is None or nomination.code != code or "day" not in data:
        turn.finish()
        return not_found(turn, turn.args)
    commendation = Commendation(
        kind=str(data.get("kind")),
        award=str(data.get("award")),
        body=str(data.get("body")),
        number=str(data.get("number")),
        day=date.fromisoformat(str(data["day"])),
    )
    outcome = await commend(
        turn.session,
        turn.services.catalogs,
        officer_of(turn),
        nomination,
        commendation,
        policy=policy_of(turn.services),
        at=turn.now,
    )
    return _after(
        turn,
        nomination,
        outcome,
        turn._("Đã ghi nhận khen thưởng hồ sơ {code}. Người đề cử đã được báo."),
    )


async def waiting_button(turn: Turn) -> list[Reply]:
    """Text where a button is expected (choosing an award, confirming)."""
    return [Reply(turn._("Bạn chọn một nút bên dưới giúp mình nhé (hoặc /huy)."))]


journey = Journey(
    name="decide",
    buttons={
        "accept": do_accept,
        "reject": ask_reason,
        "reason": chose_reason,
        "recommend": do_recommend,
        "ask": start_question,
        "duplicate": start_duplicate,
        "commend": start_commend,
        "award": chose_award,
        "body": chose_body,
        "confirm": confirm_commend,
    },
    steps={
        "reason": typed_reason,
        "question": typed_question,
        "original": typed_original,
        "award": waiting_button,
        "award_name": typed_award_name,
        "body": typed_body,
        "number": typed_number,
        "date": typed_date,
        "confirming": waiting_button,
    },
    officer_only=True,
)
