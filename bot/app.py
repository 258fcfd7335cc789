"""The composition root: builds the database, services, engine, channels and web server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy import select

from bot.broadcasts import BroadcastWorker
from bot.channels.telegram import TelegramChannel
from bot.channels.web import WebChat
from bot.channels.web_files import DocumentFiles
from bot.channels.web_photos import MediaFiles
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_client import ZaloBotClient
from bot.config import Settings
from bot.dashboard import Dashboard
from bot.digest import MonthlyDigest
from bot.drafts import DraftSweeper
from bot.media import MediaPurge, MediaStore
from bot.metrics import Metrics
from bot.outbox import Outbox
from bot.quiet import QuietHours
from bot.retention import Retention
from content.i18n import Catalogs
from content.kb import load_knowledge
from content.knowledge import Knowledge, officer_entry
from content.provinces import load_provinces
from handlers.engine import Engine
from handlers.locks import KeyedLocks
from handlers.registry import build_engine
from handlers.types import Services
from storage.db import create_engine, create_sessions, ping
from storage.deliveries import outbox_depth
from storage.migrate import upgrade
from storage.models import KnowledgeEntry, utcnow

log = logging.getLogger(__name__)

# How long shutdown waits for messages still being delivered (a platform asking us to
# retry later must not hold SIGTERM hostage).
DRAIN_SECONDS = 10.0


class ChungSuc:
    """One running service. `start()` migrates and serves; `stop()` undoes it all."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.db = create_engine(settings.database_url)
        self.sessions = create_sessions(self.db)
        locks = KeyedLocks()
        quiet = QuietHours()
        self.outbox = Outbox(self.sessions, clock, locks, self.db, quiet)
        provinces = load_provinces()
        self.knowledge = Knowledge(load_knowledge(), list(provinces.values()))
        self.services = Services(
            sessions=self.sessions,
            catalogs=Catalogs(),
            clock=clock,
            outbox=self.outbox,
            knowledge=self.knowledge,
            admins=frozenset((i.channel, i.external_id) for i in settings.admin_identities),
            provinces=tuple(provinces),
            default_province=settings.default_province,
            review_commune_tier=settings.review_commune_tier,
            public_url=settings.public_url,
        )
        self.engine: Engine = build_engine(
            self.services,
            numbered_channels=frozenset({"zalo"}),
            locks=locks,
            deferred_channels=frozenset({"telegram", "zalo"}),
        )
        self.media = MediaStore(settings.media_dir, self.sessions, clock)
        self.media_purge = MediaPurge(self.media)
        self.digest = MonthlyDigest(self.sessions, self.services.catalogs, clock)
        self.broadcasts = BroadcastWorker(
            self.sessions, self.outbox.wake, self.services.catalogs, clock, quiet
        )
        self.drafts = DraftSweeper(
            self.sessions,
            self.outbox,
            self.services.catalogs,
            clock,
            remove_files=self.media.remove_files,
        )
        self.web = WebChat(self.engine, self.sessions, self.media)
        self.outbox.register("web", self.web, self.web.delivered)
        # Photo uploads read their own body, capped at about 5 MB (bot/channels/web_photos.py).
        self.http = web.Application(client_max_size=256 * 1024)
        self.web.add_routes(self.http)
        MediaFiles(self.media, self.sessions).add_routes(self.http)
        # Files sent in chat; expired ones are swept while the server runs.
        DocumentFiles(self.sessions, clock).add_routes(self.http)
        self.telegram: TelegramChannel | None = None
        if settings.telegram_token:
            self.telegram = TelegramChannel(
                settings.telegram_token,
                self.engine,
                self.sessions,
                self.services.catalogs,
                base_url=settings.telegram_base_url,
                base_file_url=settings.resolved_telegram_base_file_url,
                webhook_url=settings.telegram_webhook_url,
                webhook_secret=settings.telegram_webhook_secret,
                send_rate=settings.telegram_send_rate,
                chat_rate=settings.telegram_chat_rate,
                media=self.media,
            )
            self.telegram.add_routes(self.http)
            self.outbox.register("telegram", self.telegram)
        self.zalo: ZaloChannel | None = None
        if settings.zalo_bot_token:
            self.zalo = ZaloChannel(
                ZaloBotClient(settings.zalo_bot_token, settings.zalo_base_url),
                self.engine,
                self.sessions,
                self.services.catalogs,
                webhook_secret=settings.zalo_webhook_secret,
                webhook_url=settings.zalo_webhook_url,
                send_rate=settings.zalo_send_rate,
                media=self.media,
                public_url=settings.public_url,
            )
            self.zalo.add_routes(self.http)
            self.outbox.register("zalo", self.zalo)
        self.dashboard = Dashboard(self.services, self.media)
        self.dashboard.telegram_username = self.telegram_username
        self.dashboard.add_routes(self.http)
        self.http.router.add_get("/healthz", self._healthz)
        self.retention = Retention(self.sessions, clock, settings.retention_days)
        # Without METRICS_TOKEN there is no /metrics at all (404).
        self.metrics: Metrics | None = None
        if settings.metrics_token:
            self.metrics = Metrics(self.sessions, clock, settings.metrics_token, self.last_success)
            self.metrics.add_routes(self.http)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, migrate: bool = True) -> None:
        """Apply migrations, then serve HTTP on WEB_HOST:WEB_PORT (port 0 picks a free one)."""
        if migrate:
            await upgrade(self.settings.database_url)
        await self.load_officer_knowledge()
        self._runner = web.AppRunner(self.http, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.web_host, self.settings.web_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.web_port
        log.info("web chat on http://%s:%s/", self.settings.web_host, self.port)
        for channel in self.channels:
            await channel.start()
        self.media_purge.start()
        self.drafts.start()
        self.retention.start()
        if self.metrics is not None:
            self.metrics.start()
        self.outbox.start()
        self.broadcasts.start()
        self.digest.start()

    @property
    def channels(self) -> list[TelegramChannel | ZaloChannel]:
        """The phone channels whose tokens are set."""
        return [c for c in (self.telegram, self.zalo) if c is not None]

    async def load_officer_knowledge(self) -> None:
        """Add the officer-written answers stored in the database to the index."""
        async with self.sessions() as session:
            rows = await session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.active))
            self.knowledge.set_officer_entries(
                officer_entry(
                    row_id=row.id,
                    province=row.province,
                    topic=row.topic,
                    question=row.question,
                    answer=row.answer,
                    author=row.author,
                    written_at=row.created_at,
                )
                for row in rows
            )

    async def stop(self) -> None:
        """Stop taking requests, let deliveries in flight finish, stop the channels, close
        the database. HTTP goes first: a webhook update refused now is sent again by the
        platform later, whereas one accepted during shutdown could be lost."""
        self.web.close_streams()
        await self.media_purge.stop()
        await self.drafts.stop()
        await self.retention.stop()
        if self.metrics is not None:
            self.metrics.stop()
        await self.digest.stop()
        await self.broadcasts.stop()
        await self.outbox.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.engine.drain(DRAIN_SECONDS)
        for channel in self.channels:
            await channel.stop()
        await self.engine.drain(DRAIN_SECONDS)
        await self.db.dispose()

    async def _healthz(self, _request: web.Request) -> web.Response:
        """200 when the database answers and every channel is listening, with the outbox
        depth and each channel's last successful poll or webhook; 503 saying what is wrong
        otherwise, so a monitor notices a channel that stopped on its own."""
        if not await ping(self.db):
            return web.json_response({"status": "database unreachable"}, status=503)
        problems = [problem for channel in self.channels if (problem := channel.problem)]
        if problems:
            return web.json_response({"status": "degraded", "problems": problems}, status=503)
        try:
            async with self.sessions() as session:
                depth, oldest = await outbox_depth(session)
        except Exception:
            return web.json_response({"status": "database unreachable"}, status=503)
        age = (self.services.clock() - oldest).total_seconds() if oldest is not None else None
        return web.json_response(
            {
                "status": "ok",
                "outbox": {
                    "depth": depth,
                    "oldest_seconds": None if age is None else max(round(age, 1), 0.0),
                },
                "channels": {
                    name: {"last_success": at.isoformat() if at is not None else None}
                    for name, at in self.last_success().items()
                },
            }
        )

    def telegram_username(self) -> str | None:
        """The Telegram bot's username, once its channel has connected; else None."""
        if self.telegram is None:
            return None
        try:
            return self.telegram.bot.username
        except RuntimeError:
            # PTB's Bot knows its username only after initialize() asked getMe.
            return None

    def last_success(self) -> dict[str, datetime | None]:
        """Each phone channel's last successful poll or webhook call."""
        named = {"telegram": self.telegram, "zalo": self.zalo}
        return {name: c.last_success for name, c in named.items() if c is not None}
