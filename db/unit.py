"""The unit of work: the one place that opens a write transaction and holds the write lock.

SQLite has one writer; taking the lock before `BEGIN` keeps writers queued in the event loop
instead of waiting on SQLITE_BUSY. Every write in the bot goes through `Database.write()`, so a
second backend (PostgreSQL, several writers) changes this module only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class Database:
    """Sessions for reads, and one write transaction at a time."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._write_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with self._write_lock, self._sessions.begin() as tx:
            yield tx

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (no write lock)."""
        async with self._sessions() as session:
            yield session
