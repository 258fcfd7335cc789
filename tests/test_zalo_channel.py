"""The real service on the Zalo channel, against the fake Zalo Bot API: every journey
walked as a villager would, by typing numbers and words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from functools import partial

import aiohttp
import pytest
from sqlalchemy import func, select

import bot.channels.zalo as zalo_channel
from bot.app import ChungSuc
from bot.channels.delivery import ChannelStartError, with_retries
from bot.channels.zalo_client import ZaloUpdate
from bot.config import Settings, load_settings
from handlers.types import Incoming, Reply
from storage.broadcasts import create_broadcast
from storage.db import create_engine, create_sessions
from storage.inbound import keep_inbound
from storage.models import Contact, OutgoingReply
from tests.chat import Chat
from tests.conftest import Clock, health_once_degraded, unhandled_updates
from tests.fakes.photos import media_beside
from tests.fakes.zalo_api import SECRET_HEADER, FakeZaloAPI

USER = "e4ea0f0c7b1d2a3c"
SECRET = "webhook-secret-123"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloAPI]:
    api = FakeZaloAPI()
    await api.start()
    yield api
    await api.stop()


def zalo_settings(settings: Settings, fake: FakeZaloAPI, **extra: object) -> Settings:
    return load_settings(
        database_url=settings.database_url,
        web_port=0,
        admins=settings.admins,
        zalo_bot_token=fake.token,
        zalo_base_url=fake.base_url,
        media_dir=extra.pop("media_dir", media_beside(settings.database_url)),
        **extra,
    )


@pytest.fixture
async def service(settings: Settings, fake: FakeZaloAPI, clock: Clock) -> AsyncIterator[ChungSuc]:
    app = ChungSuc(zalo_settings(settings, fake), clock=clock)
    await app.start(migrate=False)
    yield app
    await app.stop()


class ZaloUser:
    """A villager on Zalo: sends text and reads what the bot sent back."""

    def __init__(self, fake: FakeZaloAPI, user_id: str = USER) -> None:
        self.fake = fake
        self.user_id = user_id
        self.seen = 0

    async def say(self, text: str, expect: int = 1) -> str:
        await self.fake.user_sends_text(self.user_id, text, display_name="Chị Mai")
        messages = await self.fake.wait_for_messages(self.user_id, self.seen + expect)
        fresh = messages[self.seen :]
        self.seen = len(messages)
        return "\n".join(m.text or "" for m in fresh)


async def test_villager_walks_menu_by_numbers_and_asks_without_diacritics(
    service: ChungSuc, fake: FakeZaloAPI
) -> None:
    mai = ZaloUser(fake)
    greeting = await mai.say("/start")
    assert "1. Quảng Trị" in greeting and "2. An Giang" in greeting
    assert "Gõ 1 hoặc 2 để chọn." in greeting
    menu = await mai.say("2")
    assert "Đã chọn tỉnh An Giang" in menu
    assert "1. ❓ Hỏi đáp" in menu
    assert "Gõ 1, 2, 3, 4, 5, 6 hoặc 7 để chọn." in menu
    assert "Bạn cứ gõ câu hỏi" in await mai.say("1")
    answer = await mai.say("ke hoach 861 ban hanh ngay nao")
    assert "19/12/2022" in answer and "📄 Theo" in answer


async def test_label_typed_without_diacritics_chooses_it(
    service: ChungSuc, fake: FakeZaloAPI
) -> None:
    mai = ZaloUser(fake)
    await mai.say("/start")
    assert "Đã chọn tỉnh Quảng Trị" in await mai.say("quang tri")


async def test_question_handed_to_officer_and_answer_arrives_on_zalo(
    service: ChungSuc, fake: FakeZaloAPI
) -> None:
    officer = Chat(service.engine, "web", "a" * 24)
    mai = ZaloUser(fake)
    offer = await mai.say("cho toi hoi lich tiem phong cho trau bo thang nay")
    assert "Gửi câu hỏi cho cán bộ" in offer
    number = next(
        line.split(".")[0] for line in offer.splitlines() if "Gửi câu hỏi cho cán bộ" in line
    )
    assert "Đã gửi câu hỏi số 1" in await mai.say(number)
    await officer.say("/hopthu")
    await officer.press("inbox:answer:1")
    await officer.say("Lịch tiêm phòng đợt 2 từ ngày 5 đến 20 tháng này tại nhà văn hóa thôn.")
    [delivered] = (await fake.wait_for_messages(USER, mai.seen + 1))[mai.seen :]
    assert delivered.text and "Cán bộ đã trả lời" in delivered.text
    assert "nhà văn hóa thôn" in delivered.text


async def test_language_switch_and_cancel_mid_flow(service: ChungSuc, fake: FakeZaloAPI) -> None:
    mai = ZaloUser(fake)
    choices = await mai.say("/ngonngu")
    assert "2. English" in choices
    assert "Switched to English." in await mai.say("2")
    data = await mai.say("/dulieu")
    delete_number = next(
        line.split(".")[0] for line in data.splitlines() if "Delete my data" in line
    )
    assert "Are you sure" in await mai.say(delete_number)
    assert "Cancelled" in await mai.say("/huy")
    assert "The data I keep about you" in await mai.say("/dulieu")


async def test_user_who_blocked_the_bot_is_marked(service: ChungSuc, fake: FakeZaloAPI) -> None:
    mai = ZaloUser(fake)
    await mai.say("/dangky")
    fake.block(USER)
    await fake.user_sends_text(USER, "/help")
    for _ in range(100):
        async with service.sessions() as session:
            contact = (await session.scalars(select(Contact))).one()
        if contact.blocked:
            break
        await asyncio.sleep(0.05)
    assert contact.blocked and not contact.subscribed


async def test_send_failures_are_retried(service: ChungSuc, fake: FakeZaloAPI) -> None:
    ZaloUser(fake)
    await fake.user_sends_text(USER, "/help")
    fake.fail_next(2)
    messages = await fake.wait_for_messages(USER, 1, timeout=10)
    assert "Các lệnh" in (messages[0].text or "")


async def test_bad_token_fails_start_clearly(settings: Settings, fake: FakeZaloAPI) -> None:
    app = ChungSuc(
        load_settings(
            database_url=settings.database_url,
            web_port=0,
            zalo_bot_token="1:wrong",
            zalo_base_url=fake.base_url,
        )
    )
    with pytest.raises(ChannelStartError, match="ZALO_BOT_TOKEN"):
        await app.start(migrate=False)
    await app.stop()


async def test_webhook_mode_checks_secret_and_handles_duplicates_once(
    settings: Settings, fake: FakeZaloAPI, clock: Clock
) -> None:
    app = ChungSuc(zalo_settings(settings, fake, zalo_webhook_secret=SECRET), clock=clock)
    await app.start(migrate=False)
    url = f"http://127.0.0.1:{app.port}/zalo/webhook"
    try:
        fake.deliver_to(url, SECRET)
        mai = ZaloUser(fake)
        assert "Các lệnh" in await mai.say("/help")
        await fake.redeliver_last()
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"event_name": "x"}) as response:
                assert response.status == 401
            async with http.post(url, json={}, headers={SECRET_HEADER: "wrong-secret"}) as r:
                assert r.status == 401
            async with http.post(url, data=b"{oops", headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 400
            wrapped = {"ok": True, "result": fake.webhook_deliveries[0].update}
            wrapped["result"] = {**wrapped["result"]}
            async with http.post(url, json=wrapped, headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 200
        await mai.say("/dangky")
        helps = [m for m in fake.sent if m.text and m.text.startswith("Các lệnh")]
        assert len(helps) == 1, "a duplicate delivery is answered once"
    finally:
        await app.stop()


async def test_update_accepted_before_a_crash_is_answered_after_restart(
    settings: Settings, fake: FakeZaloAPI, clock: Clock
) -> None:
    # As if the service had stored an update, answered Zalo, and died before the turn.
    stranded = ZaloUpdate(
        event_name="message.text.received",
        message_id="a1b2c3",
        chat_id=USER,
        user_id=USER,
        user_name="Chị Mai",
        text="/help",
        photo_url=None,
        date=0,
    )
    engine = create_engine(settings.database_url)
    await keep_inbound(
        create_sessions(engine), "zalo", stranded.dedup_key, asdict(stranded), clock()
    )
    await engine.dispose()

    app = ChungSuc(zalo_settings(settings, fake), clock=clock)
    await app.start(migrate=False)
    try:
        [answer] = await fake.wait_for_messages(USER, 1)
        assert answer.text and "Các lệnh" in answer.text
        await app.engine.drain()
        left = await unhandled_updates(app)
        assert left == 0, "handled once, then marked"
    finally:
        await app.stop()


async def test_handled_updates_leave_nothing_pending(service: ChungSuc, fake: FakeZaloAPI) -> None:
    mai = ZaloUser(fake)
    await mai.say("/start")
    await mai.say("2")
    await service.engine.drain()
    left = await unhandled_updates(service)
    assert left == 0


async def test_healthz_reports_polling_stopped_by_a_refused_token(
    service: ChungSuc, fake: FakeZaloAPI
) -> None:
    url = f"http://127.0.0.1:{service.port}/healthz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
    # The token is revoked in Zalo Bot Creator while the bot runs.
    fake.fail_next(1, status=401)
    await fake.user_sends_text("u-healthz", "xin chào")
    body = await health_once_degraded(url)
    assert body == {
        "status": "degraded",
        "problems": ["zalo: polling stopped, the token was refused"],
    }


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored updates queued again after 50 ms instead of 5 s; ask for it before
    `service`, which reads it when the channel is built."""
    monkeypatch.setattr(zalo_channel, "RETRY_SECONDS", 0.05)


