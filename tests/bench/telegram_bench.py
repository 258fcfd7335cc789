"""Updates per second and update-to-reply latency on Telegram: a stock PTB echo bot against
the whole Chung Sức service, both polling the fake Bot API.

In one run, each scenario against a fresh fake Bot API (rate limiting off) in a child process,
with the bot in this process so that neither side's CPU is shared with the other's event loop:

(a) stock PTB echo bot with default settings (``HTTPXRequest``, updates handled one at a time);
    200 simulated users in a closed loop: send a question, wait for the reply, send the next;
(b) the real service (``ChungSuc``: engine, knowledge base, interactions stored in a fresh
    SQLite file), settled after start as ``chungsuc run`` does, under the same load;
(c) the real service with updates injected at a fixed rate (100/s from the 200 users, open
    loop: regardless of replies);
(f) with ``--scenario form`` instead: form steps at 100/s with 5,000 nomination drafts open
    (``tests/bench/form_load.py``).

The fake and the users live in ``tests/bench/telegram_load.py``. The users ask the in-scope
questions of ``tests/data/kb_questions.yaml`` for the default province. Latency runs from the
fake queuing an update to the fake receiving the bot's
sendMessage for that chat; rates count replies received in the measured window. The service
runs with its own send limit (``TELEGRAM_SEND_RATE``, 25/s by default) lifted, as the fake's
flood limits are; ``--send-rate 25`` measures it as deployed. Run from the repository root (not
part of the test suite)::

    PYTHONPATH=. .venv/bin/python -m tests.bench.telegram_bench [--seconds 20] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from telegram.ext import ApplicationBuilder, MessageHandler, filters

from bot.app import ChungSuc
from bot.config import load_settings
from bot.memory import settle_after_start
from handlers.flood import FloodGate
from storage.db import create_engine
from storage.models import Interaction, OutgoingReply
from tests.bench import form_load
from tests.bench.form_load import FormDrafts, count_drafts
from tests.bench.kb_bench import load_cases
from tests.bench.telegram_load import DRAIN_TIMEOUT, Load, run_fake
from tests.bench.telegram_transport_bench import _count_error, _echo
from tests.fakes.telegram_api import DEFAULT_TOKEN

# The service's own send limit (TELEGRAM_SEND_RATE) models Telegram's flood limits, which the
# fake has switched off; left at its default of 25/s it would cap every figure at 25 replies/s.
UNLIMITED_SEND_RATE = 1_000_000.0


# ------------------------------------------------------------------------------ bot side


class _ErrorCount(logging.Handler):
    """Counts the warnings and errors the bot logs, by message (and exception, if any)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            # SQLAlchemy wraps the driver's error in a long explanation; the driver's own
            # message ("database is locked") is the part that says what happened.
            cause = getattr(error, "orig", None) or error
            text += f" ({type(cause).__name__}: {cause})"
        self.counts[" ".join(text.split())[:200]] += 1


async def _follow(conn: Connection) -> tuple[dict[str, Any], float]:
    """Let the users in, then wait for their figures; returns them and this process's CPU
    share (of one core) over the measured window."""
    loop = asyncio.get_running_loop()
    conn.send("go")
    await loop.run_in_executor(None, conn.recv)
    cpu_started, wall_started = time.process_time(), time.monotonic()
    await loop.run_in_executor(None, conn.recv)
    cpu_share = (time.process_time() - cpu_started) / (time.monotonic() - wall_started)
    figures: dict[str, Any] = await loop.run_in_executor(None, conn.recv)
    return figures, cpu_share


async def _stopped(conn: Connection) -> int:
    """Tell the fake the bot has stopped; returns how many messages the bot sent in all."""
    conn.send("stopped")
    total: int = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    return total


async def run_echo(conn: Connection) -> dict[str, Any]:
    """Scenario (a): PTB's own defaults, as a newcomer's first bot would have them."""
    loop = asyncio.get_running_loop()
    base_url, base_file_url = await loop.run_in_executor(None, conn.recv)
    app = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    app.add_error_handler(_count_error)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling()
        try:
            figures, cpu_share = await _follow(conn)
        finally:
            await app.updater.stop()
            await app.stop()
    figures["messages_total"] = await _stopped(conn)
    figures["bot_cpu"] = cpu_share
    failed = app.bot_data.get("errors", 0)
    figures["errors"] = {"update handler raised": failed} if failed else {}
    return figures


