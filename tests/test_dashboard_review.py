"""Officers review on the web dashboard in a real browser: the queue, a submission with
its photos, every decision through the chat's own functions, the nominator told
through the outbox, and two officers deciding at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.app import ChungSuc
from bot.config import Settings
from storage.models import Media, Nomination, NominationEvent
from tests.chat import Chat
from tests.conftest import Clock
from tests.fakes.photos import camera_jpeg
from tests.test_dashboard_auth import Desk, running_desk
from tests.test_review import nominate, notices


@pytest.fixture
async def desk(settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    async with running_desk(settings, clock) as found:
        yield found


SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"


async def with_photo(app: ChungSuc, code: str) -> str:
    """Attach a stored camera photo to the nomination; its token."""
    kept = await app.media.keep(camera_jpeg())
    assert kept.token is not None
    async with app.sessions.begin() as session:
        nomination_id = await session.scalar(select(Nomination.id).where(Nomination.code == code))
        await session.execute(
            update(Media).where(Media.token == kept.token).values(nomination_id=nomination_id)
        )
    return kept.token


async def status_of(app: ChungSuc, code: str) -> str:
    async with app.sessions() as session:
        found = await session.scalar(select(Nomination.status).where(Nomination.code == code))
    assert found is not None
    return found


async def test_an_officer_reviews_with_photos_accepts_and_commends_and_the_nominator_hears(
    desk: Desk,
) -> None:
    villager = Chat(desk.app.engine, "web", "v" * 22, name="Lan")
    code = await nominate(villager, "Thôn Tân Hiệp")
    await with_photo(desk.app, code)
    for nominee in ("Thôn Hà Tây", "Sáng kiến đường hoa", "Bà Nguyễn Thị Mai"):
        await nominate(Chat(desk.app.engine, "web", nominee[:3] * 8, name="Hoa"), nominee)
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    await tab.get_by_role("link", name=code).wait_for()
    assert await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await tab.screenshot(path=str(SCREENSHOT))

    await tab.get_by_role("link", name=code).click()
    await tab.get_by_role("heading", name=f"Hồ sơ {code}: Thôn Tân Hiệp").wait_for()
    thumb = tab.get_by_role("img", name=f"Ảnh 1 của hồ sơ {code}")
    await thumb.wait_for()
    width = await thumb.evaluate("img => img.complete && img.naturalWidth")
    assert 0 < width <= 320, "a thumbnail, not the full photo"
    href = await tab.get_by_role("link", name=f"Ảnh 1 của hồ sơ {code}").get_attribute("href")
    full = await tab.context.request.get(desk.base + str(href))
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg"

    await tab.get_by_role("button", name="✅ Công nhận").click()
    await tab.get_by_text(f"Đã công nhận hồ sơ {code}.").wait_for()
    assert await status_of(desk.app, code) == "accepted"
    await tab.get_by_label("Số quyết định").fill("1234/QĐ-UBND")
    await tab.get_by_label("Ngày ký quyết định").fill("2026-02-20")
    await tab.get_by_role("button", name="Ghi nhận khen thưởng").click()
    await tab.get_by_text(f"Đã ghi nhận khen thưởng hồ sơ {code}.").wait_for()
    assert await status_of(desk.app, code) == "commended"

    told = await notices(desk.app, villager)
    assert any("đã được công nhận" in text for text in told)
    assert any("Chúc mừng!" in text and "1234/QĐ-UBND" in text for text in told)


async def test_an_officer_asks_the_nominator_for_more_from_the_page(desk: Desk) -> None:
    villager = Chat(desk.app.engine, "web", "v" * 22, name="Lan")
    code = await nominate(villager)
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    await tab.goto(f"{desk.base}/dashboard/review/{code}")
    await tab.get_by_text("❓ Hỏi thêm người đề cử").click()
    await tab.get_by_label("Câu hỏi cho người đề cử").fill("Thôn đã có nhà văn hóa chưa ạ?")
    await tab.get_by_role("button", name="Gửi câu hỏi").click()
    await tab.get_by_text(f"Đã gửi câu hỏi cho người đề cử hồ sơ {code}.").wait_for()
    assert await status_of(desk.app, code) == "needs_info"
    told = await notices(desk.app, villager)
    assert any("Thôn đã có nhà văn hóa chưa ạ?" in text for text in told)


async def test_a_reason_too_short_changes_nothing_and_says_so(desk: Desk) -> None:
    code = await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    await tab.goto(f"{desk.base}/dashboard/review/{code}")
    await tab.get_by_text("❌ Không công nhận").click()
    await tab.get_by_label("Hoặc lý do của bạn").fill("x")
    await tab.get_by_role("button", name="Không công nhận", exact=True).click()
    await tab.get_by_text("Thông tin chưa hợp lệ nên không có gì thay đổi").wait_for()
    assert await status_of(desk.app, code) == "submitted"


async def test_two_officers_deciding_at_once_one_wins_and_the_other_is_told(desk: Desk) -> None:
    code = await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    lan = await desk.officer("quang-tri", "q" * 22, "Cán bộ tỉnh Lan")
    first, second = await desk.sign_in(minh), await desk.sign_in(lan)
    for tab in (first, second):
        await tab.goto(f"{desk.base}/dashboard/review/{code}")
    await second.get_by_text("❌ Không công nhận").click()
    await asyncio.gather(
        first.get_by_role("button", name="✅ Công nhận").click(),
        second.get_by_role("button", name="Không công nhận", exact=True).click(),
    )
    await first.wait_for_load_state()
    await second.wait_for_load_state()
    pages = [await first.content(), await second.content()]
    won = [page for page in pages if "Đã công nhận hồ sơ" in page or "không được công nhận" in page]
    lost = [page for page in pages if "Lựa chọn của bạn không được ghi nhận" in page]
    assert len(won) == 1 and len(lost) == 1
    async with desk.app.sessions() as session:
        decided = await session.scalar(
            select(func.count())
            .select_from(NominationEvent)
            .where(NominationEvent.to_status.in_(("accepted", "rejected")))
        )
    assert decided == 1
