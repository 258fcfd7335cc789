"""A whole nomination (`/decu`) as a villager walks it on Telegram and on Zalo, against
the fake Bot APIs with the real service: buttons (or numbers), typed answers, a real
camera photo, the phone, the consents, the summary, the receipt code and its status."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import ChungSuc
from bot.channels.pacing import ChatBuckets
from bot.config import Settings
from storage.models import Contact, FormDraft, Media, Nomination
from tests.conftest import Clock, unhandled_updates
from tests.fakes.photos import GPS_IFD, MAKE, camera_jpeg
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI
from tests.test_photos_zalo import PUBLIC_URL
from tests.test_telegram_channel import USER, TelegramUser, buttons, telegram_service
from tests.test_zalo_channel import USER as ZALO_USER
from tests.test_zalo_channel import ZaloUser, zalo_settings

CODE = re.compile(r"DC-[2-9A-HJKMNP-Z]{5}")
CUA_TUNG = "19414"
ACHIEVEMENTS = "Thôn có 100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông."


async def stored(app: ChungSuc) -> tuple[Nomination, list[Media], Contact]:
    """The one nomination filed, its photos and its nominator."""
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
        media = list(await session.scalars(select(Media)))
        contact = (await session.scalars(select(Contact))).one()
        drafts = list(await session.scalars(select(FormDraft)))
    assert drafts == [], "the draft went once the nomination was sent"
    return nomination, media, contact


def gps_photo() -> bytes:
    """A phone camera's JPEG, with where it was taken in its EXIF."""
    data = camera_jpeg()
    with Image.open(io.BytesIO(data)) as image:
        assert image.getexif().get_ifd(GPS_IFD), "the photo sent says where it was taken"
    return data


def assert_photo_kept_without_exif(app: ChungSuc, media: Media) -> None:
    with Image.open(app.media.path_for(media)) as image:
        exif = image.getexif()
        assert image.format == "JPEG" and image.size == (1600, 1200)
        assert not exif.get_ifd(GPS_IFD), "where the photo was taken is not kept"
        assert MAKE not in exif, "nor what took it"


# Telegram ----------------------------------------------------------------------------------


@pytest.fixture
async def telegram(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegramAPI]:
    # No flood limits, on either side: this villager answers the instant a question
    # arrives, fifteen times in a row, where the service would pace a chat at about one
    # message a second (as Telegram asks) and the walk would take fifteen.
    monkeypatch.setattr(ChatBuckets, "wait_for", lambda self, chat, now: 0.0)
    api = FakeTelegramAPI(rate_limits=False)
    await api.start()
    yield api
    await api.stop()


class Villager(TelegramUser):
    """A Telegram user who also taps for several answers, sends photos and shares
    their phone."""

    async def press(self, message: dict[str, Any], label: str, expect: int = 1) -> list[Any]:
        """Tap the button labelled `label` on `message`; the messages it brought."""
        data = buttons(message).get(label)
        assert data is not None, f"no button {label!r} in {list(buttons(message))}"
        self.fake.user_clicks(self.user_id, message["message_id"], data)
        return await self._read(expect)

    async def type(self, text: str, expect: int = 1) -> list[Any]:
        self.fake.user_sends_text(self.user_id, text)
        return await self._read(expect)

    async def photo(self, data: bytes, expect: int) -> list[Any]:
        self.fake.user_sends_photo(self.user_id, data)
        return await self._read(expect)

    async def share_phone(self, number: str) -> list[Any]:
        self.fake.user_shares_contact(self.user_id, number)
        return await self._read(1)


