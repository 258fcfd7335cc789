"""The Zalo channel on the Zalo Bot API: long polling or webhook in, numbered menus out."""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from functools import partial

from aiohttp import web

from bot.channels.background import Poller, RetrySoon
from bot.channels.bodies import BadBody, read_json_object
from bot.channels.delivery import (
    ChannelStartError,
    SeenUpdates,
    numbered_menu,
    with_retries,
)
from bot.channels.outgoing import OwedReplies
from bot.channels.pacing import ANSWERS, Pacer
from bot.channels.text import split_text
from bot.channels.web_files import file_link
from bot.channels.web_photos import media_link
from bot.channels.zalo_client import (
    EVENT_IMAGE,
    EVENT_STICKER,
    EVENT_TEXT,
    EVENT_VOICE,
    MAX_TEXT_LENGTH,
    ZaloBotClient,
    ZaloError,
    ZaloFileTooLarge,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloUnauthorized,
    ZaloUpdate,
    parse_update,
)
from bot.media import MAX_BYTES, TOO_LARGE, MediaStore
from content.i18n import Catalogs
from handlers.engine import Engine
from handlers.locks import KeyedLocks
from handlers.types import Incoming, Reply
from storage.contacts import set_reachable
from storage.db import Sessions
from storage.deliveries import BLOCKED, FAILED, RETRY, SENT, SendOutcome
from storage.documents import DOCUMENT_LIFETIME
from storage.inbound import clear_inbound, keep_inbound, pending_inbound
from storage.models import utcnow

log = logging.getLogger(__name__)

CHANNEL = "zalo"
WEBHOOK_PATH = "/zalo/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_SECONDS = 30
# After a turn the database could not take, how long until stored updates are queued again.
RETRY_SECONDS = 5.0
# After replies could not be sent, how long until they are tried again.
RESEND_SECONDS = 60.0
MAX_BACKOFF = 30.0
# What an event other than text or an image carries, as `Incoming.attachment` names it.
ATTACHMENTS = {EVENT_STICKER: "sticker", EVENT_VOICE: "voice"}


