"""The Bot API calls the Telegram channel makes on every message, without the objects it
does not need.

PTB's `Bot.get_updates` and `Bot.send_message` turn every answer into `Update` and
`Message` objects. The channel stores each update as the JSON Telegram sent, and of a sent
message it needs only to know that it went through; building those objects (and turning
updates back into JSON to store them) costs more CPU than the HTTP call itself. These two
methods go through the same request machinery, defaults and errors as every other call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Bot, InputFile
from telegram.constants import ParseMode

JSONDict = dict[str, Any]
# How long an answer may take beyond a long poll's own duration.
ANSWER_SECONDS = 5.0


class ChannelBot(Bot):
    """A `telegram.Bot` with raw variants of the two calls made per message."""

    async def get_update_payloads(
        self, offset: int | None, poll_seconds: int, allowed_updates: Sequence[str]
    ) -> list[JSONDict]:
        """getUpdates, answered as the JSON objects Telegram sent."""
        result = await self._post(
            "getUpdates",
            {"offset": offset, "timeout": poll_seconds, "allowed_updates": list(allowed_updates)},
            # As Bot.get_updates does: the long poll lasts up to `poll_seconds`, and the
            # answer may take the usual few seconds more.
            read_timeout=poll_seconds + ANSWER_SECONDS,
        )
        return list(result)

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        parse_mode: ParseMode | None = None,
        reply_markup: JSONDict | None = None,
    ) -> int | None:
        """sendMessage, without building a `Message` from the answer; `reply_markup` is
        the markup's JSON. Returns the sent message's id."""
        result = await self._post(
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": text,
                "parse_mode": parse_mode,
                "reply_markup": reply_markup,
            },
        )
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return message_id if isinstance(message_id, int) else None

    async def set_inline_keyboard(
        self, chat_id: int, message_id: int, reply_markup: JSONDict
    ) -> None:
        """editMessageReplyMarkup: put an inline keyboard on a message already sent."""
        await self._post(
            "editMessageReplyMarkup",
            {"chat_id": chat_id, "message_id": message_id, "reply_markup": reply_markup},
        )

    async def send_photo_by_id(
        self,
        chat_id: int,
        photo: str | InputFile,
        *,
        caption: str | None = None,
        parse_mode: ParseMode | None = None,
        reply_markup: JSONDict | None = None,
    ) -> str | None:
        """sendPhoto of a photo Telegram already has (its file id or an URL), or of one
        uploaded (an InputFile, sent as multipart), with the caption and keyboard as JSON,
        without building a `Message` from the answer. Returns the file id Telegram gave
        the photo's largest size, to send it again without uploading."""
        result = await self._post(
            "sendPhoto",
            {
                "chat_id": chat_id,
                "photo": photo,
                "caption": caption,
                "parse_mode": parse_mode,
                "reply_markup": reply_markup,
            },
        )
        sizes = result.get("photo") if isinstance(result, dict) else None
        if isinstance(sizes, list) and sizes and isinstance(sizes[-1], dict):
            file_id = sizes[-1].get("file_id")
            return file_id if isinstance(file_id, str) else None
        return None

    async def send_document_upload(
        self,
        chat_id: int,
        document: InputFile,
        *,
        caption: str | None = None,
        parse_mode: ParseMode | None = None,
        reply_markup: JSONDict | None = None,
    ) -> int | None:
        """sendDocument of a file uploaded as multipart, with the caption and keyboard as
        JSON, without building a `Message` from the answer. Returns the sent message's id."""
        result = await self._post(
            "sendDocument",
            {
                "chat_id": chat_id,
                "document": document,
                "caption": caption,
                "parse_mode": parse_mode,
                "reply_markup": reply_markup,
            },
        )
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return message_id if isinstance(message_id, int) else None