async def run_service(
    conn: Connection,
    send_rate: float,
    postgres_url: str | None = None,
    drafts: FormDrafts | None = None,
) -> dict[str, Any]:
    """Scenarios (b) and (c): the whole service on a fresh SQLite database, or on the
    PostgreSQL at `postgres_url` with its public schema emptied first; with `drafts`, the
    form scenario, whose drafts are opened before the users start."""
    loop = asyncio.get_running_loop()
    base_url, base_file_url = await loop.run_in_executor(None, conn.recv)
    errors = _ErrorCount()
    logging.getLogger().addHandler(errors)
    try:
        with tempfile.TemporaryDirectory(prefix="chungsuc-bench-") as folder:
            database_url = postgres_url or f"sqlite+aiosqlite:///{Path(folder) / 'chungsuc.db'}"
            if postgres_url:
                await _empty_schema(postgres_url)
            settings = load_settings(
                database_url=database_url,
                web_port=0,
                telegram_token=DEFAULT_TOKEN,
                telegram_base_url=base_url,
                telegram_base_file_url=base_file_url,
                telegram_send_rate=send_rate,
                # The fake lifts Telegram's per-chat limit; so does the service.
                telegram_chat_rate=0,
            )
            app = ChungSuc(settings)
            # Each simulated user writes several times a second, which the flood gate
            # would rightly stop in a person: lifted, as the fake lifts its limits.
            app.engine.flood = FloodGate(limit=10**9)
            await app.start()
            # As `chungsuc run` does once started.
            settle_after_start()
            seeded = await drafts.open(app) if drafts is not None else None
            try:
                figures, cpu_share = await _follow(conn)
            finally:
                await app.stop()
            figures["messages_total"] = await _stopped(conn)
            figures["stored"] = await _count_interactions(database_url)
            if seeded is not None:
                figures["drafts_seeded"] = seeded
                figures["drafts_after"] = await count_drafts(database_url)
    finally:
        logging.getLogger().removeHandler(errors)
    figures["bot_cpu"] = cpu_share
    figures["errors"] = dict(errors.counts.most_common())
    return figures


async def _empty_schema(url: str) -> None:
    """Drop everything in the public schema; the service migrates it again at start."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _count_interactions(database_url: str) -> dict[str, int]:
    """Rows in the interaction log by direction, and the replies that carry a knowledge-base
    answer; read after the service has closed."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Interaction.direction, func.count()).group_by(Interaction.direction)
            )
            counts = {str(direction): int(count) for direction, count in rows}
            answered = await connection.scalar(
                select(func.count()).where(
                    Interaction.direction == "out", Interaction.answer_id.is_not(None)
                )
            )
            counts["answered"] = int(answered or 0)
            owed = await connection.scalar(select(func.count()).select_from(OutgoingReply))
            counts["owed"] = int(owed or 0)
            return counts
    finally:
        await engine.dispose()


def scenario(
    load: Load, bot: Callable[[Connection], Coroutine[Any, Any, dict[str, Any]]]
) -> dict[str, Any]:
    """One scenario: a fresh fake process with its users, and the bot in this process."""
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    # daemon: should this process die, the fake goes with it.
    child = context.Process(target=run_fake, args=(child_end, load), daemon=True)
    child.start()
    # Only the child holds its end now, so a child that dies is seen here as EOFError.
    child_end.close()
    try:
        return asyncio.run(bot(parent_end))
    finally:
        # Closing first lets a child still waiting for "stopped" (the bot failed) end at once.
        parent_end.close()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
            child.join()


# -------------------------------------------------------------------------------- report


