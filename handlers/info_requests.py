"""Answering an officer (`/traloi`): the information asked for a nomination (text and
new photos, which join the same submission and put it back in the queue), or the one
question an officer asked back about a question in their inbox."""

from __future__ import annotations

from content.i18n import N_
from handlers.ask import short
from handlers.engine import Journey
from handlers.submissions import status_words
from handlers.types import Button, Reply, Turn
from storage.lifecycle import NOMINATOR, TransitionRefused, transition
from storage.media import attach_media, take_media
from storage.models import Contact, InfoRequest, Nomination, OfficerQuestion, QuestionFollowup
from storage.review import waiting_followups, waiting_info_requests

MAX_PHOTOS = 5
MAX_ANSWER = 3000
INFO = "info"
BACK = "back"
# Told to the officer who asked, in their language.
INFO_ADDED = N_("Người đề cử đã bổ sung hồ sơ {code} ({nominee}). Gõ /duyet để xem.")
BACK_REPLIED = N_(
    "Người hỏi đã trả lời câu bạn hỏi lại (câu hỏi số {number}): “{reply}”. Gõ /hopthu để trả lời."
)


async def start(turn: Turn) -> list[Reply]:
    """What officers wait for from this person: one goes straight to answering, several
    are offered as buttons."""
    _ = turn._
    requests = await waiting_info_requests(turn.session, turn.contact.id)
    followups = await waiting_followups(turn.session, turn.contact.id)
    if len(requests) + len(followups) == 1:
        if requests:
            return _begin_info(turn, *requests[0])
        return _begin_back(turn, *followups[0])
    if not requests and not followups:
        return turn.menu_reply(_("Hiện không có câu hỏi nào của cán bộ chờ bạn trả lời."))
    buttons = [
        Button(f"reply:pick:{INFO}:{request.id}", short(f"{nomination.code} {request.question}"))
        for nomination, request in requests
    ] + [
        Button(f"reply:pick:{BACK}:{followup.id}", short(f"#{question.id} {followup.text}"))
        for question, followup in followups
    ]
    return [Reply(_("Cán bộ đang chờ bạn trả lời. Bạn trả lời câu nào?"), tuple(buttons))]


async def pick(turn: Turn) -> list[Reply]:
    kind, _, raw = turn.args.partition(":")
    if kind == INFO:
        for nomination, request in await waiting_info_requests(turn.session, turn.contact.id):
            if str(request.id) == raw:
                return _begin_info(turn, nomination, request)
    else:
        for question, followup in await waiting_followups(turn.session, turn.contact.id):
            if str(followup.id) == raw:
                return _begin_back(turn, question, followup)
    return turn.menu_reply(turn._("Câu hỏi này đã được trả lời rồi."))


def _begin_info(turn: Turn, nomination: Nomination, request: InfoRequest) -> list[Reply]:
    turn.begin("reply", INFO, {"request": request.id, "text": "", "photos": []})
    return [
        Reply(
            turn._(
                "Cán bộ hỏi về hồ sơ {code} ({nominee}): “{question}”\nGõ câu trả lời; có "
                "ảnh thì gửi kèm (tối đa 5). Xong thì bấm “Gửi bổ sung”, hoặc /huy."
            ).format(code=nomination.code, nominee=nomination.nominee, question=request.question)
        )
    ]


def _begin_back(turn: Turn, question: OfficerQuestion, followup: QuestionFollowup) -> list[Reply]:
    turn.begin("reply", BACK, {"followup": followup.id})
    return [
        Reply(
            turn._(
                "Cán bộ hỏi lại về câu hỏi “{question}” của bạn: “{text}”\nGõ câu trả lời."
            ).format(question=question.text, text=followup.text)
        )
    ]


def _received(turn: Turn, text: str) -> list[Reply]:
    return [Reply(text, (Button("reply:done", turn._("✅ Gửi bổ sung")),))]


async def typed_info(turn: Turn) -> list[Reply]:
    """Text for the nomination: kept until "Gửi bổ sung", several messages allowed."""
    data = turn.state.data
    text = "\n".join(part for part in (str(data.get("text") or ""), turn.incoming.text) if part)
    if len(text) > MAX_ANSWER:
        return _received(
            turn,
            turn._("Dài quá: tối đa {n} ký tự. Bạn rút gọn giúp mình nhé.").format(n=MAX_ANSWER),
        )
    turn.advance(INFO, text=text)
    return _received(turn, turn._("Đã ghi. Gửi thêm chữ hoặc ảnh, hoặc bấm “Gửi bổ sung”."))


