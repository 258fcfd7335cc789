"""The load side of the Telegram benchmark: the fake Bot API and the simulated users, run
in a child process so that their CPU is not shared with the bot's event loop.

Users either wait for each reply before asking again (closed loop) or write at a fixed
rate whatever the bot does (open loop). Latency runs from the fake queuing an update to
the fake receiving the bot's sendMessage for that chat.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_objects import JSONDict

# A user waits this long for one reply before the run is declared broken.
REPLY_TIMEOUT = 30.0
# After an open-loop window, replies still owed are awaited this long, then counted as lost.
DRAIN_TIMEOUT = 15.0
# The simulated users' Telegram ids: FIRST_USER, FIRST_USER + 1, …
FIRST_USER = 1000


class _TimedFake(FakeTelegramAPI):
    """The fake Bot API, also noting when each bot message reaches it, per chat.

    The users' own wake-up after a reply lags behind under load; stamping the message where
    the server stores it keeps that lag out of the latency.
    """

    def __init__(self) -> None:
        super().__init__(rate_limits=False)
        self.arrivals: defaultdict[int, list[float]] = defaultdict(list)

    def _bot_message(self, chat_id: int, fields: JSONDict, params: JSONDict) -> JSONDict:
        message = super()._bot_message(chat_id, fields, params)
        self.arrivals[chat_id].append(time.monotonic())
        return message


@dataclass
class Load:
    """What the child process plays: who asks what, for how long, and how fast."""

    users: int
    questions: list[str]
    warmup: float
    seconds: float
    rate: float | None = None
    """Updates per second injected regardless of replies; None for a closed loop."""
    answers: tuple[str, ...] = ()
    """In the open loop, what every user types instead of questions: their n-th update is
    the n-th answer (the form scenario: each answers the step their draft waits at)."""


@dataclass
class Window:
    """The measured interval, in ``time.monotonic()`` seconds (infinite until it starts)."""

    start: float = float("inf")
    end: float = float("inf")

    def contains(self, moment: float) -> bool:
        return self.start <= moment < self.end


def run_fake(conn: Connection, load: Load) -> None:
    """Child process: serve the fake Bot API, play the users, send the figures back."""
    asyncio.run(_serve(conn, load))


async def _serve(conn: Connection, load: Load) -> None:
    loop = asyncio.get_running_loop()
    fake = _TimedFake()
    await fake.start()
    try:
        user_ids = [FIRST_USER + n for n in range(load.users)]
        for user_id in user_ids:
            fake.add_user(user_id, f"Người dùng {user_id}")
        conn.send((fake.base_url, fake.base_file_url))
        await loop.run_in_executor(None, conn.recv)  # the bot is polling
        window = Window()
        play = _open_loop if load.rate is not None else _closed_loop
        figures = await play(fake, load, user_ids, window, conn)
        figures["rejected"] = [f"{m}: {e.description}" for m, _, e in fake.rejected]
        conn.send(figures)
        await loop.run_in_executor(None, conn.recv)  # the bot has stopped
        # Counted only now: a bot that fell behind still sends what it owes while stopping,
        # and those replies are stored like any other.
        conn.send(sum(len(times) for times in fake.arrivals.values()))
    finally:
        await fake.stop()


async def _measure(window: Window, load: Load, conn: Connection) -> float:
    """Wait out the warm-up, then the measured window; tell the bot process where it lies.

    Returns the fake process's CPU seconds spent inside the window.
    """
    await asyncio.sleep(load.warmup)
    window.start = time.monotonic()
    cpu_started = time.process_time()
    conn.send("window")
    await asyncio.sleep(load.seconds)
    window.end = time.monotonic()
    cpu_seconds = time.process_time() - cpu_started
    conn.send("window")
    return cpu_seconds


def _question(load: Load, user_index: int, turn: int) -> str:
    # Users start at different questions, so the same text is not asked by everyone at once.
    return load.questions[(user_index * 7 + turn) % len(load.questions)]


async def _closed_loop(
    fake: _TimedFake, load: Load, user_ids: list[int], window: Window, conn: Connection
) -> dict[str, Any]:
    running = True
    latencies: list[float] = []
    updates = 0

    async def user(index: int, user_id: int) -> None:
        nonlocal updates
        sent = 0
        while running:
            queued = time.monotonic()
            fake.user_sends_text(user_id, _question(load, index, sent))
            sent += 1
            updates += 1
            await fake.wait_for_messages(user_id, sent, timeout=REPLY_TIMEOUT)
            # Every question gets exactly one message (answers are far below 4096 characters),
            # so the n-th message in a chat answers the n-th question.
            arrived = fake.arrivals[user_id][sent - 1]
            if window.contains(arrived):
                latencies.append(arrived - queued)

    tasks = [asyncio.create_task(user(i, uid)) for i, uid in enumerate(user_ids)]
    cpu_seconds = await _measure(window, load, conn)
    # Each user finishes its round trip, so no update is left in flight when the bot stops.
    running = False
    await asyncio.gather(*tasks)
    return _figures(window, latencies, len(latencies), cpu_seconds, updates, lost=0)


async def _open_loop(
    fake: _TimedFake, load: Load, user_ids: list[int], window: Window, conn: Connection
) -> dict[str, Any]:
    assert load.rate is not None
    rate = load.rate
    running = True
    queued: dict[int, list[float]] = defaultdict(list)

    async def inject() -> None:
        # One schedule for everyone: update i is due at start + i/rate, sent by user i mod N,
        # so each user writes every N/rate seconds. A late tick sends at once (no skipping),
        # keeping the offered rate whatever the bot does.
        started = time.monotonic()
        sent = 0
        while running:
            delay = started + sent / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            index = sent % len(user_ids)
            user_id = user_ids[index]
            before = len(queued[user_id])
            queued[user_id].append(time.monotonic())
            if load.answers:
                text = load.answers[before % len(load.answers)]
            else:
                text = _question(load, index, before + 1)
            fake.user_sends_text(user_id, text)
            sent += 1

    injector = asyncio.create_task(inject())
    cpu_seconds = await _measure(window, load, conn)
    running = False
    await injector

    owed = {uid: len(times) for uid, times in queued.items()}
    deadline = time.monotonic() + DRAIN_TIMEOUT
    for user_id, n in owed.items():
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            await fake.wait_for_messages(user_id, n, timeout=remaining)
        except AssertionError:
            pass  # counted as lost below

    latencies: list[float] = []
    replies_in_window = 0
    lost = 0
    for user_id, times in queued.items():
        arrivals = fake.arrivals[user_id]
        replies_in_window += sum(1 for moment in arrivals if window.contains(moment))
        for n, sent_at in enumerate(times):
            if not window.contains(sent_at):
                continue
            if n < len(arrivals):
                latencies.append(arrivals[n] - sent_at)
            else:
                lost += 1
    updates = sum(len(times) for times in queued.values())
    figures = _figures(window, latencies, replies_in_window, cpu_seconds, updates, lost)
    figures["offered"] = sum(window.contains(t) for times in queued.values() for t in times)
    return figures


def _figures(
    window: Window,
    latencies: list[float],
    replies: int,
    cpu_seconds: float,
    updates: int,
    lost: int,
) -> dict[str, Any]:
    """The figures sent back to the bot process; totals include the warm-up."""
    elapsed = window.end - window.start
    return {
        "elapsed": elapsed,
        "replies": replies,
        "latencies": latencies,
        "lost": lost,
        "fake_cpu": cpu_seconds / elapsed,
        "updates_total": updates,
    }
