"""The web chat's HTTP contract, against the real server on a free port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import ChungSuc
from bot.config import Settings
from handlers.types import Reply
from storage.contacts import find_contact
from tests.conftest import Clock

SESSION = "s3cretSessionIdForTests_0123"


@pytest.fixture
async def served(settings: Settings, clock: Clock) -> AsyncIterator[tuple[ChungSuc, str]]:
    app = ChungSuc(settings, clock=clock)
    await app.start(migrate=False)
    yield app, f"http://127.0.0.1:{app.port}"
    await app.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, base: str, body: object) -> tuple[int, dict]:
    async with http.post(f"{base}/api/chat/messages", json=body) as response:
        return response.status, await response.json()


async def test_page_is_self_contained_vietnamese(served, http) -> None:
    _, base = served
    async with http.get(base + "/") as response:
        page = await response.text()
    assert response.status == 200
    assert '<html lang="vi">' in page and "Gửi" in page
    assert "http://" not in page and "https://" not in page, "no external assets"


async def test_message_round_trip_with_buttons(served, http) -> None:
    _, base = served
    status, body = await post(http, base, {"session_id": SESSION, "text": "/start"})
    assert status == 200
    [reply] = body["replies"]
    assert reply["buttons"][0] == {"id": "province:set:quang-tri", "label": "Quảng Trị"}
    status, body = await post(
        http, base, {"session_id": SESSION, "button": "province:set:an-giang"}
    )
    assert "An Giang" in body["replies"][0]["text"]


@pytest.mark.parametrize(
    "session_id", ["short", "x" * 21, "../../etc/passwd-000000000", 12345, None]
)
async def test_guessable_or_malformed_session_ids_are_refused(served, http, session_id) -> None:
    _app, base = served
    status, body = await post(http, base, {"session_id": session_id, "text": "/start"})
    assert status == 400 and "session_id" in body["error"]


async def test_malformed_bodies_are_refused(served, http) -> None:
    _, base = served
    async with http.post(f"{base}/api/chat/messages", data=b"{not json") as response:
        assert response.status == 400
    status, _ = await post(http, base, ["list"])
    assert status == 400
    status, _ = await post(http, base, {"session_id": SESSION})
    assert status == 400


async def test_over_long_input_is_refused_politely(served, http) -> None:
    _, base = served
    status, body = await post(http, base, {"session_id": SESSION, "text": "a" * 4001})
    assert status == 200 and "dài quá" in body["replies"][0]["text"]


async def test_later_messages_reach_the_open_page(served, http) -> None:
    app, base = served
    await post(http, base, {"session_id": SESSION, "text": "/help"})
    async with app.sessions() as session:
        contact = await find_contact(session, "web", SESSION)
    assert contact is not None
    async with http.get(f"{base}/api/chat/events", params={"session_id": SESSION}) as stream:
        await stream.content.readline()
        await asyncio.sleep(0.05)
        await app.outbox.send(contact.id, [Reply("Cán bộ đã trả lời bạn.")])
        event = await read_event(stream)
    assert event["data"]["text"] == "Cán bộ đã trả lời bạn."
    async with http.get(f"{base}/api/chat/history", params={"session_id": SESSION}) as response:
        history = await response.json()
    assert history["messages"][-1]["text"] == "Cán bộ đã trả lời bạn."
    assert history["last_id"] == int(event["id"])


async def test_messages_sent_while_the_page_was_away_are_replayed(served, http) -> None:
    app, base = served
    await post(http, base, {"session_id": SESSION, "text": "/help"})
    async with http.get(f"{base}/api/chat/history", params={"session_id": SESSION}) as response:
        seen = (await response.json())["last_id"]
    async with app.sessions() as session:
        contact = await find_contact(session, "web", SESSION)
    assert contact is not None
    await app.outbox.send(contact.id, [Reply("Tin thứ nhất")])
    await app.outbox.send(contact.id, [Reply("Tin thứ hai")])
    params = {"session_id": SESSION, "after": str(seen)}
    async with http.get(f"{base}/api/chat/events", params=params) as stream:
        first, second = await read_event(stream), await read_event(stream)
    assert [first["data"]["text"], second["data"]["text"]] == ["Tin thứ nhất", "Tin thứ hai"]
    headers = {"Last-Event-ID": first["id"]}
    async with http.get(
        f"{base}/api/chat/events", params={"session_id": SESSION}, headers=headers
    ) as stream:
        assert (await read_event(stream))["data"]["text"] == "Tin thứ hai"


async def read_event(stream: aiohttp.ClientResponse) -> dict:  # type: ignore[type-arg]
    """The next server-sent event: its id and decoded data."""
    event: dict = {}  # type: ignore[type-arg]
    while True:
        line = (await asyncio.wait_for(stream.content.readline(), 5)).decode().rstrip("\n")
        if line.startswith("id: "):
            event["id"] = line[4:]
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])
        elif not line and "data" in event:
            return event


async def test_healthz_reports_the_database(served, http) -> None:
    _app, base = served
    async with http.get(base + "/healthz") as response:
        assert response.status == 200
