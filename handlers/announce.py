"""Composing an announcement (`/thongbao`), for officers and admins: the text and a
photo, who receives it, when, urgent or not; a preview as recipients will see it with
their number; then it is queued, and can be cancelled while it goes out. The officer
gets its loudspeaker script and its printable A4 notice as files."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from content.areas import load_areas
from content.i18n import N_
from content.loudspeaker import loudspeaker_script
from content.notice import announcement_notice
from content.provinces import load_provinces
from handlers.fields import Choice, Moment, Photos, Place, Text, photo_tokens
from handlers.form_journey import FormJourney
from handlers.forms import Form, Refused, Values
from handlers.officer import audit, require_officer
from handlers.subscription import TOPIC_LABELS
from handlers.types import Button, Reply, Turn
from storage.broadcasts import TOPICS, cancel_broadcast, count_audience, create_broadcast
from storage.deliveries import broadcast_counts
from storage.models import Broadcast

MAX_TEXT = 3000
# Lines of the loudspeaker script shown in chat above its file.
SCRIPT_PREVIEW_LINES = 3
SCRIPT_PREVIEW_CHARS = 300
CHANNEL_NAMES = (("telegram", "Telegram"), ("zalo", "Zalo"), ("web", "Web"))


def commune_officer(turn: Turn) -> bool:
    """An officer whose area is one commune addresses only that commune."""
    area = turn.contact.area
    return not turn.is_admin and area is not None and load_areas().get(area) is not None


def _provinces(turn: Turn) -> list[str]:
    """The provinces the sender may address: their own, or all for an admin."""
    area = turn.contact.area
    if turn.is_admin or area in (None, "all"):
        return list(turn.services.provinces)
    commune = load_areas().get(area or "")
    return [commune.province if commune else str(area)]


def _audiences(turn: Turn, values: Values) -> list[tuple[str, str]]:
    _ = turn._
    if commune_officer(turn):
        commune = load_areas().get(turn.contact.area or "")
        name = commune.name if commune else str(turn.contact.area)
        return [("mycommune", _("Người nhận tin ở {place}").format(place=name))]
    return [
        ("province", _("Cả tỉnh")),
        ("commune", _("Một xã, phường")),
        ("org", _("Hội viên một tổ chức")),
        ("topic", _("Người chọn một loại tin")),
        ("channel", _("Một kênh (Telegram, Zalo, Web)")),
    ]


def _is(audience: str) -> Any:
    return lambda turn, values: values.get("audience") == audience


def audience_of(turn: Turn, values: Values) -> list[str]:
    """The audience specs of a composed announcement, within the sender's area."""
    provinces = [f"province:{slug}" for slug in _provinces(turn)]
    chosen = values.get("audience")
    if chosen == "mycommune":
        return [f"commune:{turn.contact.area}"]
    if chosen == "commune":
        return [f"commune:{values['commune']['code']}"]
    if chosen == "org":
        return [f"org:{values['org']}"]
    if chosen == "topic":
        return [*provinces, f"topic:{values['topic']}"]
    if chosen == "channel":
        return [*provinces, f"channel:{values['channel']}"]
    return provinces


FIELDS = [
    Text(
        "text",
        N_("Nội dung"),
        N_("Gõ nội dung thông báo (tối đa 3.000 ký tự)."),
        minimum=5,
        maximum=MAX_TEXT,
    ),
    Photos("photo", N_("Ảnh"), N_("Gửi một ảnh kèm thông báo, hoặc bấm Bỏ qua."), maximum=1),
    Choice("audience", N_("Gửi tới"), N_("Gửi tới ai?"), _audiences),
    Place("commune", N_("Xã, phường"), N_("Gửi cho xã, phường nào?"), when=_is("commune")),
    Text(
        "org",
        N_("Tổ chức"),
        N_("Tên tổ chức, đúng như trong mã mời hội viên?"),
        minimum=2,
        maximum=200,
        when=_is("org"),
    ),
    Choice(
        "topic",
        N_("Loại tin"),
        N_("Gửi cho người chọn loại tin nào?"),
        [(topic, TOPIC_LABELS[topic]) for topic in TOPICS],
        when=_is("topic"),
    ),
    Choice("channel", N_("Kênh"), N_("Gửi qua kênh nào?"), CHANNEL_NAMES, when=_is("channel")),
    Choice(
        "when",
        N_("Thời gian"),
        N_("Gửi ngay hay hẹn giờ?"),
        [("now", N_("Gửi ngay")), ("later", N_("Hẹn giờ"))],
    ),
    Moment(
        "at",
        N_("Giờ gửi"),
        N_("Gửi lúc nào? Ví dụ: 7:30 24/12 (giờ Việt Nam)."),
        when=lambda turn, values: values.get("when") == "later",
    ),
    Choice(
        "urgent",
        N_("Khẩn"),
        N_("Tin khẩn được gửi cả trong giờ nghỉ (21:00–6:30). Đây có phải tin khẩn?"),
        [("no", N_("Không khẩn")), ("yes", N_("Khẩn"))],
    ),
]


