"""Review end to end on Telegram: the real service (python-telegram-bot) against the fake
Bot API, three people in their own Telegram chats. A villager nominates; a commune
officer, invited from the command line with a commune code, asks for more information;
the villager answers with a photo through /traloi; the commune officer recommends; a
province officer accepts and commends. The villager hears of each step in their chat,
and `python -m bot export` and `python -m bot report` then show the commendation."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from bot.app import ChungSuc
from bot.config import load_settings
from storage.models import AuditEntry, Media, Nomination, NominationEvent, NominationReview
from tests import test_nominate_e2e
from tests.conftest import Clock, unhandled_updates
from tests.fakes.photos import camera_jpeg
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_cli import cli
from tests.test_telegram_channel import USER, TelegramUser, buttons, telegram_settings

CODE = re.compile(r"DC-[2-9A-HJKMNP-Z]{5}")
COMMUNE_OFFICER = 5550101
PROVINCE_OFFICER = 5550102


# The fake Bot API without flood limits, and the service's per-chat pace lifted: three
# people answer the instant a message arrives.
telegram = test_nominate_e2e.telegram


@pytest.fixture
async def service(
    storage_url: str, telegram: FakeTelegramAPI, clock: Clock, tmp_path: Path
) -> AsyncIterator[ChungSuc]:
    """The whole service on Telegram, on SQLite and on PostgreSQL."""
    settings = load_settings(database_url=storage_url, web_port=0)
    app = ChungSuc(telegram_settings(settings, telegram, media_dir=tmp_path / "media"), clock=clock)
    await app.start(migrate=False)
    yield app
    await app.stop()


class Person(TelegramUser):
    """Someone in their Telegram client: types, taps a button by its label, sends a
    photo, and reads what reached their chat while they were not acting."""

    def __init__(self, fake: FakeTelegramAPI, user_id: int, first_name: str) -> None:
        super().__init__(fake, user_id)
        fake.add_user(user_id, first_name)

    async def type(self, text: str, expect: int = 1) -> list[dict[str, Any]]:
        self.fake.user_sends_text(self.user_id, text)
        return await self._read(expect)

    async def press(self, message: dict[str, Any], label: str, expect: int = 1) -> list[Any]:
        data = buttons(message).get(label)
        assert data is not None, f"no button {label!r} in {list(buttons(message))}"
        self.fake.user_clicks(self.user_id, message["message_id"], data)
        return await self._read(expect)

    async def photo(self, data: bytes) -> list[dict[str, Any]]:
        self.fake.user_sends_photo(self.user_id, data)
        return await self._read(1)

    async def told(self) -> str:
        """The next message that reached this chat without them asking."""
        [notice] = await self._read(1)
        return words(notice)

    def latest(self) -> dict[str, Any]:
        """The last message in the chat as it stands now (buttons added by an edit)."""
        return self.fake.messages_to(self.user_id)[-1]


def words(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def button_starting(message: dict[str, Any], start: str) -> str:
    """The label of the one button on `message` that starts with `start`."""
    [label] = [label for label in buttons(message) if label.startswith(start)]
    return label


async def invite_officer(database_url: str, area: str) -> str:
    """An officer's invite code, made as an administrator makes it: on the command line."""
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    done = await asyncio.to_thread(cli, "invite", "--role", "officer", "--area", area, env=env)
    assert done.returncode == 0, done.stderr
    found = re.search(r"/canbo ([A-Z0-9]{5}-[A-Z0-9]{5})", done.stdout)
    assert found, done.stdout
    return found.group(1)


async def nominate(lan: Person) -> str:
    """The whole /decu form with its three consents; the receipt code."""
    _intro, kind = await lan.type("/decu", expect=2)
    assert "Bạn muốn đề cử gì" in words(kind)
    [nominee] = await lan.press(kind, "🏡 Thôn, bản kiểu mẫu")
    assert "Tên thôn, bản hoặc ấp" in words(nominee)
    [commune] = await lan.type("Thôn Tân Hiệp")
    assert "xã, phường nào" in words(commune)
    [confirm] = await lan.type("xa cua tung")
    [achievements] = await lan.press(confirm, "✅ Đúng")
    assert "Thành tích" in words(achievements)
    [photos] = await lan.type(
        "Thôn có 100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông liên thôn."
    )
    [name] = await lan.press(photos, "Bỏ qua, không có ảnh")
    assert "Họ tên của bạn" in words(name)
    [phone] = await lan.type("Lê Thị Lan")
    assert "Số điện thoại của bạn" in words(phone)
    [_consent] = await lan.type("0912 345 678")
    # The share-my-phone keyboard goes first; the consent's buttons are added after.
    await lan.fake.wait_for_call("editMessageReplyMarkup")
    consent_data = lan.latest()
    assert "lưu và xử lý thông tin" in words(consent_data)
    [consent_contact] = await lan.press(consent_data, "✅ Đồng ý")
    assert "gọi điện hoặc nhắn tin" in words(consent_contact)
    [nominee_consent] = await lan.press(consent_contact, "Được")
    [summary] = await lan.press(nominee_consent, "Đã đồng ý")
    assert "Xem lại đề cử của bạn" in words(summary)
    [receipt] = await lan.press(summary, "✅ Gửi")
    found = CODE.search(words(receipt))
    assert found, words(receipt)
    return found.group(0)


