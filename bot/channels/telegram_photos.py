"""Photos people send on Telegram, fetched and stored before their turn.

The engine handles a batch of turns in one transaction, with no network inside it, so a
photo is downloaded (getFile, then the file under TELEGRAM_BASE_FILE_URL) and kept in the
media store first; its turn then carries the stored photo's token. Only photo updates
wait for this, and only the person who sent one: their later messages queue behind it,
everyone else's go straight on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram.error import TelegramError

from bot.channels.delivery import with_retries
from bot.channels.telegram_bot import ChannelBot
from bot.channels.telegram_payloads import MAX_PHOTO_BYTES, PhotoFile
from bot.channels.telegram_send import is_transient, retry_after_seconds
from bot.media import TOO_LARGE, MediaStore
from handlers.types import Incoming

log = logging.getLogger(__name__)

# Downloads at once: photos are rare next to text, and each costs a second of CPU.
PARALLEL_DOWNLOADS = 4
DOWNLOAD_ATTEMPTS = 3


class FileTooLarge(Exception):
    """Telegram reported, or sent, more bytes than a photo may have."""


class PhotoIntake:
    """Turns an Incoming carrying a Telegram photo into one carrying a stored photo."""

    def __init__(
        self, bot: ChannelBot, store: MediaStore, parallel: int = PARALLEL_DOWNLOADS
    ) -> None:
        self._bot = bot
        self._store = store
        self._slots = asyncio.Semaphore(parallel)

    async def take(self, incoming: Incoming, photo: PhotoFile) -> Incoming:
        """`incoming` with `media` set to the stored photo's token, or with `attachment`
        saying why there is none (too_large, not_image, unavailable). Never raises: the
        turn goes ahead either way."""
        try:
            async with self._slots:
                data = await with_retries(
                    lambda: self._download(photo.file_id),
                    transient=is_transient,
                    retry_after=retry_after_seconds,
                    attempts=DOWNLOAD_ATTEMPTS,
                )
                kept = await self._store.keep(data, platform_ref=photo.file_id)
        except FileTooLarge:
            return replace(incoming, attachment=TOO_LARGE)
        except (TelegramError, OSError) as error:
            log.warning("could not fetch a photo from Telegram: %s", error)
            return replace(incoming, attachment="unavailable")
        except Exception:
            # The database refusing the row, most likely; the turn still says so.
            log.exception("could not keep a photo sent on Telegram")
            return replace(incoming, attachment="unavailable")
        return replace(incoming, media=kept.token, attachment=kept.problem)

    async def _download(self, file_id: str) -> bytes:
        file = await self._bot.get_file(file_id)
        if file.file_size is not None and file.file_size > MAX_PHOTO_BYTES:
            raise FileTooLarge
        data = await file.download_as_bytearray()
        if len(data) > MAX_PHOTO_BYTES:
            raise FileTooLarge
        return bytes(data)
