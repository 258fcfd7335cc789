"""The storage layer on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, select

from storage.consents import active_consents, grant_consent, withdraw_consent
from storage.contacts import get_or_create_contact
from storage.db import Sessions, create_engine, create_sessions
from storage.inbound import clear_inbound, keep_inbound_many, pending_inbound
from storage.interactions import interaction_row, recent_interactions, record_interactions
from storage.invites import create_invite, redeem_invite
from storage.migrate import upgrade
from storage.models import Base, Consent, Contact, Interaction
from storage.states import contacts_and_states

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(storage_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(storage_url)
    yield create_sessions(engine)
    await engine.dispose()


async def test_migrations_run_twice_without_change(storage_url: str) -> None:
    await upgrade(storage_url)
    await upgrade(storage_url)


async def test_one_contact_per_identity(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        first = await get_or_create_contact(session, "zalo", "abc", now=NOW, name="Hoa")
        again = await get_or_create_contact(session, "zalo", "abc", now=NOW, name="Hoa Lê")
        other = await get_or_create_contact(session, "telegram", "abc", now=NOW)
    assert first.id == again.id != other.id
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Contact))
        stored = await session.get(Contact, first.id)
    assert count == 2
    assert stored is not None and stored.name == "Hoa Lê"


async def test_timestamps_come_back_in_utc(sessions: Sessions) -> None:
    local = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        contact = await get_or_create_contact(session, "web", "x" * 22, now=local)
        await record_interactions(
            session, [interaction_row(contact.id, "in", "text", local, text="xin chào")]
        )
    async with sessions() as session:
        [row] = await recent_interactions(session, contact.id)
    assert row.at == local and row.at.tzinfo is not None
    assert row.text == "xin chào"


async def test_consent_is_kept_as_evidence_after_withdrawal(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        contact = await get_or_create_contact(session, "web", "y" * 22, now=NOW)
        await grant_consent(session, contact.id, "announcements", "2026-01", NOW)
        await grant_consent(session, contact.id, "announcements", "2026-01", NOW)
    async with sessions.begin() as session:
        assert len(await active_consents(session, contact.id)) == 1
        assert await withdraw_consent(session, contact.id, "announcements", NOW)
    async with sessions() as session:
        assert await active_consents(session, contact.id) == []
        rows = (await session.scalars(select(Consent))).all()
    assert len(rows) == 1 and rows[0].withdrawn_at == NOW


async def test_invite_is_single_use_and_expires(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        contact = await get_or_create_contact(session, "web", "z" * 22, now=NOW)
        code = await create_invite(
            session, role="officer", area="quang-tri", created_by="t", now=NOW
        )
        late = await create_invite(session, role="officer", area=None, created_by="t", now=NOW)
    async with sessions.begin() as session:
        invite = await redeem_invite(session, code.lower(), contact_id=contact.id, now=NOW)
        assert invite is not None and invite.area == "quang-tri"
    async with sessions.begin() as session:
        assert await redeem_invite(session, code, contact_id=contact.id, now=NOW) is None
        expired = NOW + timedelta(days=7, seconds=1)
        assert await redeem_invite(session, late, contact_id=contact.id, now=expired) is None
        assert await redeem_invite(session, "WRONG-CODE1", contact_id=contact.id, now=NOW) is None


async def test_deleting_a_contact_removes_their_messages(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        contact = await get_or_create_contact(session, "web", "w" * 22, now=NOW)
        await record_interactions(
            session, [interaction_row(contact.id, "in", "text", NOW, text="hi")]
        )
    async with sessions.begin() as session:
        await session.delete(await session.get(Contact, contact.id))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Interaction)) == 0


async def test_updates_are_kept_once_per_key_and_cleared_together(sessions: Sessions) -> None:
    first = await keep_inbound_many(
        sessions, "telegram", [("1", {"update_id": 1}), ("2", {"update_id": 2})], NOW
    )
    # A batch fetched again after a restart, with a new update and a copy within itself.
    again = await keep_inbound_many(
        sessions,
        "telegram",
        [("2", {"update_id": 2}), ("3", {"update_id": 3}), ("3", {"update_id": 3})],
        NOW,
    )
    assert all(first) and len(set(first)) == 2
    assert again[0] is None and again[1] is not None and again[2] is None
    async with sessions.begin() as session:
        await clear_inbound(session, [r for r in first if r is not None], NOW)
    pending = await pending_inbound(sessions, "telegram", NOW)
    assert pending == [(again[1], {"update_id": 3})]


async def test_contacts_and_states_are_read_for_many_people_at_once(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for external_id in ("a", "b"):
            await get_or_create_contact(session, "telegram", external_id, now=NOW)
        await get_or_create_contact(session, "zalo", "a", now=NOW)
    async with sessions() as session:
        found = await contacts_and_states(
            session, [("telegram", "a"), ("telegram", "b"), ("zalo", "a"), ("zalo", "nobody")]
        )
    assert set(found) == {("telegram", "a"), ("telegram", "b"), ("zalo", "a")}
    assert all(contact.channel == key[0] for key, (contact, _state) in found.items())


async def test_migrations_build_exactly_the_models(storage_url: str) -> None:
    engine = create_engine(storage_url)

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()
