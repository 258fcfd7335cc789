"""The officers' inbox shows who asked, where, when and on which channel, and an officer
may ask the asker one question back; the reply returns to the same item."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import ChungSuc
from storage.models import Contact, OfficerQuestion
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_review import CUA_TUNG, commune_officer, notices, offer, officer, province_officer

QUESTION = "Xã tôi muốn mở lớp dạy nghề đan lát thì xin hỗ trợ ở đâu?"


async def asker_in_cua_tung(app: ChungSuc) -> Chat:
    asker = Chat(app.engine, "zalo", "z" * 22, name="Lê Thị Lan")
    await asker.say("/start")
    await asker.press("province:set:quang-tri")
    async with app.sessions.begin() as session:
        contact = await session.scalar(select(Contact).where(Contact.external_id == "z" * 22))
        assert contact is not None
        contact.area = CUA_TUNG
    await asker.say(QUESTION)
    await asker.press("ask:handoff")
    assert "Đã gửi câu hỏi số 1" in asker.text
    return asker


async def test_the_inbox_shows_channel_time_commune_and_name(app: ChungSuc, clock: Clock) -> None:
    await asker_in_cua_tung(app)
    staff = await province_officer(app, clock)
    await staff.say("/hopthu")
    assert "#1 · Zalo · 15:00 2/3/26 · Xã Cửa Tùng · Lê Thị Lan: Xã tôi muốn" in staff.text
    await staff.press("inbox:answer:1")
    assert "Từ: Zalo · 15:00 2/3/26 · Xã Cửa Tùng · Lê Thị Lan" in staff.text
    commune = await commune_officer(app, clock)
    await commune.say("/hopthu")
    assert "Lê Thị Lan" in commune.text, "the commune's officer sees their commune's question"
    other = await officer(app, clock, "19405", "o" * 22, "Cán bộ xã Vĩnh Thủy")
    await other.say("/hopthu")
    assert "trống" in other.text


async def test_an_officer_asks_back_once_and_the_reply_returns_to_the_item(
    app: ChungSuc, clock: Clock
) -> None:
    asker = await asker_in_cua_tung(app)
    staff = await province_officer(app, clock)
    await staff.say("/hopthu")
    await staff.press("inbox:answer:1")
    await staff.press("inbox:askback:1")
    await staff.say("ok")
    assert "ngắn quá" in staff.text
    await staff.say("Bạn muốn học nghề đan lát bằng tre hay bằng mây?")
    assert "Đã gửi câu hỏi lại" in staff.text
    [back] = await notices(app, asker)
    assert "bằng tre hay bằng mây" in back and "/traloi" in back

    await asker.say("/traloi")
    assert "bằng tre hay bằng mây" in asker.text
    await asker.say("Đan lát bằng mây tre, khoảng 20 người muốn học.")
    assert "đã chuyển câu trả lời" in asker.text
    assert any("khoảng 20 người" in n for n in await notices(app, staff))

    await staff.say("/hopthu")
    assert "Người hỏi trả lời: “Đan lát bằng mây tre" in staff.text
    await staff.press("inbox:answer:1")
    assert "inbox:askback:1" not in staff.button_ids(), "one question back only"
    await offer(app, staff, "inbox:askback:1")
    await staff.press("inbox:askback:1")
    assert "chỉ hỏi lại được một lần" in staff.text
    await staff.press("inbox:open")
    await staff.press("inbox:answer:1")
    await staff.say("Bạn đăng ký với Hội Nông dân xã để mở lớp mây tre đan nhé.")
    assert "Đã gửi câu trả lời" in staff.text
    async with app.sessions() as session:
        question = (await session.scalars(select(OfficerQuestion))).one()
    assert question.status == "answered"
    await asker.say("/traloi")
    assert "không có câu hỏi nào" in asker.text
