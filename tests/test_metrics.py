"""`GET /metrics` (Prometheus text, bearer METRICS_TOKEN) and what `/healthz` reports:
the outbox depth and age, and each channel's last successful poll."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import ChungSuc
from bot.config import Settings, SettingsError, load_settings
from bot.metrics import RowTally
from storage.deliveries import delivery_row, queue_deliveries
from storage.inbound import keep_inbound, set_aside
from storage.models import Contact
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_channel import TelegramUser, telegram_settings

TOKEN = "metrics-token-0123456789abcdef"
SESSION = "metricsSessionIdForTests_0123"
NAMES = {
    "chungsuc_updates_in",
    "chungsuc_replies_out",
    "chungsuc_turn_errors",
    "chungsuc_log_errors",
    "chungsuc_answers",
    "chungsuc_handoffs",
    "chungsuc_answer_fallback_ratio",
    "chungsuc_outbox_depth",
    "chungsuc_outbox_oldest_age_seconds",
    "chungsuc_inbound_unhandled",
    "chungsuc_dead_letters",
    "chungsuc_channel_last_success_timestamp_seconds",
    "chungsuc_database_up",
}


def with_metrics(settings: Settings, **extra: object) -> Settings:
    return load_settings(
        database_url=settings.database_url,
        web_port=0,
        media_dir=settings.media_dir,
        metrics_token=TOKEN,
        **extra,
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def running(settings: Settings, clock: Clock) -> ChungSuc:
    app = ChungSuc(settings, clock=clock)
    await app.start(migrate=False)
    return app


async def scrape(http: aiohttp.ClientSession, app: ChungSuc) -> dict[str, float]:
    """The samples of /metrics, by name and labels (`name{label="v"}`)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with http.get(f"http://127.0.0.1:{app.port}/metrics", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return samples


async def test_metrics_are_off_without_a_token(
    settings: Settings, clock: Clock, http: aiohttp.ClientSession
) -> None:
    app = await running(settings, clock)
    try:
        async with http.get(f"http://127.0.0.1:{app.port}/metrics") as response:
            assert response.status == 404
    finally:
        await app.stop()


async def test_metrics_refuse_a_missing_or_wrong_token(
    settings: Settings, clock: Clock, http: aiohttp.ClientSession
) -> None:
    app = await running(with_metrics(settings), clock)
    url = f"http://127.0.0.1:{app.port}/metrics"
    try:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token-0123456789abcdef"},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": f"Bearer {TOKEN}x"},
        ):
            async with http.get(url, headers=headers) as response:
                assert response.status == 401
                assert "chungsuc_" not in await response.text()
    finally:
        await app.stop()


async def test_metrics_count_messages_answers_errors_and_the_outbox(
    settings: Settings, clock: Clock, http: aiohttp.ClientSession
) -> None:
    app = await running(with_metrics(settings), clock)
    base = f"http://127.0.0.1:{app.port}"
    try:
        for text in ("/start", "ke hoach 861 ban hanh ngay nao"):
            body = {"session_id": SESSION, "text": text}
            async with http.post(f"{base}/api/chat/messages", json=body) as response:
                assert response.status == 200
        await queue_pending_delivery(app, clock.now)
        clock.advance(minutes=5)
        logging.getLogger("handlers.engine").error("turn failed for web:test")
        poison = await keep_inbound(app.sessions, "zalo", "poison", {"x": 1}, clock.now)
        assert poison is not None
        assert await set_aside(app.sessions, poison, "fails every time", clock.now)
        first = await scrape(http, app)
        assert {name.split("{")[0].removesuffix("_total") for name in first} >= NAMES - {
            "chungsuc_channel_last_success_timestamp_seconds"
        }
        assert first['chungsuc_updates_in_total{channel="web"}'] == 2
        assert first['chungsuc_replies_out_total{channel="web"}'] >= 2
        assert first["chungsuc_answers_total"] == 1
        assert first["chungsuc_answer_fallback_ratio"] == 0.0
        assert first["chungsuc_turn_errors_total"] == 1
        assert first['chungsuc_log_errors_total{logger="handlers.engine"}'] == 1
        assert first["chungsuc_outbox_depth"] == 1
        assert first["chungsuc_outbox_oldest_age_seconds"] == 300
        assert first["chungsuc_database_up"] == 1
        assert first["chungsuc_dead_letters"] == 1
        assert first["chungsuc_inbound_unhandled"] == 0

        again = await scrape(http, app)
        assert again['chungsuc_updates_in_total{channel="web"}'] == 2, "each row counted once"
        body = {"session_id": SESSION, "text": "/help"}
        async with http.post(f"{base}/api/chat/messages", json=body) as response:
            assert response.status == 200
        await scrape(http, app)
        later = await scrape(http, app)
        assert later['chungsuc_updates_in_total{channel="web"}'] == 3
    finally:
        await app.stop()


async def queue_pending_delivery(app: ChungSuc, now: datetime) -> None:
    """A notice to a Zalo contact: no Zalo channel runs here, so it stays pending."""
    async with app.sessions.begin() as session:
        contact = Contact(channel="zalo", external_id="zalo-user-1")
        session.add(contact)
        await session.flush()
        await queue_deliveries(session, [delivery_row(contact, [{"text": "Tin mới"}], now)])


async def test_healthz_shows_the_outbox_depth_and_age(
    settings: Settings, clock: Clock, http: aiohttp.ClientSession
) -> None:
    app = await running(settings, clock)
    try:
        url = f"http://127.0.0.1:{app.port}/healthz"
        async with http.get(url) as response:
            body = await response.json()
        assert response.status == 200
        assert body == {
            "status": "ok",
            "outbox": {"depth": 0, "oldest_seconds": None},
            "channels": {},
        }
        await queue_pending_delivery(app, clock.now)
        clock.advance(seconds=90)
        async with http.get(url) as response:
            body = await response.json()
        assert response.status == 200
        assert body["outbox"] == {"depth": 1, "oldest_seconds": 90.0}
    finally:
        await app.stop()


async def test_healthz_and_metrics_show_when_telegram_last_polled(
    settings: Settings, clock: Clock, http: aiohttp.ClientSession
) -> None:
    async with FakeTelegramAPI(rate_limits=False) as fake:
        app = await running(telegram_settings(settings, fake, metrics_token=TOKEN), clock)
        try:
            await TelegramUser(fake).say("/start")
            async with http.get(f"http://127.0.0.1:{app.port}/healthz") as response:
                body = await response.json()
            assert response.status == 200
            polled = body["channels"]["telegram"]["last_success"]
            assert polled is not None and datetime.fromisoformat(polled).tzinfo is not None
            samples = await scrape(http, app)
            seen = samples['chungsuc_channel_last_success_timestamp_seconds{channel="telegram"}']
            assert seen > 0
            assert samples['chungsuc_updates_in_total{channel="telegram"}'] == 1
        finally:
            await app.stop()


def test_a_row_tally_counts_each_row_once_a_look_behind() -> None:
    tally = RowTally()
    assert tally.window(10) == (0, 10), "the first look counts what is there"
    tally.done(10, 10)
    assert tally.window(15) == (10, 10), "then rows up to what the last look saw"
    tally.done(10, 15)
    assert tally.window(15) == (10, 15)
    tally.done(15, 15)
    assert tally.window(12) == (15, 15), "rows deleted meanwhile change nothing"


def test_a_short_metrics_token_is_refused(env_clean: pytest.MonkeyPatch) -> None:
    env_clean.setenv("METRICS_TOKEN", "short")
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        load_settings()