async def open_from_queue(officer: Person, code: str, expect: int) -> list[dict[str, Any]]:
    """/duyet, then the submission's button: its photos and then its details."""
    [queue] = await officer.type("/duyet")
    assert code in words(queue) and "Thôn Tân Hiệp" in words(queue)
    return await officer.press(queue, button_starting(queue, code), expect=expect)


async def test_a_nomination_is_reviewed_and_commended_on_telegram(
    service: ChungSuc, telegram: FakeTelegramAPI, clock: Clock, tmp_path: Path
) -> None:
    app, database_url = service, service.settings.database_url
    lan = Person(telegram, USER, "Lan")
    hoa = Person(telegram, COMMUNE_OFFICER, "Hòa")
    minh = Person(telegram, PROVINCE_OFFICER, "Minh")
    code = await nominate(lan)

    [welcome] = await hoa.type("/canbo " + await invite_officer(database_url, "19414"))
    assert "Bạn là cán bộ phụ trách Xã Cửa Tùng" in words(welcome)
    [welcome] = await minh.type("/canbo " + await invite_officer(database_url, "quang-tri"))
    assert "Bạn là cán bộ phụ trách tỉnh Quảng Trị" in words(welcome)

    # The commune officer asks for more; the villager is asked in their chat.
    clock.advance(hours=2)
    [view] = await open_from_queue(hoa, code, expect=1)
    assert "Người đề cử: Lê Thị Lan, +84912345678" in words(view)
    assert "✅ Công nhận" not in buttons(view), "the commune only recommends"
    [prompt] = await hoa.press(view, "❓ Hỏi thêm người đề cử")
    assert "Gõ câu hỏi cho người đề cử hồ sơ " + code in words(prompt)
    [sent] = await hoa.type("Thôn có bao nhiêu hộ dùng nước sạch? Xin gửi ảnh công trình.")
    assert "Đã gửi câu hỏi cho người đề cử hồ sơ " + code in words(sent)
    asked = await lan.told()
    assert f"Cán bộ cần bạn bổ sung cho hồ sơ {code} (Thôn Tân Hiệp)" in asked
    assert "bao nhiêu hộ dùng nước sạch" in asked and "/traloi" in asked

    # The villager answers with a photo; the officer who asked hears of it.
    clock.advance(hours=20)
    [question] = await lan.type("/traloi")
    assert "Cán bộ hỏi về hồ sơ " + code in words(question)
    [photo_kept] = await lan.photo(camera_jpeg())
    assert "Đã nhận ảnh 1/5" in words(photo_kept)
    [_noted] = await lan.type("Thôn có 120 hộ, tất cả đều dùng nước sạch từ năm 2024.")
    [thanks] = await lan.press(_noted, "✅ Gửi bổ sung")
    assert f"hồ sơ {code} trở lại hàng chờ duyệt" in words(thanks)
    assert f"Người đề cử đã bổ sung hồ sơ {code} (Thôn Tân Hiệp)" in await hoa.told()

    # The commune officer sees the new photo (sent again by its Telegram file id,
    # not uploaded) and the answer, and recommends.
    clock.advance(hours=1)
    photo, view = await open_from_queue(hoa, code, expect=2)
    async with app.sessions() as session:
        [media] = (await session.scalars(select(Media))).all()
    assert photo["photo"] and media.platform_ref is not None
    assert [p["photo"] for m, p in telegram.sent if m == "sendPhoto"] == [media.platform_ref]
    assert "Trả lời: “Thôn có 120 hộ" in words(view) and "(1 ảnh)" in words(view)
    [recommended] = await hoa.press(view, "👍 Đề nghị công nhận")
    assert "Đã gửi đề nghị công nhận hồ sơ " + code in words(recommended)
    moved_up = await lan.told()
    assert f"Hồ sơ {code} (Thôn Tân Hiệp)" in moved_up and "chuyển lên tỉnh" in moved_up
    to_decide = await minh.told()
    assert code in to_decide and "đề nghị công nhận" in to_decide and "/duyet" in to_decide

    # The province officer accepts and commends.
    clock.advance(days=2)
    [queue] = await minh.type("/duyet")
    assert "xã đề nghị công nhận" in words(queue)
    _photo, view = await minh.press(queue, button_starting(queue, code), expect=2)
    assert "Cán bộ xã: đề nghị công nhận" in words(view)
    [accepted] = await minh.press(view, "✅ Công nhận")
    assert "Đã công nhận hồ sơ " + code in words(accepted)
    good_news = await lan.told()
    assert f"Tin vui! Hồ sơ {code} (Thôn Tân Hiệp) đã được công nhận" in good_news
    [award] = await minh.press(accepted, "🏅 Khen thưởng")
    [body] = await minh.press(award, "Bằng khen của Chủ tịch UBND tỉnh")
    [number] = await minh.press(body, "UBND tỉnh Quảng Trị")
    assert "Số quyết định" in words(number)
    [day] = await minh.type("1234/QĐ-UBND")
    assert "Ngày ký quyết định" in words(day)
    [check] = await minh.type("01/03/2026")
    assert "Bằng khen của Chủ tịch UBND tỉnh, Quyết định số 1234/QĐ-UBND" in words(check)
    [recorded] = await minh.press(check, "✅ Ghi nhận")
    assert "Đã ghi nhận khen thưởng hồ sơ " + code in words(recorded)
    commended = await lan.told()
    assert commended.startswith(f"Chúc mừng! Thôn Tân Hiệp (hồ sơ {code}) được khen thưởng")
    assert "Bằng khen của Chủ tịch UBND tỉnh" in commended
    assert "theo Quyết định số 1234/QĐ-UBND ngày 1 tháng 3" in commended
    assert commended.endswith("của UBND tỉnh Quảng Trị.")
    [status] = await lan.type(code)
    assert "đã được khen thưởng" in words(status)

    await app.engine.drain()
    assert await unhandled_updates(app) == 0
    for person in (lan, hoa, minh):
        assert len(telegram.messages_to(person.user_id)) == person.seen, "no message unread"
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
        review = await session.get(NominationReview, nomination.id)
        events = (
            await session.scalars(select(NominationEvent.to_status).order_by(NominationEvent.id))
        ).all()
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert nomination.status == "commended" and media.nomination_id == nomination.id
    assert review is not None and review.decision_number == "1234/QĐ-UBND"
    assert str(review.decision_date) == "2026-03-01"
    assert list(events) == [
        "submitted",
        "needs_info",
        "in_review",
        "in_review",
        "accepted",
        "commended",
    ]
    assert {
        "review.ask_info",
        "review.recommend",
        "review.accept",
        "review.commend",
    } <= actions

    # What the province sends up at the end of the year.
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    path = tmp_path / "khen-thuong.xlsx"
    exported = await asyncio.to_thread(
        cli,
        *("export", "nominations", "--format", "xlsx", "-o", str(path)),
        *("--status", "commended", "--area", "quang-tri"),
        env=env,
    )
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 1 nominations" in exported.stdout
    sheet = load_workbook(path)["Đề cử"]
    header = [cell.value for cell in sheet[1]]
    [row] = [
        dict(zip(header, (cell.value for cell in line), strict=True))
        for line in sheet.iter_rows(min_row=2)
    ]
    assert row["Mã hồ sơ"] == code and row["Mã tình trạng"] == "commended"
    assert row["Tình trạng"] == "đã được khen thưởng"
    assert row["Hình thức khen thưởng"] == "Bằng khen của Chủ tịch UBND tỉnh"
    assert row["Số quyết định"] == "1234/QĐ-UBND" and row["Số ảnh"] == 1
    assert row["Ý kiến cấp xã"] == "đề nghị công nhận"

    reported = await asyncio.to_thread(
        cli, "report", "--year", "2026", "--province", "quang-tri", env=env
    )
    assert reported.returncode == 0, reported.stderr
    assert "1. Đề cử nhận được: 1" in reported.stdout
    assert "2. Khen thưởng: 1" in reported.stdout
    assert (
        f"{code} Thôn Tân Hiệp (Xã Cửa Tùng): Bằng khen của Chủ tịch UBND tỉnh" in reported.stdout
    )
