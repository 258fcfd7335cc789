"""Command line: `python -m bot run | ask | areas | db upgrade | invite | dashboard-link |
export | report`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Iterable, Sequence

from bot.app import ChungSuc
from bot.backup import add_backup_parser, run_backup
from bot.channels.delivery import ChannelStartError
from bot.cli_broadcast import add_broadcast_parser, run_broadcast
from bot.config import Settings, SettingsError, load_settings, parse_identities
from bot.dashboard.auth import is_officer_contact
from bot.export import add_export_parser, run_export
from bot.logs import configure_logging
from bot.memory import settle_after_start
from bot.report import add_report_parser, run_report
from content.areas import Commune, load_areas
from content.i18n import LANGUAGES, Catalogs
from content.knowledge import Knowledge
from content.provinces import load_provinces
from handlers.start import telegram_invite_link, web_invite_link
from handlers.web_login import login_link
from storage.audit import actor_label, record_audit
from storage.dashboard import contact_by_identity, new_login
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
    ask = commands.add_parser("ask", help="answer questions as the bot would")
    ask.add_argument("--province", help="the asker's province (default: DEFAULT_PROVINCE)")
    ask.add_argument("--lang", choices=LANGUAGES, default="vi")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.add_argument("question", nargs="?", help="without it, read questions from stdin")
    areas = commands.add_parser("areas", help="list a province's communes, or find one")
    areas.add_argument("--province", help="a province slug (default: every province served)")
    areas.add_argument("search", nargs="?", help="a name, today's or pre-2025, in any form")
    invite = commands.add_parser("invite", help="print a one-time code that grants a role")
    invite.add_argument("--role", choices=ROLES, required=True)
    invite.add_argument(
        "--area",
        help="a province slug (quang-tri) or a commune code from `areas`; all: admins only",
    )
    invite.add_argument("--org", help="for --role member: the union or association")
    link = commands.add_parser(
        "dashboard-link", help="print a one-time dashboard login link for an officer (10 minutes)"
    )
    link.add_argument("--contact", required=True, help="the officer as CHANNEL:ID (telegram:123)")
    add_broadcast_parser(commands)
    add_export_parser(commands)
    add_report_parser(commands)
    add_backup_parser(commands)
    return parser


AREAS_HINT = "list codes with: python -m bot areas [--province SLUG] [SEARCH]"


def invite_area(role: str, area: str | None) -> tuple[str | None, str]:
    """The area to store for an invite and how to name it, or ValueError saying why it
    cannot be. Officers need a province or a commune of the area list; `all` (or no
    area) is for admins only."""
    provinces = load_provinces()
    if area is None or area == "all":
        if role == "officer":
            raise ValueError(
                "--role officer needs --area: a province ("
                + ", ".join(provinces)
                + ") or a commune code; "
                + AREAS_HINT
                + ("" if area is None else "; --area all is for --role admin only")
            )
        return None, "tất cả các tỉnh"
    if area in provinces:
        return area, f"tỉnh {provinces[area].name('vi')}"
    commune = load_areas().get(area)
    if commune is None:
        raise ValueError(
            f"--area {area!r} is neither a province ({', '.join(provinces)}) nor a commune "
            f"code; {AREAS_HINT}"
        )
    return commune.code, f"{commune.name} ({commune.code})"


async def serve(settings: Settings) -> int:
    """Run until SIGINT or SIGTERM, then stop cleanly; 2 when a channel cannot start."""
    app = ChungSuc(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await app.start()
    except (ChannelStartError, OSError) as error:
        await app.stop()
        print(f"Chung Sức cannot start: {error}", file=sys.stderr)
        return 2
    settle_after_start()
    print(f"Chung Sức is running: web chat on http://{settings.web_host}:{app.port}/", flush=True)
    try:
        await stop.wait()
    finally:
        await app.stop()
    return 0


async def make_invite(
    settings: Settings, role: str, area: str | None, organisation: str | None = None
) -> str:
    """Create an invite as the system admin, audited, and return its code."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        sessions = create_sessions(engine)
        now = utcnow()
        async with sessions.begin() as session:
            code = await create_invite(
                session,
                role=role,
                area=area,
                organisation=organisation,
                created_by=CLI_ACTOR,
                now=now,
            )
            record_audit(
                session,
                actor=CLI_ACTOR,
                action="invite.created",
                at=now,
                details={"role": role, "area": area, "organisation": organisation},
            )
        return code
    finally:
        await engine.dispose()


async def make_dashboard_link(settings: Settings, identity: str) -> str:
    """A one-time login link for the officer `CHANNEL:ID`, audited; ValueError when that
    contact is unknown or not an officer. Without PUBLIC_URL the link names this
    machine's WEB_HOST and WEB_PORT."""
    try:
        (wanted,) = parse_identities(identity)
    except ValueError:
        raise ValueError(f"--contact {identity!r} is not CHANNEL:ID, e.g. telegram:12345") from None
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    admins = frozenset((i.channel, i.external_id) for i in settings.admin_identities)
    try:
        now = utcnow()
        async with create_sessions(engine).begin() as session:
            contact = await contact_by_identity(session, wanted.channel, wanted.external_id)
            if contact is None or not is_officer_contact(admins, contact):
                raise ValueError(
                    f"{identity} is not an officer or admin of this service (they redeem an "
                    "invite with /canbo CODE in chat first)"
                )
            token = new_login(session, contact.id, now)
            record_audit(
                session,
                actor=CLI_ACTOR,
                action="dashboard.link_created",
                at=now,
                target=actor_label(contact),
            )
    finally:
        await engine.dispose()
    base = settings.public_url or f"http://{settings.web_host}:{settings.web_port}"
    return login_link(base, token)


