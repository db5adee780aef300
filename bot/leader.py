"""Which `newsbot run` process is the active one.

On PostgreSQL several processes may share the database: the active one holds a session-level
advisory lock on a connection of its own; the others stand by and try again every few seconds.
The lock lives exactly as long as that connection, so it is released when the active process
dies in any way (`kill -9` included: the server sees the socket close). The active process
checks its connection regularly and stops being active the moment it is lost; it never keeps
delivering without the lock.

On SQLite a second process would poll and deliver beside the first (and send every alert
twice), so it refuses to start: an exclusive `flock` on a file next to the database, which
the kernel releases when the holder dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.faults import one_line

log = logging.getLogger(__name__)

LEADER_KEY = 0x6E657773626F74  # "newsbot": one lock per database, whatever the schema
RETRY_EVERY = 5.0
"""Seconds between a standby's attempts; a takeover takes at most this plus the start."""
CHECK_EVERY = 5.0
"""Seconds between the active process's checks that its lock connection is alive."""


LOCK_SESSION_SETTINGS = {
    "application_name": "newsbot leader lock",
    # If the active host vanishes without closing its socket (power loss, a partition), the
    # server drops the connection, and with it the lock, after about 10 + 3 x 5 = 25 s instead
    # of the kernel's default two hours. The active process itself gives up after one failed
    # check (CHECK_EVERY, at most 10 s): it has stopped before anyone else can take over.
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


class AnotherInstance(Exception):
    """A second process on a database that allows only one; the message says which file."""


class LeadershipLost(Exception):
    """The connection holding the lock broke: another process may be active by now."""


def sqlite_lock_path(database_url: str) -> Path | None:
    """The lock file next to a SQLite database; None for an in-memory or other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database + ".lock")


class FileLock:
    """One process per SQLite file: an exclusive, non-blocking `flock`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise AnotherInstance naming the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AnotherInstance(
                f"another newsbot run (pid {holder}) is using {self.path.with_suffix('')}; "
                "stop it first (one process per SQLite database; use PostgreSQL for several)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class SoleInstance:
    """The only process on its database (SQLite, under FileLock): active until stopped."""

    async def hold(self) -> None:
        await asyncio.Event().wait()


def leader_engine(database_url: str) -> AsyncEngine:
    """An engine for the lock connection alone: asyncpg, no pool (the connection is the lock)."""
    url = make_url(database_url)
    return create_async_engine(
        url.set(drivername="postgresql+asyncpg"),
        poolclass=NullPool,
        connect_args={"server_settings": LOCK_SESSION_SETTINGS},
    )


class AdvisoryLeader:
    """The active process is the one holding `pg_try_advisory_lock(LEADER_KEY)`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        key: int = LEADER_KEY,
        retry_every: float = RETRY_EVERY,
        check_every: float = CHECK_EVERY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.engine = engine
        self.key = key
        self.retry_every = retry_every
        self.check_every = check_every
        self._sleep = sleep
        self._connection: AsyncConnection | None = None

    @property
    def is_leader(self) -> bool:
        return self._connection is not None

    async def try_acquire(self) -> bool:
        """One attempt; True when this process is now the active one."""
        if self._connection is not None:
            return True
        connection = await self.engine.connect()
        try:
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
            # End the implicit transaction: a session lock outlives it, and an idle-in-
            # transaction connection would hold back the server's vacuum.
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def wait(self, on_standby: Callable[[str], None] | None = None) -> None:
        """Return once this process holds the lock; try every `retry_every` seconds.

        A database that cannot be reached is one line per attempt, never a crash.
        """
        said_standby = False
        while True:
            try:
                if await self.try_acquire():
                    return
                if not said_standby:
                    log.info(
                        "standing by: another newsbot run is active on this database; "
                        "trying again every %g s",
                        self.retry_every,
                    )
                    said_standby = True
                if on_standby is not None:
                    on_standby("another instance is active")
            except Exception as error:  # any driver's refusal: the database is not there yet
                log.warning(
                    "cannot reach the database for the leader lock: %s; retrying in %g s",
                    one_line(error),
                    self.retry_every,
                )
                if on_standby is not None:
                    on_standby(f"database unreachable: {one_line(error)}")
            await self._sleep(self.retry_every)

    async def hold(self) -> None:
        """Check the lock connection until it breaks; then raise LeadershipLost."""
        while True:
            await self._sleep(self.check_every)
            connection = self._connection
            if connection is None:
                raise LeadershipLost("the leader lock was released")
            try:
                await asyncio.wait_for(connection.scalar(text("SELECT 1")), self.check_every)
                await connection.commit()
            except Exception as error:  # any failure means the lock may be gone
                self._connection = None
                with contextlib.suppress(Exception):
                    await connection.close()
                raise LeadershipLost(
                    f"lost the connection holding the leader lock: {one_line(error)}"
                ) from None

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                await connection.commit()
            with contextlib.suppress(Exception):
                await connection.close()
