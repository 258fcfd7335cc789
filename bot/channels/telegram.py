"""The Telegram channel on python-telegram-bot: polling or webhook in, inline keyboards out."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeDefault,
)
from telegram.error import (
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
)

from bot.channels.background import Poller, RetrySoon
from bot.channels.batches import OrderedSends, UpdateBatches
from bot.channels.bodies import BadBody, read_json_object
from bot.channels.delivery import ChannelStartError
from bot.channels.outgoing import OwedReplies
from bot.channels.telegram_bot import ChannelBot
from bot.channels.telegram_payloads import (
    CHANNEL,
    ButtonTap,
    JSONDict,
    Membership,
    PhotoFile,
    chat_of,
    photo_to_fetch,
    read_update,
    update_id,
    without_contact_details,
)
from bot.channels.telegram_photos import PhotoIntake
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.telegram_send import TelegramSender, is_transient, retry_after_seconds
from bot.media import MediaStore
from content.i18n import LANGUAGES, Catalogs
from handlers.engine import Engine
from handlers.types import Incoming, Reply
from storage.contacts import set_reachable
from storage.db import Sessions
from storage.deliveries import SendOutcome
from storage.inbound import clear_inbound, keep_inbound, keep_inbound_many, pending_inbound
from storage.models import utcnow

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLL_SECONDS = 30
# How long stopping waits for updates still queued and replies still owed.
STOP_SECONDS = 10.0
# After replies could not be sent for minutes, how long until they are tried again.
RESEND_SECONDS = 60.0
# After a batch fails, how long until its stored updates are queued again.
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Received:
    """An update as stored: the receipt marks it handled when its turn commits.
    `incoming` is its turn once its photo has been fetched."""

    payload: JSONDict
    receipt: int
    incoming: Incoming | None = None


class TelegramChannel:
    """Connects the engine to Telegram through python-telegram-bot's Bot.

    Updates (polled or posted to the webhook) are stored, then handled in batches: all
    that arrived while the previous batch was being handled go to the engine at once.
    Replies are sent in the background, in order per chat.
    """

    def __init__(
        self,
        token: str,
        engine: Engine,
        sessions: Sessions,
        catalogs: Catalogs,
        *,
        base_url: str,
        base_file_url: str,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        send_rate: float = 28.0,
        chat_rate: float = 1.0,
        media: MediaStore | None = None,
    ) -> None:
        # PTB 22 warns on every RetryAfter unless its durations are timedeltas; opting in
        # keeps flood-control handling quiet and exact.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self._engine = engine
        self._sessions = sessions
        self._catalogs = catalogs
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        # Plain Bot rather than an Application: updates are stored, batched and handed to
        # the engine here (see _poll and _handle_batch), none of which PTB's dispatcher does.
        self.bot = ChannelBot(
            token,
            base_url=base_url,
            base_file_url=base_file_url,
            request=AiohttpRequest(connection_pool_size=128),
            get_updates_request=AiohttpRequest(connection_pool_size=2),
        )
        self._batches: UpdateBatches[Received] = UpdateBatches(
            self._handle_batch, name="telegram-updates"
        )
        self._sender = TelegramSender(self.bot, sessions, send_rate, media, chat_rate)
        self._sends = OrderedSends()
        self._photos = PhotoIntake(self.bot, media) if media is not None else None
        # Per chat: a photo being fetched, and that person's later updates behind it.
        self._intake = OrderedSends()
        # Receipts queued and not handled yet, so a resumed start does not queue them twice.
        self._in_flight: set[int] = set()
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._poller = Poller(self._poll, "telegram-poll")
        self._retry = RetrySoon(self._resume_pending, RETRY_SECONDS)
        self._owed = OwedReplies(sessions, CHANNEL, self._schedule, is_transient, RESEND_SECONDS)
        # Taken to queue updates, so that stored ones go in before newer ones.
        self._admission = asyncio.Lock()
        self._accepting = False
        # When a poll or a webhook call last succeeded, for /healthz and /metrics.
        self.last_success: datetime | None = None

    @property
    def webhook_path(self) -> str | None:
        return urlsplit(self._webhook_url).path or "/" if self._webhook_url else None

    def add_routes(self, app: web.Application) -> None:
        if self.webhook_path:
            app.router.add_post(self.webhook_path, self.webhook)

    async def start(self) -> None:
        """Check the token, publish the command menu, then poll or register the webhook."""
        try:
            await self.bot.initialize()
        except InvalidToken:
            await self.bot.shutdown()
            raise ChannelStartError(
                "Telegram refused TELEGRAM_TOKEN: copy it again from @BotFather."
            ) from None
        except NetworkError as error:
            await self.bot.shutdown()
            raise ChannelStartError(f"Telegram unreachable at TELEGRAM_BASE_URL: {error}") from None
        try:
            await self._publish_commands()
            if self._webhook_url:
                await self.bot.set_webhook(
                    self._webhook_url,
                    secret_token=self._webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            else:
                await self.bot.delete_webhook()
        except TelegramError as error:
            # A refused webhook address, or Telegram unreachable mid-start: the operator
            # must hear what, not read a traceback.
            await self.bot.shutdown()
            raise ChannelStartError(f"Telegram refused to start the bot: {error}") from None
        self._batches.start()
        await self._owed.resend()
        await self._resume_pending()
        if not self._webhook_url:
            self._poller.start()
        log.info("Telegram bot @%s connected", self.bot.username)

    @property
    def problem(self) -> str | None:
        """What keeps the channel from hearing people, for /healthz; None when all is well."""
        if self._poller.ended:
            return "telegram: polling stopped, the token was refused"
        return None

    async def stop(self) -> None:
        """Stop polling, handle what was received, send what is owed, close the pool."""
        await self._retry.stop()
        await self._owed.stop_retrying()
        await self._poller.stop()
        # A photo still downloading is dropped: its update stays stored for the next start.
        await self._intake.drain(STOP_SECONDS)
        await self._batches.stop(STOP_SECONDS)
        await self._sends.drain(STOP_SECONDS)
        await self._owed.stop()
        if self._side_tasks:
            await asyncio.wait(list(self._side_tasks), timeout=STOP_SECONDS)
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    async def _publish_commands(self) -> None:
        for language in LANGUAGES:
            _ = self._catalogs.translator(language).gettext
            # The same commands and words as /help gives a citizen.
            commands = [BotCommand(name, _(text)) for name, text in self._engine.commands_help()]
            # The default list (no language) is Vietnamese, for clients in other languages.
            await self.bot.set_my_commands(commands, language_code=language)
            if language == "vi":
                await self.bot.set_my_commands(commands, scope=BotCommandScopeDefault())

    async def webhook(self, request: web.Request) -> web.Response:
        """Telegram's webhook: the secret checked in constant time; the update stored
        and queued before the answer, then handled after it, so Telegram waits for one
        insert, not for the turn."""
        secret = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), (self._webhook_secret or "").encode()):
            return web.Response(status=401)
        try:
            payload = await read_json_object(request)
        except BadBody:
            return web.Response(status=400)
        key = update_id(payload)
        if key is None:
            return web.Response(status=400)
        payload = without_contact_details(payload)
        # Kept before Telegram hears 200: it will not send the update again, so a crash
        # before the turn commits must find it stored. A copy it does send is known by
        # its update_id and skipped.
        receipt = await keep_inbound(self._sessions, CHANNEL, str(key), payload, utcnow())
        if receipt is not None:
            await self._enqueue(payload, receipt)
        self.last_success = utcnow()
        return web.Response(status=200)

    async def _enqueue(self, payload: JSONDict, receipt: int) -> None:
        async with self._admission:
            # Before start has queued what was stored earlier, this one waits in the
            # database too, and start queues it with the rest, oldest first.
            if self._accepting and receipt not in self._in_flight:
                await self._queue(payload, receipt)

    async def _queue(self, payload: JSONDict, receipt: int) -> None:
        self._in_flight.add(receipt)
        received = Received(payload, receipt)
        chat = chat_of(payload)
        photo = photo_to_fetch(payload) if self._photos is not None else None
        if chat is not None and (photo is not None or self._intake.busy(chat)):
            await self._intake.send(chat, partial(self._take_in, received, photo))
        else:
            await self._batches.put(received)

    async def _take_in(self, received: Received, photo: PhotoFile | None) -> None:
        """Fetch and store the update's photo (if it has one: the person's later updates
        wait behind it here), then queue it for its turn."""
        if photo is not None and self._photos is not None:
            seen = read_update(received.payload, received.receipt)
            if isinstance(seen, Incoming):
                taken = await self._photos.take(seen, photo)
                received = Received(received.payload, received.receipt, taken)
        await self._batches.put(received)

    async def _poll(self) -> None:
        """Long polling. Telegram forgets updates once the next call acknowledges them
        (its offset), so each batch is stored before that call: a crash in between leaves
        them in the database, and they are handled at the next start."""
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                payloads = await self.bot.get_update_payloads(offset, POLL_SECONDS, ALLOWED_UPDATES)
                backoff = 1.0
                self.last_success = utcnow()
            except (InvalidToken, Forbidden):
                log.error("Telegram refused the token while polling; the channel stops")
                return
            except Exception as error:
                # Network trouble, flood control, another instance polling (Conflict):
                # none of it may end the loop; nothing was acknowledged, so nothing is lost.
                log.warning("Telegram poll failed (%s); retrying in %.0f s", error, backoff)
                await asyncio.sleep(retry_after_seconds(error) or backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            keyed = [
                (k, without_contact_details(p)) for p in payloads if (k := update_id(p)) is not None
            ]
            if not keyed:
                continue
            try:
                receipts = await keep_inbound_many(
                    self._sessions, CHANNEL, [(str(k), p) for k, p in keyed], utcnow()
                )
            except Exception:
                # Not stored, so not acknowledged: the same batch is fetched again.
                log.exception("could not store Telegram updates; fetching them again")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            for (_key, payload), receipt in zip(keyed, receipts, strict=True):
                # None: stored before (fetched again after a restart); resumed or handled.
                if receipt is not None:
                    await self._enqueue(payload, receipt)
            offset = max(key for key, _payload in keyed) + 1

    async def _resume_pending(self) -> None:
        """Queue updates stored and never handled: after a crash or restart (with what
        the webhook stored while the bot was starting), or after a batch failed (the
        database was unreachable, say). Oldest first, ahead of any update that arrives
        meanwhile; ones already queued are not queued twice."""
        async with self._admission:
            self._accepting = True
            for receipt, payload in await pending_inbound(self._sessions, CHANNEL, utcnow()):
                if receipt not in self._in_flight:
                    await self._queue(payload, receipt)

    async def _clear(self, receipts: list[int]) -> None:
        if receipts:
            async with self._sessions.begin() as session:
                await clear_inbound(session, receipts, utcnow())

    async def _handle_batch(self, batch: list[Received]) -> None:
        """Hand a batch's messages to the engine in one go, then send the replies in the
        background, in order per chat."""
        turns: list[Incoming] = []
        other: list[int] = []
        try:
            for received in batch:
                seen = received.incoming or read_update(received.payload, received.receipt)
                if isinstance(seen, ButtonTap):
                    # Answered at once, so the button stops spinning.
                    self._side_task(self._answer(seen.query_id))
                    seen = seen.incoming
                if isinstance(seen, Incoming):
                    turns.append(seen)
                    continue
                if isinstance(seen, Membership):
                    await self._membership_changed(seen)
                other.append(received.receipt)
            await self._clear(other)
            answers = await self._engine.handle_many(turns)
        except Exception:
            # The database, most likely. What was not handled is still stored unhandled:
            # it is queued again shortly, and what did commit is not handled twice.
            log.exception("a batch of %d Telegram updates failed; retrying soon", len(batch))
            self._retry.request()
            return
        finally:
            self._in_flight.difference_update(r.receipt for r in batch)
        for incoming, replies in zip(turns, answers, strict=True):
            if not replies:
                # Not handled: the database was away (it is still stored, so it is
                # handed over again), or it was a copy of one handled already.
                self._retry.request()
                continue
            await self._schedule(incoming.external_id, replies, incoming.receipt)

    async def _schedule(self, chat: str, replies: list[Reply], receipt: int | None) -> None:
        """Send a turn's replies in the background, after the chat's earlier ones."""
        self._owed.queued(receipt)
        send = partial(self._owed.send, self.deliver, chat, replies, receipt)
        await self._sends.send(chat, send)

    async def _answer(self, query_id: str) -> None:
        # An old query may be refused; the tap itself is handled all the same.
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as error:
            log.info("callback answer refused: %s", error)

    def _side_task(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _membership_changed(self, change: Membership) -> None:
        async with self._sessions.begin() as session:
            await set_reachable(session, CHANNEL, change.chat_id, reachable=change.reachable)

    async def deliver(self, external_id: str, replies: Sequence[Reply]) -> None:
        """Send replies to a chat (see `TelegramSender.deliver`)."""
        await self._sender.deliver(external_id, replies)

    async def send_delivery(
        self, external_id: str, replies: Sequence[Reply], lane: int
    ) -> SendOutcome:
        """Send one outbox delivery (see `TelegramSender.send_delivery`)."""
        return await self._sender.send_delivery(external_id, replies, lane)
