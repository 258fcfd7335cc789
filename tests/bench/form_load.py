"""The form scenario of the Telegram benchmark: a form step's update-to-reply latency with
thousands of nomination drafts open.

Before the users start, every one of them walks `/decu` through the real engine (the
same turns a person makes: the command, a button, the nominee, a commune typed without
diacritics, the button confirming it), so each holds a draft waiting at the
"achievements" step, and the database holds as many drafts. Then, in the open loop of
``telegram_load``, each update a user sends answers the text step their draft waits at:
the achievements first, then "bỏ qua" at the photos, their name, their phone. Each is
typed text the form validates and stores in the draft, and each gets exactly one
message back, the next question. Run from the repository root::

    PYTHONPATH=. .venv/bin/python -m tests.bench.telegram_bench --scenario form [--seconds 20]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import func, select

from bot.app import ChungSuc
from handlers.types import Incoming
from storage.db import create_engine
from storage.models import FormDraft
from tests.bench.telegram_load import FIRST_USER, Load

CHANNEL = "telegram"
# The text steps the users answer, in order, and what they type at each. Every answer
# moves the draft one step on; the step after the last (a consent) takes buttons only.
STEPS = ("achievements", "photos", "nominator_name", "nominator_phone", "consent_data")
ANSWERS = (
    "Thôn có 100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông liên thôn.",
    "bỏ qua",
    "Lê Thị Lan",
    "0912 345 678",
)
# Users walked to their draft per engine call: one unit of work each.
SEED_BATCH = 500


def _walk(user_id: int) -> list[Incoming]:
    """What a person does from `/decu` to the achievements question."""
    person = str(user_id)
    return [
        Incoming(CHANNEL, person, text="/decu", name=f"Người dùng {user_id}", language_hint="vi"),
        Incoming(CHANNEL, person, button="nominate:f:kind:village"),
        Incoming(CHANNEL, person, text=f"Thôn Tân Hiệp {user_id}"),
        Incoming(CHANNEL, person, text="xa cua tung"),
        Incoming(CHANNEL, person, button="nominate:f:commune:yes"),
    ]


@dataclass
class FormDrafts:
    """Opens one nomination draft per user in the service before the load starts, and
    counts the drafts by step afterwards."""

    users: int

    async def open(self, app: ChungSuc) -> dict[str, Any]:
        """Walk every user to the achievements step through the engine."""
        started = time.monotonic()
        user_ids = [FIRST_USER + n for n in range(self.users)]
        for first in range(0, len(user_ids), SEED_BATCH):
            walks = [_walk(user_id) for user_id in user_ids[first : first + SEED_BATCH]]
            for step in zip(*walks, strict=True):
                answered = await app.engine.handle_many(list(step))
                if not all(answered):
                    raise RuntimeError("a turn opening a draft went unanswered")
        async with app.sessions() as session:
            rows = await session.execute(
                select(FormDraft.step, func.count()).group_by(FormDraft.step)
            )
            seeded = Counter({str(step): int(n) for step, n in rows})
        if seeded != Counter({STEPS[0]: self.users}):
            raise RuntimeError(f"drafts opened wrongly: {dict(seeded)}")
        return {"seconds": time.monotonic() - started, "by_step": seeded}


async def count_drafts(database_url: str) -> Counter[str]:
    """Open nomination drafts, by the step they wait at."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(FormDraft.step, func.count())
                .where(FormDraft.form == "nominate")
                .group_by(FormDraft.step)
            )
            return Counter({str(step): int(n) for step, n in rows})
    finally:
        await engine.dispose()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This scenario's options, on the benchmark's command line."""
    parser.add_argument(
        "--scenario",
        choices=["abc", "form"],
        default="abc",
        help="abc: (a), (b) and (c); form: form steps with --drafts nomination drafts open",
    )
    parser.add_argument("--drafts", type=int, default=5000, help="drafts open in 'form'")


def form_load(args: argparse.Namespace) -> Load:
    """The users: one per draft, each answering the next text step when its turn comes
    (every `drafts / rate` seconds)."""
    offered = args.rate * (args.warmup + args.seconds)
    if offered > args.drafts * len(ANSWERS):
        raise SystemExit(
            f"{offered:.0f} updates would take users past the text steps "
            f"({len(ANSWERS)} each for {args.drafts} drafts): fewer seconds, or more drafts"
        )
    return Load(args.drafts, [], args.warmup, args.seconds, rate=args.rate, answers=ANSWERS)


def steps_moved(by_step: Counter[str]) -> int:
    """How many answers the drafts hold past the achievements step they were opened at."""
    return sum(STEPS.index(step) * n for step, n in by_step.items() if step in STEPS)


def run(args: argparse.Namespace, scenario: Any, run_service: Any, row: Any, problems: Any) -> None:
    """Run the form scenario and print it like the others (`telegram_bench` hands over
    its pieces, so that this module need not import it)."""
    started = time.monotonic()
    load = form_load(args)
    print(
        f"{args.drafts} users, each with a nomination draft open at the achievements step, "
        f"answering form steps at {args.rate:g} updates/s; {args.seconds:g}s measured after "
        f"{args.warmup:g}s warm-up; service database "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    bot = partial(
        run_service,
        send_rate=args.send_rate,
        postgres_url=args.postgres,
        drafts=FormDrafts(args.drafts),
    )
    figures = scenario(load, bot)
    seeded, after = figures["drafts_seeded"], figures["drafts_after"]
    print(
        f"drafts opened through the engine before measuring: {sum(seeded['by_step'].values())} "
        f"in {seeded['seconds']:.1f}s"
    )
    print(
        f"\n{'scenario':<34} {'updates/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'bot':>7} {'fake':>7} {'errors':>6}"
    )
    _, p95 = row(f"(f) form steps, {args.rate:g}/s offered", figures)
    print("(bot, fake: CPU used over the window, as a share of one core)")
    offered = figures["offered"] / figures["elapsed"]
    verdict = "met" if p95 <= 20 else "NOT met"
    print(f"\n(f) offered {offered:.1f}/s, p95 {p95:.1f} ms (target <= 20 ms: {verdict})")
    moved, updates = steps_moved(after), figures["updates_total"]
    steps = ", ".join(f"{step} {n}" for step, n in sorted(after.items(), key=_in_form_order))
    print(
        f"(f) drafts open after the run: {sum(after.values())} ({steps}); answers stored in "
        f"them: {moved} for {updates} updates sent "
        f"({'every one' if moved == updates else 'MISMATCH'})"
    )
    for line in problems("(f)", figures):
        print(line)
    print(f"total {time.monotonic() - started:.0f}s")


def _in_form_order(item: tuple[str, int]) -> int:
    return STEPS.index(item[0]) if item[0] in STEPS else len(STEPS)
