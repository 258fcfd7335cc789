"""Asking a question (`/hoi`, or any free text): an answer with its source, suggestions
when unsure, and an offer to send the question to an officer when nothing fits."""

from __future__ import annotations

import re

from sqlalchemy import select

from content.i18n import N_
from content.kb import Entry
from content.vietnamese import fold
from handlers.engine import Journey
from handlers.officer import covers
from handlers.types import Button, Reply, Turn
from storage.consents import grant_consent
from storage.models import Contact, OfficerQuestion

HANDOFF_PURPOSE = "question_handoff"
HANDOFF_WORDING = "2026-01"
LABEL_LENGTH = 60


def short(text: str, limit: int = LABEL_LENGTH) -> str:
    """A button label that fits a phone screen."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def entry_buttons(turn: Turn, entries: list[Entry]) -> tuple[Button, ...]:
    language = turn.translator.language
    return tuple(Button(f"ask:entry:{e.id}", short(e.question(language))) for e in entries)


def render_entry(
    turn: Turn, entry: Entry, related: list[Entry], score: float, also: tuple[Entry, ...] = ()
) -> Reply:
    """The fact first, then its source, then up to three related questions. A question
    asking two things gets the entry answering the other part too (`also`), each fact
    with its own source."""
    language = turn.translator.language

    def sourced(shown: Entry) -> str:
        source = turn._("Theo {source}").format(source=shown.text("source", language))
        if shown.officer_written:
            source = shown.text("source", language)
        return f"{shown.text('answer', language)}\n\n📄 {source}"

    text = "\n\n".join(sourced(shown) for shown in (entry, *also))
    shown_ids = {entry.id, *(e.id for e in also)}
    related = [e for e in related if e.id not in shown_ids]
    return Reply(
        text,
        entry_buttons(turn, related[:3]),
        answer_id=entry.id,
        score=round(score, 3),
    )


_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def has_words(text: str) -> bool:
    return _LETTER_OR_DIGIT.search(text) is not None


# What people say that is not a question, folded; answered kindly, never searched.
GREETINGS = {"xin chao", "chao", "chao ban", "chao bot", "alo", "hello", "hi", "chao ad"}
THANKS = {"cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "tks", "cam on a"}
ACKNOWLEDGEMENTS = {"ok", "oke", "okay", "vang", "da", "u", "uh", "um", "duoc", "dc", "co"}


def small_talk(turn: Turn, question: str) -> list[Reply] | None:
    """A friendly answer to a greeting, thanks or a bare "ok"/number; None for a question."""
    said = fold(question).strip(" .!?,").replace("  ", " ")
    _ = turn._
    if said in GREETINGS:
        return turn.menu_reply(_("Chào bạn! Bạn cứ gõ câu hỏi về phong trào, hoặc chọn bên dưới."))
    if said in THANKS:
        return turn.menu_reply(_("Không có chi! Bạn cần gì thêm cứ hỏi nhé."))
    if said in ACKNOWLEDGEMENTS or said.isdigit():
        return turn.menu_reply(_("Bạn gõ câu hỏi đầy đủ giúp mình, hoặc chọn bên dưới nhé."))
    return None


async def answer_question(turn: Turn, question: str) -> list[Reply]:
    """Answer `question` from the knowledge base, or offer suggestions or a person."""
    _ = turn._
    if not has_words(question):
        return turn.menu_reply(_("Bạn gõ câu hỏi bằng chữ giúp mình nhé, ví dụ: “OCOP là gì?”"))
    chat = small_talk(turn, question)
    if chat is not None:
        turn.finish()
        return chat
    result = turn.services.knowledge.index.answer(question, turn.province)
    if result.best is not None:
        turn.finish()
        related = [m.entry for m in result.suggestions]
        also = tuple(m.entry for m in result.composed)
        return [render_entry(turn, result.best.entry, related, result.best.confidence, also)]
    turn.begin("ask", "offered", {"question": question})
    handoff = Button("ask:handoff", _("📨 Gửi câu hỏi cho cán bộ"))
    if result.suggestions:
        suggestions = entry_buttons(turn, [m.entry for m in result.suggestions])
        return [Reply(_("Ý bạn là…?"), (*suggestions, handoff))]
    return [
        Reply(
            _(
                "Mình chưa có câu trả lời chắc chắn cho câu này. Bạn muốn gửi câu hỏi "
                "cho cán bộ phụ trách không? Cán bộ sẽ thấy câu hỏi và tên hiển thị của "
                "bạn, và trả lời bạn ngay tại đây."
            ),
            (handoff, Button("ask:nothanks", _("Không, cảm ơn"))),
        )
    ]


async def ask_command(turn: Turn) -> list[Reply]:
    """`/hoi [question]`."""
    if turn.args:
        return await answer_question(turn, turn.args)
    turn.begin("ask", "waiting")
    return [Reply(turn._("Bạn cứ gõ câu hỏi, có dấu hay không dấu đều được."))]


async def open_ask(turn: Turn) -> list[Reply]:
    turn.begin("ask", "waiting")
    return [Reply(turn._("Bạn cứ gõ câu hỏi, có dấu hay không dấu đều được."))]


async def typed_question(turn: Turn) -> list[Reply]:
    return await answer_question(turn, turn.incoming.text or "")


async def show_entry(turn: Turn) -> list[Reply]:
    """A suggested or related question, pressed."""
    index = turn.services.knowledge.index
    entry = index.by_id.get(turn.args)
    if entry is None:
        return turn.menu_reply(turn._("Lựa chọn này đã hết hạn. Bạn chọn lại từ menu nhé."))
    turn.finish()
    related = [m.entry for m in index.search(entry.questions[0], turn.province, limit=4)]
    return [render_entry(turn, entry, [e for e in related if e.id != entry.id], 1.0)]


async def hand_off(turn: Turn) -> list[Reply]:
    """Send the waiting question to the officers of the contact's area. Pressing the
    button is the explicit consent to share the question with them; it is recorded."""
    _ = turn._
    question = str(turn.state.data.get("question", "")).strip()
    if not question:
        return turn.menu_reply(_("Lựa chọn này đã hết hạn. Bạn chọn lại từ menu nhé."))
    contact = turn.contact
    row = OfficerQuestion(
        contact_id=contact.id,
        province=turn.province,
        area=contact.area,
        text=question,
        status="open",
        created_at=turn.now,
    )
    turn.session.add(row)
    await grant_consent(turn.session, contact.id, HANDOFF_PURPOSE, HANDOFF_WORDING, turn.now)
    await turn.session.flush()
    await notify_officers(turn, row)
    turn.finish()
    return turn.menu_reply(
        _(
            "Đã gửi câu hỏi số {number} cho cán bộ. Khi có trả lời, mình sẽ nhắn bạn ngay tại đây."
        ).format(number=row.id)
    )


async def notify_officers(turn: Turn, question: OfficerQuestion) -> None:
    """Tell the officers responsible for the question's province that it is waiting."""
    officers = await turn.session.scalars(
        select(Contact).where(Contact.role.in_(("officer", "admin")), Contact.blocked.is_(False))
    )
    for officer in officers:
        if not covers(officer.area, question.province, question.area):
            continue
        translator = turn.services.catalogs.translator(officer.language)
        notice = translator.gettext("Có câu hỏi mới số {number} chờ trả lời. Gõ /hopthu để xem.")
        reply = Reply(notice.format(number=question.id), language=translator.language)
        turn.send_later(officer.id, [reply])


async def no_thanks(turn: Turn) -> list[Reply]:
    turn.finish()
    return turn.menu_reply(turn._("Không sao. Bạn cần gì thêm cứ hỏi nhé."))


journey = Journey(
    name="ask",
    commands={"hoi": ask_command},
    buttons={"open": open_ask, "entry": show_entry, "handoff": hand_off, "nothanks": no_thanks},
    steps={"waiting": typed_question, "offered": typed_question},
    entry_actions=frozenset({"open", "entry"}),
    menu_label=N_("❓ Hỏi đáp"),
    menu_order=10,
    help={"hoi": N_("hỏi về phong trào (hoặc gõ thẳng câu hỏi)")},
)


async def free_text(turn: Turn) -> list[Reply]:
    """Free text outside any flow is a question."""
    return await answer_question(turn, turn.incoming.text or "")
