"""Choosing the province whose plan and news the contact follows (`/tinh`)."""

from __future__ import annotations

from content.i18n import N_
from content.provinces import load_provinces
from content.vietnamese import fold
from handlers.ask import answer_question
from handlers.engine import Journey
from handlers.types import Button, Reply, Turn

# A province name is one or two words; three or more typed at this step are a question.
QUESTION_WORDS = 3


def ask_province(turn: Turn, intro: str | None = None) -> list[Reply]:
    """Offer one button per province served and wait for the choice."""
    _ = turn._
    provinces = load_provinces()
    buttons = tuple(
        Button(f"province:set:{slug}", provinces[slug].name(turn.translator.language))
        for slug in turn.services.provinces
    )
    question = _("Bạn ở tỉnh nào? Mình sẽ trả lời theo kế hoạch của tỉnh bạn.")
    turn.begin("province", "choose")
    return [Reply(f"{intro}\n{question}" if intro else question, buttons)]


async def open_choice(turn: Turn) -> list[Reply]:
    """`/tinh`."""
    return ask_province(turn)


async def choose_by_button(turn: Turn) -> list[Reply]:
    return _set_province(turn, turn.args)


async def choose_by_text(turn: Turn) -> list[Reply]:
    """A typed name ("quang tri", "An Giang") works as well as the button; a question
    typed instead is answered (for the default province) rather than lost."""
    typed = fold(turn.incoming.text or "").strip()
    for slug in turn.services.provinces:
        province = load_provinces()[slug]
        names = {fold(name) for name in province.names.values()} | {
            fold(a) for a in province.aliases
        }
        if typed in names or typed == slug:
            return _set_province(turn, slug)
    if len(typed.split()) >= QUESTION_WORDS:
        turn.finish()
        return await answer_question(turn, turn.incoming.text or "")
    reply = ask_province(turn)
    return [Reply(turn._("Mình chưa nhận ra tỉnh này.") + "\n" + reply[0].text, reply[0].buttons)]


def _set_province(turn: Turn, slug: str) -> list[Reply]:
    if slug not in turn.services.provinces:
        return ask_province(turn)
    turn.contact.province = slug
    turn.finish()
    name = load_provinces()[slug].name(turn.translator.language)
    return turn.menu_reply(
        turn._("Đã chọn tỉnh {province}. Bạn cần gì, chọn bên dưới nhé.").format(province=name)
    )


journey = Journey(
    name="province",
    commands={"tinh": open_choice},
    buttons={"set": choose_by_button, "open": open_choice},
    steps={"choose": choose_by_text},
    entry_actions=frozenset({"open"}),
    menu_order=90,
    help={"tinh": N_("đổi tỉnh")},
)
