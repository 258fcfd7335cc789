"""A villager nominates a model village from the web chat in a real browser (headless
Debian Chromium, a 360 px wide phone): buttons, typed answers, a photo from the 📷
button, the summary with that photo, and the receipt code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import ChungSuc
from storage.models import Media, Nomination
from tests.fakes.photos import camera_jpeg

# The browser, the service and the phone-sized page, as the photo test opens them.
from tests.test_browser_photos import page  # noqa: F401

playwright_api = pytest.importorskip("playwright.async_api")

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "nominate.png"
CODE = re.compile(r"DC-[2-9A-HJKMNP-Z]{5}")
ACHIEVEMENTS = "Thôn có 100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông."


class Villager:
    """A person at the web chat: types and sends, taps the latest button so labelled."""

    def __init__(self, tab: Any) -> None:
        self.tab = tab

    async def type(self, text: str, then_see: str) -> None:
        await self.tab.get_by_label("Tin nhắn").fill(text)
        await self.tab.get_by_role("button", name="Gửi", exact=True).click()
        await self.sees(then_see)

    async def tap(self, label: str, then_see: str) -> None:
        await self.tab.get_by_role("button", name=label, exact=True).last.click()
        await self.sees(then_see)

    async def sees(self, words: str) -> None:
        await self.tab.locator(".msg.bot", has_text=words).last.wait_for()


async def test_villager_nominates_with_a_photo_and_sees_it_in_the_summary(
    page: tuple[Any, ChungSuc, str],  # noqa: F811 - the fixture imported above
) -> None:
    tab, app, url = page
    await tab.goto(url)
    await tab.get_by_text("Xin chào!").wait_for()
    lan = Villager(tab)
    await lan.type("/decu", then_see="Bạn muốn đề cử gì?")
    await lan.tap("🏡 Thôn, bản kiểu mẫu", then_see="Tên thôn, bản hoặc ấp")
    await lan.type("Thôn Tân Hiệp", then_see="Ở xã, phường nào?")
    await lan.type("xa cua tung", then_see="Xã Cửa Tùng — đúng không?")
    await lan.tap("✅ Đúng", then_see="Thành tích, việc làm nổi bật")
    await lan.type(ACHIEVEMENTS, then_see="Gửi tối đa 5 ảnh minh chứng")

    await tab.locator("#photo-file").set_input_files(
        {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}
    )
    await lan.sees("Đã nhận ảnh 1/5")
    await lan.tap("✅ Xong, không gửi thêm", then_see="Họ tên của bạn?")
    await lan.type("Lê Thị Lan", then_see="Số điện thoại của bạn?")
    await lan.type("0912 345 678", then_see="lưu và xử lý thông tin")
    await lan.tap("✅ Đồng ý", then_see="gọi điện hoặc nhắn tin")
    await lan.tap("Được", then_see="công khai tên và ảnh")
    await lan.tap("Chưa hỏi", then_see="Xem lại đề cử của bạn:")

    summary = tab.locator(".msg.bot", has_text="Xem lại đề cử của bạn:").last
    for answer in ("Thôn Tân Hiệp", "Xã Cửa Tùng", "Ảnh minh chứng: 1 tấm", "0912 345 678"):
        assert answer in await summary.inner_text(), answer
    photo = summary.locator("img")
    assert (await photo.get_attribute("src") or "").startswith("/media/")
    await photo.evaluate("img => img.decode()")
    assert await photo.evaluate("img => img.naturalWidth") > 0, "the photo is shown"
    assert await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # For the README: the photo, the answers above it and the first buttons below.
    send = tab.get_by_role("button", name="✅ Gửi", exact=True).last
    await send.evaluate("button => button.scrollIntoView({block: 'end'})")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await tab.screenshot(path=str(SCREENSHOT))

    await lan.tap("✅ Gửi", then_see="Đã gửi đề cử! Mã hồ sơ của bạn")
    receipt = await tab.locator(".msg.bot", has_text="Mã hồ sơ").last.inner_text()
    code = CODE.search(receipt)
    assert code, receipt
    async with app.sessions() as session:
        nomination = (await session.scalars(select(Nomination))).one()
        [media] = list(await session.scalars(select(Media)))
    assert nomination.code == code.group(0) and nomination.commune_code == "19414"
    assert nomination.nominator_phone == "+84912345678"
    assert media.nomination_id == nomination.id and media.contact_id is not None
    assert (await photo.get_attribute("src")) == f"/media/{media.token}"
