"""Logs without secrets or personal data: a whole Telegram journey at DEBUG, the
nomination form with its phone number included, leaves no token, phone number or
message text in any line, in text or JSON; SQL errors and tracebacks are redacted too."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import insert

from bot.app import ChungSuc
from bot.config import Settings, SettingsError, load_settings
from bot.logs import ServiceHandler, configure_logging
from storage.db import create_engine
from storage.models import Interaction, utcnow
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_channel import TelegramUser, buttons, telegram_settings

PHONE = "0912 345 678"
PHONE_FORMS = ("0912 345 678", "0912345678", "912345678", "+84912345678", "84912345678")
SECRET = "webhook-secret-for-log-tests"
TYPED = (
    f"Số của tôi là {PHONE}, kế hoạch 861 ban hành ngày nào",
    "Cho mình hỏi về tiêu chí xã nông thôn mới nâng cao",
    "Lan ở thôn Đông, muốn góp ý",
)
NOMINEE = "Thôn Tân Hiệp"
ACHIEVEMENTS = "Thôn có 100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông."
LOGGERS = ("aiosqlite", "sqlalchemy.engine")


@pytest.fixture
def root_output() -> Iterator[io.StringIO]:
    """What the service's root handler writes, captured; logging as it was afterwards."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    level = root.level
    stream = io.StringIO()
    yield stream
    for handler in [h for h in root.handlers if isinstance(h, ServiceHandler)]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def leaks(output: str, fake: FakeTelegramAPI, replies: list[str]) -> list[str]:
    """Lines holding the token, the phone number in any form, or a message text."""
    secrets = [fake.token, fake.token.replace(":", "%3A"), SECRET, *PHONE_FORMS, *TYPED]
    secrets += [NOMINEE, ACHIEVEMENTS, "Lê Thị Lan"]
    # A reply's opening words are distinctive enough; whole replies hold line breaks.
    secrets += [r.split("\n")[0][:40] for r in replies if len(r.split("\n")[0]) >= 20]
    return [line for line in output.splitlines() if any(s in line for s in secrets)]


async def nominate_with_phone(lan: TelegramUser) -> None:
    """The nomination form to its receipt, the phone number typed at its step."""
    intro = await lan.say("/decu", expect=2)
    kind = lan.fake.messages_to(lan.user_id)[-1]
    assert "Bạn muốn đề cử gì" in kind["text"], intro
    await lan.tap(kind, buttons(kind)["🏡 Thôn, bản kiểu mẫu"])
    await lan.say(NOMINEE)
    confirm = await lan.say("xa cua tung")
    achievements = await lan.tap(confirm, buttons(confirm)["✅ Đúng"])
    assert "Thành tích" in achievements["text"]
    photos = await lan.say(ACHIEVEMENTS)
    await lan.tap(photos, buttons(photos)["Bỏ qua, không có ảnh"])
    await lan.say("Lê Thị Lan")
    await lan.say(PHONE)
    await lan.fake.wait_for_call("editMessageReplyMarkup")
    consent = lan.fake.messages_to(lan.user_id)[-1]
    consent = await lan.tap(consent, buttons(consent)["✅ Đồng ý"])
    consent = await lan.tap(consent, buttons(consent)["Được"])
    summary = await lan.tap(consent, buttons(consent)["Chưa hỏi"])
    assert PHONE in summary["text"]
    receipt = await lan.tap(summary, buttons(summary)["✅ Gửi"])
    assert "DC-" in receipt["text"]


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_whole_journey_at_debug_logs_no_token_phone_or_text(
    settings: Settings,
    clock: Clock,
    root_output: io.StringIO,
    log_format: str,
) -> None:
    async with FakeTelegramAPI(rate_limits=False) as fake:
        service_settings = telegram_settings(
            settings,
            fake,
            log_level="DEBUG",
            log_format=log_format,
            telegram_webhook_secret=SECRET,
            # The form is walked as fast as the replies come, not at a chat's pace.
            telegram_chat_rate=100.0,
        )
        configure_logging(service_settings, root_output)
        app = ChungSuc(service_settings, clock=clock)
        await app.start(migrate=False)
        try:
            lan = TelegramUser(fake)
            greeting = await lan.say("/start")
            await lan.tap(greeting, buttons(greeting)["Quảng Trị"])
            for text in TYPED:
                await lan.say(text)
            await nominate_with_phone(lan)
            await lan.say("/dulieu")
            await app.engine.drain()
        finally:
            await app.stop()
        replies = [str(m.get("text", "")) for m in fake.messages_to(lan.user_id)]
    output = root_output.getvalue()
    assert "Set Bot API URL" in output, "DEBUG lines of python-telegram-bot were written"
    assert "Calling Bot API endpoint `sendMessage`" in output
    assert leaks(output, fake, replies) == []
    if log_format == "json":
        for line in output.splitlines():
            record = json.loads(line)
            assert {"time", "level", "logger", "message"} <= set(record)


async def test_sql_errors_logged_carry_no_parameters(
    storage_url: str, root_output: io.StringIO
) -> None:
    configure_logging(load_settings(database_url=storage_url), root_output)
    engine = create_engine(storage_url)
    said = f"bí mật của Lan, gọi {PHONE}"
    try:
        async with engine.begin() as connection:
            # No such contact: the foreign key refuses it, and the error names the SQL.
            await connection.execute(
                insert(Interaction).values(
                    contact_id=424242, direction="in", kind="text", text=said, at=utcnow()
                )
            )
    except Exception:
        logging.getLogger("handlers.engine").exception("turn failed for web:x")
    finally:
        await engine.dispose()
    output = root_output.getvalue()
    assert "IntegrityError" in output and "INSERT INTO interactions" in output
    assert said not in output and "bí mật" not in output
    assert "0912" not in output and "424242" not in output


def test_tracebacks_are_redacted_in_json(root_output: io.StringIO, sqlite_url: str) -> None:
    token = "987654321:ZZsecretTokenThatMustNeverBeLogged_0123"
    settings = load_settings(database_url=sqlite_url, log_format="json", zalo_bot_token=token)
    configure_logging(settings, root_output)
    log = logging.getLogger("bot.channels.zalo")
    try:
        raise ValueError(f"https://bot-api.example/bot{token}/getUpdates refused +84 912 345 678")
    except ValueError:
        log.exception("Zalo poll failed for %s", token)
    [line] = root_output.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "bot.channels.zalo"
    assert "ValueError" in record["exc_info"]
    assert token not in line and "912 345 678" not in line
    assert "[redacted]" in record["message"] and "[redacted]" in record["exc_info"]


def test_payloads_printed_whole_lose_their_texts(root_output: io.StringIO, sqlite_url: str) -> None:
    configure_logging(load_settings(database_url=sqlite_url), root_output)
    update = {"update_id": 7, "message": {"text": "chuyện riêng", "from": {"first_name": "Lan"}}}
    logging.getLogger("bot").warning("odd update %s", update)
    output = root_output.getvalue()
    assert "chuyện riêng" not in output and "Lan" not in output
    assert "'update_id': 7" in output, "what is not personal stays readable"


def test_ids_and_times_are_not_taken_for_phone_numbers(
    root_output: io.StringIO, sqlite_url: str
) -> None:
    configure_logging(load_settings(database_url=sqlite_url), root_output)
    logging.getLogger("bot").warning("chat 5550001 update 849123456 at 1735689600 took 0.35 s")
    assert "chat 5550001 update 849123456 at 1735689600 took 0.35 s" in root_output.getvalue()


def test_an_unknown_log_format_names_the_variable(env_clean: pytest.MonkeyPatch) -> None:
    env_clean.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        load_settings()
