"""Announcements on the dashboard in a real browser, against the fake Telegram server:
composed with the live preview and the count, confirmed, followed live until finished;
another cancelled while it goes out; officers kept to their own area; citizens refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot import outbox
from bot.channels.web import STREAMS_PER_SESSION
from bot.config import Settings
from bot.dashboard.auth import COOKIE
from storage.dashboard import open_session
from storage.models import AuditEntry, Broadcast, Contact
from tests.conftest import Clock
from tests.dashboard_browser import person, signed_in
from tests.fakes.photos import camera_jpeg
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_dashboard_auth import Desk, running_desk
from tests.test_telegram_channel import telegram_settings

CUA_TUNG, VINH_THUY, LONG_XUYEN = "19414", "19405", "30292"
VILLAGERS = [7001, 7002, 7003]
DOCS = Path(__file__).resolve().parent.parent / "docs"
PROVINCE_PEOPLE = list(range(7101, 7113))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramAPI]:
    api = FakeTelegramAPI(rate_limits=False)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def desk(
    settings: Settings, telegram: FakeTelegramAPI, clock: Clock, tmp_path: Path
) -> AsyncIterator[Desk]:
    # Two messages a second: the second announcement is still going out when cancelled.
    on_telegram = telegram_settings(
        settings, telegram, media_dir=tmp_path / "media", telegram_send_rate=2.0
    )
    async with running_desk(on_telegram, clock) as opened:
        yield opened


async def subscribers(desk: Desk, telegram: FakeTelegramAPI, ids: list[int], area: str) -> None:
    for user_id in ids:
        telegram.add_user(user_id, f"Người {user_id}")
        await person(desk, str(user_id), channel="telegram", area=area, subscribed=True)


async def csrf_of(tab: object) -> str:
    return str(await tab.locator("input[name=csrf]").first.get_attribute("value"))  # type: ignore[attr-defined]


async def announced_for_tomorrow(desk: Desk, officer: Contact) -> None:
    """Announcement #1 from `officer` to the province, queued for tomorrow."""
    async with desk.app.sessions.begin() as session:
        session.add(
            Broadcast(
                created_by=f"web:{officer.external_id}",
                created_by_contact_id=officer.id,
                province="quang-tri",
                audience=["province:quang-tri"],
                text="Hẹn ngày mai.",
                scheduled_at=desk.clock() + timedelta(days=1),
            )
        )


async def refusals(desk: Desk) -> list[AuditEntry]:
    async with desk.app.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(("broadcast.refused",)))
        )
        return list(rows)


async def test_an_officer_composes_confirms_and_follows_an_announcement_to_its_end(
    desk: Desk, telegram: FakeTelegramAPI
) -> None:
    await subscribers(desk, telegram, VILLAGERS, CUA_TUNG)
    await subscribers(desk, telegram, [7009], VINH_THUY)
    officer = await person(desk, "o1", role="officer", area="quang-tri", name="Cán bộ tỉnh")
    tab = await signed_in(desk, officer)
    await tab.goto(f"{desk.base}/dashboard/announcements/new")
    await tab.get_by_label("Nội dung (tối đa 3.000 ký tự)").fill(
        "Tối nay 19:30 họp thôn <bàn> việc làm đường."
    )
    await tab.get_by_text("Số người nhận: 4").wait_for()
    await tab.get_by_label("Ảnh kèm (không bắt buộc)").set_input_files(
        files=[{"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}]
    )
    await tab.get_by_text("Đã tải ảnh.").wait_for()
    await tab.get_by_label("Một xã, phường").check()
    await tab.get_by_label("Xã, phường", exact=True).select_option(CUA_TUNG)
    await tab.get_by_text("Số người nhận: 3").wait_for()
    previews = tab.locator("#preview section.preview")
    assert await previews.count() == 3
    telegram_preview = tab.locator("#preview section.telegram")
    assert "họp thôn <bàn>" in (await telegram_preview.inner_text())
    assert await telegram_preview.locator("img").count() == 1
    assert await telegram_preview.locator(".inline-button").inner_text() == "👍"
    await tab.screenshot(path=str(DOCS / "dashboard_compose.png"))

    await tab.get_by_role("button", name="Xem lại và xác nhận").click()
    await tab.get_by_text("Số người nhận: 3").wait_for()
    # One of them blocked the bot since: Telegram refuses that message.
    telegram.fail_next("sendPhoto", 403, "Forbidden: bot was blocked by the user")
    await tab.get_by_role("button", name="Xác nhận gửi").click()
    await tab.get_by_role("heading", name="Thông báo #1").wait_for()
    await tab.locator("#status", has_text="Đã gửi xong").wait_for(timeout=15000)
    assert await tab.locator("#sent").inner_text() == "2"
    assert await tab.locator("#blocked").inner_text() == "1"
    assert await tab.locator("#remaining").inner_text() == "0"
    received = [m for user_id in VILLAGERS for m in telegram.messages_to(user_id)]
    assert [m["caption"] for m in received] == ["Tối nay 19:30 họp thôn <bàn> việc làm đường."] * 2
    assert telegram.messages_to(7009) == []

    events = await tab.request.get(f"{desk.base}/dashboard/announcements/1/events")
    assert events.headers["content-type"].startswith("text/event-stream")
    assert '"finished": true' in await events.text() and "event: end" in await events.text()
    script = await tab.request.get(f"{desk.base}/dashboard/announcements/1/script")
    assert "họp thôn" in (await script.text()).lower()
    notice = await tab.request.get(f"{desk.base}/dashboard/announcements/1/notice")
    assert "<html" in await notice.text()
    async with desk.app.sessions() as session:
        queued = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "broadcast.queued")
        )
    assert queued is not None and queued.target == "broadcast:1"


