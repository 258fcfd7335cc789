"""Following one's submissions (`/hoso`, or a receipt code typed anywhere) and
withdrawing one before it is decided."""

from __future__ import annotations

from content.areas import load_areas
from content.i18n import N_
from handlers.engine import Journey
from handlers.officer import audit, officer_scope
from handlers.types import Button, Reply, Turn
from storage.lifecycle import NEEDS_INFO, UNDECIDED, TransitionRefused, transition
from storage.models import Nomination
from storage.nominations import (
    CODE_PATTERN,
    events_of,
    nomination_by_code,
    nominations_of,
    normalise_code,
)

STATUS_WORDS = {
    "submitted": N_("đã nhận, đang chờ xem xét"),
    "in_review": N_("cán bộ đang xem xét"),
    "needs_info": N_("cần bạn bổ sung thông tin"),
    "accepted": N_("đã được công nhận"),
    "rejected": N_("chưa được chấp nhận"),
    "duplicate": N_("trùng với một hồ sơ khác"),
    "commended": N_("đã được khen thưởng"),
    "withdrawn": N_("đã rút"),
}
KIND_WORDS = {
    "village": N_("thôn, bản, ấp kiểu mẫu"),
    "initiative": N_("sáng kiến, mô hình hay"),
    "exemplary": N_("điển hình tiên tiến"),
}


def status_words(turn: Turn, status: str) -> str:
    return turn._(STATUS_WORDS.get(status, status))


def _may_see(turn: Turn, nomination: Nomination) -> bool:
    """The nominator, and officers whose area covers the nomination's commune."""
    if nomination.nominator_contact_id == turn.contact.id:
        return True
    return turn.is_officer and officer_scope(turn).covers(nomination)


async def list_mine(turn: Turn) -> list[Reply]:
    """`/hoso`: the contact's submissions, newest first, each with its status."""
    _ = turn._
    mine = await nominations_of(turn.session, turn.contact.id)
    if not mine:
        return turn.menu_reply(_("Bạn chưa gửi đề cử nào. Gõ /decu để đề cử."))
    lines = [_("Hồ sơ bạn đã gửi:")]
    for item in mine:
        lines.append(
            f"• {item.code} – {item.nominee} – {status_words(turn, item.status)}"
            f" ({turn.translator.date(item.created_at)})"
        )
    buttons = tuple(Button(f"track:view:{item.code}", item.code) for item in mine[:8])
    return [Reply("\n".join(lines), buttons)]


async def typed_code(turn: Turn) -> list[Reply]:
    """A receipt code typed anywhere: its status and history, for those who may see it.
    Where an officer was asked which submission another duplicates, it is the answer."""
    if (turn.state.journey, turn.state.step) == ("decide", "original"):
        # Imported here: the review journeys build on this module's words and views.
        from handlers.decide import typed_original

        return await typed_original(turn)
    return await _show(turn, normalise_code(turn.args))


async def view(turn: Turn) -> list[Reply]:
    return await _show(turn, normalise_code(turn.args))


async def _show(turn: Turn, code: str | None) -> list[Reply]:
    _ = turn._
    nomination = await nomination_by_code(turn.session, code) if code else None
    if nomination is None or not _may_see(turn, nomination):
        if turn.is_officer:
            audit(turn, "review.refused", target=code, attempted="view", reason="not_found")
        # The same answer whether it does not exist or is someone else's.
        return turn.menu_reply(_("Không tìm thấy hồ sơ {code}.").format(code=code or turn.args))
    if nomination.nominator_contact_id != turn.contact.id:
        audit(turn, "nomination.viewed", target=nomination.code)
    commune = load_areas().get(nomination.commune_code)
    lines = [
        _("Hồ sơ {code}: {nominee}").format(code=nomination.code, nominee=nomination.nominee),
        _("Loại: {kind}").format(kind=_(KIND_WORDS.get(nomination.kind, nomination.kind))),
        _("Nơi: {place}").format(place=commune.name if commune else nomination.commune_code),
        _("Tình trạng: {status}").format(status=status_words(turn, nomination.status)),
        _("Diễn biến:"),
    ]
    for event in await events_of(turn.session, nomination.id):
        lines.append(
            f"• {turn.translator.datetime(event.at)}: {status_words(turn, event.to_status)}"
        )
    buttons: list[Button] = []
    mine = nomination.nominator_contact_id == turn.contact.id
    if mine and nomination.status == NEEDS_INFO:
        lines.append(_("Cán bộ đang chờ bạn bổ sung. Gõ /traloi để trả lời."))
        buttons.append(Button("reply:open", _("✍️ Trả lời cán bộ")))
    if mine and nomination.status in UNDECIDED:
        buttons.append(Button(f"track:withdraw:{nomination.code}", _("Rút hồ sơ")))
    if turn.is_officer and officer_scope(turn).covers(nomination):
        buttons.append(Button(f"review:view:{nomination.code}", _("🔎 Mở để duyệt")))
    return [Reply("\n".join(lines), (*buttons, *turn.main_menu()))]


async def ask_withdraw(turn: Turn) -> list[Reply]:
    _ = turn._
    return [
        Reply(
            _("Rút hồ sơ {code}? Cán bộ sẽ không xét hồ sơ này nữa.").format(code=turn.args),
            (
                Button(f"track:withdrawn:{turn.args}", _("Rút hồ sơ")),
                Button(f"track:view:{turn.args}", _("Không rút")),
            ),
        )
    ]


async def withdraw(turn: Turn) -> list[Reply]:
    """The nominator withdraws before a decision; after one, they are told why not."""
    _ = turn._
    code = normalise_code(turn.args)
    nomination = await nomination_by_code(turn.session, code) if code else None
    if nomination is None or nomination.nominator_contact_id != turn.contact.id:
        return turn.menu_reply(_("Không tìm thấy hồ sơ {code}.").format(code=turn.args))
    try:
        await transition(
            turn.session,
            nomination.id,
            "withdraw",
            actor_contact_id=turn.contact.id,
            actor_role="nominator",
            at=turn.now,
        )
    except TransitionRefused as refused:
        return turn.menu_reply(
            _("Hồ sơ {code} không rút được nữa: {status}.").format(
                code=nomination.code, status=status_words(turn, refused.current or "")
            )
        )
    return turn.menu_reply(_("Đã rút hồ sơ {code}.").format(code=nomination.code))


async def set_home(turn: Turn) -> list[Reply]:
    """After a first nomination: the person says the commune is theirs (asked, never
    assumed), so the commune's officers and news can reach them."""
    code = normalise_code(turn.args)
    nomination = await nomination_by_code(turn.session, code) if code else None
    if nomination is not None and nomination.nominator_contact_id == turn.contact.id:
        if not turn.is_officer:
            turn.contact.area = nomination.commune_code
            turn.contact.province = nomination.province
    return turn.menu_reply(turn._("Đã ghi nhận. Cảm ơn bạn!"))


async def not_home(turn: Turn) -> list[Reply]:
    return turn.menu_reply(turn._("Vâng, mình không ghi nhận xã nào cho bạn."))


journey = Journey(
    name="track",
    commands={"hoso": list_mine},
    buttons={
        "open": list_mine,
        "view": view,
        "withdraw": ask_withdraw,
        "withdrawn": withdraw,
        "home": set_home,
        "nothome": not_home,
    },
    entry_actions=frozenset({"open"}),
    patterns=((CODE_PATTERN, typed_code),),
    menu_label=N_("📂 Hồ sơ của tôi"),
    menu_order=35,
    help={"hoso": N_("xem hồ sơ đề cử đã gửi (hoặc gõ mã hồ sơ)")},
)
