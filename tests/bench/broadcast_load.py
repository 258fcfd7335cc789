"""The pieces of the broadcast benchmark (`tests/bench/broadcast_bench.py`) and of the
crash tests (`tests/test_outbox_crash.py`): a fake Bot API that notes every message it
takes, the fake in a child process with villagers asking questions, subscribers written
straight into the database, the service as an OS process that can be killed, and which
of several processes holds the outbox's PostgreSQL advisory lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import signal
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bot.memory import settle_after_start
from storage.db import create_engine
from storage.models import Broadcast, Contact, Delivery
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.fakes.telegram_objects import JSONDict

ROOT = Path(__file__).resolve().parents[2]
# Subscribers' Telegram ids: FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + 1, …
FIRST_SUBSCRIBER = 7_000_000
FIRST_VILLAGER = 6_000_000
OFFICER = 5_999_999
PROVINCE = "quang-tri"
# The lock `bot.outbox.AdvisoryLock` takes for the Telegram sender.
TELEGRAM_LOCK_KEY = zlib.crc32(b"chungsuc-outbox:telegram") & 0x7FFFFFFF


# ----------------------------------------------------------------------------- the fake


@dataclass
class Sent:
    """One message the fake took: when, to whom, what."""

    at: float
    chat: int
    text: str
    # The sender's local TCP port: which process sent it.
    port: int = 0


# The client port of the request being handled (each request is a task of its own).
_PEER_PORT: ContextVar[int] = ContextVar("peer_port", default=0)


class RecordingFake(FakeTelegramAPI):
    """The fake Bot API, also noting every message it takes and every send it refuses,
    with the time it reached the server."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log: list[Sent] = []
        self.arrivals: dict[int, list[float]] = {}
        self.attempts: list[float] = []
        self.refusals: Counter[int] = Counter()
        # Every refused send: when, to whom, the HTTP status.
        self.refused: list[tuple[float, int, int]] = []

    async def _handle_method(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        _PEER_PORT.set(int(peer[1]) if peer else 0)
        return await super()._handle_method(request)

    def _bot_message(self, chat_id: int, fields: JSONDict, params: JSONDict) -> JSONDict:
        now = time.monotonic()
        self.attempts.append(now)
        try:
            message = super()._bot_message(chat_id, fields, params)
        except Exception as error:
            status = int(getattr(error, "status", 0))
            self.refusals[status] += 1
            self.refused.append((now, chat_id, status))
            raise
        text = str(fields.get("text") or fields.get("caption") or "")
        self.log.append(Sent(now, chat_id, text, _PEER_PORT.get()))
        self.arrivals.setdefault(chat_id, []).append(now)
        return message

    def copies(self, text: str, chats: Iterable[int]) -> Counter[int]:
        """How many times each of `chats` received `text` (0 for none)."""
        wanted = set(chats)
        counts: Counter[int] = Counter({chat: 0 for chat in wanted})
        for sent in self.log:
            if sent.chat in wanted and sent.text == text:
                counts[sent.chat] += 1
        return counts

    def times_of(self, text: str) -> list[float]:
        return [sent.at for sent in self.log if sent.text == text]


def limited_fake(messages_per_second: float = 30.0) -> RecordingFake:
    """Telegram's limits as Telegram counts them: 30 a second overall in any sliding
    second, about one a second per chat with a short burst."""
    return RecordingFake(
        rate_limits=True, messages_per_second=messages_per_second, overall_window=True
    )


class LoopLag:
    """Notes when this process's event loop woke late (a stall of more than
    `threshold` seconds): when, and by how much."""

    def __init__(self, threshold: float = 0.02, tick: float = 0.005) -> None:
        self.stalls: list[tuple[float, float]] = []
        self._threshold = threshold
        self._tick = tick
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while True:
            planned = time.monotonic() + self._tick
            await asyncio.sleep(self._tick)
            late = time.monotonic() - planned
            if late > self._threshold:
                self.stalls.append((planned, late))


def max_in_any_second(times: Sequence[float]) -> int:
    """The most of `times` (sorted or not) that fall within one second of each other."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


# ------------------------------------------------------- the fake in a process of its own


@dataclass
class Plan:
    """What the fake's process plays in the announcement scenario."""

    subscribers: list[int]
    blocked: list[int]
    villagers: list[int]
    questions: list[str]
    announcement: str
    villager_seconds: float
    ask_every: float
    timeout: float


@dataclass
class FakeFigures:
    """What the fake's process saw, sent back to the benchmark."""

    go: float = 0.0
    copies: dict[int, int] = field(default_factory=dict)
    copy_times: list[float] = field(default_factory=list)
    # (when, chat) of every announcement copy, to match with when the bot sent it.
    copy_log: list[tuple[float, int]] = field(default_factory=list)
    all_times: list[float] = field(default_factory=list)
    attempt_times: list[float] = field(default_factory=list)
    refusals: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0
    villagers_until: float = 0.0
    officer_texts: list[tuple[float, str]] = field(default_factory=list)
    refused: list[tuple[float, int, int]] = field(default_factory=list)
    stalls: list[tuple[float, float]] = field(default_factory=list)
    finished: bool = False


def run_fake(conn: Connection, plan: Plan) -> None:
    """Child process: serve the fake Bot API with its limits, play the villagers, send
    the figures back once every reachable subscriber has the announcement and the
    officer has the summary (or the time is up)."""
    asyncio.run(_serve(conn, plan))


async def _serve(conn: Connection, plan: Plan) -> None:
    loop = asyncio.get_running_loop()
    fake = limited_fake()
    await fake.start()
    lag = LoopLag()
    lag.start()
    try:
        for user_id in [*plan.subscribers, *plan.villagers, OFFICER]:
            fake.add_user(user_id, f"Người dân {user_id}")
        # Blocked before the bot ever heard of it: found out only by sending (403).
        fake.blocked.update(plan.blocked)
        # The fake stamps a message when it handles it, so a pause of its own (a full
        # collection walking ten thousand users) would bunch the bot's evenly spaced sends
        # together and count them as a flood: set its start-up objects aside, as the
        # service does.
        settle_after_start()
        conn.send((fake.base_url, fake.base_file_url))
        await loop.run_in_executor(None, conn.recv)  # the announcement is queued
        figures = FakeFigures(go=time.monotonic())
        reachable = set(plan.subscribers) - set(plan.blocked)
        have: set[int] = set()
        seen = 0
        started = asyncio.Event()
        stop_asking = asyncio.Event()

        async def villager(index: int, user_id: int) -> None:
            await started.wait()
            # Spread out, so that the twenty do not all ask in the same instant.
            await asyncio.sleep(random.uniform(0, plan.ask_every))
            turn = 0
            while not stop_asking.is_set():
                before = len(fake.arrivals.get(user_id, ()))
                asked = time.monotonic()
                question = plan.questions[(index * 7 + turn) % len(plan.questions)]
                fake.user_sends_text(user_id, question)
                turn += 1
                try:
                    await fake.wait_for_messages(user_id, before + 1, timeout=30)
                except AssertionError:
                    figures.unanswered += 1
                else:
                    figures.latencies.append(fake.arrivals[user_id][before] - asked)
                await asyncio.sleep(max(0.0, asked + plan.ask_every - time.monotonic()))

        def stop(figures: FakeFigures) -> None:
            if not stop_asking.is_set():
                figures.villagers_until = time.monotonic()
                stop_asking.set()

        villagers = [asyncio.create_task(villager(i, u)) for i, u in enumerate(plan.villagers)]
        deadline = figures.go + plan.timeout
        while time.monotonic() < deadline:
            for sent in fake.log[seen:]:
                if sent.text == plan.announcement:
                    have.add(sent.chat)
                    if not started.is_set():
                        started.set()
                        loop.call_later(plan.villager_seconds, stop, figures)
            seen = len(fake.log)
            summary = any("đã gửi xong" in m.get("text", "") for m in fake.messages_to(OFFICER))
            if have >= reachable:
                stop(figures)
                if summary:
                    figures.finished = True
                    break
            await asyncio.sleep(0.2)
        stop(figures)
        await asyncio.gather(*villagers)
        # A copy sent twice would come late: give it a moment.
        await asyncio.sleep(2.0)
        copies = fake.copies(plan.announcement, plan.subscribers)
        figures.copies = dict(copies)
        figures.copy_times = fake.times_of(plan.announcement)
        figures.copy_log = [(m.at, m.chat) for m in fake.log if m.text == plan.announcement]
        figures.all_times = [s.at for s in fake.log]
        figures.attempt_times = fake.attempts
        figures.refusals = dict(fake.refusals)
        figures.officer_texts = [(s.at, s.text) for s in fake.log if s.chat == OFFICER]
        figures.refused = fake.refused
        figures.stalls = lag.stalls
        conn.send(figures)
        await loop.run_in_executor(None, conn.recv)  # the service has stopped
    finally:
        await lag.stop()
        await fake.stop()


# ------------------------------------------------------------------------------ the data


def subscriber_ids(n: int) -> list[int]:
    return [FIRST_SUBSCRIBER + i for i in range(n)]


def every_nth(ids: Sequence[int], share: float) -> list[int]:
    """An evenly spread `share` of `ids` (2% of them: every 50th)."""
    if share <= 0:
        return []
    step = round(1 / share)
    return list(ids[step - 1 :: step])


async def seed_subscribers(
    url: str, ids: Sequence[int], now: datetime, *, officer: bool = False
) -> None:
    """Telegram contacts in Quảng Trị, subscribed to announcements, written in bulk
    (and the officer who sends the announcement, unsubscribed, when asked)."""
    engine = create_engine(url)
    try:
        rows = [
            {
                "channel": "telegram",
                "external_id": str(user_id),
                "name": f"Người dân {user_id}",
                "language": "vi",
                "province": PROVINCE,
                "role": "citizen",
                "subscribed": True,
                "blocked": False,
                "failed_code_attempts": 0,
                "created_at": now,
                "last_seen_at": now,
            }
            for user_id in ids
        ]
        if officer:
            rows.append({**rows[0], "external_id": str(OFFICER), "name": "Cán bộ"})
            rows[-1].update(role="officer", subscribed=False)
        for start in range(0, len(rows), 5000):
            async with engine.begin() as connection:
                await connection.execute(insert(Contact), rows[start : start + 5000])
        if engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a load this size: without the
            # table's statistics the planner scans all contacts for every page.
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("ANALYZE contacts"))
    finally:
        await engine.dispose()


