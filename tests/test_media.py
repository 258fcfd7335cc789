"""The media store: photos kept cleaned of where they were taken, once per content, served
only by their token, and forgotten when nobody took them."""

from __future__ import annotations

import io
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.app import ChungSuc
from bot.config import Settings, load_settings
from bot.media import MAX_BYTES, MAX_SIDE, MediaStore
from storage.contacts import get_or_create_contact
from storage.db import Sessions, create_engine, create_sessions
from storage.media import (
    attach_media,
    delete_media,
    media_by_token,
    media_by_tokens,
    stray_media,
    take_media,
)
from storage.models import Media
from tests.conftest import Clock
from tests.fakes.photos import GPS_IFD, camera_jpeg, png_image


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(sqlite_url)
    yield create_sessions(engine)
    await engine.dispose()


@pytest.fixture
def store(tmp_path: Path, sessions: Sessions, clock: Clock) -> MediaStore:
    return MediaStore(tmp_path / "media", sessions, clock)


async def stored(store: MediaStore, sessions: Sessions, token: str | None) -> tuple[Media, Path]:
    assert token is not None
    async with sessions() as session:
        media = await media_by_token(session, token)
    assert media is not None
    return media, store.path_for(media)


async def rows(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Media)) or 0)


async def test_photo_is_kept_without_where_it_was_taken_and_the_right_way_up(
    store: MediaStore, sessions: Sessions
) -> None:
    original = camera_jpeg(1600, 1200, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD), "the test photo has GPS"
    kept = await store.keep(original)
    assert kept.problem is None
    media, path = await stored(store, sessions, kept.token)
    saved = path.read_bytes()
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert not image.getexif().get_ifd(GPS_IFD) and not dict(image.getexif())
        assert "icc_profile" not in image.info and "exif" not in image.info
        # Orientation 6: the camera was turned; the stored photo is upright, and portrait.
        assert image.size == (1200, 1600)
    assert b"taken at home" not in saved and b"xmpmeta" not in saved and b"PhoneCam" not in saved
    assert (media.content_type, media.width, media.height) == ("image/jpeg", 1200, 1600)
    assert media.size == len(saved) and media.contact_id is None
    assert path.parent.name == media.sha256[:2] and path.name == f"{media.sha256}.jpg"


async def test_large_photo_is_scaled_down_to_2560_pixels(
    store: MediaStore, sessions: Sessions
) -> None:
    kept = await store.keep(camera_jpeg(4000, 3000))
    media, path = await stored(store, sessions, kept.token)
    assert (media.width, media.height) == (MAX_SIDE, 1920)
    with Image.open(path) as image:
        assert image.size == (MAX_SIDE, 1920)


async def test_screenshot_stays_png_without_its_text(store: MediaStore, sessions: Sessions) -> None:
    kept = await store.keep(png_image(alpha=True))
    media, path = await stored(store, sessions, kept.token)
    assert media.content_type == "image/png" and path.suffix == ".png"
    assert b"made on my phone" not in path.read_bytes()
    with Image.open(path) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize(
    "data",
    [
        b"Day la mot tep van ban, khong phai anh.\n" * 20,
        b"%PDF-1.7\n" + b"0" * 400,
        camera_jpeg()[:600],
        b"",
    ],
    ids=["text-renamed-jpg", "pdf", "truncated-jpeg", "empty"],
)
async def test_what_is_not_a_photo_is_refused_by_its_content(
    store: MediaStore, sessions: Sessions, data: bytes
) -> None:
    kept = await store.keep(data)
    assert (kept.token, kept.problem) == (None, "not_image")
    assert await rows(sessions) == 0
    assert not store.root.exists() or not any(store.root.rglob("*.*"))


async def test_file_over_5_mb_is_refused(store: MediaStore, sessions: Sessions) -> None:
    kept = await store.keep(b"\xff\xd8" + b"0" * MAX_BYTES)
    assert (kept.token, kept.problem) == (None, "too_large")
    assert await rows(sessions) == 0


async def test_small_file_unpacking_into_huge_image_is_refused(store: MediaStore) -> None:
    image = Image.new("L", (10_000, 8_000))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    assert (await store.keep(out.getvalue())).problem == "too_large"


async def test_same_photo_sent_twice_is_one_file_with_two_tokens(
    store: MediaStore, sessions: Sessions
) -> None:
    photo = camera_jpeg()
    first, second = await store.keep(photo), await store.keep(photo, platform_ref="AgAC123")
    assert first.token != second.token
    one, path = await stored(store, sessions, first.token)
    two, same_path = await stored(store, sessions, second.token)
    assert path == same_path and len(list(store.root.rglob("*.jpg"))) == 1
    assert (one.platform_ref, two.platform_ref) == (None, "AgAC123")
    assert len(first.token or "") >= 32, "at least 128 bits, URL-safe"


