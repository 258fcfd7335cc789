"""Many updates at once on Telegram, against the fake Bot API: everything polled in one
go is answered, logged and cleared, and each person's replies keep their messages' order
however slowly a send goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import bot.channels.telegram as telegram_channel
import bot.channels.telegram_send as telegram_send
from bot.app import ChungSuc
from bot.config import Settings
from handlers.types import Incoming, Reply
from storage.models import Interaction, OutgoingReply
from tests.conftest import Clock, unhandled_updates
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_channel import telegram_service

LAN = 5550001
BINH = 5550002
# Questions from the knowledge base, each with a phrase only its answer contains.
QUESTIONS = {
    "nông thôn mới là gì": "Xã nông thôn mới (xã NTM) là xã đạt đủ Bộ tiêu chí",
    "ocop là gì": "OCOP là Chương trình “Mỗi xã một sản phẩm”",
    "muc tieu xa ntm quang tri 2025": "80% số xã đạt chuẩn nông thôn mới",
}
HELP = "Các lệnh"
LANGUAGES = "Chọn ngôn ngữ / Choose your language:"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    # Telegram's flood limits would space replies to one chat a second apart; the
    # service's handling of them is tested in test_telegram_channel.
    api = FakeTelegramAPI(rate_limits=False)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def service(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> AsyncIterator[ChungSuc]:
    async with telegram_service(settings, fake, clock) as app:
        yield app


async def interactions_by_direction(app: ChungSuc) -> dict[str, int]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(Interaction.direction, func.count()).group_by(Interaction.direction)
        )
    return {direction: count for direction, count in rows}


async def first_rejection(fake: FakeTelegramAPI, method: str) -> None:
    """Wait until the fake has refused a call of `method`."""
    for _ in range(500):
        if any(name == method for name, _, _ in fake.rejected):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {method} call was refused within 5 s")


async def test_crowd_writing_at_once_is_answered_and_logged(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    crowd = [6000 + n for n in range(30)]
    asked: dict[int, str] = {}
    questions = list(QUESTIONS)
    for number, user_id in enumerate(crowd):
        fake.add_user(user_id, f"Người {number}")
    # No await in between: the bot's next poll finds all thirty waiting.
    for number, user_id in enumerate(crowd):
        asked[user_id] = questions[number % len(questions)]
        fake.user_sends_text(user_id, asked[user_id])

    for user_id in crowd:
        [reply] = await fake.wait_for_messages(user_id, 1)
        assert QUESTIONS[asked[user_id]] in reply["text"], "each person gets their own answer"
    await service.engine.drain()

    assert await interactions_by_direction(service) == {"in": 30, "out": 30}
    assert await unhandled_updates(service) == 0
    assert all(len(fake.messages_to(user_id)) == 1 for user_id in crowd), "one reply each"


async def test_one_persons_messages_are_answered_in_order_within_a_batch(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    fake.add_user(LAN, "Lan")
    fake.add_user(BINH, "Bình")
    # Read by one poll: one batch, with Bình's message in the middle of Lan's. Each of
    # Lan's messages depends on the one before, so they must be handled in order too.
    fake.user_sends_text(LAN, "/ngonngu")
    fake.user_sends_text(LAN, "English")
    fake.user_sends_text(BINH, "/help")
    fake.user_sends_text(LAN, "/help")

    replies = await fake.wait_for_messages(LAN, 3)
    assert [reply["text"] for reply in replies[:2]] == [LANGUAGES, "Switched to English."]
    assert replies[2]["text"].startswith("Commands you can type:")
    [to_binh] = await fake.wait_for_messages(BINH, 1)
    assert HELP in to_binh["text"]
    await service.engine.drain()
    assert await interactions_by_direction(service) == {"in": 4, "out": 4}
    assert await unhandled_updates(service) == 0


async def test_slow_send_does_not_reorder_a_persons_replies(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    fake.add_user(LAN, "Lan")
    fake.add_user(BINH, "Bình")
    # Lan's first reply hits Telegram's flood limit and waits a second to be sent again.
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    fake.user_sends_text(LAN, "/help")
    await first_rejection(fake, "sendMessage")
    # Handled while that reply waits: Lan's next one must queue behind it, Bình's not.
    fake.user_sends_text(LAN, "ocop là gì")
    fake.user_sends_text(BINH, "/help")

    [to_binh] = await fake.wait_for_messages(BINH, 1)
    assert HELP in to_binh["text"]
    assert fake.messages_to(LAN) == [], "Bình's reply is not held back behind Lan's"
    first, second = await fake.wait_for_messages(LAN, 2)
    assert HELP in first["text"]
    assert QUESTIONS["ocop là gì"] in second["text"]


async def test_replies_to_one_person_wait_for_each_other_when_telegram_is_slow(
    service: ChungSuc, fake: FakeTelegramAPI
) -> None:
    fake.add_user(LAN, "Lan")
    fake.add_user(BINH, "Bình")
    # Every sendMessage takes effect at once but is answered only after the delay.
    delay = 0.4
    fake.set_delay("sendMessage", delay)
    loop = asyncio.get_running_loop()
    fake.user_sends_text(LAN, "/help")
    fake.user_sends_text(LAN, "ocop là gì")
    fake.user_sends_text(BINH, "/help")

    await fake.wait_for_messages(BINH, 1)
    await fake.wait_for_messages(LAN, 1)
    started = loop.time()
    assert len(fake.messages_to(LAN)) == 1, "Lan's second reply waits for the first's answer"
    first, second = await fake.wait_for_messages(LAN, 2)
    assert loop.time() - started > delay / 2
    assert HELP in first["text"]
    assert QUESTIONS["ocop là gì"] in second["text"]


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored updates queued again after 50 ms instead of 5 s; ask for it before
    `service`, which reads it when the channel is built."""
    monkeypatch.setattr(telegram_channel, "RETRY_SECONDS", 0.05)


