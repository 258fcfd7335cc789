"""Files in chat on Telegram, against the fake Bot API: the yearly report as an XLSX
document, a person's data as a JSON document, an announcement's loudspeaker script and
printable notice, and a document to someone else through the outbox across a restart."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from bot.app import ChungSuc
from bot.config import Settings
from handlers.types import DocumentRef, Reply
from handlers.units import reply_dicts
from storage.deliveries import delivery_row, queue_deliveries
from storage.documents import store_document
from storage.invites import create_invite
from storage.models import Contact, Delivery
from tests.chat import Chat
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_announce import subscribers
from tests.test_photos_telegram import fake, service  # noqa: F401 (the fixtures)
from tests.test_review import CUA_TUNG, nominate
from tests.test_telegram_channel import USER, telegram_service

OFFICER = 5550009
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


Message = dict[str, Any]


@dataclass(frozen=True)
class Running:
    """The service on Telegram and the fake Bot API it talks to."""

    app: ChungSuc
    fake: FakeTelegramAPI


@pytest.fixture
def telegram(
    service: ChungSuc,  # noqa: F811 - the fixture imported above
    fake: FakeTelegramAPI,  # noqa: F811 - the fixture imported above
) -> Running:
    return Running(service, fake)


async def message_where(
    api: FakeTelegramAPI, chat: int, wanted: Callable[[Message], bool], after: int = 0
) -> Message:
    """The first message to `chat` past the first `after` that `wanted` accepts, waiting
    for it to arrive (at most 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        found = [m for m in api.messages_to(chat)[after:] if wanted(m)]
        if found:
            return found[0]
        texts = [m.get("text", m.get("caption")) for m in api.messages_to(chat)]
        assert time.monotonic() < deadline, f"no such message in {texts!r}"
        await asyncio.sleep(0.02)


def has_button(data: str) -> Callable[[Message], bool]:
    def wanted(message: Message) -> bool:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return any(button.get("callback_data") == data for row in rows for button in row)

    return wanted


def says(words: str) -> Callable[[Message], bool]:
    return lambda message: words in str(message.get("text", message.get("caption", "")))


async def tap(api: FakeTelegramAPI, chat: int, data: str) -> None:
    """Press the newest button with this data, once it has arrived."""
    await message_where(api, chat, has_button(data))
    newest = [m for m in api.messages_to(chat) if has_button(data)(m)][-1]
    api.user_clicks(chat, newest["message_id"], data)


async def telegram_officer(telegram: Running, clock: Clock, area: str) -> None:
    app, api = telegram.app, telegram.fake
    async with app.sessions.begin() as session:
        code = await create_invite(
            session, role="officer", area=area, created_by="test", now=clock()
        )
    api.add_user(OFFICER, "Hà")
    api.user_sends_text(OFFICER, f"/canbo {code}")
    await message_where(api, OFFICER, says("Xác nhận xong"))


async def test_the_yearly_report_arrives_as_a_workbook_counting_the_nomination(
    telegram: Running, clock: Clock
) -> None:
    app, api = telegram.app, telegram.fake
    await nominate(Chat(app.engine, "web", "v" * 22))
    await telegram_officer(telegram, clock, CUA_TUNG)
    api.user_sends_text(OFFICER, "/baocao")
    message = await message_where(api, OFFICER, lambda m: "document" in m)
    assert message["document"]["file_name"] == "bao-cao-nam-2026.xlsx"
    assert "• Đề cử nhận được: 1" in message["caption"]
    [upload] = api.documents_to(OFFICER)
    assert upload.content_type == XLSX
    book = load_workbook(io.BytesIO(upload.data))
    communes = list(book["Theo xã"].iter_rows(min_row=2, values_only=True))
    assert [row[:3] for row in communes] == [("Xã Cửa Tùng", CUA_TUNG, 1)]
    assert book["Tổng hợp"]["B5"].value == 1, "nominations received"


async def test_my_data_arrives_as_a_summary_and_a_json_file(telegram: Running) -> None:
    api = telegram.fake
    api.user_sends_text(USER, "hôm nay trời đẹp, số tôi 0912 345 678")
    await message_where(api, USER, lambda m: True)
    api.user_sends_text(USER, "/dulieu")
    await tap(api, USER, "data:download")
    message = await message_where(api, USER, lambda m: "document" in m)
    assert message["caption"].startswith("Dữ liệu của bạn")
    assert "• Tin nhắn: 4" in message["caption"], "two messages in, two answers out"
    [upload] = api.documents_to(USER)
    assert upload.filename == "du-lieu-cua-toi-2026-03-02.json"
    exported = json.loads(upload.data)
    assert any(m["text"] == "hôm nay trời đẹp, số tôi 0912 345 678" for m in exported["messages"])


async def test_an_officer_gets_the_loudspeaker_script_and_the_notice_as_files(
    telegram: Running, clock: Clock
) -> None:
    app, api = telegram.app, telegram.fake
    await subscribers(app, 3)
    await telegram_officer(telegram, clock, "quang-tri")
    api.user_sends_text(OFFICER, "/thongbao")
    await message_where(api, OFFICER, says("Gõ nội dung thông báo"))
    api.user_sends_text(OFFICER, "UBND xã họp dân lúc 7h30 ngày 24/12 tại nhà văn hóa thôn.")
    for data in (
        "announce:skip:photo",
        "announce:f:audience:province",
        "announce:f:when:now",
        "announce:f:urgent:no",
        "announce:send",
    ):
        await tap(api, OFFICER, data)
    await message_where(api, OFFICER, says("Đã xếp thông báo #1"))
    script, notice = api.documents_to(OFFICER)
    assert script.filename == "thong-bao-1-doc-loa.txt"
    spoken = script.data.decode()
    assert spoken.startswith("Kính thưa") and "Ủy ban nhân dân xã" in spoken
    assert "bảy giờ ba mươi phút" in spoken
    assert notice.filename == "thong-bao-1-ban-in.html"
    page = notice.data.decode()
    assert page.startswith("<!DOCTYPE html>") and "@page { size: A4" in page
    captions = [m.get("caption", "") for m in api.messages_to(OFFICER) if "document" in m]
    assert all(len(caption) < 500 for caption in captions), "the bubbles stay short"


async def test_a_document_for_someone_else_goes_out_after_a_restart(
    settings: Settings,
    fake: FakeTelegramAPI,  # noqa: F811 - the fixture imported above
    clock: Clock,
) -> None:
    first = ChungSuc(settings, clock=clock)
    try:
        async with first.sessions.begin() as session:
            contact = Contact(channel="telegram", external_id=str(USER), name="Lan")
            session.add(contact)
            await session.flush()
            stored = await store_document(
                session,
                contact_id=contact.id,
                filename="kết quả xã.txt",
                content_type="text/plain; charset=utf-8",
                body="Xã Cửa Tùng: 12 đề cử".encode(),
                now=clock(),
            )
            reply = Reply(
                "Kết quả tháng này",
                document=DocumentRef(stored.token, stored.filename, stored.content_type),
            )
            await queue_deliveries(session, [delivery_row(contact, reply_dicts([reply]), clock())])
    finally:
        await first.stop()
    assert fake.documents_to(USER) == [], "written, not sent"

    async with telegram_service(settings, fake, clock) as second:
        message = await message_where(fake, USER, lambda m: "document" in m)
        assert message["caption"] == "Kết quả tháng này"
        [upload] = fake.documents_to(USER)
        assert (upload.filename, upload.data) == (
            "kết quả xã.txt",
            "Xã Cửa Tùng: 12 đề cử".encode(),
        )
        # The fake has the message a moment before the sender records the outcome.
        for _ in range(100):
            async with second.sessions() as session:
                status = await session.scalar(select(Delivery.status))
            if status == "sent":
                break
            await asyncio.sleep(0.05)
        assert status == "sent"
