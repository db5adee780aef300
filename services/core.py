"""The services of one running bot, built complete by the composition root from Settings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from db.search_backend import Fts5Search, SearchBackend
from db.unit import Database
from feeds.clock import Clock, utc_now
from feeds.fetch import Fetcher
from feeds.index import SubscriptionIndex
from feeds.models import ParsedFeed
from services.limits import ChatRateLimit


class FeedParser(Protocol):
    """Parses a fetched body within a time budget (`bot.parsing.ParserPool`)."""

    async def parse(self, body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed: ...


@dataclass
class Services:
    """Shared state of one running bot: storage, the subscription index, the clock."""

    db: Database
    search: SearchBackend = field(default_factory=Fts5Search)
    """Full-text search for the database's backend (`db.search_backend.search_backend`)."""
    index: SubscriptionIndex = field(default_factory=SubscriptionIndex)
    clock: Clock = utc_now
    admin_ids: frozenset[int] = frozenset()
    delivery_due: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when alerts were queued; the delivery loop waits on it between passes."""
    fetcher: Fetcher | None = None
    """The shared HTTP fetcher (admins' /addfeed fetches through it, address-guarded)."""
    parser: FeedParser | None = None
    """The shared parser pool with its time budget (admins' /addfeed parses through it)."""
    search_limit: ChatRateLimit = field(default_factory=ChatRateLimit)
    """/search and its paging buttons: at most 10 per chat and minute."""
    last_poll_seconds: float | None = None
    """How long the last poll of the due feeds took (for /stats)."""

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """The unit of work: one write transaction under the write lock."""
        async with self.db.write() as tx:
            yield tx

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session."""
        async with self.db.read() as session:
            yield session

    def wake_delivery(self) -> None:
        """Tell the delivery loop that alerts were queued."""
        self.delivery_due.set()

    def is_operator(self, user_id: int | None) -> bool:
        """Whether a Telegram user may run the operator commands (ADMIN_IDS)."""
        return user_id is not None and user_id in self.admin_ids
