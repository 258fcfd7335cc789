"""Shared fixtures: a fresh migrated database per test, the service, and a chat stub."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, text

from bot.app import ChungSuc
from bot.config import Settings, load_settings
from storage.db import create_engine
from storage.migrate import upgrade, upgrade_blocking
from storage.models import InboundUpdate
from tests.chat import Chat

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


async def unhandled_updates(app: ChungSuc) -> int:
    """Platform updates stored and not yet marked handled."""
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InboundUpdate)
            .where(InboundUpdate.handled_at.is_(None))
        )
    return int(count or 0)


async def health_once_degraded(url: str) -> dict[str, Any]:
    """Poll /healthz until it answers 503 (for at most 5 s); its body then, or {}."""
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            async with http.get(url) as response:
                if response.status == 503:
                    body: dict[str, Any] = await response.json()
                    return body
            await asyncio.sleep(0.05)
    return {}


class Clock:
    """A settable clock, so tests can move time (invite expiry, throttling windows)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_blocking(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "chungsuc.db"
    shutil.copy(migrated_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def fresh_postgres() -> str:
    """The machine's PostgreSQL with an empty, migrated schema; skipped when absent unless
    REQUIRE_POSTGRES=1 (CI), where a missing server is a failure."""
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    except (OSError, Exception) as error:  # asyncpg raises several unrelated types
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    finally:
        await engine.dispose()
    await upgrade(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """Each storage test runs on both backends."""
    if request.param == "sqlite":
        return sqlite_url
    return await fresh_postgres()


@pytest.fixture
async def postgres_url() -> str:
    return await fresh_postgres()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=sqlite_url,
        web_port=0,
        admins="web:" + "a" * 24,
        media_dir=tmp_path / "media",
    )


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[ChungSuc]:
    """The service without its HTTP server: journeys are driven through `Chat`."""
    service = ChungSuc(settings, clock=clock)
    yield service
    await service.stop()


@pytest.fixture
def chat(app: ChungSuc) -> Chat:
    return Chat(app.engine, "web", "u" * 24)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment for running `python -m bot` on a database of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    return env


@pytest.fixture
def env_clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No setting leaks in from the developer's environment."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "ZALO_", "WEB_", "DATABASE_", "ADMINS", "DEFAULT_")):
            monkeypatch.delenv(name)
    yield monkeypatch
