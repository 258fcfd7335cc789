"""The officers' inbox on the dashboard: questions the bot could not answer, with who
asked, where, when and on which channel; answered here and delivered to the asker
through the outbox exactly as in chat (`handlers.inbox.answer_question`), then saved,
rephrased for everyone, to the knowledge base (`handlers.inbox.save_knowledge`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import PREFIX, Dashboard, NavItem
from bot.dashboard.auth import SignedIn, guarded
from content.areas import load_areas
from content.i18n import N_
from handlers.inbox import CHANNEL_NAMES, answer_question, save_knowledge
from storage.dashboard_figures import answered_not_saved
from storage.models import Contact, OfficerQuestion
from storage.review import open_questions

PATH = PREFIX + "/questions"
NAV = (NavItem(PATH, N_("Câu hỏi"), 40),)
PAGE = 50
MAX_ANSWER = 3000


def _context(signed: SignedIn, question: OfficerQuestion, asker: Contact) -> dict[str, str]:
    """Channel, time, commune and name of who asked."""
    _ = signed._
    commune = load_areas().get(question.area or "")
    return {
        "channel": _(CHANNEL_NAMES.get(asker.channel, asker.channel)),
        "at": signed.translator.datetime(question.created_at),
        "place": commune.name if commune else _("chưa rõ xã"),
        "name": asker.name or _("(không tên)"),
    }


async def inbox_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    async with signed.dashboard.sessions.begin() as session:
        total, waiting = await open_questions(session, signed.scope, PAGE)
        answered = await answered_not_saved(session, signed.scope, PAGE)
        signed.audit(session, "inbox.listed", count=total)
    values = {
        "total": total,
        "waiting": [(q, _context(signed, q, a), f) for q, a, f in waiting],
        "answered": [(q, _context(signed, q, a)) for q, a in answered],
        "done": request.query.get("done", ""),
        "max_answer": MAX_ANSWER,
    }
    return signed.dashboard.render(request, signed, "questions.html", values)


def _field(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:MAX_ANSWER] if isinstance(value, str) else ""


async def _question(
    request: web.Request, signed: SignedIn, session: AsyncSession, attempted: str
) -> OfficerQuestion | None:
    """The question the path names if the officer covers it; None (audited) if not."""
    raw = request.match_info.get("id", "")
    question = await session.get(OfficerQuestion, int(raw)) if raw.isdigit() else None
    if question is None or not signed.scope.covers_question(question):
        signed.audit(session, "inbox.refused", f"question:{raw[:20]}", attempted=attempted)
        return None
    return question


async def answer(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Deliver the officer's answer to the asker, in the asker's language."""
    dashboard = signed.dashboard
    text = _field(await request.post(), "answer")
    channels: set[str] = set()
    async with dashboard.sessions.begin() as session:
        question = await _question(request, signed, session, "answer")
        if question is not None and text:
            notices = await answer_question(
                session, dashboard.catalogs, question, signed.contact, text, signed.now
            )
            if notices is not None:
                channels = await dashboard.queue_notices(session, notices)
    if question is None:
        raise dashboard.not_found(request, signed)
    dashboard.wake(channels)
    raise web.HTTPSeeOther(f"{PATH}?done=answered" if channels else f"{PATH}?done=taken")


async def save(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Save an answered question to the knowledge base, as the officer rephrased it."""
    dashboard = signed.dashboard
    form = await request.post()
    entry = None
    async with dashboard.sessions.begin() as session:
        question = await _question(request, signed, session, "save")
        if question is not None:
            phrasing = _field(form, "question") or question.text
            wording = _field(form, "answer") or question.answer or ""
            entry = await save_knowledge(
                session, question, signed.contact, phrasing, wording, signed.now
            )
    if question is None:
        raise dashboard.not_found(request, signed)
    if entry is not None:
        dashboard.services.knowledge.add(entry)
    raise web.HTTPSeeOther(f"{PATH}?done=saved")


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    return [
        web.get(PATH, guarded("questions")(inbox_page)),
        web.post(PATH + "/{id}/answer", guarded("question.answer")(answer)),
        web.post(PATH + "/{id}/save", guarded("question.save")(save)),
    ]
