"""Conversation state survives a restart of the service."""

from __future__ import annotations

from bot.app import ChungSuc
from bot.config import Settings
from tests.chat import Chat
from tests.conftest import Clock


async def test_flow_continues_at_the_same_step_after_restart(
    settings: Settings, clock: Clock
) -> None:
    first = ChungSuc(settings, clock=clock)
    person = Chat(first.engine, "zalo", "p" * 22)
    await person.say("/dulieu")
    await person.press("data:delete")
    await first.stop()

    second = ChungSuc(settings, clock=clock)
    person.engine = second.engine
    try:
        await person.say("xoá")
        assert "Đã xóa toàn bộ dữ liệu" in person.text
    finally:
        await second.stop()


async def test_onboarding_button_still_works_after_restart(
    settings: Settings, clock: Clock
) -> None:
    first = ChungSuc(settings, clock=clock)
    person = Chat(first.engine, "telegram", "42")
    await person.say("/start")
    await first.stop()

    second = ChungSuc(settings, clock=clock)
    person.engine = second.engine
    try:
        await person.press("province:set:an-giang")
        assert "Đã chọn tỉnh An Giang" in person.text
    finally:
        await second.stop()
