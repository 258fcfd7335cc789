"""Logging for the service: one handler at the root whose filter takes bot tokens,
secrets, phone numbers and message texts out of every record, from every library, as
plain text lines or one JSON object per line (LOG_FORMAT)."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import quote, quote_plus

from bot.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "[redacted]"

# Telegram's tokens (the bot's id, a colon, 35 characters), also URL-encoded; Zalo's
# have the same shape.
BOT_TOKEN = re.compile(r"\d{6,}(?::|%3[Aa])[A-Za-z0-9_-]{30,}")
# Vietnamese numbers in every form people type them (0912 345 678, +84 912 345 678,
# 84912345678, 0912.345.678, landlines 02xx), and any other number written with a "+".
# Not inside a longer word or number, so ids, ports and timestamps stay readable.
PHONE = re.compile(
    r"(?<![\w+.])"
    r"(?:(?:\+84[ .-]?|84|0)(?:[35789](?:[ .-]?\d){8}|2(?:[ .-]?\d){9})"
    r"|\+\d(?:[ .-]?\d){6,14})"
    r"(?![\w])"
)
# What people write, wherever a payload, a dataclass or a JSON body is printed whole.
PERSONAL_KEYS = (
    "text",
    "caption",
    "first_name",
    "last_name",
    "username",
    "phone_number",
    "display_name",
    "question",
    "answer",
)
_KEYS = "|".join(PERSONAL_KEYS)
_QUOTED = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
KEYED_VALUE = re.compile(rf"""(?P<key>(['"])(?:{_KEYS})\2\s*:\s*){_QUOTED}""")
FIELD_VALUE = re.compile(rf"""(?P<key>\b(?:{_KEYS})=){_QUOTED}""")
# SQLAlchemy errors print the statement's values; so do PostgreSQL's details.
SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
SQL_DETAIL = re.compile(r"(DETAIL:\s*)[^\n]*")
# python-telegram-bot prints every call's parameters and every answer at DEBUG: the
# messages sent and the updates received, whole. The call itself is worth keeping.
PTB_CALLS = (
    "Calling Bot API endpoint `%s` with parameters `%s`",
    "Call to Bot API endpoint `%s` finished with return value `%s`",
)
# Libraries whose DEBUG lines are made of data: every query's values (aiosqlite), every
# statement and the rows it returned (SQLAlchemy). Never below these levels.
QUIET_LOGGERS = {"aiosqlite": logging.INFO, "sqlalchemy.engine": logging.WARNING}


def secret_values(settings: Settings) -> list[str]:
    """The configured secrets, as they are and as they appear in URLs."""
    raw = [
        settings.telegram_token,
        settings.zalo_bot_token,
        settings.telegram_webhook_secret,
        settings.zalo_webhook_secret,
        settings.metrics_token,
    ]
    found: set[str] = set()
    for value in raw:
        # A value this short would hide ordinary words; none of these is ever that short.
        if value and len(value) >= 6:
            found |= {value, quote(value, safe=""), quote_plus(value)}
            found |= {v.replace("%3A", "%3a") for v in found if "%3A" in v}
    return sorted(found, key=len, reverse=True)


class Redactor(logging.Filter):
    """Rewrites each record, its traceback included, without tokens, secrets, phone
    numbers or message texts. Never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        values = [re.escape(s) for s in secrets if s]
        self._secrets = re.compile("|".join(values)) if values else None
        self._formatter = logging.Formatter()

    def redact(self, text: str) -> str:
        """`text` without anything this filter hides."""
        if self._secrets is not None:
            text = self._secrets.sub(HIDDEN, text)
        text = BOT_TOKEN.sub(HIDDEN, text)
        text = SQL_PARAMETERS.sub("[parameters: " + HIDDEN + "]", text)
        text = SQL_DETAIL.sub(r"\g<1>" + HIDDEN, text)
        text = KEYED_VALUE.sub(r"\g<key>'" + HIDDEN + "'", text)
        text = FIELD_VALUE.sub(r"\g<key>'" + HIDDEN + "'", text)
        return PHONE.sub(HIDDEN, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in PTB_CALLS and isinstance(record.args, tuple) and record.args:
            record.args = (record.args[0], HIDDEN)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what can be kept, safely
            message = str(record.msg)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and exc_info when there
    is a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


class ServiceHandler(logging.StreamHandler[TextIO]):
    """The handler `configure_logging` installs, known again when it is called twice."""


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every record at LOG_LEVEL or above to `stream` (stderr), redacted, in
    LOG_FORMAT; replaces a handler installed by an earlier call."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, ServiceHandler)]:
        root.removeHandler(old)
        old.close()
    handler = ServiceHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(Redactor(secret_values(settings)))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    level = logging.getLevelName(settings.log_level)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, level))
    return handler
