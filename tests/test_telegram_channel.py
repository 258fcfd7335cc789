"""The real service on Telegram (python-telegram-bot) against the fake Bot API server,
in polling and webhook mode: whole journeys as a person walks them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.channels.delivery import ChannelStartError
from bot.config import Settings, load_settings
from handlers.types import Button, Reply
from storage.db import create_engine, create_sessions
from storage.inbound import keep_inbound
from storage.models import Contact, InboundUpdate, Interaction
from tests.conftest import Clock, health_once_degraded, unhandled_updates
from tests.fakes.photos import camera_jpeg, media_beside
from tests.fakes.telegram_api import FakeTelegramAPI

USER = 5550001
SECRET = "telegram-webhook-secret"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    api = FakeTelegramAPI()
    await api.start()
    yield api
    await api.stop()


def telegram_settings(settings: Settings, fake: FakeTelegramAPI, **extra: Any) -> Settings:
    return load_settings(
        database_url=settings.database_url,
        web_port=extra.pop("web_port", 0),
        admins=settings.admins,
        telegram_token=fake.token,
        telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url,
        media_dir=extra.pop("media_dir", media_beside(settings.database_url)),
        **extra,
    )


@contextlib.asynccontextmanager
async def telegram_service(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> AsyncIterator[ChungSuc]:
    """The whole service on Telegram against `fake`, started and, at the end, stopped."""
    app = ChungSuc(telegram_settings(settings, fake), clock=clock)
    await app.start(migrate=False)
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def service(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> AsyncIterator[ChungSuc]:
    async with telegram_service(settings, fake, clock) as app:
        yield app


class TelegramUser:
    """A person in a Telegram client: types, taps buttons, reads the bot's messages."""

    def __init__(self, fake: FakeTelegramAPI, user_id: int = USER) -> None:
        self.fake = fake
        self.user_id = user_id
        self.seen = 0
        fake.add_user(user_id, "Lan")

    async def _read(self, expect: int) -> list[dict[str, Any]]:
        messages = await self.fake.wait_for_messages(self.user_id, self.seen + expect)
        fresh = messages[self.seen :]
        self.seen = len(messages)
        return fresh

    async def say(self, text: str, expect: int = 1) -> dict[str, Any]:
        self.fake.user_sends_text(self.user_id, text)
        return (await self._read(expect))[-1]

    async def tap(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        self.fake.user_clicks(self.user_id, message["message_id"], data)
        return (await self._read(1))[-1]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def test_whole_journey_over_polling(service: ChungSuc, fake: FakeTelegramAPI) -> None:
    await walk_whole_journey(fake)
    await service.engine.drain()
    left = await unhandled_updates(service)
    assert left == 0, "every polled update was stored, handled and cleared"


async def walk_whole_journey(fake: FakeTelegramAPI) -> None:
    """/start, province, a question, a stale button, cancel mid-flow, language switch."""
    lan = TelegramUser(fake)
    greeting = await lan.say("/start")
    assert "Xin chào" in greeting["text"]
    assert buttons(greeting) == {
        "Quảng Trị": "province:set:quang-tri",
        "An Giang": "province:set:an-giang",
    }
    menu = await lan.tap(greeting, "province:set:an-giang")
    assert "Đã chọn tỉnh An Giang" in menu["text"]
    assert "❓ Hỏi đáp" in buttons(menu)
    answer = await lan.say("ke hoach 861 ban hanh ngay nao")
    assert "19/12/2022" in answer["text"]

    stale = await lan.tap(greeting, "province:set:quang-tri")
    assert "hết hạn" in stale["text"]

    data = await lan.say("/dulieu")
    confirm = await lan.tap(data, "data:delete")
    assert "chắc chắn" in confirm["text"]
    assert "Đã hủy" in (await lan.say("/huy"))["text"]

    choices = await lan.say("/ngonngu")
    english = await lan.tap(choices, "language:set:en")
    assert english["text"] == "Switched to English."
    assert "🔒 My data" in buttons(english)
    answered = [p["callback_query_id"] for m, p in fake.sent if m == "answerCallbackQuery"]
    assert len(answered) == 4, "every tap is answered"


async def test_command_menu_is_set_in_both_languages(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    vietnamese = {c["command"]: c["description"] for c in fake.commands_for("vi")}
    english = {c["command"]: c["description"] for c in fake.commands_for("en")}
    assert vietnamese["dangky"] == "nhận thông báo của phong trào"
    assert english["dangky"] == "receive the movement's announcements"
    assert fake.commands_for("") == fake.commands_for("vi")


async def test_long_reply_is_split_on_paragraphs_and_user_text_escaped(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    TelegramUser(fake)
    assert service.telegram is not None
    paragraph = "Đoạn văn <b>không</b> phải thẻ & ký hiệu. " * 50
    text = "\n\n".join([paragraph] * 4)
    await service.telegram.deliver(str(USER), [Reply(text, (Button("data:open", "Dữ liệu"),))])
    messages = await fake.wait_for_messages(USER, 2)
    assert all(len(m["text"]) <= 4096 for m in messages)
    assert "<b>không</b>" in messages[0]["text"], "shown literally, not as bold"
    assert "reply_markup" not in messages[0] and buttons(messages[-1]) == {"Dữ liệu": "data:open"}


async def test_flood_limit_is_waited_out(service: ChungSuc, fake: FakeTelegramAPI) -> None:
    lan = TelegramUser(fake)
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    reply = await lan.say("/help")
    assert "Các lệnh" in reply["text"]


async def test_blocking_marks_the_contact_and_unblocking_restores_it(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    lan = TelegramUser(fake)
    await lan.say("/dangky")
    fake.block(USER)

    async def contact() -> Contact:
        async with service.sessions() as session:
            return (await session.scalars(select(Contact))).one()

    for _ in range(100):
        if (await contact()).blocked:
            break
        await asyncio.sleep(0.02)
    assert (await contact()).blocked and not (await contact()).subscribed
    await service.telegram.deliver(str(USER), [Reply("Tin mới")])  # type: ignore[union-attr]
    fake.unblock(USER)
    for _ in range(100):
        if not (await contact()).blocked:
            break
        await asyncio.sleep(0.02)
    assert not (await contact()).blocked


async def test_bad_token_fails_start_clearly(settings: Settings, fake: FakeTelegramAPI) -> None:
    app = ChungSuc(
        load_settings(
            database_url=settings.database_url,
            web_port=0,
            telegram_token="123:wrong",
            telegram_base_url=fake.base_url,
        )
    )
    with pytest.raises(ChannelStartError, match="TELEGRAM_TOKEN"):
        await app.start(migrate=False)
    await app.stop()


async def test_telegram_failing_during_start_stops_with_a_message(
    settings: Settings, fake: FakeTelegramAPI
) -> None:
    fake.fail_next("setMyCommands", 502, "Bad Gateway")
    app = ChungSuc(telegram_settings(settings, fake))
    with pytest.raises(ChannelStartError, match="Telegram refused to start the bot"):
        await app.start(migrate=False)
    await app.stop()


def webhook_service(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> tuple[ChungSuc, int]:
    """The service in webhook mode on a free port (not started yet), and that port."""
    port = free_port()
    app = ChungSuc(
        telegram_settings(
            settings,
            fake,
            web_port=port,
            telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
            telegram_webhook_secret=SECRET,
        ),
        clock=clock,
    )
    return app, port


async def stored_before_start(settings: Settings, update: dict[str, Any], clock: Clock) -> None:
    """Store an update as a process that crashed before handling it would have."""
    engine = create_engine(settings.database_url)
    try:
        key = str(update["update_id"])
        await keep_inbound(create_sessions(engine), "telegram", key, update, clock())
    finally:
        await engine.dispose()


def help_update(update_id: int) -> dict[str, Any]:
    """A raw Update: Lan sends /help."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": USER, "type": "private"},
            "from": {"id": USER, "is_bot": False, "first_name": "Lan"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_walks_a_journey_and_refuses_forgeries(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    app = ChungSuc(
        telegram_settings(
            settings,
            fake,
            web_port=port,
            telegram_webhook_url=url,
            telegram_webhook_secret=SECRET,
        ),
        clock=clock,
    )
    await app.start(migrate=False)
    try:
        await walk_whole_journey(fake)

        forged = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/dangky",
                "chat": {"id": 999, "type": "private"},
                "from": {"id": 999, "is_bot": False, "first_name": "X"},
            },
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=forged) as response:
                assert response.status == 401
            headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(url, json=forged, headers=headers) as response:
                assert response.status == 401
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, data=b"{not json", headers=headers) as response:
                assert response.status == 400
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
        async with app.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Contact))
        assert count == 1, "forged updates created nobody"
    finally:
        await app.stop()


async def test_webhook_update_stranded_by_a_crash_is_answered_after_restart(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> None:
    stranded = help_update(9001)
    await stored_before_start(settings, stranded, clock)
    fake.add_user(USER, "Lan")
    app, _port = webhook_service(settings, fake, clock)
    await app.start(migrate=False)
    try:
        [answer] = await fake.wait_for_messages(USER, 1)
        assert "Các lệnh" in answer["text"]
        await app.engine.drain()
        left = await unhandled_updates(app)
        assert left == 0
    finally:
        await app.stop()


async def test_polling_survives_a_conflict_and_server_errors(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    fake.fail_next("getUpdates", 409, "Conflict: terminated by other getUpdates request")
    lan = TelegramUser(fake)
    assert "Các lệnh" in (await lan.say("/help"))["text"]
    fake.fail_next("getUpdates", 500, "Internal Server Error")
    assert "Đã đăng ký" in (await lan.say("/dangky"))["text"]


async def test_webhook_copy_of_an_update_is_handled_once(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    app = ChungSuc(
        telegram_settings(
            settings, fake, web_port=port, telegram_webhook_url=url, telegram_webhook_secret=SECRET
        ),
        clock=clock,
    )
    await app.start(migrate=False)
    try:
        fake.add_user(USER, "Lan")
        update = help_update(777)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with aiohttp.ClientSession() as http:
            for _ in range(2):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 200
        await fake.wait_for_messages(USER, 1)
        await asyncio.sleep(0.3)
        assert len(fake.messages_to(USER)) == 1
    finally:
        await app.stop()


async def test_polled_batch_stored_before_a_crash_is_handled_once_after_restart(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> None:
    fake.add_user(USER, "Lan")
    # Fetched and stored, never acknowledged: Telegram will hand it over again.
    update = fake.user_sends_text(USER, "/help")
    await stored_before_start(settings, update, clock)
    app = ChungSuc(telegram_settings(settings, fake), clock=clock)
    await app.start(migrate=False)
    try:
        await fake.wait_for_messages(USER, 1)
        await asyncio.sleep(0.5)
        assert len(fake.messages_to(USER)) == 1
    finally:
        await app.stop()


async def test_shared_phone_number_is_thanked_and_never_kept(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    TelegramUser(fake)
    # Someone else's number, from the address book (the person's own may be kept for a
    # form that asked for it: tests/test_photos_telegram.py).
    fake.user_shares_contact(USER, "+84901234567", contact_user_id=5550999)
    [reply] = await fake.wait_for_messages(USER, 1)
    assert "không cần số điện thoại" in reply["text"]
    async with service.sessions() as session:
        stored = [
            json.dumps(payload) for payload in await session.scalars(select(InboundUpdate.payload))
        ]
        kinds = list(
            await session.scalars(select(Interaction.kind).where(Interaction.direction == "in"))
        )
    assert stored and not any("84901234567" in payload for payload in stored)
    assert kinds == ["contact"]


async def test_healthz_reports_polling_stopped_by_a_refused_token(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    url = f"http://127.0.0.1:{service.port}/healthz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
    # The token is revoked in @BotFather while the bot runs.
    fake.fail_next("getUpdates", 401, "Unauthorized")
    fake.user_sends_text(USER, "xin chào")
    body = await health_once_degraded(url)
    assert body["status"] == "degraded"
    assert body["problems"] == ["telegram: polling stopped, the token was refused"]


async def test_updates_stored_before_a_restart_go_ahead_of_new_ones(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> None:
    stranded = help_update(9001)
    stranded["message"]["text"] = "/ngonngu"
    await stored_before_start(settings, stranded, clock)
    fake.add_user(USER, "Lan")
    app, port = webhook_service(settings, fake, clock)
    # Telegram takes its time to confirm the webhook, and meanwhile posts Lan's next
    # message to it: the answer to the language question, typed as its label.
    fake.set_delay("setWebhook", 0.3)
    starting = asyncio.create_task(app.start(migrate=False))
    try:
        await fake.wait_for_call("setWebhook")
        answer = help_update(9002)
        answer["message"]["text"] = "English"
        del answer["message"]["entities"]
        async with aiohttp.ClientSession() as http:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            async with http.post(url, json=answer, headers=headers) as response:
                assert response.status == 200
        await starting
        first, second = await fake.wait_for_messages(USER, 2)
        assert "Choose your language" in first["text"]
        assert "Switched to English" in second["text"]
    finally:
        await app.stop()


async def test_photos_in_and_out(service: ChungSuc, fake: FakeTelegramAPI) -> None:
    TelegramUser(fake)
    sent = fake.user_sends_photo(USER, camera_jpeg(), caption="ocop là gì")
    await fake.wait_for_messages(USER, 1)
    file_id = sent["message"]["photo"][-1]["file_id"]
    telegram = service.telegram
    assert telegram is not None

    await telegram.deliver(
        str(USER),
        [
            Reply("Thôn <Tân Lập> kiểu mẫu", (Button("browse:open", "Xem thêm"),), photo=file_id),
            Reply("Bài dài.\n\n" + "chữ " * 400, photo=file_id),
        ],
    )

    _, captioned, bare, long_text = await fake.wait_for_messages(USER, 4)
    assert captioned["photo"] and captioned["caption"] == "Thôn <Tân Lập> kiểu mẫu"
    assert buttons(captioned) == {"Xem thêm": "browse:open"}
    assert bare["photo"] and "caption" not in bare
    assert long_text["text"].startswith("Bài dài.")
    async with service.sessions() as session:
        kinds = list(
            await session.scalars(select(Interaction.kind).where(Interaction.direction == "in"))
        )
    assert kinds == ["photo"]
