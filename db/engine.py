"""Engine and sessions: SQLite in WAL mode with foreign keys and a busy timeout; migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000


class DatabaseURLError(ValueError):
    """DATABASE_URL names a backend we cannot drive."""


def _urls(database_url: str) -> tuple[URL, URL]:
    """The (sync, async) SQLAlchemy URLs for an operator's DATABASE_URL."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return url.set(drivername="sqlite"), url.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg"), url.set(drivername="postgresql+asyncpg")
    raise DatabaseURLError(f"DATABASE_URL: unsupported backend {backend!r}; use sqlite:///path")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(database_url: str) -> None:
    """Bring the schema to the newest Alembic revision (run on every start)."""
    sync_url, _ = _urls(database_url)
    engine = create_engine(sync_url, poolclass=NullPool)
    if sync_url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def make_engine(database_url: str) -> AsyncEngine:
    """The application's async engine, with the SQLite pragmas applied to every connection."""
    _, async_url = _urls(database_url)
    engine = create_async_engine(async_url, pool_pre_ping=False)
    if async_url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
