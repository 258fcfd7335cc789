"""Journeys as a person lives them, through a recording chat on a fresh database."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.app import ChungSuc
from storage.contacts import find_contact
from storage.models import Consent, Contact, ConversationState, Interaction
from tests.chat import Chat
from tests.test_documents import document_body


async def contact_of(app: ChungSuc, chat: Chat) -> Contact:
    async with app.sessions() as session:
        contact = await find_contact(session, chat.channel, chat.external_id)
    assert contact is not None
    return contact


async def test_start_greets_asks_province_then_shows_menu(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/start")
    assert "Xin chào" in chat.text
    assert chat.labels() == ["Quảng Trị", "An Giang"]
    await chat.press_label("An Giang")
    assert "Đã chọn tỉnh An Giang" in chat.text
    assert "🔔 Nhận thông báo" in chat.labels()
    assert (await contact_of(app, chat)).province == "an-giang"


async def test_menu_shows_only_built_journeys(chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("province:set:quang-tri")
    assert chat.button_ids() == [
        "ask:open",
        "browse:open",
        "nominate:open",
        "track:open",
        "subscribe:open",
        "data:open",
        "language:open",
    ]


async def test_province_can_be_typed_without_diacritics(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/start")
    await chat.say("quang tri")
    assert "Đã chọn tỉnh Quảng Trị" in chat.text
    await chat.say("/tinh")
    await chat.say("Hà Nội")
    assert "chưa nhận ra" in chat.text
    assert (await contact_of(app, chat)).province == "quang-tri"


async def test_language_switch_answers_in_english_from_then_on(chat: Chat) -> None:
    await chat.say("/ngonngu")
    await chat.press_label("English")
    assert chat.text == "Switched to English."
    assert "🔒 My data" in chat.labels()
    await chat.say("/huy")
    assert chat.text.startswith("Nothing is in progress")


async def test_cancel_leaves_any_flow(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dulieu")
    await chat.press("data:delete")
    await chat.say("/huy")
    assert chat.text.startswith("Đã hủy")
    await chat.say("xoa")
    async with app.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Interaction))
    assert count and count > 4, "the delete was cancelled, nothing was erased"


async def test_start_escapes_a_flow(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dulieu")
    await chat.press("data:delete")
    await chat.say("/start")
    async with app.sessions() as session:
        state = await session.get(ConversationState, (await contact_of(app, chat)).id)
    assert state is not None and state.journey == "province"


async def test_stale_button_gets_expired_notice_and_menu(chat: Chat) -> None:
    await chat.say("/dulieu")
    await chat.press("data:delete")
    await chat.press("data:keep")
    await chat.press("data:erase")
    assert "hết hạn" in chat.text
    assert "data:open" in chat.button_ids()
    await chat.press("nosuch:thing")
    assert "hết hạn" in chat.text


async def test_subscribe_records_consent_and_stop_withdraws_it(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dangky")
    assert chat.text.startswith("Đã đăng ký")
    assert (await contact_of(app, chat)).subscribed
    await chat.say("DỪNG")
    assert "Đã ngừng" in chat.text
    contact = await contact_of(app, chat)
    assert not contact.subscribed
    async with app.sessions() as session:
        consents = (await session.scalars(select(Consent))).all()
    assert [(c.purpose, c.withdrawn_at is not None) for c in consents] == [("announcements", True)]


async def test_my_data_shows_download_and_withdraw(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dangky")
    await chat.say("/dulieu")
    assert "Tên hiển thị: Lan" in chat.text
    assert "nhận thông báo của phong trào" in chat.text
    await chat.press("data:download")
    exported = json.loads(await document_body(app, chat.last))
    assert exported["contact"]["subscribed"] is True
    assert any(m["text"] == "/dangky" for m in exported["messages"])
    await chat.say("/dulieu")
    await chat.press("data:withdraw")
    await chat.press("data:unconsent:announcements")
    assert "Đã rút lại đồng ý" in chat.text
    assert not (await contact_of(app, chat)).subscribed


async def test_delete_my_data_erases_messages_and_profile(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dangky")
    await chat.say("/dulieu")
    await chat.press("data:delete")
    await chat.say("XÓA")
    assert "Đã xóa" in chat.text
    contact = await contact_of(app, chat)
    assert contact.name is None and not contact.subscribed
    async with app.sessions() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(Interaction)
            .where(Interaction.contact_id == contact.id)
        )
        consents = (await session.scalars(select(Consent))).all()
    assert left == 0
    assert consents and all(c.withdrawn_at is not None for c in consents), "kept as evidence"


async def test_every_message_in_and_out_is_logged(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/start")
    await chat.press("province:set:an-giang")
    async with app.sessions() as session:
        rows = (await session.scalars(select(Interaction).order_by(Interaction.id))).all()
    assert [(r.direction, r.kind) for r in rows] == [
        ("in", "command"),
        ("out", "text"),
        ("in", "button"),
        ("out", "text"),
    ]
    assert rows[2].button_id == "province:set:an-giang"


async def test_bad_input_gets_polite_answers(chat: Chat, app: ChungSuc) -> None:
    await chat.say("")
    assert "chọn bên dưới" in chat.text
    await chat.say("x" * 4001)
    assert "dài quá" in chat.text
    await chat.say("\x00\x07\u202e")
    assert chat.last.buttons
    await chat.say("/khonglenh")
    assert "/khonglenh" in chat.text
    await chat.say("🌾🌾🌾")
    assert chat.last.buttons
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.direction == "in")
        )
    assert count == 5


async def test_help_lists_commands(chat: Chat) -> None:
    await chat.say("/help")
    for command in ("/start", "/dangky", "/huydangky", "/dulieu", "/ngonngu", "/tinh", "/huy"):
        assert command in chat.text


async def test_people_are_served_independently(app: ChungSuc) -> None:
    lan, minh = Chat(app.engine, "web", "l" * 22), Chat(app.engine, "zalo", "m" * 22)
    await lan.say("/ngonngu")
    await lan.press("language:set:en")
    await minh.say("/help")
    assert minh.text.startswith("Các lệnh")


async def test_citizen_help_and_menu_hide_officer_commands(chat: Chat) -> None:
    await chat.say("/help")
    assert "/hopthu" not in chat.text and "/thongke" not in chat.text
    assert "inbox:open" not in chat.button_ids()


async def test_stop_word_unsubscribes_even_mid_flow(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dangky")
    await chat.say("gia lua hom nay")
    await chat.say("DỪNG")
    assert "Đã ngừng" in chat.text
    assert not (await contact_of(app, chat)).subscribed


async def test_dung_meaning_right_does_not_unsubscribe(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dangky")
    await chat.say("đúng")
    assert (await contact_of(app, chat)).subscribed


async def test_greetings_and_thanks_get_a_friendly_answer(chat: Chat) -> None:
    await chat.say("Xin chào")
    assert chat.text.startswith("Chào bạn!")
    await chat.say("cảm ơn")
    assert chat.text.startswith("Không có chi")
    await chat.say("3")
    assert "📄" not in chat.text


async def test_question_typed_at_province_step_is_answered(chat: Chat) -> None:
    await chat.say("/start")
    await chat.say("ocop la gi vay")
    assert "OCOP" in chat.text and "📄" in chat.text
