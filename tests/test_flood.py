"""One person flooding the bot is told once to slow down; the rest of their burst is
kept, not answered, and everyone else is served as usual. On the web chat a flood is
refused at the door with 429 (never 503, which a page or script would retry), without
the engine or a database write per message."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, func, select, text

from bot.app import ChungSuc
from bot.config import load_settings
from handlers.flood import DROP, NOTICE, FloodGate
from handlers.types import Incoming
from storage.models import Interaction
from tests.conftest import Clock
from tests.test_browser import page
from tests.test_web import http

__all__ = ["http", "page"]  # fixtures shared with the browser and web chat tests

FLOODER = "floodingSessionForTests_0123"
OTHER = "someoneElseAskingForTests_01"


async def test_flooding_person_is_told_once_and_others_are_answered(app: ChungSuc) -> None:
    app.engine.flood_pause = 0.2
    flooder = {"channel": "web", "external_id": "f" * 24}
    answers = [await app.engine.handle(Incoming(text=f"câu hỏi {n}", **flooder)) for n in range(21)]
    assert all(answers[:20])
    assert "nhắn nhanh quá" in answers[20][0].text
    started = time.monotonic()
    answers = [await app.engine.handle(Incoming(text=f"lại {n}", **flooder)) for n in range(4)]
    assert answers == [[], [], [], []]
    assert time.monotonic() - started >= 4 * 0.2, "a script flooding the engine is slowed"
    other = await app.engine.handle(Incoming("web", "o" * 24, text="ocop là gì"))
    assert "OCOP" in other[0].text
    await app.engine.drain()
    assert await dropped(app) == 5, "nothing a person sent is lost, even in a flood"


def test_the_gate_opens_again_once_the_person_slows_down() -> None:
    now = [0.0]
    gate = FloodGate(limit=3, window=10.0, clock=lambda: now[0])
    person = ("zalo", "z")
    verdicts = [gate.verdict(person) for _ in range(5)]
    assert verdicts[3:] == [NOTICE, DROP]
    now[0] = 11.0
    assert gate.verdict(person) == "admit"


def test_messages_refused_at_the_door_count_and_retry_after_says_when_to_send() -> None:
    now = [0.0]
    gate = FloodGate(limit=3, window=10.0, clock=lambda: now[0])
    person = ("web", "w")
    assert gate.refuse(person) is None, "under the limit: left for the engine to count"
    for second in (0.0, 1.0, 2.0):
        now[0] = second
        assert gate.refuse(person) is None
        gate.verdict(person)
    now[0] = 3.0
    assert [gate.refuse(person) for _ in range(3)] == [NOTICE, DROP, DROP]
    # The third most recent message (at 3.0) leaves the window at 13.0.
    assert gate.retry_after(person) == pytest.approx(10.0)
    now[0] = 12.0
    assert gate.refuse(person) == DROP, "refused messages count: still flooding"
    now[0] = 22.5
    assert gate.refuse(person) is None and gate.retry_after(person) == 0.0


@pytest.fixture
async def served(
    storage_url: str, tmp_path: Path, clock: Clock
) -> AsyncIterator[tuple[ChungSuc, str]]:
    settings = load_settings(database_url=storage_url, web_port=0, media_dir=tmp_path / "media")
    app = ChungSuc(settings, clock=clock)
    await app.start(migrate=False)
    app.web.hold_between = (0.05, 0.05)
    yield app, f"http://127.0.0.1:{app.port}"
    await app.stop()


async def say(
    http: aiohttp.ClientSession, base: str, session_id: str, words: str
) -> tuple[int, dict[str, Any], str | None]:
    body = {"session_id": session_id, "text": words}
    async with http.post(f"{base}/api/chat/messages", json=body) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def dropped(app: ChungSuc) -> int:
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.kind == "dropped")
        )
    return count or 0


@pytest.fixture
def statements(served: tuple[ChungSuc, str]) -> Iterator[list[str]]:
    """The SQL statements the service runs on people's messages, as it runs them (the
    outbox and other workers poll tables of their own)."""
    app, _ = served
    seen: list[str] = []

    def executed(*args: Any) -> None:
        if "interactions" in args[2] or "contacts" in args[2]:
            seen.append(args[2])

    event.listen(app.db.sync_engine, "before_cursor_execute", executed)
    yield seen
    event.remove(app.db.sync_engine, "before_cursor_execute", executed)


async def test_a_flood_on_the_web_chat_gets_429_and_others_are_still_answered(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession, statements: list[str]
) -> None:
    app, base = served
    for n in range(20):
        status, _, _ = await say(http, base, FLOODER, f"câu hỏi {n}")
        assert status == 200
    status, body, retry = await say(http, base, FLOODER, "câu hỏi 20")
    assert status == 429 and retry is not None and int(retry) >= 1
    [notice] = body["replies"]
    assert "nhắn nhanh quá" in notice["text"], "told once, politely"

    before = len(statements)
    burst = await asyncio.gather(*(say(http, base, FLOODER, f"lại {n}") for n in range(30)))
    refused_with = len(statements) - before
    assert {status for status, _, _ in burst} == {429}, "never 503: nothing to try again"
    assert all(body["replies"] == [] and int(retry or 0) >= 1 for _, body, retry in burst)
    assert refused_with < 10, "refused at the door, not one round trip each to the database"

    status, body, _ = await say(http, base, OTHER, "ocop là gì")
    assert status == 200 and "OCOP" in body["replies"][0]["text"]
    await app.web.flush_dropped()
    assert await dropped(app) == 31, "what the flooder sent is kept, marked dropped"


async def test_more_than_four_messages_at_once_from_one_page_are_refused(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession
) -> None:
    app, base = served
    await say(http, base, FLOODER, "/start")
    postgres = app.db.dialect.name == "postgresql"
    async with app.db.connect() as holder:
        # The database busy with someone else's write: the first messages wait in it.
        await holder.begin()
        await holder.execute(
            text(
                "LOCK TABLE interactions IN EXCLUSIVE MODE"
                if postgres
                else "DELETE FROM interactions WHERE 0"
            )
        )
        sent = [asyncio.create_task(say(http, base, FLOODER, f"câu {n}")) for n in range(8)]
        refused: list[int] = []
        for answer in asyncio.as_completed(sent, timeout=4):
            status, _, _ = await answer
            refused.append(status)
            if len(refused) == 4:
                break
        await holder.rollback()
    answered = [status for status, _, _ in await asyncio.gather(*sent)]
    assert refused == [429] * 4, "beyond four at once: refused at once"
    assert sorted(answered) == [200] * 4 + [429] * 4, "the four in flight are answered"
    await app.web.flush_dropped()
    assert await dropped(app) == 4


async def test_the_page_shows_the_slow_down_notice_once_and_no_error(page) -> None:  # type: ignore[no-untyped-def]
    tab, url = page
    await tab.goto(url)
    await tab.get_by_text("Xin chào!").wait_for()
    # A script in the page, typing faster than any person.
    await tab.evaluate(
        """async () => {
            const input = document.getElementById("text");
            const form = document.getElementById("composer");
            for (let n = 0; n < 26; n++) {
                input.value = "câu hỏi " + n;
                form.requestSubmit();
                await new Promise((done) => setTimeout(done, 20));
            }
        }"""
    )
    await tab.get_by_text("Bạn nhắn nhanh quá").wait_for()
    await tab.wait_for_timeout(1500)
    assert await tab.get_by_text("Bạn nhắn nhanh quá").count() == 1
    assert await tab.get_by_text("Mất kết nối").count() == 0, "a refusal is not an outage"
