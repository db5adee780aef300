"""Operator settings (DESIGN.md's contract), read from the environment and `.env`."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_DEFAULT = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message tells the operator what to set."""


class Settings(BaseSettings):
    """Every knob of the bot; names are fixed by DESIGN.md's operator contract."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    TELEGRAM_BOT_TOKEN: str = ""
    TELEGRAM_API_URL: str = TELEGRAM_API_DEFAULT
    DATABASE_URL: str = "sqlite:///data/newsbot.db"
    FEEDS_FILE: Path = Path("feeds.opml")
    POLL_INTERVAL: float = Field(default=300.0, gt=0)
    ADMIN_IDS: str = ""
    RETENTION_DAYS: int = Field(default=365, ge=1)
    LOG_LEVEL: str = "INFO"
    HTTP_LISTEN: str = "127.0.0.1:8080"
    WEBHOOK_URL: str = ""
    WEBHOOK_SECRET: str = ""
    TELEGRAM_PROXY: str = ""
    PAID_BROADCAST: bool = False
    FEED_ALLOWED_PORTS: str = ""

    @field_validator("HTTP_LISTEN")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        value = value.strip()
        if value:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit() or not 0 <= int(port) < 65536:
                raise ValueError(f"{value!r} is not host:port; use e.g. 127.0.0.1:8080")
        return value

    @field_validator("WEBHOOK_URL")
    @classmethod
    def _https_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith("https://"):
            raise ValueError("Telegram posts only to https:// addresses")
        return value

    @field_validator("WEBHOOK_SECRET")
    @classmethod
    def _secret_charset(cls, value: str) -> str:
        # Telegram's own rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        value = value.strip()
        if value and not _SECRET_RE.match(value):
            raise ValueError("use 1-256 characters A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("TELEGRAM_PROXY")
    @classmethod
    def _proxy_scheme(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://", "socks5://", "socks5h://")):
            raise ValueError("use an http://, https:// or socks5:// proxy URL")
        return value

    @field_validator("FEED_ALLOWED_PORTS")
    @classmethod
    def _ports(cls, value: str) -> str:
        for part in value.replace(" ", "").split(","):
            if part and not (part.isdigit() and 0 < int(part) < 65536):
                raise ValueError(f"{part!r} is not a port; use e.g. 8080,8443")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.WEBHOOK_URL and not self.WEBHOOK_SECRET:
            raise ValueError(
                "WEBHOOK_URL is set without WEBHOOK_SECRET: set a random secret "
                "(e.g. `openssl rand -hex 32`) so that only Telegram can post updates"
            )
        if self.WEBHOOK_URL and not self.HTTP_LISTEN:
            raise ValueError("WEBHOOK_URL needs HTTP_LISTEN: the webhook is served there")
        return self

    @property
    def feed_ports(self) -> frozenset[int]:
        """Extra ports chat-added feeds may use, besides 80 and 443."""
        return frozenset(int(p) for p in self.FEED_ALLOWED_PORTS.replace(" ", "").split(",") if p)

    @property
    def listen(self) -> tuple[str, int] | None:
        """HTTP_LISTEN as (host, port); None when the HTTP server is off."""
        if not self.HTTP_LISTEN:
            return None
        host, _, port = self.HTTP_LISTEN.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("LOG_LEVEL")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("use one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("ADMIN_IDS")
    @classmethod
    def _admin_ids_are_numbers(cls, value: str) -> str:
        for part in value.replace(" ", "").split(","):
            if part and not part.lstrip("-").isdigit():
                raise ValueError(f"{part!r} is not a Telegram user id; use e.g. 12345,67890")
        return value

    @property
    def admin_ids(self) -> frozenset[int]:
        """The user ids allowed to run admin commands."""
        return frozenset(int(p) for p in self.ADMIN_IDS.replace(" ", "").split(",") if p)

    def require_token(self) -> str:
        """The bot token, or a SettingsError that says how to set it."""
        token = self.TELEGRAM_BOT_TOKEN.strip()
        if not token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather into .env "
                "(TELEGRAM_BOT_TOKEN=123456789:AA...) or the environment."
            )
        if not _TOKEN_RE.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN looks malformed: expected digits, a colon and the secret "
                "(e.g. 123456789:AAH...), as @BotFather shows it."
            )
        return token


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and `.env`; a bad value becomes one SettingsError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            if err["loc"]
            # A rule across settings has no location; its message names the settings.
            else str(err["msg"]).removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise SettingsError(f"invalid setting: {problems}") from None
