"""Officer access: redeeming an invite (`/canbo CODE`) and the officer commands.

Every officer command checks the role here, on the server, and writes the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, true

from content.i18n import N_
from content.provinces import load_provinces
from handlers.engine import Journey
from handlers.errors import NotAuthorized
from handlers.types import Reply, Turn
from storage.audit import actor_label, record_audit
from storage.invites import redeem_invite
from storage.models import Contact, Interaction

MAX_CODE_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)


def require_officer(turn: Turn) -> None:
    """Raise NotAuthorized unless the contact is an officer or admin."""
    if not turn.is_officer:
        raise NotAuthorized()


def area_name(turn: Turn, area: str | None) -> str:
    """An area as a person reads it: the province's name, or "toàn tỉnh" for everywhere."""
    if area is None:
        return turn._("tất cả các tỉnh")
    province = load_provinces().get(area)
    return province.name(turn.translator.language) if province else area


def covers(officer_area: str | None, province: str | None, area: str | None) -> bool:
    """Whether an officer responsible for `officer_area` (None: everywhere) covers an item
    of `province` and `area`. Areas nest by prefix: `quang-tri` covers `quang-tri/…`."""
    if officer_area is None:
        return True
    return province == officer_area or (area or "").startswith(officer_area)


def audit(turn: Turn, action: str, target: str | None = None, **details: object) -> None:
    """Write an audit entry for the contact's action."""
    record_audit(
        turn.session,
        actor=actor_label(turn.contact),
        actor_contact_id=turn.contact.id,
        action=action,
        at=turn.now,
        target=target,
        details=dict(details),
    )


async def redeem(turn: Turn) -> list[Reply]:
    """`/canbo CODE`. A wrong, used or expired code gets the same answer, so the answer
    tells a guesser nothing; after five failures in an hour the contact must wait."""
    _ = turn._
    contact = turn.contact
    if not turn.args:
        return [Reply(_("Gõ /canbo kèm mã mời, ví dụ: /canbo ABCDE-FGHJK"))]
    window_open = (
        contact.code_attempts_since is not None
        and turn.now - contact.code_attempts_since < FAILURE_WINDOW
    )
    if window_open and contact.failed_code_attempts >= MAX_CODE_FAILURES:
        return [Reply(_("Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 1 giờ."))]
    invite = await redeem_invite(turn.session, turn.args, contact_id=contact.id, now=turn.now)
    if invite is None:
        if not window_open:
            contact.code_attempts_since = turn.now
            contact.failed_code_attempts = 0
        contact.failed_code_attempts += 1
        audit(turn, "invite.refused", attempts=contact.failed_code_attempts)
        return [Reply(_("Mã không dùng được. Bạn kiểm tra lại mã hoặc xin mã mới."))]
    contact.failed_code_attempts = 0
    contact.code_attempts_since = None
    if invite.role == "member":
        # Membership adds an organisation; it never takes an officer's role away.
        contact.organisation = invite.organisation
        if contact.role == "citizen":
            contact.role = "member"
        audit(turn, "member.joined", target=actor_label(contact), organisation=invite.organisation)
        return turn.menu_reply(
            _("Xác nhận xong! Bạn là đoàn viên, hội viên của {organisation}.").format(
                organisation=invite.organisation
            )
        )
    contact.role = invite.role
    contact.area = invite.area
    audit(turn, "role.granted", target=actor_label(contact), role=invite.role, area=invite.area)
    return turn.menu_reply(
        _("Xác nhận xong! Bạn là cán bộ phụ trách {area}. Gõ /help để xem các lệnh cán bộ.").format(
            area=area_name(turn, invite.area)
        )
    )


async def statistics(turn: Turn) -> list[Reply]:
    """`/thongke`: the figures an officer asks for first."""
    require_officer(turn)
    _ = turn._
    session = turn.session
    # An officer of one province sees that province's people (by their chosen province).
    scope = Contact.province == turn.contact.area if turn.contact.area else true()
    contacts = await session.scalar(select(func.count()).select_from(Contact).where(scope)) or 0
    subscribers = (
        await session.scalar(
            select(func.count()).select_from(Contact).where(scope, Contact.subscribed)
        )
        or 0
    )
    week = (
        await session.scalar(
            select(func.count())
            .select_from(Interaction)
            .join(Contact, Contact.id == Interaction.contact_id)
            .where(
                scope,
                Interaction.direction == "in",
                Interaction.at >= turn.now - timedelta(days=7),
            )
        )
        or 0
    )
    audit(turn, "stats.viewed", area=turn.contact.area)
    number = turn.translator.number
    area = area_name(turn, turn.contact.area)
    return [
        Reply(
            "\n".join(
                [
                    _("Số liệu {area} đến {date}:").format(
                        area=area, date=turn.translator.date(turn.now)
                    ),
                    _("• Người đã nhắn tin: {n}").format(n=number(contacts)),
                    _("• Người nhận thông báo: {n}").format(n=number(subscribers)),
                    _("• Tin nhắn đến trong 7 ngày: {n}").format(n=number(week)),
                ]
            )
        )
    ]


async def review_queue(turn: Turn) -> list[Reply]:
    """`/duyet`: nominations waiting for review."""
    require_officer(turn)
    audit(turn, "review.listed")
    return [Reply(turn._("Chưa có hồ sơ nào chờ duyệt."))]


journey = Journey(
    name="officer",
    commands={
        "canbo": redeem,
        "thongke": statistics,
        "duyet": review_queue,
    },
    menu_order=100,
    officer_only=True,
    help={
        "thongke": N_("số liệu người dùng, tin nhắn (cán bộ)"),
        "duyet": N_("hồ sơ đề cử chờ duyệt (cán bộ)"),
    },
)

OFFICER_COMMANDS = ("duyet", "hopthu", "thongbao", "thongke")
