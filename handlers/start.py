"""Greeting, help and the way back to the main menu."""

from __future__ import annotations

from content.i18n import N_
from handlers.engine import Journey
from handlers.province import ask_province
from handlers.types import Reply, Turn


async def start(turn: Turn) -> list[Reply]:
    """`/start`: leave any flow, greet, ask the province once, then show the menu."""
    turn.finish()
    _ = turn._
    greeting = "\n".join(
        [
            _(
                "Xin chào! Mình là trợ lý Chung Sức của phong trào “chung sức xây dựng "
                "nông thôn mới”."
            ),
            _("Mình lưu tin nhắn để trả lời bạn; xem hoặc xóa bất cứ lúc nào bằng /dulieu."),
        ]
    )
    if turn.contact.province is None and len(turn.services.provinces) > 1:
        return ask_province(turn, intro=greeting)
    return turn.menu_reply(greeting + "\n" + _("Bạn cần gì, chọn bên dưới nhé."))


async def show_help(turn: Turn) -> list[Reply]:
    """`/help`: every command in one short list."""
    _ = turn._
    lines = [_("Các lệnh bạn có thể gõ:"), *turn.help_lines(), _("/huy – hủy việc đang làm")]
    return turn.menu_reply("\n".join(lines))


async def open_menu(turn: Turn) -> list[Reply]:
    """The main menu, from a "menu" button."""
    return turn.menu_reply(turn._("Bạn cần gì, chọn bên dưới nhé."))


journey = Journey(
    name="start",
    commands={"start": start, "help": show_help, "menu": open_menu},
    buttons={"open": open_menu},
    entry_actions=frozenset({"open"}),
    menu_order=0,
    help={"start": N_("bắt đầu lại, về menu chính"), "help": N_("xem các lệnh")},
)
