"""An officer's working session on the dashboard, end to end in a real browser against
the fake Telegram server: signing in by the link `/web` gives, reviewing a nomination
with its photo, asking the nominator for more, accepting and commending once they
answered in chat, then announcing to one commune and following it to the end."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.chat import Chat
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_dashboard_announcements import (
    CUA_TUNG,
    subscribers,
    telegram,  # noqa: F401 (the fixture)
)
from tests.test_dashboard_auth import Desk, desk_settings, running_desk
from tests.test_dashboard_review import status_of, with_photo
from tests.test_review import nominate
from tests.test_telegram_channel import free_port, telegram_settings

NOMINATOR = 7100
SUBSCRIBERS = [7001, 7002]
LINK = re.compile(r"http://\S+/dashboard/login\?token=\S+")


@pytest.fixture
async def desk(
    storage_url: str,
    telegram: FakeTelegramAPI,  # noqa: F811 - the fixture imported above
    clock: Clock,
    tmp_path: Path,
) -> AsyncIterator[Desk]:
    # PUBLIC_URL must be known before the service starts: `/web` puts it in the link.
    port = free_port()
    stored: Settings = desk_settings(storage_url, tmp_path)
    on_telegram = telegram_settings(
        stored,
        telegram,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        media_dir=tmp_path / "media",
    )
    async with running_desk(on_telegram, clock) as opened:
        yield opened


async def told(api: FakeTelegramAPI, chat_id: int, count: int) -> list[str]:
    """The texts of the bot's messages to this Telegram user, once there are `count`."""
    await api.wait_for_messages(chat_id, count)
    return [str(m.get("text") or m.get("caption")) for m in api.messages_to(chat_id)]


async def test_an_officer_reviews_asks_accepts_commends_and_announces_in_one_sitting(
    desk: Desk,
    telegram: FakeTelegramAPI,  # noqa: F811 - the fixture imported above
) -> None:
    telegram.add_user(NOMINATOR, "Lan")
    villager = Chat(desk.app.engine, "telegram", str(NOMINATOR), name="Lan")
    code = await nominate(villager, "Thôn Tân Hiệp")
    await with_photo(desk.app, code)
    await subscribers(desk, telegram, SUBSCRIBERS, CUA_TUNG)

    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    await minh.say("/web")
    link = LINK.search(minh.text)
    assert link is not None and link.group(0).startswith(desk.base), minh.text
    tab = await desk.tab()
    await tab.goto(link.group(0))
    await tab.get_by_role("button", name="Vào trang cán bộ").click()
    await tab.wait_for_url("**/dashboard/review")

    await tab.get_by_role("link", name=code).click()
    await tab.get_by_role("heading", name=f"Hồ sơ {code}: Thôn Tân Hiệp").wait_for()
    thumb = tab.get_by_role("img", name=f"Ảnh 1 của hồ sơ {code}")
    assert await thumb.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    await tab.get_by_text("❓ Hỏi thêm người đề cử").click()
    await tab.get_by_label("Câu hỏi cho người đề cử").fill("Thôn đã có nhà văn hóa chưa ạ?")
    await tab.get_by_role("button", name="Gửi câu hỏi").click()
    await tab.get_by_text(f"Đã gửi câu hỏi cho người đề cử hồ sơ {code}.").wait_for()
    assert await status_of(desk.app, code) == "needs_info"
    asked = (await told(telegram, NOMINATOR, 1))[-1]
    assert "Thôn đã có nhà văn hóa chưa ạ?" in asked and "/traloi" in asked

    await villager.say("/traloi")
    await villager.say("Thôn có nhà văn hóa từ năm 2023, rộng 200 m².")
    await villager.press("reply:done")
    assert "trở lại hàng chờ duyệt" in villager.text
    await tab.reload()
    await tab.get_by_text("Trả lời: “Thôn có nhà văn hóa từ năm 2023").wait_for()
    await tab.get_by_role("button", name="✅ Công nhận").click()
    await tab.get_by_text(f"Đã công nhận hồ sơ {code}.").wait_for()
    await tab.get_by_label("Số quyết định").fill("1234/QĐ-UBND")
    await tab.get_by_label("Ngày ký quyết định").fill("2026-02-20")
    await tab.get_by_role("button", name="Ghi nhận khen thưởng").click()
    await tab.get_by_text(f"Đã ghi nhận khen thưởng hồ sơ {code}.").wait_for()
    assert await status_of(desk.app, code) == "commended"
    accepted, commended = (await told(telegram, NOMINATOR, 3))[1:]
    assert "đã được công nhận" in accepted
    assert "Chúc mừng!" in commended and "1234/QĐ-UBND" in commended

    await tab.get_by_role("link", name="Thông báo", exact=True).click()
    await tab.get_by_role("link", name="Soạn thông báo mới").click()
    await tab.get_by_label("Nội dung (tối đa 3.000 ký tự)").fill("Mời bà con dự lễ đón bằng.")
    await tab.get_by_label("Một xã, phường").check()
    await tab.get_by_label("Xã, phường", exact=True).select_option(CUA_TUNG)
    await tab.get_by_text("Số người nhận: 2").wait_for()
    await tab.locator("#preview section.telegram", has_text="dự lễ đón bằng").wait_for()
    await tab.get_by_role("button", name="Xem lại và xác nhận").click()
    await tab.get_by_role("button", name="Xác nhận gửi").click()
    await tab.get_by_role("heading", name="Thông báo #1").wait_for()
    await tab.locator("#status", has_text="Đã gửi xong").wait_for(timeout=15000)
    assert await tab.locator("#sent").inner_text() == "2"
    assert await tab.locator("#remaining").inner_text() == "0"
    for user_id in SUBSCRIBERS:
        assert await told(telegram, user_id, 1) == ["Mời bà con dự lễ đón bằng."]
    assert len(telegram.messages_to(NOMINATOR)) == 3, "the nominator is not subscribed"
