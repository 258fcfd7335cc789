"""Greeting, help and the way back to the main menu; invite links arrive here too.

An invite link carries the code as the `/start` payload: Telegram's deep link
`https://t.me/BOT?start=moi_CODE` sends `/start moi_CODE` when the person taps Start,
and the web chat page sends the same on its first load from `PUBLIC_URL/?start=moi_CODE`.
"""

from __future__ import annotations

from dataclasses import replace

from content.i18n import N_
from handlers.engine import Journey
from handlers.officer import redeem
from handlers.province import ask_province
from handlers.types import Reply, Turn
from storage.invites import normalise_code

# Telegram's start payload allows 1-64 of A-Z a-z 0-9 _ -: the invite code's alphabet
# (capitals and digits) fits, after a prefix that says the payload is an invite.
INVITE_PREFIX = "moi_"


def invite_payload(code: str) -> str:
    """The `/start` payload of an invite link for `code`: `moi_ABCDE23456`."""
    return INVITE_PREFIX + normalise_code(code)


def invite_code_of(payload: str) -> str | None:
    """The invite code a `/start` payload carries; None when the payload is no invite."""
    prefix, code = payload[: len(INVITE_PREFIX)], payload[len(INVITE_PREFIX) :]
    return code if prefix.lower() == INVITE_PREFIX and code else None


def telegram_invite_link(bot_username: str, code: str) -> str:
    """The Telegram deep link that redeems `code` when the person taps Start."""
    return f"https://t.me/{bot_username}?start={invite_payload(code)}"


def web_invite_link(public_url: str, code: str) -> str:
    """The web chat address that redeems `code` on first load (PUBLIC_URL has no
    trailing slash)."""
    return f"{public_url}/?start={invite_payload(code)}"


async def start(turn: Turn) -> list[Reply]:
    """`/start`: leave any flow, redeem the invite a link carried, greet, ask the
    province once, then show the menu."""
    turn.finish()
    code = invite_code_of(turn.args)
    redeemed: list[Reply] = []
    if code is not None:
        turn.args = code
        # The greeting below brings the menu: the invite's answer goes without it.
        redeemed = [replace(reply, buttons=()) for reply in await redeem(turn)]
    return redeemed + _greet(turn)


def _greet(turn: Turn) -> list[Reply]:
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
