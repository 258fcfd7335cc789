"""Subscribing to announcements (`/dangky`), narrowing them to one's commune and the
kinds of news one wants, and stopping them (`/huydangky`, STOP, DỪNG)."""

from __future__ import annotations

from typing import Any

from content.areas import load_areas
from content.i18n import N_
from handlers.engine import Journey
from handlers.fields import Place
from handlers.form_journey import FormJourney
from handlers.forms import Form
from handlers.types import Button, Reply, Turn
from storage.broadcasts import TOPICS, contact_topics, topics_text
from storage.consents import grant_consent, withdraw_consent
from storage.models import Contact

PURPOSE = "announcements"
# Bumped whenever the consent text below changes, so each consent names what was shown.
WORDING_VERSION = "2026-12"
TOPIC_LABELS = {
    "announcements": N_("Thông báo của phong trào"),
    "commendations": N_("Tin khen thưởng"),
    "events": N_("Sự kiện, hội nghị"),
    "results": N_("Kết quả hằng tháng của xã tôi"),
}


def _narrowing(turn: Turn) -> tuple[Button, ...]:
    _ = turn._
    return (
        Button("subscribe:commune", _("📍 Chọn xã của tôi")),
        Button("subscribe:topics", _("🗂 Chọn loại tin")),
        Button("start:open", _("Xong")),
    )


async def subscribe(turn: Turn) -> list[Reply]:
    """Subscribing is the explicit act of consent to receive announcements: it takes
    effect at once, then the person may narrow what they get."""
    _ = turn._
    if turn.contact.subscribed:
        return [
            Reply(
                _("Bạn đã đăng ký nhận thông báo rồi."),
                (*_narrowing(turn), Button("subscribe:stop", _("🔕 Ngừng nhận thông báo"))),
            )
        ]
    turn.contact.subscribed = True
    await grant_consent(turn.session, turn.contact.id, PURPOSE, WORDING_VERSION, turn.now)
    return [
        Reply(
            _(
                "Đã đăng ký! Bạn sẽ nhận thông báo và tin khen thưởng của tỉnh. Mình chỉ dùng "
                "tài khoản chat này để gửi tin, không dùng vào việc khác. Muốn ngừng, gõ "
                "/huydangky hoặc DỪNG bất cứ lúc nào. Bạn có muốn nhận thêm tin của xã mình, "
                "hay chọn loại tin?"
            ),
            _narrowing(turn),
        )
    ]


async def unsubscribe(turn: Turn) -> list[Reply]:
    """Stop announcements and withdraw the consent; always confirmed, even if not subscribed."""
    turn.contact.subscribed = False
    await withdraw_consent(turn.session, turn.contact.id, PURPOSE, turn.now)
    return turn.menu_reply(turn._("Đã ngừng gửi thông báo cho bạn. Gõ /dangky nếu muốn nhận lại."))


async def choose_topics(turn: Turn) -> list[Reply]:
    """The kinds of news, each a button that turns it on or off."""
    _ = turn._
    chosen = contact_topics(turn.contact)
    buttons = tuple(
        Button(
            f"subscribe:toggle:{topic}",
            ("✅ " if topic in chosen else "⬜ ") + _(TOPIC_LABELS[topic]),
        )
        for topic in TOPICS
    )
    return [
        Reply(_("Bấm để bật hoặc tắt từng loại tin:"), (*buttons, Button("start:open", _("Xong"))))
    ]


async def toggle_topic(turn: Turn) -> list[Reply]:
    if turn.args not in TOPICS:
        return await choose_topics(turn)
    chosen = set(contact_topics(turn.contact)) ^ {turn.args}
    turn.contact.topics = topics_text(sorted(chosen))
    return await choose_topics(turn)


async def set_commune(turn: Turn, values: dict[str, Any]) -> list[Reply]:
    """The commune the person chose becomes theirs: its news reach them too."""
    code = str(values["commune"]["code"])
    commune = load_areas().get(code)
    if not turn.is_officer:
        turn.contact.area = code
        if commune is not None:
            turn.contact.province = commune.province
    turn.finish()
    name = commune.name if commune else code
    return [
        Reply(
            turn._("Đã ghi nhận {place}. Bạn sẽ nhận cả tin của nơi này.").format(place=name),
            _narrowing(turn),
        )
    ]


def _menu_entry(contact: Contact) -> tuple[str, str]:
    if contact.subscribed:
        return "stop", N_("🔕 Ngừng nhận thông báo")
    return "open", N_("🔔 Nhận thông báo")


commune_form = Form(
    name="subcommune",
    fields=[
        Place(
            "commune",
            N_("Xã, phường"),
            N_("Bạn ở xã, phường nào? Gõ tên xã (tên cũ cũng được), ví dụ: xã Cửa Tùng."),
        )
    ],
    title=N_("Xã của bạn:"),
    submit=set_commune,
    confirm=False,
)
commune_choice = FormJourney(commune_form)

journey = Journey(
    name="subscribe",
    commands={"dangky": subscribe, "huydangky": unsubscribe},
    buttons={
        "open": subscribe,
        "stop": unsubscribe,
        "commune": commune_choice.restart,
        "topics": choose_topics,
        "toggle": toggle_topic,
    },
    entry_actions=frozenset({"open", "stop"}),
    menu_label=N_("🔔 Nhận thông báo"),
    menu_for=_menu_entry,
    menu_order=50,
    help={
        "dangky": N_("nhận thông báo của phong trào"),
        "huydangky": N_("ngừng nhận thông báo (hoặc gõ DỪNG)"),
    },
)
commune_journey = commune_choice.journey(command=None, menu_label=None, menu_order=51)
