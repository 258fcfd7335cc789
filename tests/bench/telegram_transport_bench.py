"""Echo round-trips per second of a minimal PTB bot through the fake Bot API, per transport.

Compares PTB's default ``HTTPXRequest`` with ``AiohttpRequest``. Simulated users each send a
text, wait for the bot's echo, and send the next one; a round trip is one text answered. The
fake server and the users run in a child process, so the figures for the bot process (the
side whose transport differs) are not mixed with the fake's own work.

Run from the repository root (not part of the test suite)::

    PYTHONPATH=. python tests/bench/telegram_transport_bench.py --users 200 --seconds 5
"""

import argparse
import asyncio
import multiprocessing
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.channels.telegram_request import AiohttpRequest
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI

TRANSPORTS = ("httpx", "aiohttp")


def run_fake(conn: Connection, users: int, warmup: float, seconds: float) -> None:
    """Child process: serve the fake Bot API and drive the users; send the figures back."""
    asyncio.run(_drive_users(conn, users, warmup, seconds))


async def _drive_users(conn: Connection, users: int, warmup: float, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    async with FakeTelegramAPI(rate_limits=False) as fake:
        conn.send((fake.base_url, fake.base_file_url))
        await loop.run_in_executor(None, conn.recv)  # the bot is polling
        latencies: list[float] = []
        window = {"measuring": False, "running": True}

        async def user(user_id: int) -> None:
            sent = 0
            while window["running"]:
                started = loop.time()
                fake.user_sends_text(user_id, f"ping {sent}", first_name=f"User {user_id}")
                sent += 1
                await fake.wait_for_messages(user_id, sent, timeout=30)
                if window["measuring"]:
                    latencies.append(loop.time() - started)

        tasks = [asyncio.create_task(user(1000 + n)) for n in range(users)]
        await asyncio.sleep(warmup)
        window["measuring"] = True
        started = loop.time()
        await asyncio.sleep(seconds)
        window["measuring"] = False
        elapsed = loop.time() - started
        # Each user finishes its round trip, so no update is left in flight when the bot stops.
        window["running"] = False
        await asyncio.gather(*tasks)
        conn.send({"round_trips": len(latencies), "elapsed": elapsed, "latencies": latencies})
        await loop.run_in_executor(None, conn.recv)  # the bot has stopped; the fake may go


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def _count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data["errors"] = context.bot_data.get("errors", 0) + 1


async def run_bot(
    conn: Connection, transport: str, concurrent_updates: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """Parent process: run the echo bot until the child reports; return the figures."""
    base_url, base_file_url = conn.recv()
    builder = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .concurrent_updates(concurrent_updates)
    )
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    app.add_error_handler(_count_error)
    loop = asyncio.get_running_loop()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        conn.send("go")
        await asyncio.sleep(warmup)
        cpu_started = time.process_time()
        await asyncio.sleep(seconds)
        cpu_seconds = time.process_time() - cpu_started
        figures: dict[str, Any] = await loop.run_in_executor(None, conn.recv)
        await app.updater.stop()
        await app.stop()
    conn.send("stopped")
    figures["bot_cpu_seconds"] = cpu_seconds
    figures["errors"] = app.bot_data.get("errors", 0)
    return figures


def measure(
    transport: str, concurrent_updates: int, users: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """One run: a fresh fake process and a fresh bot."""
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    child = context.Process(target=run_fake, args=(child_end, users, warmup, seconds))
    child.start()
    try:
        return asyncio.run(run_bot(parent_end, transport, concurrent_updates, warmup, seconds))
    finally:
        child.join(timeout=30)


def main() -> None:
    """Measure every transport in sequential and concurrent update processing; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the median is shown")
    args = parser.parse_args()

    print(
        f"{args.users} users, {args.seconds:g}s measured after {args.warmup:g}s warm-up, "
        f"median of {args.repeat} run(s), rate limiting off"
    )
    print(
        f"{'transport':<9} {'updates':<12} {'round trips/s':>13} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'bot CPU µs/rt':>13} {'errors':>6}"
    )
    for concurrent_updates, label in ((1, "sequential"), (256, "concurrent")):
        for transport in TRANSPORTS:
            runs = [
                measure(transport, concurrent_updates, args.users, args.warmup, args.seconds)
                for _ in range(args.repeat)
            ]
            run = sorted(runs, key=lambda r: r["round_trips"] / r["elapsed"])[len(runs) // 2]
            rate = run["round_trips"] / run["elapsed"]
            quantiles = statistics.quantiles(run["latencies"], n=20)
            cpu_per_rt = run["bot_cpu_seconds"] / max(run["round_trips"], 1) * 1e6
            print(
                f"{transport:<9} {label:<12} {rate:>13.0f} {quantiles[9] * 1000:>7.1f} "
                f"{quantiles[18] * 1000:>7.1f} {cpu_per_rt:>13.0f} {run['errors']:>6}"
            )


if __name__ == "__main__":
    main()
