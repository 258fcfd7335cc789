"""The web chat: a page, a JSON endpoint for messages and an event stream for later ones."""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.channels.bodies import BadBody, read_json_object
from bot.channels.bodies import cursor as read_cursor
from bot.channels.web_files import file_link
from bot.channels.web_photos import UploadTooLarge, media_link, read_upload
from bot.media import MediaStore
from handlers.engine import Engine
from handlers.flood import (
    ADMIT,
    DROP,
    NOTICE,
    PAUSE_SECONDS,
    WINDOW,
    DroppedMessages,
    record_dropped,
)
from handlers.types import Incoming, Reply
from storage.contacts import find_contact
from storage.db import Sessions
from storage.deliveries import SENT, SendOutcome
from storage.interactions import latest_interaction_id, pushed_after, recent_interactions
from storage.models import Interaction

CHANNEL = "web"
PAGE = Path(__file__).with_name("web_page.html")
# At least 128 bits of randomness in URL-safe base64, made by the page: nobody can guess
# another person's session and read their conversation.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{22,128}")
MAX_BUTTON_ID = 128
HEARTBEAT_SECONDS = 15.0
STREAMS_PER_SESSION = 3
STREAMS_IN_ALL = 2000
# A page waits for each answer; more than this many at once from one session is a script.
IN_FLIGHT_PER_SESSION = 4
# Refusals held for the flood pause at once, in all; beyond, they are answered at once.
HELD_IN_ALL = 1000


def reply_json(reply: Reply) -> dict[str, Any]:
    """The wire shape of one reply."""
    data: dict[str, Any] = {
        "text": reply.text,
        "buttons": [{"id": b.id, "label": b.label} for b in reply.buttons],
    }
    if reply.photo:
        # A stored photo by its path on this server: the page works without PUBLIC_URL.
        data["photo"] = media_link(reply.photo)
    if reply.document:
        data["document"] = {
            "url": file_link(reply.document.token),
            "filename": reply.document.filename,
            "content_type": reply.document.content_type,
        }
    return data


def _dumps(data: object) -> str:
    # Vietnamese as UTF-8 rather than escapes: a third of the bytes on a slow connection.
    return json.dumps(data, ensure_ascii=False)


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


