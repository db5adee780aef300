"""Repositories: every read and write the bot does, as functions over an AsyncSession."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db import search
from db.models import Alert, Article, Chat, Feed, Subscription
from feeds.models import Article as ArticleValue
from feeds.models import Hit
from feeds.preferences import Preferences, release_at
from feeds.search_request import SearchResult

STORY_WINDOW = timedelta(days=1)
"""The same normalized headline within this window counts as the same story."""
T = TypeVar("T")
MIN_STORY_KEY = 12
"""Shorter headlines ("News", "Update") are too common to identify a story."""


MatchFn = Callable[[ArticleValue], Sequence[Hit]]


@dataclass(frozen=True, slots=True)
class StoreResult:
    new_articles: int
    alerts_queued: int


@dataclass(frozen=True, slots=True)
class DueAlert:
    """An outbox row joined with what the message needs."""

    id: int
    chat_id: int
    chat_type: str
    attempts: int
    query_text: str
    subscription_id: int | None
    article_id: int
    title: str
    teaser: str
    link: str
    published_at: datetime
    language: str | None
    source: str
    held: bool = False
    """It waited for a digest, quiet hours or a retry: several of them go out folded."""
    chat_language: str = "en"
    chat_timezone: str = "UTC"


def title_key(title: str) -> str:
    """A headline reduced to lower-case words, to recognize the same story in two feeds."""
    return " ".join(re.findall(r"\w+", title.casefold()))[:512]


def _insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT for the session's dialect that can say ON CONFLICT DO NOTHING."""
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


# --- chats -----------------------------------------------------------------------------------


async def upsert_chat(
    session: AsyncSession,
    chat_id: int,
    *,
    now: datetime,
    chat_type: str = "private",
    title: str | None = None,
    language: str | None = None,
    reactivate: bool = False,
) -> Chat:
    """The chat's row, created on first contact; `reactivate` undoes a block (on /start)."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(
            id=chat_id,
            type=chat_type,
            title=title,
            language=language,
            created_at=now,
            timezone="UTC",
            active=True,
            paused=False,
            alert_mode="instant",
        )
        session.add(chat)
    else:
        chat.type = chat_type
        if title is not None:
            chat.title = title
        if reactivate and not chat.active:
            chat.active = True
            chat.deactivated_at = None
    await session.flush()
    return chat


async def deactivate_chat(session: AsyncSession, chat_id: int, *, now: datetime) -> int:
    """Mark a chat inactive (blocked/kicked) and drop its pending alerts; returns alerts dropped."""
    await session.execute(
        update(Chat)
        .where(Chat.id == chat_id, Chat.active.is_(True))
        .values(active=False, deactivated_at=now)
    )
    result = await session.execute(
        update(Alert)
        .where(Alert.chat_id == chat_id, Alert.status.in_(("queued", "held")))
        .values(status="dropped", last_error="chat inactive")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def set_paused(session: AsyncSession, chat_id: int, paused: bool) -> None:
    await session.execute(update(Chat).where(Chat.id == chat_id).values(paused=paused))


async def drop_held(session: AsyncSession, chat_id: int) -> int:
    """Alerts that matched while the chat was paused are dropped on /resume; how many."""
    result = await session.execute(
        update(Alert)
        .where(Alert.chat_id == chat_id, Alert.status == "held")
        .values(status="dropped", last_error="matched while paused")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def migrate_chat(session: AsyncSession, old_id: int, new_id: int) -> None:
    """A group became a supergroup: move the chat and everything hanging off it to the new id."""
    existing = await session.get(Chat, new_id)
    if existing is not None:
        await session.execute(
            update(Subscription).where(Subscription.chat_id == old_id).values(chat_id=new_id)
        )
        await session.execute(update(Alert).where(Alert.chat_id == old_id).values(chat_id=new_id))
        await session.execute(delete(Chat).where(Chat.id == old_id))
    else:
        # ON UPDATE CASCADE carries subscriptions and alerts along.
        await session.execute(
            update(Chat).where(Chat.id == old_id).values(id=new_id, type="supergroup")
        )


# --- subscriptions ---------------------------------------------------------------------------


async def add_subscription(
    session: AsyncSession, chat_id: int, query_text: str, query_json: str, *, now: datetime
) -> tuple[Subscription, bool]:
    """Store a subscription; returns it and whether it is new (the same text twice is one)."""
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.chat_id == chat_id, Subscription.query_text == query_text
        )
    )
    if existing is not None:
        return existing, False
    subscription = Subscription(
        chat_id=chat_id, query_text=query_text, query_json=query_json, created_at=now, muted=False
    )
    session.add(subscription)
    await session.flush()
    return subscription, True


async def list_subscriptions(session: AsyncSession, chat_id: int) -> list[Subscription]:
    rows = await session.scalars(
        select(Subscription).where(Subscription.chat_id == chat_id).order_by(Subscription.id)
    )
    return list(rows)


async def remove_subscription(
    session: AsyncSession, chat_id: int, subscription_id: int
) -> Subscription | None:
    """Delete one of the chat's subscriptions and its undelivered alerts; None when it is not
    the chat's."""
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.chat_id != chat_id:
        return None
    await _drop_pending(session, subscription_id, "subscription removed")
    await session.delete(subscription)
    await session.flush()
    return subscription


