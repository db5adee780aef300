"""The services every handler reaches through `context.bot_data`, behind one typed accessor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import ContextTypes

from feeds.clock import Clock, utc_now
from feeds.fetch import Fetcher
from feeds.index import SubscriptionIndex

SERVICES_KEY = "newsbot.services"


def _nothing() -> None:
    return None


@dataclass
class Services:
    """Shared state of one running bot, built by bot/app.py from Settings."""

    sessions: async_sessionmaker[AsyncSession]
    index: SubscriptionIndex = field(default_factory=SubscriptionIndex)
    clock: Clock = utc_now
    admin_ids: frozenset[int] = frozenset()
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """SQLite has one writer; taking this lock first keeps writers from waiting on busy."""
    wake_delivery: Callable[[], None] = _nothing
    """Tell the delivery loop that alerts were queued."""
    fetcher: Fetcher | None = None
    """The shared HTTP fetcher (admins' /addfeed fetches through it, address-guarded)."""
    last_poll_seconds: float | None = None
    """How long the last poll of the due feeds took (for /stats)."""


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The running bot's services."""
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found
