"""The officers' inbox (`/hopthu`): questions the bot could not answer, shown with who
asked, where, when and on which channel, answered by a person, delivered to the asker,
and optionally saved as a new knowledge entry. An officer may ask the asker one
question back; the reply returns to the same item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from content.areas import load_areas
from content.i18n import N_, Catalogs
from content.kb import Entry
from content.knowledge import officer_entry
from handlers.ask import short
from handlers.engine import Journey
from handlers.officer import area_name, audit, officer_scope, require_officer
from handlers.types import Button, Reply, Turn
from storage.audit import actor_label, record_audit
from storage.models import Contact, KnowledgeEntry, OfficerQuestion, QuestionFollowup
from storage.review import followup_of, open_questions

PAGE = 8
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "web": N_("trang web")}
MIN_QUESTION_BACK = 5


def _context(turn: Turn, question: OfficerQuestion, asker: Contact | None) -> str:
    """Channel, time, commune and name of who asked: "Zalo · 08:00 2/3/26 · Xã Cửa
    Tùng · Lan"."""
    _ = turn._
    channel = _(CHANNEL_NAMES.get(asker.channel, asker.channel)) if asker else "—"
    commune = load_areas().get(question.area or "")
    if commune is not None:
        place = commune.name
    elif question.province:
        place = _("{province}, chưa rõ xã").format(province=area_name(turn, question.province))
    else:
        place = _("chưa rõ nơi")
    name = (asker.name if asker else None) or _("(không tên)")
    return f"{channel} · {turn.translator.datetime(question.created_at)} · {place} · {name}"


def _followup_lines(turn: Turn, followup: QuestionFollowup | None) -> list[str]:
    _ = turn._
    if followup is None:
        return []
    lines = [_("↩️ Đã hỏi lại: “{text}”").format(text=followup.text)]
    if followup.replied_at is None:
        lines.append(_("⏳ Chờ người hỏi trả lời."))
    else:
        lines.append(_("💬 Người hỏi trả lời: “{reply}”").format(reply=followup.reply or ""))
    return lines


async def list_open(turn: Turn) -> list[Reply]:
    """The oldest open questions in the officer's area, with their context."""
    require_officer(turn)
    _ = turn._
    total, rows = await open_questions(turn.session, officer_scope(turn), PAGE)
    audit(turn, "inbox.listed", count=total)
    if not rows:
        return [Reply(_("Hộp thư trống: chưa có câu hỏi nào chờ cán bộ trả lời."))]
    lines = [_("Có {count} câu hỏi chờ trả lời. Chọn một câu để trả lời:").format(count=total)]
    for question, asker, followup in rows:
        lines.append(f"#{question.id} · {_context(turn, question, asker)}: {short(question.text)}")
        if followup is not None:
            lines += ["   " + line for line in _followup_lines(turn, followup)]
    buttons = tuple(
        Button(f"inbox:answer:{q.id}", short(f"#{q.id} {q.text}")) for q, _asker, _f in rows
    )
    return [Reply("\n".join(lines), buttons)]


async def _question_in_scope(turn: Turn, raw_id: str, attempted: str) -> OfficerQuestion | None:
    """The question if the officer covers it; None (audited) when it is gone or not theirs."""
    question = await turn.session.get(OfficerQuestion, int(raw_id)) if raw_id.isdigit() else None
    if question is None or not officer_scope(turn).covers_question(question):
        audit(turn, "inbox.refused", target=f"question:{raw_id}", attempted=attempted)
        return None
    return question


def _gone(turn: Turn) -> list[Reply]:
    turn.finish()
    return turn.menu_reply(turn._("Không tìm thấy câu hỏi này. Có thể người hỏi đã xóa dữ liệu."))


