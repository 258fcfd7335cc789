"""Apply the Alembic migrations that ship in `storage/migrations`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from storage.db import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision`."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_sync, url, revision)
    finally:
        await engine.dispose()


def _upgrade_sync(connection: Connection, url: str, revision: str) -> None:
    config = alembic_config(url)
    # env.py picks the open connection up from here instead of making its own engine.
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def upgrade_blocking(url: str, revision: str = "head") -> None:
    """`upgrade` for callers outside an event loop."""
    asyncio.run(upgrade(url, revision))
