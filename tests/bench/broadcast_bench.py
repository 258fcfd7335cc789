"""Announcements at Telegram's limit: throughput, villagers' answers meanwhile, memory,
writing deliveries, a crash mid-announcement, and two processes on PostgreSQL.

In one run, against the fake Bot API enforcing Telegram's limits (30 messages in any
sliding second overall, about one a second per chat):

1. the real service (``ChungSuc``, SQLite) sends one announcement to N Telegram subscribers
   in Quảng Trị (default 10,000), 2% of whom blocked the bot; the fake runs in a process
   of its own. Messages per second from the first copy to the last, 429s, copies per chat,
   blocked people marked in the database, the duration and the summary the officer got;
2. meanwhile 20 villagers each ask a knowledge-base question every ~2 s: their
   question-to-answer latency;
3. memory: the service's peak resident memory while expanding and sending an announcement
   to 1,000 and to 100,000 subscribers, each in a fresh process, the Telegram transport
   replaced by one that answers at once (the expansion, claim and record paths are the
   real ones; the platform's pace is not);
4. writing 100,000 deliveries: the broadcast worker adding 100,000 recipients a page at a
   time, on SQLite and (with ``--postgres``) on PostgreSQL;
5. a crash: ``python -m bot run`` as an OS process on SQLite, an announcement to 2,000
   queued with ``python -m bot broadcast``, the service killed with SIGKILL half-way and
   started again: everyone served, duplicates (bound: the outbox's claim batch, 30);
6. with ``--postgres``: two ``python -m bot run`` processes on one database and one fake:
   an announcement to 2,000 (one copy each, no 429), then another during which the
   process holding the outbox lock is killed with SIGKILL: the other takes over.

Run from the repository root (not part of the test suite)::

    PYTHONPATH=. .venv/bin/python -m tests.bench.broadcast_bench [--subscribers 10000] \\
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

``--postgres`` empties that database's public schema and migrates it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import re
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.broadcasts import BroadcastWorker
from bot.config import load_settings
from bot.memory import settle_after_start
from bot.outbox import BATCH
from bot.quiet import QuietHours
from content.i18n import Catalogs
from handlers.types import Reply
from storage.broadcasts import PAGE, create_broadcast
from storage.db import create_engine, create_sessions
from storage.deliveries import SENT, SendOutcome
from storage.migrate import upgrade
from storage.models import Broadcast, Contact, Delivery, utcnow
from tests.bench.broadcast_load import (
    FIRST_SUBSCRIBER,
    FIRST_VILLAGER,
    OFFICER,
    PROVINCE,
    FakeFigures,
    LoopLag,
    Plan,
    PortOwners,
    RecordingFake,
    ServiceProcess,
    broadcast_outcome,
    every_nth,
    leader,
    limited_fake,
    max_in_any_second,
    officer_id,
    peak_rss_mb,
    queue_announcement,
    reset_postgres,
    run_fake,
    seed_subscribers,
    service_env,
    subscriber_ids,
    wait_for_leader,
)
from tests.bench.kb_bench import load_cases
from tests.fakes.telegram_api import DEFAULT_TOKEN

ANNOUNCEMENT = (
    "UBND xã Cửa Tùng thông báo: Ngày hội Đại đoàn kết toàn dân tộc năm 2026 tổ chức lúc "
    "7h30 ngày 15/11 tại nhà văn hóa thôn. Kính mời bà con đến dự."
)
BLOCKED_SHARE = 0.02


def _quiet_now() -> bool:
    """Quiet hours (21:00–6:30 in Vietnam) hold bulk back: the benchmark then marks its
    announcements urgent so that it measures sending, not waiting for the morning."""
    return QuietHours().is_quiet(utcnow())


def _quantiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    if len(values) < 2:
        return (float("nan"),) * 3
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _rate(times: Sequence[float]) -> float:
    """Events per second from the first to the last of `times`."""
    if len(times) < 2:
        return float("nan")
    return (len(times) - 1) / (max(times) - min(times))


def _between(times: Sequence[float], start: float, end: float) -> list[float]:
    return [t for t in times if start <= t <= end]


def _gaps(times: Sequence[float], rate: float) -> tuple[float, int, float, float] | None:
    """How evenly sends went out: the median interval, the pauses longer than 1.5 times
    the pace (how many, their mean length) and the share of the time they took beyond it."""
    ordered = sorted(times)
    if len(ordered) < 3:
        return None
    intervals = [b - a for a, b in itertools.pairwise(ordered)]
    pace = 1 / rate
    long = [i for i in intervals if i > 1.5 * pace]
    lost = sum(i - pace for i in long) / (ordered[-1] - ordered[0])
    return statistics.median(intervals), len(long), statistics.fmean(long or [0.0]), lost


def _refusal_lines(
    f: FakeFigures, service_stalls: list[tuple[float, float]], first: float, villagers: set[int]
) -> list[str]:
    """Each 429: when, to whom, how many sends the fake had taken in the second before,
    and the longest stall of either process's event loop in that second."""
    lines = []
    for at, chat, status in f.refused:
        if status != 429:
            continue
        who = "a villager" if chat in villagers else "the officer" if chat == OFFICER else "bulk"
        taken = [t for t in f.all_times if at - 1.0 < t <= at]
        before = len(taken)
        span = (at - min(taken)) * 1000 if taken else float("nan")
        # Paced at 28/s, 30 sends span about 1,036 ms; here they reached the fake in `span`.
        # A stall that began up to 1.5 s before still bunches what follows it.
        fake_stall = max((d for t, d in f.stalls if at - 1.5 < t <= at), default=0.0)
        bot_stall = max((d for t, d in service_stalls if at - 1.5 < t <= at), default=0.0)
        lines.append(
            f"   a 429 at {at - first:.1f}s (to {who}): {before} sends taken in the second "
            f"before it, the first of them {span:.0f} ms before; longest loop stall in the "
            f"1.5 s before: service {bot_stall * 1000:.0f} ms, fake {fake_stall * 1000:.0f} ms"
        )
    stalls = sorted(d for _, d in service_stalls)
    if stalls:
        lines.append(
            f"   service event loop: {len(stalls)} stalls over 20 ms, longest "
            f"{stalls[-1] * 1000:.0f} ms; fake: {len(f.stalls)}, longest "
            f"{max((d for _, d in f.stalls), default=0) * 1000:.0f} ms"
        )
    return lines