async def start_answer(turn: Turn) -> list[Reply]:
    require_officer(turn)
    question = await _question_in_scope(turn, turn.args, "open")
    if question is None:
        return _gone(turn)
    if question.status != "open":
        return [Reply(turn._("Câu hỏi này đã được trả lời rồi."))]
    asker = await turn.session.get(Contact, question.contact_id)
    followup = await followup_of(turn.session, question.id)
    turn.begin("inbox", "answering", {"question_id": question.id})
    audit(turn, "question.opened", target=f"question:{question.id}")
    lines = [
        turn._("Câu hỏi số {number}: “{text}”").format(number=question.id, text=question.text),
        turn._("Từ: {context}").format(context=_context(turn, question, asker)),
        *_followup_lines(turn, followup),
        turn._("Gõ câu trả lời của bạn (hoặc /huy)."),
    ]
    buttons: tuple[Button, ...] = ()
    if followup is None:
        buttons = (Button(f"inbox:askback:{question.id}", turn._("↩️ Hỏi lại người hỏi")),)
    return [Reply("\n".join(lines), buttons)]


async def ask_back(turn: Turn) -> list[Reply]:
    """Ask the asker one question back; their reply comes back to this item."""
    require_officer(turn)
    question = await _question_in_scope(turn, turn.args, "ask_back")
    if question is None:
        return _gone(turn)
    if question.status != "open" or await followup_of(turn.session, question.id) is not None:
        audit(turn, "inbox.refused", target=f"question:{question.id}", attempted="ask_back")
        return [
            Reply(turn._("Mỗi câu hỏi chỉ hỏi lại được một lần, hoặc câu hỏi đã được trả lời."))
        ]
    turn.begin("inbox", "asking_back", {"question_id": question.id})
    return [Reply(turn._("Gõ câu bạn muốn hỏi lại người hỏi (hoặc /huy)."))]


async def typed_ask_back(turn: Turn) -> list[Reply]:
    require_officer(turn)
    _ = turn._
    question = await _question_in_scope(
        turn, str(turn.state.data.get("question_id", "")), "ask_back"
    )
    if question is None:
        return _gone(turn)
    text = " ".join((turn.incoming.text or "").split())
    if sum(ch.isalpha() for ch in text) < MIN_QUESTION_BACK:
        return [Reply(_("Câu hỏi ngắn quá. Gõ rõ hơn giúp mình (hoặc /huy)."))]
    if question.status != "open" or await followup_of(turn.session, question.id) is not None:
        turn.finish()
        return [Reply(_("Mỗi câu hỏi chỉ hỏi lại được một lần, hoặc câu hỏi đã được trả lời."))]
    turn.session.add(
        QuestionFollowup(
            question_id=question.id,
            asked_by_contact_id=turn.contact.id,
            text=text,
            asked_at=turn.now,
        )
    )
    asker = await turn.session.get(Contact, question.contact_id)
    if asker is not None:
        words = turn.services.catalogs.translator(asker.language)
        notice = words.gettext(
            "Cán bộ hỏi lại về câu hỏi “{question}” của bạn: “{text}”\n"
            "Gõ /traloi để trả lời ngay tại đây."
        ).format(question=short(question.text, 200), text=text)
        turn.send_later(asker.id, [Reply(notice, language=words.language)])
    audit(turn, "question.asked_back", target=f"question:{question.id}")
    turn.finish()
    return [
        Reply(
            _(
                "Đã gửi câu hỏi lại. Khi người hỏi trả lời, câu hỏi số {number} hiện trong "
                "/hopthu kèm câu trả lời của họ."
            ).format(number=question.id),
            (Button("inbox:open", _("📥 Câu hỏi khác")),),
        )
    ]


async def typed_answer(turn: Turn) -> list[Reply]:
    """Store the answer, deliver it to the asker in their language, audit it."""
    require_officer(turn)
    _ = turn._
    answer = (turn.incoming.text or "").strip()
    question = await _question_in_scope(turn, str(turn.state.data.get("question_id", "")), "answer")
    if question is None:
        return _gone(turn)
    notices = await answer_question(
        turn.session, turn.services.catalogs, question, turn.contact, answer, turn.now
    )
    turn.finish()
    if notices is None:
        return [Reply(_("Câu hỏi này đã được trả lời rồi."))]
    for contact_id, replies in notices:
        turn.send_later(contact_id, replies)
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
    question = await _question_in_scope(turn, turn.args, "save")
    if question is None:
        return _gone(turn)
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
    question = await _question_in_scope(turn, str(turn.state.data.get("question_id", "")), "save")
    if question is None:
        return _gone(turn)
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
    question = await _question_in_scope(turn, str(turn.state.data.get("question_id", "")), "save")
    if question is None:
        return _gone(turn)
    phrasing = str(turn.state.data.get("phrasing") or question.text)
    return await _save(turn, question, phrasing, answer or question.answer or "")


