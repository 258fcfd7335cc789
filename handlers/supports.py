"""Supports ("ủng hộ"): officers open an accepted nomination whose nominee agreed to be
named; villagers see what is open in their commune and support each once; a burst that
looks like throwaway accounts is held apart until an officer clears it."""

from __future__ import annotations

from content.i18n import N_
from handlers.ask import short
from handlers.engine import Journey
from handlers.officer import audit, require_officer
from handlers.review import nomination_in_scope, not_found
from handlers.types import Button, Reply, Turn
from storage.lifecycle import ACCEPTED, COMMENDED
from storage.models import Nomination
from storage.nominations import normalise_code
from storage.review import (
    HELD,
    add_support,
    clear_burst,
    officers_covering,
    open_for_support,
    review_for,
    review_of,
    support_counts,
    supportable,
)

PAGE = 8


async def list_open(turn: Turn) -> list[Reply]:
    """`/ungho`: what villagers of the person's commune (or province) may support."""
    _ = turn._
    commune = turn.contact.area if not turn.is_officer else None
    found = await open_for_support(turn.session, turn.province, commune, PAGE)
    if not found:
        return turn.menu_reply(_("Hiện chưa có hồ sơ nào mở để ủng hộ ở nơi bạn."))
    lines = [_("Những điển hình bà con có thể ủng hộ (mỗi người một lần):")]
    lines += [f"• {item.nominee} ({item.code})" for item in found]
    buttons = tuple(
        Button(f"support:give:{item.code}", short(f"👍 {item.nominee}")) for item in found
    )
    return [Reply("\n".join(lines), buttons)]


async def give(turn: Turn) -> list[Reply]:
    """One support; a button under a commendation announcement lands here too."""
    _ = turn._
    code = normalise_code(turn.args)
    nomination = await supportable(turn.session, code) if code else None
    if nomination is None:
        return turn.menu_reply(_("Hồ sơ này hiện không mở để ủng hộ."))
    outcome = await add_support(turn.session, nomination.id, turn.contact.id, turn.now)
    if not outcome.added:
        return turn.menu_reply(
            _("Bạn đã ủng hộ {nominee} rồi. Mỗi người ủng hộ một lần.").format(
                nominee=nomination.nominee
            )
        )
    if outcome.flagged:
        await _flag_to_officers(turn, nomination)
    return turn.menu_reply(_("Cảm ơn bạn đã ủng hộ {nominee}!").format(nominee=nomination.nominee))


async def _flag_to_officers(turn: Turn, nomination: Nomination) -> None:
    for officer in await officers_covering(
        turn.session, nomination.province, nomination.commune_code
    ):
        words = turn.services.catalogs.translator(officer.language)
        text = words.gettext(
            "Hồ sơ {code} ({nominee}) vừa nhận nhiều lượt ủng hộ bất thường, phần lớn từ "
            "tài khoản mới. Các lượt này được tạm giữ, chưa tính. Gõ mã {code} để xem."
        ).format(code=nomination.code, nominee=nomination.nominee)
        turn.send_later(officer.id, [Reply(text, language=words.language)])


async def manage(turn: Turn) -> list[Reply]:
    """For officers: the counts, and opening, closing or clearing a burst."""
    require_officer(turn)
    nomination = await nomination_in_scope(turn, turn.args, "supports")
    if nomination is None:
        return not_found(turn, turn.args)
    return await _manage_view(turn, nomination, None)


