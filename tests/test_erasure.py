"""Erasing one's data also erases the raw platform updates that carried it."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import Settings
from storage.db import create_engine, create_sessions
from storage.inbound import claim_inbound, erase_inbound_of, keep_inbound
from storage.models import InboundUpdate, utcnow
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_channel import TelegramUser, telegram_service


def telegram_update(update_id: int, chat_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Lan"},
            "text": text,
        },
    }


async def test_erasing_removes_only_that_persons_handled_updates(storage_url: str) -> None:
    engine = create_engine(storage_url)
    sessions = create_sessions(engine)
    now = utcnow()
    try:
        receipts = [
            await keep_inbound(sessions, "telegram", str(n), telegram_update(n, chat, text), now)
            for n, chat, text in [
                (1, 5550001, "số tôi 0912345678"),
                (2, 55500012, "chào"),
                (3, 5550001, "chưa xử lý"),
            ]
        ]
        async with sessions.begin() as session:
            await claim_inbound(session, [r for r in receipts[:2] if r], now)
        async with sessions.begin() as session:
            await erase_inbound_of(session, "telegram", "5550001")
        async with sessions() as session:
            left = sorted((await session.scalars(select(InboundUpdate.key))).all())
        # The other person's update stays, and so does one not handled yet.
        assert left == ["2", "3"]
    finally:
        await engine.dispose()


async def test_deleting_my_data_on_telegram_leaves_none_of_my_updates(
    settings: Settings, clock: Clock
) -> None:
    fake = FakeTelegramAPI()
    await fake.start()
    try:
        async with telegram_service(settings, fake, clock) as app:
            lan = TelegramUser(fake)
            await lan.say("số tôi là 0912 345 678, xin chào")
            data = await lan.say("/dulieu")
            confirm = await lan.tap(data, "data:delete")
            await lan.tap(confirm, "data:erase")
            await app.engine.drain()
            async with app.sessions() as session:
                payloads = (await session.scalars(select(InboundUpdate.payload))).all()
            assert not any("0912 345 678" in str(p) for p in payloads)
            assert not any(str(lan.user_id) in str(p) for p in payloads)
    finally:
        await fake.stop()
