"""`python -m bot broadcast …`: queue an announcement as the system admin, follow it,
cancel it, and print its loudspeaker script or printable notice. The command sends
nothing itself: the running service does."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.media import MediaStore
from bot.quiet import LOCAL
from content.loudspeaker import loudspeaker_script
from content.notice import printable_notice
from content.provinces import load_provinces
from storage.audit import record_audit
from storage.broadcasts import (
    cancel_broadcast,
    count_audience,
    create_broadcast,
    parse_audience,
    recent_broadcasts,
)
from storage.db import Sessions, create_engine, create_sessions
from storage.deliveries import broadcast_counts
from storage.models import Broadcast, utcnow

CLI_ACTOR = "cli:admin"
MAX_TEXT = 3000
FURTHEST = timedelta(days=365)


def add_broadcast_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    broadcast = commands.add_parser(
        "broadcast", help="queue an announcement; the running service sends it"
    )
    broadcast.add_argument("--text", help=f"the announcement, at most {MAX_TEXT} characters")
    broadcast.add_argument("--photo", type=Path, help="one photo to send with it")
    broadcast.add_argument(
        "--audience",
        nargs="+",
        metavar="KIND:VALUE",
        help="province:SLUG commune:CODE org:NAME topic:T channel:C (default: every subscriber)",
    )
    broadcast.add_argument("--at", help="when to send, ISO time, Vietnam time if no offset")
    broadcast.add_argument("--urgent", action="store_true", help="also during quiet hours")
    broadcast.add_argument("--yes", action="store_true", help="queue without asking")
    broadcast.add_argument(
        "--status", nargs="?", const=0, type=int, metavar="ID", help="progress of one or all"
    )
    broadcast.add_argument("--cancel", type=int, metavar="ID", help="stop one that is going out")
    broadcast.add_argument("--script", type=int, metavar="ID", help="its loudspeaker script")
    broadcast.add_argument("--notice", type=int, metavar="ID", help="its printable A4 notice")
    broadcast.add_argument("-o", "--output", type=Path, help="where --notice writes the page")


class BroadcastRefused(Exception):
    """The request cannot be queued; the message says why."""


def parse_time(text: str | None, now: datetime) -> datetime:
    """When to send: now when not given; Vietnam time when no offset is given; never in
    the past nor more than a year ahead."""
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise BroadcastRefused(f"--at {text!r} is not an ISO time like 2026-12-24T07:30") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    if moment < now - timedelta(minutes=1):
        raise BroadcastRefused("--at is in the past")
    if moment > now + FURTHEST:
        raise BroadcastRefused("--at is more than a year ahead")
    return moment


def check_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise BroadcastRefused("--text is empty")
    if len(text) > MAX_TEXT:
        raise BroadcastRefused(f"--text has {len(text)} characters; at most {MAX_TEXT}")
    return text


async def run_broadcast(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings.database_url)
    sessions = create_sessions(engine)
    try:
        if args.status is not None:
            return await _status(sessions, args.status)
        if args.cancel is not None:
            return await _cancel(sessions, args.cancel)
        if args.script is not None:
            return await _script(sessions, args.script)
        if args.notice is not None:
            return await _notice(sessions, args.notice, args.output)
        return await _queue(settings, sessions, args)
    except BroadcastRefused as refused:
        print(refused, file=sys.stderr)
        return 2
    finally:
        await engine.dispose()


async def _queue(settings: Settings, sessions: Sessions, args: argparse.Namespace) -> int:
    now = utcnow()
    text = check_text(args.text)
    audience = args.audience or [f"province:{slug}" for slug in load_provinces()]
    try:
        parse_audience(audience)
    except ValueError as error:
        raise BroadcastRefused(f"unknown audience {error}") from error
    at = parse_time(args.at, now)
    photo = None
    if args.photo is not None:
        data = await asyncio.to_thread(args.photo.read_bytes)
        kept = await MediaStore(settings.media_dir, sessions).keep(data)
        if kept.token is None:
            raise BroadcastRefused(f"--photo is not usable: {kept.problem}")
        photo = kept.token
    async with sessions() as session:
        count = await count_audience(session, audience, "announcement")
    if count == 0:
        raise BroadcastRefused("nobody is subscribed in that audience")
    print(f"{count} recipients, at {at.astimezone(LOCAL):%Y-%m-%d %H:%M} Vietnam time")
    print(text)
    if not args.yes:
        if not sys.stdin.isatty():
            raise BroadcastRefused("add --yes to queue it without asking")
        answer = await asyncio.to_thread(input, "Queue it? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not queued.")
            return 1
    async with sessions.begin() as session:
        broadcast = await create_broadcast(
            session,
            created_by=CLI_ACTOR,
            created_by_contact_id=None,
            province=None,
            audience=audience,
            text=text,
            photo=photo,
            urgent=args.urgent,
            scheduled_at=at,
            now=now,
        )
        record_audit(
            session,
            actor=CLI_ACTOR,
            action="broadcast.queued",
            at=now,
            target=f"broadcast:{broadcast.id}",
            details={"audience": audience, "recipients": count, "urgent": args.urgent},
        )
    print(f"Queued as broadcast {broadcast.id}; the running service sends it.")
    return 0


async def _status(sessions: Sessions, broadcast_id: int) -> int:
    async with sessions() as session:
        if broadcast_id:
            found = await session.get(Broadcast, broadcast_id)
            broadcasts = [found] if found else []
        else:
            broadcasts = await recent_broadcasts(session)
        if not broadcasts:
            print("No such broadcast." if broadcast_id else "No broadcasts yet.")
            return 1 if broadcast_id else 0
        for broadcast in broadcasts:
            counts = await broadcast_counts(session, broadcast.id)
            parts = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
            print(
                f"{broadcast.id}\t{broadcast.status}\t{broadcast.total} recipients"
                f"\t{parts or '-'}\t{broadcast.text[:50]!r}"
            )
    return 0


async def _cancel(sessions: Sessions, broadcast_id: int) -> int:
    now = utcnow()
    async with sessions.begin() as session:
        before = await cancel_broadcast(session, broadcast_id, now)
        if before is None:
            raise BroadcastRefused("No such broadcast.")
        if before in ("done", "cancelled"):
            raise BroadcastRefused(f"Broadcast {broadcast_id} is already {before}.")
        record_audit(
            session,
            actor=CLI_ACTOR,
            action="broadcast.cancelled",
            at=now,
            target=f"broadcast:{broadcast_id}",
        )
    async with sessions() as session:
        sent = (await broadcast_counts(session, broadcast_id)).get("sent", 0)
    print(f"Cancelled; {sent} had received it already.")
    return 0


async def _load(sessions: Sessions, broadcast_id: int) -> Broadcast:
    async with sessions() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastRefused("No such broadcast.")
    return broadcast


def _province_name(broadcast: Broadcast) -> str:
    provinces = load_provinces()
    slug = broadcast.province or next(iter(provinces))
    province = provinces.get(slug)
    return province.name("vi") if province else slug


async def _script(sessions: Sessions, broadcast_id: int) -> int:
    broadcast = await _load(sessions, broadcast_id)
    print(loudspeaker_script(broadcast.text, province_name=_province_name(broadcast)))
    return 0


async def _notice(sessions: Sessions, broadcast_id: int, output: Path | None) -> int:
    if output is None:
        raise BroadcastRefused("--notice needs -o FILE")
    broadcast = await _load(sessions, broadcast_id)
    province = _province_name(broadcast)
    page = printable_notice(
        province_name=province,
        issuer=f"UBND TỈNH {province.upper()}",
        title=broadcast.text.split("\n", 1)[0][:120],
        text=broadcast.text,
        issued_at=broadcast.created_at,
    )
    await asyncio.to_thread(output.write_text, page, encoding="utf-8")
    print(f"Wrote {output}; open it in a browser and print on A4.")
    return 0
