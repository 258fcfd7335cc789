"""`/web`: an officer asks for a one-time link into the web dashboard."""

from __future__ import annotations

from content.i18n import N_
from handlers.engine import Journey
from handlers.officer import audit
from handlers.types import Reply, Turn
from storage.dashboard import LOGIN_VALID_FOR, new_login

LOGIN_PATH = "/dashboard/login"
OPERATOR_COMMAND = "python -m bot dashboard-link --contact {identity}"


def login_link(public_url: str, token: str) -> str:
    """The address an officer opens to sign in (PUBLIC_URL has no trailing slash)."""
    return f"{public_url}{LOGIN_PATH}?token={token}"


async def web_link(turn: Turn) -> list[Reply]:
    """A link valid LOGIN_VALID_FOR and once, for officers and admins only."""
    _ = turn._
    if not turn.is_officer:
        audit(turn, "dashboard.link_refused", reason="not_officer")
        return turn.menu_reply(
            _(
                "Trang quản lý trên web chỉ dành cho cán bộ phụ trách. Nếu bạn là cán bộ, "
                "hãy gõ /canbo kèm mã mời."
            )
        )
    public_url = turn.services.public_url
    identity = f"{turn.contact.channel}:{turn.contact.external_id}"
    if public_url is None:
        audit(turn, "dashboard.link_refused", reason="no_public_url")
        return [
            Reply(
                _(
                    "Xin lỗi, máy chủ chưa khai báo địa chỉ công khai (PUBLIC_URL) nên chưa "
                    "gửi được đường dẫn. Bạn nhờ người vận hành chạy lệnh: {command}"
                ).format(command=OPERATOR_COMMAND.format(identity=identity))
            )
        ]
    token = new_login(turn.session, turn.contact.id, turn.now)
    audit(turn, "dashboard.link_created")
    minutes = int(LOGIN_VALID_FOR.total_seconds() // 60)
    return [
        Reply(
            _(
                "Đường dẫn vào trang cán bộ (dùng một lần, hết hạn sau {minutes} phút):\n{link}\n"
                "Đừng chuyển đường dẫn này cho người khác."
            ).format(minutes=minutes, link=login_link(public_url, token)),
            # The link opens the dashboard: it must not stay in the stored conversation.
            loggable=False,
        )
    ]


journey = Journey(
    name="web_login",
    commands={"web": web_link},
    menu_order=130,
    officer_only=True,
    help={"web": N_("đường dẫn vào trang cán bộ trên web (cán bộ)")},
)
