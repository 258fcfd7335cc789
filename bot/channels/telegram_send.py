"""Replies out to Telegram: split, escaped, with their keyboard, at Telegram's pace, and
retried through flood limits and outages; stored photos by the file id Telegram gave them
or uploaded, files as uploaded documents, and the "share my phone" keyboard where a reply
asks for the number."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

from telegram import InputFile
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.delivery import with_retries
from bot.channels.pacing import ANSWERS, Pacer
from bot.channels.telegram_bot import ChannelBot
from bot.channels.telegram_payloads import CHANNEL, JSONDict
from bot.channels.text import split_text
from bot.media import MediaStore
from handlers.types import Button, DocumentRef, Reply
from storage.contacts import set_reachable
from storage.db import Sessions
from storage.deliveries import BLOCKED, FAILED, RETRY, SENT, SendOutcome
from storage.documents import document_by_token
from storage.media import media_by_token, set_platform_ref
from storage.models import Media

log = logging.getLogger(__name__)

CALLBACK_DATA_BYTES = 64
# Tries per message: with the backoff, about two minutes of Telegram being unreachable.
SEND_ATTEMPTS = 9
SEND_FIRST_DELAY = 0.5
# Tries per outbox delivery before it goes back to the outbox for later.
OUTBOX_ATTEMPTS = 2
# Which lane and how many tries the sends of the current delivery use: set around an
# outbox delivery, the defaults (answers, patient retries) otherwise.
_LANE: ContextVar[int] = ContextVar("telegram_send_lane", default=ANSWERS)
_ATTEMPTS: ContextVar[int] = ContextVar("telegram_send_attempts", default=SEND_ATTEMPTS)
MEDIA_PREFIX = "media:"
# The "share my phone" button, and the line that carries it when the reply's own
# message already has inline buttons (a message has one keyboard).
PHONE_BUTTON = {"vi": "📱 Gửi số điện thoại của tôi", "en": "📱 Share my phone number"}
PHONE_HINT = {
    "vi": "Hoặc bấm nút bên dưới để gửi số điện thoại của bạn.",
    "en": "Or tap the button below to share your phone number.",
}
REMOVE_KEYBOARD: JSONDict = {"remove_keyboard": True}

T = TypeVar("T")


def keyboard(buttons: Sequence[Button]) -> JSONDict | None:
    """An InlineKeyboardMarkup as the Bot API reads it, one button per row: labels are
    sentences in Vietnamese and must stay readable."""
    rows = [
        [{"text": b.label[:64], "callback_data": b.id}]
        for b in buttons
        if len(b.id.encode()) <= CALLBACK_DATA_BYTES
    ]
    return {"inline_keyboard": rows} if rows else None


def escaped_pieces(text: str, limit: int) -> list[str]:
    """`text` split for sending, each piece escaped for HTML and within `limit`. Split
    first, escaped after: escaping first could cut an entity such as `&lt;` in two."""
    pieces: list[str] = []
    for piece in split_text(text, limit):
        _escape_within(piece, limit, pieces)
    return pieces


def _escape_within(piece: str, limit: int, into: list[str]) -> None:
    escaped = html.escape(piece, quote=False)
    if len(escaped) <= limit:
        into.append(escaped)
        return
    # Escaping made it longer than a message: the raw piece in halves, and so on.
    for part in split_text(piece, max(1, len(piece) // 2)):
        _escape_within(part, limit, into)


def phone_keyboard(language: str) -> JSONDict:
    """A reply keyboard with the one button that shares the person's own contact;
    it hides once used."""
    label = PHONE_BUTTON.get(language, PHONE_BUTTON["vi"])
    return {
        "keyboard": [[{"text": label, "request_contact": True}]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }


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


@dataclass
class Outgoing:
    """One Bot API message: text, or a photo or a document with an optional caption, and
    its markup."""

    text: str | None
    photo: str | InputFile | None = None
    markup: JSONDict | None = None
    document: InputFile | None = None
    # The stored photo `photo` is the upload or the Telegram file id of.
    stored: Media | None = None
    # Inline buttons put on the message once sent, its own markup taking the "share my
    # phone" keyboard away (a message carries one markup).
    then_inline: JSONDict | None = None

    @property
    def is_text(self) -> bool:
        return self.photo is None and self.document is None


class TelegramSender:
    """Sends replies to chats at the configured pace; a chat that blocked the bot is
    marked unreachable."""

    def __init__(
        self,
        bot: ChannelBot,
        sessions: Sessions,
        send_rate: float,
        media: MediaStore | None = None,
        chat_rate: float = 1.0,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._pacer = Pacer(send_rate, chat_rate=chat_rate)
        self._media = media
        # Chats shown the "share my phone" keyboard: the next message that can carry it
        # takes the keyboard away, so it does not linger once the question is past.
        self._phone_asked: set[int] = set()

    async def deliver(self, external_id: str, replies: Sequence[Reply]) -> None:
        """Send replies in order: long text split on paragraphs, the keyboard on the last
        piece, user-supplied text escaped for HTML; a photo or a file with its text as the
        caption when it fits (a stored photo by its Telegram file id, or uploaded); the
        "share my phone" keyboard where a reply asks for the number."""
        try:
            await self._deliver(external_id, replies)
        except Forbidden:
            async with self._sessions.begin() as session:
                await set_reachable(session, CHANNEL, external_id, reachable=False)
            log.info("telegram:%s blocked the bot; marked", external_id)

    async def send_delivery(
        self, external_id: str, replies: Sequence[Reply], lane: int
    ) -> SendOutcome:
        """Send one outbox delivery and say how it went, for the outbox to record. A few
        quick tries only: the outbox itself tries again later, so one chat that Telegram
        cannot reach does not hold up the rest."""
        token_lane = _LANE.set(lane)
        token_attempts = _ATTEMPTS.set(OUTBOX_ATTEMPTS)
        try:
            message_id = await self._deliver(external_id, replies)
        except Forbidden:
            return SendOutcome(BLOCKED)
        except RetryAfter as error:
            return SendOutcome(RETRY, error="flood", retry_in=retry_after_seconds(error))
        except BadRequest as error:
            return SendOutcome(FAILED, error=str(error.message)[:200])
        except (TimedOut, NetworkError) as error:
            return SendOutcome(RETRY, error=type(error).__name__)
        finally:
            _LANE.reset(token_lane)
            _ATTEMPTS.reset(token_attempts)
        return SendOutcome(SENT, message_id=str(message_id) if message_id else None)

    async def _deliver(self, external_id: str, replies: Sequence[Reply]) -> int | None:
        chat_id = int(external_id)
        messages = [m for reply in replies for m in await self._messages(reply)]
        asks_phone = any(reply.request_phone for reply in replies)
        if chat_id in self._phone_asked and not asks_phone:
            self._take_keyboard_away(messages)
            self._phone_asked.discard(chat_id)
        last: int | None = None
        for message in messages:
            last = await self._send_one(chat_id, message) or last
        if asks_phone:
            self._phone_asked.add(chat_id)
        return last

    @staticmethod
    def _take_keyboard_away(messages: list[Outgoing]) -> None:
        """Put the removal of the "share my phone" keyboard on the first message without
        a keyboard of its own; failing that, on the first text, whose inline buttons are
        then added by an edit."""
        free = next((m for m in messages if m.markup is None), None)
        if free is not None:
            free.markup = REMOVE_KEYBOARD
            return
        text = next((m for m in messages if m.is_text), None)
        if text is not None:
            text.then_inline, text.markup = text.markup, REMOVE_KEYBOARD

    async def _messages(self, reply: Reply) -> list[Outgoing]:
        inline = keyboard(reply.buttons)
        photo = await self._photo(reply.photo)
        document = await self._document(reply.document)
        messages: list[Outgoing] = []
        if photo is not None and document is not None:
            # The words go under the file; the photo goes alone before it.
            messages.append(photo)
        carrier = document or photo
        caption = html.escape(reply.text, quote=False)
        if carrier is not None and len(caption) <= MessageLimit.CAPTION_LENGTH:
            # One message, as a person would send it: the photo or file, its words under
            # it, the buttons under those.
            carrier.text, carrier.markup = caption or None, inline
            messages.append(carrier)
        else:
            if carrier is not None:
                # Too many words for a caption: the photo or file first, then the text.
                messages.append(carrier)
            pieces = escaped_pieces(reply.text, MessageLimit.MAX_TEXT_LENGTH)
            messages += [Outgoing(piece) for piece in pieces]
            if pieces:
                messages[-1].markup = inline
        if reply.request_phone:
            language = reply.language if reply.language in PHONE_HINT else "vi"
            if messages and messages[-1].markup is None:
                messages[-1].markup = phone_keyboard(language)
            else:
                messages.append(Outgoing(PHONE_HINT[language], markup=phone_keyboard(language)))
        return messages

    async def _photo(self, ref: str | None) -> Outgoing | None:
        """The photo message for `Reply.photo`: a platform reference as it is, a stored
        photo by the file id Telegram gave it or else uploaded; None when there is no
        photo, or the stored one is gone (the text goes alone)."""
        if not ref:
            return None
        if not ref.startswith(MEDIA_PREFIX):
            return Outgoing(None, ref)
        if self._media is None:
            return None
        try:
            async with self._sessions() as session:
                media = await media_by_token(session, ref.removeprefix(MEDIA_PREFIX))
        except Exception:
            # The database away for a moment: the words matter more than the picture.
            log.exception("could not look up a stored photo; sent without it")
            return None
        if media is None:
            log.warning("a reply names a stored photo that is gone; sent without it")
            return None
        if media.platform_ref:
            return Outgoing(None, media.platform_ref, stored=media)
        upload = await self._upload(media)
        if upload is None:
            return None
        return Outgoing(None, upload, stored=media)

    async def _document(self, ref: DocumentRef | None) -> Outgoing | None:
        """The document message for `Reply.document`, uploaded from its stored row; None
        when there is none, or it is gone (erased, expired and swept): the text goes
        alone."""
        if ref is None:
            return None
        try:
            async with self._sessions() as session:
                stored = await document_by_token(session, ref.token)
        except Exception:
            log.exception("could not look up a stored file; sent without it")
            return None
        if stored is None:
            log.warning("a reply names a stored file that is gone; sent without it")
            return None
        upload = InputFile(stored.body, filename=stored.filename)
        return Outgoing(None, document=upload)

    async def _upload(self, media: Media) -> InputFile | None:
        store = self._media
        data = await store.read(media) if store is not None else None
        if store is None or data is None:
            log.warning("the file of a stored photo is missing; sent without it")
            return None
        return InputFile(data, filename=f"photo{store.path_for(media).suffix}")

    async def _send_one(self, chat_id: int, message: Outgoing) -> int | None:
        """Send one message; the id Telegram gave it, when it says."""
        bot = self._bot
        if message.document is not None:
            send_document = partial(
                bot.send_document_upload,
                chat_id,
                message.document,
                caption=message.text,
                parse_mode=ParseMode.HTML if message.text else None,
                reply_markup=message.markup,
            )
            return await self._send(chat_id, send_document)
        if message.photo is None:
            send_text = partial(
                bot.send_text,
                chat_id,
                message.text or "",
                parse_mode=ParseMode.HTML,
                reply_markup=message.markup,
            )
            message_id = await self._send(chat_id, send_text)
            if message.then_inline is not None and message_id is not None:
                await self._add_inline(chat_id, message_id, message)
            return message_id

        def send_photo(photo: str | InputFile) -> Callable[[], Awaitable[str | None]]:
            return partial(
                bot.send_photo_by_id,
                chat_id,
                photo,
                caption=message.text,
                parse_mode=ParseMode.HTML if message.text else None,
                reply_markup=message.markup,
            )

        photo: str | InputFile = message.photo
        try:
            file_id = await self._send(chat_id, send_photo(photo))
        except BadRequest:
            stored = message.stored if isinstance(photo, str) else None
            upload = await self._upload(stored) if stored is not None else None
            if upload is None:
                raise
            # The file id was another bot's (the token changed since): upload instead.
            photo = upload
            file_id = await self._send(chat_id, send_photo(photo))
        if message.stored is not None and isinstance(photo, InputFile) and file_id:
            async with self._sessions.begin() as session:
                await set_platform_ref(session, message.stored.token, file_id)
        return None

    async def _add_inline(self, chat_id: int, message_id: int, message: Outgoing) -> None:
        markup = message.then_inline
        if markup is None:
            return
        try:
            await self._send(
                chat_id, partial(self._bot.set_inline_keyboard, chat_id, message_id, markup)
            )
        except BadRequest as error:
            # The buttons must reach the person: the words again, with them.
            log.warning("could not add buttons to a sent message (%s); sent again", error)
            again = partial(
                self._bot.send_text,
                chat_id,
                message.text or "",
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            await self._send(chat_id, again)

    async def _send(self, chat_id: int, call: Callable[[], Awaitable[T]]) -> T:
        async def attempt() -> T:
            await self._pacer.slot(str(chat_id), _LANE.get())
            try:
                return await call()
            except RetryAfter as error:
                # The whole bot was over the limit, not just this chat: everyone waits.
                self._pacer.pause(retry_after_seconds(error) or 1.0)
                raise

        # Replies are sent in the background, so one can wait out a Telegram outage of a
        # couple of minutes (the backoff reaches 30 s between tries) instead of being
        # dropped after a few seconds.
        return await with_retries(
            attempt,
            transient=is_transient,
            retry_after=retry_after_seconds,
            attempts=_ATTEMPTS.get(),
            first_delay=SEND_FIRST_DELAY,
        )
