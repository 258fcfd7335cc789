"""One person flooding the bot is told once to slow down; the rest of their burst is
kept, not answered (on the web chat, after a pause), and everyone else is served as
usual."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bot.app import ChungSuc
from handlers.flood import DROP, NOTICE, FloodGate
from handlers.types import Incoming
from storage.models import Interaction


async def test_flooding_person_is_told_once_and_others_are_answered(app: ChungSuc) -> None:
    app.engine.flood_pause = 0.2
    flooder = {"channel": "web", "external_id": "f" * 24}
    answers = [await app.engine.handle(Incoming(text=f"câu hỏi {n}", **flooder)) for n in range(21)]
    assert all(answers[:20])
    assert "nhắn nhanh quá" in answers[20][0].text
    started = time.monotonic()
    answers = [await app.engine.handle(Incoming(text=f"lại {n}", **flooder)) for n in range(4)]
    assert answers == [[], [], [], []]
    assert time.monotonic() - started >= 4 * 0.2, "a script flooding the web chat is slowed"
    other = await app.engine.handle(Incoming("web", "o" * 24, text="ocop là gì"))
    assert "OCOP" in other[0].text
    await app.engine.drain()
    async with app.sessions() as session:
        kept = await session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.kind == "dropped")
        )
    assert kept == 5, "nothing a person sent is lost, even in a flood"


def test_the_gate_opens_again_once_the_person_slows_down() -> None:
    now = [0.0]
    gate = FloodGate(limit=3, window=10.0, clock=lambda: now[0])
    person = ("zalo", "z")
    verdicts = [gate.verdict(person) for _ in range(5)]
    assert verdicts[3:] == [NOTICE, DROP]
    now[0] = 11.0
    assert gate.verdict(person) == "admit"
