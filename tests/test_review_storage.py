"""Review storage on SQLite and PostgreSQL: the scoped queue, decisions racing, supports
and their bursts, the export stream and the year's figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.contacts import get_or_create_contact
from storage.db import Sessions, create_engine, create_sessions
from storage.lifecycle import OFFICER, TransitionRefused, transition
from storage.models import Nomination, NominationEvent
from storage.nominations import Filters, stream_for_export, year_figures
from storage.review import (
    BURST_SIZE,
    HELD,
    Scope,
    add_support,
    clear_burst,
    queue_page,
    review_for,
    support_counts,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CUA_TUNG, VINH_THUY = "19414", "19405"


@pytest.fixture
async def sessions(storage_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(storage_url)
    yield create_sessions(engine)
    await engine.dispose()


def a_nomination(
    code: str,
    *,
    commune: str = CUA_TUNG,
    province: str = "quang-tri",
    kind: str = "village",
    status: str = "submitted",
    at: datetime = NOW,
    nominee: str = "Thôn Tân Hiệp",
) -> Nomination:
    return Nomination(
        code=code,
        kind=kind,
        status=status,
        province=province,
        commune_code=commune,
        nominee=nominee,
        achievements="Thôn có 100% hộ dùng nước sạch.",
        nominator_name="Lan",
        nominator_phone="+84912345678",
        contact_consent=True,
        nominee_consent="yes",
        created_at=at,
        updated_at=at,
    )


async def test_the_queue_is_scoped_in_sql_and_oldest_first(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        session.add_all(
            [
                a_nomination("DC-AAAA2", at=NOW + timedelta(minutes=2)),
                a_nomination("DC-AAAA3", at=NOW, kind="exemplary"),
                a_nomination("DC-AAAA4", commune=VINH_THUY, at=NOW - timedelta(days=1)),
                a_nomination("DC-AAAA5", commune="30001", province="an-giang"),
                a_nomination("DC-AAAA6", status="accepted"),
            ]
        )
    waiting = ("submitted", "in_review")
    async with sessions() as session:
        commune = await queue_page(
            session, Scope("quang-tri", CUA_TUNG), waiting, None, offset=0, limit=10
        )
        province = await queue_page(session, Scope("quang-tri"), waiting, None, offset=0, limit=2)
        everywhere = await queue_page(session, Scope(), waiting, "village", offset=0, limit=10)
        accepted = await queue_page(
            session, Scope("quang-tri"), ("accepted",), None, offset=0, limit=9
        )
    assert commune[0] == 2 and [n.code for n, _ in commune[1]] == ["DC-AAAA3", "DC-AAAA2"]
    assert province[0] == 3 and [n.code for n, _ in province[1]] == ["DC-AAAA4", "DC-AAAA3"]
    assert [n.code for n, _ in everywhere[1]] == ["DC-AAAA4", "DC-AAAA5", "DC-AAAA2"]
    assert [n.code for n, _ in accepted[1]] == ["DC-AAAA6"]


async def test_a_decision_on_a_status_that_moved_on_is_refused(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        nomination = a_nomination("DC-BBBB2")
        session.add(nomination)
    async with sessions.begin() as session:
        await transition(
            session, nomination.id, "accept", actor_contact_id=None, actor_role=OFFICER, at=NOW
        )
    async with sessions.begin() as session:
        with pytest.raises(TransitionRefused) as refused:
            await transition(
                session, nomination.id, "reject", actor_contact_id=None, actor_role=OFFICER, at=NOW
            )
    assert refused.value.current == "accepted"
    async with sessions() as session:
        events = (await session.scalars(select(NominationEvent.to_status))).all()
    assert list(events) == ["accepted"]


async def test_of_two_decisions_racing_on_postgresql_one_wins(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    sessions = create_sessions(engine)
    try:
        async with sessions.begin() as session:
            nomination = a_nomination("DC-CCCC2")
            session.add(nomination)
        first = sessions()
        await first.begin()
        await transition(
            first, nomination.id, "accept", actor_contact_id=None, actor_role=OFFICER, at=NOW
        )

        async def second() -> str:
            async with sessions.begin() as session:
                return await transition(
                    session,
                    nomination.id,
                    "reject",
                    actor_contact_id=None,
                    actor_role=OFFICER,
                    at=NOW,
                )

        racing = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not racing.done(), "the second waits for the first's row lock"
        await first.commit()
        await first.close()
        with pytest.raises(TransitionRefused) as refused:
            await racing
        assert refused.value.current == "accepted"
    finally:
        await engine.dispose()


async def test_a_burst_from_new_accounts_is_held_apart_until_cleared(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        nomination = a_nomination("DC-DDDD2", status="accepted")
        session.add(nomination)
        await session.flush()
        (await review_for(session, nomination.id, NOW)).supports_open = True
        # Neighbours who have used the bot for months support it over the morning.
        for n in range(5):
            old = await get_or_create_contact(
                session, "zalo", f"old{n}", now=NOW - timedelta(days=90)
            )
            await add_support(session, nomination.id, old.id, NOW + timedelta(minutes=n))
    flagged = []
    async with sessions.begin() as session:
        for n in range(BURST_SIZE):
            fresh = await get_or_create_contact(session, "web", f"new{n:02d}" * 3, now=NOW)
            outcome = await add_support(
                session, nomination.id, fresh.id, NOW + timedelta(minutes=10, seconds=n)
            )
            flagged.append(outcome.flagged)
        again = await add_support(session, nomination.id, fresh.id, NOW + timedelta(minutes=20))
    assert flagged.count(True) == 1 and not again.added
    async with sessions() as session:
        counts = await support_counts(session, nomination.id)
    assert counts == {HELD: BURST_SIZE + 5}, "the whole hour is held"
    async with sessions.begin() as session:
        late = await get_or_create_contact(session, "web", "late" * 6, now=NOW)
        await add_support(session, nomination.id, late.id, NOW + timedelta(minutes=30))
        assert (
            await clear_burst(session, nomination.id, keep=True, at=NOW + timedelta(hours=1)) == 26
        )
    async with sessions() as session:
        assert await support_counts(session, nomination.id) == {"counted": 26}


async def test_the_export_streams_rows_without_contacts_unless_asked(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for n in range(30):
            session.add(a_nomination(f"DC-E{n:03d}"))
    filters = Filters(scope=Scope("quang-tri"), statuses=("submitted",))
    async with sessions() as session:
        rows = [
            row async for row in stream_for_export(session, filters, with_contacts=False, batch=7)
        ]
        full = [row async for row in stream_for_export(session, filters, with_contacts=True)]
    assert len(rows) == 30 and "nominator_phone" not in rows[0]
    assert full[0]["nominator_phone"] == "+84912345678" and full[0]["supports"] == 0


async def test_the_year_counts_by_commune_kind_and_status(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        session.add_all(
            [
                a_nomination("DC-FFFF2", status="commended"),
                a_nomination("DC-FFFF3", kind="exemplary"),
                a_nomination("DC-FFFF4", at=NOW.replace(year=2025)),
                a_nomination("DC-FFFF5", commune="30001", province="an-giang"),
            ]
        )
    start, end = datetime(2025, 12, 31, 17, tzinfo=UTC), datetime(2026, 12, 31, 17, tzinfo=UTC)
    async with sessions() as session:
        figures = await year_figures(session, Scope("quang-tri"), start, end)
    assert figures.nominations == {
        (CUA_TUNG, "village", "commended"): 1,
        (CUA_TUNG, "exemplary", "submitted"): 1,
    }
    assert figures.commendations == [], "no commendation decided in the year"
