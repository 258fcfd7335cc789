"""The outbox across real crashes: `python -m bot run` killed with SIGKILL in the middle
of an announcement, on SQLite (restarted) and on PostgreSQL (two processes, the one
holding the outbox lock killed). Everyone gets the announcement; at most the batch the
dead sender had claimed goes out twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.outbox import BATCH
from storage.broadcasts import create_broadcast
from storage.db import create_engine, create_sessions
from storage.models import utcnow
from tests.bench.broadcast_load import (
    PROVINCE,
    RecordingFake,
    ServiceProcess,
    broadcast_outcome,
    seed_subscribers,
    service_env,
    subscriber_ids,
    wait_for_leader,
)

TEXT = "Họp thôn lúc 7h30 ngày 24/12 tại nhà văn hóa."


async def queue(url: str) -> int:
    """An urgent announcement to the province (urgent: quiet hours must not hold it)."""
    engine = create_engine(url)
    try:
        now = utcnow()
        async with create_sessions(engine).begin() as session:
            broadcast = await create_broadcast(
                session,
                created_by="cli:admin",
                created_by_contact_id=None,
                province=PROVINCE,
                audience=[f"province:{PROVINCE}"],
                text=TEXT,
                scheduled_at=now,
                now=now,
                urgent=True,
            )
        return broadcast.id
    finally:
        await engine.dispose()


async def until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def sent_at_least(fake: RecordingFake, n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(fake.times_of(TEXT)) >= n

    return check


def done(url: str, broadcast_id: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await broadcast_outcome(url, broadcast_id)).status == "done"

    return check


async def test_killed_mid_announcement_and_restarted_everyone_gets_it_at_most_a_batch_twice(
    sqlite_url: str, tmp_path: Path
) -> None:
    # No flood limits, but every send answered 50 ms late: the dead process leaves
    # messages Telegram took and it never heard about.
    fake = RecordingFake(rate_limits=False)
    fake.set_delay("sendMessage", 0.05)
    await fake.start()
    ids = subscriber_ids(150)
    for user_id in ids:
        fake.add_user(user_id)
    try:
        await seed_subscribers(sqlite_url, ids, utcnow())
        broadcast_id = await queue(sqlite_url)
        env = service_env(sqlite_url, fake, tmp_path, send_rate=50)
        first = ServiceProcess(env, tmp_path / "first.log")
        first.start()
        await first.running()
        await until(sent_at_least(fake, 50), 15, "a third of the copies")
        first.kill()
        at_kill = len(fake.times_of(TEXT))
        assert at_kill < len(ids), "the announcement was over before the kill"

        second = ServiceProcess(env, tmp_path / "second.log")
        second.start()
        await second.running()
        await until(done(sqlite_url, broadcast_id), 20, "the announcement to finish")
        assert await second.stop() == 0
    finally:
        await fake.stop()

    copies = fake.copies(TEXT, ids)
    assert [chat for chat, n in copies.items() if n == 0] == []
    duplicates = sum(n - 1 for n in copies.values() if n > 1)
    assert duplicates <= BATCH
    assert "claimed deliveries put back" in second.output()
    outcome = await broadcast_outcome(sqlite_url, broadcast_id)
    assert outcome.deliveries == {"sent": len(ids)}


async def test_two_processes_on_postgresql_share_the_limit_and_survive_the_leader_dying(
    postgres_url: str, tmp_path: Path
) -> None:
    # Limits as Telegram counts them (sliding window), at 60/s so that the test is quick;
    # each process sends at 50/s, so two sending at once would draw 429s.
    fake = RecordingFake(rate_limits=True, messages_per_second=60, overall_window=True)
    await fake.start()
    ids = subscriber_ids(250)
    for user_id in ids:
        fake.add_user(user_id)
    processes: list[ServiceProcess] = []
    try:
        await seed_subscribers(postgres_url, ids, utcnow())
        env = service_env(postgres_url, fake, tmp_path, send_rate=50)
        processes = [ServiceProcess(env, tmp_path / f"{name}.log") for name in "ab"]
        for process in processes:
            process.start()
        for process in processes:
            await process.running()
        leader = await wait_for_leader(postgres_url, processes)

        broadcast_id = await queue(postgres_url)
        await until(sent_at_least(fake, 90), 15, "a third of the copies")
        leader.kill()
        killed_at = time.monotonic()
        other = next(p for p in processes if p is not leader)
        assert await wait_for_leader(postgres_url, [other], timeout=10) is other
        await until(done(postgres_url, broadcast_id), 20, "the announcement to finish")
        assert await other.stop() == 0
    finally:
        for process in processes:
            await process.stop()
        await fake.stop()

    copies = fake.copies(TEXT, ids)
    assert [chat for chat, n in copies.items() if n == 0] == []
    duplicates = sum(n - 1 for n in copies.values() if n > 1)
    assert duplicates <= BATCH
    assert fake.refusals[429] == 0
    resumed = min(t for t in fake.times_of(TEXT) if t > killed_at)
    assert resumed - killed_at < 8
