"""Storage on a real SQLite file: migrations, WAL, de-duplication and the outbox."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.search import search_contains
from db import articles, chats, outbox, subscriptions
from db import feeds as feed_store
from db.engine import make_engine, make_sessionmaker, migrate
from db.models import Alert
from db.models import Article as ArticleRow
from db.unit import Database
from feeds.models import Article, Hit
from feeds.stories import StoryGrouper
from tests import databases
from tests.integration.seed import store_articles

NOW = datetime(2025, 9, 2, 8, 0, tzinfo=UTC)


def _article(guid: str, title: str = "Kim fährt nach China", **changes: object) -> Article:
    values: dict[str, object] = {
        "guid": guid,
        "link": f"https://example.org/{guid}",
        "canonical_link": f"https://example.org/{guid}",
        "title": title,
        "teaser": "Nordkoreas Machthaber reist nach Peking.",
        "published": NOW - timedelta(hours=1),
        "language": "de",
    }
    values.update(changes)
    return Article(**values)  # type: ignore[arg-type]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    migrate(database_url)
    engine = make_engine(database_url)
    yield Database(make_sessionmaker(engine))
    await engine.dispose()


async def _setup(db: Database) -> tuple[int, int]:
    async with db.write() as session:
        await chats.upsert_chat(session, 111, now=NOW)
        await chats.upsert_chat(session, 222, now=NOW)
        await feed_store.merge_feeds(
            session, [("http://a.test/feed", "A"), ("http://b.test/feed", "B")], now=NOW
        )
        for chat_id, text in [(111, "Kim"), (222, "China"), (111, "Nordkorea")]:
            await subscriptions.add_subscription(session, chat_id, text, "{}", now=NOW)
        feeds = await feed_store.all_feeds(session)
    return feeds[0].id, feeds[1].id


def _everyone(article: Article) -> list[Hit]:
    return [Hit(1, 111, "Kim"), Hit(2, 222, "China"), Hit(3, 111, "Nordkorea")]


@pytest.mark.sqlite_only("WAL and sqlite_master are SQLite's")
def test_migration_creates_a_wal_database_and_is_idempotent(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    assert {"chats", "subscriptions", "feeds", "articles", "alerts"} <= tables


@pytest.mark.postgres_only("information_schema and tsvector are PostgreSQL's")
def test_migration_creates_the_tables_and_search_index_and_is_idempotent(
    database_url: str,
) -> None:
    migrate(database_url)
    migrate(database_url)
    tables = {
        row["table_name"]
        for row in databases.fetch(
            database_url,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
    }
    assert {"chats", "subscriptions", "feeds", "articles", "alerts", "search_docs"} <= tables
    doc = databases.fetch(
        database_url,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'search_docs' AND column_name = 'doc'",
    )
    assert doc == [{"data_type": "tsvector"}]


@pytest.mark.sqlite_only("PRAGMA foreign_keys is SQLite's; PostgreSQL always enforces them")
async def test_foreign_keys_are_enforced(db: Database) -> None:
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Alert))).scalar() == 0
        fk = (await session.connection()).exec_driver_sql("PRAGMA foreign_keys")
        assert (await fk).scalar() == 1


async def test_backlog_is_stored_without_alerts(db: Database) -> None:
    feed_a, _ = await _setup(db)
    async with db.write() as session:
        result = await store_articles(
            session, feed_a, [_article("1"), _article("2", "Other")], now=NOW, match=None
        )
    assert result == articles.StoreResult(2, 0)


async def test_one_alert_per_chat_and_article_and_none_on_a_repeat(
    db: Database,
) -> None:
    feed_a, _ = await _setup(db)
    async with db.write() as session:
        first = await store_articles(session, feed_a, [_article("1")], now=NOW, match=_everyone)
    assert first == articles.StoreResult(1, 2)  # chat 111 once (two subscriptions), chat 222 once
    async with db.write() as session:
        again = await store_articles(
            session,
            feed_a,
            [
                _article("1", "Kim fährt nach China (updated)"),
                _article("x", link="https://example.org/1"),
            ],
            now=NOW,
            match=_everyone,
        )
    assert again == articles.StoreResult(0, 0)  # same guid updated in place; same link, new guid
    async with db.read() as session:
        due = await outbox.due_alerts(session, NOW)
    assert sorted((a.chat_id, a.query_text) for a in due) == [(111, "Kim"), (222, "China")]
    # Chat 111's one alert names both of its subscriptions that matched.
    assert sorted((a.chat_id, a.queries) for a in due) == [
        (111, ("Kim", "Nordkorea")),
        (222, ("China",)),
    ]


async def _grouped(
    session: AsyncSession, stories: StoryGrouper, feed_id: int, values: list[Article]
) -> None:
    """Store one feed's articles as a poll would, every reader matching, stories grouped."""
    await store_articles(session, feed_id, values, now=NOW, match=_everyone, stories=stories)


async def test_same_story_in_two_feeds_is_stored_twice_but_alerts_once(
    db: Database,
) -> None:
    feed_a, feed_b = await _setup(db)
    stories = StoryGrouper()
    async with db.write() as session:
        await _grouped(session, stories, feed_a, [_article("1")])
        # Same canonical link, different guid and feed.
        await _grouped(
            session,
            stories,
            feed_b,
            [
                _article(
                    "b-1",
                    link="https://example.org/1?utm_source=x",
                    canonical_link="https://example.org/1",
                )
            ],
        )
        # Different link, same headline within a day.
        await _grouped(
            session,
            stories,
            feed_b,
            [
                _article(
                    "b-2",
                    title="KIM fährt nach China!",
                    link="https://other.test/2",
                    canonical_link="https://other.test/2",
                )
            ],
        )
    async with db.read() as session:
        stored = (await session.execute(select(func.count()).select_from(ArticleRow))).scalar()
        alerts = (await session.execute(select(func.count()).select_from(Alert))).scalar()
    assert stored == 3
    assert alerts == 2