def words(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def test_villager_nominates_on_telegram_with_a_photo_and_a_shared_phone(
    settings: Settings, telegram: FakeTelegramAPI, clock: Clock
) -> None:
    async with telegram_service(settings, telegram, clock) as app:
        lan = Villager(telegram)
        intro, kind = await lan.type("/decu", expect=2)
        assert "mỗi câu trả lời được lưu ngay" in words(intro)
        assert "Bạn muốn đề cử gì" in words(kind)
        assert "🏡 Thôn, bản kiểu mẫu" in buttons(kind)
        [nominee] = await lan.press(kind, "🏡 Thôn, bản kiểu mẫu")
        assert "Tên thôn, bản hoặc ấp" in words(nominee)
        [commune] = await lan.type("Thôn Tân Hiệp")
        assert "xã, phường nào" in words(commune)
        [confirm] = await lan.type("xa cua tung")
        assert words(confirm) == "Xã Cửa Tùng — đúng không?"
        [achievements] = await lan.press(confirm, "✅ Đúng")
        assert "Thành tích" in words(achievements)
        [photos] = await lan.type(ACHIEVEMENTS)
        assert "tối đa 5 ảnh" in words(photos)
        assert list(buttons(photos)) == ["Bỏ qua, không có ảnh"]

        received, again = await lan.photo(gps_photo(), expect=2)
        assert "Đã nhận ảnh 1/5" in words(received)
        assert list(buttons(again)) == ["✅ Xong, không gửi thêm"]
        assert any(method == "getFile" for method, _ in telegram.sent)
        assert len(telegram.downloads) == 1, "the photo was downloaded once"

        [name] = await lan.press(again, "✅ Xong, không gửi thêm")
        assert "Họ tên của bạn" in words(name)
        assert buttons(name) == {"Lan": "nominate:f:nominator_name:suggested"}
        [phone] = await lan.type("Lê Thị Lan")
        assert "Số điện thoại của bạn" in words(phone)
        [[share]] = telegram.reply_keyboards[USER]["keyboard"]
        assert share == {"text": "📱 Gửi số điện thoại của tôi", "request_contact": True}

        [consent_data] = await lan.share_phone("+84 912 345 678")
        assert "lưu và xử lý thông tin" in words(consent_data)
        # The share-my-phone keyboard goes; the consent's buttons are then added to it.
        await telegram.wait_for_call("editMessageReplyMarkup")
        assert USER not in telegram.reply_keyboards
        consent_data = telegram.messages_to(USER)[-1]
        assert list(buttons(consent_data)) == ["✅ Đồng ý", "Không đồng ý"], "never pre-ticked"
        [consent_contact] = await lan.press(consent_data, "✅ Đồng ý")
        assert "gọi điện hoặc nhắn tin" in words(consent_contact)
        [nominee_consent] = await lan.press(consent_contact, "Được")
        assert "công khai tên và ảnh" in words(nominee_consent)
        [summary] = await lan.press(nominee_consent, "Chưa hỏi")

        # The summary: the photo, every answer under it, and its buttons.
        assert summary["photo"], "the summary shows the photo"
        text = words(summary)
        assert "Xem lại đề cử của bạn" in text
        for answer in (
            "Thôn Tân Hiệp",
            "Xã Cửa Tùng",
            "100% hộ dùng nước sạch",
            "Ảnh minh chứng: 1 tấm",
            "Lê Thị Lan",
            "0912 345 678",
            "Người được đề cử đồng ý công khai: Chưa hỏi",
        ):
            assert answer in text, answer
        labels = list(buttons(summary))
        assert labels[0] == "✅ Gửi" and labels[-1] == "🗑 Bỏ bản nháp"
        assert "✏️ Sửa Ảnh minh chứng" in labels
        [photo_sent] = [p for m, p in telegram.sent if m == "sendPhoto"]
        [get_file] = [p for m, p in telegram.sent if m == "getFile"]
        download = get_file["file_id"]
        assert photo_sent["photo"] == download, "sent again by its file id, not uploaded"

        [receipt] = await lan.press(summary, "✅ Gửi")
        code = CODE.search(words(receipt))
        assert code, words(receipt)
        assert "Cán bộ phụ trách Xã Cửa Tùng sẽ xem xét" in words(receipt)
        [status] = await lan.type(code.group(0).lower().replace("-", ""))
        assert "Hồ sơ " + code.group(0) in words(status)
        assert "đang chờ xem xét" in words(status)

        nomination, [media], contact = await stored(app)
        assert nomination.code == code.group(0) and nomination.status == "submitted"
        assert (nomination.kind, nomination.nominee) == ("village", "Thôn Tân Hiệp")
        assert nomination.commune_code == CUA_TUNG and nomination.province == "quang-tri"
        assert nomination.nominator_name == "Lê Thị Lan"
        assert nomination.nominator_phone == "+84912345678"
        assert nomination.contact_consent and nomination.nominee_consent == "not_asked"
        assert nomination.nominator_contact_id == contact.id
        assert contact.external_id == str(USER)
        assert (media.contact_id, media.nomination_id) == (contact.id, nomination.id)
        assert media.platform_ref == download
        assert_photo_kept_without_exif(app, media)
        await app.engine.drain()
        assert await unhandled_updates(app) == 0


# Zalo --------------------------------------------------------------------------------------


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloAPI]:
    api = FakeZaloAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def zalo_service(
    settings: Settings, zalo: FakeZaloAPI, clock: Clock
) -> AsyncIterator[ChungSuc]:
    app = ChungSuc(zalo_settings(settings, zalo, public_url=PUBLIC_URL + "/"), clock=clock)
    await app.start(migrate=False)
    yield app
    await app.stop()


