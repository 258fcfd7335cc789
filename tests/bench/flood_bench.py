"""Other people's latency while one person floods the bot, against the real service.

``python -m bot run`` runs in a child process with the web chat on a free port and a fresh
SQLite database. In one run, two scenarios of the same length:

(a) 20 people each ask a question a second over the web chat API, nobody else;
(b) the same 20 people, while one more session sends 3,000 messages as fast as it can
    (``--lanes`` at a time, 64 by default). The web chat lets four at a time into the
    engine, tells the flooder once to slow down and refuses the rest at the door with 429,
    each held until the session may send again (1 to 10 s), which slows the script down:
    what it has not sent when the 20 are done is not sent.

Prints the 20 people's p50 and p95 latency in both, side by side, and (b)'s p95 as a share
of (a)'s (target: within 20 %). Run from the repository root (not part of the test suite)::

    PYTHONPATH=. .venv/bin/python -m tests.bench.flood_bench [--seconds 20] [--flood 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "OCOP là gì",
    "tiêu chí xã nông thôn mới nâng cao",
    "kế hoạch 861 ban hành ngày nào",
    "làm sao để đăng ký nhận thông báo",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_service(folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ZALO_", "WEB_", "DATABASE_", "ADMINS", "MEDIA_"))
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'flood.db'}",
        WEB_PORT=str(port),
        MEDIA_DIR=str(folder / "media"),
        LOG_LEVEL="WARNING",
    )
    log = (folder / "service.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
    )


async def wait_up(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(base + "/healthz") as response:
                    if response.status in (200, 503):
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the service did not start; see service.log")
            await asyncio.sleep(0.2)


async def person(
    http: aiohttp.ClientSession, base: str, session_id: str, seconds: float, offset: float
) -> list[float]:
    """One question a second for `seconds`; each answer's latency in ms."""
    latencies = []
    started = time.monotonic() + offset
    for n in range(int(seconds)):
        await asyncio.sleep(max(0.0, started + n - time.monotonic()))
        body = {"session_id": session_id, "text": QUESTIONS[n % len(QUESTIONS)]}
        sent = time.monotonic()
        async with http.post(base + "/api/chat/messages", json=body) as response:
            await response.read()
            if response.status == 200:
                latencies.append((time.monotonic() - sent) * 1000)
    return latencies


async def flooder(
    http: aiohttp.ClientSession, base: str, session_id: str, total: int, lanes: int
) -> tuple[Counter[int], float]:
    """Up to `total` messages, `lanes` in flight at a time, until cancelled; the answers
    by status, and seconds."""
    statuses: Counter[int] = Counter()
    queue = iter(range(total))
    started = time.monotonic()

    async def lane() -> None:
        for n in queue:
            body = {"session_id": session_id, "text": f"câu hỏi {n}"}
            async with http.post(base + "/api/chat/messages", json=body) as response:
                await response.read()
                statuses[response.status] += 1

    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*(lane() for _ in range(lanes)))
    return statuses, time.monotonic() - started


async def scenario(
    base: str, tag: str, people: int, seconds: float, flood: int, lanes: int
) -> tuple[list[float], Counter[int], float]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        ids = [f"{tag}person{i:016d}" for i in range(people)]
        flooding = asyncio.create_task(flooder(http, base, f"{tag}flooder{0:016d}", flood, lanes))
        crowd = await asyncio.gather(
            *(
                person(http, base, session_id, seconds, i / people)
                for i, session_id in enumerate(ids)
            )
        )
        flooding.cancel()
        statuses, took = await flooding
    return [ms for latencies in crowd for ms in latencies], statuses, took


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime, the 14th and 15th fields, counted from after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario")
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--flood", type=int, default=3000, help="messages from the flooder")
    parser.add_argument("--lanes", type=int, default=64, help="the flooder's requests at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        service = start_service(Path(folder), port)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_up(base)
            # Warm: the first questions load the search index and fill caches.
            await scenario(base, "warm", args.people, 3, 0, 1)
            started = cpu_seconds(service.pid)
            calm, _, _ = await scenario(base, "calm", args.people, args.seconds, 0, 1)
            between = cpu_seconds(service.pid)
            flooded, statuses, took = await scenario(
                base, "flood", args.people, args.seconds, args.flood, args.lanes
            )
            ended = cpu_seconds(service.pid)
        finally:
            service.terminate()
            service.wait(30)
    print(
        f"{args.people} people asking one question a second for {args.seconds:g} s over the "
        f"web chat API; SQLite"
    )
    print(f"{'scenario':<34}{'answers':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for name, values in (
        ("(a) without the flood", calm),
        ("(b) with one person flooding", flooded),
    ):
        print(f"{name:<34}{len(values):>8}{p(values, 0.5):>9.1f}{p(values, 0.95):>9.1f}")
    share = p(flooded, 0.95) / p(calm, 0.95) if p(calm, 0.95) else float("nan")
    verdict = "met" if share <= 1.2 else "NOT met"
    print(f"(b)/(a) p95 = {share:.2f} (target <= 1.20: {verdict})")
    answered = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    sent = sum(statuses.values())
    print(f"the flooder sent {sent} of {args.flood} messages in {took:.1f} s: {answered}")
    extra = (ended - between) - (between - started)
    if sent and ended:
        print(
            f"service CPU: {between - started:.2f} s without the flood, {ended - between:.2f} s"
            f" with it ({extra / sent * 1000:.2f} ms per flooder request; noisy when few)"
        )


if __name__ == "__main__":
    asyncio.run(main())
