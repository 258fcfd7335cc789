"""Replies out to Telegram: split, escaped, with their keyboard, at Telegram's pace, and
retried through flood limits and outages."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial

from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.delivery import RateLimiter, with_retries
from bot.channels.telegram_bot import ChannelBot
from bot.channels.telegram_payloads import CHANNEL, JSONDict
from bot.channels.text import split_text
from handlers.types import Button, Reply
from storage.contacts import set_reachable
from storage.db import Sessions

log = logging.getLogger(__name__)

CALLBACK_DATA_BYTES = 64
# Tries per message: with the backoff, about two minutes of Telegram being unreachable.
SEND_ATTEMPTS = 9
SEND_FIRST_DELAY = 0.5


def keyboard(buttons: Sequence[Button]) -> JSONDict | None:
    """An InlineKeyboardMarkup as the Bot API reads it, one button per row: labels are
    sentences in Vietnamese and must stay readable."""
    rows = [
        [{"text": b.label[:64], "callback_data": b.id}]
        for b in buttons
        if len(b.id.encode()) <= CALLBACK_DATA_BYTES
    ]
    return {"inline_keyboard": rows} if rows else None


def is_transient(error: BaseException) -> bool:
    """Whether a failed call may succeed when tried again (network, flood control)."""
    # BadRequest is a NetworkError subclass in PTB, but sending it again cannot help.
    return isinstance(error, RetryAfter | TimedOut | NetworkError) and not isinstance(
        error, BadRequest
    )


def retry_after_seconds(error: BaseException) -> float | None:
    """How long Telegram asked us to wait, for a flood-control error; None otherwise."""
    if not isinstance(error, RetryAfter):
        return None
    value: float | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends replies to chats at the configured pace; a chat that blocked the bot is
    marked unreachable."""

    def __init__(self, bot: ChannelBot, sessions: Sessions, send_rate: float) -> None:
        self._bot = bot
        self._sessions = sessions
        self._limiter = RateLimiter(send_rate)

    async def deliver(self, external_id: str, replies: Sequence[Reply]) -> None:
        """Send replies in order: long text split on paragraphs, the keyboard on the last
        piece, user-supplied text escaped for HTML; a photo with its text as the caption
        when it fits."""
        bot = self._bot
        chat_id = int(external_id)
        try:
            for reply in replies:
                text = html.escape(reply.text, quote=False)
                if reply.photo and len(text) <= MessageLimit.CAPTION_LENGTH:
                    # One message, as a person would send it: the photo, its words under
                    # it, the buttons under those.
                    send_photo = partial(
                        bot.send_photo_by_id,
                        chat_id,
                        reply.photo,
                        caption=text or None,
                        parse_mode=ParseMode.HTML,
                        reply_markup=keyboard(reply.buttons),
                    )
                    await self._send(send_photo)
                    continue
                if reply.photo:
                    # Too many words for a caption: the photo first, then the text.
                    await self._send(partial(bot.send_photo_by_id, chat_id, reply.photo))
                pieces = split_text(text, MessageLimit.MAX_TEXT_LENGTH)
                for number, piece in enumerate(pieces, start=1):
                    markup = keyboard(reply.buttons) if number == len(pieces) else None
                    send = partial(
                        bot.send_text,
                        chat_id,
                        piece,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                    await self._send(send)
        except Forbidden:
            async with self._sessions.begin() as session:
                await set_reachable(session, CHANNEL, external_id, reachable=False)
            log.info("telegram:%s blocked the bot; marked", external_id)

    async def _send(self, call: Callable[[], Awaitable[object]]) -> None:
        async def attempt() -> None:
            await self._limiter.acquire()
            await call()

        # Sends run in the background, so a reply can wait out a Telegram outage of a
        # couple of minutes (the backoff reaches 30 s between tries) instead of being
        # dropped after a few seconds.
        await with_retries(
            attempt,
            transient=is_transient,
            retry_after=retry_after_seconds,
            attempts=SEND_ATTEMPTS,
            first_delay=SEND_FIRST_DELAY,
        )
