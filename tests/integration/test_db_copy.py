"""`newsbot db copy`: a SQLite database moved to the test database (PostgreSQL with the switch),
whole, resumable after an interruption, and a second run that copies nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from db import feeds as feed_store
from db.copy import copy_database
from db.engine import make_engine, make_sessionmaker
from db.search_backend import search_backend
from db.unit import Database
from feeds.query import parse_query
from feeds.search_request import parse_search
from tests.integration.seed import seed_outbox

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Interrupted(Exception):
    """Stands for a copy cut short (Ctrl-C, a lost connection)."""


def _stop_in_the_articles(table: str, _rows: int) -> None:
    if table == "articles":
        raise Interrupted


async def _source(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/old/newsbot.db"
    assert await seed_outbox(url, {101: 12, -1002003: 5, 303: 1}) == 18
    return url


async def test_copy_is_complete_resumable_and_idempotent(tmp_path: Path, database_url: str) -> None:
    source = await _source(tmp_path)
    with pytest.raises(Interrupted):
        await copy_database(source, database_url, batch=5, progress=_stop_in_the_articles)

    counts = {each.table: each for each in await copy_database(source, database_url, batch=5)}
    expected = {"chats": 3, "feeds": 1, "subscriptions": 3, "articles": 12, "alerts": 18}
    for table, rows in expected.items():
        assert counts[table].source == counts[table].target == rows, table
    assert all(each.complete for each in counts.values())
    assert counts["articles"].copied == 12 - 5  # the first batch came with the cut-short run
    assert counts["chats"].copied == 0

    again = await copy_database(source, database_url, batch=5)
    assert [each.copied for each in again] == [0] * len(again)
    assert all(each.target == each.source for each in again)

    engine = make_engine(database_url)
    try:
        db = Database(make_sessionmaker(engine))
        request = parse_search("Kim since:2020-01-01", now=NOW)
        async with db.read() as session:
            found = await search_backend(database_url).search(
                session, request, parse_query(request.query_text), per_page=20
            )
        assert len(found.results) == 12  # the index was rebuilt on the target
        async with db.write() as session:  # new rows take ids after the copied ones
            await feed_store.merge_feeds(session, [("https://example.org/new.xml", None)], now=NOW)
            assert [feed.id for feed in await feed_store.all_feeds(session)] == [1, 2]
    finally:
        await engine.dispose()


def test_the_command_prints_the_counts(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = asyncio.run(_source(tmp_path))
    assert main(["db", "copy", source, database_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[:2] == ["alerts", "18"] and line.endswith("ok") for line in lines)
    assert main(["db", "copy", source, "mysql://nowhere/db"]) == 2
    assert "unsupported backend" in capsys.readouterr().err
