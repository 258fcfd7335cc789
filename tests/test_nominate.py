"""Nominating through any channel: every kind, editing, resuming, consent, receipts."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.config import Settings
from handlers.flood import FloodGate
from handlers.types import Incoming, Reply
from storage.media import add_media
from storage.models import Consent, Contact, FormDraft, Media, Nomination, NominationEvent
from tests.chat import Chat
from tests.conftest import Clock

CODE = re.compile(r"DC-[2-9A-HJKMNP-Z]{5}")
ACHIEVEMENTS = "Thôn có 100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông."


async def stored_photo(app: ChungSuc, clock: Clock) -> str:
    """A photo as a channel leaves it before the turn: stored, nobody's yet."""
    token = secrets.token_urlsafe(24)
    async with app.sessions.begin() as session:
        await add_media(
            session,
            token=token,
            sha256=secrets.token_hex(32),
            content_type="image/jpeg",
            size=1000,
            width=10,
            height=10,
            platform_ref=None,
            created_at=clock(),
        )
    return token


async def send_photo(chat: Chat, token: str) -> list[Reply]:
    return await chat.engine.handle(Incoming(chat.channel, chat.external_id, media=token))


async def count(app: ChungSuc, model: type) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def fill_until_summary(
    chat: Chat, kind: str = "village", nominee: str = "Thôn Tân Hiệp"
) -> None:
    await chat.say("/decu")
    await chat.press(f"nominate:f:kind:{kind}")
    await chat.say(nominee)
    await chat.say("xa cua tung")
    assert "Xã Cửa Tùng" in chat.text and "đúng không" in chat.text
    await chat.press("nominate:f:commune:yes")
    if kind != "village":
        await chat.press("nominate:skip:village")
    await chat.say(ACHIEVEMENTS)
    await chat.press("nominate:skip:photos")
    await chat.say("Lê Thị Lan")
    await chat.say("0912 345 678")
    await chat.press("nominate:f:consent_data:yes")
    await chat.press("nominate:f:consent_contact:yes")
    await chat.press("nominate:f:nominee_consent:not_asked")


@pytest.mark.parametrize("kind", ["village", "initiative", "exemplary"])
async def test_villager_nominates_each_kind_and_gets_a_receipt_code(
    chat: Chat, app: ChungSuc, kind: str
) -> None:
    await fill_until_summary(chat, kind)
    assert "Xem lại đề cử" in chat.text and "Lê Thị Lan" in chat.text
    assert "nominate:edit:nominee" in chat.button_ids()
    await chat.press("nominate:send")
    code = CODE.search(chat.text)
    assert code, chat.text
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
        events = (await session.scalars(select(NominationEvent))).all()
        purposes = sorted((await session.scalars(select(Consent.purpose))).all())
    assert nomination.code == code.group(0)
    assert nomination.kind == kind and nomination.status == "submitted"
    assert nomination.commune_code == "19414" and nomination.nominator_phone == "+84912345678"
    assert [e.to_status for e in events] == ["submitted"]
    assert purposes == ["nomination", "nomination_contact"]
    assert await count(app, FormDraft) == 0


async def test_receipt_code_typed_in_any_form_shows_status_to_its_nominator(
    chat: Chat, app: ChungSuc
) -> None:
    await fill_until_summary(chat)
    await chat.press("nominate:send")
    code = CODE.search(chat.text)
    assert code
    await chat.say(code.group(0).lower().replace("-", ""))
    assert "Hồ sơ " + code.group(0) in chat.text
    assert "đang chờ xem xét" in chat.text
    await chat.say("/hoso")
    assert code.group(0) in chat.text

    stranger = Chat(app.engine, "zalo", "z" * 20)
    await stranger.say(code.group(0))
    assert "Không tìm thấy hồ sơ" in stranger.text and "Tân Hiệp" not in stranger.text


async def test_nominator_withdraws_before_a_decision(chat: Chat, app: ChungSuc) -> None:
    await fill_until_summary(chat)
    await chat.press("nominate:send")
    code = CODE.search(chat.text)
    assert code
    await chat.say(code.group(0))
    await chat.press(f"track:withdraw:{code.group(0)}")
    await chat.press(f"track:withdrawn:{code.group(0)}")
    assert "Đã rút hồ sơ" in chat.text
    async with app.sessions() as session:
        statuses = (await session.scalars(select(NominationEvent.to_status))).all()
    assert list(statuses) == ["submitted", "withdrawn"]


