"""What a person does with an announcement they received: say they saw it (Telegram
gives no read receipts; these taps are counted instead)."""

from __future__ import annotations

from handlers.engine import Journey
from handlers.types import Reply, Turn


async def seen(turn: Turn) -> list[Reply]:
    """A tap on an announcement's 👍, logged with the turn as the count of readers."""
    return turn.menu_reply(turn._("Cảm ơn bạn đã xem thông báo!"))


journey = Journey(name="news", buttons={"seen": seen}, entry_actions=frozenset({"seen"}))
