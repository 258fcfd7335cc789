"""In-process fake of the Zalo Bot API for offline tests.

``FakeZaloAPI`` serves ``POST /bot{token}/{method}`` on 127.0.0.1 and behaves like the
real service as far as it is known (see the Zalo reference notes): one update per
``getUpdates`` call, a 408 answer for an empty poll, no polling while a webhook is set,
text limited to 2000 characters, photos by URL only, bare webhook bodies with the
``X-Bot-Api-Secret-Token`` header.

Tests drive it through hooks: ``user_sends_text`` and friends inject inbound messages,
``sent`` and ``wait_for_messages`` expose the outbox, ``block`` and ``fail_next``
inject failures, and ``deliver_to`` routes webhook deliveries to a local plain-HTTP
receiver, which real Zalo would refuse.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

DEFAULT_TOKEN: Final = "1234567890:fake-bot-secret"
SECRET_HEADER: Final = "X-Bot-Api-Secret-Token"
MAX_TEXT_LENGTH: Final = 2000
DEFAULT_POLL_TIMEOUT: Final = 30

# The real webhook secret must be 8 to 256 characters.
_SECRET_MIN_LENGTH: Final = 8
_SECRET_MAX_LENGTH: Final = 256

_JsonObject = dict[str, Any]
_Handler = Callable[[web.Request, _JsonObject], Awaitable[web.Response]]


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One message the bot sent through the fake (``sendMessage`` or ``sendPhoto``)."""

    method: str
    chat_id: str
    message_id: str
    date: int
    text: str | None = None
    photo: str | None = None
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One authenticated API request, recorded in arrival order."""

    method: str
    payload: _JsonObject


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One attempt to POST an update to the bot's webhook.

    ``status`` is the receiver's HTTP status, or None when the request failed, in which
    case ``error`` says why.
    """

    url: str
    update: _JsonObject
    status: int | None
    error: str | None = None


