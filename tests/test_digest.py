"""Results back to each village: a monthly digest for the subscribers who ask for it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import ChungSuc
from storage.models import Broadcast, Contact, Interaction
from tests.chat import Chat
from tests.conftest import Clock
from tests.test_announce import make_officer
from tests.test_nominate import fill_until_summary


async def test_subscribers_who_asked_get_their_communes_results_on_the_first(
    chat: Chat, app: ChungSuc, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    await fill_until_summary(chat)
    await chat.press("nominate:send")
    async with app.sessions.begin() as session:
        for i, topics in enumerate([",announcements,results,", None]):
            session.add(
                Contact(
                    channel="web",
                    external_id=f"dig{i}".ljust(24, "d"),
                    province="quang-tri",
                    area="19414",
                    subscribed=True,
                    topics=topics,
                )
            )
    clock.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 06:00 on 1 December
    assert await app.digest.run_once() == 0, "not before 08:00"
    clock.now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 08:30
    assert await app.digest.run_once() == 1
    assert await app.digest.run_once() == 0, "once a month"
    await app.broadcasts.tick()
    await app.engine.drain()
    async with app.sessions() as session:
        broadcast = (await session.scalars(select(Broadcast))).one()
        pushed = (
            await session.execute(
                select(Contact.external_id, Interaction.text)
                .join(Contact, Contact.id == Interaction.contact_id)
                .where(Interaction.kind == "push")
            )
        ).all()
    assert broadcast.kind == "digest" and broadcast.audience == ["commune:19414"]
    assert "Kết quả tháng 11/2026 ở Xã Cửa Tùng" in broadcast.text
    assert "Đề cử nhận được: 1" in broadcast.text
    assert [who for who, _ in pushed] == ["dig0".ljust(24, "d")]


async def test_officer_previews_the_digest_of_a_commune(app: ChungSuc) -> None:
    staff = await make_officer(app, "ha", "quang-tri")
    await staff.say("/bantin")
    await staff.say("cua tung")
    replies = await staff.press("digest:f:commune:yes")
    assert "Kết quả tháng" in replies[-1].text and "Xã Cửa Tùng" in replies[-1].text
    commune_staff = await make_officer(app, "xa", "19414")
    replies = await commune_staff.say("/bantin")
    assert "Xã Cửa Tùng" in replies[-1].text
