"""Reading what strangers post: JSON bodies and numbers from the query, refused cleanly
(400) when malformed or hostile, never a traceback."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

# Deeper than any real update (Telegram's nest a handful of levels): refused before the
# parser recurses into it.
MAX_DEPTH = 32
_CURSOR = re.compile(r"[0-9]{1,18}")


class BadBody(Exception):
    """The body cannot be used; the message says why, for the 400 answer."""


def _too_deep(raw: str) -> bool:
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _valid_text(value: Any) -> bool:
    """Every string in `value` encodes as UTF-8 (no lone surrogate) and has no NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_valid_text(k) and _valid_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_valid_text(item) for item in value)
    return True


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request's body as a JSON object; BadBody for anything else: not UTF-8, not
    JSON, nested absurdly deep, an integer too long to read, a lone surrogate or a NUL
    in a string (a database would refuse them later, and "try again" would never help)."""
    try:
        raw = (await request.read()).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadBody("Body must be UTF-8.") from error
    if _too_deep(raw):
        raise BadBody("Body is nested too deep.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:
        # ValueError covers malformed JSON and integers past Python's digit limit.
        raise BadBody("Body must be JSON.") from error
    if not isinstance(body, dict):
        raise BadBody("Body must be a JSON object.")
    if not _valid_text(body):
        raise BadBody("Text must be valid Unicode without NUL characters.")
    return body


def cursor(raw: str | None) -> int | None:
    """An event id from `after=` or Last-Event-ID: plain ASCII digits of a sane length;
    anything else is no cursor at all."""
    return int(raw) if raw and _CURSOR.fullmatch(raw) else None