async def preview(turn: Turn, values: Values) -> list[Reply]:
    """The announcement exactly as recipients receive it, then how many will."""
    _ = turn._
    tokens = photo_tokens(values.get("photo"))
    count = await count_audience(turn.session, audience_of(turn, values), "announcement")
    return [
        Reply(str(values.get("text") or ""), photo=f"media:{tokens[0]}" if tokens else None),
        Reply(
            _(
                "👆 Người nhận sẽ thấy đúng như trên (Telegram, web; Zalo nhận cùng nội "
                "dung). Số người nhận: {n}."
            ).format(n=turn.translator.number(count))
        ),
    ]


async def queue(turn: Turn, values: dict[str, Any]) -> list[Reply]:
    """Queue the announcement for its time; the outbox sends it."""
    _ = turn._
    require_officer(turn)
    audience = audience_of(turn, values)
    if values.get("audience") == "commune":
        commune = load_areas().get(str(values["commune"]["code"]))
        if commune is None or commune.province not in _provinces(turn):
            audit(turn, "broadcast.refused", reason="outside area")
            raise Refused(_("Xã này không thuộc địa bàn bạn phụ trách."))
    count = await count_audience(turn.session, audience, str(values.get("_kind") or "announcement"))
    if count == 0:
        raise Refused(_("Chưa có ai đăng ký nhận tin trong nhóm này. Bạn chọn nhóm khác nhé."))
    at = datetime.fromisoformat(values["at"]) if values.get("at") else turn.now
    if at < turn.now:
        raise Refused(_("Giờ hẹn đã qua. Bạn sửa giờ gửi nhé."))
    tokens = photo_tokens(values.get("photo"))
    broadcast = await create_broadcast(
        turn.session,
        created_by=f"{turn.contact.channel}:{turn.contact.external_id}",
        created_by_contact_id=turn.contact.id,
        province=_provinces(turn)[0] if len(_provinces(turn)) == 1 else None,
        audience=audience,
        text=str(values["text"]),
        photo=tokens[0] if tokens else None,
        urgent=values.get("urgent") == "yes",
        scheduled_at=at,
        now=turn.now,
        kind=str(values.get("_kind") or "announcement"),
        nomination_id=values.get("_nomination"),
    )
    audit(turn, "broadcast.queued", target=f"broadcast:{broadcast.id}", recipients=count)
    turn.finish()
    when = _("ngay bây giờ") if at <= turn.now else turn.translator.datetime(at)
    return [
        *await announcement_files(turn, broadcast),
        Reply(
            _(
                "Đã xếp thông báo #{id} gửi tới {n} người, {when}. Mình sẽ báo tiến độ và kết quả."
            ).format(id=broadcast.id, n=turn.translator.number(count), when=when),
            (
                Button(f"announce:script:{broadcast.id}", _("📢 Bài đọc loa và bản in")),
                Button(f"announce:cancel:{broadcast.id}", _("🛑 Hủy thông báo này")),
                *turn.main_menu(),
            ),
        ),
    ]


