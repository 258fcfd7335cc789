"""Subscribing to announcements (`/dangky`) and stopping them (`/huydangky`, STOP, DỪNG)."""

from __future__ import annotations

from content.i18n import N_
from handlers.engine import Journey
from handlers.types import Button, Reply, Turn
from storage.consents import grant_consent, withdraw_consent

PURPOSE = "announcements"
# Bumped whenever the consent text below changes, so each consent names what was shown.
WORDING_VERSION = "2026-01"


async def subscribe(turn: Turn) -> list[Reply]:
    """Subscribing is the explicit act of consent to receive announcements; record it."""
    _ = turn._
    if turn.contact.subscribed:
        return [
            Reply(
                _("Bạn đã đăng ký nhận thông báo rồi."),
                (Button("subscribe:stop", _("Ngừng nhận thông báo")), *turn.main_menu()),
            )
        ]
    turn.contact.subscribed = True
    await grant_consent(turn.session, turn.contact.id, PURPOSE, WORDING_VERSION, turn.now)
    return turn.menu_reply(
        _(
            "Đã đăng ký! Bạn sẽ nhận thông báo và tin khen thưởng của phong trào. "
            "Mình chỉ dùng tài khoản chat này để gửi tin, không dùng vào việc khác. "
            "Muốn ngừng, gõ /huydangky hoặc DỪNG bất cứ lúc nào."
        )
    )


async def unsubscribe(turn: Turn) -> list[Reply]:
    """Stop announcements and withdraw the consent; always confirmed, even if not subscribed."""
    turn.contact.subscribed = False
    await withdraw_consent(turn.session, turn.contact.id, PURPOSE, turn.now)
    return turn.menu_reply(turn._("Đã ngừng gửi thông báo cho bạn. Gõ /dangky nếu muốn nhận lại."))


journey = Journey(
    name="subscribe",
    commands={"dangky": subscribe, "huydangky": unsubscribe},
    buttons={"open": subscribe, "stop": unsubscribe},
    entry_actions=frozenset({"open", "stop"}),
    menu_label=N_("🔔 Nhận thông báo"),
    menu_order=50,
    help={
        "dangky": N_("nhận thông báo của phong trào"),
        "huydangky": N_("ngừng nhận thông báo (hoặc gõ DỪNG)"),
    },
)
