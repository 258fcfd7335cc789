"""Replies kept until sent: sent once, deleted once sent, never kept against a person's
wish, and a reply the platform refuses for good is not tried forever."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.channels.outgoing import OwedReplies
from handlers.types import Incoming, Reply
from handlers.units import owed_row
from storage.contacts import get_or_create_contact
from storage.inbound import keep_inbound_many
from storage.models import OutgoingReply
from storage.outgoing import owe_replies
from tests.conftest import Clock


class Refused(Exception):
    """A message the platform will never take."""


class Unreachable(Exception):
    """The platform cannot be reached for now."""


async def owed(app: ChungSuc) -> list[int]:
    async with app.sessions() as session:
        return list(await session.scalars(select(OutgoingReply.receipt)))


async def keep_replies(app: ChungSuc, clock: Clock, receipts: list[int], **age: float) -> None:
    async with app.sessions.begin() as session:
        contact = await get_or_create_contact(session, "telegram", "an", now=clock())
        written = clock() - timedelta(**age)
        rows = [
            owed_row(contact.id, Incoming("telegram", "an"), r, [Reply(f"#{r}")], written)
            for r in receipts
        ]
        await owe_replies(session, rows)


class Platform:
    """Records what is scheduled and sent; refuses what it is told to."""

    def __init__(self) -> None:
        self.scheduled: list[int | None] = []
        self.delivered: list[str] = []
        self.fail_with: Exception | None = None

    async def deliver(self, _chat: str, replies: list[Reply]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.delivered += [reply.text for reply in replies]


@pytest.fixture
def platform() -> Platform:
    return Platform()


def owed_replies_for(app: ChungSuc, platform: Platform) -> OwedReplies:
    owed_replies: OwedReplies

    async def schedule(chat: str, replies: list[Reply], receipt: int | None) -> None:
        platform.scheduled.append(receipt)
        owed_replies.queued(receipt)
        await owed_replies.send(platform.deliver, chat, replies, receipt)

    owed_replies = OwedReplies(
        app.sessions, "telegram", schedule, lambda e: isinstance(e, Unreachable), 60
    )
    return owed_replies


async def test_sent_replies_are_deleted_and_not_sent_again(
    app: ChungSuc, clock: Clock, platform: Platform
) -> None:
    await keep_replies(app, clock, [1, 2])
    replies = owed_replies_for(app, platform)

    await replies.resend()
    # Sent but not deleted yet (deletes go in batches): a second pass must skip them.
    await replies.resend()
    await replies.stop()

    assert platform.delivered == ["#1", "#2"]
    assert await owed(app) == []


async def test_a_resend_after_a_failure_leaves_recent_replies_to_their_turn(
    app: ChungSuc, clock: Clock, platform: Platform
) -> None:
    await keep_replies(app, clock, [1], minutes=5)
    await keep_replies(app, clock, [2], seconds=1)
    replies = owed_replies_for(app, platform)

    await replies.resend(written_before=clock() - timedelta(seconds=30))
    await replies.stop()

    assert platform.delivered == ["#1"]
    assert await owed(app) == [2]


async def test_reply_refused_for_good_is_dropped_and_unreachable_one_kept(
    app: ChungSuc, clock: Clock, platform: Platform
) -> None:
    await keep_replies(app, clock, [1])
    replies = owed_replies_for(app, platform)
    platform.fail_with = Unreachable()
    with pytest.raises(Unreachable):
        await replies.resend()
    await replies.stop()
    assert await owed(app) == [1], "kept for when the platform is back"

    platform.fail_with = Refused()
    with pytest.raises(Refused):
        await replies.resend()
    await replies.stop()
    assert await owed(app) == [], "not tried again and again"


async def test_a_receipt_used_again_replaces_what_was_owed(app: ChungSuc, clock: Clock) -> None:
    await keep_replies(app, clock, [7], days=9)
    await keep_replies(app, clock, [7])
    async with app.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(OutgoingReply))
        row = await session.scalar(select(OutgoingReply))
    assert count == 1 and row is not None and row.created_at == clock()


async def test_erasing_ones_data_drops_replies_still_owed(app: ChungSuc, clock: Clock) -> None:
    await keep_replies(app, clock, [1, 2])
    person: dict[str, Any] = {"channel": "telegram", "external_id": "an", "name": "An"}
    await app.engine.handle(Incoming(text="/dulieu", **person))
    await app.engine.handle(Incoming(button="data:delete", **person))
    [done] = await app.engine.handle(Incoming(button="data:erase", **person))
    assert "Đã xóa" in done.text
    assert await owed(app) == []


async def test_an_export_is_not_kept_waiting_in_a_table(app: ChungSuc, clock: Clock) -> None:
    receipts = await keep_inbound_many(
        app.sessions, "telegram", [("1", {"update_id": 1}), ("2", {"update_id": 2})], clock()
    )
    person: dict[str, Any] = {"channel": "telegram", "external_id": "an", "name": "An"}
    await app.engine.handle(Incoming(text="/dulieu", receipt=receipts[0], **person))
    [export, *_] = await app.engine.handle(
        Incoming(button="data:download", receipt=receipts[1], **person)
    )
    assert not export.loggable
    assert await owed(app) == [receipts[0]]
