"""DATABASE_URL as an operator writes it, and the driver the app picks for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.engine import DatabaseURLError, async_url, backend_of
from db.search_backend import Fts5Search, PostgresSearch, search_backend


@pytest.mark.parametrize(
    "written",
    [
        "postgresql://bot:secret@db.internal:5432/news",
        "postgres://bot:secret@db.internal:5432/news",
        "postgresql+asyncpg://bot:secret@db.internal:5432/news",
        "postgresql+psycopg://bot:secret@db.internal:5432/news",
    ],
)
def test_postgresql_urls_are_driven_by_asyncpg(written: str) -> None:
    url = async_url(written)
    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "bot",
        "secret",
        "db.internal",
        5432,
        "news",
    )
    assert isinstance(search_backend(written), PostgresSearch)


def test_sqlite_urls_are_driven_by_aiosqlite_and_get_their_folder(tmp_path: Path) -> None:
    written = f"sqlite:///{tmp_path}/data/newsbot.db"
    assert async_url(written).drivername == "sqlite+aiosqlite"
    assert (tmp_path / "data").is_dir()
    assert backend_of(written) == "sqlite"
    assert isinstance(search_backend(written), Fts5Search)


@pytest.mark.parametrize("written", ["mysql://bot@localhost/news", "not a url"])
def test_other_urls_are_refused_with_a_reason(written: str) -> None:
    with pytest.raises(DatabaseURLError, match="DATABASE_URL"):
        backend_of(written)
