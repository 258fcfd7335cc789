"""Messages that arrive together are handled together, and still one person at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

import handlers.engine as engine_module
from bot.app import ChungSuc
from bot.config import load_settings
from handlers.engine import Engine, Journey
from handlers.errors import DomainError
from handlers.types import Incoming, Reply, Turn
from storage.inbound import keep_inbound_many, pending_inbound
from storage.models import Contact, ConversationState, Interaction

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def text(person: str, said: str) -> Incoming:
    return Incoming("telegram", person, text=said, name=person)


async def count_rows(app: ChungSuc, direction: str) -> int:
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.direction == direction)
        )
    return int(count or 0)


async def test_a_persons_messages_in_one_batch_are_handled_in_order(app: ChungSuc) -> None:
    answers = await app.engine.handle_many(
        [
            text("an", "/ngonngu"),
            text("binh", "ocop là gì"),
            # Typed as the label of a button the first message offers: only right if
            # the first message was handled (and its buttons stored) before this one.
            text("an", "English"),
        ]
    )
    assert "Tiếng Việt" in [b.label for b in answers[0][0].buttons]
    assert "OCOP" in answers[1][0].text
    assert "English" in answers[2][0].text and "Switched" in answers[2][0].text
    async with app.sessions() as session:
        language = await session.scalar(select(Contact.language).where(Contact.external_id == "an"))
    assert language == "en"


async def echo_or_fail(turn: Turn) -> list[Reply]:
    said = turn.incoming.text or ""
    if said == "domain":
        raise DomainError()
    if said == "crash":
        raise RuntimeError("a bug in a journey")
    turn.begin("echo", "again", {"said": said})
    return [Reply(f"echo {said}")]


# The step the echo journey leaves people at, declared as every flow's steps must be.
ECHO = Journey(name="echo", steps={"again": echo_or_fail})


async def test_one_failing_turn_does_not_undo_the_others(app: ChungSuc) -> None:
    engine = Engine(app.services, [ECHO], fallback=echo_or_fail)
    batch = [text("an", "one"), text("binh", "crash"), text("chi", "domain"), text("dung", "two")]

    answers = await engine.handle_many(batch)

    assert answers[0][0].text == "echo one"
    assert answers[3][0].text == "echo two"
    # The two that failed get the polite refusal, not silence.
    assert answers[1][0].text and answers[2][0].text
    assert not answers[1][0].text.startswith("echo")
    assert await count_rows(app, "in") == 4
    assert await count_rows(app, "out") == 4
    async with app.sessions() as session:
        rows = await session.execute(
            select(Contact.external_id, ConversationState.step).join(
                ConversationState, ConversationState.contact_id == Contact.id
            )
        )
        steps = {person: step for person, step in rows}
    assert steps["an"] == "again" and steps["dung"] == "again"
    assert steps["binh"] is None and steps["chi"] is None


async def test_a_wave_of_people_costs_one_read_and_one_log_write(app: ChungSuc) -> None:
    people = [f"p{n}" for n in range(20)]
    await app.engine.handle_many([text(p, "xin chào") for p in people])
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(app.db.sync_engine, "before_cursor_execute", note)
    try:
        answers = await app.engine.handle_many([text(p, "ocop là gì") for p in people])
    finally:
        event.remove(app.db.sync_engine, "before_cursor_execute", note)

    assert all("OCOP" in replies[0].text for replies in answers)
    reads = [s for s in statements if s.startswith("select") and "from contacts" in s]
    logs = [s for s in statements if s.startswith("insert into interactions")]
    assert len(reads) == 1, statements
    assert len(logs) == 1, statements
    assert await count_rows(app, "in") == 40


async def test_a_crowd_is_answered_and_logged_on_postgresql(postgres_url: str) -> None:
    app = ChungSuc(load_settings(database_url=postgres_url, web_port=0))
    try:
        people = [f"p{n}" for n in range(30)]
        first = await app.engine.handle_many([text(p, "ocop là gì") for p in people])
        again = await app.engine.handle_many(
            [text(p, said) for p in people for said in ("/ngonngu", "English")]
        )
        assert all("OCOP" in replies[0].text for replies in first)
        assert all("Switched" in replies[0].text for replies in again[1::2])
        assert await count_rows(app, "in") == 90
    finally:
        await app.stop()


async def test_an_update_handed_over_twice_is_handled_once(app: ChungSuc) -> None:
    [receipt] = await keep_inbound_many(app.sessions, "telegram", [("7", {"update_id": 7})], NOW)
    assert receipt is not None
    message = Incoming("telegram", "an", text="ocop là gì", name="an", receipt=receipt)

    first = await app.engine.handle(message)
    # Queued again by a retry racing a resume, or by a restart: already claimed.
    again = await app.engine.handle_many([message, text("binh", "ocop là gì")])

    assert "OCOP" in first[0].text
    assert again[0] == [] and "OCOP" in again[1][0].text
    assert await count_rows(app, "in") == 2


@pytest.fixture
def language_turns_cannot_be_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails whenever a turn for /ngonngu is written, as a disk might."""
    record = engine_module.record_interactions

    async def record_unless_lost(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        if any(row["text"] == "/ngonngu" for row in rows):
            raise OperationalError("INSERT …", None, Exception("disk I/O error"))
        await record(session, rows)

    monkeypatch.setattr(engine_module, "record_interactions", record_unless_lost)


async def test_turns_committed_before_the_database_went_away_keep_their_replies(
    app: ChungSuc, language_turns_cannot_be_logged: None
) -> None:
    receipts = await keep_inbound_many(
        app.sessions, "telegram", [("1", {"update_id": 1}), ("2", {"update_id": 2})], NOW
    )
    help_first, languages = await app.engine.handle_many(
        [
            Incoming("telegram", "an", text="/help", receipt=receipts[0]),
            Incoming("telegram", "an", text="/ngonngu", receipt=receipts[1]),
        ]
    )

    assert help_first and "/hoi" in help_first[0].text
    assert languages == [], "not handled: no reply, and still pending"
    pending = await pending_inbound(app.sessions, "telegram", NOW)
    assert [receipt for receipt, _payload in pending] == [receipts[1]]


async def test_a_person_whose_message_was_lost_for_now_is_not_answered_out_of_order(
    app: ChungSuc, language_turns_cannot_be_logged: None
) -> None:
    receipts = await keep_inbound_many(
        app.sessions,
        "telegram",
        [(str(n), {"update_id": n}) for n in (1, 2, 3)],
        NOW,
    )
    languages, typed_label, other = await app.engine.handle_many(
        [
            Incoming("telegram", "an", text="/ngonngu", receipt=receipts[0]),
            Incoming("telegram", "an", text="English", receipt=receipts[1]),
            Incoming("telegram", "binh", text="ocop là gì", receipt=receipts[2]),
        ]
    )

    assert languages == [] and typed_label == [], "both wait, in order, for the database"
    assert "OCOP" in other[0].text
    pending = await pending_inbound(app.sessions, "telegram", NOW)
    assert [receipt for receipt, _payload in pending] == receipts[:2]
