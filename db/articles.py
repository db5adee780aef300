"""Storage of articles and stories: a poll's new articles, their index rows and alerts.

Which entries are new and which story an article joins are pure rules in `feeds.story_keys`;
this module reads what they need and writes what they decide, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import search, subscriptions
from db.chats import chat_preferences
from db.models import Alert, Article, Chat
from db.search_backend import Fts5Search, SearchBackend
from db.sql import chunks, dialect_insert, rowcount
from feeds.models import Article as ArticleValue
from feeds.models import Hit
from feeds.preferences import release_at, wants_language
from feeds.story_keys import (
    MIN_STORY_KEY,
    assign_stories,
    first_hit_per_chat,
    new_entries,
    title_key,
)

MatchFn = Callable[[ArticleValue], Sequence[Hit]]
_FTS5 = Fts5Search()


@dataclass(frozen=True, slots=True)
class StoreResult:
    new_articles: int
    alerts_queued: int


@dataclass(frozen=True, slots=True)
class FeedArticles:
    """One feed's parsed articles for `store_batch`; `alert=False` stores a backlog."""

    feed_id: int
    articles: Sequence[ArticleValue]
    alert: bool = True


@dataclass(frozen=True, slots=True)
class _Stored:
    """A just-inserted article: its ids and the value it came from."""

    id: int
    story_id: int
    value: ArticleValue
    feed_id: int = 0


async def store_batch(
    session: AsyncSession,
    items: Sequence[FeedArticles],
    *,
    now: datetime,
    match: MatchFn,
    search_index: SearchBackend = _FTS5,
) -> list[StoreResult]:
    """Store several feeds' new articles, index them and queue alerts, in this transaction.

    Statements are batched over all feeds (one insert, one index write, one alert write), so
    a poll of a thousand feeds costs a few round trips per feed, not dozens: every statement
    through the async driver costs about half a millisecond however small it is.
    """
    fresh_per_item: list[list[ArticleValue]] = []
    for item in items:
        known_guids, known_links = await _known_entries(session, item.feed_id, item.articles)
        fresh_per_item.append(new_entries(item.articles, known_guids, known_links))
    flat = [(index, value) for index, fresh in enumerate(fresh_per_item) for value in fresh]
    if not flat:
        return [StoreResult(0, 0) for _ in items]
    values = [value for _, value in flat]
    keys = [title_key(v.title) for v in values]
    by_link, by_key = await _known_stories(session, values, keys)
    stories, leader = assign_stories(values, keys, by_link, by_key, now)
    inserted = await session.execute(
        # Unordered RETURNING lets SQLite take the batch in one statement; (feed, guid) is
        # unique within it, so it maps the ids back.
        insert(Article).returning(Article.feed_id, Article.guid, Article.id),
        [
            {
                "feed_id": items[index].feed_id,
                "story_id": story,
                "guid": value.guid,
                "link": value.link,
                "canonical_link": value.canonical_link,
                "title": value.title,
                "title_key": key,
                "teaser": value.teaser,
                "language": value.language,
                "image": value.image,
                "published_at": value.published or now,
                "fetched_at": now,
            }
            for (index, value), key, story in zip(flat, keys, stories, strict=True)
        ],
    )
    id_of = {(feed_id, guid): article_id for feed_id, guid, article_id in inserted}
    ids = [id_of[(items[index].feed_id, value.guid)] for index, value in flat]
    resolved: list[int] = []
    for position, story in enumerate(stories):
        first = leader[position]
        if story is not None:
            resolved.append(story)
        else:
            resolved.append(resolved[first] if first is not None else ids[position])
    new_stories = [
        {"id": article_id, "story_id": story}
        for article_id, story, original in zip(ids, resolved, stories, strict=True)
        if original is None
    ]
    if new_stories:
        await session.execute(update(Article), new_stories)
    stored = [
        (index, _Stored(article_id, story, value, items[index].feed_id))
        for (index, value), article_id, story in zip(flat, ids, resolved, strict=True)
    ]
    # The full-text index rows, in the same transaction (normalized in Python: see db.search).
    await search_index.index_articles(
        session,
        [
            search.document(
                row.id,
                items[index].feed_id,
                row.value.title,
                # The whole description is searched; only the display is cut to the teaser.
                row.value.description or row.value.teaser,
                row.value.language,
                row.value.published or now,
                now,
            )
            for index, row in stored
        ],
    )
    alerting = [row for index, row in stored if items[index].alert]
    queued = await _queue_alerts(session, alerting, match, now=now) if alerting else {}
    results = []
    for index, fresh in enumerate(fresh_per_item):
        mine = [row.id for i, row in stored if i == index]
        results.append(StoreResult(len(fresh), sum(queued.get(i, 0) for i in mine)))
    return results


