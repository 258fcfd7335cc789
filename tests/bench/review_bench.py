"""Review at scale: 100,000 nominations on SQLite and (with ``--postgres``) PostgreSQL.

For each database:

1. opening the queue (``/duyet`` through the engine, one whole turn with its audit entry)
   as a province officer, a commune officer and an admin: p50 and p95 over many turns;
2. ``export nominations --format xlsx`` of every nomination: seconds, and the peak
   resident memory of the exporting process against the same export of 1,000;
3. ``report`` for the year, text and workbook: seconds.

Run from the repository root (not part of the test suite)::

    PYTHONPATH=. .venv/bin/python -m tests.bench.review_bench [--nominations 100000] \\
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/review_bench]

``--postgres`` empties that database's public schema and migrates it: give a database
of its own (``CREATE DATABASE review_bench``), not the one the test suite uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bot.app import ChungSuc
from bot.config import load_settings
from content.areas import load_areas
from handlers.flood import FloodGate
from storage.db import create_engine
from storage.invites import create_invite
from storage.migrate import upgrade
from storage.models import Nomination, NominationReview, Support
from tests.chat import Chat

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 1, 1, tzinfo=UTC)
KINDS = ("village", "initiative", "exemplary")
# Most of a year's nominations wait or are being reviewed; a few are decided.
STATUSES = (
    ["submitted"] * 40 + ["in_review"] * 25 + ["needs_info"] * 5 + ["accepted"] * 12
    + ["rejected"] * 8 + ["duplicate"] * 3 + ["commended"] * 5 + ["withdrawn"] * 2
)  # fmt: skip
TURNS = 200


def empty(url: str) -> None:
    """A freshly migrated database at `url`."""
    if not url.startswith("postgresql"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.split(":///", 1)[1] + suffix).unlink(missing_ok=True)
    asyncio.run(_empty(url))


async def _empty(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade(url)


async def seed(url: str, count: int) -> None:
    """`count` nominations over every commune of both provinces, with reviews for the
    decided ones and a few supports."""
    rng = random.Random(2026)
    areas = load_areas()
    communes = [c for slug in areas.provinces() for c in areas.communes(slug)]
    engine = create_engine(url)
    rows, reviews, supports = [], [], []
    for n in range(count):
        commune = rng.choice(communes)
        at = START + timedelta(seconds=int(n * 5_000_000 / max(count, 1)))
        status = rng.choice(STATUSES)
        rows.append(
            {
                "id": n + 1,
                "code": f"DC-{n:07d}",
                "kind": rng.choice(KINDS),
                "status": status,
                "province": commune.province,
                "commune_code": commune.code,
                "village": f"Thôn {rng.randint(1, 12)}",
                "nominee": f"Thôn {rng.choice(['Tân', 'Hà', 'Phú', 'An'])} {rng.randint(1, 999)}",
                "achievements": "Thôn có 100% hộ dùng nước sạch, bà con góp công làm đường." * 3,
                "nominator_name": "Lê Thị Lan",
                "nominator_phone": "+84912345678",
                "contact_consent": True,
                "nominee_consent": "yes",
                "created_at": at,
                "updated_at": at,
            }
        )
        if status in ("accepted", "rejected", "duplicate", "commended"):
            commended = status == "commended"
            reviews.append(
                {
                    "nomination_id": n + 1,
                    "recommendation": "accept",
                    "reason": "Chưa đạt tiêu chí của phong trào" if status == "rejected" else None,
                    "award_kind": "bang_khen_tinh" if commended else None,
                    "award": "Bằng khen của Chủ tịch UBND tỉnh" if commended else None,
                    "decided_by_body": "UBND tỉnh" if commended else None,
                    "decision_number": f"{n}/QĐ-UBND" if commended else None,
                    "decision_date": date(2026, 2, 1) if commended else None,
                    "decided_at": at + timedelta(days=3),
                    "supports_open": commended,
                    "updated_at": at,
                }
            )
    async with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            await connection.execute(insert(Nomination), rows[start : start + 5000])
        for start in range(0, len(reviews), 5000):
            await connection.execute(insert(NominationReview), reviews[start : start + 5000])
        await connection.execute(
            text(
                "INSERT INTO contacts (channel, external_id, language, role, subscribed, "
                "blocked, failed_code_attempts, created_at, last_seen_at) VALUES "
                "('zalo', 'supporter', 'vi', 'citizen', false, false, 0, :at, :at)"
            ),
            {"at": START},
        )
        supporter = await connection.scalar(text("SELECT max(id) FROM contacts"))
        supports = [
            {"nomination_id": r["nomination_id"], "contact_id": supporter, "status": "counted",
             "created_at": START + timedelta(days=40)}
            for r in reviews if r["supports_open"]
        ]  # fmt: skip
        for start in range(0, len(supports), 5000):
            await connection.execute(insert(Support), supports[start : start + 5000])
        if url.startswith("postgresql"):
            await connection.execute(
                text("SELECT setval('nominations_id_seq', (SELECT max(id) FROM nominations))")
            )
    # As autovacuum leaves a table that has been written to: statistics and visibility
    # map current (index-only counts need the latter).
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(
            text("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE")
        )
    await engine.dispose()


async def queue_turns(url: str) -> dict[str, tuple[float, float]]:
    """p50 and p95 (ms) of `/duyet` as a whole turn, for three kinds of officer."""
    clock = lambda: START + timedelta(days=70)  # noqa: E731
    app = ChungSuc(
        load_settings(database_url=url, web_port=0, admins="web:" + "a" * 24), clock=clock
    )
    # One officer paging through the queue types faster than any person: the flood gate
    # that protects the service from such bursts would drop the very turns being timed.
    app.engine.flood = FloodGate(limit=10**9)
    figures: dict[str, tuple[float, float]] = {}
    try:
        people = {"admin": Chat(app.engine, "web", "a" * 24)}
        for label, area in (("province", "quang-tri"), ("commune", "19414")):
            async with app.sessions.begin() as session:
                code = await create_invite(
                    session, role="officer", area=area, created_by="bench", now=clock()
                )
            person = Chat(app.engine, "web", label[0] * 24)
            await person.say(f"/canbo {code}")
            people[label] = person
        # What any turn costs here (a reply from memory, the turn's writes), for scale.
        samples = []
        for _ in range(TURNS):
            started = time.perf_counter()
            await people["admin"].say("/help")
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        figures["(/help)"] = (statistics.median(samples), samples[int(len(samples) * 0.95) - 1])
        for label, person in people.items():
            await person.say("/duyet")  # warm
            samples = []
            for n in range(TURNS):
                started = time.perf_counter()
                if n % 2:
                    await person.say("/duyet")
                else:
                    await person.press("review:list:waiting:all:1")
                samples.append((time.perf_counter() - started) * 1000)
            assert "DC-" in person.text, person.text
            samples.sort()
            figures[label] = (statistics.median(samples), samples[int(len(samples) * 0.95) - 1])
    finally:
        await app.stop()
    return figures


# Peak memory as the kernel's high-water mark of this process's own address space
# (VmHWM, reset by exec; ru_maxrss would carry over the parent's peak from the fork).
EXPORT_RUNNER = """
import asyncio, re, sys, time
from bot.export import run_export
class A: pass
args = A()
args.format, args.output = "xlsx", sys.argv[2]
args.since = args.until = args.status = args.kind = args.area = None
args.with_contacts = False
started = time.perf_counter()
asyncio.run(run_export(sys.argv[1], args, "bench"))
took = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak = re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)
print("FIGURES", took, peak)
"""


def export_in_process(url: str, output: Path) -> tuple[float, float, int]:
    """Seconds, peak resident MB, rows of an XLSX export in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", EXPORT_RUNNER, url, str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("FIGURES"))
    wrote = next(x for x in done.stdout.splitlines() if x.startswith("Wrote"))
    _, seconds, rss_kb = line.split()
    return float(seconds), int(rss_kb) / 1024, int(wrote.split()[1])


