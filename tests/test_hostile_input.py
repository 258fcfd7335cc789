"""Hostile bodies on every endpoint get 400 and leave no traceback and nothing stored;
forged ids are refused at the edge; a long run of `<` never reaches Telegram cut."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.channels.telegram_payloads import read_update
from bot.channels.telegram_send import escaped_pieces
from bot.config import Settings
from storage.models import Contact, InboundUpdate, Interaction
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI
from tests.test_telegram_channel import SECRET as TELEGRAM_SECRET
from tests.test_telegram_channel import webhook_service
from tests.test_zalo_channel import SECRET as ZALO_SECRET
from tests.test_zalo_channel import zalo_settings

SESSION = "s3cretSessionIdForTests_0123"
DEEP = "[" * 1000 + "]" * 1000
HUGE = '{"session_id": "' + SESSION + '", "text": ' + "9" * 5000 + "}"
HOSTILE = [
    DEEP.encode(),
    HUGE.encode(),
    ('{"session_id": "' + SESSION + '", "text": "\\ud800"}').encode(),
    ('{"session_id": "' + SESSION + '", "button": "start:open\\u0000"}').encode(),
    ('{"session_id": "' + SESSION + '\\n", "text": "xin chao"}').encode(),
    b"\xff\xfe not utf-8",
    b"[1, 2, 3]",
]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramAPI]:
    fake = FakeTelegramAPI(rate_limits=False)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def services(
    settings: Settings, clock: Clock, telegram: FakeTelegramAPI
) -> AsyncIterator[tuple[ChungSuc, ChungSuc, FakeZaloAPI]]:
    """The service on Telegram (webhook) with the web chat, and on Zalo (webhook)."""
    zalo = FakeZaloAPI()
    await zalo.start()
    on_telegram, _port = webhook_service(settings, telegram, clock)
    on_zalo = ChungSuc(zalo_settings(settings, zalo, zalo_webhook_secret=ZALO_SECRET), clock=clock)
    await on_telegram.start(migrate=False)
    await on_zalo.start(migrate=False)
    yield on_telegram, on_zalo, zalo
    await on_zalo.stop()
    await on_telegram.stop()
    await zalo.stop()


async def stored(app: ChungSuc) -> tuple[int, int, int]:
    async with app.sessions() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Contact)) or 0),
            int(await session.scalar(select(func.count()).select_from(Interaction)) or 0),
            int(await session.scalar(select(func.count()).select_from(InboundUpdate)) or 0),
        )


async def test_hostile_bodies_get_400_on_every_endpoint_and_nothing_is_stored(
    services: tuple[ChungSuc, ChungSuc, FakeZaloAPI], caplog: pytest.LogCaptureFixture
) -> None:
    on_telegram, on_zalo, _ = services
    endpoints = [
        (f"http://127.0.0.1:{on_telegram.port}/api/chat/messages", {}),
        (
            f"http://127.0.0.1:{on_telegram.port}/telegram/webhook",
            {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        ),
        (f"http://127.0.0.1:{on_zalo.port}/zalo/webhook", {"X-Bot-Api-Secret-Token": ZALO_SECRET}),
    ]
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        for url, headers in endpoints:
            for body in HOSTILE:
                async with http.post(
                    url, data=body, headers={**headers, "Content-Type": "application/json"}
                ) as response:
                    assert response.status == 400, (url, body[:40])
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert await stored(on_telegram) == (0, 0, 0)
    assert await stored(on_zalo) == (0, 0, 0)


async def test_bad_event_cursors_are_no_cursor_and_streams_are_capped(
    services: tuple[ChungSuc, ChungSuc, FakeZaloAPI],
) -> None:
    on_telegram, _, _ = services
    base = f"http://127.0.0.1:{on_telegram.port}/api/chat/events?session_id={SESSION}"
    async with aiohttp.ClientSession() as http:
        opened = []
        for query, header in [("&after=²", ""), ("&after=" + "9" * 5000, ""), ("", "9" * 5000)]:
            response = await http.get(base + query, headers={"Last-Event-ID": header})
            assert response.status == 200
            opened.append(response)
        async with http.get(base) as refused:
            assert refused.status == 429, "a session holds three streams at most"
        for response in opened:
            response.close()


def test_a_forged_chat_id_that_is_not_a_number_is_refused_at_the_edge() -> None:
    forged = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "chat": {"id": {"x": 1}, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "L" * 500},
            "text": "xin chào",
        },
    }
    assert read_update(forged, None) is None
    forged["message"]["chat"]["id"] = 42  # type: ignore[index]
    incoming = read_update(forged, None)
    assert incoming is not None and getattr(incoming, "name", "") == "L" * 200


def test_long_runs_of_markup_characters_are_split_before_escaping() -> None:
    pieces = escaped_pieces("<" * 5000, 4096)
    assert all(len(piece) <= 4096 for piece in pieces)
    assert "".join(pieces) == "&lt;" * 5000
    assert all(piece.endswith(";") for piece in pieces)
