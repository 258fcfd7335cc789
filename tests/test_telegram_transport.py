"""End-to-end tests of the aiohttp transport: a real PTB Application against the fake Bot API."""

import asyncio
import datetime as dtm
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_request import AiohttpRequest
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI, UploadedFile

pytestmark = pytest.mark.asyncio

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

USER_ID = 424242


@pytest_asyncio.fixture(autouse=True)
async def no_leftover_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves tasks running (its fake, app and transports must all stop)."""
    yield
    await asyncio.sleep(0)
    leftovers = asyncio.all_tasks() - {asyncio.current_task()}
    assert not leftovers, f"tasks still running after the test: {leftovers}"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(rate_limits=False) as api:
        yield api


def build_app(
    fake: FakeTelegramAPI,
    *,
    token: str | None = None,
    request: AiohttpRequest | None = None,
    updates_request: AiohttpRequest | None = None,
) -> AnyApplication:
    """A real Application whose two transports are AiohttpRequest, pointed at the fake."""
    return (
        ApplicationBuilder()
        .token(token or fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .request(request or AiohttpRequest())
        .get_updates_request(updates_request or AiohttpRequest(connection_pool_size=1))
        .build()
    )


@asynccontextmanager
async def polling(app: AnyApplication) -> AsyncIterator[AnyApplication]:
    """Run the application with long polling, and stop it the way run_polling would."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=10))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@asynccontextmanager
async def local_server(routes: list[web.RouteDef]) -> AsyncIterator[str]:
    """A throwaway aiohttp server on 127.0.0.1; yields its base URL."""
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_get_me_initialises_the_bot(fake: FakeTelegramAPI) -> None:
    async with build_app(fake) as app:
        assert app.bot.username == "chungsuc_test_bot"
        assert app.bot.id == int(fake.token.split(":")[0])
    assert ("getMe", {}) in fake.sent


async def test_polling_delivers_text_and_handlers_reply(fake: FakeTelegramAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message and update.effective_user
        await update.effective_message.reply_text(f"Xin chào {update.effective_user.first_name}!")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text.upper())

    app = build_app(fake)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(app):
        fake.user_sends_text(USER_ID, "/start", first_name="Lan")
        fake.user_sends_text(USER_ID, "nông thôn mới")
        replies = await fake.wait_for_messages(USER_ID, 2)

    assert [m["text"] for m in replies] == ["Xin chào Lan!", "NÔNG THÔN MỚI"]
    assert all(m["from"]["username"] == "chungsuc_test_bot" for m in replies)
    assert [method for method, _ in fake.sent].count("sendMessage") == 2


async def test_callback_button_click_is_answered(fake: FakeTelegramAPI) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đề cử", callback_data="nom:1")]])
        await update.effective_message.reply_text("Chọn:", reply_markup=keyboard)

    async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Đã chọn")
        await query.edit_message_text(f"Bạn chọn {query.data}")

    app = build_app(fake)
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(chosen))
    async with polling(app):
        fake.user_sends_text(USER_ID, "/menu")
        [keyboard_message] = await fake.wait_for_messages(USER_ID, 1)
        fake.user_clicks(USER_ID, keyboard_message["message_id"], "nom:1")
        answer = await fake.wait_for_call("answerCallbackQuery")
        await fake.wait_for_call("editMessageText")

    assert answer["text"] == "Đã chọn"
    assert fake.messages_to(USER_ID)[0]["text"] == "Bạn chọn nom:1"
    assert "reply_markup" not in fake.messages_to(USER_ID)[0]


async def test_flood_limit_surfaces_as_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns on reading RetryAfter.retry_after as an int; opting in to timedelta avoids it.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegramAPI(chat_burst=3) as fake, build_app(fake) as app:
        fake.add_user(USER_ID)
        for n in range(3):
            await app.bot.send_message(USER_ID, f"tin {n}")
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(USER_ID, "một tin quá nhiều")

    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert len(fake.messages_to(USER_ID)) == 3


async def test_blocked_chat_surfaces_as_forbidden(fake: FakeTelegramAPI) -> None:
    async with build_app(fake) as app:
        fake.add_user(USER_ID)
        fake.block(USER_ID)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(USER_ID, "Thông báo")
        [update] = await app.bot.get_updates()

    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_over_long_or_malformed_text_surfaces_as_bad_request(fake: FakeTelegramAPI) -> None:
    async with build_app(fake) as app:
        fake.add_user(USER_ID)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await app.bot.send_message(USER_ID, "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await app.bot.send_message(USER_ID, "<b>đậm", parse_mode=ParseMode.HTML)
        # The limit counts characters after HTML tags are removed.
        sent = await app.bot.send_message(
            USER_ID, f"<b>{'x' * 4096}</b>", parse_mode=ParseMode.HTML
        )
    assert sent.entities[0].type == "bold"


async def test_photo_upload_is_sent_as_multipart_and_downloadable(fake: FakeTelegramAPI) -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    async with build_app(fake) as app:
        fake.add_user(USER_ID)
        message = await app.bot.send_photo(
            USER_ID,
            photo=image,
            caption="Ảnh <i>đẹp</i>",
            parse_mode=ParseMode.HTML,
            filename="ảnh thôn.png",
        )
        photo_file = await app.bot.get_file(message.photo[-1].file_id)
        downloaded = await photo_file.download_as_bytearray()

    upload = next(params["photo"] for method, params in fake.sent if method == "sendPhoto")
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.data) == ("ảnh thôn.png", image)
    assert message.caption == "Ảnh đẹp"
    assert bytes(downloaded) == image


