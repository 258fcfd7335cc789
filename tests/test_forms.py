"""The form facility: declarations are checked when journeys are registered, and the
flow holds up against racing and stale input."""

from __future__ import annotations

import pytest

from bot.app import ChungSuc
from handlers.engine import Engine, Journey
from handlers.fields import Text, vietnamese_phone
from handlers.forms import Form
from handlers.types import Incoming, Reply, Turn
from tests.chat import Chat


async def nothing(turn: Turn, values: dict[str, object]) -> list[Reply]:
    return []


def test_a_form_with_two_fields_of_one_name_is_refused() -> None:
    with pytest.raises(ValueError, match="taken"):
        Form(
            "twice",
            [
                Text("a", "A", "A?", minimum=1, maximum=9),
                Text("a", "B", "B?", minimum=1, maximum=9),
            ],
            "t",
            nothing,
        )


def test_a_journey_listing_an_entry_action_it_lacks_is_refused(app: ChungSuc) -> None:
    with pytest.raises(ValueError, match="entry actions"):
        Engine(app.services, [Journey("broken", entry_actions=frozenset({"open"}))], nothing)


async def test_a_misspelt_step_fails_loudly_instead_of_falling_through(app: ChungSuc) -> None:
    async def wanders(turn: Turn) -> list[Reply]:
        turn.begin("ask", "wiating")
        return [Reply("?")]

    engine = Engine(app.services, [Journey("ask", commands={"go": wanders})], wanders)
    [reply] = await engine.handle(Incoming("web", "w" * 24, text="/go"))
    # The journey's bug is the engine's polite apology, not a silent wrong step.
    assert "Xin lỗi" in reply.text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0912 345 678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("0236 3822 123", "+842363822123"),
        ("123", None),
        ("+1 202 555 0143", None),
        ("0912345", None),
        ("không có", None),
    ],
)
def test_vietnamese_phone_numbers_are_read_the_ways_people_write_them(
    typed: str, stored: str | None
) -> None:
    assert vietnamese_phone(typed) == stored


async def test_two_answers_racing_on_one_step_are_taken_in_order(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/decu")
    await chat.press("nominate:f:kind:village")
    person = {"channel": chat.channel, "external_id": chat.external_id}
    first, second = await app.engine.handle_many(
        [Incoming(text="Thôn Tân Hiệp", **person), Incoming(text="Thôn Hà Lợi", **person)]
    )
    assert "xã, phường nào" in first[-1].text
    # The second answer met the next question: it is read as a place, not as a name.
    assert "nơi" in " ".join(r.text for r in second)
    await chat.say("/decu")
    await chat.press("nominate:resume")
    assert "xã, phường nào" in chat.text
