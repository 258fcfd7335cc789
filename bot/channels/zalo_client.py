"""Async client for the Zalo Bot API (``bot-api.zaloplatforms.com``).

The Bot API is shaped like Telegram's: every call is ``POST {base_url}{token}/{method}``
with a JSON body, and every answer is ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "..."}``. The differences that matter
here are that ``getUpdates`` returns a single update (no array, no offset), that an
empty long poll is reported as error 408, and that text messages are capped at 2000
characters.

The module also holds the pure helpers the channel adapter needs: ``parse_update`` for
polled and webhook payloads; long replies are split by ``bot.channels.text.split_text``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

import aiohttp

DEFAULT_BASE_URL: Final = "https://bot-api.zaloplatforms.com/bot"
MAX_TEXT_LENGTH: Final = 2000

EVENT_TEXT: Final = "message.text.received"
EVENT_IMAGE: Final = "message.image.received"
EVENT_STICKER: Final = "message.sticker.received"
EVENT_UNSUPPORTED: Final = "message.unsupported.received"
EVENT_VOICE: Final = "message.voice.received"

# The server holds a long poll for up to `timeout` seconds; the client must wait a
# little longer than that, or every empty poll would surface as a network error.
_LONG_POLL_GRACE_SECONDS: Final = 10.0

# Zalo reports an empty long poll as an error with this code.
_POLL_TIMEOUT_CODE: Final = 408

# Error code used when no HTTP answer was received at all (connection refused, reset,
# client-side timeout), so there is no status to report.
NO_RESPONSE_CODE: Final = 0


class ZaloError(Exception):
    """An error answer from the Zalo Bot API (``ok: false``) or a failed call."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(error_code, description)
        self.error_code = error_code
        self.description = description

    def __str__(self) -> str:
        return f"Zalo API error {self.error_code}: {self.description}"


class ZaloUnauthorized(ZaloError):
    """The bot token was rejected (401). Retrying will not help; fix the configuration."""


class ZaloForbidden(ZaloError):
    """The recipient can no longer be reached (403), for example after blocking the bot."""


