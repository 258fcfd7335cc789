"""A person's own data (`/dulieu`): see it, download it (a short summary in chat, the
whole of it as a JSON file), withdraw consent, delete it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from content.i18n import N_, TIMEZONE
from content.provinces import load_provinces
from content.vietnamese import fold
from handlers import nominate
from handlers.ask import HANDOFF_PURPOSE
from handlers.engine import Journey
from handlers.language import LANGUAGE_NAMES
from handlers.province import ask_province
from handlers.subscription import PURPOSE as ANNOUNCEMENTS
from handlers.types import Button, Reply, Turn
from storage.consents import active_consents, withdraw_consent
from storage.inbound import erase_inbound_of
from storage.models import Consent, Interaction
from storage.personal_data import erase_personal_data, export_personal_data

PURPOSE_LABELS = {
    ANNOUNCEMENTS: N_("nhận thông báo của phong trào"),
    HANDOFF_PURPOSE: N_("gửi câu hỏi của bạn cho cán bộ trả lời"),
    nominate.DATA_PURPOSE: N_("xử lý thông tin đề cử"),
    nominate.CONTACT_PURPOSE: N_("cán bộ liên hệ về đề cử"),
    nominate.NOMINEE_PURPOSE: N_("người được đề cử đồng ý công khai tên, ảnh"),
    nominate.PROXY_PURPOSE: N_("người nhờ điền giúp đã đồng ý"),
}


def consent_label(turn: Turn, consent: Consent) -> str:
    """What a consent was for, in plain words, with the submission it concerns."""
    label = turn._(PURPOSE_LABELS.get(consent.purpose, consent.purpose))
    return f"{label} – {consent.subject}" if consent.subject else label


LOCAL = ZoneInfo(TIMEZONE)


def province_name(turn: Turn) -> str:
    """The province the person chose, or how to choose one."""
    province = load_provinces().get(turn.contact.province or "")
    if province is None:
        return turn._("chưa chọn (gõ /tinh để chọn)")
    return province.name(turn.translator.language)


ROLE_LABELS = {
    "citizen": N_("người dân"),
    "member": N_("đoàn viên, hội viên"),
    "officer": N_("cán bộ"),
    "admin": N_("quản trị viên"),
}


async def show(turn: Turn) -> list[Reply]:
    """What we hold about the person, in plain words, with what they can do about it."""
    _ = turn._
    contact = turn.contact
    consents = await active_consents(turn.session, contact.id)
    messages = await turn.session.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.contact_id == contact.id)
    )
    lines = [
        _("Dữ liệu mình đang lưu về bạn:"),
        _("• Tên hiển thị: {name}").format(name=contact.name or "—"),
        _("• Ngôn ngữ: {language}").format(
            language=LANGUAGE_NAMES.get(contact.language, contact.language)
        ),
        _("• Tỉnh: {province}").format(province=province_name(turn)),
        _("• Vai trò: {role}").format(role=_(ROLE_LABELS.get(contact.role, contact.role))),
        _("• Số tin nhắn đã lưu: {count}").format(count=turn.translator.number(messages or 0)),
    ]
    if consents:
        lines.append(_("Bạn đã đồng ý:"))
        date = turn.translator.date
        lines += [f"• {consent_label(turn, c)} ({date(c.granted_at)})" for c in consents]
    else:
        lines.append(_("Bạn chưa đồng ý cho mục đích nào."))
    buttons = [Button("data:download", _("Tải dữ liệu"))]
    if consents:
        buttons.append(Button("data:withdraw", _("Rút lại đồng ý")))
    buttons.append(Button("data:delete", _("Xóa dữ liệu của tôi")))
    return [Reply("\n".join(lines), tuple(buttons))]


async def download(turn: Turn) -> list[Reply]:
    """Everything stored about the person as a JSON file, with a summary in plain words."""
    contact = turn.contact
    export = {
        "contact": {
            "channel": contact.channel,
            "name": contact.name,
            "language": contact.language,
            "province": contact.province,
            "area": contact.area,
            "role": contact.role,
            "organisation": contact.organisation,
            "subscribed": contact.subscribed,
            "created_at": contact.created_at.isoformat(),
        },
        **await export_personal_data(turn.session, contact.id),
    }
    body = json.dumps(export, ensure_ascii=False, indent=1).encode()
    day = turn.now.astimezone(LOCAL).date().isoformat()
    document = await turn.keep_document(f"du-lieu-cua-toi-{day}.json", "application/json", body)
    # Not logged: a summary of stored data adds nothing to the log.
    return [Reply(export_summary(turn, export), document=document, loggable=False)]


def _local_date(turn: Turn, stamp: object) -> str:
    moment = datetime.fromisoformat(str(stamp))
    return turn.translator.date(moment.astimezone(LOCAL).date())


def export_summary(turn: Turn, export: dict[str, Any]) -> str:
    """What the export holds, counted in plain words: no ids, dates as people read them."""
    _ = turn._
    number = turn.translator.number
    messages = export.get("messages", [])
    consents = export.get("consents", [])
    withdrawn = sum(1 for c in consents if c.get("withdrawn_at"))
    lines = [
        _("Dữ liệu của bạn, đầy đủ trong tệp kèm theo (JSON):"),
        _("• Tỉnh: {province}").format(province=province_name(turn)),
    ]
    if messages:
        lines.append(
            _("• Tin nhắn: {n}, từ {first} đến {last}").format(
                n=number(len(messages)),
                first=_local_date(turn, messages[0]["at"]),
                last=_local_date(turn, messages[-1]["at"]),
            )
        )
    else:
        lines.append(_("• Tin nhắn: 0"))
    lines += [
        _("• Đề cử đã gửi: {n}").format(n=number(len(export.get("nominations", [])))),
        _("• Ảnh đã gửi: {n}").format(n=number(len(export.get("photos", [])))),
        _("• Câu hỏi chuyển cán bộ: {n}").format(
            n=number(len(export.get("questions_to_officers", [])))
        ),
        _("• Lượt ủng hộ: {n}").format(n=number(len(export.get("supports", [])))),
        _("• Đồng ý: {given} đang có hiệu lực, {withdrawn} đã rút lại").format(
            given=number(len(consents) - withdrawn), withdrawn=number(withdrawn)
        ),
    ]
    if export.get("drafts"):
        lines.append(_("• Bản nháp đang điền dở: {n}").format(n=number(len(export["drafts"]))))
    return "\n".join(lines)


async def choose_withdrawal(turn: Turn) -> list[Reply]:
    _ = turn._
    consents = await active_consents(turn.session, turn.contact.id)
    if not consents:
        return turn.menu_reply(_("Bạn chưa đồng ý cho mục đích nào."))
    buttons = tuple(
        Button(
            f"data:unconsent:{c.purpose}" + (f":{c.subject}" if c.subject else ""),
            consent_label(turn, c),
        )
        for c in consents
    )
    return [Reply(_("Bạn muốn rút lại đồng ý nào?"), buttons)]


async def withdraw(turn: Turn) -> list[Reply]:
    purpose, _, subject = turn.args.partition(":")
    if subject:
        await nominate.withdraw_nomination_consent(turn, purpose, subject)
    else:
        await withdraw_consent(turn.session, turn.contact.id, purpose, turn.now)
    if purpose == ANNOUNCEMENTS:
        turn.contact.subscribed = False
    return turn.menu_reply(
        turn._("Đã rút lại đồng ý. Mình sẽ không dùng dữ liệu của bạn cho mục đích này nữa.")
    )


async def ask_delete(turn: Turn) -> list[Reply]:
    _ = turn._
    turn.begin("data", "confirm_delete")
    return [
        Reply(
            _(
                "Bạn chắc chắn muốn xóa toàn bộ dữ liệu? Tin nhắn, ảnh, câu hỏi, bản nháp "
                "và đăng ký nhận tin của bạn sẽ bị xóa, không khôi phục được; đề cử bạn đã "
                "gửi vẫn còn nhưng không còn tên, số điện thoại của bạn. Mọi đồng ý được rút "
                "lại: mình chỉ giữ bản ghi bạn đã đồng ý gì và rút lại khi nào, như luật cho "
                "phép. Gõ XÓA hoặc bấm nút để xác nhận."
            ),
            (Button("data:erase", _("Xóa hết")), Button("data:keep", _("Giữ lại"))),
        )
    ]


async def confirm_typed(turn: Turn) -> list[Reply]:
    if fold(turn.incoming.text or "") in {"xoa", "delete", "xoa het"}:
        return await erase(turn)
    return await keep(turn)


async def erase(turn: Turn) -> list[Reply]:
    """Delete messages, questions and replies not yet sent, and clear the profile; every
    consent is withdrawn but its record kept, as evidence of what was agreed and when it
    ended (Law 91/2025/QH15 lets that record stay; the data itself goes). The bare
    identity row stays so the person can keep chatting, and is asked for their province
    again as on their first /start; this exchange is not logged."""
    contact = turn.contact
    await erase_personal_data(turn.session, contact.id)
    await erase_inbound_of(turn.session, contact.channel, contact.external_id)
    for consent in await active_consents(turn.session, contact.id):
        consent.withdrawn_at = turn.now
    contact.name = None
    contact.province = None
    contact.subscribed = False
    # An officer's role and area are an authorisation, not data about them: clearing the
    # area would widen their scope to every province. Membership is theirs to drop.
    if contact.role not in ("officer", "admin"):
        contact.role = "citizen"
        contact.area = None
        contact.organisation = None
    turn.finish()
    turn.forget = True
    done = turn._(
        "Đã xóa toàn bộ dữ liệu của bạn. Mình chỉ giữ bản ghi các đồng ý, đã đánh dấu rút lại."
    )
    if len(turn.services.provinces) > 1:
        return ask_province(turn, intro=done)
    return turn.menu_reply(done)


async def keep(turn: Turn) -> list[Reply]:
    turn.finish()
    return turn.menu_reply(turn._("Đã giữ nguyên dữ liệu của bạn."))


journey = Journey(
    name="data",
    commands={"dulieu": show},
    buttons={
        "open": show,
        "download": download,
        "withdraw": choose_withdrawal,
        "unconsent": withdraw,
        "delete": ask_delete,
        "erase": erase,
        "keep": keep,
    },
    steps={"confirm_delete": confirm_typed},
    entry_actions=frozenset({"open"}),
    menu_label=N_("🔒 Dữ liệu của tôi"),
    menu_order=70,
    help={"dulieu": N_("xem, tải, xóa dữ liệu của bạn, rút lại đồng ý")},
)
