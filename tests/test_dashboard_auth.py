"""Signing in to the dashboard in a real browser (headless Debian Chromium): a one-time
link, sessions that end at logout or when idle, CSRF on every POST, `/web` in chat and
the operator's `dashboard-link`."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import ChungSuc
from bot.config import Settings, load_settings
from storage.audit import record_audit
from storage.contacts import get_or_create_contact
from storage.dashboard import (
    AuditFilters,
    audit_page,
    live_session,
    new_login,
    open_session,
    use_login,
)
from storage.db import create_engine, create_sessions
from storage.models import AuditEntry, Contact, DashboardSession
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_browser import CHROMIUM_ARGS, chromium_path
from tests.test_review import contact_id, officer

playwright_api = pytest.importorskip("playwright.async_api")

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Desk:
    """The running service, a browser, and the officers' ways in."""

    app: ChungSuc
    clock: Clock
    base: str
    browser: Any

    async def officer(self, area: str | None, external_id: str, name: str) -> Chat:
        return await officer(self.app, self.clock, area, external_id, name)

    async def link(self, person: Chat) -> str:
        """A fresh login link for this person, as `/web` would give."""
        who = await contact_id(self.app, person)
        async with self.app.sessions.begin() as session:
            token = new_login(session, who, self.clock())
        return f"{self.base}/dashboard/login?token={token}"

    async def tab(self, width: int = 1366, height: int = 768) -> Any:
        context = await self.browser.new_context(viewport={"width": width, "height": height})
        return await context.new_page()

    async def sign_in(self, person: Chat, width: int = 1366, height: int = 768) -> Any:
        """A browser tab signed in as this person, on the queue."""
        tab = await self.tab(width, height)
        await tab.goto(await self.link(person))
        await tab.get_by_role("button", name="Vào trang cán bộ").click()
        await tab.wait_for_url("**/dashboard/review")
        return tab

    async def audit(self, action: str) -> list[AuditEntry]:
        async with self.app.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
            return list(rows.all())


def desk_settings(database_url: str, tmp_path: Path, **extra: Any) -> Settings:
    return load_settings(
        database_url=database_url,
        web_port=0,
        admins="web:" + "a" * 24,
        media_dir=tmp_path / "media",
        **extra,
    )