class ZaloVillager(ZaloUser):
    """A Zalo user who also sends photos."""

    async def photo(self, data: bytes, expect: int) -> str:
        await self.fake.user_sends_photo(self.user_id, data)
        messages = await self.fake.wait_for_messages(self.user_id, self.seen + expect)
        fresh = messages[self.seen :]
        self.seen = len(messages)
        return "\n".join(m.text or "" for m in fresh)


def number_of(label: str, message: str) -> str:
    """The number a numbered menu gives `label`."""
    for line in message.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and number.isdigit() and rest.strip() == label:
            return number
    raise AssertionError(f"no {label!r} in the menu: {message!r}")


async def test_villager_nominates_on_zalo_by_numbers_and_follows_it(
    zalo_service: ChungSuc, zalo: FakeZaloAPI
) -> None:
    mai = ZaloVillager(zalo)
    kinds = await mai.say("/decu", expect=2)
    assert "Bạn muốn đề cử gì" in kinds and "Gõ 1, 2 hoặc 3 để chọn." in kinds
    assert "Tên thôn, bản hoặc ấp" in await mai.say(number_of("🏡 Thôn, bản kiểu mẫu", kinds))
    assert "xã, phường nào" in await mai.say("Thôn Tân Hiệp")
    confirm = await mai.say("xa cua tung")
    assert "Xã Cửa Tùng — đúng không?" in confirm
    assert "Thành tích" in await mai.say(number_of("✅ Đúng", confirm))
    photos = await mai.say(ACHIEVEMENTS)
    assert "tối đa 5 ảnh" in photos

    again = await mai.photo(gps_photo(), expect=2)
    assert "Đã nhận ảnh 1/5" in again and len(zalo.downloads) == 1
    name = await mai.say(number_of("✅ Xong, không gửi thêm", again))
    assert "Họ tên của bạn" in name
    assert "Số điện thoại của bạn" in await mai.say("Trần Thị Mai")
    assert "Số điện thoại chưa đúng" in await mai.say("0123", expect=2)
    consent_data = await mai.say("84 912 345 678")
    assert "lưu và xử lý thông tin" in consent_data
    consent_contact = await mai.say(number_of("✅ Đồng ý", consent_data))
    nominee_consent = await mai.say(number_of("Không", consent_contact))
    summary = await mai.say(number_of("Đã đồng ý", nominee_consent), expect=2)

    photo, text = zalo.sent[-2:]
    assert photo.method == "sendPhoto" and photo.photo
    assert photo.photo.startswith(f"{PUBLIC_URL}/media/"), "the summary shows the photo"
    assert "Xem lại đề cử của bạn" in summary and "Ảnh minh chứng: 1 tấm" in summary
    assert "Trần Thị Mai" in summary and "0912 345 678" in summary
    assert text.text and "1. ✅ Gửi" in text.text

    receipt = await mai.say("1")
    code = CODE.search(receipt)
    assert code, receipt
    mine = await mai.say("/hoso")
    assert "Hồ sơ bạn đã gửi" in mine
    assert f"{code.group(0)} – Thôn Tân Hiệp – đã nhận, đang chờ xem xét" in mine

    nomination, [media], contact = await stored(zalo_service)
    assert nomination.commune_code == CUA_TUNG and nomination.nominator_phone == "+84912345678"
    assert not nomination.contact_consent and nomination.nominee_consent == "yes"
    assert contact.external_id == ZALO_USER
    assert (media.contact_id, media.nomination_id) == (contact.id, nomination.id)
    assert photo.photo == f"{PUBLIC_URL}/media/{media.token}"
    assert_photo_kept_without_exif(zalo_service, media)
