"""Switching between Vietnamese and English (`/ngonngu`)."""

from __future__ import annotations

from content.i18n import LANGUAGES, N_
from handlers.engine import Journey
from handlers.types import Button, Reply, Turn

# Each language is named in itself, so a person who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


async def open_choice(turn: Turn) -> list[Reply]:
    """`/ngonngu`: one button per language."""
    buttons = tuple(Button(f"language:set:{code}", LANGUAGE_NAMES[code]) for code in LANGUAGES)
    return [Reply(turn._("Chọn ngôn ngữ / Choose your language:"), buttons)]


async def set_language(turn: Turn) -> list[Reply]:
    if turn.args not in LANGUAGES:
        return await open_choice(turn)
    turn.use_language(turn.args)
    return turn.menu_reply(turn._("Đã chuyển sang tiếng Việt."))


journey = Journey(
    name="language",
    commands={"ngonngu": open_choice, "language": open_choice},
    buttons={"set": set_language, "open": open_choice},
    entry_actions=frozenset({"open"}),
    menu_label=N_("🌐 Ngôn ngữ / Language"),
    menu_order=80,
    help={"ngonngu": N_("đổi ngôn ngữ (Tiếng Việt / English)")},
)
