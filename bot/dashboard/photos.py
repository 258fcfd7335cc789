"""A submission's photos on the dashboard: full size, and thumbnails made with Pillow
once and cached. Served only to officers covering the nomination the photo belongs to."""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict

from aiohttp import web
from PIL import Image

from bot.channels.web_photos import TOKEN
from bot.dashboard import PREFIX, Dashboard
from bot.dashboard.auth import SignedIn, guarded
from storage.media import media_by_token
from storage.models import Media, Nomination

THUMB_SIDE = 320
# About 20 kB each: a few megabytes of memory for the photos officers are looking at.
THUMBS_KEPT = 500
PHOTO_HEADERS = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}


def make_thumbnail(data: bytes) -> bytes:
    """A JPEG at most THUMB_SIDE on its longest side (CPU-bound: run in a thread)."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (THUMB_SIDE, THUMB_SIDE))
        small = image.convert("RGB")
        small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


class Thumbnails:
    """Thumbnails by content hash, the most recently used kept in memory: never on disk,
    so a photo erased with its owner's data leaves no small copy behind."""

    def __init__(self, keep: int = THUMBS_KEPT) -> None:
        self._keep = keep
        self._cache: OrderedDict[str, bytes] = OrderedDict()

    async def of(self, dashboard: Dashboard, media: Media) -> bytes | None:
        """The thumbnail of a stored photo; None when its file is gone or unreadable."""
        cached = self._cache.get(media.sha256)
        if cached is not None:
            self._cache.move_to_end(media.sha256)
            return cached
        data = await dashboard.media.read(media)
        if data is None:
            return None
        try:
            small = await asyncio.to_thread(make_thumbnail, data)
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        self._cache[media.sha256] = small
        while len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        return small


async def _photo(request: web.Request, signed: SignedIn) -> Media:
    """The photo asked for, if it belongs to a nomination the officer covers; 404
    (audited) otherwise."""
    token = request.match_info["token"]
    dashboard = signed.dashboard
    async with dashboard.sessions.begin() as session:
        media = await media_by_token(session, token) if TOKEN.match(token) else None
        nomination = (
            await session.get(Nomination, media.nomination_id)
            if media is not None and media.nomination_id is not None
            else None
        )
        allowed = nomination is not None and signed.scope.covers(nomination)
        if not allowed:
            signed.audit(
                session,
                "dashboard.refused",
                target=nomination.code if nomination else None,
                page="photo",
                reason="not_found",
            )
    if media is None or not allowed:
        raise dashboard.not_found(request, signed)
    return media


@guarded("review.photo")
async def photo(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    media = await _photo(request, signed)
    headers = {**PHOTO_HEADERS, "Content-Type": media.content_type}
    return web.FileResponse(signed.dashboard.media.path_for(media), headers=headers)


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    thumbnails = Thumbnails()

    @guarded("review.thumbnail")
    async def thumbnail(request: web.Request, signed: SignedIn) -> web.StreamResponse:
        small = await thumbnails.of(signed.dashboard, await _photo(request, signed))
        if small is None:
            raise web.HTTPNotFound()
        return web.Response(body=small, content_type="image/jpeg", headers=PHOTO_HEADERS)

    return [
        web.get(PREFIX + "/photos/{token}", photo),
        web.get(PREFIX + "/photos/{token}/thumb", thumbnail),
    ]