class ZaloRateLimited(ZaloError):
    """Too many requests (429). ``retry_after`` holds the server's hint in seconds, if any."""

    def __init__(self, error_code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(error_code, description)
        self.retry_after = retry_after
        # Keep args complete so the exception survives pickling with its hint.
        self.args = (error_code, description, retry_after)


class ZaloFileTooLarge(ZaloError):
    """A file to download is larger than the caller accepts."""


class ZaloNetworkError(ZaloError):
    """The call did not get a usable answer: connection error, timeout or 5xx.

    These are transient, so callers should retry with backoff. ``error_code`` is the
    HTTP status for 5xx answers and ``NO_RESPONSE_CODE`` (0) when nothing came back.
    """


@dataclass(frozen=True, slots=True)
class ZaloUpdate:
    """One inbound event, reduced to the fields the bot uses.

    ``date`` is in milliseconds since the epoch, as Zalo sends it. ``text`` carries the
    message text, or the caption for images. ``photo_url`` is set for image events.
    """

    event_name: str
    message_id: str
    chat_id: str
    user_id: str
    user_name: str | None
    text: str | None
    photo_url: str | None
    date: int | None

    @property
    def dedup_key(self) -> str:
        """Key for duplicate detection: Zalo may deliver the same event more than once."""
        return f"{self.event_name}:{self.message_id}"


@dataclass(frozen=True, slots=True)
class ZaloBotInfo:
    """The bot's own profile, as returned by ``getMe``."""

    id: str
    account_name: str
    account_type: str
    can_join_groups: bool


@dataclass(frozen=True, slots=True)
class ZaloWebhookInfo:
    """Webhook registration. ``url`` is empty when no webhook is set."""

    url: str
    updated_at: int | None


@dataclass(frozen=True, slots=True)
class ZaloSentMessage:
    """Receipt for a sent message. ``date`` is in milliseconds since the epoch."""

    message_id: str
    date: int | None


class ZaloBotClient:
    """Thin async client for the Zalo Bot API.

    Use it as an async context manager, or call ``close()`` when done. A session passed
    in by the caller is left open; a session the client creates itself is closed by
    ``close()``.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        *,
        request_timeout: float = 30.0,
    ) -> None:
        if not token:
            raise ValueError("a Zalo bot token is required")
        self._token = token
        self._base_url = base_url
        self._session = session
        self._owns_session = session is None
        self._request_timeout = request_timeout

    def __repr__(self) -> str:
        # The token is a credential; show only the bot id part before the colon.
        bot_id = self._token.split(":", 1)[0]
        return f"ZaloBotClient(bot_id={bot_id!r}, base_url={self._base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def get_me(self) -> ZaloBotInfo:
        """Return the bot's profile; a cheap way to check that the token works."""
        result = _as_mapping(await self._call("getMe"))
        return ZaloBotInfo(
            id=_as_id(result.get("id")),
            # Some clients read `name`; the published docs say `account_name`.
            account_name=_as_str(result.get("account_name")) or _as_str(result.get("name")) or "",
            account_type=_as_str(result.get("account_type")) or "",
            can_join_groups=bool(result.get("can_join_groups", False)),
        )

    # `timeout` is the hold time sent to Zalo, not a local cancel scope, so the
    # lint rule against timeout parameters on coroutines does not apply.
    async def get_update(self, timeout: int = 30) -> ZaloUpdate | None:  # noqa: ASYNC109
        """Long-poll for one update, waiting up to ``timeout`` seconds on the server.

        Returns None when the poll ends empty (Zalo's 408 answer) or when the payload is
        not a message update. Polling fails while a webhook is set; call
        ``delete_webhook()`` first.
        """
        if timeout < 0:
            raise ValueError("timeout must not be negative")
        try:
            # The API documents `timeout` as a string.
            result = await self._call(
                "getUpdates",
                {"timeout": str(timeout)},
                request_timeout=timeout + _LONG_POLL_GRACE_SECONDS,
            )
        except ZaloError as exc:
            if exc.error_code == _POLL_TIMEOUT_CODE:
                return None
            raise
        if not isinstance(result, Mapping):
            return None
        update = parse_update(result)
        if update is None:
            # An unrecognised payload is dropped; log its shape so new event types show up.
            logging.getLogger(__name__).warning(
                "Ignoring unrecognised Zalo update with keys %s", sorted(result)
            )
        return update

    async def set_webhook(self, url: str, secret_token: str) -> ZaloWebhookInfo:
        """Register an HTTPS webhook; Zalo echoes ``secret_token`` in each delivery.

        Zalo requires an HTTPS URL and a secret of 8 to 256 characters. While a webhook
        is set, ``get_update`` is refused.
        """
        result = await self._call("setWebhook", {"url": url, "secret_token": secret_token})
        return _webhook_info(result)

    async def delete_webhook(self) -> ZaloWebhookInfo:
        """Remove the webhook so that updates can be polled again."""
        return _webhook_info(await self._call("deleteWebhook"))

    async def get_webhook_info(self) -> ZaloWebhookInfo:
        """Return the current webhook registration; ``url`` is empty when none is set."""
        try:
            result = await self._call("getWebhookInfo")
        except ZaloError as exc:
            # Some deployments answer 404 instead of an empty URL when no webhook is set.
            if exc.error_code == HTTPStatus.NOT_FOUND:
                return ZaloWebhookInfo(url="", updated_at=None)
            raise
        return _webhook_info(result)

    async def send_message(self, chat_id: str, text: str) -> ZaloSentMessage:
        """Send one text message of 1 to 2000 characters; split longer text first."""
        result = await self._call("sendMessage", {"chat_id": chat_id, "text": text})
        return _sent_message(result)

    async def send_photo(
        self, chat_id: str, photo_url: str, caption: str | None = None
    ) -> ZaloSentMessage:
        """Send a photo by URL; the Bot API has no file upload."""
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return _sent_message(await self._call("sendPhoto", payload))

    async def download(self, url: str, max_bytes: int) -> bytes:
        """GET a file Zalo links to (the image a person sent), reading at most
        ``max_bytes``: ``ZaloFileTooLarge`` beyond, ``ZaloNetworkError`` when it cannot be
        fetched. Only http(s) URLs are followed."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ZaloNetworkError(NO_RESPONSE_CODE, "download: not an http(s) URL")
        timeout = aiohttp.ClientTimeout(total=self._request_timeout)
        try:
            async with self._get_session().get(url, timeout=timeout) as response:
                if response.status != HTTPStatus.OK:
                    raise ZaloNetworkError(response.status, f"download: HTTP {response.status}")
                if (response.content_length or 0) > max_bytes:
                    raise ZaloFileTooLarge(response.status, "download: file too large")
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise ZaloFileTooLarge(response.status, "download: file too large")
                return bytes(data)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ZaloNetworkError(
                NO_RESPONSE_CODE, f"download: {type(exc).__name__}: {self._redact(str(exc))}"
            ) from None

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show an activity indicator such as "typing" in the user's chat."""
        await self._call("sendChatAction", {"chat_id": chat_id, "action": action})

    def _get_session(self) -> aiohttp.ClientSession:
        # Created lazily so that the client can be constructed outside an event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _call(
        self,
        method: str,
        payload: Mapping[str, Any] | None = None,
        *,
        request_timeout: float | None = None,
    ) -> Any:
        """POST one API method and return its ``result``, raising ``ZaloError`` on failure."""
        url = f"{self._base_url}{self._token}/{method}"
        timeout = aiohttp.ClientTimeout(total=request_timeout or self._request_timeout)
        try:
            async with self._get_session().post(
                url, json=dict(payload or {}), timeout=timeout
            ) as response:
                status = response.status
                raw_body = await response.read()
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            # `from None`: aiohttp messages can contain the request URL, and with it the
            # token; a chained cause would print that in tracebacks and logs.
            detail = self._redact(str(exc)) or "no detail"
            raise ZaloNetworkError(
                NO_RESPONSE_CODE, f"{method}: {type(exc).__name__}: {detail}"
            ) from None

        body = _decode_json(raw_body)
        if not isinstance(body, Mapping):
            raise _error_for(status, status, f"{method}: HTTP {status} without a JSON object body")
        if body.get("ok") is True:
            return body.get("result")

        error_code = body.get("error_code")
        code = error_code if isinstance(error_code, int) else status
        description = _as_str(body.get("description")) or _reason(code)
        raise _error_for(code, status, f"{method}: {description}", retry_after)

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")


