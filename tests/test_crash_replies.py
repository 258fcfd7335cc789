"""Replies across a real crash: `python -m bot run` killed with SIGKILL while it sends a
batch of Telegram replies, then started again. Everyone is answered, and the only
replies sent twice are those that were in flight at the kill: taken by Telegram without
the answer reaching the service, or sent while their stored copy was being deleted."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from storage.db import create_engine, create_sessions
from storage.models import OutgoingReply
from tests.bench.broadcast_load import RecordingFake, ServiceProcess, service_env

PEOPLE = 300
WARM_UP = 8_099_999
# Every sendMessage answered this late: the kill leaves messages Telegram took and the
# service never heard about.
ANSWER_DELAY = 0.02
SEND_RATE = 200.0
ARRIVALS = 100.0
# Beyond the answer delay, how long a finished send may wait for its delete to commit: a
# few milliseconds on PostgreSQL; on SQLite, which has one writer, the delete also waits
# for the unit of work ahead of it on the service's one connection, longer on a busy
# machine. The margins are generous so that the test holds under load; the README gives
# what a quiet machine measures.
DELETE_MARGIN = {"postgresql": 0.25, "sqlite": 1.0}


async def owed_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        async with create_sessions(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(OutgoingReply)) or 0)
    finally:
        await engine.dispose()


async def arrive(fake: RecordingFake, people: list[int]) -> None:
    """Each person asks once, ARRIVALS a second in all."""
    started = time.monotonic()
    for n, person in enumerate(people):
        await asyncio.sleep(max(0.0, started + n / ARRIVALS - time.monotonic()))
        fake.user_sends_text(person, "/ngonngu")


async def wait_for(fake: RecordingFake, chats: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len({sent.chat for sent in fake.log}) < chats:
        assert time.monotonic() < deadline, f"only {len({s.chat for s in fake.log})} answered"
        await asyncio.sleep(0.005)


async def test_killed_while_sending_replies_only_those_in_flight_go_out_twice(
    storage_url: str, tmp_path: Path
) -> None:
    margin = DELETE_MARGIN["postgresql" if storage_url.startswith("postgresql") else "sqlite"]
    fake = RecordingFake(rate_limits=False)
    fake.set_delay("sendMessage", ANSWER_DELAY)
    await fake.start()
    people = [8_100_000 + n for n in range(PEOPLE)]
    for person in people:
        fake.add_user(person)
    try:
        env = service_env(storage_url, fake, tmp_path, send_rate=SEND_RATE)
        first = ServiceProcess(env, tmp_path / "first.log")
        first.start()
        await first.running()
        # Answered once before the measure: the service is warm, as it is when busy.
        fake.add_user(WARM_UP)
        fake.user_sends_text(WARM_UP, "/ngonngu")
        await wait_for(fake, 1, 30)
        arrivals = asyncio.create_task(arrive(fake, people))
        await wait_for(fake, PEOPLE // 3, 30)
        killed_at = time.monotonic()
        first.kill()
        # Requests already on their way are still taken after the kill.
        await asyncio.sleep(0.2)
        in_flight = sum(1 for sent in fake.log if sent.at >= killed_at - ANSWER_DELAY - margin)
        answered_before = len({sent.chat for sent in fake.log})
        assert answered_before < PEOPLE, "the batch was over before the kill"

        second = ServiceProcess(env, tmp_path / "second.log")
        second.start()
        await second.running()
        await arrivals
        await wait_for(fake, PEOPLE + 1, 30)
        assert await second.stop() == 0
    finally:
        await fake.stop()

    copies = Counter((sent.chat, sent.text) for sent in fake.log)
    assert {chat for chat, _ in copies} == {*people, WARM_UP}, "everyone is answered"
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= in_flight, (duplicates, in_flight)
    assert await owed_rows(storage_url) == 0, "nothing stays owed once sent"
