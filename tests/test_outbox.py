"""The outbox: messages to other people survive a crash, go out at the platform's pace,
answers ahead of bulk, and nobody blocked is tried again and again."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.app import ChungSuc
from bot.channels.pacing import ANSWERS, BULK, Pacer
from bot.config import Settings
from bot.quiet import QuietHours
from handlers.types import Reply
from storage.deliveries import delivery_row, queue_deliveries
from storage.models import Contact, Delivery, Interaction
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_channel import TelegramUser, telegram_service, telegram_settings

USER = 5550001


async def telegram_contact(app: ChungSuc, user_id: int = USER) -> int:
    async with app.sessions.begin() as session:
        contact = Contact(channel="telegram", external_id=str(user_id), subscribed=True)
        session.add(contact)
        await session.flush()
        return contact.id


async def statuses(app: ChungSuc) -> list[str]:
    async with app.sessions() as session:
        return list((await session.scalars(select(Delivery.status).order_by(Delivery.id))).all())


async def test_notice_committed_before_a_crash_is_sent_after_restart(
    settings: Settings, clock: Clock
) -> None:
    fake = FakeTelegramAPI()
    await fake.start()
    try:
        fake.add_user(USER, "Lan")
        # Committed, never sent: the service died before its sender ran.
        crashed = ChungSuc(telegram_settings(settings, fake), clock=clock)
        contact_id = await telegram_contact(crashed)
        await crashed.outbox.send(contact_id, [Reply("Cán bộ đã trả lời câu hỏi của bạn.")])
        await crashed.db.dispose()

        async with telegram_service(settings, fake, clock) as app:
            [message] = await fake.wait_for_messages(USER, 1)
            assert message["text"] == "Cán bộ đã trả lời câu hỏi của bạn."
            await app.engine.drain()
            assert await statuses(app) == ["sent"]
            async with app.sessions() as session:
                logged = (await session.scalars(select(Interaction.kind))).all()
            assert list(logged) == ["push"]
    finally:
        await fake.stop()


async def test_claimed_but_unrecorded_delivery_goes_once_after_a_crash(
    settings: Settings, clock: Clock
) -> None:
    fake = FakeTelegramAPI()
    await fake.start()
    try:
        fake.add_user(USER, "Lan")
        crashed = ChungSuc(telegram_settings(settings, fake), clock=clock)
        contact_id = await telegram_contact(crashed)
        await crashed.outbox.send(contact_id, [Reply("Thông báo họp thôn.")])
        async with crashed.sessions.begin() as session:
            await session.execute(update(Delivery).values(status="sending"))
        await crashed.db.dispose()

        async with telegram_service(settings, fake, clock) as app:
            await fake.wait_for_messages(USER, 1)
            await app.engine.drain()
            assert await statuses(app) == ["sent"]
            assert len(fake.messages_to(USER)) == 1
    finally:
        await fake.stop()


async def test_blocked_person_is_marked_and_unsubscribed(settings: Settings, clock: Clock) -> None:
    fake = FakeTelegramAPI()
    await fake.start()
    try:
        fake.add_user(USER, "Lan")
        fake.block(USER)
        async with telegram_service(settings, fake, clock) as app:
            contact_id = await telegram_contact(app)
            await app.outbox.send(contact_id, [Reply("Thông báo.")])
            await app.engine.drain()
            assert await statuses(app) == ["blocked"]
            async with app.sessions() as session:
                contact = await session.get(Contact, contact_id)
            assert contact is not None and contact.blocked and not contact.subscribed
    finally:
        await fake.stop()


async def test_quick_questions_from_one_person_draw_no_flood_refusal(
    settings: Settings, clock: Clock
) -> None:
    # Telegram's own limits: about 30/s overall, a short burst then 1/s in one chat.
    fake = FakeTelegramAPI(rate_limits=True)
    await fake.start()
    try:
        async with telegram_service(settings, fake, clock):
            lan = TelegramUser(fake)
            questions = ["ocop là gì", "ntm là gì", "kh 861", "thôn kiểu mẫu", "mttq"] * 2
            for question in questions:
                fake.user_sends_text(lan.user_id, question)
            await fake.wait_for_messages(lan.user_id, len(questions), timeout=30)
        refused = [error for _, _, error in fake.rejected if error.error_code == 429]
        assert refused == []
    finally:
        await fake.stop()


async def test_sends_are_spaced_evenly_and_answers_go_ahead_of_bulk() -> None:
    pacer = Pacer(rate=100)
    order: list[str] = []
    stamps: list[float] = []

    async def send(name: str, lane: int) -> None:
        await pacer.slot(None, lane)
        order.append(name)
        stamps.append(time.monotonic())

    bulk = [asyncio.create_task(send(f"bulk{i}", BULK)) for i in range(20)]
    await asyncio.sleep(0.05)
    answer = asyncio.create_task(send("answer", ANSWERS))
    await asyncio.gather(*bulk, answer)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.005, "never two sends in one slot"
    # 20 sends at 100/s span at least 19 intervals, less a quarter for a late wake.
    assert stamps[-1] - stamps[0] >= 0.18, "no catch-up burst"
    assert order.index("answer") < 10, "the answer jumped the queue of bulk"


def test_quiet_hours_are_nine_in_the_evening_to_half_past_six_local() -> None:
    quiet = QuietHours()
    # Vietnam is UTC+7.
    assert quiet.is_quiet(datetime(2026, 12, 1, 14, 30, tzinfo=UTC))  # 21:30
    assert quiet.is_quiet(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))  # 06:00
    assert not quiet.is_quiet(datetime(2026, 12, 1, 23, 31, tzinfo=UTC))  # 06:31
    assert not quiet.is_quiet(datetime(2026, 12, 1, 13, 59, tzinfo=UTC))  # 20:59
    morning = quiet.next_morning(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    assert morning == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


async def test_bulk_waits_through_quiet_hours_unless_urgent(app: ChungSuc, clock: Clock) -> None:
    clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 22:00 in Vietnam
    async with app.sessions.begin() as session:
        contact = Contact(channel="web", external_id="w" * 24, subscribed=True)
        session.add(contact)
        await session.flush()
        text = [{"text": "Họp thôn", "buttons": []}]
        await queue_deliveries(
            session,
            [
                delivery_row(contact, text, clock(), lane=BULK),
                delivery_row(contact, text, clock(), lane=BULK, urgent=True),
            ],
        )
    await app.outbox.drain()
    assert await statuses(app) == ["pending", "sent"]
    clock.now = datetime(2026, 12, 1, 23, 31, tzinfo=UTC)  # 06:31
    await app.outbox.drain()
    assert await statuses(app) == ["sent", "sent"]