async def _drop_pending(session: AsyncSession, subscription_id: int, reason: str) -> None:
    """A reader who removes or mutes a topic gets none of its alerts still in the outbox."""
    await session.execute(
        update(Alert)
        .where(Alert.subscription_id == subscription_id, Alert.status.in_(("queued", "held")))
        .values(status="dropped", last_error=reason)
    )


async def set_muted(
    session: AsyncSession, chat_id: int, subscription_id: int, muted: bool
) -> Subscription | None:
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.chat_id != chat_id:
        return None
    subscription.muted = muted
    if muted:
        await _drop_pending(session, subscription_id, "subscription muted")
    await session.flush()
    return subscription


async def live_subscriptions(session: AsyncSession) -> list[tuple[int, int, str, str]]:
    """(id, chat_id, query_text, query_json) of every subscription that should match."""
    rows = await session.execute(
        select(
            Subscription.id, Subscription.chat_id, Subscription.query_text, Subscription.query_json
        )
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Subscription.muted.is_(False))
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


# --- feeds -----------------------------------------------------------------------------------


async def merge_feeds(
    session: AsyncSession,
    feeds: Iterable[tuple[str, str | None]],
    *,
    now: datetime,
    origin: str = "file",
    trusted: bool = True,
) -> int:
    """Add (url, title) feeds that are not in the table yet; returns how many were added."""
    added = 0
    for url, title in feeds:
        result = await session.execute(
            _insert(session, Feed)
            .values(
                url=url,
                title=title,
                origin=origin,
                trusted=trusted,
                active=True,
                backlog_done=False,
                consecutive_failures=0,
                created_at=now,
                next_poll_at=now,
            )
            .on_conflict_do_nothing(index_elements=["url"])
        )
        added += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return added


async def due_feeds(session: AsyncSession, now: datetime, limit: int | None = None) -> list[Feed]:
    """Active feeds whose next poll time has come, most overdue first."""
    query = (
        select(Feed)
        .where(Feed.active.is_(True), or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
        .order_by(Feed.next_poll_at)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))


async def feeds_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Feed]:
    """Feed rows by id, in one query."""
    found: dict[int, Feed] = {}
    for chunk in _chunks(sorted(set(ids)), 400):
        found.update(
            (feed.id, feed)
            for feed in await session.scalars(select(Feed).where(Feed.id.in_(chunk)))
        )
    return found


async def all_feeds(session: AsyncSession) -> list[Feed]:
    return list(await session.scalars(select(Feed).order_by(Feed.id)))


# --- articles and the outbox -----------------------------------------------------------------


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


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class _Stored:
    """A just-inserted article: its ids and the value it came from."""

    id: int
    story_id: int
    value: ArticleValue


