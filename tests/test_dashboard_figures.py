"""The figures page in a real browser: charts whose tables hold the right numbers, the
map with one circle per commune, everything within the officer's own area."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from content.areas import load_areas
from storage.models import (
    AuditEntry,
    Broadcast,
    Delivery,
    Interaction,
    Nomination,
    OfficerQuestion,
)
from tests.conftest import Clock
from tests.dashboard_browser import person, signed_in
from tests.test_dashboard_auth import Desk, running_desk
from tests.test_review_storage import a_nomination

CUA_TUNG, VINH_THUY = "19414", "19405"
DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture
async def desk(settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    async with running_desk(settings, clock) as opened:
        yield opened


def nomination(n: int, commune: str, kind: str, status: str, clock: Clock) -> Nomination:
    return a_nomination(
        f"DC-F{n:04d}", commune=commune, kind=kind, status=status, at=clock.now - timedelta(days=n)
    )


async def seed(desk: Desk, clock: Clock) -> None:
    """Cửa Tùng: 3 villages (2 waiting, 1 accepted) and 1 initiative commended, 2
    subscribers (Telegram, Zalo), 4 bot answers, 1 officer answer. Vĩnh Thủy: 5
    waiting villages, 1 subscriber, 2 bot answers. Announcement #1: received by two,
    failed for one."""
    rows: list[object] = [
        nomination(1, CUA_TUNG, "village", "submitted", clock),
        nomination(2, CUA_TUNG, "village", "in_review", clock),
        nomination(3, CUA_TUNG, "village", "accepted", clock),
        nomination(4, CUA_TUNG, "initiative", "commended", clock),
        *(nomination(10 + n, VINH_THUY, "village", "submitted", clock) for n in range(5)),
    ]
    people = [
        await person(desk, "p1", area=CUA_TUNG, channel="telegram", subscribed=True),
        await person(desk, "p2", area=CUA_TUNG, channel="zalo", subscribed=True),
        await person(desk, "p3", area=VINH_THUY, channel="telegram", subscribed=True),
    ]
    answers = [(people[0], 3), (people[1], 1), (people[2], 2)]
    for contact, count in answers:
        rows += [
            Interaction(
                contact_id=contact.id, direction="out", kind="text", answer_id="kb", at=clock.now
            )
            for _ in range(count)
        ]
    rows.append(
        OfficerQuestion(
            contact_id=people[0].id,
            province="quang-tri",
            area=CUA_TUNG,
            text="Hỏi",
            status="answered",
            answered_at=clock.now,
        )
    )
    async with desk.app.sessions.begin() as session:
        session.add_all(rows)
        sent = Broadcast(
            created_by="web:o1",
            province="quang-tri",
            audience=[f"commune:{CUA_TUNG}"],
            text="Họp thôn.",
            status="done",
        )
        session.add(sent)
        await session.flush()
        session.add_all(
            Delivery(
                contact_id=contact.id, channel=contact.channel, broadcast_id=sent.id, status=status
            )
            for contact, status in zip(people, ("sent", "sent", "failed"), strict=True)
        )


def table_rows(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows}


async def read_table(tab: object, caption: str) -> dict[str, list[str]]:
    table = tab.locator("table", has=tab.locator("caption", has_text=caption))  # type: ignore[attr-defined]
    rows = await table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))"
    )
    return table_rows(rows)


async def test_a_province_officer_sees_the_province_in_charts_tables_and_the_map(
    desk: Desk, clock: Clock
) -> None:
    await seed(desk, clock)
    officer = await person(desk, "o1", role="officer", area="quang-tri", name="Cán bộ tỉnh")
    tab = await signed_in(desk, officer)
    await tab.goto(f"{desk.base}/dashboard/figures")
    await tab.get_by_role("heading", name="Số liệu Quảng Trị").wait_for()
    names = {code: load_areas().get(code).name for code in (CUA_TUNG, VINH_THUY)}  # type: ignore[union-attr]

    by_commune = await read_table(tab, "Đề cử theo xã, phường và tình trạng")
    # Waiting, accepted, commended, rejected or duplicate, withdrawn, total.
    assert by_commune[names[CUA_TUNG]] == ["2", "1", "1", "0", "0", "4"]
    assert by_commune[names[VINH_THUY]] == ["5", "0", "0", "0", "0", "5"]
    assert len(by_commune) == 78
    by_kind = await read_table(tab, "Đề cử theo loại và tình trạng")
    assert by_kind["Thôn, bản, ấp kiểu mẫu"][-1] == "8"
    assert by_kind["Sáng kiến, mô hình hay"] == ["0", "0", "1", "0", "0", "1"]
    answers = await read_table(tab, "Câu hỏi được trả lời theo tháng")
    assert answers["3/2026"] == ["6", "1"]
    assert len(answers) == 12
    channels = await read_table(tab, "Người nhận thông báo theo kênh")
    assert channels == {"Telegram": ["2"], "Zalo": ["1"], "Trang web": ["0"]}
    assert await tab.locator("[data-total=nominations]").text_content() == "9"
    delivery = await read_table(tab, "Thông báo gần đây và kết quả gửi")
    # Received, failed, blocked, cancelled, remaining, total.
    assert delivery == {"#1": ["2", "1", "0", "0", "0", "3"]}

    charts = tab.locator("main svg[role=img]")
    assert await charts.count() == 7
    for index in range(await charts.count()):
        assert await charts.nth(index).get_attribute("aria-label")
    circles = tab.locator("svg.map circle")
    assert await circles.count() == 78
    busiest = tab.locator(f'svg.map circle[data-code="{VINH_THUY}"] title')
    assert await busiest.text_content() == f"{names[VINH_THUY]}: 5 đề cử"
    no_horizontal_scroll = await tab.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    )
    assert no_horizontal_scroll, "the page fits a 1366 px office screen"
    await tab.screenshot(path=str(DOCS / "dashboard_figures.png"), full_page=True)


async def test_a_commune_officer_sees_only_their_commune(desk: Desk, clock: Clock) -> None:
    await seed(desk, clock)
    officer = await person(desk, "o2", role="officer", area=CUA_TUNG, name="Cán bộ xã")
    tab = await signed_in(desk, officer)
    await tab.set_viewport_size({"width": 360, "height": 740})
    await tab.goto(f"{desk.base}/dashboard/figures")
    name = load_areas().get(CUA_TUNG).name  # type: ignore[union-attr]
    await tab.get_by_role("heading", name=f"Số liệu {name}").wait_for()
    by_commune = await read_table(tab, "Đề cử theo xã, phường và tình trạng")
    assert by_commune == {name: ["2", "1", "1", "0", "0", "4"]}
    answers = await read_table(tab, "Câu hỏi được trả lời theo tháng")
    assert answers["3/2026"] == ["4", "1"]
    channels = await read_table(tab, "Người nhận thông báo theo kênh")
    assert channels == {"Telegram": ["1"], "Zalo": ["1"], "Trang web": ["0"]}
    assert await tab.locator("[data-total=nominations]").text_content() == "4"
    other = tab.locator(f'svg.map circle[data-code="{VINH_THUY}"] title')
    assert "ngoài địa bàn" in (await other.text_content() or "")
    no_horizontal_scroll = await tab.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    )
    assert no_horizontal_scroll, "the page fits a 360 px wide phone"


async def test_a_citizen_is_refused_the_figures_page(desk: Desk) -> None:
    citizen = await person(desk, "c1")
    tab = await signed_in(desk, citizen)
    response = await tab.goto(f"{desk.base}/dashboard/figures")
    assert response.status == 403
    assert await tab.get_by_text("Trang này chỉ dành cho cán bộ phụ trách.").count() == 1
    async with desk.app.sessions() as session:
        refused = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "dashboard.refused")
        )
    assert refused is not None and refused.actor_contact_id == citizen.id


async def test_an_admin_chooses_the_province_on_the_map(desk: Desk, clock: Clock) -> None:
    await seed(desk, clock)
    admin = await person(desk, "a" * 24, name="Quản trị")
    tab = await signed_in(desk, admin)
    await tab.goto(f"{desk.base}/dashboard/figures")
    assert await tab.locator("[data-total=nominations]").text_content() == "9"
    assert await tab.locator("svg.map circle").count() == 78
    await tab.get_by_label("Tỉnh trên bản đồ").select_option("an-giang")
    await tab.get_by_role("button", name="Xem").click()
    await tab.wait_for_url("**province=an-giang**")
    assert await tab.locator("svg.map circle").count() == 102
    by_commune = await read_table(tab, "Đề cử theo xã, phường và tình trạng")
    assert len(by_commune) == 102 and all(row[-1] == "0" for row in by_commune.values())