async def test_batch_that_fails_is_answered_once_the_database_is_back(
    quick_retries: None,
    service: ChungSuc,
    fake: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handle_many = service.engine.handle_many
    outages = [OperationalError("SELECT …", None, Exception("database is locked"))]

    async def flaky(incomings: Sequence[Incoming]) -> list[list[Reply]]:
        if outages:
            raise outages.pop()
        return await handle_many(incomings)

    monkeypatch.setattr(service.engine, "handle_many", flaky)
    fake.add_user(LAN, "Lan")
    fake.user_sends_text(LAN, "ocop là gì")

    [reply] = await fake.wait_for_messages(LAN, 1)
    assert QUESTIONS["ocop là gì"] in reply["text"]
    await asyncio.sleep(0.2)
    assert len(fake.messages_to(LAN)) == 1, "answered once, not once per attempt"
    assert await unhandled_updates(service) == 0


async def test_reply_waits_out_a_telegram_outage(
    service: ChungSuc, fake: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shorter waits between tries, the same number of tries as deployed.
    monkeypatch.setattr(telegram_send, "SEND_FIRST_DELAY", 0.01)
    fake.add_user(LAN, "Lan")
    fake.fail_next("sendMessage", 502, "Bad Gateway", times=6)
    fake.user_sends_text(LAN, "ocop là gì")

    [reply] = await fake.wait_for_messages(LAN, 1, timeout=10)
    assert QUESTIONS["ocop là gì"] in reply["text"]


async def owed(app: ChungSuc) -> int:
    async with app.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(OutgoingReply))
    return int(count or 0)


async def test_sent_replies_are_not_kept(service: ChungSuc, fake: FakeTelegramAPI) -> None:
    fake.add_user(LAN, "Lan")
    fake.user_sends_text(LAN, "ocop là gì")
    await fake.wait_for_messages(LAN, 1)
    for _ in range(50):
        if not await owed(service):
            break
        await asyncio.sleep(0.05)
    assert await owed(service) == 0


async def test_reply_owed_when_the_bot_stopped_is_sent_after_restart(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telegram refuses every send; the service gives up at once instead of after minutes.
    monkeypatch.setattr(telegram_send, "SEND_ATTEMPTS", 1)
    fake.fail_next("sendMessage", 502, "Bad Gateway", times=1_000)
    fake.add_user(LAN, "Lan")
    async with telegram_service(settings, fake, clock) as first:
        fake.user_sends_text(LAN, "ocop là gì")
        for _ in range(100):
            if await owed(first) and not fake.messages_to(LAN):
                break
            await asyncio.sleep(0.05)
        await first.engine.drain()
    assert not fake.messages_to(LAN)

    fake.fail_next("sendMessage", 502, "Bad Gateway", times=0)  # Telegram is back
    async with telegram_service(settings, fake, clock) as second:
        [reply] = await fake.wait_for_messages(LAN, 1)
        assert QUESTIONS["ocop là gì"] in reply["text"]
        for _ in range(50):
            if not await owed(second):
                break
            await asyncio.sleep(0.05)
        assert await owed(second) == 0
