"""Photos in the web chat: the page's upload endpoint, against the real server."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bot.app import ChungSuc
from bot.config import Settings, load_settings
from handlers.types import Incoming, Reply
from storage.media import media_by_token
from tests.conftest import Clock
from tests.fakes.photos import GPS_IFD, camera_jpeg, watch_engine

SESSION = "s3cretSessionIdForTests_0123"


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


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def seen(served: tuple[ChungSuc, str], monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    return watch_engine(served[0].engine, monkeypatch)


async def upload(
    http: aiohttp.ClientSession,
    base: str,
    data: bytes,
    session_id: str = SESSION,
    filename: str = "IMG_0001.jpg",
) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    form.add_field("session_id", session_id)
    # A stream, as a browser sends it: aiohttp refuses large raw bytes in a form.
    form.add_field("photo", io.BytesIO(data), filename=filename, content_type="image/jpeg")
    async with http.post(f"{base}/api/chat/photo", data=form) as response:
        return response.status, await response.json()


async def test_uploaded_photo_is_stored_and_answered_like_a_message(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession, seen: list[Incoming]
) -> None:
    app, base = served
    status, body = await upload(http, base, camera_jpeg())
    assert status == 200
    assert body["replies"] and body["replies"][0]["text"] and body["language"] == "vi"
    [incoming] = seen
    assert (incoming.channel, incoming.external_id) == ("web", SESSION)
    async with app.sessions() as session:
        media = await media_by_token(session, incoming.media or "")
    assert media is not None
    with Image.open(app.media.path_for(media)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)


async def test_text_file_renamed_jpg_is_not_a_photo(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession, seen: list[Incoming]
) -> None:
    _, base = served
    status, body = await upload(http, base, b"Danh sach ho dan thon 3\n" * 40, filename="ds.jpg")
    assert status == 200 and body["replies"]
    assert (seen[0].attachment, seen[0].media) == ("not_image", None)


async def test_photo_just_over_5_mb_is_refused_politely(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession, seen: list[Incoming]
) -> None:
    _, base = served
    status, body = await upload(http, base, camera_jpeg() + b"\0" * (5 * 1024 * 1024))
    assert status == 200 and body["replies"]
    assert (seen[0].attachment, seen[0].media) == ("too_large", None)


async def test_upload_far_over_the_limit_is_refused_before_it_is_read(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession, seen: list[Incoming]
) -> None:
    _, base = served
    status, body = await upload(http, base, b"\xff\xd8" + b"0" * (8 * 1024 * 1024))
    assert status == 413 and "5 MB" in body["error"]

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"0" * (1024 * 1024)

    # Sent in chunks, without a length up front: cut off once past the limit.
    form = aiohttp.FormData()
    form.add_field("session_id", SESSION)
    form.add_field("photo", chunks(), filename="big.jpg", content_type="image/jpeg")
    async with http.post(f"{base}/api/chat/photo", data=form) as response:
        assert response.status == 413
    assert seen == []


@pytest.mark.parametrize("session_id", ["short", "../../etc/passwd-000000000", ""])
async def test_guessable_session_ids_are_refused(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession, session_id: str
) -> None:
    app, base = served
    status, body = await upload(http, base, camera_jpeg(), session_id=session_id)
    assert status == 400 and "session_id" in body["error"]
    assert not app.media.root.exists(), "nothing was stored"


async def test_upload_without_a_photo_or_not_multipart_is_refused(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession
) -> None:
    _, base = served
    async with http.post(f"{base}/api/chat/photo", json={"session_id": SESSION}) as response:
        assert response.status == 400
    form = aiohttp.FormData({"session_id": SESSION})
    async with http.post(f"{base}/api/chat/photo", data=form) as response:
        assert response.status == 400


async def test_stored_photo_in_a_reply_points_at_this_server(
    served: tuple[ChungSuc, str], http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, base = served
    kept = await app.media.keep(camera_jpeg())

    async def with_photo(incomings: Any) -> list[list[Reply]]:
        return [[Reply("Ảnh của bạn", photo=f"media:{kept.token}")] for _ in incomings]

    monkeypatch.setattr(app.engine, "handle_many", with_photo)
    async with http.post(
        f"{base}/api/chat/messages", json={"session_id": SESSION, "text": "xem ảnh"}
    ) as response:
        [reply] = (await response.json())["replies"]
    assert reply["photo"] == f"/media/{kept.token}"
    async with http.get(base + reply["photo"]) as response:
        assert response.status == 200 and response.content_type == "image/jpeg"