async def _known_stories(
    session: AsyncSession, fresh: Sequence[ArticleValue], keys: Sequence[str]
) -> tuple[dict[str, int], dict[str, list[tuple[datetime, int]]]]:
    """Stories other feeds already carry, by canonical link and by headline key."""
    by_link: dict[str, int] = {}
    links = sorted({v.canonical_link for v in fresh if v.canonical_link})
    for chunk in _chunks(links, 400):
        rows = await session.execute(
            select(Article.canonical_link, Article.story_id).where(
                Article.canonical_link.in_(chunk)
            )
        )
        for link, story in rows:
            if story is not None:
                by_link.setdefault(link, story)
    by_key: dict[str, list[tuple[datetime, int]]] = {}
    for chunk in _chunks(sorted({k for k in keys if len(k) >= MIN_STORY_KEY}), 400):
        rows = await session.execute(
            select(Article.title_key, Article.published_at, Article.story_id).where(
                Article.title_key.in_(chunk)
            )
        )
        for key, published, story in rows:
            if story is not None:
                by_key.setdefault(key, []).append((published, story))
    return by_link, by_key


def _same_day(found: list[tuple[datetime, int]], published: datetime) -> int | None:
    for when, story in found:
        if abs(when - published) <= STORY_WINDOW:
            return story
    return None


@dataclass(frozen=True, slots=True)
class FeedArticles:
    """One feed's parsed articles for `store_batch`; `alert=False` stores a backlog."""

    feed_id: int
    articles: Sequence[ArticleValue]
    alert: bool = True


async def store_articles(
    session: AsyncSession,
    feed_id: int,
    articles: Sequence[ArticleValue],
    *,
    now: datetime,
    match: MatchFn | None,
) -> StoreResult:
    """Store one feed's new articles and queue their alerts (see `store_batch`).

    `match=None` stores without alerting (a feed's first poll: its backlog).
    """
    alert = match is not None
    results = await store_batch(
        session, [FeedArticles(feed_id, articles, alert)], now=now, match=match or _no_hits
    )
    return results[0]


def _no_hits(_article: ArticleValue) -> Sequence[Hit]:
    return ()


def _new_entries(
    articles: Sequence[ArticleValue], known_guids: set[str], known_links: set[str]
) -> list[ArticleValue]:
    """The entries not stored yet: a known guid or link is the same entry, even in one batch."""
    seen: set[str] = set()
    fresh: list[ArticleValue] = []
    for value in articles:
        known_link = bool(value.link) and value.link in known_links
        if value.guid in known_guids or known_link or value.guid in seen:
            continue
        seen.add(value.guid)
        if value.link:  # the same link twice in one document is one article too
            known_links.add(value.link)
        fresh.append(value)
    return fresh