# ------------------------------------------------------------ 1 and 2: the announcement


async def _announce_side(conn: Connection, args: argparse.Namespace) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    base_url, base_file_url = await loop.run_in_executor(None, conn.recv)
    with tempfile.TemporaryDirectory(prefix="chungsuc-broadcast-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'chungsuc.db'}"
        await upgrade(url)
        ids = subscriber_ids(args.subscribers)
        await seed_subscribers(url, ids, utcnow(), officer=True)
        settings = load_settings(
            database_url=url,
            web_port=0,
            telegram_token=DEFAULT_TOKEN,
            telegram_base_url=base_url,
            telegram_base_file_url=base_file_url,
            telegram_send_rate=args.send_rate,
            media_dir=Path(folder) / "media",
        )
        app = ChungSuc(settings)
        await app.start(migrate=False)
        settle_after_start()
        officer = await officer_id(url)
        now = utcnow()
        async with app.sessions.begin() as session:
            broadcast = await create_broadcast(
                session,
                created_by="telegram:officer",
                created_by_contact_id=officer,
                province=PROVINCE,
                audience=[f"province:{PROVINCE}"],
                text=ANNOUNCEMENT,
                scheduled_at=now,
                now=now,
                urgent=_quiet_now(),
            )
        lag = LoopLag()
        lag.start()
        cpu = time.process_time()
        conn.send("go")
        figures: FakeFigures = await loop.run_in_executor(None, conn.recv)
        cpu_seconds = time.process_time() - cpu
        await lag.stop()
        rss = peak_rss_mb()
        await app.stop()
        conn.send("stopped")
        outcome = await broadcast_outcome(url, broadcast.id)
        blocked = every_nth(ids, BLOCKED_SHARE)
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                marked = await connection.scalar(
                    select(func.count())
                    .select_from(Contact)
                    .where(
                        Contact.external_id.in_([str(b) for b in blocked]),
                        Contact.blocked.is_(True),
                        Contact.subscribed.is_(False),
                    )
                )
        finally:
            await engine.dispose()
    return {
        "figures": figures,
        "outcome": outcome,
        "marked": int(marked or 0),
        "cpu_seconds": cpu_seconds,
        "rss": rss,
        "urgent": broadcast.urgent,
        "stalls": lag.stalls,
    }


def announce(args: argparse.Namespace) -> bool:
    """Parts 1 and 2; True when every target is met."""
    ids = subscriber_ids(args.subscribers)
    blocked = every_nth(ids, BLOCKED_SHARE)
    province_questions = [c.q for c in load_cases() if c.expect and c.province == PROVINCE]
    plan = Plan(
        subscribers=ids,
        blocked=blocked,
        villagers=[FIRST_VILLAGER + i for i in range(args.villagers)],
        questions=province_questions,
        announcement=ANNOUNCEMENT,
        villager_seconds=args.villager_seconds,
        ask_every=2.0,
        timeout=args.subscribers / 20 + 120,
    )
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    child = context.Process(target=run_fake, args=(child_end, plan), daemon=True)
    child.start()
    child_end.close()
    try:
        result = asyncio.run(_announce_side(parent_end, args))
    finally:
        parent_end.close()
        child.join(timeout=15)
        if child.is_alive():
            child.terminate()
            child.join()

    f: FakeFigures = result["figures"]
    outcome = result["outcome"]
    reachable = [i for i in ids if i not in set(blocked)]
    once = sum(1 for i in reachable if f.copies.get(i) == 1)
    missing = sum(1 for i in reachable if not f.copies.get(i))
    extra = sum(max(0, f.copies.get(i, 0) - 1) for i in ids)
    to_blocked = sum(f.copies.get(i, 0) for i in blocked)
    first, last = min(f.copy_times), max(f.copy_times)
    all_rate = _rate(_between(f.all_times, first, last))
    copy_rate = _rate(f.copy_times)
    attempt_rate = _rate(_between(f.attempt_times, first, last))
    alone = _between(f.copy_times, f.villagers_until, last)
    with_villagers = _between(f.copy_times, first, f.villagers_until)
    too_many = f.refusals.get(429, 0)
    gaps = _gaps(_between(f.attempt_times, f.villagers_until, last), args.send_rate)
    p50, p95, p99 = _quantiles(f.latencies)
    summary = [t for at, t in f.officer_texts if "đã gửi xong" in t]
    progress = [t for at, t in f.officer_texts if "đã gửi xong" not in t]
    summary_at = next((at for at, t in f.officer_texts if "đã gửi xong" in t), float("nan"))

    urgent = ", urgent (quiet hours now)" if result["urgent"] else ""
    print(
        f"\n1. Announcement to {len(ids):,} Telegram subscribers ({len(blocked)} blocked the "
        f"bot), TELEGRAM_SEND_RATE={args.send_rate:g}, SQLite, fake in its own process "
        f"(30/s in any sliding second, 1/s per chat){urgent}"
    )
    print(
        f"   every message the bot sent, first to last copy: {all_rate:.2f}/s "
        f"(target >= 27: {_verdict(all_rate >= 27)}; stretch 29: {_verdict(all_rate >= 29)}); "
        f"sends tried incl. the 403s: {attempt_rate:.2f}/s; most in any one second: "
        f"{max_in_any_second(f.all_times)}"
    )
    print(
        f"   announcement copies: {copy_rate:.2f}/s over the whole announcement; "
        f"{_rate(with_villagers):.2f}/s while the villagers asked ({len(with_villagers)} copies), "
        f"{_rate(alone):.2f}/s after ({len(alone)} copies)"
    )
    if gaps:
        print(
            f"   after the villagers: sends spaced {gaps[0] * 1000:.1f} ms apart (median; the "
            f"pace is {1000 / args.send_rate:.1f} ms); {gaps[1]} longer pauses (over 1.5 times "
            f"the pace), {gaps[2] * 1000:.0f} ms each on average, {gaps[3]:.1%} of the time"
        )
    print(
        f"   429 Too Many Requests: {too_many} (target 0: {_verdict(too_many == 0)}); "
        f"403 blocked: {f.refusals.get(403, 0)}; other refusals: "
        f"{ {k: v for k, v in f.refusals.items() if k not in (403, 429)} or 'none' }"
    )
    print(
        f"   copies: {once:,} of {len(reachable):,} reachable got exactly one, {missing} none, "
        f"{extra} extra copies, {to_blocked} to blocked chats "
        f"({_verdict(once == len(reachable) and extra == 0)}); blocked marked blocked and "
        f"unsubscribed in the database: {result['marked']} of {len(blocked)} "
        f"({_verdict(result['marked'] == len(blocked))})"
    )
    print(
        f"   database: broadcast {outcome.status}, total {outcome.total:,}, deliveries "
        f"{outcome.deliveries}"
    )
    print(
        f"   duration: queued to first copy {first - f.go:.1f}s, first to last copy "
        f"{last - first:.1f}s, queued to summary {summary_at - f.go:.1f}s; "
        f"finished in time: {f.finished}"
    )
    print(
        f"   service process: {result['cpu_seconds'] / (last - f.go) * 100:.0f}% of one core, "
        f"peak RSS {result['rss']:.0f} MB"
    )
    for line in _refusal_lines(f, result["stalls"], first, set(plan.villagers)):
        print(line)
    print(f"   progress messages to the officer: {len(progress)}; summary:")
    for line in (summary[-1] if summary else "(none)").splitlines():
        print(f"      {line}")
    print(
        f"\n2. {args.villagers} villagers asking every ~2 s for the first "
        f"{f.villagers_until - first:.0f}s of it: {len(f.latencies)} answers, "
        f"{f.unanswered} unanswered; p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, "
        f"max {max(f.latencies, default=0) * 1000:.0f} ms (target p95 <= 1000 ms: "
        f"{_verdict(p95 <= 1000)})"
    )
    return bool(
        all_rate >= 27
        and too_many == 0
        and once == len(reachable)
        and extra == 0
        and result["marked"] == len(blocked)
        and p95 <= 1000
        and f.unanswered == 0
    )


# ------------------------------------------------------------------------- 3: memory


class InstantTransport:
    """Telegram replaced by a transport that answers at once and notes who got what."""

    def __init__(self, n: int) -> None:
        self.received = bytearray(n)

    async def send_delivery(
        self, external_id: str, replies: Sequence[Reply], lane: int
    ) -> SendOutcome:
        await asyncio.sleep(0)
        index = int(external_id) - FIRST_SUBSCRIBER
        self.received[index] = min(255, self.received[index] + 1)
        return SendOutcome(SENT, message_id="1")


def _status_rss() -> tuple[float, float]:
    """(current, peak) resident memory of this process from /proc, in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def memory_child(conn: Connection, url: str, n: int, media: str, trace: bool) -> None:
    conn.send(asyncio.run(_memory(url, n, media, trace)))


async def _memory(url: str, n: int, media: str, trace: bool) -> dict[str, Any]:
    settings = load_settings(database_url=url, web_port=0, media_dir=Path(media))
    app = ChungSuc(settings)
    transport = InstantTransport(n)
    app.outbox.register("telegram", transport)
    await app.start(migrate=False)
    settle_after_start()
    before, _ = _status_rss()
    # Peak memory counted from here (Linux: 5 resets VmHWM to the current RSS).
    with open("/proc/self/clear_refs", "w") as refs:  # noqa: ASYNC230 - a procfs write
        refs.write("5")
    if trace:
        tracemalloc.start()
    started = time.monotonic()
    now = utcnow()
    async with app.sessions.begin() as session:
        broadcast = await create_broadcast(
            session,
            created_by="cli:admin",
            created_by_contact_id=None,
            province=PROVINCE,
            audience=[f"province:{PROVINCE}"],
            text=ANNOUNCEMENT,
            scheduled_at=now,
            now=now,
            urgent=True,
        )
    while True:
        await asyncio.sleep(0.2)
        async with app.sessions() as session:
            status = await session.scalar(
                select(Broadcast.status).where(Broadcast.id == broadcast.id)
            )
        if status == "done":
            break
    seconds = time.monotonic() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    if trace:
        tracemalloc.stop()
    _, peak = _status_rss()
    await app.stop()
    return {
        "n": n,
        "before": before,
        "peak": peak,
        "traced": traced,
        "seconds": seconds,
        "once": sum(1 for c in transport.received if c == 1),
    }


def memory(ns: Sequence[int], trace: bool) -> bool:
    """Part 3."""
    results = []
    for n in ns:
        with tempfile.TemporaryDirectory(prefix="chungsuc-memory-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'chungsuc.db'}"

            async def prepare(url: str = url, n: int = n) -> None:
                await upgrade(url)
                await seed_subscribers(url, subscriber_ids(n), utcnow())

            asyncio.run(prepare())
            context = multiprocessing.get_context("spawn")
            parent_end, child_end = context.Pipe()
            args = (child_end, url, n, str(Path(folder) / "media"), trace)
            child = context.Process(target=memory_child, args=args, daemon=True)
            child.start()
            child_end.close()
            try:
                results.append(parent_end.recv())
            finally:
                child.join(timeout=30)
    print(
        "\n3. Memory: the service in a fresh process per size (SQLite), expanding and sending "
        "one announcement through the real broadcast worker and outbox (claim 30, record), "
        "Telegram replaced by a transport that answers at once; peak = VmHWM reset just "
        "before the announcement is queued" + ("; tracemalloc on (slower)" if trace else "")
    )
    for r in results:
        traced = f", tracemalloc peak {r['traced']:.1f} MB" if trace else ""
        print(
            f"   {r['n']:>7,} recipients: RSS before {r['before']:.0f} MB, peak {r['peak']:.0f} MB "
            f"(+{r['peak'] - r['before']:.1f}){traced}; done in {r['seconds']:.1f}s "
            f"({r['n'] / r['seconds']:.0f} deliveries/s), {r['once']:,} exactly once"
        )
    small, large = results[0], results[-1]
    growth = large["peak"] - small["peak"]
    print(
        f"   {large['n']:,} vs {small['n']:,}: peak {growth:+.1f} MB "
        f"(target within 50 MB: {_verdict(growth <= 50)})"
    )
    return growth <= 50 and all(r["once"] == r["n"] for r in results)


# ------------------------------------------------------------- 4: writing deliveries


async def _write(url: str, n: int) -> tuple[float, int, int]:
    await seed_subscribers(url, subscriber_ids(n), utcnow())
    engine = create_engine(url)
    sessions = create_sessions(engine)
    try:
        worker = BroadcastWorker(sessions, lambda: None, Catalogs(), utcnow, QuietHours())
        now = utcnow()
        async with sessions.begin() as session:
            broadcast = await create_broadcast(
                session,
                created_by="cli:admin",
                created_by_contact_id=None,
                province=PROVINCE,
                audience=[f"province:{PROVINCE}"],
                text=ANNOUNCEMENT,
                scheduled_at=now,
                now=now,
            )
        started = time.perf_counter()
        # One pass of the worker: every page added in its own transaction
        # (storage.broadcasts.expand_page), then one look at the counts.
        await worker.tick()
        seconds = time.perf_counter() - started
        async with sessions() as session:
            written = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.broadcast_id == broadcast.id)
            )
            total = await session.scalar(
                select(Broadcast.total).where(Broadcast.id == broadcast.id)
            )
        return seconds, int(written or 0), int(total or 0)
    finally:
        await engine.dispose()


def write_deliveries(n: int, postgres: str | None) -> bool:
    """Part 4."""
    print(
        f"\n4. Writing {n:,} deliveries (BroadcastWorker.tick: expand_page, INSERT ... SELECT "
        f"in pages of {PAGE:,})"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="chungsuc-write-") as folder:
        targets = [("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'chungsuc.db'}")]
        if postgres:
            targets.append(("PostgreSQL", postgres))
        for name, url in targets:

            async def run(url: str = url, postgres_target: bool = name == "PostgreSQL") -> Any:
                if postgres_target:
                    await reset_postgres(url)
                await upgrade(url)
                return await _write(url, n)

            seconds, written, total = asyncio.run(run())
            good = seconds <= 5 and written == n and total == n
            ok = ok and good
            print(
                f"   {name}: {seconds:.2f}s ({n / seconds:,.0f} rows/s), {written:,} rows "
                f"written, total {total:,} (target <= 5 s: {_verdict(seconds <= 5)})"
            )
    if not postgres:
        print("   PostgreSQL: not run (give --postgres URL)")
    return ok


# ------------------------------------------------------------------------- 5: a crash


async def _wait(
    condition: Callable[[], Any],
    timeout: float,  # noqa: ASYNC109
    what: str,
) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def _queued_id(output: str) -> int:
    found = re.search(r"Queued as broadcast (\d+)", output)
    assert found, output
    return int(found.group(1))


def _put_back(log: str) -> int:
    return sum(int(n) for n in re.findall(r"(\d+) claimed deliveries put back", log))


@dataclass
class Crash:
    """One announcement with a process killed half-way."""

    sent_before_kill: int
    sent_after_kill_before_restart: int
    takeover_seconds: float
    copies: dict[int, int]
    put_back: int
    refusals: dict[int, int]
    max_per_second: int
    outcome_total: int
    outcome_status: str


async def _done(url: str, broadcast_id: int) -> bool:
    outcome = await broadcast_outcome(url, broadcast_id)
    return outcome.status == "done"


async def _crash_sqlite(n: int, send_rate: float) -> Crash:
    fake = limited_fake()
    await fake.start()
    ids = subscriber_ids(n)
    for user_id in ids:
        fake.add_user(user_id)
    try:
        with tempfile.TemporaryDirectory(prefix="chungsuc-crash-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'chungsuc.db'}"
            await upgrade(url)
            await seed_subscribers(url, ids, utcnow())
            env = service_env(url, fake, Path(folder), send_rate)
            out = await asyncio.to_thread(
                queue_announcement, env, ANNOUNCEMENT, urgent=_quiet_now()
            )
            broadcast_id = _queued_id(out)
            first = ServiceProcess(env, Path(folder) / "first.log")
            first.start()
            await first.running()
            await _wait(_count_at_least(fake, ANNOUNCEMENT, n // 2), n / 10 + 30, "half the copies")
            first.kill()
            killed_at = time.monotonic()
            sent_before = len(fake.times_of(ANNOUNCEMENT))
            # Nothing runs for a second: what reaches the fake now was on the wire.
            await asyncio.sleep(1.0)
            sent_between = len(fake.times_of(ANNOUNCEMENT)) - sent_before
            second = ServiceProcess(env, Path(folder) / "second.log")
            restarted_at = time.monotonic()
            second.start()
            await second.running()
            await _wait(lambda: _done(url, broadcast_id), n / 10 + 60, "the broadcast to finish")
            await asyncio.sleep(1.0)
            await second.stop()
            after = [t for t in fake.times_of(ANNOUNCEMENT) if t > restarted_at]
            outcome = await broadcast_outcome(url, broadcast_id)
            return Crash(
                sent_before,
                sent_between,
                min(after) - killed_at if after else float("nan"),
                dict(fake.copies(ANNOUNCEMENT, ids)),
                _put_back(second.output()),
                dict(fake.refusals),
                max_in_any_second([s.at for s in fake.log]),
                outcome.total,
                outcome.status,
            )
    finally:
        await fake.stop()


def _count_at_least(fake: RecordingFake, text: str, n: int) -> Callable[[], Any]:
    async def check() -> bool:
        return sum(1 for s in fake.log if s.text == text) >= n

    return check


def _crash_lines(label: str, crash: Crash, n: int) -> bool:
    copies = crash.copies
    missing = sum(1 for c in copies.values() if c == 0)
    dupes = sum(c - 1 for c in copies.values() if c > 1)
    too_many = crash.refusals.get(429, 0)
    print(
        f"   {label}: {crash.sent_before_kill:,} copies out when killed, "
        f"{crash.sent_after_kill_before_restart} more reached the fake from the dead process "
        f"(already on the wire); the next sender's first copy {crash.takeover_seconds:.1f}s "
        f"after the kill; {crash.put_back} claimed deliveries "
        f"put back by the next sender"
    )
    print(
        f"   everyone served: {n - missing:,} of {n:,} ({_verdict(missing == 0)}); duplicates: "
        f"{dupes} (bound {BATCH}: {_verdict(dupes <= BATCH)}); 429s: {too_many}; most in any "
        f"second: {crash.max_per_second}; broadcast {crash.outcome_status}, total "
        f"{crash.outcome_total:,}"
    )
    return missing == 0 and dupes <= BATCH and too_many == 0


def crash(n: int, send_rate: float) -> bool:
    """Part 5."""
    print(
        f"\n5. kill -9 mid-announcement: python -m bot run on SQLite, {n:,} subscribers, "
        f"TELEGRAM_SEND_RATE={send_rate:g}, the fake (sliding 30/s) in the benchmark's process; "
        f"restarted 1 s after the kill"
    )
    return _crash_lines("SQLite", asyncio.run(_crash_sqlite(n, send_rate)), n)


# ---------------------------------------------------------- 6: two processes on PostgreSQL


async def _two_processes(url: str, n: int, send_rate: float) -> tuple[Crash, dict[str, Any]]:
    fake = limited_fake()
    await fake.start()
    ids = subscriber_ids(n)
    for user_id in ids:
        fake.add_user(user_id)
    try:
        with tempfile.TemporaryDirectory(prefix="chungsuc-two-") as folder:
            await reset_postgres(url)
            await upgrade(url)
            await seed_subscribers(url, ids, utcnow())
            env = service_env(url, fake, Path(folder), send_rate)
            a = ServiceProcess(env, Path(folder) / "a.log")
            b = ServiceProcess(env, Path(folder) / "b.log")
            both = [a, b]
            a.start()
            b.start()
            await a.running()
            await b.running()
            owners = PortOwners(both)
            owners.start()
            first_leader = await wait_for_leader(url, both)
            urgent = _quiet_now()

            # One announcement, both processes up.
            one = f"{ANNOUNCEMENT} (1)"
            out = await asyncio.to_thread(queue_announcement, env, one, urgent=urgent)
            one_id = _queued_id(out)
            started = time.monotonic()
            await _wait(lambda: _done(url, one_id), n / 10 + 60, "the first broadcast")
            one_seconds = time.monotonic() - started
            one_copies = fake.copies(one, ids)
            one_times = fake.times_of(one)
            one_senders = _senders(fake, one, owners)
            one_refusals = dict(fake.refusals)
            one_outcome = await broadcast_outcome(url, one_id)

            # Another, and the leader killed half-way.
            two = f"{ANNOUNCEMENT} (2)"
            out = await asyncio.to_thread(queue_announcement, env, two, urgent=urgent)
            two_id = _queued_id(out)
            await _wait(_count_at_least(fake, two, n // 2), n / 10 + 30, "half the copies")
            lead = await leader(url, both)
            assert lead is not None, "nobody holds the outbox lock mid-announcement"
            owners.note()
            lead.kill()
            killed_at = time.monotonic()
            sent_before = len(fake.times_of(two))
            other = b if lead is a else a
            dead, alive = both.index(lead), both.index(other)
            new_leader = await wait_for_leader(url, [other])
            lock_seconds = time.monotonic() - killed_at
            await _wait(lambda: _done(url, two_id), n / 10 + 60, "the second broadcast")
            await asyncio.sleep(1.0)
            await other.stop()
            await owners.stop()
            later = [m for m in fake.log if m.text == two and m.at > killed_at]
            on_the_wire = sum(1 for m in later if owners.sender(m) == dead)
            after = [m.at for m in later if owners.sender(m) == alive]
            outcome = await broadcast_outcome(url, two_id)
            conflicts = sum(p.output().count("Telegram poll failed") for p in both)
            crash_figures = Crash(
                sent_before,
                on_the_wire,
                min(after) - killed_at if after else float("nan"),
                dict(fake.copies(two, ids)),
                _put_back(other.output()),
                {k: v - one_refusals.get(k, 0) for k, v in fake.refusals.items()},
                max_in_any_second([s.at for s in fake.log]),
                outcome.total,
                outcome.status,
            )
            first_part = {
                "leader": "a" if first_leader is a else "b",
                "killed": "a" if lead is a else "b",
                "took_over": "a" if new_leader is a else "b",
                "lock_seconds": lock_seconds,
                "copies": dict(one_copies),
                "senders": one_senders,
                "senders_two": _senders(fake, two, owners),
                "seconds": one_seconds,
                "rate": _rate(one_times),
                "refusals": one_refusals,
                "total": one_outcome.total,
                "status": one_outcome.status,
                "conflicts": conflicts,
            }
            return crash_figures, first_part
    finally:
        await fake.stop()


def _senders(fake: RecordingFake, text: str, owners: PortOwners) -> dict[str, int]:
    """How many copies of `text` each process sent ("?" where the port is not known)."""
    counts: Counter[str] = Counter()
    for message in fake.log:
        if message.text == text:
            index = owners.sender(message)
            counts["?" if index is None else "ab"[index]] += 1
    return dict(sorted(counts.items()))


def two_processes(url: str, n: int, send_rate: float) -> bool:
    """Part 6."""
    print(
        f"\n6. Two python -m bot run processes on PostgreSQL ({url}), one fake (sliding "
        f"30/s), {n:,} subscribers, TELEGRAM_SEND_RATE={send_rate:g}"
    )
    crash_figures, first = asyncio.run(_two_processes(url, n, send_rate))
    copies = first["copies"]
    once = sum(1 for c in copies.values() if c == 1)
    too_many = first["refusals"].get(429, 0)
    print(
        f"   both up: process {first['leader']} holds the outbox lock; {once:,} of {n:,} got "
        f"exactly one copy ({_verdict(once == n)}), 429s: {too_many} "
        f"({_verdict(too_many == 0)}); {first['rate']:.2f} copies/s, {first['seconds']:.0f}s "
        f"queued to done; broadcast {first['status']}, total {first['total']:,}; copies sent "
        f"by process: {first['senders']}"
    )
    print(
        f"   leader {first['killed']} killed with SIGKILL half-way through a second "
        f"announcement: process {first['took_over']} held the lock "
        f"{first['lock_seconds']:.1f}s later (checked every 0.1 s); copies sent by process: "
        f"{first['senders_two']}"
    )
    ok = _crash_lines("PostgreSQL", crash_figures, n)
    print(
        f"   getUpdates conflicts logged by the two pollers (409, expected with two "
        f"long-polling processes): {first['conflicts']}"
    )
    return ok and once == n and too_many == 0


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000, help="part 1")
    parser.add_argument("--villagers", type=int, default=20, help="part 2")
    parser.add_argument(
        "--villager-seconds",
        type=float,
        default=120.0,
        help="how long the villagers ask, from the first copy (the rest is bulk alone)",
    )
    parser.add_argument("--send-rate", type=float, default=28.0, help="TELEGRAM_SEND_RATE")
    parser.add_argument("--memory", type=int, nargs=2, default=[1_000, 100_000], metavar="N")
    parser.add_argument("--tracemalloc", action="store_true", help="part 3 with tracemalloc")
    parser.add_argument("--write", type=int, default=100_000, help="part 4")
    parser.add_argument("--crash", type=int, default=2_000, help="parts 5 and 6")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="parts 4 and 6 on this PostgreSQL database (its public schema is emptied), "
        "e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--parts", default="123456", help="which parts to run (2 runs with 1), e.g. 45"
    )
    args = parser.parse_args()
    started = time.monotonic()
    results: dict[str, bool] = {}
    if "1" in args.parts or "2" in args.parts:
        results["1-2"] = announce(args)
    if "3" in args.parts:
        results["3"] = memory(args.memory, args.tracemalloc)
    if "4" in args.parts:
        results["4"] = write_deliveries(args.write, args.postgres)
    if "5" in args.parts:
        results["5"] = crash(args.crash, args.send_rate)
    if "6" in args.parts:
        if args.postgres:
            results["6"] = two_processes(args.postgres, args.crash, args.send_rate)
        else:
            print("\n6. Two processes on PostgreSQL: not run (give --postgres URL)")
    verdicts = ", ".join(f"{part}: {_verdict(ok)}" for part, ok in results.items())
    print(f"\ntargets {verdicts}; total {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