async def report_time(url: str, output: Path) -> tuple[float, str]:
    from bot.report import make_report, text_of, write_workbook
    from storage.db import create_sessions
    from storage.review import Scope

    engine = create_engine(url)
    now = START + timedelta(days=70)
    try:
        started = time.perf_counter()
        report = await make_report(create_sessions(engine), Scope(), 2026, "tất cả các tỉnh")
        summary = text_of(report, now)
        write_workbook(report, output, now)
        return time.perf_counter() - started, summary.splitlines()[3]
    finally:
        await engine.dispose()


async def count_rows(url: str) -> int:
    engine = create_engine(url)
    async with engine.connect() as connection:
        found = await connection.scalar(select(text("count(*)")).select_from(text("nominations")))
    await engine.dispose()
    return int(found or 0)


def bench(name: str, url: str, nominations: int, folder: Path) -> None:
    print(f"\n== {name}")
    empty(url)
    asyncio.run(seed(url, 1000))
    _, small_mb, small_rows = export_in_process(url, folder / "small.xlsx")
    empty(url)
    started = time.perf_counter()
    asyncio.run(seed(url, nominations))
    seeded = asyncio.run(count_rows(url))
    print(f"seeded {seeded:,} nominations in {time.perf_counter() - started:.1f} s")
    for label, (p50, p95) in asyncio.run(queue_turns(url)).items():
        print(f"queue, {label:8}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({TURNS} turns)")
    seconds, big_mb, rows = export_in_process(url, folder / "big.xlsx")
    size = (folder / "big.xlsx").stat().st_size / 1e6
    print(
        f"export xlsx: {rows:,} rows in {seconds:.1f} s ({size:.1f} MB file); peak RSS "
        f"{big_mb:.0f} MB vs {small_mb:.0f} MB for {small_rows:,} rows "
        f"(+{big_mb - small_mb:.0f} MB)"
    )
    took, first = asyncio.run(report_time(url, folder / "report.xlsx"))
    print(f"report (text and workbook): {took:.2f} s; {first.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nominations", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose public schema may be emptied")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench("SQLite", f"sqlite+aiosqlite:///{folder / 'bench.db'}", args.nominations, folder)
        if args.postgres:
            bench("PostgreSQL", args.postgres, args.nominations, folder)
        else:
            print("\nPostgreSQL: not run (give --postgres URL)")
    print("\n" + json.dumps({"nominations": args.nominations}))


if __name__ == "__main__":
    main()