async def store_batch(
    session: AsyncSession,
    items: Sequence[FeedArticles],
    *,
    now: datetime,
    match: MatchFn,
) -> list[StoreResult]:
    """Store several feeds' new articles, index them and queue alerts, in this transaction.

    Statements are batched over all feeds (one insert, one index write, one alert write), so
    a poll of a thousand feeds costs a few round trips per feed, not dozens: every statement
    through the async driver costs about half a millisecond however small it is.
    """
    fresh_per_item: list[list[ArticleValue]] = []
    for item in items:
        known_guids, known_links = await _known_entries(session, item.feed_id, item.articles)
        fresh_per_item.append(_new_entries(item.articles, known_guids, known_links))
    flat = [(index, value) for index, fresh in enumerate(fresh_per_item) for value in fresh]
    if not flat:
        return [StoreResult(0, 0) for _ in items]
    values = [value for _, value in flat]
    keys = [title_key(v.title) for v in values]
    by_link, by_key = await _known_stories(session, values, keys)
    stories, leader = _assign_stories(values, keys, by_link, by_key, now)
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
        (index, _Stored(article_id, story, value))
        for (index, value), article_id, story in zip(flat, ids, resolved, strict=True)
    ]
    # The full-text index rows, in the same transaction (normalized in Python: see db.search).
    await search.index_articles(
        session,
        [
            search.document(
                row.id,
                items[index].feed_id,
                row.value.title,
                row.value.teaser,
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


def _assign_stories(
    values: Sequence[ArticleValue],
    keys: Sequence[str],
    by_link: dict[str, int],
    by_key: dict[str, list[tuple[datetime, int]]],
    now: datetime,
) -> tuple[list[int | None], list[int | None]]:
    """Each article's known story, or the earlier article of this batch it repeats."""
    stories: list[int | None] = []
    leader: list[int | None] = []
    batch_link: dict[str, int] = {}
    batch_key: dict[str, int] = {}
    for position, (value, key) in enumerate(zip(values, keys, strict=True)):
        published = value.published or now
        story = by_link.get(value.canonical_link) if value.canonical_link else None
        if story is None and len(key) >= MIN_STORY_KEY:
            story = _same_day(by_key.get(key, []), published)
        first = None
        if story is None:
            first = batch_link.get(value.canonical_link) if value.canonical_link else None
            if first is None and len(key) >= MIN_STORY_KEY:
                first = batch_key.get(key)
        if value.canonical_link:
            batch_link.setdefault(value.canonical_link, position)
        if len(key) >= MIN_STORY_KEY:
            batch_key.setdefault(key, position)
        stories.append(story)
        leader.append(first)
    return stories, leader


async def _queue_alerts(
    session: AsyncSession,
    stored: Sequence[_Stored],
    match: MatchFn,
    *,
    now: datetime,
) -> dict[int, int]:
    """Queue an alert per matching chat; returns how many were queued per article id."""
    hits_per_row = [(row, match(row.value)) for row in stored]
    chat_ids = {hit.chat_id for _, hits in hits_per_row for hit in hits}
    if not chat_ids:
        return {}
    chats: dict[int, Chat] = {}
    for chunk in _chunks(sorted(chat_ids), 400):
        found = await session.scalars(select(Chat).where(Chat.id.in_(chunk)))
        chats.update((chat.id, chat) for chat in found)
    rows = []
    for row, hits in hits_per_row:
        for hit in _first_hit_per_chat(hits):
            chat = chats.get(hit.chat_id)
            if chat is None or not chat.active or not _wants_language(chat, row.value.language):
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
        _insert(session, Alert).on_conflict_do_nothing(index_elements=["chat_id", "story_id"]),
        rows,
    )
    # The unique (chat, story) index dropped the repeats; count what this batch queued.
    counted = await session.execute(
        select(Alert.article_id, func.count())
        .where(Alert.article_id.in_([row.id for row in stored]), Alert.created_at == now)
        .group_by(Alert.article_id)
    )
    return {article_id: int(count) for article_id, count in counted}


def _first_hit_per_chat(hits: Sequence[Hit]) -> list[Hit]:
    """One alert per chat and article: the chat's oldest matching subscription names it."""
    best: dict[int, Hit] = {}
    for hit in sorted(hits, key=lambda h: h.subscription_id):
        best.setdefault(hit.chat_id, hit)
    return list(best.values())


def _wants_language(chat: Chat, language: str | None) -> bool:
    if not chat.article_languages or language is None:
        return True
    return language in chat.article_languages.split(",")


async def due_alerts(session: AsyncSession, now: datetime, limit: int = 500) -> list[DueAlert]:
    """Queued alerts whose time has come, oldest first, for active chats."""
    rows = await session.execute(
        select(
            Alert.id,
            Alert.chat_id,
            Chat.type,
            Alert.attempts,
            Alert.query_text,
            Alert.subscription_id,
            Article.id,
            Article.title,
            Article.teaser,
            Article.link,
            Article.published_at,
            Article.language,
            func.coalesce(Feed.title, Feed.url),
            Alert.next_attempt_at > Alert.created_at,
            func.coalesce(Chat.language, "en"),
            func.coalesce(Chat.timezone, "UTC"),
        )
        .join(Chat, Chat.id == Alert.chat_id)
        .join(Article, Article.id == Alert.article_id)
        .join(Feed, Feed.id == Article.feed_id)
        .where(and_(Alert.status == "queued", Alert.next_attempt_at <= now, Chat.active.is_(True)))
        .order_by(Alert.id)
        .limit(limit)
    )
    return [DueAlert(*r) for r in rows]


async def mark_sent(
    session: AsyncSession, alert_ids: Sequence[int], message_id: int | None, *, now: datetime
) -> None:
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids))
        .values(status="sent", telegram_message_id=message_id, sent_at=now, last_error=None)
    )


