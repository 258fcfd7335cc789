"""The inbox on the dashboard in a real browser: a question handed over by the bot is
answered, the asker receives the answer on Telegram, and it is saved, rephrased, to the
knowledge base; officers of other areas and citizens are refused."""

from __future__ import annotations

from sqlalchemy import select

from content.areas import load_areas
from storage.models import AuditEntry, KnowledgeEntry, OfficerQuestion
from tests.chat import Chat
from tests.dashboard_browser import person, signed_in
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_dashboard_announcements import CUA_TUNG, VINH_THUY, csrf_of, desk, telegram
from tests.test_dashboard_auth import Desk

__all__ = ["desk", "telegram"]
ASKER = 7301


async def handed_over(desk: Desk, telegram: FakeTelegramAPI) -> OfficerQuestion:
    telegram.add_user(ASKER, "Lan")
    asker = await person(desk, str(ASKER), channel="telegram", area=CUA_TUNG, name="Lan")
    question = OfficerQuestion(
        contact_id=asker.id,
        province="quang-tri",
        area=CUA_TUNG,
        text="Nhà tôi ở thôn 3 muốn làm đường bê tông thì xin hỗ trợ ở đâu?",
        status="open",
        created_at=desk.app.services.clock(),
    )
    async with desk.app.sessions.begin() as session:
        session.add(question)
    return question


async def test_an_officer_answers_a_question_and_saves_it_rephrased(
    desk: Desk, telegram: FakeTelegramAPI
) -> None:
    question = await handed_over(desk, telegram)
    officer = await person(desk, "o1", role="officer", area="quang-tri", name="Minh")
    tab = await signed_in(desk, officer)
    await tab.goto(f"{desk.base}/dashboard/questions")
    card = tab.locator("article", has_text=f"Câu hỏi số {question.id}")
    commune = load_areas().get(CUA_TUNG).name  # type: ignore[union-attr]
    assert "Telegram · " in await card.inner_text()
    assert f"· {commune} · Lan" in await card.inner_text()
    await tab.get_by_label(f"Câu trả lời cho câu hỏi số {question.id}").fill(
        "Bạn liên hệ UBND xã để đăng ký theo cơ chế Nhà nước và nhân dân cùng làm."
    )
    await tab.get_by_role("button", name="Gửi câu trả lời").click()
    await tab.get_by_text("Đã gửi câu trả lời cho người hỏi.").wait_for()
    [message] = await telegram.wait_for_messages(ASKER, 1)
    assert "Cán bộ đã trả lời câu hỏi của bạn" in message["text"]
    assert "Nhà nước và nhân dân cùng làm" in message["text"]

    await tab.get_by_label(f"Câu hỏi chung (số {question.id})").fill(
        "Muốn làm đường bê tông trong thôn thì xin hỗ trợ ở đâu?"
    )
    await tab.get_by_role("button", name="Lưu vào kho kiến thức").click()
    await tab.get_by_text("Đã lưu. Từ giờ bot sẽ tự trả lời câu hỏi này.").wait_for()
    async with desk.app.sessions() as session:
        entry = await session.scalar(select(KnowledgeEntry))
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert entry is not None and entry.question.startswith("Muốn làm đường bê tông")
    assert entry.author == "Minh"
    assert "question.answered" in actions and "knowledge.added" in actions
    assert await tab.get_by_role("button", name="Lưu vào kho kiến thức").count() == 0

    villager = Chat(desk.app.engine, "web", "v" * 22)
    await villager.say("/start")
    await villager.press("province:quang-tri")
    answer = await villager.say("làm đường bê tông trong thôn xin hỗ trợ ở đâu")
    assert any("Nhà nước và nhân dân cùng làm" in reply.text for reply in answer)


async def test_officers_of_other_areas_and_citizens_cannot_answer(
    desk: Desk, telegram: FakeTelegramAPI
) -> None:
    question = await handed_over(desk, telegram)
    other = await person(desk, "o2", role="officer", area=VINH_THUY)
    tab = await signed_in(desk, other)
    await tab.goto(f"{desk.base}/dashboard/questions")
    assert await tab.locator("article").count() == 0
    forged = {"csrf": await csrf_of(tab), "answer": "Trả lời giả."}
    answer = await tab.request.post(
        f"{desk.base}/dashboard/questions/{question.id}/answer", form=forged
    )
    assert answer.status == 404
    citizen = await person(desk, "c1")
    citizen_tab = await signed_in(desk, citizen)
    assert (await citizen_tab.request.get(f"{desk.base}/dashboard/questions")).status == 403
    for action in ("answer", "save"):
        refused = await citizen_tab.request.post(
            f"{desk.base}/dashboard/questions/{question.id}/{action}", form={"answer": "x"}
        )
        assert refused.status == 403
    async with desk.app.sessions() as session:
        still = await session.get(OfficerQuestion, question.id)
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "inbox.refused")
        )
    assert still is not None and still.status == "open"
    assert audited is not None and audited.actor_contact_id == other.id
    assert telegram.messages_to(ASKER) == []