async def attachment(turn: Turn) -> list[Reply]:
    """A photo for the nomination; anything else gets a word on what is wanted."""
    _ = turn._
    incoming = turn.incoming
    if turn.state.step != INFO:
        return [Reply(_("Ở bước này bạn gõ chữ giúp mình nhé."))]
    photos = [str(token) for token in turn.state.data.get("photos") or []]
    if not incoming.media:
        return _received(
            turn, _("Mình cần ảnh chụp, không nhận nhãn dán, tệp, video hay tin nhắn thoại.")
        )
    if len(photos) >= MAX_PHOTOS:
        return _received(turn, _("Đã đủ {n} ảnh, mình không nhận thêm.").format(n=MAX_PHOTOS))
    media = await take_media(turn.session, incoming.media, turn.contact.id)
    if media is None:
        return _received(turn, _("Mình không đọc được ảnh này. Bạn gửi lại giúp mình nhé."))
    if media.token not in photos:
        photos.append(media.token)
    turn.advance(INFO, photos=photos)
    return _received(
        turn,
        _("Đã nhận ảnh {n}/{m}. Gửi thêm, hoặc bấm “Gửi bổ sung”.").format(
            n=len(photos), m=MAX_PHOTOS
        ),
    )


async def done(turn: Turn) -> list[Reply]:
    """Send the answer: it joins the submission, which goes back to the queue, and the
    officer who asked is told."""
    _ = turn._
    data = turn.state.data
    request = await turn.session.get(InfoRequest, int(data.get("request") or 0))
    text = str(data.get("text") or "").strip()
    photos = [str(token) for token in data.get("photos") or []]
    nomination = await turn.session.get(Nomination, request.nomination_id) if request else None
    if request is None or nomination is None or nomination.nominator_contact_id != turn.contact.id:
        turn.finish()
        return turn.menu_reply(_("Câu hỏi này đã được trả lời rồi."))
    if not text and not photos:
        return [Reply(_("Bạn chưa gửi gì. Gõ câu trả lời hoặc gửi ảnh trước nhé."))]
    try:
        await transition(
            turn.session,
            nomination.id,
            "add_info",
            actor_contact_id=turn.contact.id,
            actor_role=NOMINATOR,
            at=turn.now,
            note=short(text, 300) if text else None,
        )
    except TransitionRefused as refused:
        turn.finish()
        return turn.menu_reply(
            _("Hồ sơ {code} không còn chờ bổ sung: {status}.").format(
                code=nomination.code, status=status_words(turn, refused.current or "")
            )
        )
    await attach_media(turn.session, photos, nomination.id)
    request.answer = text or None
    request.photos = len(photos)
    request.answered_at = turn.now
    await _tell(
        turn,
        request.asked_by_contact_id,
        INFO_ADDED,
        code=nomination.code,
        nominee=nomination.nominee,
    )
    turn.finish()
    return turn.menu_reply(
        _("Cảm ơn bạn! Đã gửi phần bổ sung; hồ sơ {code} trở lại hàng chờ duyệt.").format(
            code=nomination.code
        )
    )


async def typed_back(turn: Turn) -> list[Reply]:
    """The asker's reply to an officer's question back: it returns to the same item."""
    _ = turn._
    followup = await turn.session.get(QuestionFollowup, int(turn.state.data.get("followup") or 0))
    question = await turn.session.get(OfficerQuestion, followup.question_id) if followup else None
    turn.finish()
    if (
        followup is None
        or question is None
        or question.contact_id != turn.contact.id
        or followup.replied_at is not None
    ):
        return turn.menu_reply(_("Câu hỏi này đã được trả lời rồi."))
    followup.reply = (turn.incoming.text or "").strip()[:MAX_ANSWER]
    followup.replied_at = turn.now
    await _tell(
        turn,
        followup.asked_by_contact_id,
        BACK_REPLIED,
        number=question.id,
        reply=short(followup.reply, 300),
    )
    return turn.menu_reply(_("Cảm ơn bạn! Mình đã chuyển câu trả lời cho cán bộ."))


async def _tell(turn: Turn, contact_id: int | None, message: str, **values: object) -> None:
    """A notice to an officer, in their language."""
    officer = await turn.session.get(Contact, contact_id) if contact_id else None
    if officer is None or officer.blocked:
        return
    words = turn.services.catalogs.translator(officer.language)
    reply = Reply(words.gettext(message).format(**values), language=words.language)
    turn.send_later(officer.id, [reply])


journey = Journey(
    name="reply",
    commands={"traloi": start},
    buttons={"open": start, "pick": pick, "done": done},
    steps={INFO: typed_info, BACK: typed_back},
    entry_actions=frozenset({"open"}),
    on_attachment=attachment,
    help={"traloi": N_("trả lời câu cán bộ hỏi bạn")},
)
