"""Whatever arrives, every message gets a polite answer and nothing else changes."""

from __future__ import annotations

import logging
import random

import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from handlers.engine import Engine
from handlers.flood import FloodGate
from storage.models import AuditEntry, Consent, Contact, OfficerQuestion
from tests.chat import Chat

ALPHABET = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 /:.,?!-_@#"
    "áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "\u0000\u0007\u200b\u202e\ufeff\n\t🌾😀👍🏽中文ЖΩ"
)
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


def button(rng: random.Random, engine: Engine) -> str:
    journey = rng.choice([*engine.journeys, "nosuch", ""])
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
    # Only refused invite codes may be audited; nobody gained a role.
    assert roles == {"citizen"}
    async with app.sessions() as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert actions <= {"invite.refused"}, actions
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no turn failed"
    assert questions is not None and consents is not None
