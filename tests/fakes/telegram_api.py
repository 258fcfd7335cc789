"""A local fake of the Telegram Bot API for end-to-end tests.

``FakeTelegramAPI`` is an aiohttp server on 127.0.0.1 that answers the Bot API methods the bot
uses the way api.telegram.org does: same URLs, same JSON envelopes, same HTTP status codes and
error descriptions, and the same flood limits. Tests point a real PTB ``Application`` at
``fake.base_url`` and play the users through the ``user_*`` hooks::

    async with FakeTelegramAPI(rate_limits=False) as fake:
        app = ApplicationBuilder().token(fake.token).base_url(fake.base_url)...build()
        fake.user_sends_text(42, "/start")
        [reply] = await fake.wait_for_messages(42, 1)

Deliberate differences from Telegram: webhooks may be plain ``http://``, photo URLs are accepted
without being downloaded, MarkdownV2 is not checked, and only private chats are modelled.
"""

import asyncio
import contextlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.fakes.telegram_objects import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    FakeUser,
    JSONDict,
    callback_data_of,
    chat_member_update,
    command_entities,
    photo_sizes,
    validate_reply_markup,
)
from tests.fakes.telegram_updates import UpdateFeed
from tests.fakes.telegram_wire import (
    ApiError,
    FloodControl,
    UploadedFile,
    bad_request,
    format_text,
    read_params,
)

__all__ = ["DEFAULT_TOKEN", "ApiError", "FakeTelegramAPI", "FakeUser", "UploadedFile"]

DEFAULT_TOKEN = "123456789:AAFakeTokenForChungSucTests_0123456789"

# What the Bot API takes as an uploaded file.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_PLACEHOLDER_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake photo\xff\xd9"
_BLOCKED = "Forbidden: bot was blocked by the user"
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

_Handler = Callable[[JSONDict], Awaitable[Any]]


@dataclass
class _StoredFile:
    unique_id: str
    data: bytes
    path: str
    # The size Telegram reports, when a test wants it to differ from the bytes it holds.
    size: int | None = None

    @property
    def file_size(self) -> int:
        return len(self.data) if self.size is None else self.size


@dataclass
class _Injection:
    error: ApiError
    remaining: int


