"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL with one switch) and paths
to the test data.

`NEWSBOT_TEST_DATABASE=postgresql make test` (or `make test-postgres`) runs the whole suite on
PostgreSQL; see tests/databases.py. Tests marked `sqlite_only` / `postgres_only` check one
database's own machinery and are skipped on the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import databases

DATA = Path(__file__).parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): checks SQLite's own machinery")
    config.addinivalue_line("markers", "postgres_only(reason): checks PostgreSQL's own machinery")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {databases.BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skipped = "postgres_only" if not databases.ON_POSTGRES else "sqlite_only"
    for item in items:
        marker = item.get_closest_marker(skipped)
        if marker is not None:
            reason = marker.args[0] if marker.args else skipped.replace("_", " ")
            item.add_marker(pytest.mark.skip(reason=f"{databases.BACKEND}: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def _database_server() -> Iterator[None]:
    """On PostgreSQL: the server and the migrated template, once per session."""
    if not databases.ON_POSTGRES:
        yield
        return
    with databases.postgres_session():
        yield


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    databases.drop_test_databases()


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh database: a SQLite file (its folder is created by the app) or a PostgreSQL one."""
    return databases.new_database_url(tmp_path)
