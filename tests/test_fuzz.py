"""Whatever arrives, every message gets a polite answer and nothing else changes; and
thousands of random and malformed bodies on every HTTP endpoint get only 200, 400, 401,
413 or 429, log no traceback, store nothing from what was refused, and leave the
service up."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from handlers.engine import Engine
from handlers.flood import FloodGate
from storage.models import AuditEntry, Consent, Contact, OfficerQuestion
from tests.chat import Chat
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI
from tests.test_hostile_input import services, telegram
from tests.test_telegram_channel import SECRET as TELEGRAM_SECRET
from tests.test_zalo_channel import SECRET as ZALO_SECRET

__all__ = ["services", "telegram"]  # fixtures shared with the hostile-input tests

ALPHABET = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 /:.,?!-_@#"
    "áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "\u0000\u0007\u200b\u202e\ufeff\n\t🌾😀👍🏽中文ЖΩ"
)
REFUSALS = {
    "button.refused",
    "command.refused",
    "invite.refused",
    "invite.locked",
    "invite.slowed",
}
COMMANDS = [
    "/start",
    "/help",
    "/hoi",
    "/timhieu",
    "/dangky",
    "/dulieu",
    "/ngonngu",
    "/tinh",
    "/huy",
]


def noise(rng: random.Random) -> str:
    length = rng.choice([0, 1, 2, 5, 20, 200, 4001])
    text = "".join(rng.choice(ALPHABET) for _ in range(length))
    return rng.choice([text, rng.choice(COMMANDS) + " " + text, "/" + text])


def button(rng: random.Random, engine: Engine | None) -> str:
    journey = rng.choice([*(engine.journeys if engine else ["start", "data"]), "nosuch", ""])
    return f"{journey}:{rng.choice(['open', 'set', 'erase', 'x'])}:{rng.choice(['', 'en', '1'])}"


@pytest.mark.parametrize("seed", [20261123, 7, 91])
async def test_random_input_never_breaks_a_conversation(
    seed: int, app: ChungSuc, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(seed)
    # Five machines typing as fast as they can: past any person's flood limit, which
    # would rightly leave most of it unanswered.
    app.engine.flood = FloodGate(limit=10**9)
    people = [Chat(app.engine, "zalo", f"fuzz{i:018d}") for i in range(5)]
    for _ in range(300):
        person = rng.choice(people)
        if rng.random() < 0.3:
            replies = await person.press(button(rng, app.engine))
        else:
            replies = await person.say(noise(rng))
        assert replies and all(reply.text.strip() for reply in replies)
    async with app.sessions() as session:
        roles = set((await session.scalars(select(Contact.role))).all())
        questions = await session.scalar(select(func.count()).select_from(OfficerQuestion))
        consents = await session.scalar(select(func.count()).select_from(Consent))
    # Only refusals may be audited (officer buttons, invite codes); nobody gained a role.
    assert roles == {"citizen"}
    async with app.sessions() as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert actions <= REFUSALS, actions
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no turn failed"
    assert questions is not None and consents is not None


# The endpoints: 2,000 random and malformed bodies each ----------------------------------

BODIES_PER_ENDPOINT = 2000
# Real requests are accepted at most this often: they are handled and answered, which is
# slow next to a refusal.
ACCEPTED_SHARE = 0.08
ALLOWED = {200, 400, 401, 413, 429}
CHAT_BASE = 9_100_000_000


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value, with the values that broke the service before: lone
    surrogates, NUL, huge and negative numbers, wrong types, deep nests."""
    choice = rng.random()
    if depth > 3 or choice < 0.35:
        return rng.choice(
            [
                None,
                True,
                0,
                -1,
                2**63,
                1.5,
                "",
                "\ud800",
                "a\u0000b",
                "x" * rng.choice([1, 300, 5000]),
                noise(rng),
                {"x": 1},
                [1, 2],
            ]
        )
    if choice < 0.7:
        return {noise(rng)[:12]: junk(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [junk(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def malformed(rng: random.Random, shaped: dict[str, Any]) -> bytes:
    """A body that must be refused: broken framing, or a real shape with a bad field."""
    pick = rng.randrange(9)
    if pick == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    if pick == 1:
        return json.dumps(shaped).encode()[: rng.randint(0, 40)]
    if pick == 2:
        return ("[" * rng.choice([600, 1500, 5000]) + "]" * 10).encode()
    if pick == 3:
        return ('{"n": ' + "9" * rng.choice([4400, 6000]) + "}").encode()
    if pick == 4:
        return json.dumps(rng.choice([[shaped], "text", 7, None, True])).encode()
    if pick == 5:
        return b'{"update_id": 1, "text": "\\ud800", "session_id": "\\udfff"}'
    if pick == 6:
        return b"x" * (300 * 1024)
    shaped = copy.deepcopy(shaped)
    target = shaped
    while isinstance(target.get(key := rng.choice(sorted(target))), dict) and rng.random() < 0.7:
        target = target[key]
    target[key] = rng.choice(["\ud800", "a\u0000b", {"x": 1}, [1], 2**70, "9" * 300, None])
    return json.dumps(shaped).encode()


def web_shape(n: int, rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {"session_id": f"fz{n:020d}"}
    body["button" if rng.random() < 0.3 else "text"] = (
        button(rng, None) if rng.random() < 0.3 else noise(rng)[:300]
    )
    return body


def telegram_shape(n: int, rng: random.Random) -> dict[str, Any]:
    chat = CHAT_BASE + n
    sender = {"id": chat, "is_bot": False, "first_name": noise(rng)[:30] or "A"}
    return {
        "update_id": 10_000_000 + n,
        "message": {
            "message_id": n + 1,
            "date": 1_767_225_600,
            "chat": {"id": chat, "type": "private"},
            "from": sender,
            "text": noise(rng)[:300] or "xin chào",
        },
    }


def zalo_shape(n: int, rng: random.Random) -> dict[str, Any]:
    person = f"zf{n:018d}"
    return {
        "ok": True,
        "result": {
            "event_name": rng.choice(["message.text.received", "message.sticker.received"]),
            "message": {
                "message_id": f"m{n}",
                "date": 1_767_225_600_000,
                "from": {"id": person, "display_name": noise(rng)[:30]},
                "chat": {"id": person, "chat_type": "PRIVATE"},
                "text": noise(rng)[:300] or "xin chào",
            },
        },
    }


def photo_form(n: int, rng: random.Random) -> tuple[bytes, str]:
    """A multipart body for /api/chat/photo: the real shape with random parts, or not
    multipart at all."""
    boundary = f"fz{rng.randrange(10**9)}"
    parts = []
    if rng.random() < 0.8:
        session = rng.choice([f"fz{n:020d}", "short", "\ud800".encode("utf-8", "surrogatepass")])
        raw = session if isinstance(session, bytes) else session.encode()
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="session_id"\r\n\r\n'.encode()
            + raw
            + b"\r\n"
        )
    if rng.random() < 0.8:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            f'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + (f"--{boundary}--\r\n".encode() if rng.random() < 0.8 else b"")
    if rng.random() < 0.1:
        body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    kind = rng.choice(
        [f"multipart/form-data; boundary={boundary}"] * 8 + ["application/json", "text/plain"]
    )
    return body, kind


async def test_thousands_of_random_bodies_on_every_endpoint_are_answered_cleanly(
    services: tuple[ChungSuc, ChungSuc, FakeZaloAPI],
    telegram: FakeTelegramAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    on_telegram, on_zalo, _ = services
    rng = random.Random(20261201)
    web_url = f"http://127.0.0.1:{on_telegram.port}"
    shapes: dict[str, Callable[[int, random.Random], dict[str, Any]]] = {
        "/api/chat/messages": web_shape,
        "/telegram/webhook": telegram_shape,
        "/zalo/webhook": zalo_shape,
    }
    secrets = {
        "/telegram/webhook": ("X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
        "/zalo/webhook": ("X-Bot-Api-Secret-Token", ZALO_SECRET),
    }
    caplog.set_level(logging.INFO)
    statuses: Counter[int] = Counter()
    accepted: set[str] = set()
    refused: set[str] = set()
    gate = asyncio.Semaphore(8)

    async def post(http: aiohttp.ClientSession, path: str, n: int) -> None:
        base = f"http://127.0.0.1:{on_zalo.port}" if path == "/zalo/webhook" else web_url
        headers = {"Content-Type": "application/json"}
        if path in secrets:
            name, secret = secrets[path]
            headers[name] = secret if rng.random() < 0.95 else rng.choice(["", "wrong"])
        real = rng.random() < ACCEPTED_SHARE
        if path == "/api/chat/photo":
            body, headers["Content-Type"] = photo_form(n, rng)
            marker = f"fz{n:020d}"
        else:
            shaped = shapes[path](n, rng)
            body = json.dumps(shaped).encode() if real else malformed(rng, shaped)
            marker = identity(path, n)
        if path == "/telegram/webhook":
            telegram.add_user(CHAT_BASE + n)
        async with gate, http.post(base + path, data=body, headers=headers) as response:
            await response.read()
        statuses[response.status] += 1
        assert response.status in ALLOWED, (path, response.status, body[:80])
        (accepted if response.status == 200 else refused).add(marker)

    async with aiohttp.ClientSession() as http:
        for offset, path in enumerate([*shapes, "/api/chat/photo"]):
            first = offset * BODIES_PER_ENDPOINT
            await asyncio.gather(
                *(post(http, path, n) for n in range(first, first + BODIES_PER_ENDPOINT))
            )
        async with http.get(web_url + "/") as page:
            assert page.status == 200, "the service is still up"
    await on_telegram.engine.drain()
    await on_zalo.engine.drain()

    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert statuses[400] > BODIES_PER_ENDPOINT and statuses[200] > 100, statuses
    stored = set()
    for app in (on_telegram, on_zalo):
        async with app.sessions() as session:
            stored |= set((await session.scalars(select(Contact.external_id))).all())
    assert stored & (refused - accepted) == set(), "nothing stored from refused requests"


def identity(path: str, n: int) -> str:
    """The contact a body of this endpoint would create."""
    if path == "/telegram/webhook":
        return str(CHAT_BASE + n)
    if path == "/zalo/webhook":
        return f"zf{n:018d}"
    return f"fz{n:020d}"
