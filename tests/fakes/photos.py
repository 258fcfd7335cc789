"""Photos as phones make them, for tests: real JPEG bytes with the EXIF a camera writes
(where it was taken, which way up, what took it)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy.engine import make_url

from handlers.engine import Engine
from handlers.types import Incoming, Reply

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
# Somewhere in Quảng Trị, as degrees, minutes, seconds.
LATITUDE = (16.0, 45.0, 12.5)
LONGITUDE = (107.0, 11.0, 3.2)


def camera_jpeg(
    width: int = 1600,
    height: int = 1200,
    *,
    orientation: int = 1,
    colour: tuple[int, int, int] = (40, 140, 60),
) -> bytes:
    """A JPEG with a GPS position, the camera's make and an orientation in its EXIF, and
    an XMP packet and a comment besides."""
    image = Image.new("RGB", (width, height), colour)
    # A darker top half, so that turning the photo the right way up can be seen.
    image.paste((10, 40, 20), (0, 0, width, height // 2))
    exif = Image.Exif()
    exif[MAKE] = "PhoneCam"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: LATITUDE, 3: "E", 4: LONGITUDE}
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        quality=90,
        exif=exif,
        comment=b"taken at home",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">home</x:xmpmeta>',
    )
    return out.getvalue()


def png_image(width: int = 400, height: int = 300, *, alpha: bool = False) -> bytes:
    """A PNG screenshot-like image, with a text chunk."""
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (200, 200, 240))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made on my phone")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def media_beside(database_url: str) -> Path:
    """Where a test service keeps photos: beside its SQLite file, in the test's own
    temporary folder (never the working tree's var/)."""
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise ValueError("a test database on disk is needed to place the media folder")
    return Path(database).parent / "media"


def watch_engine(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    """Every Incoming the engine is handed from now on, in order: what a channel made of
    what the person sent."""
    seen: list[Incoming] = []
    handle_many = engine.handle_many

    async def recording(incomings: Sequence[Incoming]) -> list[list[Reply]]:
        seen.extend(incomings)
        return await handle_many(incomings)

    monkeypatch.setattr(engine, "handle_many", recording)
    return seen
