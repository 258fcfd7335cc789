"""Settings from environment variables or a `.env` file (see `.env.example`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from content.provinces import load_provinces

CHANNELS = ("telegram", "zalo", "web")


class SettingsError(Exception):
    """A setting has a value the service cannot start with."""


@dataclass(frozen=True)
class Identity:
    """A person on one channel, as written in ADMINS: `channel:id`."""

    channel: str
    external_id: str


class Settings(BaseSettings):
    """Every knob an operator can turn; names match DESIGN.md's table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///./var/chungsuc.db"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_send_rate: float = 28.0
    # Messages a second to one chat after a short burst; 0 turns the per-chat pace off
    # (a self-hosted Bot API server, benchmarks against a fake without limits).
    telegram_chat_rate: float = 1.0
    zalo_bot_token: str | None = None
    zalo_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_webhook_secret: str | None = None
    zalo_webhook_url: str | None = None
    zalo_send_rate: float = 20.0
    admins: str = ""
    default_province: str = "quang-tri"
    log_level: str = "INFO"
    log_format: str = "text"
    # Bearer token for GET /metrics; unset, there are no metrics to read.
    metrics_token: str | None = None
    # Interaction texts older than this many days are purged (the rows stay, for counts).
    retention_days: int = 365
    public_url: str | None = None
    media_dir: Path = Path("./var/media")
    # Commune officers pre-review (recommend) before province officers decide.
    review_commune_tier: bool = True

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # The service is async end to end; a sync driver would block the event loop.
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("web_port")
    @classmethod
    def _port_range(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("a port is a number from 0 to 65535")
        return value

    @field_validator("zalo_send_rate", "telegram_send_rate")
    @classmethod
    def _positive_rate(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("messages per second must be above 0")
        return value

    @field_validator("telegram_chat_rate")
    @classmethod
    def _rate_or_off(cls, value: float) -> float:
        if value < 0:
            raise ValueError("messages per second must be 0 (off) or more")
        return value

    @field_validator("zalo_webhook_secret", "telegram_webhook_secret")
    @classmethod
    def _secret_length(cls, value: str | None) -> str | None:
        # Both platforms accept 8-256 characters; a short secret is guessable anyway.
        if value is not None and not 8 <= len(value) <= 256:
            raise ValueError("use 8 to 256 characters")
        return value

    @field_validator("admins")
    @classmethod
    def _admins_format(cls, value: str) -> str:
        parse_identities(value)
        return value

    @field_validator("default_province")
    @classmethod
    def _known_province(cls, value: str) -> str:
        provinces = load_provinces()
        if value not in provinces:
            raise ValueError(f"choose one of: {', '.join(provinces)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("choose DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in {"text", "json"}:
            raise ValueError("choose text or json")
        return value.lower()

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str | None) -> str | None:
        # Anyone who guesses it reads the service's figures; a short one is guessed.
        if value is None or not value.strip():
            return None
        if len(value) < 16:
            raise ValueError("use at least 16 characters (e.g. openssl rand -hex 32)")
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention_days(cls, value: int) -> int:
        if value < 1:
            raise ValueError("keep texts at least 1 day")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_address(cls, value: str | None) -> str | None:
        # Links to stored photos are built as PUBLIC_URL + "/media/…": one form, so a
        # trailing slash cannot double up and a typo cannot hand out broken links.
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("use the service's public address, e.g. https://chungsuc.example.vn")
        if parts.query or parts.fragment:
            raise ValueError("use an address without ? or #")
        return value

    @model_validator(mode="after")
    def _webhooks_need_secrets(self) -> Settings:
        # Without a secret anyone who learns the URL could post fake updates.
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL")
        if self.zalo_webhook_url and not self.zalo_webhook_secret:
            raise ValueError("ZALO_WEBHOOK_SECRET is required with ZALO_WEBHOOK_URL")
        return self

    @property
    def admin_identities(self) -> frozenset[Identity]:
        """The parsed ADMINS list."""
        return frozenset(parse_identities(self.admins))

    @property
    def resolved_telegram_base_file_url(self) -> str:
        """TELEGRAM_BASE_FILE_URL, or derived from TELEGRAM_BASE_URL (`…/bot` → `…/file/bot`)."""
        if self.telegram_base_file_url:
            return self.telegram_base_file_url
        base = self.telegram_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"


def parse_identities(raw: str) -> list[Identity]:
    """Parse `telegram:123,zalo:abc` into identities; raise ValueError on a bad item."""
    identities = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        channel, sep, external_id = item.partition(":")
        if not sep or channel not in CHANNELS or not external_id:
            raise ValueError(
                f"'{item}' is not channel:id with channel one of {', '.join(CHANNELS)}"
            )
        identities.append(Identity(channel, external_id))
    return identities


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value raises SettingsError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            if error["loc"]:
                problems.append(f"{str(error['loc'][0]).upper()}: {error['msg']}")
            else:
                problems.append(str(error["msg"]).removeprefix("Value error, "))
        raise SettingsError("Invalid setting " + "; ".join(problems)) from None
