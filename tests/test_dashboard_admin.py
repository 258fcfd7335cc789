"""Admins on the dashboard, in a real browser: invite an officer, who redeems the code in
chat, then revoke them; their open session stops at once; the audit log reads back.
Invites come with links too: Telegram's deep link and the web chat's address."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests import test_telegram_channel
from tests.chat import Chat
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_dashboard_auth import Desk, running_desk
from tests.test_telegram_channel import telegram_settings

fake = test_telegram_channel.fake


@pytest.fixture
async def desk(settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    async with running_desk(settings, clock) as found:
        yield found


CUA_TUNG = "19414"


async def test_an_admin_invites_an_officer_and_revokes_them(desk: Desk) -> None:
    admin = Chat(desk.app.engine, "web", "a" * 24, name="Quản trị")
    await admin.say("/start")
    tab = await desk.sign_in(admin)
    await tab.get_by_role("link", name="Cán bộ").click()
    await tab.get_by_label("Vai trò").select_option("officer")
    await tab.get_by_label("Khu vực phụ trách").select_option(CUA_TUNG)
    await tab.get_by_role("button", name="Tạo mã mời").click()
    code = (await tab.locator("#invite-code").inner_text()).strip()

    hoa = Chat(desk.app.engine, "web", "h" * 22, name="Cán bộ xã Hòa")
    await hoa.say(f"/canbo {code}")
    assert "Xã Cửa Tùng" in hoa.text
    officer_tab = await desk.sign_in(hoa)

    await tab.reload()
    await tab.get_by_role("cell", name="Cán bộ xã Hòa", exact=True).wait_for()
    await tab.get_by_role("button", name="Bỏ quyền cán bộ của Cán bộ xã Hòa").click()
    await tab.get_by_text("Đã bỏ quyền cán bộ của Cán bộ xã Hòa.").wait_for()
    assert await tab.get_by_role("cell", name="Cán bộ xã Hòa", exact=True).count() == 0

    await officer_tab.reload()
    await officer_tab.wait_for_url("**/dashboard/login")
    (revoked,) = await desk.audit("role.revoked")
    assert revoked.details["sessions_ended"] == 1

    await tab.get_by_role("link", name="Nhật ký").click()
    await tab.get_by_label("Thao tác").select_option("invite.created")
    await tab.get_by_role("button", name="Lọc").click()
    await tab.get_by_role("cell", name="invite.created").first.wait_for()
    assert await tab.get_by_role("cell", name="role.revoked").count() == 0


async def test_an_officer_area_must_be_a_province_or_a_commune(desk: Desk) -> None:
    admin = Chat(desk.app.engine, "web", "a" * 24, name="Quản trị")
    await admin.say("/start")
    tab = await desk.sign_in(admin)
    await tab.goto(desk.base + "/dashboard/admin/officers")
    await tab.get_by_label("Vai trò").select_option("officer")
    await tab.get_by_label("Khu vực phụ trách").select_option("all")
    await tab.get_by_role("button", name="Tạo mã mời").click()
    await tab.get_by_text("Cán bộ cần một khu vực phụ trách").wait_for()
    assert await tab.locator("#invite-code").count() == 0
    assert len(await desk.audit("invite.refused")) == 1


async def test_an_officer_is_refused_the_admin_pages(desk: Desk) -> None:
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    assert await tab.get_by_role("link", name="Nhật ký").count() == 0
    response = await tab.goto(desk.base + "/dashboard/admin/audit")
    assert response.status == 403
    (refusal,) = await desk.audit("dashboard.refused")
    assert refusal.details["reason"] == "not_admin"


async def test_an_invite_comes_with_links_that_work_on_telegram_and_the_web_chat(
    settings: Settings, fake: FakeTelegramAPI, clock: Clock
) -> None:
    published = telegram_settings(settings, fake, public_url="http://chungsuc.example")
    async with running_desk(published, clock) as desk:
        admin = Chat(desk.app.engine, "web", "a" * 24, name="Quản trị")
        await admin.say("/start")
        tab = await desk.sign_in(admin)
        await tab.goto(desk.base + "/dashboard/admin/officers")
        await tab.get_by_label("Vai trò").select_option("officer")
        await tab.get_by_label("Khu vực phụ trách").select_option(CUA_TUNG)
        await tab.get_by_role("button", name="Tạo mã mời").click()
        code = (await tab.locator("#invite-code").inner_text()).strip().replace("-", "")
        telegram_link = await tab.get_by_label("Đường dẫn Telegram").input_value()
        assert telegram_link == f"https://t.me/chungsuc_test_bot?start=moi_{code}"
        web_link = await tab.get_by_label("Đường dẫn chat trên web").input_value()
        assert web_link == f"http://chungsuc.example/?start=moi_{code}"

        hoa = 5550301
        fake.add_user(hoa, "Cán bộ xã Hòa")
        fake.user_sends_text(hoa, "/start " + telegram_link.partition("?start=")[2])
        confirmed, _greeting = await fake.wait_for_messages(hoa, 2)
        assert "Bạn là cán bộ phụ trách Xã Cửa Tùng" in confirmed["text"]

        await tab.get_by_label("Vai trò").select_option("officer")
        await tab.get_by_label("Khu vực phụ trách").select_option("quang-tri")
        await tab.get_by_role("button", name="Tạo mã mời").click()
        web_link = await tab.get_by_label("Đường dẫn chat trên web").input_value()
        visitor = await desk.tab(390, 844)
        await visitor.goto(desk.base + "/?" + web_link.partition("?")[2])
        await visitor.get_by_text("Bạn là cán bộ phụ trách tỉnh Quảng Trị").wait_for()
        assert "start=" not in visitor.url, "a reload does not send the invite again"

        await tab.goto(desk.base + "/dashboard/admin/officers")
        await tab.get_by_role("cell", name="Cán bộ xã Hòa", exact=True).wait_for()
        granted = await desk.audit("role.granted")
        assert [(g.actor.split(":")[0], g.details["area"]) for g in granted] == [
            ("telegram", CUA_TUNG),
            ("web", "quang-tri"),
        ]
