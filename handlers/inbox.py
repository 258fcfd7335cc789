"""The officers' inbox (`/hopthu`): questions the bot could not answer, answered by a
person, delivered to the asker, and optionally saved as a new knowledge entry."""

from __future__ import annotations

from sqlalchemy import select, update

from content.i18n import N_
from content.knowledge import officer_entry
from handlers.ask import short
from handlers.engine import Journey
from handlers.errors import NotFound
from handlers.officer import audit, covers, require_officer
from handlers.types import Button, Reply, Turn
from storage.models import Contact, KnowledgeEntry, OfficerQuestion

PAGE = 8


async def list_open(turn: Turn) -> list[Reply]:
    """The oldest open questions in the officer's area."""
    require_officer(turn)
    _ = turn._
    rows = await turn.session.scalars(
        select(OfficerQuestion).where(OfficerQuestion.status == "open").order_by(OfficerQuestion.id)
    )
    mine = [q for q in rows if covers(turn.contact.area, q.province, q.area)]
    audit(turn, "inbox.listed", count=len(mine))
    if not mine:
        return [Reply(_("Hộp thư trống: chưa có câu hỏi nào chờ cán bộ trả lời."))]
    buttons = tuple(Button(f"inbox:answer:{q.id}", short(f"#{q.id} {q.text}")) for q in mine[:PAGE])
    text = _("Có {count} câu hỏi chờ trả lời. Chọn một câu để trả lời:").format(count=len(mine))
    return [Reply(text, buttons)]


async def _question_in_scope(turn: Turn, raw_id: str) -> OfficerQuestion:
    question = await turn.session.get(OfficerQuestion, int(raw_id)) if raw_id.isdigit() else None
    if question is None or not covers(turn.contact.area, question.province, question.area):
        raise NotFound()
    return question


async def start_answer(turn: Turn) -> list[Reply]:
    require_officer(turn)
    question = await _question_in_scope(turn, turn.args)
    if question.status != "open":
        return [Reply(turn._("Câu hỏi này đã được trả lời rồi."))]
    turn.begin("inbox", "answering", {"question_id": question.id})
    audit(turn, "question.opened", target=f"question:{question.id}")
    return [
        Reply(
            turn._("Câu hỏi số {number}: “{text}”\nGõ câu trả lời của bạn (hoặc /huy).").format(
                number=question.id, text=question.text
            )
        )
    ]