async def load_knowledge_for_cli(settings: Settings) -> Knowledge:
    """The files' knowledge plus officer-written answers, when the database is there."""
    app = ChungSuc(settings)
    try:
        await upgrade(settings.database_url)
        await app.load_officer_knowledge()
    except Exception as error:  # the files alone still answer
        print(f"(officer-written answers not loaded: {error})", file=sys.stderr)
    finally:
        await app.stop()
    return app.knowledge


def answer_record(
    knowledge: Knowledge, catalogs: Catalogs, question: str, province: str, language: str
) -> dict[str, object]:
    """The bot's answer to one question, as the `ask --json` contract names it."""
    result = knowledge.index.answer(question, province)
    translator = catalogs.translator(language)
    if result.best is None:
        return {
            "q": question,
            "answer": None,
            "source": None,
            "score": round(result.suggestions[0].confidence, 3) if result.suggestions else 0.0,
            "fallback": True,
            "suggestions": [m.entry.id for m in result.suggestions],
        }
    entry = result.best.entry
    return {
        "q": question,
        "answer": entry.text("answer", language),
        "source": translator.gettext("Theo {source}").format(source=entry.text("source", language)),
        "score": round(result.best.confidence, 3),
        "fallback": False,
        "id": entry.id,
    }


def run_ask(settings: Settings, args: argparse.Namespace) -> int:
    knowledge = asyncio.run(load_knowledge_for_cli(settings))
    catalogs = Catalogs()
    default_province = args.province or settings.default_province
    if args.question is not None:
        items: Iterable[tuple[str, str]] = [(args.question, default_province)]
    else:
        items = (_stdin_item(line, default_province) for line in sys.stdin if line.strip())
    for question, province in items:
        record = answer_record(knowledge, catalogs, question, province, args.lang)
        if args.json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        elif record["fallback"]:
            print(f"? {question}\n(no confident answer: the bot offers to ask an officer)\n")
        else:
            print(f"? {question}\n{record['answer']}\n{record['source']}\n", flush=True)
    return 0


def _stdin_item(line: str, province: str) -> tuple[str, str]:
    line = line.strip()
    if line.startswith("{"):
        try:
            data = json.loads(line)
            return str(data.get("q", "")), str(data.get("province") or province)
        except json.JSONDecodeError:
            pass
    return line, province


def run_areas(args: argparse.Namespace) -> int:
    """Print communes: code, name, and the pre-2025 units merged into each."""
    areas = load_areas()
    if args.province and args.province not in areas.provinces():
        known = ", ".join(areas.provinces())
        print(f"unknown province {args.province!r} (known: {known})", file=sys.stderr)
        return 2
    slugs = [args.province] if args.province else areas.provinces()
    found = 0
    for slug in slugs:
        communes = areas.search(args.search, slug) if args.search else areas.communes(slug)
        if len(slugs) > 1 and communes:
            print(f"# {slug}: {len(communes)}")
        for commune in communes:
            print(_commune_line(commune))
        found += len(communes)
    if args.search and not found:
        print(f"no commune matches {args.search!r}", file=sys.stderr)
        return 1
    return 0


def _commune_line(commune: Commune) -> str:
    return f"{commune.code}  {commune.name}  (trước đây: {'; '.join(commune.former)})"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings)
    # Migration chatter is noise in every command's output; failures still show.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "ask":
        return run_ask(settings, args)
    if args.command == "areas":
        return run_areas(args)
    if args.command == "broadcast":
        return asyncio.run(run_broadcast(settings, args))
    if args.command == "export":
        return asyncio.run(run_export(settings.database_url, args, CLI_ACTOR))
    if args.command == "report":
        return asyncio.run(run_report(settings.database_url, args))
    if args.command == "backup":
        return run_backup(settings, args)
    if args.command == "run":
        return asyncio.run(serve(settings))
    elif args.command == "db":
        asyncio.run(upgrade(settings.database_url))
        print("Database is up to date.")
    elif args.command == "dashboard-link":
        try:
            link = asyncio.run(make_dashboard_link(settings, args.contact))
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        if settings.public_url is None:
            print("PUBLIC_URL is not set: this link works on this machine only.", file=sys.stderr)
        print(link)
        print("Valid for 10 minutes, once. Do not share it.")
    elif args.command == "invite":
        if args.role == "member" and not args.org:
            print("--role member needs --org, the union or association", file=sys.stderr)
            return 2
        try:
            area, area_label = invite_area(args.role, args.area)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        code = asyncio.run(make_invite(settings, args.role, area, args.org))
        scope = args.org or area_label
        print(f"Invite code for {args.role} of {scope}: {code}")
        print("Valid for 7 days, once. The person sends in chat: /canbo " + code)
        print("Or opens: " + telegram_invite_link("<bot>", code) + " (<bot>: your bot's username)")
        if settings.public_url is not None:
            print("Or, in the web chat: " + web_invite_link(settings.public_url, code))
    return 0
