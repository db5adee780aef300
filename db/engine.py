"""Engine and sessions for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL; migrations.

An operator writes `sqlite:///path` or `postgresql://user:pass@host/db`; the app picks the
driver: aiosqlite (and the standard library's sqlite3 for migrations) or asyncpg. PostgreSQL
has one driver only, so its migrations run through asyncpg too (`run_sync` on an async
connection) instead of needing a second, synchronous driver in the lock.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
POSTGRES_SCHEMES = ("postgresql", "postgres")

T = TypeVar("T")


class DatabaseURLError(ValueError):
    """DATABASE_URL names a backend we cannot drive."""


def backend_of(database_url: str) -> str:
    """`sqlite` or `postgresql` for an operator's DATABASE_URL; DatabaseURLError otherwise."""
    try:
        url = make_url(database_url)
    except Exception as error:  # SQLAlchemy raises ArgumentError with the reason
        raise DatabaseURLError(f"DATABASE_URL: cannot read {database_url!r}: {error}") from None
    backend = url.get_backend_name()
    if backend in POSTGRES_SCHEMES:
        return "postgresql"
    if backend == "sqlite":
        return "sqlite"
    raise DatabaseURLError(
        f"DATABASE_URL: unsupported backend {backend!r}; use sqlite:///path or postgresql://…"
    )


def async_url(database_url: str) -> URL:
    """The SQLAlchemy URL with the async driver the app uses for this backend."""
    url = make_url(database_url)
    if backend_of(database_url) == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    database = url.database or ""
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url.set(drivername="sqlite+aiosqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, inside a running loop or not.

    Inside a loop (a test, a service starting up) it runs on its own loop in a worker thread;
    the caller blocks, as it would on a synchronous driver.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _migrate_async(database_url: str) -> None:
    engine = create_async_engine(async_url(database_url), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()


def migrate(database_url: str) -> None:
    """Bring the schema to the newest Alembic revision (run on every start)."""
    if backend_of(database_url) == "postgresql":
        run_blocking(_migrate_async(database_url))
        return
    sync_url = async_url(database_url).set(drivername="sqlite")
    engine = create_engine(sync_url, poolclass=NullPool)
    event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.begin() as connection:
            _upgrade(connection)
    finally:
        engine.dispose()


def make_engine(database_url: str) -> AsyncEngine:
    """The application's async engine, with the SQLite pragmas applied to every connection."""
    url = async_url(database_url)
    engine = create_async_engine(url, pool_pre_ping=False)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
