"""Photos on Zalo, against the fake Zalo Bot API: an image a person sends is fetched and
stored before their turn; a stored photo goes out by its public link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from bot.app import ChungSuc
from bot.config import Settings
from handlers.types import Incoming, Reply
from storage.media import media_by_token
from tests.conftest import Clock
from tests.fakes.photos import GPS_IFD, camera_jpeg, watch_engine
from tests.fakes.zalo_api import FakeZaloAPI
from tests.test_zalo_channel import USER, zalo_settings

PUBLIC_URL = "https://chungsuc.example.gov.vn"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloAPI]:
    api = FakeZaloAPI()
    await api.start()
    yield api
    await api.stop()


async def started(settings: Settings, fake: FakeZaloAPI, clock: Clock, **extra: Any) -> ChungSuc:
    app = ChungSuc(zalo_settings(settings, fake, **extra), clock=clock)
    await app.start(migrate=False)
    return app


@pytest.fixture
async def service(settings: Settings, fake: FakeZaloAPI, clock: Clock) -> AsyncIterator[ChungSuc]:
    app = await started(settings, fake, clock, public_url=PUBLIC_URL + "/")
    yield app
    await app.stop()


@pytest.fixture
def seen(service: ChungSuc, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    return watch_engine(service.engine, monkeypatch)


async def test_image_is_fetched_and_stored_before_the_turn(
    service: ChungSuc, fake: FakeZaloAPI, seen: list[Incoming]
) -> None:
    await fake.user_sends_photo(USER, camera_jpeg(), caption="Đường bê tông thôn 3")
    [reply] = await fake.wait_for_messages(USER, 1)
    assert reply.text
    [incoming] = seen
    assert incoming.text == "Đường bê tông thôn 3" and incoming.attachment is None
    assert len(fake.downloads) == 1
    async with service.sessions() as session:
        media = await media_by_token(session, incoming.media or "")
    assert media is not None and media.platform_ref is None
    with Image.open(service.media.path_for(media)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)


async def test_image_over_5_mb_is_refused_while_downloading(
    service: ChungSuc, fake: FakeZaloAPI, seen: list[Incoming]
) -> None:
    await fake.user_sends_photo(USER, camera_jpeg() + b"\0" * (6 * 1024 * 1024))
    await fake.wait_for_messages(USER, 1)
    assert (seen[0].attachment, seen[0].media) == ("too_large", None)


async def test_image_gone_from_zalo_still_gets_an_answer(
    service: ChungSuc, fake: FakeZaloAPI, seen: list[Incoming]
) -> None:
    # The link Zalo sent has expired by the time it is fetched.
    expired = fake.host_file(b"").rsplit("/", 1)[0] + "/expired"
    await fake.user_sends_image(USER, expired)
    await fake.wait_for_messages(USER, 1)
    assert (seen[0].attachment, seen[0].media) == ("unavailable", None)


@pytest.mark.parametrize(
    ("event", "attachment"),
    [
        ("message.sticker.received", "sticker"),
        ("message.voice.received", "voice"),
        ("message.unsupported.received", "other"),
    ],
)
async def test_sticker_and_voice_arrive_as_what_they_are(
    service: ChungSuc, fake: FakeZaloAPI, seen: list[Incoming], event: str, attachment: str
) -> None:
    await fake.user_sends_event(USER, event, {"sticker": "abc"})
    await fake.wait_for_messages(USER, 1)
    assert (seen[0].attachment, seen[0].text) == (attachment, None)


async def test_stored_photo_goes_out_by_its_public_link(
    service: ChungSuc, fake: FakeZaloAPI
) -> None:
    kept = await service.media.keep(camera_jpeg())
    assert service.zalo is not None
    await service.zalo.deliver(USER, [Reply("Thôn kiểu mẫu", photo=f"media:{kept.token}")])
    photo, text = await fake.wait_for_messages(USER, 2)
    assert photo.photo == f"{PUBLIC_URL}/media/{kept.token}"
    assert text.text == "Thôn kiểu mẫu"


async def test_without_a_public_address_the_words_go_alone(
    settings: Settings, fake: FakeZaloAPI, clock: Clock
) -> None:
    app = await started(settings, fake, clock)
    try:
        kept = await app.media.keep(camera_jpeg())
        assert app.zalo is not None
        await app.zalo.deliver(USER, [Reply("Thôn kiểu mẫu", photo=f"media:{kept.token}")])
        [text] = await fake.wait_for_messages(USER, 1)
        assert text.method == "sendMessage" and text.text == "Thôn kiểu mẫu"
    finally:
        await app.stop()
