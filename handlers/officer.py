"""Officer access: redeeming an invite (`/canbo CODE`) and the officer commands.

Every officer command checks the role here, on the server, and writes the audit log.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, func, select, true

from content.areas import load_areas
from content.i18n import N_, Translator
from content.provinces import load_provinces
from handlers.engine import Journey
from handlers.errors import NotAuthorized
from handlers.types import Reply, Turn
from storage.audit import (
    actor_label,
    count_on_channel,
    last_on_channel,
    record_audit,
    recorded_since,
)
from storage.invites import admin_contacts, redeem_invite
from storage.models import Contact, Interaction
from storage.review import Scope

log = logging.getLogger(__name__)

MAX_CODE_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)
# Wrong codes on one channel within FAILURE_WINDOW beyond which codes are checked one at
# a time, CHECK_INTERVAL apart: each new web session brings fresh per-contact guesses, so
# the per-contact lockout alone does not stop guessing.
MAX_CHANNEL_FAILURES = 20
CHECK_INTERVAL = timedelta(minutes=1)


def require_officer(turn: Turn) -> None:
    """Raise NotAuthorized unless the contact is an officer or admin."""
    if not turn.is_officer:
        raise NotAuthorized()


def area_name(turn: Turn, area: str | None) -> str:
    """An area as a person reads it: the province's name, the commune's ("Xã Cửa
    Tùng"), or "tất cả các tỉnh" for everywhere."""
    return area_name_of(turn.translator, area)


def area_name_of(words: Translator, area: str | None) -> str:
    """`area_name` in the language of `words` (for the web dashboard)."""
    if area is None:
        return words.gettext("tất cả các tỉnh")
    province = load_provinces().get(area)
    if province is not None:
        return province.name(words.language)
    commune = load_areas().get(area)
    return commune.name if commune else area


def area_title(turn: Turn, area: str | None) -> str:
    """An area with its unit word, as an officer is told what they are responsible
    for: "tỉnh Quảng Trị", "Xã Cửa Tùng"."""
    return area_title_of(turn.translator, area)


def area_title_of(words: Translator, area: str | None) -> str:
    """`area_title` in the language of `words` (for the web dashboard)."""
    if area is not None and area in load_provinces():
        return words.gettext("tỉnh {name}").format(name=area_name_of(words, area))
    return area_name_of(words, area)


def officer_scope(turn: Turn) -> Scope:
    """The nominations and questions the contact covers as an officer: the whole
    deployment for admins, else their province or their commune. An area that is
    neither (written before areas were checked) covers nothing."""
    return scope_of(turn.contact.area, admin=turn.is_admin)


def scope_of(area: str | None, *, admin: bool) -> Scope:
    """What an officer responsible for `area` covers (`officer_scope` without a turn,
    for the web dashboard)."""
    if admin or area is None:
        return Scope()
    commune = load_areas().get(area)
    if commune is not None and area not in load_provinces():
        return Scope(province=commune.province, commune=area)
    return Scope(province=area)


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
        audit(turn, "invite.locked", attempts=contact.failed_code_attempts)
        return [Reply(_("Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 1 giờ."))]
    if await _channel_slowed(turn):
        audit(turn, "invite.slowed")
        return [Reply(_("Đang có nhiều người nhập mã mời. Bạn thử lại sau ít phút nhé."))]
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
            area=area_title(turn, invite.area)
        )
    )


async def _channel_slowed(turn: Turn) -> bool:
    """Whether this code must wait: past MAX_CHANNEL_FAILURES wrong codes on the channel
    within the hour, one code is checked per CHECK_INTERVAL. The admins are told, once
    an hour."""
    session, channel, now = turn.session, turn.contact.channel, turn.now
    failures = await count_on_channel(session, "invite.refused", channel, now - FAILURE_WINDOW)
    if failures < MAX_CHANNEL_FAILURES:
        return False
    target = f"channel:{channel}"
    if not await recorded_since(session, "invite.alerted", target, now - FAILURE_WINDOW):
        log.warning("%d wrong invite codes on %s within an hour: slowing", failures, channel)
        record_audit(
            session,
            actor="system",
            action="invite.alerted",
            at=now,
            target=target,
            details={"failures": failures},
        )
        for admin in await admin_contacts(session, turn.services.admins):
            words = turn.services.catalogs.translator(admin.language)
            notice = words.gettext(
                "Cảnh báo: {count} mã mời sai trên kênh {channel} trong một giờ qua. Mình "
                "đang làm chậm việc nhập mã trên kênh này, mỗi phút chỉ kiểm tra một mã."
            ).format(count=words.number(failures), channel=channel)
            turn.send_later(admin.id, [Reply(notice, language=words.language)])
    last = await last_on_channel(session, "invite.refused", channel)
    return last is not None and now - last < CHECK_INTERVAL


async def statistics(turn: Turn) -> list[Reply]:
    """`/thongke`: the figures an officer asks for first."""
    require_officer(turn)
    _ = turn._
    session = turn.session
    # An officer of one province sees that province's people (by their chosen province),
    # an officer of one commune the people who said it is theirs.
    covered = officer_scope(turn)
    scope = (
        # A commune officer's own area is that commune: count the people, not officers.
        and_(Contact.area == covered.commune, Contact.role.not_in(("officer", "admin")))
        if covered.commune
        else Contact.province == covered.province
        if covered.province
        else true()
    )
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


journey = Journey(
    name="officer",
    commands={
        "canbo": redeem,
        "thongke": statistics,
    },
    menu_order=100,
    officer_only=True,
    help={
        "thongke": N_("số liệu người dùng, tin nhắn (cán bộ)"),
    },
)

OFFICER_COMMANDS = ("duyet", "hopthu", "thongbao", "thongke", "baocao")