async def test_editing_a_field_from_the_summary_returns_to_the_summary(chat: Chat) -> None:
    await fill_until_summary(chat)
    await chat.press("nominate:edit:nominee")
    assert "Tên thôn" in chat.text
    await chat.say("Thôn Hà Lợi")
    assert "Xem lại đề cử" in chat.text and "Thôn Hà Lợi" in chat.text


async def test_nomination_survives_restart_mid_form(settings: Settings, clock: Clock) -> None:
    first = ChungSuc(settings, clock=clock)
    person = Chat(first.engine, "telegram", "4242")
    await person.say("/decu")
    await person.press("nominate:f:kind:initiative")
    await person.say("Mô hình nuôi bò nhốt chuồng")
    await first.stop()

    second = ChungSuc(settings, clock=clock)
    person.engine = second.engine
    try:
        await person.say("cua tung")
        assert "Xã Cửa Tùng" in person.text
    finally:
        await second.stop()


async def test_draft_survives_start_and_an_officer_notice(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/decu")
    await chat.press("nominate:f:kind:exemplary")
    await chat.say("Hộ ông Nguyễn Văn An")
    async with app.sessions() as session:
        contact_id = (await session.scalars(select(Contact.id))).one()
    await app.engine.services.outbox.send(contact_id, [Reply("Cán bộ đã trả lời câu hỏi.")])
    await chat.say("/start")
    await chat.say("/decu")
    assert "điền dở" in chat.text
    await chat.press("nominate:resume")
    assert "xã, phường nào" in chat.text


async def test_cancel_inside_the_form_asks_before_discarding(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    await chat.say("/huy")
    assert "Bỏ bản đang điền" in chat.text
    await chat.press("nominate:resume")
    assert "Tên thôn" in chat.text
    await chat.say("hủy")
    await chat.press("nominate:discard")
    assert await count(app, FormDraft) == 0


async def test_declining_consent_keeps_nothing_personal(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    await chat.say("Thôn Tân Hiệp")
    await chat.say("Cửa Tùng")
    await chat.press("nominate:f:commune:yes")
    await chat.say(ACHIEVEMENTS)
    await chat.press("nominate:skip:photos")
    await chat.say("Lê Thị Lan")
    await chat.say("0912345678")
    await chat.press("nominate:f:consent_data:no")
    assert "không giữ thông tin nào" in chat.text
    assert await count(app, FormDraft) == 0
    assert await count(app, Nomination) == 0
    assert await count(app, Consent) == 0
    # A minute later the person may start again from scratch.
    await chat.say("/decu")
    assert "Bạn muốn đề cử gì" in chat.text


async def test_bad_answers_get_a_polite_answer_and_the_same_step(chat: Chat) -> None:
    async def answer(text: str) -> str:
        return "\n".join(reply.text for reply in await chat.say(text))

    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    await chat.say("Thôn Tân Hiệp")
    assert "chưa tìm thấy nơi này" in await answer("asdfgh qwerty")
    await chat.say("Cửa Tùng")
    await chat.press("nominate:f:commune:yes")
    assert "Ngắn quá" in await answer("tốt lắm")
    assert "Dài quá" in await answer("x" * 3001)
    assert "dài quá" in (await answer("x" * 10_000)).lower()
    await chat.say(ACHIEVEMENTS)
    assert "gửi ảnh" in await answer("tôi gửi chữ")
    await chat.press("nominate:skip:photos")
    await chat.say("Lan")
    for wrong in ("123", "+1 202 555 0143", "09123"):
        said = await answer(wrong)
        assert "Số điện thoại chưa đúng" in said and "Số điện thoại của bạn" in said
    assert "đồng ý cho cán bộ" in await answer("84912345678")
    assert "bấm một trong các nút" in await answer("ok")


async def test_photos_at_any_step_join_the_form_up_to_five(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    # Two dozen messages within a second or two: faster than any person, past the flood
    # limit that would stop a person.
    app.engine.flood = FloodGate(limit=10**9)
    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    # A photo before the photo step still belongs to the nomination.
    replies = await send_photo(chat, await stored_photo(app, clock))
    assert "Đã nhận ảnh 1/5" in replies[0].text
    assert "Tên thôn" in replies[1].text
    await chat.say("Thôn Tân Hiệp")
    await chat.say("Cửa Tùng")
    await chat.press("nominate:f:commune:yes")
    await chat.say(ACHIEVEMENTS)
    for _ in range(4):
        replies = await send_photo(chat, await stored_photo(app, clock))
    assert "Đã nhận ảnh 5/5" in replies[0].text
    replies = await send_photo(chat, await stored_photo(app, clock))
    assert "Đã đủ 5 ảnh" in replies[0].text
    for problem, words in [
        ("sticker", "không nhận nhãn dán"),
        ("too_large", "lớn quá"),
        ("not_image", "không phải ảnh"),
    ]:
        replies = await chat.engine.handle(
            Incoming(chat.channel, chat.external_id, attachment=problem)
        )
        assert words in replies[0].text
    await chat.press("nominate:done:photos")
    await chat.say("Lê Thị Lan")
    await chat.say("0912345678")
    await chat.press("nominate:f:consent_data:yes")
    await chat.press("nominate:f:consent_contact:no")
    await chat.press("nominate:f:nominee_consent:yes")
    assert "Ảnh minh chứng: 5 tấm" in chat.text
    assert chat.last.photo and chat.last.photo.startswith("media:")
    await chat.press("nominate:send")
    async with app.sessions() as session:
        attached = await session.scalar(
            select(func.count()).select_from(Media).where(Media.nomination_id.is_not(None))
        )
    assert attached == 5
    assert await count(app, Media) == 5


async def test_buttons_of_an_earlier_step_do_not_change_the_draft(chat: Chat) -> None:
    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    await chat.say("Thôn Tân Hiệp")
    replies = await chat.press("nominate:f:kind:exemplary")
    assert "hết hạn" in replies[0].text
    await chat.say("Cửa Tùng")
    assert "Xã Cửa Tùng" in chat.text


async def send_from_the_commune_on(chat: Chat) -> None:
    """The rest of a nomination by Lê Văn Nam, from "Cửa Tùng" to "Gửi"."""
    await chat.say("Cửa Tùng")
    await chat.press("nominate:f:commune:yes")
    await chat.press("nominate:skip:village")
    await chat.say(ACHIEVEMENTS)
    await chat.press("nominate:skip:photos")
    await chat.say("Lê Văn Nam")
    await chat.say("0912345678")
    await chat.press("nominate:f:consent_data:yes")
    await chat.press("nominate:f:consent_contact:yes")
    await chat.press("nominate:f:nominee_consent:yes")
    await chat.press("nominate:send")


async def test_member_files_an_initiative_for_their_organisation(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/start")
    async with app.sessions.begin() as session:
        contact = (await session.scalars(select(Contact))).one()
        contact.role = "member"
        contact.organisation = "Hội Nông dân xã Cửa Tùng"
    await chat.say("/decu")
    assert any("Hội Nông dân xã Cửa Tùng" in label for label in chat.labels())
    await chat.press("nominate:f:kind:member_initiative")
    await chat.press("nominate:f:filer:self")
    await chat.say("Mô hình tổ hợp tác nuôi tôm")
    await send_from_the_commune_on(chat)
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
    assert nomination.kind == "initiative"
    assert nomination.organisation == "Hội Nông dân xã Cửa Tùng"


async def test_village_head_files_for_an_elder_who_agreed_orally(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/start")
    async with app.sessions.begin() as session:
        contact = (await session.scalars(select(Contact))).one()
        contact.role = "member"
        contact.organisation = "Chi hội Người cao tuổi"
    await chat.say("/decu")
    await chat.press("nominate:f:kind:exemplary")
    await chat.press("nominate:f:filer:proxy")
    await chat.say("Cụ Trần Văn Bảy")
    await chat.press("nominate:skip:proxy_phone")
    await chat.press("nominate:f:proxy_agreed:yes")
    await chat.say("Cụ Trần Văn Bảy")
    await send_from_the_commune_on(chat)
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
        purposes = set((await session.scalars(select(Consent.purpose))).all())
    assert nomination.proxy_for_name == "Cụ Trần Văn Bảy"
    assert nomination.nominator_name == "Lê Văn Nam"
    assert "proxy_oral" in purposes


async def test_first_nomination_asks_whether_the_commune_is_home(chat: Chat, app: ChungSuc) -> None:
    await fill_until_summary(chat)
    await chat.press("nominate:send")
    assert "Bạn có sống ở Xã Cửa Tùng" in chat.text
    code = CODE.search(chat.text)
    assert code
    await chat.press(f"track:home:{code.group(0)}")
    async with app.sessions() as session:
        contact = (await session.scalars(select(Contact))).one()
    assert contact.area == "19414"