class ZaloChannel:
    """Receives Zalo updates, runs them through the engine and sends the replies back."""

    def __init__(
        self,
        client: ZaloBotClient,
        engine: Engine,
        sessions: Sessions,
        catalogs: Catalogs,
        *,
        webhook_secret: str | None = None,
        webhook_url: str | None = None,
        send_rate: float = 20.0,
        media: MediaStore | None = None,
        public_url: str | None = None,
    ) -> None:
        self.client = client
        self._media = media
        # Zalo sends photos only by URL: a stored one needs the service's public address.
        self._public_url = public_url
        self._engine = engine
        self._sessions = sessions
        self._catalogs = catalogs
        self._webhook_secret = webhook_secret
        self._webhook_url = webhook_url
        self.limiter = Pacer(send_rate)
        self._seen = SeenUpdates()
        self._order = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()
        self._poller = Poller(self._poll, "zalo-poll")
        self._retry = RetrySoon(self.resume_pending, RETRY_SECONDS)
        self._owed = OwedReplies(sessions, CHANNEL, self._schedule_owed, _transient, RESEND_SECONDS)
        # When a poll or a webhook call last succeeded, for /healthz and /metrics.
        self.last_success: datetime | None = None

    def add_routes(self, app: web.Application) -> None:
        if self._webhook_secret:
            app.router.add_post(WEBHOOK_PATH, self.webhook)

    async def start(self) -> None:
        """Check the token, then poll, or register the webhook when configured."""
        try:
            me = await self.client.get_me()
        except ZaloUnauthorized:
            raise ChannelStartError(
                "Zalo refused ZALO_BOT_TOKEN: copy the token again from Zalo Bot Creator."
            ) from None
        except ZaloNetworkError as error:
            raise ChannelStartError(f"Zalo Bot API unreachable at ZALO_BASE_URL: {error}") from None
        log.info("Zalo bot %s (%s) connected", me.account_name, me.id)
        await self._owed.resend()
        await self.resume_pending()
        if self._webhook_secret:
            if self._webhook_url:
                await self.client.set_webhook(self._webhook_url, self._webhook_secret)
            return
        # Polling and a webhook exclude each other on Zalo's side.
        await self.client.delete_webhook()
        self._poller.start()

    @property
    def problem(self) -> str | None:
        """What keeps the channel from hearing people, for /healthz; None when all is well."""
        if self._poller.ended:
            return "zalo: polling stopped, the token was refused"
        return None

    async def stop(self) -> None:
        await self._retry.stop()
        await self._owed.stop_retrying()
        await self._poller.stop()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._owed.stop()
        await self.client.close()

    async def _poll(self) -> None:
        backoff = 1.0
        while True:
            try:
                update = await self.client.get_update(timeout=POLL_SECONDS)
                backoff = 1.0
                self.last_success = utcnow()
            except ZaloUnauthorized:
                log.error("Zalo token rejected while polling; the Zalo channel stops")
                return
            except Exception as error:
                # Whatever goes wrong with one poll, the channel keeps listening.
                log.warning("Zalo poll failed (%s); retrying in %.0f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if update is not None:
                await self.accept(update)

    async def accept(self, update: ZaloUpdate) -> None:
        """Keep the update, then handle it in the background: duplicates once, one
        person's updates in order, different people in parallel. It is stored before
        Zalo hears back, so a crash before its turn commits does not lose it."""
        if update.message_id and not self._seen.first_time(update.dedup_key):
            return
        # Without a message id a copy cannot be recognised; such an update gets its own key.
        key = update.dedup_key if update.message_id else uuid.uuid4().hex
        try:
            receipt = await keep_inbound(self._sessions, CHANNEL, key, asdict(update), utcnow())
        except Exception:
            # Zalo has already handed it over: handle it from memory rather than drop it.
            log.exception("could not store a Zalo update; handling it unstored")
            self._spawn(update, None)
            return
        if receipt is not None:  # None: a copy of one stored earlier, even before a restart
            self._spawn(update, receipt)

    async def resume_pending(self) -> None:
        """Handle updates stored before a crash or restart and never handled. Ones already
        being handled (a webhook delivery during start-up) are not started twice; one that
        can no longer be read is set aside rather than blocking the start."""
        for receipt, payload in await pending_inbound(self._sessions, CHANNEL, utcnow()):
            if receipt in self._in_flight:
                continue
            try:
                update = ZaloUpdate(**payload)
            except TypeError:
                log.exception("stored Zalo update %s is unreadable; set aside", receipt)
                async with self._sessions.begin() as session:
                    await clear_inbound(session, [receipt], utcnow())
                continue
            self._seen.first_time(update.dedup_key)
            self._spawn(update, receipt)

    def _spawn(self, update: ZaloUpdate, receipt: int | None) -> None:
        if receipt is not None:
            self._in_flight.add(receipt)
        task = asyncio.create_task(self._handle(update, receipt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if receipt is not None:
            task.add_done_callback(lambda _task: self._in_flight.discard(receipt))

    async def _handle(self, update: ZaloUpdate, receipt: int | None) -> None:
        async with self._order.get((CHANNEL, update.chat_id)):
            incoming = await self._take_in(_incoming(update, receipt), update)
            replies = await self._engine.handle(incoming)
            if not replies:
                # Not handled: the database was away. Still stored, so queued again soon
                # (or it was a copy of one handled already, and the retry finds nothing).
                if receipt is not None:
                    self._retry.request()
                return
            self._owed.queued(receipt)
            await self._send_owed(update.chat_id, replies, receipt)

    async def _take_in(self, incoming: Incoming, update: ZaloUpdate) -> Incoming:
        """Download and store the image of an image event, before its turn (which runs
        in a transaction, with no network inside). Only this person's turn waits."""
        if self._media is None or update.event_name != EVENT_IMAGE:
            return incoming
        if not update.photo_url:
            return replace(incoming, attachment="unavailable")
        try:
            data = await self.client.download(update.photo_url, MAX_BYTES)
            kept = await self._media.keep(data)
        except ZaloFileTooLarge:
            return replace(incoming, attachment=TOO_LARGE)
        except ZaloError as error:
            log.warning("could not fetch a photo sent on Zalo: %s", error)
            return replace(incoming, attachment="unavailable")
        except Exception:
            log.exception("could not keep a photo sent on Zalo")
            return replace(incoming, attachment="unavailable")
        return replace(incoming, media=kept.token, attachment=kept.problem)

    async def _send_owed(self, chat: str, replies: list[Reply], receipt: int | None) -> None:
        try:
            await self._owed.send(self.deliver, chat, replies, receipt)
        except Exception:
            log.exception("replies to zalo:%s not sent now; kept for later", chat)

    async def _schedule_owed(self, chat: str, replies: list[Reply], receipt: int | None) -> None:
        """Send replies owed from before, in the chat's turn like any update."""
        self._owed.queued(receipt)

        async def send_in_turn() -> None:
            async with self._order.get((CHANNEL, chat)):
                await self._send_owed(chat, replies, receipt)

        task = asyncio.create_task(send_in_turn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def webhook(self, request: web.Request) -> web.Response:
        """Zalo's webhook: the secret checked in constant time, the update handed off
        before answering, so Zalo never waits on our database."""
        secret = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), (self._webhook_secret or "").encode()):
            return web.json_response({"ok": False, "description": "Unauthorized"}, status=401)
        try:
            body = await read_json_object(request)
        except BadBody as bad:
            return web.json_response({"ok": False, "description": str(bad)}, status=400)
        update = parse_update(body)
        if update is None:
            return web.json_response({"ok": False, "description": "Not an update"}, status=400)
        await self.accept(update)
        self.last_success = utcnow()
        return web.json_response({"ok": True})

    async def deliver(self, external_id: str, replies: Sequence[Reply]) -> None:
        """Send replies in order; buttons become a numbered list continuing across them."""
        try:
            await self._deliver(external_id, replies, ANSWERS, attempts=4)
        except ZaloForbidden:
            async with self._sessions.begin() as session:
                await set_reachable(session, CHANNEL, external_id, reachable=False)
            log.info("zalo:%s can no longer be reached; marked blocked", external_id)

    async def send_delivery(
        self, external_id: str, replies: Sequence[Reply], lane: int
    ) -> SendOutcome:
        """Send one outbox delivery and say how it went; the outbox tries again later.
        A broadcast goes without its buttons: a number typed back could only mean the
        buttons of the person's own last exchange."""
        if lane != ANSWERS:
            replies = [replace(reply, buttons=()) for reply in replies]
        try:
            await self._deliver(external_id, replies, lane, attempts=2)
        except ZaloForbidden:
            return SendOutcome(BLOCKED)
        except Exception as error:
            if _transient(error):
                return SendOutcome(RETRY, error=type(error).__name__)
            return SendOutcome(FAILED, error=str(error)[:200])
        return SendOutcome(SENT)

    async def _deliver(
        self, external_id: str, replies: Sequence[Reply], lane: int, attempts: int
    ) -> None:
        number = 1
        for reply in replies:
            text = numbered_menu(
                self._with_file(reply), reply.buttons, number, self._catalogs, reply.language
            )
            number += len(reply.buttons)
            photo = self._photo_url(reply.photo)
            if photo:
                await self._send(
                    partial(self.client.send_photo, external_id, photo), lane, attempts
                )
            for chunk in split_text(text, MAX_TEXT_LENGTH):
                await self._send(
                    partial(self.client.send_message, external_id, chunk), lane, attempts
                )

    def _with_file(self, reply: Reply) -> str:
        """The reply's text with its file as a link: Zalo's bot API sends no files. Without
        PUBLIC_URL there is no address to give, and the person is told where files come."""
        document = reply.document
        if document is None:
            return reply.text
        _ = self._catalogs.translator(reply.language).gettext
        if self._public_url:
            line = _("📎 {filename}: {link} (tải được trong {hours} giờ)").format(
                filename=document.filename,
                link=file_link(document.token, self._public_url),
                hours=DOCUMENT_LIFETIME // timedelta(hours=1),
            )
        else:
            line = _(
                "📎 Tệp {filename} chưa gửi được qua Zalo; bạn dùng lệnh này trên Telegram "
                "hoặc trang web chat để nhận tệp."
            ).format(filename=document.filename)
        return f"{reply.text}\n\n{line}" if reply.text else line

    def _photo_url(self, ref: str | None) -> str | None:
        """The URL Zalo fetches a reply's photo from; None for a stored photo when
        PUBLIC_URL is unset (the text goes alone)."""
        if ref and ref.startswith("media:"):
            return media_link(ref, self._public_url) if self._public_url else None
        return ref

    async def _send(
        self, call: Callable[[], Awaitable[object]], lane: int = ANSWERS, attempts: int = 4
    ) -> None:
        async def attempt() -> None:
            await self.limiter.slot(None, lane)
            await call()

        await with_retries(
            attempt,
            transient=_transient,
            retry_after=lambda error: getattr(error, "retry_after", None),
            attempts=attempts,
        )


def _incoming(update: ZaloUpdate, receipt: int | None) -> Incoming:
    """The engine's view of a Zalo event."""
    image = update.event_name == EVENT_IMAGE
    text = update.text if update.event_name in (EVENT_TEXT, EVENT_IMAGE) else None
    attachment = None
    if not image and update.event_name != EVENT_TEXT:
        attachment = ATTACHMENTS.get(update.event_name, "other")
    return Incoming(
        CHANNEL,
        update.chat_id,
        text=text,
        name=update.user_name,
        photo=update.photo_url if image else None,
        attachment=attachment,
        receipt=receipt,
    )


def _transient(error: BaseException) -> bool:
    """Whether a failed call may succeed when tried again (network, rate limit)."""
    return isinstance(error, ZaloNetworkError | ZaloRateLimited)
