"""A person sends a photo from the web chat in a real browser (headless Debian Chromium)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.config import Settings, load_settings
from storage.models import Media
from tests.conftest import Clock
from tests.fakes.photos import camera_jpeg
from tests.test_browser import CHROMIUM_ARGS, chromium_path

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture
async def page(
    settings: Settings, clock: Clock, tmp_path: Path
) -> AsyncIterator[tuple[Any, ChungSuc, str]]:
    executable = chromium_path()
    app = ChungSuc(
        load_settings(database_url=settings.database_url, web_port=0, media_dir=tmp_path / "media"),
        clock=clock,
    )
    await app.start(migrate=False)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 360, "height": 740})
        try:
            yield await context.new_page(), app, f"http://127.0.0.1:{app.port}/"
        finally:
            await browser.close()
            await app.stop()


async def photos_stored(app: ChungSuc) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Media)) or 0)


async def test_person_sends_a_photo_with_the_camera_button(
    page: tuple[Any, ChungSuc, str],
) -> None:
    tab, app, url = page
    await tab.goto(url)
    await tab.get_by_text("Xin chào!").wait_for()
    bot_messages = await tab.locator(".msg.bot").count()
    camera = tab.get_by_role("button", name="Đính kèm ảnh")
    assert await camera.is_visible()
    await tab.locator("#photo-file").set_input_files(
        {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}
    )
    await tab.locator(".msg.me img").wait_for()
    await tab.locator(".msg.bot").nth(bot_messages).wait_for()
    assert await tab.get_by_text("Đang gửi ảnh…").count() == 0, "the sending note goes"
    assert await photos_stored(app) == 1
    fits = await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the camera button still fits a 360 px wide phone"


async def test_photo_too_large_is_refused_on_the_page_politely(
    page: tuple[Any, ChungSuc, str],
) -> None:
    tab, app, url = page
    await tab.goto(url)
    await tab.get_by_text("Xin chào!").wait_for()
    large = camera_jpeg() + b"\0" * (6 * 1024 * 1024)
    await tab.locator("#photo-file").set_input_files(
        {"name": "IMG_2042.jpg", "mimeType": "image/jpeg", "buffer": large}
    )
    await tab.get_by_text("Ảnh lớn quá (tối đa 5 MB)").wait_for()
    assert await photos_stored(app) == 0
