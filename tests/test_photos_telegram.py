"""Photos, files and phone numbers on Telegram, against the fake Bot API: what the
journeys receive when a person sends them, and what the person sees when the bot does."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import ChungSuc
from bot.config import Settings
from handlers.types import Button, Incoming, Reply
from storage.media import media_by_token
from storage.models import InboundUpdate, Media
from tests.conftest import Clock, unhandled_updates
from tests.fakes.photos import GPS_IFD, camera_jpeg, png_image, watch_engine
from tests.fakes.telegram_api import FakeTelegramAPI, UploadedFile
from tests.test_telegram_channel import USER, buttons, telegram_service

BINH = 5550002
MB = 1024 * 1024


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    api = FakeTelegramAPI(rate_limits=False)
    await api.start()
    api.add_user(USER, "Lan")
    yield api
    await api.stop()


@pytest.fixture
async def service(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> AsyncIterator[ChungSuc]:
    async with telegram_service(settings, fake, clock) as app:
        yield app


@pytest.fixture
def seen(service: ChungSuc, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    return watch_engine(service.engine, monkeypatch)


async def answered(fake: FakeTelegramAPI, n: int = 1, chat: int = USER) -> list[dict[str, Any]]:
    return await fake.wait_for_messages(chat, n)


async def stored_media(app: ChungSuc, token: str | None) -> Media:
    assert token is not None
    async with app.sessions() as session:
        media = await media_by_token(session, token)
    assert media is not None
    return media


def photo_calls(fake: FakeTelegramAPI) -> list[dict[str, Any]]:
    return [params for method, params in fake.sent if method == "sendPhoto"]


async def test_photo_reaches_the_journey_stored_without_where_it_was_taken(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    update = fake.user_sends_photo(USER, camera_jpeg(), caption="Nhà văn hóa thôn mới xây")
    await answered(fake)
    [incoming] = seen
    file_id = update["message"]["photo"][-1]["file_id"]
    assert (incoming.photo, incoming.text) == (file_id, "Nhà văn hóa thôn mới xây")
    assert incoming.media is not None and incoming.attachment is None
    media = await stored_media(service, incoming.media)
    assert media.platform_ref == file_id and media.contact_id is None
    with Image.open(service.media.path_for(media)) as image:
        assert not image.getexif().get_ifd(GPS_IFD) and not dict(image.getexif())
    assert await unhandled_updates(service) == 0


async def test_photo_over_5_mb_is_refused_without_being_downloaded(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.user_sends_photo(USER, camera_jpeg(), file_size=20 * MB)
    await answered(fake)
    [incoming] = seen
    assert (incoming.attachment, incoming.media) == ("too_large", None)
    assert fake.downloads == [] and not any(m == "getFile" for m, _ in fake.sent)


async def test_photo_sent_as_a_file_is_kept_like_a_photo(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.user_sends_document(USER, png_image(), mime_type="image/png", file_name="ảnh chụp.png")
    await answered(fake)
    [incoming] = seen
    media = await stored_media(service, incoming.media)
    assert media.content_type == "image/png"


async def test_file_that_only_claims_to_be_a_photo_is_not_an_image(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.user_sends_document(USER, b"not a photo at all", mime_type="image/jpeg")
    await answered(fake)
    assert (seen[0].attachment, seen[0].media) == ("not_image", None)


@pytest.mark.parametrize(
    ("fields", "attachment"),
    [
        ({"sticker": {"file_id": "CAAC1", "file_unique_id": "s", "type": "regular"}}, "sticker"),
        ({"voice": {"file_id": "AwAC1", "file_unique_id": "v", "duration": 4}}, "voice"),
        ({"video_note": {"file_id": "DQAC1", "file_unique_id": "n", "length": 240}}, "video"),
        ({"location": {"latitude": 16.75, "longitude": 107.18}}, "other"),
    ],
    ids=["sticker", "voice", "video-note", "location"],
)
async def test_sticker_voice_and_the_like_arrive_as_what_they_are(
    service: ChungSuc,
    fake: FakeTelegramAPI,
    seen: list[Incoming],
    fields: dict[str, Any],
    attachment: str,
) -> None:
    fake.user_sends_message(USER, **fields)
    [reply] = await answered(fake)
    assert reply["text"]
    assert (seen[0].attachment, seen[0].text, seen[0].media) == (attachment, None, None)


async def test_pdf_is_a_file_and_is_not_downloaded(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.user_sends_document(USER, b"%PDF-1.7", mime_type="application/pdf", file_name="a.pdf")
    await answered(fake)
    assert seen[0].attachment == "file" and fake.downloads == []


async def test_photo_telegram_cannot_hand_over_still_gets_an_answer(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.fail_next(
        "getFile", 400, "Bad Request: wrong file_id or the file is temporarily unavailable"
    )
    fake.user_sends_photo(USER, camera_jpeg())
    [reply] = await answered(fake)
    assert reply["text"]
    assert (seen[0].attachment, seen[0].media) == ("unavailable", None)
    assert await unhandled_updates(service) == 0


async def test_a_slow_photo_holds_up_only_the_person_who_sent_it(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.add_user(BINH, "Bình")
    fake.set_delay("getFile", 1.5)
    fake.user_sends_photo(USER, camera_jpeg())
    fake.user_sends_text(USER, "/help")
    fake.user_sends_text(BINH, "/help")
    await answered(fake, chat=BINH)
    assert fake.messages_to(USER) == [], "Bình is answered while Lan's photo is on its way"
    first, second = await answered(fake, 2)
    assert "Các lệnh" in second["text"] and "Các lệnh" not in first["text"]
    lan = [i for i in seen if i.external_id == str(USER)]
    assert lan[0].media is not None and lan[1].text == "/help", "Lan's messages keep their order"


async def test_stored_photo_goes_out_by_its_telegram_file_id(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.user_sends_photo(USER, camera_jpeg())
    await answered(fake)
    token = seen[0].media
    assert service.telegram is not None
    reply = Reply("Ảnh bạn đã gửi", (Button("nominate:done", "Xong"),), photo=f"media:{token}")
    await service.telegram.deliver(str(USER), [reply])
    _, sent = await answered(fake, 2)
    assert sent["photo"] and sent["caption"] == "Ảnh bạn đã gửi"
    assert buttons(sent) == {"Xong": "nominate:done"}
    [call] = photo_calls(fake)
    assert call["photo"] == seen[0].photo, "sent again by reference, not uploaded"


async def test_stored_photo_from_elsewhere_is_uploaded_once(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    kept = await service.media.keep(camera_jpeg())
    assert service.telegram is not None
    for _ in range(2):
        await service.telegram.deliver(
            str(USER), [Reply("Thôn kiểu mẫu", photo=f"media:{kept.token}")]
        )
    await answered(fake, 2)
    first, second = photo_calls(fake)
    assert isinstance(first["photo"], UploadedFile)
    assert Image.open(io.BytesIO(first["photo"].data)).format == "JPEG"
    media = await stored_media(service, kept.token)
    assert media.platform_ref is not None and second["photo"] == media.platform_ref


async def test_stored_photo_that_is_gone_leaves_the_words(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    assert service.telegram is not None
    await service.telegram.deliver(str(USER), [Reply("Chỉ có chữ", photo="media:" + "x" * 32)])
    [sent] = await answered(fake)
    assert sent["text"] == "Chỉ có chữ" and photo_calls(fake) == []


def phone_button(keyboard: dict[str, Any] | None) -> dict[str, Any]:
    assert keyboard is not None, "a reply keyboard is shown"
    [[button]] = keyboard["keyboard"]
    return dict(button)


async def test_share_my_phone_button_gives_the_journey_the_number(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    assert service.telegram is not None
    await service.telegram.deliver(
        str(USER), [Reply("Số điện thoại của bạn là gì?", request_phone=True)]
    )
    [asked] = await answered(fake)
    assert asked["text"] == "Số điện thoại của bạn là gì?"
    button = phone_button(fake.reply_keyboards.get(USER))
    assert button == {"text": "📱 Gửi số điện thoại của tôi", "request_contact": True}
    assert fake.reply_keyboards[USER]["one_time_keyboard"] is True

    fake.user_shares_contact(USER, "+84 90 123 4567")
    await answered(fake, 2)
    assert (seen[0].shared_contact, seen[0].phone) == (True, "+84 90 123 4567")
    assert USER not in fake.reply_keyboards, "the keyboard went once used"
    async with service.sessions() as session:
        [payload] = list(await session.scalars(select(InboundUpdate.payload)))
    # Kept with the update, so that a crash before the turn cannot lose it; nothing else.
    assert payload["message"]["contact"] == {"phone_number": "+84 90 123 4567", "user_id": USER}


async def test_someone_elses_contact_gives_no_number(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.user_shares_contact(USER, "+84907654321", first_name="Hùng", contact_user_id=5550999)
    await answered(fake)
    assert (seen[0].shared_contact, seen[0].phone) == (True, None)
    async with service.sessions() as session:
        stored = [json.dumps(p) for p in await session.scalars(select(InboundUpdate.payload))]
    assert not any("84907654321" in payload for payload in stored)


async def test_phone_button_in_english_beside_inline_buttons_and_gone_after(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    assert service.telegram is not None
    skip = Button("nominate:skip", "Skip")
    await service.telegram.deliver(
        str(USER), [Reply("Your phone number?", (skip,), request_phone=True, language="en")]
    )
    question, hint = await answered(fake, 2)
    assert buttons(question) == {"Skip": "nominate:skip"}
    assert "button below" in hint["text"]
    assert phone_button(fake.reply_keyboards.get(USER))["text"] == "📱 Share my phone number"
    # The person types the number instead; the bot's next plain message takes the
    # keyboard away.
    await service.telegram.deliver(str(USER), [Reply("Thanks.", (skip,)), Reply("Next step.")])
    await answered(fake, 4)
    assert USER not in fake.reply_keyboards


async def test_button_tapped_after_a_photo_waits_for_the_photo(
    service: ChungSuc, fake: FakeTelegramAPI, seen: list[Incoming]
) -> None:
    fake.user_sends_text(USER, "/start")
    [greeting] = await answered(fake)
    fake.set_delay("getFile", 0.5)
    fake.user_sends_photo(USER, camera_jpeg())
    fake.user_clicks(USER, greeting["message_id"], "province:set:quang-tri")
    await answered(fake, 3)
    assert [i.media is not None for i in seen] == [False, True, False]
    assert seen[2].button == "province:set:quang-tri"


async def test_phone_button_goes_when_the_number_is_typed_and_buttons_follow(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    assert service.telegram is not None
    await service.telegram.deliver(str(USER), [Reply("Số điện thoại của bạn?", request_phone=True)])
    await answered(fake)
    assert phone_button(fake.reply_keyboards.get(USER))["request_contact"] is True
    # Lan types the number; the next question has only buttons.
    agree = (Button("nominate:f:consent_data:yes", "✅ Đồng ý"),)
    await service.telegram.deliver(str(USER), [Reply("Bạn đồng ý cho lưu thông tin?", agree)])
    _, question = await answered(fake, 2)
    await fake.wait_for_call("editMessageReplyMarkup")
    assert USER not in fake.reply_keyboards, "the phone keyboard went"
    assert buttons(question) == {"✅ Đồng ý": "nominate:f:consent_data:yes"}
    assert len(fake.messages_to(USER)) == 2, "no extra message for it"