@contextlib.asynccontextmanager
async def running_desk(settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    """The service started on a free port, and a headless Chromium."""
    executable = chromium_path()
    app = ChungSuc(settings, clock=clock)
    await app.start(migrate=False)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield Desk(app, clock, f"http://127.0.0.1:{app.port}", browser)
        finally:
            await browser.close()
            await app.stop()


@pytest.fixture
async def desk(settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    async with running_desk(settings, clock) as found:
        yield found


async def post_form(tab: Any, url: str, fields: dict[str, str]) -> int:
    """POST a form from the page, as a forged form would (the browser's own cookies)."""
    status: int = await tab.evaluate(
        """async ([url, fields]) => {
            const body = new URLSearchParams(fields);
            const response = await fetch(url, {method: "POST", body, redirect: "manual"});
            return response.status;
        }""",
        [url, fields],
    )
    return status


async def test_an_officer_signs_in_with_a_link_that_works_once(desk: Desk) -> None:
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    link = await desk.link(minh)
    tab = await desk.tab()
    await tab.goto(link)
    await tab.get_by_role("button", name="Vào trang cán bộ").click()
    await tab.wait_for_url("**/dashboard/review")
    assert "token" not in tab.url, "the address bar no longer holds the token"
    await tab.get_by_role("heading", name="Hồ sơ đề cử").wait_for()
    cookies = await tab.context.cookies()
    (cookie,) = [c for c in cookies if c["name"] == "chungsuc_dashboard"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    async with desk.app.sessions() as session:
        stored = (await session.scalars(select(DashboardSession.token_hash))).all()
    assert cookie["value"] not in stored, "only a hash of the cookie is stored"

    again = await desk.tab()
    await again.goto(link)
    await again.get_by_role("button", name="Vào trang cán bộ").click()
    await again.get_by_text("Đường dẫn đăng nhập này đã dùng rồi").wait_for()
    await again.goto(desk.base + "/dashboard/review")
    await again.wait_for_url("**/dashboard/login")
    assert len(await desk.audit("dashboard.login")) == 1
    assert len(await desk.audit("dashboard.login_refused")) == 1


async def test_a_link_older_than_ten_minutes_is_refused(desk: Desk) -> None:
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    link = await desk.link(minh)
    desk.clock.advance(minutes=10, seconds=1)
    tab = await desk.tab()
    await tab.goto(link)
    await tab.get_by_role("button", name="Vào trang cán bộ").click()
    await tab.get_by_text("đã hết hạn").wait_for()
    (refusal,) = await desk.audit("dashboard.login_refused")
    assert refusal.details["reason"] == "link_unusable"


async def test_logout_ends_the_session(desk: Desk) -> None:
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    await tab.get_by_role("button", name="Đăng xuất").click()
    await tab.get_by_text("Bạn đã đăng xuất.").wait_for()
    await tab.goto(desk.base + "/dashboard/review")
    await tab.wait_for_url("**/dashboard/login")
    assert len(await desk.audit("dashboard.logout")) == 1


async def test_a_session_idle_for_eight_hours_ends(desk: Desk) -> None:
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    desk.clock.advance(hours=7, minutes=59)
    await tab.goto(desk.base + "/dashboard/review")
    await tab.get_by_role("heading", name="Hồ sơ đề cử").wait_for()
    desk.clock.advance(hours=8)
    await tab.goto(desk.base + "/dashboard/review")
    await tab.wait_for_url("**/dashboard/login")
    refused = await desk.audit("dashboard.refused")
    assert refused[-1].details["reason"] == "signed_out"


async def test_a_post_without_the_csrf_token_is_refused(desk: Desk) -> None:
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    assert await post_form(tab, desk.base + "/dashboard/logout", {}) == 403
    assert await post_form(tab, desk.base + "/dashboard/logout", {"csrf": "guess"}) == 403
    await tab.goto(desk.base + "/dashboard/review")
    await tab.get_by_role("heading", name="Hồ sơ đề cử").wait_for()
    reasons = [entry.details["reason"] for entry in await desk.audit("dashboard.refused")]
    assert reasons == ["csrf", "csrf"]


async def test_a_revoked_officer_is_out_at_the_next_click(desk: Desk) -> None:
    minh = await desk.officer("quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    tab = await desk.sign_in(minh)
    async with desk.app.sessions.begin() as session:
        contact = await session.get(Contact, await contact_id(desk.app, minh))
        assert contact is not None
        contact.role = "citizen"
    response = await tab.goto(desk.base + "/dashboard/review")
    assert response.status == 403
    await tab.get_by_text("chỉ dành cho cán bộ phụ trách").wait_for()


async def test_web_in_chat_gives_officers_a_link_and_refuses_citizens(
    settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    app = ChungSuc(
        desk_settings(settings.database_url, tmp_path, public_url="https://chungsuc.example.vn"),
        clock=clock,
    )
    try:
        minh = await officer(app, clock, "quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
        await minh.say("/web")
        assert "https://chungsuc.example.vn/dashboard/login?token=" in minh.text
        assert "10 phút" in minh.text
        villager = Chat(app.engine, "web", "v" * 22, name="Lan")
        await villager.say("/web")
        assert "chỉ dành cho cán bộ" in villager.text and "token" not in villager.text
        async with app.sessions() as session:
            refusals = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "dashboard.link_refused")
                )
            ).all()
        assert [r.details["reason"] for r in refusals] == ["not_officer"]
    finally:
        await app.stop()


async def test_without_public_url_the_officer_is_told_the_operator_command(
    app: ChungSuc, clock: Clock
) -> None:
    minh = await officer(app, clock, "quang-tri", "p" * 22, "Cán bộ tỉnh Minh")
    await minh.say("/web")
    assert "PUBLIC_URL" in minh.text
    assert f"python -m bot dashboard-link --contact web:{'p' * 22}" in minh.text


def test_the_operator_prints_a_link_for_an_officer_only(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "ADMINS": "telegram:42", "PUBLIC_URL": "https://chungsuc.example.vn"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    unknown = run("dashboard-link", "--contact", "telegram:42")
    assert unknown.returncode == 2 and "not an officer" in unknown.stderr
    assert run("db", "upgrade").returncode == 0
    database = env["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO contacts (channel, external_id, language, role, subscribed, blocked,"
            " failed_code_attempts, created_at, last_seen_at) VALUES ('telegram', '42', 'vi',"
            " 'citizen', 0, 0, 0, '2026-01-01', '2026-01-01')"
        )
    printed = run("dashboard-link", "--contact", "telegram:42")
    assert printed.returncode == 0, printed.stderr
    assert "https://chungsuc.example.vn/dashboard/login?token=" in printed.stdout
    assert run("dashboard-link", "--contact", "nonsense").returncode == 2


async def test_a_logged_out_browser_is_sent_to_sign_in(desk: Desk) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(desk.base + "/dashboard/review", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/dashboard/login"
        async with http.post(desk.base + "/dashboard/logout") as response:
            assert response.status == 403
    tab = await desk.tab()
    await tab.goto(desk.base + "/dashboard/")
    await tab.get_by_text("gõ /web trong chat").wait_for()


async def test_links_sessions_and_the_audit_log_on_both_databases(storage_url: str) -> None:
    engine = create_engine(storage_url)
    sessions = create_sessions(engine)
    now = Clock().now
    try:
        async with sessions.begin() as session:
            contact = await get_or_create_contact(session, "web", "p" * 22, now=now)
            await session.flush()
            token = new_login(session, contact.id, now)
            stale = new_login(session, contact.id, now - timedelta(minutes=11))
        async with sessions.begin() as session:
            assert await use_login(session, token, now) == contact.id
            assert await use_login(session, token, now) is None, "once only"
            assert await use_login(session, stale, now) is None, "expired"
            opened = open_session(session, contact.id, now)
            for n in range(7):
                record_audit(session, actor="web:x", action=f"test.{n % 2}", at=now)
        async with sessions.begin() as session:
            assert await live_session(session, opened.token, now + timedelta(hours=7)) is not None
        async with sessions.begin() as session:
            later = now + timedelta(hours=15, minutes=1)
            assert await live_session(session, opened.token, later) is None, "idle 8 hours"
            first, more = await audit_page(
                session, AuditFilters(action="test.1"), before=None, limit=2
            )
            rest, last = await audit_page(
                session, AuditFilters(action="test.1"), before=more, limit=2
            )
        assert [e.action for e in first + rest] == ["test.1"] * 3 and last is None
    finally:
        await engine.dispose()
