"""Officer access: invites, throttling, server-side role checks and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from handlers.officer import OFFICER_COMMANDS
from storage.invites import create_invite
from storage.models import AuditEntry, Contact
from tests.chat import Chat
from tests.conftest import Clock


async def invite(
    app: ChungSuc, clock: Clock, role: str = "officer", area: str | None = None
) -> str:
    async with app.sessions.begin() as session:
        return await create_invite(session, role=role, area=area, created_by="test", now=clock())


async def audit_actions(app: ChungSuc) -> list[str]:
    async with app.sessions() as session:
        return list(
            (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        )


async def roles(app: ChungSuc) -> dict[str, str]:
    async with app.sessions() as session:
        return {c.external_id: c.role for c in (await session.scalars(select(Contact))).all()}


@pytest.mark.parametrize("command", OFFICER_COMMANDS)
async def test_citizen_is_refused_every_officer_command(
    command: str, chat: Chat, app: ChungSuc
) -> None:
    await chat.say(f"/{command}")
    assert "chỉ dành cho cán bộ" in chat.text
    assert await audit_actions(app) == ["command.refused"], "the refusal is in the log"
    assert await roles(app) == {chat.external_id: "citizen"}


async def test_officer_code_grants_role_once(chat: Chat, app: ChungSuc, clock: Clock) -> None:
    code = await invite(app, clock, area="quang-tri")
    await chat.say(f"/canbo {code}")
    assert "cán bộ phụ trách tỉnh Quảng Trị" in chat.text
    await chat.say("/help")
    assert "/hopthu" in chat.text and "/thongke" in chat.text
    assert "inbox:open" in chat.button_ids()
    for person, province in (("q" * 22, "quang-tri"), ("g" * 22, "an-giang")):
        villager = Chat(app.engine, "web", person)
        await villager.say("/start")
        await villager.press(f"province:set:{province}")
    await chat.say("/thongke")
    assert "Số liệu Quảng Trị" in chat.text
    assert "Người đã nhắn tin: 1" in chat.text, "only the officer's province"
    assert await audit_actions(app) == ["role.granted", "stats.viewed"]

    other = Chat(app.engine, "web", "o" * 22)
    await other.say(f"/canbo {code}")
    assert "không dùng được" in other.text
    assert (await roles(app))[other.external_id] == "citizen"


async def test_wrong_used_and_expired_codes_get_the_same_answer(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    used = await invite(app, clock)
    await Chat(app.engine, "web", "f" * 22).say(f"/canbo {used}")
    expired = await invite(app, clock)
    clock.advance(days=8)
    answers = set()
    for code in ("AAAAA-BBBBB", used, expired):
        await chat.say(f"/canbo {code}")
        answers.add(chat.text)
    assert len(answers) == 1
    assert (await roles(app))[chat.external_id] == "citizen"


async def test_repeated_failures_are_throttled(chat: Chat, app: ChungSuc, clock: Clock) -> None:
    for attempt in range(5):
        await chat.say(f"/canbo WRONG-{attempt:05d}")
    good = await invite(app, clock)
    await chat.say(f"/canbo {good}")
    assert "quá nhiều lần" in chat.text
    assert (await roles(app))[chat.external_id] == "citizen"
    clock.advance(hours=1, seconds=1)
    await chat.say(f"/canbo {good}")
    assert "Xác nhận xong" in chat.text


async def test_admin_from_settings_may_use_officer_commands(app: ChungSuc) -> None:
    admin = Chat(app.engine, "web", "a" * 24)
    await admin.say("/duyet")
    assert "chờ duyệt" in admin.text
    async with app.sessions() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert (entry.actor, entry.action) == ("web:" + "a" * 24, "review.listed")


async def test_refused_command_changes_nothing_but_the_log(chat: Chat, app: ChungSuc) -> None:
    await chat.say("/dangky")
    await chat.say("/thongbao")
    async with app.sessions() as session:
        contact = (await session.scalars(select(Contact))).one()
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert contact.subscribed and contact.role == "citizen" and audits == 1


async def test_member_code_records_the_organisation(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    async with app.sessions.begin() as session:
        code = await create_invite(
            session,
            role="member",
            area=None,
            organisation="Hội Nông dân xã Gio Linh",
            created_by="test",
            now=clock(),
        )
    await chat.say(f"/canbo {code}")
    assert "Hội Nông dân xã Gio Linh" in chat.text
    async with app.sessions() as session:
        contact = (await session.scalars(select(Contact))).one()
    assert (contact.role, contact.organisation) == ("member", "Hội Nông dân xã Gio Linh")
    await chat.say("/duyet")
    assert "chỉ dành cho cán bộ" in chat.text
