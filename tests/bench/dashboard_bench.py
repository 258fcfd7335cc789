"""The dashboard's review queue and figures page at scale: 10,000 nominations on SQLite
and (with ``--postgres``) PostgreSQL; each page's p50 and p95 as the server answers it
(one HTTP request through the guard, the scoped queries, the audit entry and the
template), for a province officer, a commune officer and an admin.

Run from the repository root (not part of the test suite)::

    PYTHONPATH=. .venv/bin/python -m tests.bench.dashboard_bench [--nominations 10000] \\
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/dashboard_bench]

``--postgres`` empties that database's public schema and migrates it: give a database
of its own, not the one the test suite uses.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from bot.app import ChungSuc
from bot.config import load_settings
from storage.contacts import get_or_create_contact
from storage.dashboard import open_session
from tests.bench.review_bench import empty, seed

REQUESTS = 200
OFFICERS = {
    "province officer": ("officer", "quang-tri"),
    "commune officer": ("officer", "19414"),
    "admin": ("admin", None),
}


PAGES = {"queue page": "/dashboard/review", "figures page": "/dashboard/figures"}


async def queue_times(
    url: str, media: Path, page: str = "/dashboard/review"
) -> dict[str, tuple[float, float]]:
    """p50 and p95 in milliseconds of GET `page` for each kind of officer."""
    admin_id = "b" * 24
    settings = load_settings(
        database_url=url, web_port=0, media_dir=media, admins=f"web:{admin_id}"
    )
    app = ChungSuc(settings)
    await app.start(migrate=False)
    results: dict[str, tuple[float, float]] = {}
    try:
        base = f"http://127.0.0.1:{app.port}{page}"
        for label, (role, area) in OFFICERS.items():
            external = admin_id if role == "admin" else (area or "x") * 4
            async with app.sessions.begin() as session:
                contact = await get_or_create_contact(
                    session, "web", external, now=app.services.clock()
                )
                contact.role, contact.area = ("officer" if role == "admin" else role), area
                await session.flush()
                opened = open_session(session, contact.id, app.services.clock())
            cookies = {"chungsuc_dashboard": opened.token}
            times = []
            async with aiohttp.ClientSession(cookies=cookies) as http:
                for n in range(REQUESTS):
                    query = f"?page={1 + n % 5}" if n % 2 else ""
                    started = time.perf_counter()
                    async with http.get(base + query, allow_redirects=False) as response:
                        await response.read()
                        assert response.status == 200, response.status
                    times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results[label] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    finally:
        await app.stop()
    return results


def bench(name: str, url: str, nominations: int, folder: Path) -> None:
    empty(url)
    asyncio.run(seed(url, nominations))
    for page_name, page in PAGES.items():
        for label, (p50, p95) in asyncio.run(queue_times(url, folder / "media", page)).items():
            print(f"{name}: {page_name}, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nominations", type=int, default=10_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose public schema may be emptied")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        bench("SQLite", f"sqlite+aiosqlite:///{path / 'bench.db'}", args.nominations, path)
        if args.postgres:
            bench("PostgreSQL", args.postgres, args.nominations, path)


if __name__ == "__main__":
    main()
