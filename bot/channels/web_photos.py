"""Photos over HTTP: the web chat's upload, and stored photos served by their token.

A stored photo is served only at `/media/<token>`, the token being unguessable; it goes
to whoever holds the link (a web page showing it, Zalo fetching a photo the bot sends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from bot.media import MediaStore
from storage.db import Sessions
from storage.media import media_by_token

MEDIA_PATH = "/media/"
# A little above the 5 MB a photo may have, for the multipart framing and the session
# id; anything larger is refused before it is read.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024 + 512 * 1024
MAX_FIELD_BYTES = 256
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,48}$")
SERVED_HEADERS = {
    "Cache-Control": "private, max-age=86400",
    "X-Content-Type-Options": "nosniff",
}


def media_link(ref: str | None, base: str = "") -> str | None:
    """Where a reply's photo is fetched from: `media:<token>` becomes `<base>/media/<token>`,
    any other reference stays as it is."""
    if ref is None or not ref.startswith("media:"):
        return ref
    return f"{base}{MEDIA_PATH}{ref.removeprefix('media:')}"


class UploadTooLarge(Exception):
    """The upload is larger than MAX_UPLOAD_BYTES."""


@dataclass(frozen=True)
class Upload:
    """What the page posted: the session id field and the photo's bytes (None when
    there was no file part)."""

    session_id: str | None
    photo: bytes | None


async def read_upload(request: web.Request) -> Upload:
    """Read a multipart upload part by part, never more than MAX_UPLOAD_BYTES in all
    (aiohttp's own body limit applies to `post()`, which would spool every file)."""
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise UploadTooLarge
    reader = await request.multipart()
    session_id: str | None = None
    photo: bytes | None = None
    budget = MAX_UPLOAD_BYTES
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "photo" and part.filename is not None and photo is None:
            photo = await _read_capped(part, budget)
            budget -= len(photo)
        elif part.name == "session_id" and session_id is None:
            raw = await _read_capped(part, min(budget, MAX_FIELD_BYTES))
            budget -= len(raw)
            session_id = raw.decode("utf-8", "replace")
        else:
            budget -= len(await _read_capped(part, budget))
    return Upload(session_id, photo)


async def _read_capped(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise UploadTooLarge
    return bytes(data)


class MediaFiles:
    """`GET /media/{token}`: a stored photo, with its type, cacheable by the browser."""

    def __init__(self, store: MediaStore, sessions: Sessions) -> None:
        self._store = store
        self._sessions = sessions

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(MEDIA_PATH + "{token}", self.serve)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not TOKEN.match(token):
            raise web.HTTPNotFound()
        async with self._sessions() as session:
            media = await media_by_token(session, token)
        if media is None:
            raise web.HTTPNotFound()
        # A file that went missing answers 404 too (FileResponse checks, off the loop).
        headers = {**SERVED_HEADERS, "Content-Type": media.content_type}
        return web.FileResponse(self._store.path_for(media), headers=headers)
