"""Files in the web chat, in a real browser (headless Debian Chromium): the yearly report
is a download link under its summary, and what the browser saves is the workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.app import ChungSuc
from storage.invites import create_invite
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_browser_photos import page  # noqa: F401 (the fixture)
from tests.test_review import CUA_TUNG, nominate


async def test_an_officer_downloads_the_yearly_report_from_the_chat_page(
    page: tuple[Any, ChungSuc, str],  # noqa: F811 - the fixture imported above
    clock: Clock,
    tmp_path: Path,
) -> None:
    tab, app, url = page
    await nominate(Chat(app.engine, "web", "v" * 22))
    async with app.sessions.begin() as session:
        code = await create_invite(
            session, role="officer", area=CUA_TUNG, created_by="test", now=clock()
        )
    await tab.goto(url)
    await tab.get_by_text("Xin chào!").wait_for()
    for text in (f"/canbo {code}", "/baocao"):
        await tab.get_by_label("Tin nhắn").fill(text)
        await tab.get_by_role("button", name="Gửi").click()
    await tab.get_by_text("• Đề cử nhận được: 1 (công nhận 0, khen thưởng 0)").wait_for()
    link = tab.get_by_role("link", name="📎 bao-cao-nam-2026.xlsx")
    async with tab.expect_download() as started:
        await link.click()
    download = await started.value
    assert download.suggested_filename == "bao-cao-nam-2026.xlsx"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    book = load_workbook(saved)
    communes = list(book["Theo xã"].iter_rows(min_row=2, values_only=True))
    assert [row[:3] for row in communes] == [("Xã Cửa Tùng", CUA_TUNG, 1)]
