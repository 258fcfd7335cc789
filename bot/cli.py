"""Command line: `python -m bot run | db upgrade | invite`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot.app import ChungSuc
from bot.config import Settings, SettingsError, load_settings
from storage.audit import record_audit
from storage.db import create_engine, create_sessions
from storage.invites import ROLES, create_invite
from storage.migrate import upgrade
from storage.models import utcnow

CLI_ACTOR = "cli:admin"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chungsuc", description="Chung Sức chatbot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="apply migrations and serve every configured channel")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply migrations")
    invite = commands.add_parser("invite", help="print a one-time code that grants a role")
    invite.add_argument("--role", choices=ROLES, required=True)
    invite.add_argument("--area", help="the area the officer is responsible for, e.g. quang-tri")
    return parser


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    app = ChungSuc(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    print(f"Chung Sức is running: web chat on http://{settings.web_host}:{app.port}/", flush=True)
    try:
        await stop.wait()
    finally:
        await app.stop()


async def make_invite(settings: Settings, role: str, area: str | None) -> str:
    """Create an invite as the system admin, audited, and return its code."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        sessions = create_sessions(engine)
        now = utcnow()
        async with sessions.begin() as session:
            code = await create_invite(session, role=role, area=area, created_by=CLI_ACTOR, now=now)
            record_audit(
                session,
                actor=CLI_ACTOR,
                action="invite.created",
                at=now,
                details={"role": role, "area": area},
            )
        return code
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "run":
        asyncio.run(serve(settings))
    elif args.command == "db":
        asyncio.run(upgrade(settings.database_url))
        print("Database is up to date.")
    elif args.command == "invite":
        code = asyncio.run(make_invite(settings, args.role, args.area))
        print(f"Invite code for {args.role}{' of ' + args.area if args.area else ''}: {code}")
        print("Valid for 7 days, once. The person sends in chat: /canbo " + code)
    return 0