async def _known_entries(
    session: AsyncSession, feed_id: int, articles: Sequence[ArticleValue]
) -> tuple[set[str], set[str]]:
    """Guids and links of this feed that are already stored, among the given ones."""
    guids = sorted({a.guid for a in articles})
    links = sorted({a.link for a in articles if a.link})
    known_guids: set[str] = set()
    known_links: set[str] = set()
    # One round trip per 200 entries: both keys in one query.
    for start in range(0, max(len(guids), len(links)), 200):
        rows = await session.execute(
            select(Article.guid, Article.link).where(
                Article.feed_id == feed_id,
                or_(
                    Article.guid.in_(guids[start : start + 200]),
                    Article.link.in_(links[start : start + 200]),
                ),
            )
        )
        for guid, link in rows:
            known_guids.add(guid)
            known_links.add(link)
    return known_guids, known_links


async def _known_stories(
    session: AsyncSession, fresh: Sequence[ArticleValue], keys: Sequence[str]
) -> tuple[dict[str, int], dict[str, list[tuple[datetime, int]]]]:
    """Stories other feeds already carry, by canonical link and by headline key."""
    by_link: dict[str, int] = {}
    links = sorted({v.canonical_link for v in fresh if v.canonical_link})
    for chunk in chunks(links, 400):
        rows = await session.execute(
            select(Article.canonical_link, Article.story_id).where(
                Article.canonical_link.in_(chunk)
            )
        )
        for link, story in rows:
            if story is not None:
                by_link.setdefault(link, story)
    by_key: dict[str, list[tuple[datetime, int]]] = {}
    for chunk in chunks(sorted({k for k in keys if len(k) >= MIN_STORY_KEY}), 400):
        rows = await session.execute(
            select(Article.title_key, Article.published_at, Article.story_id).where(
                Article.title_key.in_(chunk)
            )
        )
        for key, published, story in rows:
            if story is not None:
                by_key.setdefault(key, []).append((published, story))
    return by_link, by_key


async def _queue_alerts(
    session: AsyncSession,
    stored: Sequence[_Stored],
    match: MatchFn,
    *,
    now: datetime,
) -> dict[int, int]:
    """Queue an alert per matching chat; returns how many were queued per article id."""
    # Scoped subscriptions (source:, lang:) keep only the hits inside their scope.
    in_scope = await subscriptions.keep_in_scope(
        session, [(row.feed_id, row.value.language, match(row.value)) for row in stored]
    )
    hits_per_row = list(zip(stored, in_scope, strict=True))
    chat_ids = {hit.chat_id for _, hits in hits_per_row for hit in hits}
    if not chat_ids:
        return {}
    chats: dict[int, Chat] = {}
    for chunk in chunks(sorted(chat_ids), 400):
        found = await session.scalars(select(Chat).where(Chat.id.in_(chunk)))
        chats.update((chat.id, chat) for chat in found)
    rows = []
    for row, hits in hits_per_row:
        for hit in first_hit_per_chat(hits):
            chat = chats.get(hit.chat_id)
            if (
                chat is None
                or not chat.active
                or not wants_language(chat.article_languages, row.value.language)
            ):
                continue
            rows.append(
                {
                    "chat_id": hit.chat_id,
                    "article_id": row.id,
                    "story_id": row.story_id,
                    "subscription_id": hit.subscription_id,
                    "query_text": hit.query_text,
                    "status": "held" if chat.paused else "queued",
                    "attempts": 0,
                    # Digest modes and quiet hours hold the alert until its release time.
                    "next_attempt_at": release_at(now, chat_preferences(chat)),
                    "created_at": now,
                }
            )
    if not rows:
        return {}
    await session.execute(
        dialect_insert(session, Alert).on_conflict_do_nothing(
            index_elements=["chat_id", "story_id"]
        ),
        rows,
    )
    # The unique (chat, story) index dropped the repeats; count what this batch queued.
    counted = await session.execute(
        select(Alert.article_id, func.count())
        .where(Alert.article_id.in_([row.id for row in stored]), Alert.created_at == now)
        .group_by(Alert.article_id)
    )
    return {article_id: int(count) for article_id, count in counted}


async def prune_articles(session: AsyncSession, *, before: datetime) -> int:
    """Delete articles published and fetched before `before` (alerts and index rows follow)."""
    result = await session.execute(
        delete(Article).where(Article.published_at < before, Article.fetched_at < before)
    )
    return rowcount(result)
