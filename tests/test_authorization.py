"""Every officer and admin command and button, tried by a villager and by an officer of
another commune: all refused, each refusal in the audit log; and invite codes guessed
in bulk are slowed down, with the admins told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import ChungSuc
from bot.config import Settings
from handlers.engine import Engine
from handlers.flood import FloodGate
from handlers.officer import MAX_CHANNEL_FAILURES, OFFICER_COMMANDS
from storage.broadcasts import create_broadcast
from storage.models import AuditEntry, Contact, Delivery, Nomination, OfficerQuestion
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_review import CUA_TUNG, nominate, officer

# A commune of Quảng Trị other than Cửa Tùng, where the nomination is.
BA_LONG = "19567"
# What the villager who nominated typed; nobody outside Cửa Tùng may read it.
PRIVATE_QUESTION = "Nhà tôi ở thôn Đông bị ngập, ai giúp được?"
PRIVATE = ("Lê Thị Lan", "+84912345678", "0912 345 678", PRIVATE_QUESTION)


def officer_commands(engine: Engine) -> list[str]:
    """The commands of officer journeys (but `/canbo`, which anyone may try) and the
    officer commands listed in help."""
    declared = {
        name
        for journey in engine.journeys.values()
        if journey.officer_only
        for name in journey.commands
    }
    return sorted((declared | set(OFFICER_COMMANDS)) - {"canbo"})


def officer_buttons(engine: Engine) -> list[str]:
    """`journey:action` of every officer button."""
    return sorted(
        f"{journey.name}:{action}"
        for journey in engine.journeys.values()
        for action in (journey.buttons if journey.officer_only else journey.officer_actions)
    )


async def audit_rows(app: ChungSuc) -> list[AuditEntry]:
    async with app.sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def targets_in_cua_tung(app: ChungSuc, clock: Clock, villager: Chat) -> dict[str, str]:
    """The arguments of buttons that name something else than a nomination: a question
    from Cửa Tùng, an announcement by its commune officer."""
    commune = await officer(app, clock, CUA_TUNG, "c" * 22, "Cán bộ xã Hòa")
    async with app.sessions.begin() as session:
        asker = await session.scalar(
            select(Contact).where(Contact.external_id == villager.external_id)
        )
        author = await session.scalar(
            select(Contact).where(Contact.external_id == commune.external_id)
        )
        assert asker is not None and author is not None
        question = OfficerQuestion(
            contact_id=asker.id, province="quang-tri", area=CUA_TUNG, text=PRIVATE_QUESTION
        )
        session.add(question)
        broadcast = await create_broadcast(
            session,
            created_by=f"web:{commune.external_id}",
            created_by_contact_id=author.id,
            province="quang-tri",
            audience=[f"commune:{CUA_TUNG}"],
            text="Họp thôn tối nay.",
            scheduled_at=clock() + timedelta(days=1),
            now=clock(),
        )
        await session.flush()
    by_question = {f"inbox:{a}": str(question.id) for a in ("answer", "save", "keep", "askback")}
    by_broadcast = {f"announce:{a}": str(broadcast.id) for a in ("cancel", "script")}
    return by_question | by_broadcast


async def status_of(app: ChungSuc, code: str) -> str:
    async with app.sessions() as session:
        found = await session.scalar(select(Nomination.status).where(Nomination.code == code))
    assert found is not None
    return found


async def test_every_officer_command_and_button_is_refused_and_audited(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    # Each person tries dozens of things at machine speed, past any person's flood limit.
    app.engine.flood = FloodGate(limit=10**9)
    code = await nominate(chat)
    status = await status_of(app, code)
    arguments = await targets_in_cua_tung(app, clock, chat)
    villager = Chat(app.engine, "zalo", "v" * 22, name="Bà Tư")
    elsewhere = await officer(app, clock, BA_LONG, "b" * 22, "Cán bộ xã Ba Lòng")
    commands = officer_commands(app.engine)
    buttons = officer_buttons(app.engine)
    assert {"duyet", "hopthu", "thongbao", "thongke", "baocao", "bantin"} <= set(commands)
    assert {"decide:accept", "review:view", "inbox:answer", "support:manage"} <= set(buttons)

    for command in commands:
        before = len(await audit_rows(app))
        await villager.say(f"/{command} {code}")
        assert "chỉ dành cho cán bộ" in villager.text, command
        [entry] = (await audit_rows(app))[before:]
        assert entry.action.endswith("refused"), command
        if entry.action == "command.refused":
            assert entry.target == f"/{command}"
        assert entry.actor == f"zalo:{villager.external_id}"
        assert code not in str(entry.details), "what was typed is not kept"

    unaudited = []
    for person in (villager, elsewhere):
        for button in buttons:
            before = len(await audit_rows(app))
            await person.press(f"{button}:{arguments.get(button, code)}")
            assert not any(text in person.text for text in PRIVATE), (button, person.text)
            written = (await audit_rows(app))[before:]
            if not any(entry.action.endswith(".refused") for entry in written):
                unaudited.append((person.name, button))
    # An officer may always open their own lists and composers: nothing of another
    # commune is shown there.
    own_lists = {"review:open", "review:list", "review:statuses", "review:kinds", "inbox:open"}
    own_lists |= {"announce:open", "digest:open"}
    assert [(who, b) for who, b in unaudited if who == "Bà Tư"] == []
    assert {b for who, b in unaudited if who != "Bà Tư"} <= own_lists
    assert await status_of(app, code) == status, "nothing was decided"
    async with app.sessions() as session:
        roles = {c.role for c in (await session.scalars(select(Contact))).all()}
    assert roles == {"citizen", "officer"}


async def test_an_officer_of_another_commune_typing_the_code_sees_nothing_and_is_audited(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    code = await nominate(chat)
    elsewhere = await officer(app, clock, BA_LONG, "b" * 22, "Cán bộ xã Ba Lòng")
    before = len(await audit_rows(app))
    await elsewhere.say(code.lower())
    assert not any(text in elsewhere.text for text in PRIVATE)
    assert [e.action for e in (await audit_rows(app))[before:]] == ["review.refused"]


async def test_invite_attempts_while_locked_out_each_leave_an_audit_row(
    chat: Chat, app: ChungSuc
) -> None:
    app.engine.flood = FloodGate(limit=10**9)  # fifty codes typed at machine speed
    for attempt in range(5 + 45):
        await chat.say(f"/canbo WRONG-{attempt:05d}")
    actions = [entry.action for entry in await audit_rows(app)]
    assert actions == ["invite.refused"] * 5 + ["invite.locked"] * 45
    assert "quá nhiều lần" in chat.text


async def admin_notices(app: ChungSuc) -> list[str]:
    async with app.sessions() as session:
        rows = (await session.scalars(select(Delivery.replies))).all()
    return [str(reply.get("text", "")) for replies in rows for reply in replies]


@pytest.fixture
async def on_both(storage_url: str, settings: Settings, clock: Clock) -> AsyncIterator[ChungSuc]:
    """The service on SQLite and on PostgreSQL."""
    service = ChungSuc(settings.model_copy(update={"database_url": storage_url}), clock=clock)
    yield service
    await service.stop()


@pytest.mark.parametrize("channel", ["web", "zalo"])
async def test_invite_guessing_across_many_sessions_is_slowed_and_admins_are_told_once(
    on_both: ChungSuc, clock: Clock, channel: str
) -> None:
    app = on_both
    app.engine.flood = FloodGate(limit=10**9)  # fifty sessions typing at machine speed
    admin = Chat(app.engine, "web", "a" * 24)
    await admin.say("/start")
    # Each guesser a fresh session with five guesses of its own, as a script would do.
    for n in range(MAX_CHANNEL_FAILURES):
        guesser = Chat(app.engine, channel, f"g{n:021d}")
        await guesser.say(f"/canbo GUESS-{n:05d}")
        assert "không dùng được" in guesser.text
    answers = []
    for n in range(30):
        guesser = Chat(app.engine, channel, f"h{n:021d}")
        await guesser.say(f"/canbo GUESS-{n:05d}")
        answers.append(guesser.text)
    assert all("thử lại sau ít phút" in answer for answer in answers)
    [notice] = await admin_notices(app)
    assert "20 mã mời sai" in notice and channel in notice

    # Slowed, not shut: one code a minute is still checked, and an hour later all is
    # as before; the admins hear again only after an hour.
    clock.advance(minutes=1, seconds=1)
    late = Chat(app.engine, channel, "l" * 22)
    await late.say("/canbo GUESS-99999")
    assert "không dùng được" in late.text
    await late.say("/canbo GUESS-99998")
    assert "thử lại sau ít phút" in late.text
    assert len(await admin_notices(app)) == 1
    actions = [entry.action for entry in await audit_rows(app)]
    assert actions.count("invite.slowed") == 31 and actions.count("invite.alerted") == 1

    other = Chat(app.engine, "telegram" if channel != "telegram" else "web", "42")
    await other.say("/canbo GUESS-00000")
    assert "không dùng được" in other.text, "another channel is not slowed"
