"""Every dashboard page, file and action of review, reports and admin refuses a
citizen's session and hides another commune's nominations from its officer, by direct
URL and by forged POST, each refusal in the audit log; downloads are scoped; the pages
fit a 360 px phone."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from storage.contacts import get_or_create_contact
from storage.dashboard import open_session
from storage.models import AuditEntry, Nomination
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_dashboard_auth import Desk, running_desk
from tests.test_dashboard_review import status_of, with_photo
from tests.test_review import nominate


@pytest.fixture
async def desk(settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    async with running_desk(settings, clock) as found:
        yield found


OTHER_COMMUNE = "19483"


async def session_for(desk: Desk, external_id: str, role: str, area: str | None) -> tuple[Any, str]:
    """A browser holding a live session of this contact (however it came by one), and
    its CSRF token."""
    async with desk.app.sessions.begin() as session:
        contact = await get_or_create_contact(session, "web", external_id, now=desk.clock())
        contact.role, contact.area = role, area
        await session.flush()
        opened = open_session(session, contact.id, desk.clock())
    tab = await desk.tab()
    await tab.context.add_cookies(
        [{"name": "chungsuc_dashboard", "value": opened.token, "url": desk.base + "/dashboard/"}]
    )
    return tab, opened.csrf


async def refusals(desk: Desk) -> int:
    async with desk.app.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.in_(("dashboard.refused", "review.refused")))
        )
    return int(found or 0)


async def post(tab: Any, url: str, fields: dict[str, str]) -> int:
    status: int = await tab.evaluate(
        """async ([url, fields]) => (await fetch(url, {method: "POST",
            body: new URLSearchParams(fields), redirect: "manual"})).status""",
        [url, fields],
    )
    return status


def targets(code: str, photo: str) -> tuple[list[str], list[tuple[str, dict[str, str]]]]:
    pages = [
        f"/dashboard/review/{code}",
        f"/dashboard/photos/{photo}",
        f"/dashboard/photos/{photo}/thumb",
    ]
    actions = [
        (f"/dashboard/review/{code}/accept", {}),
        (f"/dashboard/review/{code}/reject", {"reason": "criteria"}),
        (f"/dashboard/review/{code}/ask", {"question": "Cho hỏi thêm về thôn ạ?"}),
        (f"/dashboard/review/{code}/duplicate", {"original": code}),
        (f"/dashboard/review/{code}/recommend", {"verdict": "accept"}),
        (f"/dashboard/review/{code}/commend", {"award_kind": "giay_khen_xa"}),
        (f"/dashboard/review/{code}/supports_open", {}),
    ]
    return pages, actions


async def test_a_citizen_session_is_refused_every_page_file_and_action(desk: Desk) -> None:
    code = await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    photo = await with_photo(desk.app, code)
    tab, csrf = await session_for(desk, "c" * 22, "citizen", None)
    pages, actions = targets(code, photo)
    pages += [
        "/dashboard/review",
        "/dashboard/reports",
        "/dashboard/reports/export?format=csv",
        "/dashboard/reports/yearly",
        "/dashboard/admin/officers",
        "/dashboard/admin/audit",
    ]
    actions += [
        ("/dashboard/admin/invite", {"role": "admin", "area": "all"}),
        ("/dashboard/admin/officers/1/revoke", {}),
    ]
    before = await refusals(desk)
    for path in pages:
        response = await tab.goto(desk.base + path)
        assert response.status == 403, path
    for path, fields in actions:
        assert await post(tab, desk.base + path, {**fields, "csrf": csrf}) == 403, path
    assert await refusals(desk) - before == len(pages) + len(actions)
    assert await status_of(desk.app, code) == "submitted"


async def test_an_officer_of_another_commune_finds_nothing_of_this_one(desk: Desk) -> None:
    code = await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    photo = await with_photo(desk.app, code)
    tab, csrf = await session_for(desk, "o" * 22, "officer", OTHER_COMMUNE)
    pages, actions = targets(code, photo)
    before = await refusals(desk)
    for path in pages:
        response = await tab.goto(desk.base + path)
        assert response.status == 404, path
    for path, fields in actions:
        assert await post(tab, desk.base + path, {**fields, "csrf": csrf}) == 404, path
    assert await refusals(desk) - before == len(pages) + len(actions)
    assert await status_of(desk.app, code) == "submitted"

    await tab.goto(desk.base + "/dashboard/review?status=all")
    assert await tab.get_by_text(code).count() == 0
    exported = await tab.context.request.get(desk.base + "/dashboard/reports/export?format=csv")
    assert exported.status == 200 and code not in (await exported.text())
    for admin_page in ("/dashboard/admin/officers", "/dashboard/admin/audit"):
        assert (await tab.goto(desk.base + admin_page)).status == 403
    assert await post(tab, desk.base + "/dashboard/admin/invite", {"csrf": csrf}) == 403


async def test_an_officer_downloads_the_export_and_the_yearly_report(desk: Desk) -> None:
    code = await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    await tab.get_by_role("link", name="Báo cáo, tải về").click()
    await tab.get_by_text("Báo cáo năm", exact=True).wait_for()
    async with tab.expect_download() as waiting:
        await tab.get_by_role("button", name="Tải về").click()
    download = await waiting.value
    text = (await download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["Mã hồ sơ"] for row in rows] == [code]
    assert "Điện thoại người đề cử" not in rows[0], "no phone numbers for officers"
    async with tab.expect_download() as waiting:
        await tab.get_by_role("button", name="Tải báo cáo (XLSX)").click()
    workbook = await waiting.value
    assert workbook.suggested_filename.endswith(".xlsx")
    assert (await workbook.path()).read_bytes()[:2] == b"PK"


async def test_an_admin_exports_phone_numbers_only_when_asked_and_it_is_audited(
    desk: Desk,
) -> None:
    await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    admin = Chat(desk.app.engine, "web", "a" * 24, name="Quản trị")
    await admin.say("/start")
    tab = await desk.sign_in(admin)
    plain = await tab.context.request.get(desk.base + "/dashboard/reports/export?format=csv")
    assert "912345678" not in await plain.text()
    full = await tab.context.request.get(
        desk.base + "/dashboard/reports/export?format=csv&with_contacts=1"
    )
    assert "+84912345678" in await full.text()
    assert len(await desk.audit("nominations.exported_with_contacts")) == 1
    async with desk.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Nomination)) == 1


async def test_the_pages_fit_a_360_pixel_phone(desk: Desk) -> None:
    code = await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    await with_photo(desk.app, code)
    admin = Chat(desk.app.engine, "web", "a" * 24, name="Quản trị")
    await admin.say("/start")
    tab = await desk.sign_in(admin, width=360, height=740)
    for path in (
        "/dashboard/review",
        f"/dashboard/review/{code}",
        "/dashboard/reports",
        "/dashboard/admin/officers",
        "/dashboard/admin/audit",
    ):
        response = await tab.goto(desk.base + path)
        assert response.status == 200, path
        fits = await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{path} scrolls sideways at 360 px"