async def _own(turn: Turn) -> Broadcast | None:
    """The broadcast a button names, if this officer may act on it."""
    require_officer(turn)
    broadcast = await turn.session.get(Broadcast, int(turn.args)) if turn.args.isdigit() else None
    if broadcast is None:
        return None
    if not turn.is_admin and broadcast.created_by_contact_id != turn.contact.id:
        audit(turn, "broadcast.refused", target=f"broadcast:{broadcast.id}")
        return None
    return broadcast


async def cancel(turn: Turn) -> list[Reply]:
    _ = turn._
    broadcast = await _own(turn)
    if broadcast is None:
        return turn.menu_reply(_("Không tìm thấy thông báo này."))
    before = await cancel_broadcast(turn.session, broadcast.id, turn.now)
    if before in ("done", "cancelled"):
        return turn.menu_reply(
            _("Thông báo #{id} đã gửi xong hoặc đã hủy, không hủy được nữa.").format(
                id=broadcast.id
            )
        )
    sent = (await broadcast_counts(turn.session, broadcast.id)).get("sent", 0)
    audit(turn, "broadcast.cancelled", target=f"broadcast:{broadcast.id}")
    return turn.menu_reply(
        _("Đã hủy thông báo #{id}; {n} người đã nhận trước khi hủy.").format(
            id=broadcast.id, n=turn.translator.number(sent)
        )
    )


async def script(turn: Turn) -> list[Reply]:
    """The loudspeaker script and the printable notice of an announcement, as files."""
    broadcast = await _own(turn)
    if broadcast is None:
        return turn.menu_reply(turn._("Không tìm thấy thông báo này."))
    *files, notice = await announcement_files(turn, broadcast)
    return [*files, replace(notice, buttons=turn.main_menu())]


async def announcement_files(turn: Turn, broadcast: Broadcast) -> list[Reply]:
    """Two replies with a file each: the script for the commune loudspeaker (plain
    sentences, numbers in words), its first lines in the bubble; and the A4 notice for
    the village notice board. In Vietnamese, as they are read out and posted."""
    _ = turn._
    slug = broadcast.province or turn.province
    province = load_provinces().get(slug)
    name = province.name("vi") if province else slug
    communes = [spec.removeprefix("commune:") for spec in broadcast.audience]
    commune = load_areas().get(communes[0]) if len(communes) == 1 else None
    spoken = loudspeaker_script(broadcast.text, province_name=name)
    script_file = await turn.keep_document(
        f"thong-bao-{broadcast.id}-doc-loa.txt",
        "text/plain; charset=utf-8",
        spoken.encode(),
    )
    page = announcement_notice(
        broadcast.text,
        province_name=name,
        issued_at=broadcast.created_at,
        commune_name=commune.name if commune else None,
    )
    notice_file = await turn.keep_document(
        f"thong-bao-{broadcast.id}-ban-in.html", "text/html; charset=utf-8", page.encode()
    )
    return [
        Reply(
            _("📢 Bài đọc loa phát thanh của thông báo #{id} (tệp kèm theo):").format(
                id=broadcast.id
            )
            + "\n"
            + _preview(spoken),
            document=script_file,
        ),
        Reply(
            _("🖨️ Bản thông báo khổ A4 để dán bảng tin: mở tệp bằng trình duyệt rồi in."),
            document=notice_file,
        ),
    ]


def _preview(spoken: str) -> str:
    lines = spoken.splitlines()
    shown = "\n".join(lines[:SCRIPT_PREVIEW_LINES])
    if len(shown) > SCRIPT_PREVIEW_CHARS:
        shown = shown[:SCRIPT_PREVIEW_CHARS].rsplit(" ", 1)[0]
    return shown + ("…" if shown != spoken else "")


def _allowed(turn: Turn) -> None:
    require_officer(turn)


form = Form(
    name="announce",
    fields=FIELDS,
    title=N_("Thông báo của bạn:"),
    submit=queue,
    allowed=_allowed,
    attachments="photo",
    preview=preview,
)

composer = FormJourney(form)
journey = composer.journey(
    command="thongbao",
    menu_label=None,
    menu_order=110,
    help_text=N_("soạn thông báo (cán bộ)"),
    more_buttons={"cancel": cancel, "script": script},
    more_entry_actions=frozenset({"cancel", "script"}),
    officer_only=True,
)
