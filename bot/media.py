"""The media store: photos people send, cleaned and kept on disk, with a row each.

Every photo is opened with Pillow and encoded again, which applies its EXIF orientation
and drops all its metadata (EXIF with GPS position, XMP, comments, colour profile after
converting to sRGB); anything wider or taller than MAX_SIDE is scaled down. The file is
named by the hash of what was written, `<root>/<sha[:2]>/<sha>.<ext>`, so the same photo
sent twice is one file; each sending is its own row, with its own unguessable token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from handlers.locks import KeyedLocks
from storage.db import Sessions
from storage.media import add_media, delete_media, shas_in_use, stray_media
from storage.models import Media, utcnow

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
# Longest side kept: sharp on any phone and on a printed A4 page.
MAX_SIDE = 2560
# Refused before decoding: a small file can still unpack into gigabytes of pixels.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
TOO_LARGE = "too_large"
NOT_IMAGE = "not_image"
# Photos nobody took (sent outside a form, or a form abandoned) are kept this long.
STRAY_AFTER = timedelta(days=1)
PURGE_EVERY = timedelta(days=1)
# The first purge waits a little, so that starting the service stays quick.
FIRST_PURGE_SECONDS = 60.0
# Files younger than this are never swept: their row may be about to be written.
SWEEP_GRACE_SECONDS = 3600.0
# Photos decoded at once: each takes up to a second of CPU and a hundred MB of memory.
ENCODE_AT_ONCE = 2


@dataclass(frozen=True)
class Kept:
    """What became of a photo: the token of its row, or why it was refused
    (`too_large`, `not_image`)."""

    token: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Encoded:
    """A photo as it is stored."""

    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def encode(data: bytes) -> Encoded | str:
    """The photo cleaned and re-encoded, or TOO_LARGE / NOT_IMAGE. Recognised by its
    content (JPEG, PNG, WebP, GIF), whatever its name said. CPU-bound: run in a thread."""
    if len(data) > MAX_BYTES:
        return TOO_LARGE
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                return TOO_LARGE
            source_format = opened.format
            if source_format == "JPEG":
                # Decodes a large JPEG at a fraction of its size, never above MAX_SIDE less.
                opened.draft("RGB", (MAX_SIDE, MAX_SIDE))
            image = ImageOps.exif_transpose(opened)
            return _clean(image, keep_png=source_format == "PNG")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_LARGE
    except Exception:
        # Pillow raises many kinds of errors on broken or hostile files; all mean the same.
        return NOT_IMAGE


def _clean(image: Image.Image, keep_png: bool) -> Encoded:
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = _to_srgb(image.convert("RGBA" if alpha else "RGB"))
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Only the pixels are copied across: no EXIF, XMP, ICC or text chunk can follow.
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    if keep_png or alpha:
        out = io.BytesIO()
        bare.save(out, "PNG")
        if alpha or out.tell() <= MAX_BYTES:
            return Encoded(out.getvalue(), "image/png", bare.width, bare.height)
    out = io.BytesIO()
    bare.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Encoded(out.getvalue(), "image/jpeg", bare.width, bare.height)


def _to_srgb(image: Image.Image) -> Image.Image:
    # The colour profile is dropped with the rest of the metadata; converting first keeps
    # the colours a wide-gamut phone camera recorded from looking washed out.
    profile = image.info.get("icc_profile")
    if not profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _write_once(path: Path, data: bytes) -> None:
    """Write `data` to `path` unless it is there: to a temporary file in the same folder,
    flushed to disk, then renamed, so a reader never sees half a file."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class MediaStore:
    """Keeps photos under `root` with a Media row each; serves their paths."""

    def __init__(
        self, root: Path, sessions: Sessions, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.root = root
        self._sessions = sessions
        self._clock = clock
        # Per content hash: a file is not deleted while a row naming it is being written.
        self._files = KeyedLocks()
        self._encoding = asyncio.Semaphore(ENCODE_AT_ONCE)

    async def keep(self, data: bytes, platform_ref: str | None = None) -> Kept:
        """Clean and store a photo; its row belongs to nobody until a journey takes it.
        `platform_ref` is a Telegram file id, for sending it again without uploading."""
        async with self._encoding:
            encoded = await asyncio.to_thread(encode, data)
        if isinstance(encoded, str):
            return Kept(problem=encoded)
        sha = encoded.sha256
        token = secrets.token_urlsafe(24)
        async with self._files.get(("media", sha)):
            path = self._path(sha, encoded.content_type)
            await asyncio.to_thread(_write_once, path, encoded.data)
            async with self._sessions.begin() as session:
                await add_media(
                    session,
                    token=token,
                    sha256=sha,
                    content_type=encoded.content_type,
                    size=len(encoded.data),
                    width=encoded.width,
                    height=encoded.height,
                    platform_ref=platform_ref,
                    created_at=self._clock(),
                )
        return Kept(token=token)

    def path_for(self, media: Media) -> Path:
        """Where the file of a stored photo is."""
        return self._path(media.sha256, media.content_type)

    def _path(self, sha: str, content_type: str) -> Path:
        return self.root / sha[:2] / f"{sha}.{EXTENSIONS.get(content_type, 'bin')}"

    async def read(self, media: Media) -> bytes | None:
        """The stored file's bytes, or None when it is gone."""
        try:
            return await asyncio.to_thread(self.path_for(media).read_bytes)
        except OSError:
            return None

    async def remove_files(self, shas: Iterable[str]) -> None:
        """Delete the files of these hashes that no Media row names any more (call it
        after the transaction that deleted the rows has committed)."""
        for sha in sorted(set(shas)):
            async with self._files.get(("media", sha)):
                async with self._sessions() as session:
                    if await shas_in_use(session, [sha]):
                        continue
                await asyncio.to_thread(self._unlink_all, sha)

    def _unlink_all(self, sha: str) -> None:
        for extension in set(EXTENSIONS.values()):
            with contextlib.suppress(FileNotFoundError):
                (self.root / sha[:2] / f"{sha}.{extension}").unlink()

    async def purge(self) -> int:
        """Delete photos nobody took within STRAY_AFTER, and files whose rows went
        another way (a person's erasure, a photo a journey declined); returns how many
        rows went."""
        async with self._sessions.begin() as session:
            strays = await stray_media(session, self._clock() - STRAY_AFTER)
            shas = await delete_media(session, [media.token for media in strays])
        await self.remove_files(shas)
        await self._sweep()
        return len(strays)

    async def _sweep(self) -> None:
        files = await asyncio.to_thread(self._old_files)
        for start in range(0, len(files), 500):
            chunk = files[start : start + 500]
            async with self._sessions() as session:
                used = await shas_in_use(session, [path.stem for path in chunk])
            await self.remove_files(p.stem for p in chunk if p.stem not in used)

    def _old_files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        cutoff = time.time() - SWEEP_GRACE_SECONDS
        found = []
        for path in self.root.glob("??/*.*"):
            with contextlib.suppress(OSError):
                if not path.name.startswith(".") and path.stat().st_mtime < cutoff:
                    found.append(path)
        return found


class MediaPurge:
    """Runs `MediaStore.purge` daily in the background while the service runs."""

    def __init__(self, store: MediaStore, first_seconds: float = FIRST_PURGE_SECONDS) -> None:
        self._store = store
        self._first = first_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="media-purge")

    async def _run(self) -> None:
        await asyncio.sleep(self._first)
        while True:
            try:
                purged = await self._store.purge()
                if purged:
                    log.info("purged %d photos nobody took", purged)
            except Exception:
                # The database away, say: tomorrow's purge catches up.
                log.exception("purging stray photos failed")
            await asyncio.sleep(PURGE_EVERY.total_seconds())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