async def test_an_announcement_is_cancelled_while_it_goes_out(
    desk: Desk, telegram: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sender claims two at a time: what it has claimed goes out, the rest stops.
    monkeypatch.setattr(outbox, "BATCH", 2)
    await subscribers(desk, telegram, PROVINCE_PEOPLE, VINH_THUY)
    officer = await person(desk, "o1", role="officer", area="quang-tri")
    tab = await signed_in(desk, officer)
    await tab.goto(f"{desk.base}/dashboard/announcements/new")
    await tab.get_by_label("Nội dung (tối đa 3.000 ký tự)").fill("Lịch tiêm phòng cho gia súc.")
    await tab.get_by_text("Số người nhận: 12").wait_for()
    await tab.get_by_role("button", name="Xem lại và xác nhận").click()
    await tab.get_by_role("button", name="Xác nhận gửi").click()
    await tab.locator("#status", has_text="Đang gửi").wait_for(timeout=15000)
    await tab.locator("#sent").filter(has_not_text="0").wait_for(timeout=15000)
    await tab.get_by_role("button", name="Hủy thông báo này").click()
    await tab.locator("#status", has_text="Đã hủy").wait_for()
    async with desk.app.sessions() as session:
        broadcast = await session.get(Broadcast, 1)
        assert broadcast is not None and broadcast.status == "cancelled"
        cancelled = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "broadcast.cancelled")
        )
    assert cancelled is not None
    received = sum(len(telegram.messages_to(user_id)) for user_id in PROVINCE_PEOPLE)
    assert 1 <= received < len(PROVINCE_PEOPLE)


async def test_officers_cannot_address_people_outside_their_area(
    desk: Desk, telegram: FakeTelegramAPI
) -> None:
    await subscribers(desk, telegram, [7201], LONG_XUYEN)
    await subscribers(desk, telegram, [7202], VINH_THUY)
    province = await person(desk, "o1", role="officer", area="quang-tri")
    tab = await signed_in(desk, province)
    await tab.goto(f"{desk.base}/dashboard/announcements/new")
    forged = {
        "csrf": await csrf_of(tab),
        "text": "Thông báo cho tỉnh khác.",
        "audience": "commune",
        "commune": LONG_XUYEN,
        "when": "now",
    }
    answer = await tab.request.post(f"{desk.base}/dashboard/announcements/create", form=forged)
    assert answer.status == 403
    assert "không thuộc địa bàn" in await answer.text()

    commune = await person(desk, "o2", role="officer", area=CUA_TUNG)
    commune_tab = await signed_in(desk, commune)
    await commune_tab.goto(f"{desk.base}/dashboard/announcements/new")
    assert await commune_tab.get_by_label("Cả tỉnh").count() == 0
    await commune_tab.get_by_label("Nội dung (tối đa 3.000 ký tự)").fill("Họp xã sáng mai.")
    await commune_tab.get_by_text("Chưa có ai đăng ký nhận tin trong nhóm này.").wait_for()
    for audience in ("channel", "province"):
        forged = {**forged, "csrf": await csrf_of(commune_tab), "audience": audience}
        answer = await commune_tab.request.post(
            f"{desk.base}/dashboard/announcements/create", form=forged
        )
        assert answer.status == 403
    async with desk.app.sessions() as session:
        assert await session.scalar(select(Broadcast)) is None
    refused = await refusals(desk)
    assert [entry.actor_contact_id for entry in refused] == [province.id, commune.id, commune.id]
    assert telegram.messages_to(7201) == [] and telegram.messages_to(7202) == []