def parse_update(raw: Mapping[str, Any]) -> ZaloUpdate | None:
    """Turn a polled or webhook payload into a ``ZaloUpdate``.

    Accepts the bare update (``{"event_name", "message"}``) and the ``{"ok", "result"}``
    wrapper, because sources disagree on which shape webhooks deliver. Returns None for
    payloads that are not message events. Unknown event names are passed through so the
    caller can decide what to do with them.
    """
    if "result" in raw or "ok" in raw:
        if raw.get("ok") is False:
            return None
        inner = raw.get("result")
        if not isinstance(inner, Mapping):
            return None
        raw = inner

    event_name = raw.get("event_name")
    message = raw.get("message")
    if not isinstance(event_name, str) or not isinstance(message, Mapping):
        return None

    sender = _as_mapping(message.get("from"))
    chat = _as_mapping(message.get("chat"))
    user_id = _as_id(sender.get("id"))
    # In private chats the chat id equals the user id, so either can stand in.
    chat_id = _as_id(chat.get("id")) or user_id
    if not chat_id:
        return None

    date = message.get("date")
    return ZaloUpdate(
        event_name=event_name,
        message_id=_as_id(message.get("message_id")),
        chat_id=chat_id,
        user_id=user_id or chat_id,
        # The mirrored docs show `first_name`; production code reads `display_name`.
        user_name=(_first_str(sender, "display_name", "first_name", "name") or "")[:200] or None,
        # Image events carry their text as `caption`.
        text=_first_str(message, "text", "caption"),
        # Sources disagree on the image field name, so both are accepted.
        photo_url=_first_str(message, "photo_url", "photo"),
        date=date if isinstance(date, int) and not isinstance(date, bool) else None,
    )


def _error_for(
    code: int, status: int, description: str, retry_after: float | None = None
) -> ZaloError:
    """Pick the exception class from the body's error code, falling back on HTTP status."""
    if code >= HTTPStatus.INTERNAL_SERVER_ERROR or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ZaloNetworkError(code, description)
    for candidate in (code, status):
        if candidate == HTTPStatus.UNAUTHORIZED:
            return ZaloUnauthorized(candidate, description)
        if candidate == HTTPStatus.FORBIDDEN:
            return ZaloForbidden(candidate, description)
        if candidate == HTTPStatus.TOO_MANY_REQUESTS:
            return ZaloRateLimited(candidate, description, retry_after)
    return ZaloError(code, description)


def _reason(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "unknown error"


def _decode_json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body) if raw_body else None
    except ValueError:
        return None


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        # The HTTP-date form of Retry-After is not worth supporting for this API.
        return None
    return seconds if seconds >= 0 else None


def _webhook_info(result: Any) -> ZaloWebhookInfo:
    data = _as_mapping(result)
    updated_at = data.get("updated_at")
    return ZaloWebhookInfo(
        url=_as_str(data.get("url")) or "",
        updated_at=updated_at if isinstance(updated_at, int) else None,
    )


def _sent_message(result: Any) -> ZaloSentMessage:
    data = _as_mapping(result)
    date = data.get("date")
    return ZaloSentMessage(
        message_id=_as_id(data.get("message_id")),
        date=date if isinstance(date, int) and not isinstance(date, bool) else None,
    )


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# Longer ids than Zalo's (a few dozen characters) are forged; the contacts table keeps 128.
MAX_ID = 128


def _as_id(value: Any) -> str:
    """Normalise an id to a string; Zalo sends strings, but numbers must not be lost.
    An id no real update carries (too long, or with control characters) is no id."""
    if isinstance(value, str):
        return value if len(value) <= MAX_ID and value.isprintable() else ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _first_str(data: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = _as_str(data.get(key))
        if value is not None:
            return value
    return None
