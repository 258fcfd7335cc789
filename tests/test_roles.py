"""Officer access: invites, throttling, server-side role checks and the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.config import load_settings
from handlers.officer import OFFICER_COMMANDS
from handlers.start import invite_payload, telegram_invite_link
from storage.invites import create_invite
from storage.models import AuditEntry, Contact
from tests import test_telegram_channel
from tests.chat import Chat
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_channel import telegram_service

fake = test_telegram_channel.fake
CUA_TUNG = "19414"


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


async def test_a_telegram_user_following_an_invite_link_becomes_an_officer(
    storage_url: str, fake: FakeTelegramAPI, clock: Clock, tmp_path: Path
) -> None:
    settings = load_settings(database_url=storage_url, media_dir=tmp_path / "media")
    async with telegram_service(settings, fake, clock) as app:
        code = await invite(app, clock, area=CUA_TUNG)
        username = app.telegram_username()
        assert username == "chungsuc_test_bot", "known once the channel has connected"
        link = telegram_invite_link(username, code)
        payload = link.partition("?start=")[2]
        assert payload == "moi_" + code.replace("-", "")

        hoa, tam = 5550201, 5550202
        fake.add_user(hoa, "Hòa")
        # What Telegram sends when a person opens the link and taps Start.
        fake.user_sends_text(hoa, f"/start {payload}")
        confirmed, greeting = await fake.wait_for_messages(hoa, 2)
        assert "Bạn là cán bộ phụ trách Xã Cửa Tùng" in confirmed["text"]
        assert "Xin chào" in greeting["text"]

        fake.add_user(tam, "Tâm")
        fake.user_sends_text(tam, f"/start {payload}")
        refused, _greeting = await fake.wait_for_messages(tam, 2)
        assert "Mã không dùng được" in refused["text"], "a link works once"

        async with app.sessions() as session:
            people = {c.external_id: c for c in (await session.scalars(select(Contact))).all()}
            granted = (
                await session.scalars(select(AuditEntry).where(AuditEntry.action == "role.granted"))
            ).one()
    assert (people[str(hoa)].role, people[str(hoa)].area) == ("officer", CUA_TUNG)
    assert granted.actor == f"telegram:{hoa}" and granted.details["area"] == CUA_TUNG
    assert (people[str(tam)].role, people[str(tam)].failed_code_attempts) == ("citizen", 1)


async def test_a_used_or_wrong_invite_link_is_answered_and_counted_as_a_wrong_code(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    used = await invite(app, clock)
    await Chat(app.engine, "web", "f" * 22).say(f"/start {invite_payload(used)}")
    await chat.say("/canbo AAAAA-BBBBB")
    wrong_code = chat.text
    for payload in (invite_payload(used), "moi_AAAAABBBBB", "MOI_ccccc22222", "moi_x"):
        answer, greeting = await chat.say(f"/start {payload}")
        assert answer.text == wrong_code and not answer.buttons
        assert "Xin chào" in greeting.text and greeting.buttons, "then the usual greeting"
    good = await invite(app, clock)
    answer, _greeting = await chat.say(f"/start {invite_payload(good)}")
    assert "quá nhiều lần" in answer.text, "links and typed codes count together"
    assert (await roles(app))[chat.external_id] == "citizen"
    assert (await audit_actions(app))[-6:] == ["invite.refused"] * 5 + ["invite.locked"]


async def test_a_start_payload_that_is_no_invite_only_greets(chat: Chat, app: ChungSuc) -> None:
    for text in ("/start", "/start tu_facebook", "/start moi_"):
        (greeting,) = await chat.say(text)
        assert "Xin chào" in greeting.text
    assert await audit_actions(app) == []
