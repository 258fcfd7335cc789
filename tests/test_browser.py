"""A person chats with the bot in a real browser (headless Debian Chromium)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import ChungSuc
from bot.config import Settings
from tests.conftest import Clock

playwright_api = pytest.importorskip("playwright.async_api")

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "webchat.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (apt-get install chromium)")
        pytest.skip("chromium not installed")
    return path


@pytest.fixture
async def page(settings: Settings, clock: Clock) -> AsyncIterator[tuple[object, str]]:
    # Found before the service starts: a skip must not leave it running.
    executable = chromium_path()
    app = ChungSuc(settings, clock=clock)
    await app.start(migrate=False)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 360, "height": 740})
        try:
            yield await context.new_page(), f"http://127.0.0.1:{app.port}/"
        finally:
            await browser.close()
            await app.stop()


async def test_person_chooses_province_asks_and_subscribes(page) -> None:  # type: ignore[no-untyped-def]
    tab, url = page
    await tab.goto(url)
    await tab.get_by_text("Xin chào!").wait_for()
    await tab.get_by_role("button", name="Quảng Trị").click()
    await tab.get_by_text("Đã chọn tỉnh Quảng Trị").wait_for()
    await tab.get_by_role("button", name="🔔 Nhận thông báo").last.click()
    await tab.get_by_text("Đã đăng ký!").wait_for()

    await tab.get_by_label("Tin nhắn").fill("muc tieu xa ntm quang tri den 2025")
    await tab.get_by_role("button", name="Gửi").click()
    await tab.get_by_text("80% số xã đạt chuẩn").wait_for()
    await tab.get_by_text("📄 Theo Quyết định 1872/QĐ-UBND").wait_for()
    no_horizontal_scroll = await tab.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    )
    assert no_horizontal_scroll, "the page fits a 360 px wide phone"
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await tab.screenshot(path=str(SCREENSHOT))

    await tab.reload()
    await tab.get_by_text("80% số xã đạt chuẩn").wait_for()


async def test_page_follows_the_chosen_language(page) -> None:  # type: ignore[no-untyped-def]
    tab, url = page
    await tab.goto(url)
    await tab.get_by_text("Xin chào!").wait_for()
    await tab.get_by_role("button", name="An Giang").click()
    await tab.get_by_role("button", name="🌐 Ngôn ngữ / Language").last.click()
    await tab.get_by_role("button", name="English").click()
    await tab.get_by_text("Switched to English.").wait_for()
    assert await tab.get_by_role("button", name="Send").count() == 1
    assert await tab.get_by_label("Message").get_attribute("placeholder") == (
        "Type a question or a command…"
    )