async def test_message_the_database_could_not_take_is_answered_once_it_is_back(
    quick_retries: None,
    service: ChungSuc,
    fake: FakeZaloAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handle = service.engine.handle
    away = [True]

    async def database_away_once(incoming: Incoming) -> list[Reply]:
        if away:
            away.pop()
            return []  # what the engine answers when it cannot commit the turn
        return await handle(incoming)

    monkeypatch.setattr(service.engine, "handle", database_away_once)
    await fake.user_sends_text("u-retry", "ocop la gi")

    [reply] = await fake.wait_for_messages("u-retry", 1)
    assert "OCOP" in reply.text
    await asyncio.sleep(0.2)
    assert len([m for m in fake.sent if m.chat_id == "u-retry"]) == 1
    assert await unhandled_updates(service) == 0


async def test_reply_owed_when_the_bot_stopped_is_sent_after_restart(
    settings: Settings, fake: FakeZaloAPI, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Zalo refuses every send; the service gives up at once instead of after seconds.
    monkeypatch.setattr(zalo_channel, "with_retries", partial(with_retries, attempts=1))
    fake.fail_next(1_000, status=502, method="sendMessage")
    first = ChungSuc(zalo_settings(settings, fake), clock=clock)
    await first.start(migrate=False)
    try:
        await fake.user_sends_text("u-owed", "ocop la gi")
        for _ in range(100):
            if await owed_replies(first):
                break
            await asyncio.sleep(0.05)
        await first.engine.drain()
        assert await owed_replies(first) == 1
    finally:
        await first.stop()
    assert not [m for m in fake.sent if m.chat_id == "u-owed"]

    fake.fail_next(0)  # Zalo is back
    second = ChungSuc(zalo_settings(settings, fake), clock=clock)
    await second.start(migrate=False)
    try:
        [reply] = await fake.wait_for_messages("u-owed", 1)
        assert "OCOP" in reply.text
        for _ in range(50):
            if not await owed_replies(second):
                break
            await asyncio.sleep(0.05)
        assert await owed_replies(second) == 0
    finally:
        await second.stop()


async def owed_replies(app: ChungSuc) -> int:
    async with app.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(OutgoingReply))
    return int(count or 0)


async def test_zalo_villager_subscribes_and_receives_an_announcement(
    service: ChungSuc,
    fake: FakeZaloAPI,
    clock: Clock,
) -> None:
    mai = ZaloUser(fake)
    await mai.say("/start")
    await mai.say("1")
    subscribed = await mai.say("/dangky")
    assert "Đã đăng ký" in subscribed and "1. 📍 Chọn xã của tôi" in subscribed
    async with service.sessions.begin() as session:
        await create_broadcast(
            session,
            created_by="cli:admin",
            created_by_contact_id=None,
            province=None,
            audience=["province:quang-tri"],
            text="Ngày 24/12 họp tổng kết phong trào tại nhà văn hóa thôn.",
            scheduled_at=clock(),
            now=clock(),
        )
    await service.broadcasts.tick()
    await service.engine.drain()
    messages = await fake.wait_for_messages(mai.user_id, mai.seen + 1)
    assert "họp tổng kết phong trào" in (messages[-1].text or "")