class WebChat:
    """The web chat channel; also a transport for the outbox."""

    def __init__(self, engine: Engine, sessions: Sessions, media: MediaStore | None = None) -> None:
        self._engine = engine
        self._sessions = sessions
        self._media = media
        self._wakeups: dict[str, set[asyncio.Event]] = {}
        self._closing = False
        self._closed = asyncio.Event()
        # A refused request is held until its session may send again, within these
        # bounds (seconds): holding costs nothing here, and a script sends that much less.
        self.hold_between = (PAUSE_SECONDS, WINDOW)
        self._streams = 0
        self._page = PAGE.read_bytes()
        self._in_flight: dict[str, int] = {}
        self._held = 0
        self._dropped = DroppedMessages(engine.services)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_get("/favicon.ico", self.no_icon)
        app.router.add_post("/api/chat/messages", self.post_message)
        if self._media is not None:
            app.router.add_post("/api/chat/photo", self.post_photo)
        app.router.add_get("/api/chat/events", self.events)
        app.router.add_get("/api/chat/history", self.history)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._page,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
                "script-src 'unsafe-inline'; img-src 'self' data: blob: https:",
            },
        )

    async def no_icon(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})

    async def post_message(self, request: web.Request) -> web.Response:
        try:
            body = await read_json_object(request)
        except BadBody as bad:
            return _bad_request(str(bad))
        session_id = body.get("session_id")
        if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            return _bad_request("session_id must be 22-128 URL-safe characters.")
        text, button = body.get("text"), body.get("button")
        if isinstance(button, str) and 0 < len(button) <= MAX_BUTTON_ID:
            incoming = Incoming(CHANNEL, session_id, button=button)
        elif isinstance(text, str):
            # No language guess from the browser: the portal is Vietnamese first, and many
            # villagers' phones are set to English; /ngonngu switches.
            incoming = Incoming(CHANNEL, session_id, text=text)
        else:
            return _bad_request("Send either text or button.")
        return await self._answer(incoming)

    async def post_photo(self, request: web.Request) -> web.Response:
        """A photo from the page (multipart: `session_id`, `photo`), stored and handed to
        the engine like a message; answered like `post_message`."""
        if self._media is None:
            raise web.HTTPNotFound()
        try:
            upload = await read_upload(request)
        except UploadTooLarge:
            return web.json_response({"error": "The photo is larger than 5 MB."}, status=413)
        except (ValueError, AssertionError):
            # Not multipart at all, or broken framing.
            return _bad_request("Send multipart/form-data with session_id and photo.")
        session_id = upload.session_id
        if session_id is None or not SESSION_ID.fullmatch(session_id):
            return _bad_request("session_id must be 22-128 URL-safe characters.")
        if upload.photo is None:
            return _bad_request("Send the photo as the photo field.")
        if (verdict := self._engine.flood.refuse((CHANNEL, session_id))) is not None:
            # Refused before the photo is stored: a flood of photos fills no disk.
            return await self._refuse(Incoming(CHANNEL, session_id), verdict)
        kept = await self._media.keep(upload.photo)
        incoming = Incoming(CHANNEL, session_id, media=kept.token, attachment=kept.problem)
        return await self._answer(incoming)

    async def _answer(self, incoming: Incoming) -> web.Response:
        """Run one message through the engine and answer with its replies; a session
        over the flood limit, or with too many messages at once, is refused here first,
        without the database or the engine."""
        session_id = incoming.external_id
        person = (CHANNEL, session_id)
        gate = self._engine.flood
        verdict = gate.refuse(person)
        if verdict is None and self._in_flight.get(session_id, 0) >= IN_FLIGHT_PER_SESSION:
            # Counted like any message, so a burst of parallel requests is a flood too.
            verdict = gate.verdict(person)
            verdict = DROP if verdict == ADMIT else verdict
        if verdict is not None:
            return await self._refuse(incoming, verdict)
        # Nothing awaited between `refuse` and the engine's own count: what passed here
        # is admitted there.
        self._in_flight[session_id] = self._in_flight.get(session_id, 0) + 1
        try:
            replies = await self._engine.handle(incoming)
        finally:
            self._in_flight[session_id] -= 1
            if not self._in_flight[session_id]:
                del self._in_flight[session_id]
        if not replies and gate.flooding(person):
            return self._too_many(person, [])
        if not replies:
            # Not handled: the database is away. The page says so and the person can
            # send again; nothing was half-done.
            return web.json_response({"error": "Try again in a moment."}, status=503)
        language = replies[-1].language
        return web.json_response(
            {"replies": [reply_json(r) for r in replies], "language": language}, dumps=_dumps
        )

    async def _refuse(self, incoming: Incoming, verdict: str) -> web.Response:
        """A message over the flood limit: the first is kept and answered with a request
        to slow down; the rest are kept together in a later batch, and answered only
        once the session may send again (see `hold_between`)."""
        if verdict == NOTICE:
            [replies] = await record_dropped(self._engine.services, [incoming], [True])
        else:
            self._dropped.add([incoming])
            replies = []
            if self._held < HELD_IN_ALL and not self._closing:
                shortest, longest = self.hold_between
                wait = self._engine.flood.retry_after((CHANNEL, incoming.external_id))
                self._held += 1
                try:
                    await asyncio.wait_for(self._closed.wait(), min(max(wait, shortest), longest))
                except TimeoutError:
                    pass
                finally:
                    self._held -= 1
        return self._too_many((CHANNEL, incoming.external_id), replies)

    def _too_many(self, person: tuple[str, str], replies: list[Reply]) -> web.Response:
        wait = max(1, math.ceil(self._engine.flood.retry_after(person)))
        body: dict[str, Any] = {
            "error": "Too many messages. Wait a moment before sending again.",
            "replies": [reply_json(r) for r in replies],
        }
        if replies:
            body["language"] = replies[-1].language
        return web.json_response(body, status=429, headers={"Retry-After": str(wait)}, dumps=_dumps)

    async def history(self, request: web.Request) -> web.Response:
        """The latest messages of a session, so a reloaded page shows the conversation."""
        session_id = request.query.get("session_id", "")
        if not SESSION_ID.fullmatch(session_id):
            return _bad_request("session_id must be 22-128 URL-safe characters.")
        async with self._sessions() as session:
            contact = await find_contact(session, CHANNEL, session_id)
            rows = await recent_interactions(session, contact.id, 50) if contact else []
        messages = [
            {"id": row.id, "direction": row.direction, "text": row.text or ""}
            for row in rows
            if row.text and row.kind != "button"
        ]
        return web.json_response(
            {
                "messages": messages,
                "last_id": rows[-1].id if rows else 0,
                "language": contact.language if contact else "vi",
            },
            dumps=_dumps,
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events carrying messages that arrive later (officer answers, news).

        They are read from the interaction log, each with its id as the event id, so a page
        that reconnects (EventSource sends Last-Event-ID) or that passes `after=` the last
        id its history showed misses nothing, whatever happened while it was away."""
        session_id = request.query.get("session_id", "")
        if not SESSION_ID.fullmatch(session_id):
            return _bad_request("session_id must be 22-128 URL-safe characters.")
        open_here = self._wakeups.get(session_id, set())
        if len(open_here) >= STREAMS_PER_SESSION or self._streams >= STREAMS_IN_ALL:
            # A page needs one stream (two while it reconnects); more is someone
            # holding connections open.
            return web.json_response({"error": "Too many open event streams."}, status=429)
        cursor = read_cursor(request.headers.get("Last-Event-ID") or request.query.get("after"))
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        wakeup = asyncio.Event()
        wakeups = self._wakeups.setdefault(session_id, set())
        wakeups.add(wakeup)
        self._streams += 1
        try:
            await response.write(b": connected\n\n")
            while not self._closing:
                wakeup.clear()
                for row in await self._pushes(session_id, cursor):
                    cursor = row.id
                    payload = json.dumps({"text": row.text, "buttons": []}, ensure_ascii=False)
                    await response.write(f"id: {row.id}\ndata: {payload}\n\n".encode())
                if cursor is None:
                    cursor = await self._latest_id(session_id)
                try:
                    await asyncio.wait_for(wakeup.wait(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    # Keeps proxies and mobile networks from closing an idle stream.
                    await response.write(b": ping\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._streams -= 1
            wakeups.discard(wakeup)
            if not wakeups:
                self._wakeups.pop(session_id, None)
        return response

    async def _pushes(self, session_id: str, cursor: int | None) -> list[Interaction]:
        if cursor is None:
            return []
        async with self._sessions() as session:
            contact = await find_contact(session, CHANNEL, session_id)
            return await pushed_after(session, contact.id, cursor) if contact else []

    async def _latest_id(self, session_id: str) -> int:
        async with self._sessions() as session:
            contact = await find_contact(session, CHANNEL, session_id)
            return await latest_interaction_id(session, contact.id) if contact else 0

    async def send_delivery(
        self, external_id: str, replies: Sequence[Reply], lane: int
    ) -> SendOutcome:
        """A web delivery is the logged message itself: the outbox writes it, and the
        page reads it from the log (`delivered` wakes the page)."""
        return SendOutcome(SENT)

    def delivered(self, external_ids: Sequence[str]) -> None:
        """Wake the open pages of these sessions; their messages are in the log."""
        for external_id in external_ids:
            for wakeup in self._wakeups.get(external_id, ()):
                wakeup.set()

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.close_streams()

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.flush_dropped()

    async def flush_dropped(self) -> None:
        """Log the flood messages refused here and not yet written (at shutdown, once
        the last request is answered)."""
        await self._dropped.flush()

    def close_streams(self) -> None:
        """End every open event stream, so shutdown need not wait for them."""
        self._closing = True
        self._closed.set()
        for wakeups in self._wakeups.values():
            for wakeup in wakeups:
                wakeup.set()