async def mark_retry(
    session: AsyncSession,
    alert_ids: Sequence[int],
    *,
    error: str,
    next_attempt_at: datetime,
    park_after: int,
) -> None:
    """Count a failed try; an alert that failed `park_after` times is parked with its error."""
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids))
        .values(attempts=Alert.attempts + 1, last_error=error, next_attempt_at=next_attempt_at)
    )
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids), Alert.attempts >= park_after)
        .values(status="parked")
    )


async def mark_failed(session: AsyncSession, alert_ids: Sequence[int], *, error: str) -> None:
    """A permanent error (a 400 Telegram will never accept): recorded, not retried."""
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids))
        .values(status="failed", attempts=Alert.attempts + 1, last_error=error)
    )


async def postpone_chat(session: AsyncSession, chat_id: int, until: datetime) -> None:
    """Telegram asked us to wait for this chat: hold its queued alerts until then."""
    await session.execute(
        update(Alert)
        .where(Alert.chat_id == chat_id, Alert.status == "queued")
        .values(next_attempt_at=until)
    )


async def prune_articles(session: AsyncSession, *, before: datetime) -> int:
    """Delete articles published and fetched before `before` (alerts and index rows follow)."""
    result = await session.execute(
        delete(Article).where(Article.published_at < before, Article.fetched_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_contains(
    session: AsyncSession, words: Sequence[str], *, limit: int = 5, offset: int = 0
) -> list[SearchResult]:
    """Newest articles whose title or teaser contains every word: the LIKE baseline of the
    search benchmark (bound parameters only; no index can help it)."""
    query = (
        search.result_query()
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset)
    )
    for word in words:
        pattern = _like_pattern(word)
        query = query.where(
            or_(
                Article.title.ilike(pattern, escape="\\"),
                Article.teaser.ilike(pattern, escape="\\"),
            )
        )
    return [SearchResult(*row) for row in await session.execute(query)]


# --- reader settings, feed management and statistics (readers and operators) ----------------

CHAT_SETTINGS = frozenset(
    {
        "language",
        "timezone",
        "alert_mode",
        "digest_hour",
        "quiet_start",
        "quiet_end",
        "article_languages",
    }
)
"""The chat columns a reader may change with /language, /timezone and /settings."""


async def get_chat(session: AsyncSession, chat_id: int) -> Chat | None:
    return await session.get(Chat, chat_id)


async def update_chat_settings(
    session: AsyncSession, chat_id: int, **changes: object
) -> Chat | None:
    """Change some of a chat's settings (names from CHAT_SETTINGS); None if the chat is unknown."""
    unknown = set(changes) - CHAT_SETTINGS
    if unknown:
        raise ValueError(f"not a chat setting: {sorted(unknown)}")
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return None
    for name, value in changes.items():
        setattr(chat, name, value)
    await session.flush()
    return chat


def chat_preferences(chat: Chat) -> Preferences:
    """The delivery preferences stored on a chat row, as the pure value `release_at` takes."""
    return Preferences(
        timezone=chat.timezone or "UTC",
        alert_mode=chat.alert_mode or "instant",
        digest_hour=chat.digest_hour,
        quiet_start=chat.quiet_start,
        quiet_end=chat.quiet_end,
    )


async def feed_by_url(session: AsyncSession, url: str) -> Feed | None:
    found: Feed | None = await session.scalar(select(Feed).where(Feed.url == url))
    return found


async def reactivate_feed(session: AsyncSession, feed_id: int, *, now: datetime) -> None:
    """Poll a switched-off feed again, from now on."""
    await session.execute(
        update(Feed)
        .where(Feed.id == feed_id)
        .values(active=True, next_poll_at=now, consecutive_failures=0, gone_since=None)
    )


@dataclass(frozen=True, slots=True)
class RemovedFeed:
    url: str
    title: str | None
    deleted: bool
    """True: the row and its articles are gone (a chat-added feed). False: switched off,
    because FEEDS_FILE would bring a deleted file feed back on the next start."""


async def remove_feed(session: AsyncSession, feed_id: int) -> RemovedFeed | None:
    """Stop polling a feed: delete a chat-added one, switch off a FEEDS_FILE one."""
    feed = await session.get(Feed, feed_id)
    if feed is None or (feed.origin != "chat" and not feed.active):
        return None
    removed = RemovedFeed(feed.url, feed.title, deleted=feed.origin == "chat")
    if removed.deleted:
        # Articles go with the feed (ON DELETE CASCADE), and their alerts with them.
        await session.execute(delete(Feed).where(Feed.id == feed_id))
    else:
        feed.active = False
        feed.next_poll_at = None
    await session.flush()
    return removed


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """A failing feed, for the operator's list of worst offenders."""

    url: str
    title: str | None
    consecutive_failures: int
    last_error_kind: str | None
    last_error: str | None
    last_success_at: datetime | None


@dataclass(frozen=True, slots=True)
class BotStats:
    """What /stats shows."""

    chats_active: int
    chats_paused: int
    chats_blocked: int
    subscriptions: int
    feeds_healthy: int
    feeds_failing: int
    feeds_waiting: int
    """Active feeds not polled successfully yet and without a failure."""
    feeds_off: int
    worst_feeds: list[FeedProblem]
    articles_today: int
    articles_total: int
    alerts_sent: int
    alerts_queued: int
    alerts_parked: int
    alerts_failed: int


async def _count(session: AsyncSession, query: Any) -> int:
    return int(await session.scalar(query) or 0)


async def collect_stats(
    session: AsyncSession, *, now: datetime, day_start: datetime, worst: int = 5
) -> BotStats:
    """Counts for /stats: alerts over the 24 h before `now`, articles since `day_start`."""
    since = now - timedelta(hours=24)
    chats = select(func.count()).select_from(Chat)
    feeds = select(func.count()).select_from(Feed).where(Feed.active.is_(True))
    alerts = select(func.count()).select_from(Alert)
    problems = await session.scalars(
        select(Feed)
        .where(Feed.active.is_(True), Feed.consecutive_failures > 0)
        .order_by(Feed.consecutive_failures.desc(), Feed.id)
        .limit(worst)
    )
    return BotStats(
        chats_active=await _count(
            session, chats.where(Chat.active.is_(True), Chat.paused.is_(False))
        ),
        chats_paused=await _count(
            session, chats.where(Chat.active.is_(True), Chat.paused.is_(True))
        ),
        chats_blocked=await _count(session, chats.where(Chat.active.is_(False))),
        subscriptions=await _count(session, select(func.count()).select_from(Subscription)),
        feeds_healthy=await _count(
            session, feeds.where(Feed.consecutive_failures == 0, Feed.last_success_at.is_not(None))
        ),
        feeds_failing=await _count(session, feeds.where(Feed.consecutive_failures > 0)),
        feeds_waiting=await _count(
            session, feeds.where(Feed.consecutive_failures == 0, Feed.last_success_at.is_(None))
        ),
        feeds_off=await _count(
            session, select(func.count()).select_from(Feed).where(Feed.active.is_(False))
        ),
        worst_feeds=[
            FeedProblem(
                f.url,
                f.title,
                f.consecutive_failures,
                f.last_error_kind,
                f.last_error,
                f.last_success_at,
            )
            for f in problems
        ],
        articles_today=await _count(
            session,
            select(func.count()).select_from(Article).where(Article.fetched_at >= day_start),
        ),
        articles_total=await _count(session, select(func.count()).select_from(Article)),
        alerts_sent=await _count(session, alerts.where(Alert.sent_at >= since)),
        alerts_queued=await _count(
            session, alerts.where(Alert.status.in_(("queued", "held")), Alert.created_at >= since)
        ),
        alerts_parked=await _count(
            session, alerts.where(Alert.status == "parked", Alert.created_at >= since)
        ),
        alerts_failed=await _count(
            session, alerts.where(Alert.status == "failed", Alert.created_at >= since)
        ),
    )
