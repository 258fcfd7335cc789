"""Asking questions: sourced answers, suggestions, handoff to officers and back."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.config import load_settings
from handlers.ask import short
from storage.invites import create_invite
from storage.models import AuditEntry, Consent, Interaction, KnowledgeEntry, OfficerQuestion
from tests.chat import Chat
from tests.conftest import Clock


async def officer(app: ChungSuc, clock: Clock, area: str | None = "quang-tri") -> Chat:
    async with app.sessions.begin() as session:
        code = await create_invite(session, role="officer", area=area, created_by="t", now=clock())
    person = Chat(app.engine, "telegram", "7001", name="Cán bộ Hà")
    await person.say(f"/canbo {code}")
    return person


async def test_question_without_diacritics_gets_fact_and_source(chat: Chat, app: ChungSuc) -> None:
    await chat.say("ocop la gi")
    assert "OCOP" in chat.text
    assert "📄 Theo " in chat.text
    async with app.sessions() as session:
        out = (
            await session.scalars(select(Interaction).where(Interaction.direction == "out"))
        ).one()
    assert out.answer_id is not None and out.score is not None


async def test_question_naming_another_province_answers_for_it(chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("province:set:quang-tri")
    await chat.say("Kế hoạch 861 của An Giang ban hành ngày nào?")
    assert "861" in chat.text and "19/12/2022" in chat.text


async def test_dialect_question_about_an_ended_target_gets_it_with_its_own_source(
    chat: Chat,
) -> None:
    await chat.say("/start")
    await chat.press("province:set:an-giang")
    await chat.say("năm 2023 tỉnh mình tính thêm nhiêu xã nông thôn mới dzậy ad")
    assert "08 xã" in chat.text and "📄 Theo " in chat.text
    assert "861/KH-UBND" in chat.text and "1872" not in chat.text
    assert "đã kết thúc" in chat.text and "51/2025/QĐ-TTg" in chat.text


async def test_chat_spelled_definition_is_answered(chat: Chat) -> None:
    await chat.say("xa ntm la gi vay ad")
    assert "19 tiêu chí" in chat.text and "📄 Theo " in chat.text


async def test_related_question_buttons_open_their_answers(chat: Chat) -> None:
    await chat.say("muc tieu xa ntm quang tri 2025")
    assert 1 <= len(chat.last.buttons) <= 3
    first = chat.last.buttons[0]
    await chat.press(first.id)
    assert "📄" in chat.text


async def test_out_of_scope_question_offers_an_officer(chat: Chat) -> None:
    await chat.say("giá vàng hôm nay bao nhiêu một chỉ")
    assert "📄" not in chat.text, "no confident answer"
    assert "ask:handoff" in chat.button_ids()


async def test_emoji_only_question_gets_polite_answer(chat: Chat) -> None:
    await chat.say("🙏🙏")
    assert "bằng chữ" in chat.text


async def test_handoff_reaches_officer_and_answer_comes_back(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    staff = await officer(app, clock)
    await chat.say("/start")
    await chat.press("province:set:quang-tri")
    await chat.say("Xã tôi muốn mở lớp dạy nghề đan lát thì xin hỗ trợ ở đâu?")
    await chat.press("ask:handoff")
    assert "Đã gửi câu hỏi số 1" in chat.text

    await staff.say("/hopthu")
    assert "1 câu hỏi" in staff.text
    await staff.press("inbox:answer:1")
    await staff.say("Bạn liên hệ UBND xã để đăng ký lớp dạy nghề nhé.")
    assert "Đã gửi câu trả lời" in staff.text
    await staff.press("inbox:save:1")
    assert "khái quát" in staff.text
    await staff.say("Muốn mở lớp dạy nghề đan lát ở xã thì xin hỗ trợ ở đâu?")
    assert "hiện cho mọi người" in staff.text
    await staff.say("Bà con liên hệ UBND xã để đăng ký lớp dạy nghề nhé.")
    assert "Đã lưu" in staff.text
    await app.engine.drain()

    async with app.sessions() as session:
        question = (await session.scalars(select(OfficerQuestion))).one()
        delivered = (
            await session.scalars(
                select(Interaction.text).where(Interaction.contact_id == question.contact_id)
            )
        ).all()
        consents = (await session.scalars(select(Consent.purpose))).all()
        actions = (await session.scalars(select(AuditEntry.action))).all()
        saved = (await session.scalars(select(KnowledgeEntry))).one()
    assert question.status == "answered"
    assert any(t and t.startswith("Cán bộ đã trả lời") for t in delivered)
    assert "question_handoff" in consents
    assert {"question.answered", "knowledge.added"} <= set(actions)
    assert saved.author == "Cán bộ Hà"

    await chat.say("xa toi muon mo lop day nghe dan lat xin ho tro o dau")
    assert "Bà con liên hệ UBND xã để đăng ký lớp dạy nghề" in chat.text
    assert "Cán bộ Cán bộ Hà trả lời" in chat.text


async def test_officer_of_another_province_does_not_see_the_question(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    staff = await officer(app, clock, area="an-giang")
    await chat.say("/start")
    await chat.press("province:set:quang-tri")
    await chat.say("thủ tục cấp sổ đỏ thế nào")
    await chat.press("ask:handoff")
    await staff.say("/hopthu")
    assert "trống" in staff.text
    await staff.press("inbox:answer:1")
    assert "hết hạn" in staff.text or "Không tìm thấy" in staff.text


async def test_officer_saved_answer_survives_restart(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    staff = await officer(app, clock, area=None)
    await chat.say("lịch họp chi hội tháng này khi nào")
    await chat.press("ask:handoff")
    await staff.say("/hopthu")
    await staff.press("inbox:answer:1")
    await staff.say("Chi hội họp vào ngày 15 hằng tháng.")
    await staff.press("inbox:save:1")
    await staff.press("inbox:keep:question")
    await staff.press("inbox:keep:answer")
    again = ChungSuc(app.settings, clock=clock)
    await again.load_officer_knowledge()
    try:
        asker = Chat(again.engine, chat.channel, chat.external_id)
        await asker.say("lich hop chi hoi thang nay khi nao")
        assert "ngày 15 hằng tháng" in asker.text
    finally:
        await again.stop()


async def test_browse_walks_topics_to_an_answer(chat: Chat) -> None:
    await chat.say("/timhieu")
    assert "browse:topic:goals" in chat.button_ids()
    await chat.press("browse:topic:goals")
    entries = [b for b in chat.button_ids() if b.startswith("ask:entry:")]
    assert entries
    await chat.press(entries[0])
    assert "📄" in chat.text


async def test_english_contact_gets_english_answer(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/ngonngu")
    await chat.press("language:set:en")
    await chat.say("ocop la gi")
    assert "Source:" in chat.text
    await chat.say("when was plan 861 of an giang issued")
    assert "19 December 2022" in chat.text and "Source:" in chat.text
    entries = app.knowledge.index.by_id
    for button in chat.last.buttons:
        entry = entries[button.id.removeprefix("ask:entry:")]
        assert button.label == short(entry.questions_en[0]), "related questions in English"


async def test_odd_questions_get_polite_answers_and_are_logged(chat: Chat, app: ChungSuc) -> None:
    odd = ["OCOP 是什么 là gì", "Ѕао ОСОР", "\u200b\u200bocop\u0007 la gi", "a" * 4001, "   "]
    for text in odd:
        replies = await chat.say(text)
        assert replies and replies[-1].text
    async with app.sessions() as session:
        logged = (
            await session.scalars(select(Interaction.text).where(Interaction.direction == "in"))
        ).all()
    assert len(logged) == len(odd)
    assert "ocop la gi" in logged


async def test_officer_who_erases_data_keeps_only_their_own_province(
    app: ChungSuc, clock: Clock
) -> None:
    staff = await officer(app, clock, area="quang-tri")
    await staff.say("/dulieu")
    await staff.press("data:delete")
    await staff.press("data:erase")
    await staff.press("data:erase")
    assert "hết hạn" in staff.text, "the old confirm button is not offered any more"
    asker = Chat(app.engine, "web", "k" * 22)
    await asker.say("/start")
    await asker.press("province:set:an-giang")
    await asker.say("thủ tục cấp sổ đỏ thế nào")
    await asker.press("ask:handoff")
    await staff.say("/hopthu")
    assert "trống" in staff.text


async def test_question_gone_mid_answer_ends_the_officer_step(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    staff = await officer(app, clock, area=None)
    await chat.say("lịch họp chi hội tháng này khi nào")
    await chat.press("ask:handoff")
    await staff.say("/hopthu")
    await staff.press("inbox:answer:1")
    await chat.say("/dulieu")
    await chat.press("data:delete")
    await chat.say("XÓA")
    await staff.say("Chi hội họp ngày 15.")
    assert "Không tìm thấy" in staff.text
    await staff.say("ocop la gi")
    assert "OCOP" in staff.text, "back to normal questions, not stuck in the step"


async def test_handoff_and_answer_on_postgresql(postgres_url: str, clock: Clock) -> None:
    app = ChungSuc(
        load_settings(database_url=postgres_url, web_port=0, admins="web:" + "a" * 24),
        clock=clock,
    )
    try:
        asker = Chat(app.engine, "zalo", "z" * 22)
        staff = Chat(app.engine, "web", "a" * 24)
        await asker.say("lịch họp chi hội tháng này khi nào")
        await asker.press("ask:handoff")
        await staff.say("/hopthu")
        await staff.press("inbox:answer:1")
        await staff.say("Chi hội họp ngày 15 hằng tháng.")
        await staff.press("inbox:save:1")
        await staff.press("inbox:keep:question")
        await staff.press("inbox:keep:answer")
        await app.engine.drain()
        await asker.say("lich hop chi hoi thang nay khi nao")
        assert "ngày 15 hằng tháng" in asker.text
        async with app.sessions() as session:
            logged = await session.scalar(select(func.count()).select_from(Interaction))
        assert logged and logged >= 14
    finally:
        await app.stop()
