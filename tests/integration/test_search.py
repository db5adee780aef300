"""/search on a real database (FTS5 on SQLite, tsvector on PostgreSQL): the index in sync,
the query language, filters, order, paging, marked snippets, retention, the migration's
backfill, and the command over the fake Bot API."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.fakes import FakeBotAPI
from db import articles as article_store
from db import feeds as feed_store
from db import search
from db.engine import MIGRATIONS, make_engine, make_sessionmaker, migrate
from db.search_backend import Fts5Search, PostgresSearch
from db.search_pg import to_tsquery
from db.unit import Database
from feeds.models import Article
from feeds.query import QueryError, parse_query
from feeds.render_search import highlight_of, render_results
from feeds.search_request import parse_search
from tests import databases
from tests.integration.harness import make_settings, running
from tests.integration.seed import migrated, store_articles
from tests.unit.test_fts_translate import QUERY_ALPHABET

NOW = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
KRONE = ("https://www.krone.at/nachrichten/rss.xml", "Krone")
BBC = ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC News")
LOCAL = ("http://127.0.0.1:9/krone.xml", "Krone")  # the bot polls it: loopback, nothing there

# (feed, title, teaser, language, hours before NOW)
STORIES: list[tuple[tuple[str, str], str, str, str, float]] = [
    (
        KRONE,
        "Seltene Auslandsreise: Kim fährt nach China",
        "Nordkoreas Machthaber Kim Jong-un reist mit dem Zug nach Peking und könnte Putin treffen.",
        "de",
        30,
    ),
    (
        BBC,
        "Kim Jong Un meets Xi in Beijing",
        "North Korea's leader travels by armoured train.",
        "en",
        20,
    ),
    (BBC, "Kimberly Clark shares fall", "The maker of tissues lowers its outlook.", "en", 10),
    (KRONE, "Köln feiert den Karneval", "Hunderttausende in der Kölner Innenstadt.", "de", 5),
    (
        KRONE,
        "Fussball-WM: Österreich gewinnt",
        "Ein Tor in der Nachspielzeit entscheidet.",
        "de",
        400,
    ),
    (BBC, "Un, Jong and Kim: three names explained", "A guide to Korean names.", "en", 3),
    (BBC, "South Korea's president visits Tokyo", "Seoul and Tokyo talk trade.", "en", 2),
    (KRONE, "Raketenfabrik besichtigt", "Neue Raketen werden getestet; Putin gratuliert.", "de", 1),
    (BBC, "<script>alert(1)</script> Kim & Co", "Tags <b>stay</b> text: Kim > all.", "en", 0.5),
]


def _article(index: int, title: str, teaser: str, language: str, hours: float) -> Article:
    return Article(
        guid=f"story-{index}",
        link=f"https://news.example/{index}?a=1&b=2",
        canonical_link=f"https://news.example/{index}",
        title=title,
        teaser=teaser,
        published=NOW - timedelta(hours=hours),
        language=language,
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with migrated(database_url) as database:
        async with database.write() as session:
            await feed_store.merge_feeds(session, [KRONE, BBC], now=NOW)
        yield database


async def _feed_ids(db: Database) -> dict[str, int]:
    async with db.read() as session:
        return {feed.url: feed.id for feed in await feed_store.all_feeds(session)}


Story = tuple[tuple[str, str], str, str, str, float]


async def _store(db: Database, stories: Sequence[Story] = STORIES, first: int = 0) -> None:
    feeds = await _feed_ids(db)
    for index, ((url, _name), title, teaser, language, hours) in enumerate(stories, first):
        async with db.write() as session:
            await store_articles(
                session,
                feeds[url],
                [_article(index, title, teaser, language, hours)],
                now=NOW - timedelta(hours=max(hours - 0.1, 0)),
                match=None,
            )


async def _search(db: Database, typed: str, page: int = 0, per_page: int = 20) -> search.SearchPage:
    request = parse_search(typed, now=NOW)
    query = parse_query(request.query_text) if request.query_text else None
    async with db.read() as session:
        backend = PostgresSearch() if session.bind.dialect.name == "postgresql" else Fts5Search()
        return await backend.search(session, request, query, page=page, per_page=per_page)


async def _titles(db: Database, typed: str) -> list[str]:
    return [result.title for result in (await _search(db, typed)).results]


def _integrity_check(database_url: str) -> None:
    if not database_url.startswith("sqlite:"):
        return  # PostgreSQL derives the vector in the row itself: nothing can drift
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        # rank=1: compare the index with the content table too, not only its own structure.
        connection.execute(
            "INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)"
        )


def _fts_rows(database_url: str, match: str) -> list[int]:
    if not database_url.startswith("sqlite:"):
        words = match.strip('"')
        sql = "SELECT id FROM search_docs WHERE doc @@ to_tsquery('simple', ?)"
        return [row["id"] for row in databases.fetch(database_url, sql, words)]
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        rows = connection.execute(
            "SELECT rowid FROM search_fts WHERE search_fts MATCH ?", (match,)
        ).fetchall()
    return [r[0] for r in rows]


async def test_index_stays_in_sync_through_inserts_updates_deletes_and_pruning(
    db: Database, database_url: str
) -> None:
    await _store(db)
    _integrity_check(database_url)
    async with db.write() as session:
        await session.execute(
            text(
                "UPDATE search_docs SET title_norm = 'umbenannt' "
                "WHERE id = (SELECT min(id) FROM articles)"
            )
        )
    _integrity_check(database_url)
    assert await _titles(db, "umbenannt") == ["Seltene Auslandsreise: Kim fährt nach China"]
    async with db.write() as session:
        await session.execute(text("DELETE FROM articles WHERE title LIKE 'Kimberly%'"))
    _integrity_check(database_url)
    assert "Kimberly Clark shares fall" not in await _titles(db, "Kim*")

    async with db.write() as session:
        pruned = await article_store.prune_articles(session, before=NOW - timedelta(days=7))
    assert pruned == 1  # the football story, 400 hours old
    _integrity_check(database_url)
    assert await _titles(db, "Fußball") == []
    assert _fts_rows(database_url, '"fussball"') == []
    async with db.read() as session:
        docs = (await session.execute(text("SELECT count(*) FROM search_docs"))).scalar_one()
        articles = (await session.execute(text("SELECT count(*) FROM articles"))).scalar_one()
    assert docs == articles == len(STORIES) - 2


async def test_language_aware_matching(db: Database) -> None:
    await _store(db)
    assert "Seltene Auslandsreise: Kim fährt nach China" in await _titles(db, "Nordkorea")
    kim = await _titles(db, "Kim Jong-un")
    assert "Kim Jong Un meets Xi in Beijing" in kim
    assert "Seltene Auslandsreise: Kim fährt nach China" in kim
    assert await _titles(db, "Koeln") == ["Köln feiert den Karneval"]
    assert await _titles(db, "Fußball") == ["Fussball-WM: Österreich gewinnt"]
    # A country in one language finds it in the others.
    assert "Seltene Auslandsreise: Kim fährt nach China" in await _titles(db, "North Korea")


async def test_query_language(db: Database) -> None:
    await _store(db)
    assert "Un, Jong and Kim: three names explained" in await _titles(db, "kim jong un")
    phrase = await _titles(db, '"kim jong un"')
    assert "Un, Jong and Kim: three names explained" not in phrase
    assert "Kim Jong Un meets Xi in Beijing" in phrase
    assert "Kimberly Clark shares fall" not in await _titles(db, "Kim")
    assert "Kimberly Clark shares fall" in await _titles(db, "Kim*")
    assert await _titles(db, "Raketen*") == ["Raketenfabrik besichtigt"]
    assert set(await _titles(db, "Karneval OR Tokyo")) == {
        "Köln feiert den Karneval",
        "South Korea's president visits Tokyo",
    }
    assert await _titles(db, "Korea -South") == ["Kim Jong Un meets Xi in Beijing"]
    assert await _titles(db, "title:Putin") == []
    assert "Raketenfabrik besichtigt" in await _titles(db, "Putin")


async def test_filters(db: Database) -> None:
    await _store(db)
    assert await _titles(db, "Kim source:krone") == ["Seltene Auslandsreise: Kim fährt nach China"]
    assert "Kim Jong Un meets Xi in Beijing" in await _titles(db, "Kim source:bbci")
    assert await _titles(db, "Kim lang:de") == ["Seltene Auslandsreise: Kim fährt nach China"]
    assert "Seltene Auslandsreise: Kim fährt nach China" not in await _titles(db, "Kim since:24h")
    assert "Kim Jong Un meets Xi in Beijing" in await _titles(db, "Kim since:24h")
    assert await _titles(db, "Fußball since:2025-09-10") == []
    assert await _titles(db, "Fußball since:2025-09-10 sort:relevance") == []
    assert await _titles(db, "Kim source:nowhere") == []
    assert len(await _titles(db, "source:krone")) == 4  # filters alone list the source


async def test_newest_first_and_by_relevance(db: Database) -> None:
    await _store(db)
    kim = await _search(db, "Kim")
    times = [result.published for result in kim.results]
    assert times == sorted(times, reverse=True)
    assert kim.results[0].title.startswith("<script>")
    best = await _titles(db, "Putin sort:relevance")
    # "Putin" is in the teaser of both; the shorter teaser ranks first under bm25.
    assert best == ["Raketenfabrik besichtigt", "Seltene Auslandsreise: Kim fährt nach China"]
    assert await _titles(db, "Putin") == best  # also newest first here


async def test_a_backlog_article_sorts_by_its_publication_time(
    db: Database,
) -> None:
    # Stored last (highest id) but published long ago: it must not come first.
    late = [(KRONE, "Kim im Archiv", "Ein alter Bericht.", "de", 100)]
    await _store(db)
    await _store(db, late, first=100)
    titles = await _titles(db, "Kim")
    assert titles[-1] == "Kim im Archiv"


async def test_paging_is_stable_and_complete(db: Database) -> None:
    many = [
        (BBC if i % 2 else KRONE, f"Wetterbericht Nummer {i}", "Sonne und Regen.", "de", 50 - i)
        for i in range(12)
    ]
    await _store(db, many)
    pages = [await _search(db, "Wetterbericht", page=p, per_page=5) for p in range(3)]
    assert [len(p.results) for p in pages] == [5, 5, 2]
    assert [p.more for p in pages] == [True, True, False]
    titles = [r.title for p in pages for r in p.results]
    assert titles == [f"Wetterbericht Nummer {i}" for i in range(11, -1, -1)]


async def test_results_mark_the_matched_words_and_escape_everything(
    db: Database,
) -> None:
    await _store(db)
    typed = "Nordkorea Kim Jong-un"
    page = await _search(db, typed, per_page=5)
    query = parse_query(parse_search(typed, now=NOW).query_text)
    html = render_results(page.results, shown_query=typed, highlight=highlight_of(query), page=0)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <b>Kim</b> &amp; Co" not in html  # no hit
    assert "Machthaber <b>Kim Jong-un</b>" in html
    assert "<b>Nordkoreas</b>" in html
    assert 'href="https://news.example/0?a=1&amp;b=2"' in html
    # Only <a>, <b> and <i> tags: everything from the feed is text.
    assert set(re.findall(r"</?([a-z]+)", html)) <= {"a", "b", "i"}

    other = await _search(db, "Kim & Co", per_page=5)
    query = parse_query("Kim & Co")
    html = render_results(
        other.results, shown_query="Kim & Co", highlight=highlight_of(query), page=0
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <b>Kim</b> &amp; <b>Co</b>" in html
    assert "Tags &lt;b&gt;stay&lt;/b&gt; text: <b>Kim</b> &gt; all." in html


async def test_migration_indexes_articles_stored_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url, poolclass=NullPool)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO feeds (id, url, title, origin, trusted, active, backlog_done, "
                "consecutive_failures, created_at) VALUES (1, 'https://www.krone.at/rss', "
                "'Krone', 'file', 1, 1, 1, 0, '2025-09-01 00:00:00.000000')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO articles (feed_id, story_id, guid, link, canonical_link, title, "
                "title_key, teaser, language, published_at, fetched_at) VALUES (1, 1, 'g', "
                "'https://k/1', 'https://k/1', 'Nordkoreas Machthaber reist', 'x', "
                "'Kim Jong-un fährt nach Peking.', 'de', '2025-09-01 10:00:00.000000', "
                "'2025-09-01 10:05:00.000000')"
            )
        )
    engine.dispose()
    migrate(url)
    _integrity_check(url)
    async_engine = make_engine(url)
    try:
        titles = await _titles(Database(make_sessionmaker(async_engine)), "Nordkorea Kim")
    finally:
        await async_engine.dispose()
    assert titles == ["Nordkoreas Machthaber reist"]


async def test_search_and_paging_through_the_bot_api(tmp_path: Path) -> None:
    chat = 4242
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        async with migrated(settings.DATABASE_URL) as database:
            async with database.write() as session:
                await feed_store.merge_feeds(session, [LOCAL], now=NOW)
            stories: list[Story] = [
                (LOCAL, f"Kim <Nr. {i}> besucht Fabrik", "Kim Jong-un inspiziert.", "de", 20 - i)
                for i in range(7)
            ]
            await _store(database, stories)
        async with running(settings):
            api.push_message(chat, "/search Kim Jong-un")
            first = (await api.wait_for_messages_async(chat, 1))[-1]
            assert "&lt;Nr. 6&gt; besucht Fabrik" in first["html"]
            assert "<b>Kim Jong-un</b>" in first["html"]
            assert "Nr. 1>" not in first["text"]
            buttons = first["reply_markup"]["inline_keyboard"][0]
            data = buttons[-1]["callback_data"]
            assert data.startswith("s:") and len(data.encode()) <= 64

            api.push_callback_query(chat, first["message_id"], data)
            assert await api.wait_for_async(lambda: len(api.edits(chat)) >= 1)
            edited = api.edits(chat)[-1]
            assert "Kim <Nr. 1> besucht Fabrik" in api.sent_messages(chat)[-1]["text"]
            assert "Kim <Nr. 6>" not in api.sent_messages(chat)[-1]["text"]
            assert edited["message_id"] == first["message_id"]

        # After a restart the button still pages (its query is in the database).
        async with running(settings):
            newer = api.sent_messages(chat)[-1]["reply_markup"]["inline_keyboard"][0][0]
            api.push_callback_query(chat, first["message_id"], newer["callback_data"])
            assert await api.wait_for_async(lambda: len(api.edits(chat)) >= 2)
            assert "Kim <Nr. 6> besucht Fabrik" in api.sent_messages(chat)[-1]["text"]


@pytest.mark.postgres_only("tsquery syntax is PostgreSQL's; the FTS5 twin is a unit test")
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(QUERY_ALPHABET, max_size=30).map("".join) | st.text(max_size=60))
@example("Kim Jong-un")
@example("O'Brien \\' AT&T <-> a:* !x | y")
@example('"a" * "b"')
@example("abc*\u0301")
def test_no_input_gives_a_tsquery_syntax_error(database_url: str, typed: str) -> None:
    try:
        query = parse_query(typed)
    except QueryError as error:
        assert error.message
        return
    for filters in ({}, {"feed_ids": [1, 2], "languages": ["de"]}):
        match = to_tsquery(query, **filters)  # type: ignore[arg-type]
        if match is not None:
            databases.fetch(database_url, "SELECT to_tsquery('simple', ?)::text", match)