class FakeTelegramAPI:
    """A Bot API server for one bot, with hooks that play the users' side.

    Args:
        token: The one token accepted; any other gets 401 Unauthorized.
        bot_username: Username returned by getMe (CommandHandler matches "/cmd@username").
        bot_first_name: First name returned by getMe.
        rate_limits: Enforce Telegram's flood limits on sendMessage, sendPhoto and
            sendDocument; turn off for functional tests.
        messages_per_second: Overall send limit (Telegram: about 30/s).
        overall_window: Count the overall limit in a sliding one-second window (at most
            ``messages_per_second`` sends in any second, as Telegram appears to) instead of
            a token bucket, which lets twice as many through in the first second.
        chat_messages_per_second: Send limit per private chat (Telegram: about 1/s).
        chat_burst: Sends one chat may receive at once before its limit applies.
        callback_answer_window: Seconds within which a callback query may be answered.
        clock: Monotonic clock for flood limits and query expiry, replaceable in tests.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "chungsuc_test_bot",
        bot_first_name: str = "Chung Sức",
        rate_limits: bool = True,
        messages_per_second: float = 30.0,
        overall_window: bool = False,
        chat_messages_per_second: float = 1.0,
        chat_burst: int = 5,
        callback_answer_window: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        # Telegram's tokens start with the bot's user id.
        self.bot_user: JSONDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.flood_control = (
            FloodControl(
                clock,
                messages_per_second,
                chat_messages_per_second,
                chat_burst,
                overall_window=overall_window,
            )
            if rate_limits
            else None
        )
        self.updates = UpdateFeed()
        self.users: dict[int, FakeUser] = {}
        self.blocked: set[int] = set()
        self.sent: list[tuple[str, JSONDict]] = []
        """Every successful call except getUpdates, in order: (method, decoded params)."""
        self.rejected: list[tuple[str, JSONDict, ApiError]] = []
        """Every call answered with an error: (method, decoded params, error)."""
        self.downloads: list[str] = []
        """The file paths the bot downloaded, in order."""
        self.documents: dict[int, list[UploadedFile]] = {}
        """Per chat, the files the bot uploaded with sendDocument, oldest first."""
        self.reply_keyboards: dict[int, JSONDict] = {}
        """Per chat, the reply keyboard its client shows now (set by a message carrying
        one, gone after ``remove_keyboard`` or once a one-time keyboard was used)."""

        self._answer_window = callback_answer_window
        self._clock = clock
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_messages: dict[int, list[JSONDict]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._callback_queries: dict[str, float] = {}
        self._query_numbers = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._delays: dict[str, float] = {}
        self._injections: dict[str, _Injection] = {}
        self._signals: dict[tuple[str, object], asyncio.Event] = {}
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0
        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self.updates.get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getFile": self._get_file,
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ------------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        # handler_cancellation ends a long poll as soon as its client hangs up, as PTB does on
        # shutdown; without it the server would wait out every poll's timeout when stopping.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Answer waiting long polls, stop webhook delivery and close the server."""
        self._closing.set()
        await self.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()

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
        """Value for ``ApplicationBuilder.base_url``; PTB appends the token."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url``."""
        return f"http://127.0.0.1:{self._port}/file/bot"

    # ------------------------------------------------------------------------- test controls

    def add_user(
        self,
        user_id: int,
        first_name: str = "Người dùng",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> FakeUser:
        """Make a user known, as if they had started the bot earlier, or replace their profile.

        Sends to a chat the fake has never seen fail with "chat not found", as on Telegram.
        """
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        return user

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends answer 403 and a my_chat_member update is queued.

        The next ``user_*`` hook for this user unblocks first, because a Telegram client has to
        restart the bot before it can write to it again.
        """
        if chat_id not in self.blocked:
            self.blocked.add(chat_id)
            self._push_membership(chat_id, "member", "kicked")

    def unblock(self, chat_id: int) -> None:
        """The user restarts the bot: sends work again and a my_chat_member update is queued."""
        if chat_id in self.blocked:
            self.blocked.discard(chat_id)
            self._push_membership(chat_id, "kicked", "member")

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (0 removes the delay).

        The call still takes effect at once; only its answer is late, so a client that times
        out may still have sent its message, as with the real API.
        """
        self._delays[method.lower()] = seconds

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error instead of running
        them; ``times=0`` ends an injection still running."""
        if times <= 0:
            self._injections.pop(method.lower(), None)
            return
        error = ApiError(error_code, description, retry_after)
        self._injections[method.lower()] = _Injection(error, times)

    def commands_for(
        self, language_code: str = "", scope: JSONDict | None = None
    ) -> list[JSONDict]:
        """The commands last set with setMyCommands for this language and scope."""
        return self._commands.get(_commands_key(language_code, scope), [])

    def messages_to(self, chat_id: int) -> list[JSONDict]:
        """The bot's messages in a chat, oldest first, as currently edited."""
        return list(self._bot_messages.get(chat_id, []))

    def documents_to(self, chat_id: int) -> list[UploadedFile]:
        """The files the bot sent to a chat as documents, oldest first."""
        return list(self.documents.get(chat_id, []))

    async def wait_for_messages(
        self,
        chat_id: int,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - public test API
    ) -> list[JSONDict]:
        """Wait until the bot has sent at least ``n`` messages to ``chat_id``; return them all.

        Raises:
            AssertionError: Fewer than ``n`` arrived within ``timeout`` seconds.
        """

        def arrived() -> bool:
            return len(self._bot_messages.get(chat_id, [])) >= n

        if await self._wait_for(("messages", chat_id), arrived, timeout):
            return self.messages_to(chat_id)
        texts = [m.get("text", m.get("caption")) for m in self.messages_to(chat_id)]
        raise AssertionError(
            f"expected {n} bot messages in chat {chat_id} within {timeout}s, got {texts!r}"
        )

    async def wait_for_call(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - public test API
    ) -> JSONDict:
        """Wait until the bot has successfully called ``method``; return the latest call's params.

        Raises:
            AssertionError: No such call within ``timeout`` seconds.
        """

        def called() -> bool:
            return any(m == method for m, _ in self.sent)

        if await self._wait_for(("call", method), called, timeout):
            return next(p for m, p in reversed(self.sent) if m == method)
        made = sorted({m for m, _ in self.sent})
        raise AssertionError(f"no successful {method} call within {timeout}s; calls: {made}")

    # ------------------------------------------------------------------------ the users' side

    def user_sends_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = "vi",
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """A user sends a text; a leading "/command" gets its bot_command entity.

        Returns the update as queued (or POSTed, in webhook mode).
        """
        fields: JSONDict = {"text": text}
        if entities := command_entities(text):
            fields["entities"] = entities
        if reply_to_message_id is not None:
            if (user_id, reply_to_message_id) not in self._messages:
                raise ValueError(f"no message {reply_to_message_id} in chat {user_id}")
            fields["reply_to_message"] = self._messages[(user_id, reply_to_message_id)]
        return self._user_message(user_id, fields, first_name, language_code)

    def user_sends_photo(
        self,
        user_id: int,
        data: bytes = _PLACEHOLDER_JPEG,
        *,
        caption: str | None = None,
        first_name: str | None = None,
        language_code: str | None = "vi",
        file_size: int | None = None,
    ) -> JSONDict:
        """A user sends a photo; the bot can fetch it with getFile and download ``data``.
        ``file_size`` is the size Telegram reports, when it should not be ``len(data)``."""
        fields: JSONDict = {"photo": self._store_photo(data, file_size)}
        if caption is not None:
            fields["caption"] = caption
        return self._user_message(user_id, fields, first_name, language_code)

    def user_sends_document(
        self,
        user_id: int,
        data: bytes,
        *,
        mime_type: str,
        file_name: str = "file",
        caption: str | None = None,
        file_size: int | None = None,
    ) -> JSONDict:
        """A user sends a file (a photo "as a file", a PDF…); the bot can download it."""
        file_id, unique_id = self._store_file(data, f"documents/{file_name}", file_size)
        document = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": self._files[file_id].file_size,
        }
        fields: JSONDict = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        return self._user_message(user_id, fields, None, "vi")

    def user_sends_message(self, user_id: int, **fields: Any) -> JSONDict:
        """A user sends a message with these fields as Telegram would fill them (a
        ``sticker``, a ``voice`` note, a ``location``…)."""
        return self._user_message(user_id, fields, None, "vi")

    def user_shares_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        language_code: str | None = "vi",
    ) -> JSONDict:
        """A user shares a contact, by default their own (as a request_contact button does)."""
        user = self._touch_user(user_id, first_name, language_code)
        contact: JSONDict = {
            "phone_number": phone_number,
            "first_name": user.first_name,
            "user_id": user_id if contact_user_id is None else contact_user_id,
        }
        if last_name:
            contact["last_name"] = last_name
        keyboard = self.reply_keyboards.get(user_id)
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            # Pressing a button of a one-time keyboard hides it.
            del self.reply_keyboards[user_id]
        return self._user_message(user_id, {"contact": contact}, first_name, language_code)

    def user_clicks(self, user_id: int, message_id: int, callback_data: str) -> JSONDict:
        """A user presses an inline button on one of the bot's messages in their chat.

        Raises:
            ValueError: No such bot message, or no button with that callback_data on it; a real
                client could not send such a click.
        """
        message = self._messages.get((user_id, message_id))
        if message is None or message["from"]["id"] != self.bot_user["id"]:
            raise ValueError(f"no bot message {message_id} in chat {user_id}")
        if callback_data not in callback_data_of(message.get("reply_markup")):
            raise ValueError(f"message {message_id} has no button with data {callback_data!r}")
        user = self._touch_user(user_id, None, None)
        query_id = str(4_000_000_000_000_000_000 + next(self._query_numbers))
        self._callback_queries[query_id] = self._clock()
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": str(-7_000_000_000_000_000_000 - user_id),
            "data": callback_data,
        }
        return self.updates.push("callback_query", query)

    # ---------------------------------------------------------------------------- HTTP layer

    async def _handle_method(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["token"], self.token):
            return ApiError(401, "Unauthorized").to_response()
        known = self._methods.get(request.match_info["method"].lower())
        if known is None:
            return ApiError(404, "Not Found").to_response()
        name, handler = known
        params: JSONDict = {}
        try:
            params = await read_params(request)
            self._raise_injected_error(name)
            result = await handler(params)
        except ApiError as error:
            self.rejected.append((name, params, error))
            response = error.to_response()
        else:
            if name != "getUpdates":
                self.sent.append((name, params))
                self._signal(("call", name))
            response = web.json_response({"ok": True, "result": result})
        await self._pause(self._delays.get(name.lower(), 0.0))
        return response

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["file_path"]
        stored = next((f for f in self._files.values() if f.path == path), None)
        if stored is None or not hmac.compare_digest(request.match_info["token"], self.token):
            return ApiError(404, "Not Found").to_response()
        self.downloads.append(path)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _raise_injected_error(self, method: str) -> None:
        injection = self._injections.get(method.lower())
        if injection is not None:
            injection.remaining -= 1
            if injection.remaining <= 0:
                del self._injections[method.lower()]
            raise injection.error

    async def _pause(self, seconds: float) -> None:
        """Sleep, returning early when the server stops."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._closing.wait()

    async def _wait_for(
        self, topic: tuple[str, object], condition: Callable[[], bool], seconds: float
    ) -> bool:
        """Wait until ``condition()`` holds, re-checking when ``topic`` is signalled.

        Returns False if ``seconds`` pass first.
        """
        try:
            async with asyncio.timeout(seconds):
                while not condition():
                    await self._signals.setdefault(topic, asyncio.Event()).wait()
        except TimeoutError:
            return False
        return True

    def _signal(self, topic: tuple[str, object]) -> None:
        # One signal per chat or method, so that many waiting users do not all wake at once.
        event = self._signals.pop(topic, None)
        if event is not None:
            event.set()

    # ---------------------------------------------------------------------- webhook methods

    async def _set_webhook(self, params: JSONDict) -> bool:
        if params.get("url"):
            await self.updates.set_webhook(params)
        else:
            await self.updates.delete_webhook(params)
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        await self.updates.delete_webhook(params)
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return self.updates.webhook_info()

    # ----------------------------------------------------------------------- sending methods

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._known_chat(params)
        text, entities = format_text(params.get("text", ""), params, "entities", MAX_TEXT_LENGTH)
        if not text.strip():
            raise bad_request("message text is empty")
        fields: JSONDict = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._bot_message(chat_id, fields, params)

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        chat_id = self._known_chat(params)
        photo = _attached(params, "photo")
        if isinstance(photo, UploadedFile):
            if not photo.data:
                raise bad_request("file must be non-empty")
            sizes = self._store_photo(photo.data)
        elif isinstance(photo, str) and photo.startswith(("http://", "https://")):
            sizes = self._store_photo(_PLACEHOLDER_JPEG)
        elif isinstance(photo, str) and photo in self._files:
            stored = self._files[photo]
            sizes = photo_sizes([(photo, stored.unique_id)], stored.file_size)
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        fields: JSONDict = {"photo": sizes}
        fields.update(_caption(params))
        return self._bot_message(chat_id, fields, params)

    async def _send_document(self, params: JSONDict) -> JSONDict:
        chat_id = self._known_chat(params)
        document = _attached(params, "document")
        if isinstance(document, UploadedFile):
            if not document.data:
                raise bad_request("file must be non-empty")
            if len(document.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            file_id, unique_id = self._store_file(document.data, "documents/file_{number}", None)
            received = document
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
            file_id, unique_id = document, stored.unique_id
            received = UploadedFile(stored.path.rsplit("/", 1)[-1], "", stored.data)
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        fields: JSONDict = {
            "document": {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "file_name": received.filename,
                "mime_type": received.content_type,
                "file_size": len(received.data),
            }
        }
        fields.update(_caption(params))
        message = self._bot_message(chat_id, fields, params)
        self.documents.setdefault(chat_id, []).append(received)
        return message

    async def _send_chat_action(self, params: JSONDict) -> bool:
        if self._known_chat(params) in self.blocked:
            raise ApiError(403, _BLOCKED)
        return True

    def _bot_message(self, chat_id: int, fields: JSONDict, params: JSONDict) -> JSONDict:
        """Check, count against the flood limits, store and return a message the bot sends."""
        markup = params.get("reply_markup")
        if markup is not None:
            _check_markup(markup)
        reply_to = self._reply_target(chat_id, params)
        if chat_id in self.blocked:
            raise ApiError(403, _BLOCKED)
        if self.flood_control is not None:
            self.flood_control.take(chat_id)
        message = self._new_message(chat_id, self.bot_user, fields)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        # Only inline keyboards are echoed back on the message, as Telegram does.
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        elif markup and "keyboard" in markup:
            self.reply_keyboards[chat_id] = markup
        elif markup and markup.get("remove_keyboard"):
            self.reply_keyboards.pop(chat_id, None)
        self._bot_messages.setdefault(chat_id, []).append(message)
        self._signal(("messages", chat_id))
        return message

    def _reply_target(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = self._messages.get((chat_id, message_id))
        allow_missing = reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply", False)
        )
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    # ----------------------------------------------------------------------- editing methods

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        message = self._editable_message(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = format_text(params.get("text", ""), params, "entities", MAX_TEXT_LENGTH)
        if not text.strip():
            raise bad_request("message text is empty")
        changes = {"text": text, "entities": entities}
        return self._apply_edit(message, changes, params.get("reply_markup"))

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        return self._apply_edit(self._editable_message(params), {}, params.get("reply_markup"))

    def _editable_message(self, params: JSONDict) -> JSONDict:
        if "inline_message_id" in params:
            raise bad_request("message to edit not found")
        message = self._messages.get((self._known_chat(params), params.get("message_id", 0)))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: JSONDict, changes: JSONDict, markup: Any) -> JSONDict:
        """Edit in place; as on Telegram, an edit without reply_markup removes the keyboard."""
        if markup is not None:
            _check_markup(markup)
        new_markup = markup if markup and "inline_keyboard" in markup else None
        unchanged = all(message.get(key) == (value or None) for key, value in changes.items())
        if unchanged and message.get("reply_markup") == new_markup:
            raise ApiError(400, _NOT_MODIFIED)
        for key, value in [*changes.items(), ("reply_markup", new_markup)]:
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = _now()
        return message

    async def _delete_message(self, params: JSONDict) -> bool:
        chat_id = self._known_chat(params)
        message = self._messages.pop((chat_id, params.get("message_id", 0)), None)
        if message is None:
            raise bad_request("message to delete not found")
        if message in self._bot_messages.get(chat_id, []):
            self._bot_messages[chat_id].remove(message)
        return True

    # ------------------------------------------------------------------------- other methods

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        asked_at = self._callback_queries.pop(str(params.get("callback_query_id", "")), None)
        # Unknown, already answered and answered too late all get the same error.
        if asked_at is None or self._clock() - asked_at > self._answer_window:
            raise ApiError(400, _QUERY_TOO_OLD)
        return True

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params.get("language_code", ""), params.get("scope"))
        self._commands[key] = commands
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands_for(params.get("language_code", ""), params.get("scope"))

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        key = _commands_key(params.get("language_code", ""), params.get("scope"))
        self._commands.pop(key, None)
        return True

    async def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = str(params.get("file_id", ""))
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.file_size,
            "file_path": stored.path,
        }

    # ------------------------------------------------------------------------------- helpers

    def _push_membership(self, chat_id: int, old_status: str, new_status: str) -> None:
        user = self._user(chat_id)
        update = chat_member_update(user, self.bot_user, _now(), old_status, new_status)
        self.updates.push("my_chat_member", update)

    def _user(self, user_id: int) -> FakeUser:
        return self.users.get(user_id) or self.add_user(user_id)

    def _touch_user(
        self, user_id: int, first_name: str | None, language_code: str | None
    ) -> FakeUser:
        """The user behind a hook call: created if new, unblocked if they had blocked the bot."""
        user = self._user(user_id)
        if first_name:
            user.first_name = first_name
        if language_code:
            user.language_code = language_code
        # A Telegram client has to restart (unblock) the bot before writing to it again.
        self.unblock(user_id)
        return user

    def _user_message(
        self, user_id: int, fields: JSONDict, first_name: str | None, language_code: str | None
    ) -> JSONDict:
        user = self._touch_user(user_id, first_name, language_code)
        return self.updates.push("message", self._new_message(user_id, user.to_json(), fields))

    def _new_message(self, chat_id: int, sender: JSONDict, fields: JSONDict) -> JSONDict:
        # Message ids count per chat, shared by both sides of the conversation.
        message_id = next(self._message_ids.setdefault(chat_id, itertools.count(1)))
        message: JSONDict = {
            "message_id": message_id,
            "from": sender,
            "chat": self._user(chat_id).private_chat(),
            "date": _now(),
            **fields,
        }
        self._messages[(chat_id, message_id)] = message
        return message

    def _known_chat(self, params: JSONDict) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self.users:
            raise bad_request("chat not found")
        return chat_id

    def _store_photo(self, data: bytes, file_size: int | None = None) -> list[JSONDict]:
        """Keep photo bytes under two file ids (thumbnail and full size); return the sizes."""
        ids = [self._store_file(data, "photos/file_{number}.jpg", file_size) for _ in range(2)]
        return photo_sizes(ids, self._files[ids[-1][0]].file_size)

    def _store_file(self, data: bytes, path: str, file_size: int | None) -> tuple[str, str]:
        number = next(self._file_numbers)
        file_id, unique_id = f"AgACAgUAAxkBAAI{number:08d}", f"AQAD{number:08d}"
        path = path.format(number=number) if "{number}" in path else f"{number}/{path}"
        self._files[file_id] = _StoredFile(unique_id, data, path, file_size)
        return file_id, unique_id


def _attached(params: JSONDict, name: str) -> Any:
    """A file parameter: the value itself, or the multipart part an `attach://` names."""
    value = params.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        return params.get(value.removeprefix("attach://"))
    return value


def _caption(params: JSONDict) -> JSONDict:
    """A media message's caption fields, checked and formatted as Telegram does."""
    caption, entities = format_text(
        params.get("caption", ""), params, "caption_entities", MAX_CAPTION_LENGTH
    )
    fields: JSONDict = {}
    if caption:
        fields["caption"] = caption
    if entities:
        fields["caption_entities"] = entities
    return fields


def _check_markup(markup: object) -> None:
    try:
        validate_reply_markup(markup)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def _commands_key(language_code: str, scope: JSONDict | None) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def _now() -> int:
    return int(time.time())