async def typed_answer(turn: Turn) -> list[Reply]:
    """Store the answer, deliver it to the asker in their language, audit it."""
    require_officer(turn)
    _ = turn._
    answer = (turn.incoming.text or "").strip()
    question = await _question_in_scope(turn, str(turn.state.data.get("question_id", "")))
    if question.status != "open":
        turn.finish()
        return [Reply(_("Câu hỏi này đã được trả lời rồi."))]
    # Conditional, so two officers answering at once cannot both send an answer.
    claimed = await turn.session.execute(
        update(OfficerQuestion)
        .where(OfficerQuestion.id == question.id, OfficerQuestion.status == "open")
        .values(
            status="answered",
            answer=answer,
            answered_at=turn.now,
            answered_by_contact_id=turn.contact.id,
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        turn.finish()
        return [Reply(_("Câu hỏi này đã được trả lời rồi."))]
    await turn.session.refresh(question)
    asker = await turn.session.get(Contact, question.contact_id)
    if asker is not None:
        words = turn.services.catalogs.translator(asker.language)
        notice = words.gettext("Cán bộ đã trả lời câu hỏi của bạn: “{question}”\n\n{answer}")
        text = notice.format(question=question.text, answer=answer)
        turn.send_later(asker.id, [Reply(text, language=words.language)])
    audit(turn, "question.answered", target=f"question:{question.id}")
    turn.finish()
    return [
        Reply(
            _("Đã gửi câu trả lời cho người hỏi."),
            (
                Button(f"inbox:save:{question.id}", _("💾 Lưu vào kho kiến thức")),
                Button("inbox:open", _("📥 Câu hỏi khác")),
            ),
        )
    ]


async def save_to_knowledge(turn: Turn) -> list[Reply]:
    """Save an answered question to the knowledge base in two short steps: a general
    question, then an answer fit for everyone. The asker's words and an answer written
    to one person may name people or places; nothing is published unreviewed."""
    require_officer(turn)
    _ = turn._
    question = await _question_in_scope(turn, turn.args)
    if question.answer is None or question.knowledge_entry_id is not None:
        return [Reply(_("Câu hỏi này đã được lưu hoặc chưa có trả lời."))]
    turn.begin("inbox", "phrasing", {"question_id": question.id})
    return [
        Reply(
            _(
                "Viết lại câu hỏi cho khái quát (bỏ tên người, số điện thoại, địa chỉ), "
                "hoặc /huy. Câu hỏi gốc: “{text}”"
            ).format(text=question.text),
            (Button("inbox:keep:question", _("Giữ nguyên câu hỏi")),),
        )
    ]


async def typed_phrasing(turn: Turn) -> list[Reply]:
    require_officer(turn)
    return await _ask_answer_wording(turn, (turn.incoming.text or "").strip())


async def keep_phrasing(turn: Turn) -> list[Reply]:
    """ "Giữ nguyên": the original question, or (second step) the original answer."""
    require_officer(turn)
    if turn.args == "answer":
        return await _save_from_state(turn, None)
    return await _ask_answer_wording(turn, "")


async def typed_answer_wording(turn: Turn) -> list[Reply]:
    require_officer(turn)
    return await _save_from_state(turn, (turn.incoming.text or "").strip() or None)


async def _ask_answer_wording(turn: Turn, phrasing: str) -> list[Reply]:
    _ = turn._
    question = await _question_in_scope(turn, str(turn.state.data.get("question_id", "")))
    turn.advance("answer_wording", phrasing=phrasing or question.text)
    return [
        Reply(
            _(
                "Câu trả lời sẽ hiện cho mọi người hỏi câu này. Viết lại nếu cần (bỏ tên, "
                "địa chỉ), hoặc giữ nguyên: “{text}”"
            ).format(text=question.answer or ""),
            (Button("inbox:keep:answer", _("Giữ nguyên câu trả lời")),),
        )
    ]


async def _save_from_state(turn: Turn, answer: str | None) -> list[Reply]:
    question = await _question_in_scope(turn, str(turn.state.data.get("question_id", "")))
    phrasing = str(turn.state.data.get("phrasing") or question.text)
    return await _save(turn, question, phrasing, answer or question.answer or "")


async def _save(turn: Turn, question: OfficerQuestion, phrasing: str, answer: str) -> list[Reply]:
    """Store the entry, marked as officer-written, and add it to the live index."""
    turn.finish()
    if question.answer is None or question.knowledge_entry_id is not None:
        return [Reply(turn._("Câu hỏi này đã được lưu hoặc chưa có trả lời."))]
    # Only a display name is ever published; a chat or session id would let anyone
    # reach (or, on the web, impersonate) the officer.
    author = turn.contact.name or ""
    row = KnowledgeEntry(
        province=question.province,
        topic="participate",
        question=phrasing,
        answer=answer,
        author=author,
        author_contact_id=turn.contact.id,
        created_at=turn.now,
    )
    turn.session.add(row)
    await turn.session.flush()
    question.knowledge_entry_id = row.id
    audit(turn, "knowledge.added", target=f"knowledge:{row.id}", question=question.id)
    entry = officer_entry(
        row_id=row.id,
        province=row.province,
        topic=row.topic,
        question=row.question,
        answer=row.answer,
        author=author,
        written_at=row.created_at,
    )
    turn.on_commit.append(lambda: turn.services.knowledge.add(entry))
    return turn.menu_reply(turn._("Đã lưu. Từ giờ bot sẽ tự trả lời câu hỏi này."))


journey = Journey(
    name="inbox",
    commands={"hopthu": list_open},
    buttons={
        "open": list_open,
        "answer": start_answer,
        "save": save_to_knowledge,
        "keep": keep_phrasing,
    },
    steps={
        "answering": typed_answer,
        "phrasing": typed_phrasing,
        "answer_wording": typed_answer_wording,
    },
    entry_actions=frozenset({"open"}),
    menu_label=N_("📥 Hộp thư cán bộ"),
    menu_order=110,
    officer_only=True,
    help={"hopthu": N_("câu hỏi chờ cán bộ trả lời (cán bộ)")},
)