class FakeZaloAPI:
    """A fake Zalo Bot API server for one bot token.

    Start it with ``await fake.start()`` (or ``async with``), point the client at
    ``fake.base_url`` with ``fake.token``, and stop it with ``await fake.stop()``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_name: str = "Bot Chung Sức",
        webhook_timeout: float = 5.0,
    ) -> None:
        self.token = token
        self.bot_name = bot_name
        self.sent: list[SentMessage] = []
        self.calls: list[ApiCall] = []
        self.webhook_deliveries: list[WebhookDelivery] = []

        self._webhook_timeout = webhook_timeout
        self._pending: deque[_JsonObject] = deque()
        self._updates_changed = asyncio.Condition()
        self._sent_changed = asyncio.Condition()
        self._blocked: set[str] = set()
        self._failures_left = 0
        self._failure_status = HTTPStatus.INTERNAL_SERVER_ERROR.value
        self._failing_method = ""
        self._webhook_url: str | None = None
        self._webhook_secret: str | None = None
        self._webhook_updated_at = _now_ms()
        self._delivery_override: str | None = None
        self._last_update: _JsonObject | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._webhook_session: aiohttp.ClientSession | None = None
        self._files: dict[str, tuple[bytes, str]] = {}
        self.downloads: list[str] = []
        """Names of the hosted files the bot fetched, in order."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Base URL to pass to the client, e.g. ``http://127.0.0.1:PORT/bot``."""
        if self._port is None:
            raise RuntimeError("FakeZaloAPI is not running; call start() first")
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def bot_id(self) -> str:
        """The bot id: the part of the token before the colon."""
        return self.token.split(":", 1)[0]

    @property
    def webhook_url(self) -> str | None:
        """The registered webhook URL, or None in polling mode."""
        return self._webhook_url

    @property
    def pending_updates(self) -> int:
        """How many injected updates are waiting to be polled."""
        return len(self._pending)

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeZaloAPI is already running")
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        # Zalo's CDN, where the images people send are fetched from.
        app.router.add_get("/files/{name}", self._serve_file)
        # A short shutdown timeout: stop() should not wait on held long polls.
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._closing = False
        self._webhook_session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Release held long polls, stop serving and close the webhook sender."""
        self._closing = True
        async with self._updates_changed:
            self._updates_changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._port = None
        if self._webhook_session is not None:
            await self._webhook_session.close()
            self._webhook_session = None

    async def user_sends_text(
        self, user_id: str, text: str, display_name: str = "Người dùng Zalo"
    ) -> _JsonObject:
        """Simulate a user sending a text message; returns the bare update delivered."""
        return await self.user_sends_event(
            user_id, "message.text.received", {"text": text}, display_name=display_name
        )

    async def user_sends_image(
        self,
        user_id: str,
        photo_url: str,
        caption: str | None = None,
        display_name: str = "Người dùng Zalo",
        *,
        photo_field: str = "photo_url",
    ) -> _JsonObject:
        """Simulate a user sending a photo; returns the bare update delivered.

        ``photo_field`` chooses the field that carries the URL, because sources disagree
        between ``photo_url`` and ``photo``.
        """
        fields: _JsonObject = {photo_field: photo_url}
        if caption is not None:
            fields["caption"] = caption
        return await self.user_sends_event(
            user_id, "message.image.received", fields, display_name=display_name
        )

    def host_file(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Serve ``data`` at a new URL, as Zalo's CDN serves an image a person sent."""
        if self._port is None:
            raise RuntimeError("FakeZaloAPI is not running; call start() first")
        name = secrets.token_hex(8)
        self._files[name] = (data, content_type)
        return f"http://127.0.0.1:{self._port}/files/{name}"

    async def user_sends_photo(
        self, user_id: str, data: bytes, caption: str | None = None
    ) -> _JsonObject:
        """Simulate a user sending a photo whose bytes the bot can download."""
        return await self.user_sends_image(user_id, self.host_file(data), caption)

    async def _serve_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self._files:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        self.downloads.append(name)
        data, content_type = self._files[name]
        return web.Response(body=data, content_type=content_type)

    async def user_sends_event(
        self,
        user_id: str,
        event_name: str,
        fields: Mapping[str, Any] | None = None,
        display_name: str = "Người dùng Zalo",
    ) -> _JsonObject:
        """Simulate any private-chat event (e.g. stickers); ``fields`` go into ``message``."""
        message: _JsonObject = {
            "message_id": secrets.token_hex(16),
            "date": _now_ms(),
            **(fields or {}),
            "from": {"id": user_id, "display_name": display_name, "is_bot": False},
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
        }
        update: _JsonObject = {"event_name": event_name, "message": message}
        await self._dispatch(update)
        return update

    async def redeliver_last(self) -> _JsonObject:
        """Deliver the most recent update again, unchanged, as Zalo may do."""
        if self._last_update is None:
            raise RuntimeError("no update has been delivered yet")
        await self._dispatch(self._last_update)
        return self._last_update

    def deliver_to(self, url: str, secret: str) -> None:
        """Test-only: route webhook deliveries to a local plain-HTTP ``url``.

        This registers a webhook as ``setWebhook`` would, but without the HTTPS and
        public-address checks. The route persists: if the bot later calls
        ``setWebhook`` with its public HTTPS URL, deliveries still go to ``url``, with the
        secret from that call. ``deleteWebhook`` returns the fake to polling mode.
        """
        self._delivery_override = url
        self._register_webhook(url, secret)

    def block(self, user_id: str) -> None:
        """Make sends to ``user_id`` fail with 403, as when a user blocks the bot."""
        self._blocked.add(user_id)

    def unblock(self, user_id: str) -> None:
        """Undo ``block``."""
        self._blocked.discard(user_id)

    def fail_next(
        self, n: int, status: int = HTTPStatus.INTERNAL_SERVER_ERROR.value, method: str = ""
    ) -> None:
        """Answer the next ``n`` API requests with ``status``: of any method, or only of
        ``method`` (such as "sendMessage") when given."""
        self._failures_left = n
        self._failure_status = status
        self._failing_method = method

    # A `timeout` argument keeps test code to one line per wait; the lint rule
    # against timeout parameters targets library code that callers could wrap instead.
    async def wait_for_messages(
        self,
        chat_id: str,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until at least ``n`` messages were sent to ``chat_id``; return them all.

        Raises AssertionError with what did arrive if the wait times out.
        """

        def sent_to_chat() -> list[SentMessage]:
            return [message for message in self.sent if message.chat_id == chat_id]

        async with self._sent_changed:
            try:
                await asyncio.wait_for(
                    self._sent_changed.wait_for(lambda: len(sent_to_chat()) >= n), timeout
                )
            except TimeoutError:
                arrived = [message.text or message.photo for message in sent_to_chat()]
                raise AssertionError(
                    f"expected {n} message(s) to {chat_id} within {timeout}s, got {arrived!r}"
                ) from None
        return sent_to_chat()

    async def _dispatch(self, update: _JsonObject) -> None:
        self._last_update = update
        if self._webhook_url is None:
            async with self._updates_changed:
                self._pending.append(update)
                self._updates_changed.notify()
            return
        await self._post_to_webhook(update)

    async def _post_to_webhook(self, update: _JsonObject) -> None:
        url = self._delivery_override or self._webhook_url
        if url is None or self._webhook_secret is None:
            raise RuntimeError("no webhook is registered")
        if self._delivery_override is None:
            # Never let a test reach out to a real public URL.
            raise RuntimeError(
                f"webhook is set to {url}; call fake.deliver_to(local_url, secret) "
                "so the fake can deliver to a local receiver"
            )
        if self._webhook_session is None:
            raise RuntimeError("FakeZaloAPI is not running; call start() first")
        try:
            async with self._webhook_session.post(
                url,
                json=update,
                headers={SECRET_HEADER: self._webhook_secret},
                timeout=aiohttp.ClientTimeout(total=self._webhook_timeout),
            ) as response:
                await response.read()
                delivery = WebhookDelivery(url=url, update=update, status=response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery = WebhookDelivery(
                url=url, update=update, status=None, error=f"{type(exc).__name__}: {exc}"
            )
        self.webhook_deliveries.append(delivery)

    def _register_webhook(self, url: str, secret: str) -> None:
        self._webhook_url = url
        self._webhook_secret = secret
        self._webhook_updated_at = _now_ms()

    async def _handle(self, request: web.Request) -> web.Response:
        failing = not self._failing_method or request.match_info.get("method") == (
            self._failing_method
        )
        if self._failures_left > 0 and failing:
            self._failures_left -= 1
            return _error(self._failure_status, _reason(self._failure_status))
        if request.match_info["token"] != self.token:
            return _error(HTTPStatus.UNAUTHORIZED, "Unauthorized")

        method = request.match_info["method"]
        handler = self._handlers().get(method)
        if handler is None:
            return _error(HTTPStatus.NOT_FOUND, "Not Found")
        try:
            raw_body = await request.read()
            payload = json.loads(raw_body) if raw_body else {}
        except ValueError:
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: body is not valid JSON")
        if not isinstance(payload, dict):
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: body must be a JSON object")
        self.calls.append(ApiCall(method=method, payload=payload))
        return await handler(request, payload)

    def _handlers(self) -> dict[str, _Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
        }

    async def _get_me(self, request: web.Request, payload: _JsonObject) -> web.Response:
        return _ok(
            {
                "id": self.bot_id,
                "account_name": self.bot_name,
                "account_type": "BASIC",
                "can_join_groups": False,
            }
        )

    async def _get_updates(self, request: web.Request, payload: _JsonObject) -> web.Response:
        if self._webhook_url is not None:
            # The real code for this refusal is unknown; 409 mirrors Telegram.
            return _error(HTTPStatus.CONFLICT, "Conflict: webhook is active, call deleteWebhook")
        try:
            timeout = float(payload.get("timeout", DEFAULT_POLL_TIMEOUT))
        except (TypeError, ValueError):
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: timeout must be a number")

        async with self._updates_changed:
            try:
                await asyncio.wait_for(
                    self._updates_changed.wait_for(lambda: bool(self._pending) or self._closing),
                    max(timeout, 0.0),
                )
            except TimeoutError:
                return _error(HTTPStatus.REQUEST_TIMEOUT, "Request timeout")
            if not self._pending:
                return _error(HTTPStatus.REQUEST_TIMEOUT, "Request timeout")
            update = self._pending.popleft()
            if request.transport is None or request.transport.is_closing():
                # The poller gave up while we waited; keep the update for the next poll
                # rather than writing it to a dead connection.
                self._pending.appendleft(update)
                self._updates_changed.notify()
                return _error(HTTPStatus.REQUEST_TIMEOUT, "Request timeout")
        return _ok(update)

    async def _set_webhook(self, request: web.Request, payload: _JsonObject) -> web.Response:
        url = payload.get("url")
        secret = payload.get("secret_token")
        if not isinstance(url, str) or not _is_public_https_url(url):
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: url must be a public HTTPS URL")
        if not isinstance(secret, str) or not (
            _SECRET_MIN_LENGTH <= len(secret) <= _SECRET_MAX_LENGTH
        ):
            return _error(
                HTTPStatus.BAD_REQUEST, "Bad Request: secret_token must be 8-256 characters"
            )
        self._register_webhook(url, secret)
        return _ok({"url": url, "updated_at": self._webhook_updated_at})

    async def _delete_webhook(self, request: web.Request, payload: _JsonObject) -> web.Response:
        self._webhook_url = None
        self._webhook_secret = None
        self._webhook_updated_at = _now_ms()
        return _ok({"url": "", "updated_at": self._webhook_updated_at})

    async def _get_webhook_info(self, request: web.Request, payload: _JsonObject) -> web.Response:
        if self._webhook_url is None:
            # Reported (unconfirmed) real behaviour: 404 rather than an empty URL.
            return _error(HTTPStatus.NOT_FOUND, "Webhook not found")
        return _ok({"url": self._webhook_url, "updated_at": self._webhook_updated_at})

    async def _send_message(self, request: web.Request, payload: _JsonObject) -> web.Response:
        chat_id = payload.get("chat_id")
        text = payload.get("text")
        if not isinstance(chat_id, str) or not chat_id:
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: chat_id is required")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT_LENGTH:
            return _error(
                HTTPStatus.BAD_REQUEST,
                f"Bad Request: text must be 1-{MAX_TEXT_LENGTH} characters",
            )
        if chat_id in self._blocked:
            return _blocked_error()
        return await self._record_sent("sendMessage", chat_id, text=text)

    async def _send_photo(self, request: web.Request, payload: _JsonObject) -> web.Response:
        chat_id = payload.get("chat_id")
        photo = payload.get("photo")
        caption = payload.get("caption")
        if not isinstance(chat_id, str) or not chat_id:
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: chat_id is required")
        if not isinstance(photo, str) or urlsplit(photo).scheme not in ("http", "https"):
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: photo must be a URL")
        if caption is not None and (not isinstance(caption, str) or len(caption) > MAX_TEXT_LENGTH):
            return _error(
                HTTPStatus.BAD_REQUEST,
                f"Bad Request: caption must be at most {MAX_TEXT_LENGTH} characters",
            )
        if chat_id in self._blocked:
            return _blocked_error()
        return await self._record_sent("sendPhoto", chat_id, photo=photo, caption=caption)

    async def _send_chat_action(self, request: web.Request, payload: _JsonObject) -> web.Response:
        chat_id = payload.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: chat_id is required")
        # Only "typing" is documented as working; "upload_photo" is "coming soon".
        if payload.get("action") != "typing":
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: unsupported action")
        if chat_id in self._blocked:
            return _blocked_error()
        return web.json_response({"ok": True})

    async def _record_sent(
        self,
        method: str,
        chat_id: str,
        *,
        text: str | None = None,
        photo: str | None = None,
        caption: str | None = None,
    ) -> web.Response:
        message = SentMessage(
            method=method,
            chat_id=chat_id,
            message_id=secrets.token_hex(16),
            date=_now_ms(),
            text=text,
            photo=photo,
            caption=caption,
        )
        async with self._sent_changed:
            self.sent.append(message)
            self._sent_changed.notify_all()
        return _ok({"message_id": message.message_id, "date": message.date})


def _ok(result: _JsonObject) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    response = web.json_response(
        {"ok": False, "error_code": int(status), "description": description}, status=int(status)
    )
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        response.headers["Retry-After"] = "1"
    return response


def _blocked_error() -> web.Response:
    # How real Zalo reports an unreachable user is unknown; 403 is this project's choice.
    return _error(HTTPStatus.FORBIDDEN, "Forbidden: user has blocked the bot")


def _is_public_https_url(url: str) -> bool:
    """Mirror Zalo's webhook rules: HTTPS, and not localhost or a private address."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    if parts.hostname == "localhost" or parts.hostname.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return True
    return address.is_global


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
