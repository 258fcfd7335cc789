"""The wire side of the fake Bot API: parameters in, errors out, text and flood limits."""

import json
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.telegram_objects import EntityParseError, JSONDict, parse_html

# Form fields are strings on the wire; PTB JSON-encodes every non-string value.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
    }
)
_INT_FIELDS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "max_connections",
        "reply_to_message_id",
        "message_thread_id",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "drop_pending_updates",
        "show_alert",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "has_spoiler",
        "show_caption_above_media",
    }
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> JSONDict:
        """The error envelope Telegram sends."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def to_response(self) -> web.Response:
        """The HTTP answer; PTB maps the status code, not error_code, to its exceptions."""
        return web.json_response(self.to_json(), status=self.status)


def bad_request(description: str) -> ApiError:
    """A 400 answer with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part received in a multipart request, as recorded in ``FakeTelegramAPI.sent``."""

    filename: str
    content_type: str
    data: bytes


async def read_params(request: web.Request) -> JSONDict:
    """Collect parameters from the query string and a form, multipart or JSON body.

    Form values are decoded to what Telegram reads them as: JSON for markup, entity and list
    parameters, integers for ids, booleans for flags. File parts become ``UploadedFile``.
    """
    raw: JSONDict = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON")
        raw.update(body)
    elif request.content_type == "multipart/form-data":
        # Read part by part: request.post() would spool files to temporary files.
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                raw[part.name] = UploadedFile(part.filename, content_type, await part.read())
            else:
                raw[part.name] = await part.text()
    elif request.body_exists:
        form = await request.post()
        raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    return {key: _coerce(key, value) for key, value in raw.items()}


def _coerce(name: str, value: Any) -> Any:
    """Turn a form field's string into the type Telegram reads for that parameter."""
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value)
        if name in _INT_FIELDS or (name == "chat_id" and re.fullmatch(r"-?\d+", value)):
            return int(value)
    except ValueError:
        raise bad_request(f"can't parse {name}") from None
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def format_text(
    text: str, params: JSONDict, entities_field: str, max_length: int
) -> tuple[str, list[JSONDict]]:
    """Apply ``parse_mode`` to a text or caption and enforce its length limit.

    HTML is parsed as Telegram does; Markdown modes are accepted unchecked.
    """
    mode = str(params.get("parse_mode") or "").lower()
    entities: list[JSONDict] = params.get(entities_field) or []
    if mode == "html":
        try:
            text, entities = parse_html(text)
        except EntityParseError as exc:
            raise ApiError(400, str(exc)) from None
    elif mode not in ("", "markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
    # Telegram applies the limit after entity parsing and counts characters.
    if len(text) > max_length:
        what = "message caption" if entities_field == "caption_entities" else "message"
        raise bad_request(f"{what} is too long")
    return text, entities


@dataclass
class _TokenBucket:
    """Allows ``capacity`` sends at once, refilled at ``rate`` sends per second."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def wait_time(self, now: float) -> float:
        """Seconds until a send is allowed; 0 if one is allowed now."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodControl:
    """Telegram's send limits: overall, per private chat, and per group (negative chat ids).

    The exact limits are not published; the defaults follow Telegram's bot FAQ: about 30
    messages per second overall, about 1 per second in one chat with short bursts allowed,
    and 20 per minute in a group.

    The overall limit is a token bucket by default, which lets a full bucket through at
    once and the refill on top of it: up to twice ``messages_per_second`` in the first
    second. ``overall_window=True`` counts it as Telegram appears to, in a sliding window:
    at most ``messages_per_second`` sends in any one second.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        messages_per_second: float,
        chat_messages_per_second: float,
        chat_burst: int,
        group_messages_per_minute: int = 20,
        *,
        overall_window: bool = False,
    ) -> None:
        self._clock = clock
        self._chat_rate = chat_messages_per_second
        self._chat_burst = chat_burst
        self._group_per_minute = group_messages_per_minute
        self._overall = self._bucket(messages_per_second, messages_per_second)
        self._chats: dict[int, _TokenBucket] = {}
        # In window mode: when each send of the last second was counted, oldest first.
        self._window: deque[float] | None = deque() if overall_window else None
        self._window_limit = max(1, math.floor(messages_per_second))

    def take(self, chat_id: int) -> None:
        """Count one send to ``chat_id``.

        Raises:
            ApiError: 429 with ``retry_after`` in whole seconds; the refused send is not counted.
        """
        now = self._clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = (
                self._bucket(self._group_per_minute / 60, self._group_per_minute)
                if chat_id < 0
                else self._bucket(self._chat_rate, self._chat_burst)
            )
        overall = self._overall.wait_time(now) if self._window is None else self._window_wait(now)
        wait = max(chat.wait_time(now), overall)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        chat.tokens -= 1
        if self._window is None:
            self._overall.tokens -= 1
        else:
            self._window.append(now)

    def _window_wait(self, now: float) -> float:
        """Seconds until the sliding one-second window has room for one more send."""
        window = self._window
        assert window is not None
        while window and window[0] <= now - 1.0:
            window.popleft()
        return 0.0 if len(window) < self._window_limit else window[0] + 1.0 - now

    def _bucket(self, rate: float, capacity: float) -> _TokenBucket:
        return _TokenBucket(rate, capacity, capacity, self._clock())