async def test_every_announcement_page_is_refused_to_a_citizen(
    desk: Desk, telegram: FakeTelegramAPI
) -> None:
    await announced_for_tomorrow(desk, await person(desk, "o1", role="officer", area="quang-tri"))
    citizen = await person(desk, "c1")
    tab = await signed_in(desk, citizen)
    for path in ("", "/new", "/1", "/1/events", "/1/script", "/1/notice"):
        answer = await tab.request.get(f"{desk.base}/dashboard/announcements{path}")
        assert answer.status == 403, path
    for path in ("/preview", "/photo", "/create", "/new", "/1/cancel"):
        answer = await tab.request.post(
            f"{desk.base}/dashboard/announcements{path}", form={"text": "x"}
        )
        assert answer.status == 403, path
    async with desk.app.sessions() as session:
        broadcast = await session.get(Broadcast, 1)
        citizen_row = await session.get(Contact, citizen.id)
    assert broadcast is not None and broadcast.status == "queued"
    assert citizen_row is not None and citizen_row.role == "citizen"


async def test_the_time_is_neither_past_nor_a_year_ahead_and_photos_are_checked(
    desk: Desk, telegram: FakeTelegramAPI
) -> None:
    await subscribers(desk, telegram, [7401], CUA_TUNG)
    officer = await person(desk, "o1", role="officer", area="quang-tri")
    tab = await signed_in(desk, officer)
    await tab.goto(f"{desk.base}/dashboard/announcements/new")
    fields = {"csrf": await csrf_of(tab), "text": "Họp thôn tối nay.", "when": "later"}
    # The clock stands at 15:00 on 2 March 2026, Vietnam time.
    for at, told in [
        ("2026-03-02T14:00", "Giờ hẹn đã qua"),
        ("2027-04-01T08:00", "chỉ hẹn được trong vòng một năm tới"),
        ("sáng mai", "chưa đọc được giờ gửi"),
    ]:
        answer = await tab.request.post(
            f"{desk.base}/dashboard/announcements/new", form={**fields, "at": at}
        )
        assert answer.status == 400 and told in await answer.text(), at
    not_a_photo = await tab.request.post(
        f"{desk.base}/dashboard/announcements/photo",
        multipart={"photo": {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": b"GIF89a?"}},
        headers={"X-CSRF-Token": fields["csrf"]},
    )
    assert not_a_photo.status == 400
    assert "không phải ảnh" in (await not_a_photo.json())["error"]
    answer = await tab.request.post(
        f"{desk.base}/dashboard/announcements/create", form={**fields, "at": "2026-03-03T07:30"}
    )
    assert answer.url.endswith("/dashboard/announcements/1")
    async with desk.app.sessions() as session:
        broadcast = await session.get(Broadcast, 1)
    assert broadcast is not None and broadcast.status == "queued"
    assert broadcast.scheduled_at.isoformat() == "2026-03-03T00:30:00+00:00"


async def test_event_streams_are_capped_per_session(desk: Desk) -> None:
    officer = await person(desk, "o1", role="officer", area="quang-tri")
    await announced_for_tomorrow(desk, officer)
    async with desk.app.sessions.begin() as session:
        opened = open_session(session, officer.id, desk.clock())
    url = f"{desk.base}/dashboard/announcements/1/events"
    async with aiohttp.ClientSession(cookies={COOKIE: opened.token}) as http:
        streams = [await http.get(url) for _ in range(STREAMS_PER_SESSION)]
        for stream in streams:
            assert stream.headers["Content-Type"] == "text/event-stream"
            first = json.loads((await stream.content.readline()).removeprefix(b"data: "))
            assert first["status"] == "queued" and first["finished"] is False
        async with http.get(url) as extra:
            assert extra.status == 429
        streams.pop().close()
        for _ in range(50):
            async with http.get(url) as again:
                if again.status == 200:
                    break
            await asyncio.sleep(0.1)
        assert again.status == 200, "a closed stream gives its place back"
        for stream in streams:
            stream.close()