def _quantiles(latencies: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    if len(latencies) < 2:
        return (float("nan"),) * 3
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


def _row(label: str, figures: dict[str, Any]) -> tuple[float, float]:
    """Print one scenario's line; returns its replies per second and p95 latency."""
    rate = figures["replies"] / figures["elapsed"]
    p50, p95, p99 = _quantiles(figures["latencies"])
    problems = sum(figures["errors"].values()) + len(figures["rejected"]) + figures["lost"]
    print(
        f"{label:<34} {rate:>9.1f} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f} "
        f"{figures['bot_cpu'] * 100:>6.0f}% {figures['fake_cpu'] * 100:>6.0f}% {problems:>6}"
    )
    return rate, p95


def _storage_line(label: str, figures: dict[str, Any]) -> str:
    """Whether every update and every reply is in the interaction log."""
    stored = figures["stored"]
    updates, replies = figures["updates_total"], figures["messages_total"]
    n_in, n_out = stored.get("in", 0), stored.get("out", 0)
    verdict = "all stored" if n_in == updates and n_out == replies else "MISMATCH"
    return (
        f"{label} interactions table: {n_in + n_out} rows ({n_in} in, {n_out} out, "
        f"{stored['answered']} of them knowledge-base answers) for {updates} updates sent "
        f"and {replies} replies received: {verdict}; replies still owed: {stored['owed']}"
    )


def _problems(label: str, figures: dict[str, Any]) -> list[str]:
    """What went wrong, most frequent first, a few of each kind."""
    logged = list(figures["errors"].items())[:5]
    lines = [f"{label} bot logged x{n}: {text}" for text, n in logged]
    lines += [f"{label} API refused {text}" for text in figures["rejected"][:5]]
    if figures["lost"]:
        lines.append(f"{label} {figures['lost']} updates unanswered {DRAIN_TIMEOUT:g}s after")
    return lines


def main() -> None:
    """Run the three scenarios and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured, per scenario")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="updates/s offered in (c)")
    parser.add_argument(
        "--send-rate",
        type=float,
        default=UNLIMITED_SEND_RATE,
        help="the service's TELEGRAM_SEND_RATE (its default is 25); unlimited unless given",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run (b) and (c) on this PostgreSQL database (its public schema is emptied), "
        "e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test; SQLite otherwise",
    )
    form_load.add_arguments(parser)
    args = parser.parse_args()
    if args.scenario == "form":
        form_load.run(args, scenario, run_service, _row, _problems)
        return

    province = load_settings().default_province
    questions = [case.q for case in load_cases() if case.expect and case.province == province]
    closed = Load(args.users, questions, args.warmup, args.seconds)
    opened = Load(args.users, questions, args.warmup, args.seconds, rate=args.rate)
    limit = "off" if args.send_rate >= UNLIMITED_SEND_RATE else f"{args.send_rate:g}/s"
    print(
        f"{args.users} users asking {len(questions)} {province} questions; "
        f"{args.seconds:g}s measured after {args.warmup:g}s warm-up per scenario; "
        f"fake rate limits off; service send limit {limit}; "
        f"service database {'PostgreSQL' if args.postgres else 'SQLite'}"
    )

    started = time.monotonic()
    echo = scenario(closed, run_echo)
    service_with = partial(run_service, send_rate=args.send_rate, postgres_url=args.postgres)
    service = scenario(closed, service_with)
    paced = scenario(opened, service_with)

    print(
        f"\n{'scenario':<34} {'updates/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'bot':>7} {'fake':>7} {'errors':>6}"
    )
    echo_rate, _ = _row("(a) stock PTB echo, closed loop", echo)
    service_rate, _ = _row("(b) Chung Sức, closed loop", service)
    paced_rate, paced_p95 = _row(f"(c) Chung Sức, {args.rate:g}/s offered", paced)
    print("(bot, fake: CPU used over the window, as a share of one core)")

    ratio = service_rate / echo_rate if echo_rate else float("nan")
    offered = paced["offered"] / paced["elapsed"]
    print(
        f"\nb/a = {ratio:.2f}x (target >= 3x: {'met' if ratio >= 3 else 'NOT met'}); "
        f"(c) offered {offered:.1f}/s, answered {paced_rate:.1f}/s, "
        f"p95 {paced_p95:.1f} ms (target <= 100 ms: {'met' if paced_p95 <= 100 else 'NOT met'})"
    )
    print(_storage_line("(b)", service))
    print(_storage_line("(c)", paced))
    for line in _problems("(a)", echo) + _problems("(b)", service) + _problems("(c)", paced):
        print(line)
    print(f"total {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