async def _save(turn: Turn, question: OfficerQuestion, phrasing: str, answer: str) -> list[Reply]:
    """Store the entry, marked as officer-written, and add it to the live index."""
    turn.finish()
    entry = await save_knowledge(turn.session, question, turn.contact, phrasing, answer, turn.now)
    if entry is None:
        return [Reply(turn._("Câu hỏi này đã được lưu hoặc chưa có trả lời."))]
    turn.on_commit.append(lambda: turn.services.knowledge.add(entry))
    return turn.menu_reply(turn._("Đã lưu. Từ giờ bot sẽ tự trả lời câu hỏi này."))


Notices = list[tuple[int, list[Reply]]]


async def answer_question(
    session: AsyncSession,
    catalogs: Catalogs,
    question: OfficerQuestion,
    officer: Contact,
    answer: str,
    now: datetime,
) -> Notices | None:
    """Store an officer's answer and audit it; the message owed to the asker, in their
    language (for the caller's outbox), or None when the question was answered already.
    Shared by chat and the dashboard; the caller has checked the officer's area."""
    if question.status != "open":
        return None
    # Conditional, so two officers answering at once cannot both send an answer.
    claimed = await session.execute(
        update(OfficerQuestion)
        .where(OfficerQuestion.id == question.id, OfficerQuestion.status == "open")
        .values(
            status="answered",
            answer=answer,
            answered_at=now,
            answered_by_contact_id=officer.id,
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await session.refresh(question)
    notices: Notices = []
    asker = await session.get(Contact, question.contact_id)
    if asker is not None:
        words = catalogs.translator(asker.language)
        notice = words.gettext("Cán bộ đã trả lời câu hỏi của bạn: “{question}”\n\n{answer}")
        text = notice.format(question=question.text, answer=answer)
        notices.append((asker.id, [Reply(text, language=words.language)]))
    _record(session, officer, "question.answered", now, f"question:{question.id}")
    return notices


def _record(
    session: AsyncSession,
    officer: Contact,
    action: str,
    now: datetime,
    target: str,
    **details: object,
) -> None:
    record_audit(
        session,
        actor=actor_label(officer),
        actor_contact_id=officer.id,
        action=action,
        at=now,
        target=target,
        details=dict(details),
    )


async def save_knowledge(
    session: AsyncSession,
    question: OfficerQuestion,
    officer: Contact,
    phrasing: str,
    answer: str,
    now: datetime,
) -> Entry | None:
    """Store an answered question as an officer-written knowledge entry and audit it;
    the entry for the live search index (add it once the unit of work commits), or None
    when the question has no answer or was saved already."""
    if question.answer is None or question.knowledge_entry_id is not None:
        return None
    # Only a display name is ever published; a chat or session id would let anyone
    # reach (or, on the web, impersonate) the officer.
    author = officer.name or ""
    row = KnowledgeEntry(
        province=question.province,
        topic="participate",
        question=phrasing,
        answer=answer,
        author=author,
        author_contact_id=officer.id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    question.knowledge_entry_id = row.id
    _record(session, officer, "knowledge.added", now, f"knowledge:{row.id}", question=question.id)
    return officer_entry(
        row_id=row.id,
        province=row.province,
        topic=row.topic,
        question=row.question,
        answer=row.answer,
        author=author,
        written_at=row.created_at,
    )


journey = Journey(
    name="inbox",
    commands={"hopthu": list_open},
    buttons={
        "open": list_open,
        "answer": start_answer,
        "save": save_to_knowledge,
        "keep": keep_phrasing,
        "askback": ask_back,
    },
    steps={
        "answering": typed_answer,
        "phrasing": typed_phrasing,
        "answer_wording": typed_answer_wording,
        "asking_back": typed_ask_back,
    },
    entry_actions=frozenset({"open"}),
    menu_label=N_("📥 Hộp thư cán bộ"),
    menu_order=110,
    officer_only=True,
    help={"hopthu": N_("câu hỏi chờ cán bộ trả lời (cán bộ)")},
)
