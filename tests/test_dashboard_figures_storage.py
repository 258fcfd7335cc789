"""Dashboard figures on SQLite and PostgreSQL: each counted in SQL within the officer's
area, by commune, kind, status, channel and month."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from storage.broadcasts import create_broadcast
from storage.dashboard_figures import (
    answers_over_time,
    month_starts,
    nomination_counts,
    recent_broadcast_delivery,
    subscribers_by_commune_and_channel,
)
from storage.db import Sessions, create_engine, create_sessions
from storage.models import Contact, Delivery, Interaction, Nomination, OfficerQuestion
from storage.review import Scope
from tests.test_review_storage import a_nomination

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CUA_TUNG, VINH_THUY, AG = "19414", "19405", "30292"
PROVINCE = Scope(province="quang-tri")
COMMUNE = Scope(province="quang-tri", commune=CUA_TUNG)


@pytest.fixture
async def sessions(storage_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(storage_url)
    yield create_sessions(engine)
    await engine.dispose()


def nomination(n: int, commune: str, kind: str, status: str, at: datetime = NOW) -> Nomination:
    province = "an-giang" if commune == AG else "quang-tri"
    return a_nomination(
        f"DC-F{n:04d}", commune=commune, province=province, kind=kind, status=status, at=at
    )


def person(n: int, area: str | None, channel: str = "telegram", **fields: object) -> Contact:
    province = "an-giang" if area == AG else "quang-tri"
    values: dict[str, object] = {"subscribed": True, "blocked": False, "role": "citizen"}
    return Contact(
        channel=channel,
        external_id=f"p{n}",
        province=province,
        area=area,
        **{**values, **fields},
    )


def test_month_starts_are_local_months() -> None:
    bounds = month_starts(datetime(2026, 1, 31, 18, 0, tzinfo=UTC), 3)
    # 01:00 on 1 February in Vietnam: February is the current month.
    assert [(b.year, b.month) for b in bounds] == [(2025, 12), (2026, 1), (2026, 2), (2026, 3)]
    assert bounds[0].utcoffset() == timedelta(hours=7)


async def test_nominations_are_counted_by_commune_kind_and_status_within_the_area(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        session.add_all(
            [
                nomination(1, CUA_TUNG, "village", "submitted"),
                nomination(2, CUA_TUNG, "village", "accepted"),
                nomination(3, CUA_TUNG, "exemplary", "accepted"),
                nomination(4, VINH_THUY, "village", "submitted"),
                nomination(5, AG, "village", "submitted"),
                nomination(6, CUA_TUNG, "village", "submitted", NOW - timedelta(days=400)),
            ]
        )
    async with sessions() as session:
        province = await nomination_counts(session, PROVINCE)
        commune = await nomination_counts(session, COMMUNE)
        recent = await nomination_counts(session, PROVINCE, since=NOW - timedelta(days=30))
        everywhere = await nomination_counts(session, Scope())
        listed = await nomination_counts(session, PROVINCE, [CUA_TUNG, VINH_THUY])
    assert province.total == 5 and everywhere.total == 6 and recent.total == 4
    assert recent.per_commune() == {CUA_TUNG: 3, VINH_THUY: 1}
    assert listed.by_commune() == province.by_commune()
    assert province.by_commune() == {
        CUA_TUNG: {"submitted": 2, "accepted": 2},
        VINH_THUY: {"submitted": 1},
    }
    assert commune.per_commune() == {CUA_TUNG: 4}
    assert commune.by_kind() == {
        "village": {"submitted": 2, "accepted": 1},
        "exemplary": {"accepted": 1},
    }


async def test_answers_by_the_bot_and_by_officers_are_counted_per_month(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        here, there, elsewhere = person(1, CUA_TUNG), person(2, VINH_THUY), person(3, AG)
        session.add_all([here, there, elsewhere])
        await session.flush()
        for contact, at, matched in [
            (here, NOW, "kb:1"),
            (here, NOW - timedelta(days=5), "kb:2"),
            (here, NOW, None),  # the bot could not answer
            (there, NOW, "kb:1"),
            (elsewhere, NOW, "kb:1"),
        ]:
            session.add(
                Interaction(
                    contact_id=contact.id, direction="out", kind="text", answer_id=matched, at=at
                )
            )
        session.add(Interaction(contact_id=here.id, direction="in", kind="text", at=NOW))
        session.add_all(
            [
                OfficerQuestion(
                    contact_id=here.id,
                    province="quang-tri",
                    area=CUA_TUNG,
                    text="?",
                    status="answered",
                    answered_at=NOW,
                ),
                OfficerQuestion(
                    contact_id=there.id, province="quang-tri", area=VINH_THUY, text="?"
                ),
            ]
        )
    bounds = month_starts(NOW, 3)
    async with sessions() as session:
        province = await answers_over_time(session, PROVINCE, bounds)
        commune = await answers_over_time(session, COMMUNE, bounds)
    assert province.by_bot == [0, 1, 2] and province.by_officers == [0, 0, 1]
    assert province.waiting == 1
    assert commune.by_bot == [0, 1, 1] and commune.waiting == 0


async def test_subscribers_are_counted_by_commune_and_channel(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        session.add_all(
            [
                person(1, CUA_TUNG),
                person(2, CUA_TUNG, "zalo"),
                person(3, CUA_TUNG, "zalo"),
                person(4, CUA_TUNG, blocked=True),
                person(5, None, "web"),
                person(6, VINH_THUY, subscribed=False),
                person(7, AG),
                person(8, CUA_TUNG, role="officer"),
            ]
        )
    async with sessions() as session:
        province = await subscribers_by_commune_and_channel(session, PROVINCE)
        commune = await subscribers_by_commune_and_channel(session, COMMUNE)
    assert province == {CUA_TUNG: {"telegram": 2, "zalo": 2}, None: {"web": 1}}
    assert commune == {CUA_TUNG: {"telegram": 1, "zalo": 2}}


async def test_announcements_come_with_their_delivery_counts(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        people = [person(n, CUA_TUNG) for n in range(4)]
        session.add_all(people)
        await session.flush()

        async def announce(audience: list[str], province: str | None) -> int:
            created = await create_broadcast(
                session,
                created_by="telegram:1",
                created_by_contact_id=None,
                province=province,
                audience=audience,
                text="Họp thôn tối nay.",
                scheduled_at=NOW,
                now=NOW,
            )
            return created.id

        to_commune = await announce([f"commune:{CUA_TUNG}"], "quang-tri")
        to_province = await announce(["province:quang-tri"], "quang-tri")
        elsewhere = await announce(["province:an-giang"], "an-giang")
        for contact, status in zip(people, ["sent", "sent", "failed", "pending"], strict=True):
            session.add(
                Delivery(
                    contact_id=contact.id,
                    channel="telegram",
                    lane=1,
                    broadcast_id=to_commune,
                    replies=[],
                    status=status,
                )
            )
    async with sessions() as session:
        province = await recent_broadcast_delivery(session, PROVINCE, 10)
        commune = await recent_broadcast_delivery(session, COMMUNE, 10)
    assert [item.broadcast.id for item in province] == [to_province, to_commune]
    assert elsewhere not in [item.broadcast.id for item in province]
    assert [item.broadcast.id for item in commune] == [to_commune]
    assert commune[0].counts == {"sent": 2, "failed": 1, "pending": 1}
    assert commune[0].remaining == 1