async def test_wrong_token_is_rejected_at_initialize(fake: FakeTelegramAPI) -> None:
    app = build_app(fake, token="987654321:not-the-right-token")
    with pytest.raises(InvalidToken):
        await app.initialize()
    # Application.shutdown() is a no-op after a failed initialize, so PTB leaves the bot's
    # transports open; closing them is the caller's job.
    await app.bot.shutdown()


async def test_slow_response_surfaces_as_timed_out(fake: FakeTelegramAPI) -> None:
    fake.add_user(USER_ID)
    fake.set_delay("sendMessage", 0.5)
    async with build_app(fake, request=AiohttpRequest(read_timeout=0.1)) as app:
        with pytest.raises(TimedOut):
            await app.bot.send_message(USER_ID, "chậm")
        # A per-call read timeout overrides the default one.
        await app.bot.send_message(USER_ID, "đủ thời gian", read_timeout=2)
    # As with the real API, a send whose answer timed out may still have been delivered.
    assert [m["text"] for m in fake.messages_to(USER_ID)] == ["chậm", "đủ thời gian"]


async def test_long_poll_outlasts_the_default_read_timeout(fake: FakeTelegramAPI) -> None:
    # PTB adds the long-poll timeout to the read timeout; the transport must honour the sum.
    updates_request = AiohttpRequest(connection_pool_size=1, read_timeout=0.2)
    async with build_app(fake, updates_request=updates_request) as app:
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await app.bot.get_updates(timeout=1) == ()
        assert loop.time() - started >= 0.9


async def test_exhausted_pool_surfaces_as_timed_out(fake: FakeTelegramAPI) -> None:
    fake.add_user(USER_ID)
    fake.set_delay("sendMessage", 0.3)
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.05)
    async with build_app(fake, request=request) as app:
        results = await asyncio.gather(
            app.bot.send_message(USER_ID, "một"),
            app.bot.send_message(USER_ID, "hai"),
            return_exceptions=True,
        )
    [failure] = [r for r in results if isinstance(r, BaseException)]
    assert isinstance(failure, TimedOut)
    assert "Pool timeout" in str(failure)


async def test_stalled_upload_surfaces_as_timed_out() -> None:
    release = asyncio.Event()

    async def never_reads_the_body(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    routes = [web.post("/bot{token}/sendDocument", never_reads_the_body)]
    async with local_server(routes) as url, AiohttpRequest() as request:
        bot = Bot(
            DEFAULT_TOKEN, base_url=f"{url}/bot", request=request, get_updates_request=request
        )
        # The server never reads, so the upload stalls once the socket buffers are full; the
        # request must fail after connect + write + read timeouts rather than hang.
        with pytest.raises(TimedOut):
            await bot.send_document(
                USER_ID,
                bytes(32 * 1024 * 1024),
                connect_timeout=0.1,
                write_timeout=0.3,
                read_timeout=0.1,
            )
        release.set()


async def test_slow_download_is_bounded_per_read_not_overall() -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(6):
            await response.write(b"x" * 1000)
            await asyncio.sleep(0.1)
        await response.write_eof()
        return response

    async with local_server([web.get("/file", trickle)]) as url:
        # Six reads 0.1 s apart outlast connect + write + read (0.35 s) but each read is quick.
        request = AiohttpRequest(read_timeout=0.25, write_timeout=0.05, connect_timeout=0.05)
        async with request:
            assert await request.retrieve(f"{url}/file") == b"x" * 6000


async def test_refused_connection_surfaces_as_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with AiohttpRequest(connect_timeout=1) as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{closed_port}/bot1:x/getMe")
    assert not isinstance(caught.value, TimedOut)


async def test_webhook_mode_posts_updates_with_secret(fake: FakeTelegramAPI) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()

    async def webhook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await received.put((secret, await request.json()))
        return web.Response()

    async with local_server([web.post("/telegram", webhook)]) as base, build_app(fake) as app:
        await app.bot.set_webhook(f"{base}/telegram", secret_token="bi-mat_123")
        fake.user_sends_text(USER_ID, "xin chào")
        secret, body = await asyncio.wait_for(received.get(), 5)
        with pytest.raises(Conflict):
            await app.bot.get_updates()
        info = await app.bot.get_webhook_info()
        await app.bot.delete_webhook()

    assert secret == "bi-mat_123"
    update = Update.de_json(body, None)
    assert update.message is not None and update.message.text == "xin chào"
    assert info.url == f"{base}/telegram"


async def test_fake_accepts_json_bodies(fake: FakeTelegramAPI) -> None:
    fake.add_user(USER_ID)
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_url}{fake.token}/sendMessage"
        markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]}
        async with session.post(
            url, json={"chat_id": USER_ID, "text": "json", "reply_markup": markup}
        ) as response:
            body = await response.json()
        async with session.post(f"{fake.base_url}wrong:token/getMe") as response:
            unauthorized = (response.status, await response.json())

    assert body["ok"] and body["result"]["reply_markup"] == markup
    assert unauthorized == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
