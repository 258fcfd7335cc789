"""Property-based: whatever a person sends, in any order, on any channel, villager or
officer — texts, every command of the registry, the buttons they were just offered and
made-up ones, photos and other attachments — no turn fails, the conversation always
rests at a step its journey declares, and every message gets a reply with text."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import ChungSuc
from bot.config import Settings
from handlers.flood import FloodGate
from handlers.registry import journeys
from handlers.types import Incoming, Reply
from storage.models import Contact, ConversationState
from tests.conftest import Clock
from tests.test_nominate import stored_photo

COMMANDS = sorted({name for journey in journeys() for name in journey.commands})
BUTTONS = sorted(f"{journey.name}:{action}" for journey in journeys() for action in journey.buttons)
# What people answer form steps with, besides noise: it takes them deeper into flows.
ANSWERS = [
    "Thôn Tân Hiệp",
    "xa cua tung",
    "0912 345 678",
    "Lê Thị Lan",
    "Thôn có 100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông.",
    "1",
    "2",
    "có",
    "hủy",
    "DỪNG",
    "DC-7K3QX",
    "01/03/2026",
    "OCOP là gì",
]
ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Cs",), include_characters="\u0000\u200b\ufeff\n"
)


@dataclass(frozen=True)
class Step:
    """One thing the person does: `kind` is text, command, offered, button, photo or
    attachment; `value` the text or button, or which offered button by number."""

    kind: str
    value: str = ""
    pick: int = 0


steps = st.one_of(
    st.builds(Step, st.just("text"), st.sampled_from(ANSWERS)),
    st.builds(Step, st.just("text"), st.text(ALPHABET, max_size=300)),
    st.builds(
        Step,
        st.just("command"),
        st.tuples(st.sampled_from(COMMANDS), st.sampled_from(["", " DC-7K3QX", " x", " 1"])).map(
            "".join
        ),
    ),
    st.builds(Step, st.just("offered"), pick=st.integers(0, 20)),
    st.builds(Step, st.just("offered"), pick=st.integers(0, 20)),
    st.builds(
        Step,
        st.just("button"),
        st.tuples(
            st.sampled_from(BUTTONS), st.sampled_from(["", ":1", ":DC-7K3QX", ":x:y", ":\u00e9"])
        ).map("".join),
    ),
    st.builds(Step, st.just("photo")),
    st.builds(
        Step, st.just("attachment"), st.sampled_from(["sticker", "voice", "file", "too_large"])
    ),
)
people = st.tuples(
    st.sampled_from(["web", "zalo", "telegram"]),
    st.sampled_from(["citizen", "officer", "commune-officer"]),
    st.lists(steps, min_size=1, max_size=20),
)


class Failures(logging.Handler):
    """Every error logged while the test runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def failures() -> Iterator[Failures]:
    handler = Failures()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


async def become(app: ChungSuc, channel: str, external_id: str, role: str) -> None:
    """Make the person an officer (of Quảng Trị, or of Cửa Tùng) or leave them a villager."""
    if role == "citizen":
        return
    async with app.sessions.begin() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.channel == channel, Contact.external_id == external_id)
        )
        assert contact is not None
        contact.role = "officer"
        contact.area = "quang-tri" if role == "officer" else "19414"


async def state_of(app: ChungSuc, channel: str, external_id: str) -> tuple[str | None, str | None]:
    async with app.sessions() as session:
        row = await session.execute(
            select(ConversationState.journey, ConversationState.step)
            .join(Contact, Contact.id == ConversationState.contact_id)
            .where(Contact.channel == channel, Contact.external_id == external_id)
        )
        found = row.one_or_none()
    return (found[0], found[1]) if found else (None, None)


async def converse(
    app: ChungSuc, clock: Clock, channel: str, external_id: str, role: str, plan: list[Step]
) -> None:
    engine = app.engine
    last: list[Reply] = await engine.handle(Incoming(channel, external_id, text="/start"))
    await become(app, channel, external_id, role)
    for step in plan:
        incoming = Incoming(channel, external_id, name="Lan")
        if step.kind in ("text", "command"):
            text = step.value if step.kind == "text" else f"/{step.value}"
            incoming = Incoming(channel, external_id, text=text, name="Lan")
        elif step.kind == "offered":
            offered = [button.id for reply in last for button in reply.buttons]
            if not offered:
                continue
            incoming = Incoming(channel, external_id, button=offered[step.pick % len(offered)])
        elif step.kind == "button":
            incoming = Incoming(channel, external_id, button=step.value)
        elif step.kind == "photo":
            incoming = Incoming(channel, external_id, media=await stored_photo(app, clock))
        else:
            incoming = Incoming(channel, external_id, attachment=step.value)
        replies = await engine.handle(incoming)
        assert replies, f"no reply to {step}"
        assert all(reply.text.strip() for reply in replies), f"an empty reply to {step}"
        journey, at = await state_of(app, channel, external_id)
        if journey is not None:
            assert journey in engine.journeys, journey
            assert at is None or engine.has_step(journey, at), (journey, at, step)
        last = replies


def test_any_sequence_of_messages_is_answered_and_leaves_a_valid_state(
    settings: Settings, clock: Clock, failures: Failures
) -> None:
    numbers = itertools.count()
    with asyncio.Runner() as runner:
        app = runner.run(_started(settings, clock))
        # The test types at machine speed: past any person's flood limit, which would
        # rightly leave most of it unanswered.
        app.engine.flood = FloodGate(limit=10**9)

        @hypothesis_settings(
            max_examples=80,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(person=people)
        def conversation(person: tuple[str, str, list[Step]]) -> None:
            channel, role, plan = person
            # A new person each time: what one example leaves does not steer the next.
            external_id = f"p{next(numbers):021d}"
            runner.run(converse(app, clock, channel, external_id, role, plan))

        try:
            conversation()
        finally:
            runner.run(app.stop())
    assert [r.getMessage() for r in failures.records] == [], "no turn failed"


async def _started(settings: Settings, clock: Clock) -> ChungSuc:
    return ChungSuc(settings, clock=clock)
