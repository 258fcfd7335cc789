"""Files sent in chat, served by their token at `/files/{token}`: the web page's download
links and the links Zalo shows. Unknown and expired tokens are 404, and nothing is cached
on the way: the file may be someone's own data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from bot.documents import DocumentSweeper
from storage.db import Sessions
from storage.documents import document_by_token

FILES_PATH = "/files/"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,48}")
SERVED_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # An HTML notice opened from here runs nothing and reaches nothing of this site.
    "Content-Security-Policy": "sandbox",
    "Referrer-Policy": "no-referrer",
}


def file_link(token: str, base: str = "") -> str:
    """Where a stored file is fetched: `<base>/files/<token>`."""
    return f"{base.rstrip('/')}{FILES_PATH}{token}"


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` naming the file: an ASCII fallback for old
    clients, and the real (Vietnamese) name as RFC 6266 `filename*`."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class DocumentFiles:
    """`GET /files/{token}`; expired documents are swept while the server runs."""

    def __init__(self, sessions: Sessions, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock
        self.sweeper = DocumentSweeper(sessions, clock)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(FILES_PATH + "{token}", self.serve)
        app.cleanup_ctx.append(self.sweeper.running)

    async def serve(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN.fullmatch(token):
            raise web.HTTPNotFound()
        async with self._sessions() as session:
            document = await document_by_token(session, token, self._clock())
        if document is None:
            raise web.HTTPNotFound()
        headers = {
            **SERVED_HEADERS,
            "Content-Type": document.content_type,
            "Content-Disposition": attachment_disposition(document.filename),
        }
        return web.Response(body=document.body, headers=headers)
