"""Operator settings (DESIGN.md's contract), read from the environment and `.env`."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_DEFAULT = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")


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
    PAID_BROADCAST: bool = False

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
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid setting: {problems}") from None
