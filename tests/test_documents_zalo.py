"""Files on Zalo, whose bot API sends none: the yearly report comes as its text, other
files as a link under the text (PUBLIC_URL), or word of where to get them without it."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.app import ChungSuc
from bot.config import Settings
from storage.invites import create_invite
from tests.chat import Chat
from tests.conftest import Clock
from tests.fakes.zalo_api import FakeZaloAPI
from tests.test_photos_zalo import PUBLIC_URL, started
from tests.test_review import CUA_TUNG, nominate
from tests.test_zalo_channel import ZaloUser, fake  # noqa: F401 (the fixture)

LINK = re.compile(re.escape(PUBLIC_URL) + r"(/files/[A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Running:
    """The service on Zalo and the fake Zalo Bot API it talks to."""

    app: ChungSuc
    fake: FakeZaloAPI


@pytest.fixture
async def linked(
    settings: Settings,
    fake: FakeZaloAPI,  # noqa: F811 - the fixture imported above
    clock: Clock,
) -> AsyncIterator[Running]:
    """The service on Zalo with PUBLIC_URL set."""
    app = await started(settings, fake, clock, public_url=PUBLIC_URL)
    yield Running(app, fake)
    await app.stop()


@pytest.fixture
async def unlinked(
    settings: Settings,
    fake: FakeZaloAPI,  # noqa: F811 - the fixture imported above
    clock: Clock,
) -> AsyncIterator[Running]:
    """The service on Zalo without PUBLIC_URL."""
    app = await started(settings, fake, clock)
    yield Running(app, fake)
    await app.stop()


async def test_the_yearly_report_on_zalo_is_its_text(linked: Running, clock: Clock) -> None:
    await nominate(Chat(linked.app.engine, "web", "v" * 22))
    async with linked.app.sessions.begin() as session:
        code = await create_invite(
            session, role="officer", area=CUA_TUNG, created_by="test", now=clock()
        )
    officer = ZaloUser(linked.fake)
    assert "Xác nhận xong" in await officer.say(f"/canbo {code}")
    report = await officer.say("/baocao")
    assert "1. Đề cử nhận được: 1" in report and "Xã Cửa Tùng: 1" in report
    assert "/files/" not in report and "📎" not in report


async def test_my_data_on_zalo_is_a_summary_with_a_link_to_the_file(linked: Running) -> None:
    person = ZaloUser(linked.fake)
    assert "1. Tải dữ liệu" in await person.say("/dulieu")
    summary = await person.say("1")
    assert summary.startswith("Dữ liệu của bạn") and "• Tin nhắn: 2" in summary
    assert "(tải được trong 24 giờ)" in summary
    found = LINK.search(summary)
    assert found, summary
    local = f"http://127.0.0.1:{linked.app.port}{found.group(1)}"
    async with aiohttp.ClientSession() as http, http.get(local) as response:
        assert response.status == 200
        exported = json.loads(await response.read())
    assert any(m["text"] == "/dulieu" for m in exported["messages"])


async def test_without_public_url_zalo_says_where_files_come(unlinked: Running) -> None:
    person = ZaloUser(unlinked.fake)
    await person.say("/dulieu")
    summary = await person.say("1")
    assert "chưa gửi được qua Zalo" in summary and "Telegram" in summary
    assert "/files/" not in summary