async def test_file_goes_once_no_row_names_it(store: MediaStore, sessions: Sessions) -> None:
    photo = camera_jpeg()
    first, second = await store.keep(photo), await store.keep(photo)
    _, path = await stored(store, sessions, first.token)
    async with sessions.begin() as session:
        shas = await delete_media(session, [first.token or ""])
    await store.remove_files(shas)
    assert path.exists(), "the second sending still names it"
    async with sessions.begin() as session:
        shas = await delete_media(session, [second.token or ""])
    await store.remove_files(shas)
    assert not path.exists()


async def test_photos_nobody_took_are_forgotten_after_a_day(
    store: MediaStore, sessions: Sessions, clock: Clock
) -> None:
    taken = await store.keep(camera_jpeg(colour=(200, 10, 10)))
    stray = await store.keep(camera_jpeg(colour=(10, 10, 200)))
    async with sessions.begin() as session:
        lan = await get_or_create_contact(session, "web", "l" * 24, now=clock())
        assert await take_media(session, taken.token or "", lan.id) is not None
    _, stray_path = await stored(store, sessions, stray.token)
    clock.advance(hours=23)
    assert await store.purge() == 0
    clock.advance(hours=2)
    assert await store.purge() == 1
    assert not stray_path.exists()
    async with sessions() as session:
        assert await media_by_token(session, stray.token or "") is None
        assert await media_by_token(session, taken.token or "") is not None


async def test_purge_sweeps_old_files_whose_rows_went_another_way(
    store: MediaStore, sessions: Sessions
) -> None:
    kept = await store.keep(camera_jpeg())
    _, path = await stored(store, sessions, kept.token)
    async with sessions.begin() as session:
        # A journey declining the photo deletes its row inside a turn (no file I/O there).
        await delete_media(session, [kept.token or ""])
    await store.purge()
    assert path.exists(), "a file this young may be about to get its row"
    hours_ago = time.time() - 2 * 3600
    os.utime(path, (hours_ago, hours_ago))
    await store.purge()
    assert not path.exists()


@pytest.fixture
async def storage_sessions(storage_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(storage_url)
    yield create_sessions(engine)
    await engine.dispose()


async def test_a_photo_belongs_to_whoever_took_it_first(
    storage_sessions: Sessions, tmp_path: Path, clock: Clock
) -> None:
    store = MediaStore(tmp_path / "media", storage_sessions, clock)
    kept = [await store.keep(camera_jpeg(colour=(i * 40, 90, 90))) for i in range(3)]
    tokens = [k.token or "" for k in kept]
    async with storage_sessions.begin() as session:
        lan = await get_or_create_contact(session, "web", "l" * 24, now=clock())
        hung = await get_or_create_contact(session, "web", "h" * 24, now=clock())
        assert await take_media(session, "no-such-token", lan.id) is None
        mine = await take_media(session, tokens[0], lan.id)
        assert mine is not None and mine.contact_id == lan.id
        assert await take_media(session, tokens[0], lan.id) is not None, "taking again is fine"
        assert await take_media(session, tokens[0], hung.id) is None
        assert await take_media(session, tokens[1], lan.id) is not None
    async with storage_sessions.begin() as session:
        assert [m.token for m in await media_by_tokens(session, [tokens[1], "x", tokens[0]])] == [
            tokens[1],
            tokens[0],
        ]
        strays = await stray_media(session, clock() + timedelta(seconds=1))
        assert [m.token for m in strays] == [tokens[2]]
        shas = await delete_media(session, [tokens[2]])
        assert len(shas) == 1 and shas[0] == strays[0].sha256
        assert await attach_media(session, [], 1) == 0


@pytest.fixture
async def served(
    settings: Settings, clock: Clock, tmp_path: Path
) -> AsyncIterator[tuple[ChungSuc, str]]:
    app = ChungSuc(
        load_settings(database_url=settings.database_url, web_port=0, media_dir=tmp_path / "media"),
        clock=clock,
    )
    await app.start(migrate=False)
    yield app, f"http://127.0.0.1:{app.port}"
    await app.stop()


async def test_stored_photo_is_served_by_its_token_only(
    served: tuple[ChungSuc, str],
) -> None:
    app, base = served
    kept = await app.media.keep(camera_jpeg())
    token = kept.token or ""
    near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/media/{kept.token}") as response:
            body = await response.read()
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.headers["Cache-Control"] == "private, max-age=86400"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert Image.open(io.BytesIO(body)).size == (1600, 1200)
        for wrong in ["A" * 32, "..%2F..%2Fetc%2Fpasswd", "short", near_miss]:
            async with http.get(f"{base}/media/{wrong}") as response:
                assert response.status == 404
