"""Run the real Application against the fake Bot API, the way `run_polling` does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.deliver import running as running
from bot.settings import Settings
from tests import databases

TOKEN = "123456:TEST-token_for-the-fake-api"


def make_settings(api_url: str, tmp_path: Path, feeds: list[str], **overrides: Any) -> Settings:
    """Settings for a test bot: fake API, a temporary database and feeds file."""
    feeds_file = tmp_path / "feeds.txt"
    feeds_file.write_text("\n".join(feeds) + "\n")
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": databases.new_database_url(tmp_path),
        "FEEDS_FILE": feeds_file,
        "POLL_INTERVAL": 1,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def db_path(settings: Settings) -> str:
    """The bot's SQLite file (for tests of SQLite's own machinery: mark them `sqlite_only`)."""
    return settings.DATABASE_URL.removeprefix("sqlite:///")


def db_rows(settings: Settings, sql: str, *params: object) -> list[dict[str, Any]]:
    """Rows read straight from the bot's database (SQL both backends accept, `?` placeholders)."""
    return databases.fetch(settings.DATABASE_URL, sql, *params)


def db_execute(settings: Settings, sql: str, *params: object) -> None:
    """A change written straight into the bot's database (SQL both backends accept)."""
    databases.execute(settings.DATABASE_URL, sql, *params)


def db_count(settings: Settings, sql: str, *params: object) -> int:
    """A number read straight from the bot's database."""
    rows = db_rows(settings, sql, *params)
    return int(next(iter(rows[0].values()))) if rows else 0


async def eventually(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Wait (without blocking the loop) until predicate() holds; False on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()
