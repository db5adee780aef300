"""Storage of articles and stories: a poll's new articles, their index rows and alerts.

Which entries are new is a pure rule in `feeds.story_keys`; which story an article joins is
the caller's story grouper (`feeds.stories.StoryGrouper`), asked article by article in
arrival order. This module reads what they need and writes what they decide, in the caller's
transaction.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import edits, search, subscriptions
from db.chats import chat_preferences
from db.models import Alert, Article, Chat, Feed
from db.search_backend import Fts5Search, SearchBackend
from db.sql import chunks, dialect_insert, rowcount
from feeds.models import Article as ArticleValue
from feeds.models import Hit
from feeds.preferences import release_at, wants_language
from feeds.stories import Placement, Report
from feeds.story_keys import hits_per_chat, new_entries, title_key

MatchFn = Callable[[ArticleValue], Sequence[Hit]]
_FTS5 = Fts5Search()


class StoryPlacer(Protocol):
    """Which story a new article joins (`feeds.stories.StoryGrouper` is one)."""

    def is_open(self, published: datetime) -> bool:
        """Whether an article published then can still join a story (else it is not grouped)."""
        ...

    def place(self, report: Report) -> Placement: ...

    def remember(self, report: Report, story_id: int) -> None: ...


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
    stories: StoryPlacer | None = None,
) -> list[StoreResult]:
    """Store several feeds' new articles, index them and queue alerts, in this transaction.

    Each article joins the story `stories` places it in, or starts one named by its own id;
    it is remembered there at once, so the next article of this batch can join it too (the
    caller forgets a rolled-back batch: see `bot.poll`). Without `stories`, only the same
    canonical link makes the same story.

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
    by_link = await _known_links(session, values)
    inserted = await session.execute(
        # Unordered RETURNING lets SQLite take the batch in one statement; (feed, guid) is
        # unique within it, so it maps the ids back.
        insert(Article).returning(Article.feed_id, Article.guid, Article.id),
        [
            {
                "feed_id": items[index].feed_id,
                "story_id": None,
                "guid": value.guid,
                "link": value.link,
                "canonical_link": value.canonical_link,
                "title": value.title,
                "title_key": title_key(value.title),
                "teaser": value.teaser,
                "language": value.language,
                "image": value.image,
                "published_at": value.published or now,
                "fetched_at": now,
            }
            for index, value in flat
        ],
    )
    id_of = {(feed_id, guid): article_id for feed_id, guid, article_id in inserted}
    ids = [id_of[(items[index].feed_id, value.guid)] for index, value in flat]
    # Off the event loop: grouping a first poll's thousands of articles takes seconds, and
    # the fetches still in flight must go on meanwhile (only the poller's writer, which
    # awaits this, touches the grouper).
    resolved = await asyncio.to_thread(_join_stories, flat, ids, items, by_link, stories, now)
    await session.execute(
        update(Article), [{"id": i, "story_id": s} for i, s in zip(ids, resolved, strict=True)]
    )
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


def report_of(value: ArticleValue, feed_id: int, published: datetime) -> Report:
    """What the story grouper reads of an article: the teaser, as stored (a restart rebuilds
    the window from the stored rows, and must see what the live poll saw)."""
    return Report(
        title=value.title,
        description=value.teaser,
        language=value.language,
        published=published,
        source=str(feed_id),
        link=value.canonical_link,
    )


def _join_stories(
    flat: Sequence[tuple[int, ArticleValue]],
    ids: Sequence[int],
    items: Sequence[FeedArticles],
    by_link: dict[str, int],
    stories: StoryPlacer | None,
    now: datetime,
) -> list[int]:
    """Each new article's story, in arrival order: a stored story with the same canonical
    link (however old), else the grouper's open story, else a new one (the article's id).

    An article older than the grouper's window (a new feed's backlog of last week, while
    today's news fill the window) is not grouped: every story it could join has closed, and
    reading it would only fill the window with the past."""
    resolved: list[int] = []
    for (index, value), article_id in zip(flat, ids, strict=True):
        link = value.canonical_link
        story = by_link.get(link) if link else None
        when = value.published or now
        grouper = stories if stories is not None and stories.is_open(when) else None
        report = report_of(value, items[index].feed_id, when)
        if story is None and grouper is not None:
            story = grouper.place(report).story_id
        if story is None:
            story = article_id
        if link:
            by_link.setdefault(link, story)
        if grouper is not None:
            grouper.remember(report, story)
        resolved.append(story)
    return resolved


async def _known_links(session: AsyncSession, fresh: Sequence[ArticleValue]) -> dict[str, int]:
    """Stories other feeds already carry, by canonical link."""
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
    return by_link


async def recent_reports(session: AsyncSession, *, since: datetime) -> list[tuple[Report, int]]:
    """Stored articles published since `since`, as the story grouper reads them, with their
    stories, oldest first: the window a grouper is rebuilt from at start."""
    rows = await session.execute(
        select(
            Article.title,
            Article.teaser,
            Article.language,
            Article.published_at,
            Article.feed_id,
            Article.canonical_link,
            Article.story_id,
        )
        .where(Article.published_at >= since, Article.story_id.is_not(None))
        .order_by(Article.published_at, Article.id)
    )
    return [
        (Report(title, teaser, language, published, str(feed_id), link or ""), story_id)
        for title, teaser, language, published, feed_id, link, story_id in rows
    ]


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
        for chat_hits in hits_per_chat(hits):
            hit = chat_hits[0]
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
                    "matched_queries": json.dumps([h.query_text for h in chat_hits]),
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
    # An article that joined an earlier story adds its outlet to the chat's alert of it.
    await edits.add_later_reports(session, await _later_reports(session, stored, rows), now=now)
    # The unique (chat, story) index dropped the repeats; count what this batch queued.
    counted = await session.execute(
        select(Alert.article_id, func.count())
        .where(Alert.article_id.in_([row.id for row in stored]), Alert.created_at == now)
        .group_by(Alert.article_id)
    )
    return {article_id: int(count) for article_id, count in counted}


async def _later_reports(
    session: AsyncSession, stored: Sequence[_Stored], rows: Sequence[dict[str, Any]]
) -> list[edits.LaterReport]:
    """The alerts this batch wanted for articles that joined an earlier story (the first
    article of a story is its alert's own)."""
    joined = {row.id: row for row in stored if row.story_id != row.id}
    wanted = [alert for alert in rows if alert["article_id"] in joined]
    if not wanted:
        return []
    feed_ids = sorted({joined[alert["article_id"]].feed_id for alert in wanted})
    found = await session.execute(
        select(Feed.id, func.coalesce(Feed.title, Feed.url)).where(Feed.id.in_(feed_ids))
    )
    source = dict(found.tuples().all())
    reports = []
    for alert in wanted:
        row = joined[alert["article_id"]]
        reports.append(
            edits.LaterReport(
                chat_id=alert["chat_id"],
                story_id=row.story_id,
                article_id=row.id,
                feed_id=row.feed_id,
                source=source.get(row.feed_id, ""),
                link=row.value.canonical_link or row.value.link,
                queries=tuple(json.loads(alert["matched_queries"])),
            )
        )
    return reports


async def prune_articles(session: AsyncSession, *, before: datetime) -> int:
    """Delete articles published and fetched before `before` (alerts and index rows follow)."""
    result = await session.execute(
        delete(Article).where(Article.published_at < before, Article.fetched_at < before)
    )
    return rowcount(result)
