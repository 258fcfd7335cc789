"""The operator's toolkit: `backup` on SQLite (while the database is being written) and
on PostgreSQL (the pg_dump command), and retention of texts and handled updates."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot import retention
from bot.app import ChungSuc
from bot.config import SettingsError, load_settings
from bot.retention import Retention
from storage.db import create_engine, create_sessions
from storage.inbound import keep_inbound
from storage.interactions import interaction_row, record_interactions
from storage.migrate import upgrade
from storage.models import Contact, InboundUpdate, Interaction
from tests.conftest import Clock
from tests.test_cli import cli


def database_file(cli_env: dict[str, str]) -> Path:
    return Path(cli_env["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///"))


async def add_contacts(url: str, names: list[str]) -> None:
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with create_sessions(engine).begin() as session:
            for number, name in enumerate(names):
                session.add(Contact(channel="web", external_id=f"web-{number:024d}", name=name))
    finally:
        await engine.dispose()


def test_backup_copies_a_sqlite_database_that_opens_with_its_contacts(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    asyncio.run(add_contacts(cli_env["DATABASE_URL"], ["Lan", "Minh"]))
    # A writer in the middle of a transaction, as the running service may be.
    writer = sqlite3.connect(database_file(cli_env))
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE contacts SET name = 'half-written' WHERE name = 'Lan'")
    try:
        result = cli("backup", str(tmp_path / "saved" / "copy.db"), env=cli_env)
    finally:
        writer.rollback()
        writer.close()
    assert result.returncode == 0, result.stderr
    assert "copy.db" in result.stdout and "integrity ok" in result.stdout
    copy = sqlite3.connect(tmp_path / "saved" / "copy.db")
    try:
        names = sorted(name for (name,) in copy.execute("SELECT name FROM contacts"))
        [mode] = copy.execute("PRAGMA journal_mode").fetchone()
    finally:
        copy.close()
    assert names == ["Lan", "Minh"], "a consistent snapshot, without the open transaction"
    assert mode == "delete", "one self-contained file"
    assert not (tmp_path / "saved" / "copy.db.part").exists()


def test_backup_will_not_write_over_the_database_itself(cli_env: dict[str, str]) -> None:
    asyncio.run(add_contacts(cli_env["DATABASE_URL"], ["Lan"]))
    result = cli("backup", str(database_file(cli_env)), env=cli_env)
    assert result.returncode == 2
    assert "database itself" in result.stderr


def test_backup_on_postgresql_prints_the_pg_dump_command_without_the_password(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    cli_env["DATABASE_URL"] = "postgresql+asyncpg://chungsuc:s3cret-pw@db.example:5433/chungsuc"
    result = cli("backup", str(tmp_path / "chungsuc.dump"), env=cli_env)
    assert result.returncode == 0, result.stderr
    command = (
        f"pg_dump --format=custom --file={tmp_path / 'chungsuc.dump'} "
        "--host=db.example --port=5433 --username=chungsuc chungsuc"
    )
    assert command in result.stdout
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert not (tmp_path / "chungsuc.dump").exists()


async def old_and_recent_texts(app: ChungSuc, clock: Clock) -> int:
    """A contact with a message from 400 days ago and one from 10 days ago."""
    async with app.sessions.begin() as session:
        contact = Contact(channel="web", external_id="r" * 24)
        session.add(contact)
        await session.flush()
        await record_interactions(
            session,
            [
                interaction_row(
                    contact.id, "in", "text", clock.now - timedelta(days=400), text="cũ"
                ),
                interaction_row(
                    contact.id, "in", "text", clock.now - timedelta(days=10), text="mới"
                ),
            ],
        )
        return contact.id


async def texts(app: ChungSuc) -> list[str | None]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Interaction.text).order_by(Interaction.at)))


async def test_retention_purges_old_texts_and_keeps_recent_ones_and_the_rows(
    app: ChungSuc, clock: Clock
) -> None:
    await old_and_recent_texts(app, clock)
    purged = await Retention(app.sessions, clock, days=365).run_once()
    assert purged.texts == 1
    assert await texts(app) == [None, "mới"], "the row stays, for counts; its text goes"
    assert (await Retention(app.sessions, clock, days=365).run_once()).texts == 0


async def test_retention_walks_a_long_log_in_batches(
    app: ChungSuc, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 3)
    async with app.sessions.begin() as session:
        contact = Contact(channel="web", external_id="b" * 24)
        session.add(contact)
        await session.flush()
        old = clock.now - timedelta(days=30)
        await record_interactions(
            session,
            [interaction_row(contact.id, "out", "text", old, text=f"{n}") for n in range(10)],
        )
    assert (await Retention(app.sessions, clock, days=7).run_once()).texts == 10
    assert set(await texts(app)) == {None}


async def test_retention_deletes_handled_updates_after_a_week_only(
    app: ChungSuc, clock: Clock
) -> None:
    now = clock.now
    receipts = {}
    for key, handled in (("old", 8), ("recent", 1), ("waiting", None)):
        receipt = await keep_inbound(
            app.sessions, "telegram", key, {"text": "riêng"}, now - timedelta(days=30)
        )
        assert receipt is not None
        receipts[key] = receipt
        if handled is not None:
            async with app.sessions.begin() as session:
                await session.execute(
                    update(InboundUpdate)
                    .where(InboundUpdate.id == receipt)
                    .values(handled_at=now - timedelta(days=handled))
                )
    purged = await Retention(app.sessions, clock, days=365).run_once()
    assert purged.updates == 1
    async with app.sessions() as session:
        left = set(await session.scalars(select(InboundUpdate.key)))
    assert left == {"recent", "waiting"}, "an update not handled yet is never purged"


async def test_the_running_service_purges_at_start(app: ChungSuc, clock: Clock) -> None:
    await old_and_recent_texts(app, clock)
    await app.start(migrate=False)
    for _ in range(100):
        if await texts(app) == [None, "mới"]:
            break
        await asyncio.sleep(0.05)
    assert await texts(app) == [None, "mới"]
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Interaction)) == 2


def test_retention_days_below_one_is_refused(env_clean: pytest.MonkeyPatch) -> None:
    env_clean.setenv("RETENTION_DAYS", "0")
    with pytest.raises(SettingsError, match="RETENTION_DAYS"):
        load_settings()