async def _manage_view(turn: Turn, nomination: Nomination, note: str | None) -> list[Reply]:
    _ = turn._
    code = nomination.code
    counts = await support_counts(turn.session, nomination.id)
    review = await review_of(turn.session, nomination.id)
    is_open = review is not None and review.supports_open
    lines = [note] if note else []
    lines.append(
        _("Hồ sơ {code} ({nominee}): {n} lượt ủng hộ, {state}.").format(
            code=code,
            nominee=nomination.nominee,
            n=counts.get("counted", 0),
            state=_("đang mở") if is_open else _("chưa mở"),
        )
    )
    buttons: list[Button] = []
    if counts.get(HELD):
        lines.append(
            _(
                "⚠️ {n} lượt bất thường đang tạm giữ (nhiều lượt trong một giờ, phần lớn "
                "từ tài khoản mới)."
            ).format(n=counts[HELD])
        )
        buttons += [
            Button(f"support:keep:{code}", _("✅ Vẫn tính các lượt này")),
            Button(f"support:drop:{code}", _("🗑 Loại các lượt này")),
        ]
    if is_open:
        buttons.append(Button(f"support:closing:{code}", _("🔒 Đóng ủng hộ")))
    elif nomination.nominee_consent == "yes" and nomination.status in (ACCEPTED, COMMENDED):
        buttons.append(Button(f"support:opening:{code}", _("📣 Mở cho bà con ủng hộ")))
    else:
        lines.append(_("Chỉ mở được khi hồ sơ đã công nhận và người được đề cử đồng ý công khai."))
    buttons.append(Button(f"review:view:{code}", _("🔎 Xem lại hồ sơ")))
    return [Reply("\n".join(lines), tuple(buttons))]


async def opening(turn: Turn) -> list[Reply]:
    return await _set_open(turn, True)


async def closing(turn: Turn) -> list[Reply]:
    return await _set_open(turn, False)


async def _set_open(turn: Turn, value: bool) -> list[Reply]:
    require_officer(turn)
    nomination = await nomination_in_scope(turn, turn.args, "supports")
    if nomination is None:
        return not_found(turn, turn.args)
    _ = turn._
    if value and (
        nomination.nominee_consent != "yes" or nomination.status not in (ACCEPTED, COMMENDED)
    ):
        audit(turn, "supports.refused", target=nomination.code, status=nomination.status)
        return await _manage_view(turn, nomination, _("Hồ sơ này chưa mở ủng hộ được."))
    review = await review_for(turn.session, nomination.id, turn.now)
    review.supports_open = value
    if value:
        review.supports_opened_at = turn.now
    audit(turn, "supports.opened" if value else "supports.closed", target=nomination.code)
    note = _("Đã mở cho bà con ủng hộ.") if value else _("Đã đóng ủng hộ.")
    return await _manage_view(turn, nomination, note)


async def keep(turn: Turn) -> list[Reply]:
    return await _clear(turn, True)


async def drop(turn: Turn) -> list[Reply]:
    return await _clear(turn, False)


async def _clear(turn: Turn, keep_them: bool) -> list[Reply]:
    require_officer(turn)
    nomination = await nomination_in_scope(turn, turn.args, "supports")
    if nomination is None:
        return not_found(turn, turn.args)
    _ = turn._
    cleared = await clear_burst(turn.session, nomination.id, keep=keep_them, at=turn.now)
    audit(turn, "supports.cleared", target=nomination.code, kept=keep_them, count=cleared)
    if not cleared:
        return await _manage_view(turn, nomination, _("Không có lượt nào đang tạm giữ."))
    note = (
        _("Đã tính {n} lượt đang tạm giữ.") if keep_them else _("Đã loại {n} lượt bất thường.")
    ).format(n=cleared)
    return await _manage_view(turn, nomination, note)


journey = Journey(
    name="support",
    commands={"ungho": list_open},
    buttons={
        "open": list_open,
        "give": give,
        "manage": manage,
        "opening": opening,
        "closing": closing,
        "keep": keep,
        "drop": drop,
    },
    entry_actions=frozenset({"open", "give"}),
    officer_actions=frozenset({"manage", "opening", "closing", "keep", "drop"}),
    # A command, and a button under commendation announcements, rather than a menu
    # entry: most of the year nothing is open.
    menu_order=40,
    help={"ungho": N_("ủng hộ các điển hình được công nhận ở xã bạn")},
)