async def officer_id(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                select(Contact.id).where(Contact.external_id == str(OFFICER))
            )
            return int(found or 0)
    finally:
        await engine.dispose()


async def reset_postgres(url: str) -> None:
    """Empty the public schema of the PostgreSQL database at `url`."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@dataclass
class Outcome:
    """What the database says of a broadcast."""

    status: str
    total: int
    deliveries: dict[str, int]
    blocked_contacts: int


async def broadcast_outcome(url: str, broadcast_id: int) -> Outcome:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(Broadcast.status, Broadcast.total).where(Broadcast.id == broadcast_id)
                )
            ).one()
            counts = await connection.execute(
                select(Delivery.status, func.count())
                .where(Delivery.broadcast_id == broadcast_id)
                .group_by(Delivery.status)
            )
            blocked = await connection.scalar(
                select(func.count()).select_from(Contact).where(Contact.blocked.is_(True))
            )
            return Outcome(
                str(row[0]), int(row[1]), {str(s): int(n) for s, n in counts}, int(blocked or 0)
            )
    finally:
        await engine.dispose()


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------- the service as a process


def service_env(
    database_url: str, fake: FakeTelegramAPI, folder: Path, send_rate: float
) -> dict[str, str]:
    """`python -m bot run`'s environment: this database, the fake, nothing else."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ZALO_", "WEB_", "DATABASE_", "ADMINS", "MEDIA_"))
    }
    env.update(
        DATABASE_URL=database_url,
        TELEGRAM_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_BASE_URL=fake.base_url,
        TELEGRAM_BASE_FILE_URL=fake.base_file_url,
        TELEGRAM_SEND_RATE=f"{send_rate:g}",
        WEB_PORT="0",
        MEDIA_DIR=str(folder / "media"),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


class ServiceProcess:
    """`python -m bot run` as an OS process of its own, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = env
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=ROOT,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def running(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait for the "is running" line; AssertionError with the log if it never comes."""
        deadline = time.monotonic() + timeout
        while "Chung Sức is running" not in self.output():
            assert self._process is not None
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the service did not start:\n{self.output()[-3000:]}")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no shutdown, nothing flushed, connections dropped by the kernel."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()

    async def stop(self, timeout: float = 20.0) -> int:  # noqa: ASYNC109
        """SIGTERM and wait; killed if it does not stop in time."""
        process = self._process
        if process is None or process.poll() is not None:
            return process.returncode if process is not None else 0
        process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(process.wait, timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()


def queue_announcement(env: dict[str, str], announcement: str, *, urgent: bool) -> str:
    """`python -m bot broadcast --text … --audience province:quang-tri --yes`; its output."""
    args = ["--text", announcement, "--audience", f"province:{PROVINCE}", "--yes"]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "broadcast", *args, *(["--urgent"] if urgent else [])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# ------------------------------------------------------ who leads, across several processes


def _socket_ports() -> dict[int, int]:
    """Every TCP socket of this machine's network namespace: inode → local port."""
    ports: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                parts = line.split()
                ports[int(parts[9])] = int(parts[1].rsplit(":", 1)[1], 16)
    return ports


def _ports_of(pid: int, ports: dict[int, int]) -> set[int]:
    """The local TCP ports the sockets of process `pid` are bound to."""
    found: set[int] = set()
    folder = Path(f"/proc/{pid}/fd")
    with contextlib.suppress(OSError):
        for fd in folder.iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    port = ports.get(int(target[8:-1]))
                    if port is not None:
                        found.add(port)
    return found


class PortOwners:
    """Which of several processes each local TCP port belongs to, noted every 0.2 s while
    it runs (a killed process's ports stay noted), so that every message the fake takes
    can be put down to the process that sent it."""

    def __init__(self, processes: Sequence[ServiceProcess]) -> None:
        self._processes = processes
        self.owners: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None

    def note(self) -> None:
        ports = _socket_ports()
        for index, process in enumerate(self._processes):
            if process.alive:
                for port in _ports_of(process.pid, ports):
                    self.owners[port] = index

    def start(self) -> None:
        async def watch() -> None:
            while True:
                self.note()
                await asyncio.sleep(0.2)

        self._task = asyncio.create_task(watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def sender(self, sent: Sent) -> int | None:
        """The index of the process that sent `sent`, when known."""
        return self.owners.get(sent.port)


async def lock_holder_port(url: str) -> int | None:
    """The client port of the PostgreSQL connection holding the Telegram sender's
    advisory lock, or None when nobody holds it."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            port = await connection.scalar(
                text(
                    "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0"
                    " AND l.objid = :key AND l.database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ),
                {"key": TELEGRAM_LOCK_KEY},
            )
            return int(port) if port is not None else None
    finally:
        await engine.dispose()


async def leader(url: str, processes: Sequence[ServiceProcess]) -> ServiceProcess | None:
    """Which of `processes` holds the Telegram sender's lock now."""
    port = await lock_holder_port(url)
    if port is None:
        return None
    ports = _socket_ports()
    return next((p for p in processes if port in _ports_of(p.pid, ports)), None)


async def wait_for_leader(
    url: str,
    processes: Sequence[ServiceProcess],
    timeout: float = 30.0,  # noqa: ASYNC109
) -> ServiceProcess:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await leader(url, processes)
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("no process took the outbox lock")


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"
