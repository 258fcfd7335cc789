"""Tests for the Zalo Bot API client, run against the in-process fake server."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.text import split_text
from bot.channels.zalo_client import (
    EVENT_IMAGE,
    EVENT_TEXT,
    MAX_TEXT_LENGTH,
    ZaloBotClient,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloUnauthorized,
    ZaloUpdate,
    parse_update,
)
from tests.fakes.zalo_api import SECRET_HEADER, FakeZaloAPI

USER_ID = "e4ea2b3c9d0f41a8"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloAPI]:
    async with FakeZaloAPI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeZaloAPI) -> AsyncIterator[ZaloBotClient]:
    async with ZaloBotClient(fake.token, base_url=fake.base_url) as zalo:
        yield zalo


async def test_get_me_returns_bot_profile(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    me = await client.get_me()

    assert me.id == fake.bot_id
    assert me.account_name == fake.bot_name
    assert me.account_type == "BASIC"
    assert me.can_join_groups is False


async def test_user_text_arrives_through_get_update(
    fake: FakeZaloAPI, client: ZaloBotClient
) -> None:
    await fake.user_sends_text(USER_ID, "Xin chào", display_name="Nguyễn Văn An")

    update = await client.get_update(timeout=1)

    assert update is not None
    assert update.event_name == EVENT_TEXT
    assert update.text == "Xin chào"
    assert update.chat_id == USER_ID
    assert update.user_id == USER_ID
    assert update.user_name == "Nguyễn Văn An"
    assert len(update.message_id) == 32
    assert update.date is not None and update.date > 1_000_000_000_000  # milliseconds


async def test_updates_arrive_one_per_poll(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    await fake.user_sends_text(USER_ID, "một")
    await fake.user_sends_text(USER_ID, "hai")

    first = await client.get_update(timeout=1)
    second = await client.get_update(timeout=1)

    assert first is not None and first.text == "một"
    assert second is not None and second.text == "hai"


async def test_empty_poll_returns_none_after_timeout(client: ZaloBotClient) -> None:
    started = time.monotonic()

    update = await client.get_update(timeout=1)

    elapsed = time.monotonic() - started
    assert update is None
    assert 0.9 <= elapsed < 3


async def test_polling_is_refused_while_webhook_is_set(
    fake: FakeZaloAPI, client: ZaloBotClient
) -> None:
    await client.set_webhook("https://chungsuc.example.vn/zalo", "s3cret-token")

    with pytest.raises(ZaloError):
        await client.get_update(timeout=1)

    await client.delete_webhook()
    assert await client.get_update(timeout=0) is None


async def test_webhook_registration_round_trip(client: ZaloBotClient) -> None:
    assert (await client.get_webhook_info()).url == ""

    info = await client.set_webhook("https://chungsuc.example.vn/zalo", "s3cret-token")

    assert info.url == "https://chungsuc.example.vn/zalo"
    assert (await client.get_webhook_info()).url == "https://chungsuc.example.vn/zalo"
    assert (await client.delete_webhook()).url == ""


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("http://chungsuc.example.vn/zalo", "s3cret-token"),
        ("https://127.0.0.1/zalo", "s3cret-token"),
        ("https://chungsuc.example.vn/zalo", "short"),
    ],
)
async def test_set_webhook_rejects_invalid_settings(
    client: ZaloBotClient, url: str, secret: str
) -> None:
    with pytest.raises(ZaloError) as caught:
        await client.set_webhook(url, secret)

    assert caught.value.error_code == 400


async def test_send_message_reaches_outbox(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    receipt = await client.send_message(USER_ID, "Cảm ơn bạn đã tham gia!")

    [sent] = await fake.wait_for_messages(USER_ID, 1)
    assert sent.text == "Cảm ơn bạn đã tham gia!"
    assert receipt.message_id == sent.message_id
    assert receipt.date == sent.date


async def test_long_message_rejected_but_split_chunks_accepted(
    fake: FakeZaloAPI, client: ZaloBotClient
) -> None:
    too_long = "Chung sức " * 200 + "!"
    assert len(too_long) == 2001

    with pytest.raises(ZaloError) as caught:
        await client.send_message(USER_ID, too_long)
    assert caught.value.error_code == 400
    assert fake.sent == []

    chunks = split_text(too_long, MAX_TEXT_LENGTH)
    for chunk in chunks:
        await client.send_message(USER_ID, chunk)

    sent = await fake.wait_for_messages(USER_ID, len(chunks))
    assert len(chunks) == 2
    assert [message.text for message in sent] == chunks


async def test_send_photo_by_url(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    await client.send_photo(USER_ID, "https://cdn.example.vn/anh.jpg", caption="Ảnh minh hoạ")

    [sent] = await fake.wait_for_messages(USER_ID, 1)
    assert sent.method == "sendPhoto"
    assert sent.photo == "https://cdn.example.vn/anh.jpg"
    assert sent.caption == "Ảnh minh hoạ"


async def test_send_photo_requires_url(client: ZaloBotClient) -> None:
    with pytest.raises(ZaloError) as caught:
        await client.send_photo(USER_ID, "/tmp/anh.jpg")

    assert caught.value.error_code == 400


async def test_send_chat_action(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    await client.send_chat_action(USER_ID)

    assert fake.calls[-1].method == "sendChatAction"
    assert fake.calls[-1].payload == {"chat_id": USER_ID, "action": "typing"}


async def test_bad_token_raises_unauthorized(fake: FakeZaloAPI) -> None:
    async with ZaloBotClient("1234567890:wrong", base_url=fake.base_url) as client:
        with pytest.raises(ZaloUnauthorized) as caught:
            await client.get_me()

    assert caught.value.error_code == 401
    assert "wrong" not in str(caught.value)


async def test_blocked_user_raises_forbidden(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    fake.block(USER_ID)

    with pytest.raises(ZaloForbidden):
        await client.send_message(USER_ID, "Xin chào")

    fake.unblock(USER_ID)
    await client.send_message(USER_ID, "Xin chào")


async def test_injected_server_error_raises_network_error_then_recovers(
    fake: FakeZaloAPI, client: ZaloBotClient
) -> None:
    fake.fail_next(1, status=500)

    with pytest.raises(ZaloNetworkError) as caught:
        await client.send_message(USER_ID, "Xin chào")
    assert caught.value.error_code == 500

    await client.send_message(USER_ID, "Xin chào")
    assert len(fake.sent) == 1


async def test_rate_limit_carries_retry_hint(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    fake.fail_next(1, status=429)

    with pytest.raises(ZaloRateLimited) as caught:
        await client.get_me()

    assert caught.value.retry_after == 1.0


async def test_unreachable_server_raises_network_error() -> None:
    fake = FakeZaloAPI()
    await fake.start()
    base_url = fake.base_url
    await fake.stop()

    async with ZaloBotClient(fake.token, base_url=base_url) as client:
        with pytest.raises(ZaloNetworkError) as caught:
            await client.get_me()

    assert caught.value.error_code == 0
    assert fake.token not in str(caught.value)


async def test_caller_session_is_left_open(fake: FakeZaloAPI) -> None:
    async with aiohttp.ClientSession() as session:
        async with ZaloBotClient(fake.token, base_url=fake.base_url, session=session) as client:
            await client.get_me()
        assert not session.closed


async def test_image_arrives_with_photo_url(fake: FakeZaloAPI, client: ZaloBotClient) -> None:
    await fake.user_sends_image(USER_ID, "https://cdn.zalo.example/p.jpg", caption="Ruộng lúa")

    update = await client.get_update(timeout=1)

    assert update is not None
    assert update.event_name == EVENT_IMAGE
    assert update.photo_url == "https://cdn.zalo.example/p.jpg"
    assert update.text == "Ruộng lúa"


async def test_webhook_delivery_is_bare_with_secret_and_can_repeat(fake: FakeZaloAPI) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/zalo", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        fake.deliver_to(f"http://127.0.0.1:{port}/zalo", "webhook-secret")

        sent = await fake.user_sends_text(USER_ID, "Xin chào")
        await fake.redeliver_last()
    finally:
        await runner.cleanup()

    assert [secret for secret, _ in received] == ["webhook-secret", "webhook-secret"]
    first, second = (body for _, body in received)
    assert first == second == sent
    assert "ok" not in first and first["event_name"] == EVENT_TEXT
    assert [delivery.status for delivery in fake.webhook_deliveries] == [200, 200]
    first_update, second_update = parse_update(first), parse_update(second)
    assert first_update is not None and second_update is not None
    assert first_update.dedup_key == second_update.dedup_key


RAW_TEXT_UPDATE: dict[str, Any] = {
    "event_name": "message.text.received",
    "message": {
        "message_id": "16f6a1b2c3d4e5f6",
        "date": 1766619597466,
        "text": "Xin chào",
        "from": {"id": "e4ea", "display_name": "Trần Thị Bình", "is_bot": False},
        "chat": {"id": "e4ea", "chat_type": "PRIVATE"},
    },
}


@pytest.mark.parametrize(
    "raw",
    [RAW_TEXT_UPDATE, {"ok": True, "result": RAW_TEXT_UPDATE}],
    ids=["bare", "wrapped"],
)
def test_parse_update_accepts_bare_and_wrapped(raw: dict[str, Any]) -> None:
    assert parse_update(raw) == ZaloUpdate(
        event_name="message.text.received",
        message_id="16f6a1b2c3d4e5f6",
        chat_id="e4ea",
        user_id="e4ea",
        user_name="Trần Thị Bình",
        text="Xin chào",
        photo_url=None,
        date=1766619597466,
    )


@pytest.mark.parametrize("field", ["photo_url", "photo"])
def test_parse_update_reads_image_url_from_either_field(field: str) -> None:
    raw = {
        "event_name": "message.image.received",
        "message": {
            "message_id": "a1",
            "date": 1766619597466,
            field: "https://cdn.zalo.example/p.jpg",
            "from": {"id": "u1", "first_name": "Lê Văn Cường"},
            "chat": {"id": "u1", "chat_type": "PRIVATE"},
        },
    }

    update = parse_update(raw)

    assert update is not None
    assert update.photo_url == "https://cdn.zalo.example/p.jpg"
    assert update.user_name == "Lê Văn Cường"
    assert update.text is None


@pytest.mark.parametrize(
    "raw",
    [
        {"ok": False, "error_code": 408, "description": "Request timeout"},
        {"ok": True, "result": None},
        {"event_name": "message.text.received"},
        {"message": RAW_TEXT_UPDATE["message"]},
    ],
)
def test_parse_update_rejects_non_updates(raw: dict[str, Any]) -> None:
    assert parse_update(raw) is None


def test_split_text_keeps_short_text_whole() -> None:
    assert split_text("  Xin chào  ", 2000) == ["Xin chào"]
    assert split_text("   ", 2000) == []


def test_split_text_prefers_paragraph_boundaries() -> None:
    first = "Đoạn một. " + "a" * 20
    second = "Đoạn hai. " + "b" * 20
    third = "Đoạn ba."

    chunks = split_text(f"{first}\n\n{second}\n\n{third}", limit=50)

    assert chunks == [first, f"{second}\n\n{third}"]


def test_split_text_falls_back_to_lines_then_words() -> None:
    text = "dòng một dài hơn giới hạn\ndòng hai"

    chunks = split_text(text, limit=12)

    assert all(len(chunk) <= 12 for chunk in chunks)
    assert chunks == ["dòng một dài", "hơn giới hạn", "dòng hai"]


def test_split_text_vietnamese_never_breaks_words() -> None:
    sentence = "Chung sức xây dựng nông thôn mới, vì một Việt Nam giàu đẹp và văn minh."
    text = "\n\n".join([" ".join([sentence] * 30)] * 3)

    chunks = split_text(text, 2000)

    assert len(chunks) > 1
    assert all(1 <= len(chunk) <= 2000 for chunk in chunks)
    assert [word for chunk in chunks for word in chunk.split()] == text.split()


def test_split_text_cuts_overlong_word_without_detaching_accents() -> None:
    word = unicodedata.normalize("NFD", "nghiêng" * 5)

    chunks = split_text(word, limit=8)

    assert "".join(chunks) == word
    assert all(len(chunk) <= 8 for chunk in chunks)
    assert not any(unicodedata.combining(chunk[0]) for chunk in chunks)