async def test_an_old_backlog_is_not_grouped_but_the_same_link_still_is(db: Database) -> None:
    """Articles older than the story window (a new feed's backlog of last week, while today's
    news fill the window) start stories of their own: the stories they could join have
    closed. The same canonical link is the same story however old."""
    feed_a, feed_b = await _setup(db)
    stories = StoryGrouper()
    old = NOW - timedelta(days=3)
    async with db.write() as session:
        # Today's news.
        await _grouped(session, stories, feed_a, [_article("today", title="Wetter heute")])
        await _grouped(session, stories, feed_a, [_article("1", published=old)])
        await _grouped(
            session,
            stories,
            feed_b,
            [
                _article(
                    "b-1",
                    title="KIM fährt nach China!",
                    link="https://other.test/1",
                    canonical_link="https://other.test/1",
                    published=old,
                ),
                _article(
                    "b-2",
                    link="https://example.org/1?utm_source=x",
                    canonical_link="https://example.org/1",
                    published=old,
                ),
            ],
        )
    async with db.read() as session:
        rows = (await session.execute(select(ArticleRow.guid, ArticleRow.story_id))).all()
    story = {guid: story_id for guid, story_id in rows}
    assert story["b-1"] != story["1"]  # same headline, but both from three days ago
    assert story["b-2"] == story["1"]  # the same link
    assert len(stories) == 1  # nothing old entered the window


async def test_blocked_chat_drops_its_queue_and_gets_no_new_alerts(
    db: Database,
) -> None:
    feed_a, _ = await _setup(db)
    async with db.write() as session:
        await store_articles(session, feed_a, [_article("1")], now=NOW, match=_everyone)
        dropped = await chats.deactivate_chat(session, 111, now=NOW)
        await store_articles(session, feed_a, [_article("2", "Zwei")], now=NOW, match=_everyone)
    assert dropped == 1
    async with db.read() as session:
        due = await outbox.due_alerts(session, NOW)
    assert {a.chat_id for a in due} == {222}


async def test_paused_chat_holds_alerts_and_resume_drops_them(
    db: Database,
) -> None:
    feed_a, _ = await _setup(db)
    async with db.write() as session:
        await chats.set_paused(session, 111, True)
        await store_articles(session, feed_a, [_article("1")], now=NOW, match=_everyone)
    async with db.read() as session:
        assert {a.chat_id for a in await outbox.due_alerts(session, NOW)} == {222}
    async with db.write() as session:
        assert await chats.drop_held(session, 111) == 1


async def test_search_contains_treats_user_text_as_data(
    db: Database,
) -> None:
    feed_a, _ = await _setup(db)
    async with db.write() as session:
        await store_articles(
            session,
            feed_a,
            [_article("1"), _article("2", "100% sicher_ja"), _article("3", "Ganz anders")],
            now=NOW,
            match=None,
        )
    async with db.read() as session:
        assert [r.title for r in await search_contains(session, ["kim"])] == [
            "Kim fährt nach China"
        ]
        assert [r.title for r in await search_contains(session, ["100%"])] == ["100% sicher_ja"]
        assert await search_contains(session, ["'; DROP TABLE articles; --"]) == []
        # A wildcard character is just a character: only the headline containing it.
        assert [r.title for r in await search_contains(session, ["%"])] == ["100% sicher_ja"]
        assert await search_contains(session, ["_x"]) == []


async def test_retention_prunes_old_articles_and_their_alerts(
    db: Database,
) -> None:
    feed_a, _ = await _setup(db)
    old = NOW - timedelta(days=400)
    async with db.write() as session:
        await store_articles(
            session, feed_a, [_article("old", published=old)], now=old, match=_everyone
        )
        await store_articles(session, feed_a, [_article("new", "Neu")], now=NOW, match=None)
        pruned = await articles.prune_articles(session, before=NOW - timedelta(days=365))
    assert pruned == 1
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Alert))).scalar() == 0


async def test_digest_mode_and_quiet_hours_hold_the_alert_until_release(
    db: Database,
) -> None:
    feed_a, _ = await _setup(db)
    later = NOW + timedelta(minutes=10)
    async with db.write() as session:
        await chats.update_chat_settings(session, 111, alert_mode="hourly")
        await chats.update_chat_settings(session, 222, quiet_start=7 * 60, quiet_end=9 * 60)
        await store_articles(session, feed_a, [_article("1")], now=later, match=_everyone)
    async with db.read() as session:
        assert await outbox.due_alerts(session, later) == []  # 08:10 UTC: hourly, and quiet
        at_nine = await outbox.due_alerts(session, NOW + timedelta(hours=1))
    assert sorted(a.chat_id for a in at_nine) == [111, 222]
    assert all(a.held for a in at_nine)  # they waited, so several would go out as a digest


async def test_removing_or_muting_a_subscription_drops_its_undelivered_alerts(
    db: Database,
) -> None:
    feed_a, _ = await _setup(db)
    async with db.write() as session:
        await store_articles(session, feed_a, [_article("1")], now=NOW, match=_everyone)
        assert await subscriptions.set_muted(session, 222, 2, True) is not None
        assert await subscriptions.remove_subscription(session, 111, 1) is not None
    async with db.read() as session:
        assert await outbox.due_alerts(session, NOW) == []
