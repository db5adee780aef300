"""Fill a bot's database with chats, subscriptions, articles and queued alerts, via the repos."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db import articles, chats, subscriptions
from db import feeds as feed_store
from db.articles import MatchFn, StoryPlacer
from db.engine import make_engine, make_sessionmaker, migrate
from db.models import Feed
from db.unit import Database
from feeds.models import Article, Hit
from feeds.query import parse_query, query_to_json

NOW = datetime.now(UTC)


@asynccontextmanager
async def migrated(database_url: str) -> AsyncIterator[Database]:
    """The bot's database, migrated and open for seeding until the block ends (before the bot
    starts on it)."""
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        yield Database(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def article(number: int, *, title: str | None = None) -> Article:
    link = f"https://news.example.org/story/{number}"
    return Article(
        guid=f"story-{number}",
        link=link,
        canonical_link=link,
        title=title or f"Headline {number}: Kim fährt nach China",
        teaser=f"Teaser of story {number} & more <text>",
        published=NOW - timedelta(minutes=number % 600),
        language="de",
    )


async def store_articles(
    session: AsyncSession,
    feed_id: int,
    values: Sequence[Article],
    *,
    now: datetime,
    match: MatchFn | None,
    stories: StoryPlacer | None = None,
) -> articles.StoreResult:
    """Store one feed's articles as a poll would; `match=None` stores a backlog (no alerts).
    Without `stories`, only the same canonical link makes two articles one story."""
    results = await articles.store_batch(
        session,
        [articles.FeedArticles(feed_id, values, alert=match is not None)],
        now=now,
        match=match or _nothing,
        stories=stories,
    )
    return results[0]


def _nothing(_article: Article) -> Sequence[Hit]:
    return ()


def _always(hits: list[Hit]) -> Callable[[Article], list[Hit]]:
    """A match function that says these subscriptions match whatever the article."""

    def match(_article: Article) -> list[Hit]:
        return hits

    return match


async def seed_outbox(
    database_url: str,
    alerts_per_chat: Mapping[int, int],
    *,
    chat_type: str = "private",
    distinct_articles: bool = True,
) -> int:
    """Queue `n` alerts for each chat (distinct articles); returns how many were queued."""
    queued = 0
    async with migrated(database_url) as db, db.write() as session:
        await feed_store.merge_feeds(session, [("http://127.0.0.1:9/rss", "Test Source")], now=NOW)
        feed_id = (await feed_store.all_feeds(session))[0].id
        # The articles are already here: the bot must not poll this feed.
        await session.execute(update(Feed).where(Feed.id == feed_id).values(active=False))
        stored_query = query_to_json(parse_query("Kim"))
        subscription_of: dict[int, int] = {}
        for chat_id in alerts_per_chat:
            kind = chat_type if chat_id > 0 else "group"
            await chats.upsert_chat(session, chat_id, now=NOW, chat_type=kind)
            row, _ = await subscriptions.add_subscription(
                session, chat_id, "Kim", stored_query, now=NOW
            )
            subscription_of[chat_id] = row.id
        most = max(alerts_per_chat.values(), default=0)
        for index in range(most):
            wanted = [c for c, n in alerts_per_chat.items() if n > index]
            hits = [Hit(subscription_of[c], c, "Kim") for c in wanted]
            result = await store_articles(
                session, feed_id, [article(index)], now=NOW, match=_always(hits)
            )
            queued += result.alerts_queued
    return queued
