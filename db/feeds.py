"""Storage of feeds: the feeds table, which feeds are due, adding and removing them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Feed
from db.sql import chunks, dialect_insert, rowcount
from feeds.feed_update import FeedState, FeedUpdate


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
            dialect_insert(session, Feed)
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
        added += rowcount(result)
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
    for chunk in chunks(sorted(set(ids)), 400):
        found.update(
            (feed.id, feed)
            for feed in await session.scalars(select(Feed).where(Feed.id.in_(chunk)))
        )
    return found


async def all_feeds(session: AsyncSession) -> list[Feed]:
    return list(await session.scalars(select(Feed).order_by(Feed.id)))


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


def state_of(row: Feed) -> FeedState:
    """The feed row as the value the poll's decide step reads."""
    return FeedState(
        id=row.id,
        url=row.url,
        trusted=row.trusted,
        active=row.active,
        title=row.title,
        language=row.language,
        etag=row.etag,
        last_modified=row.last_modified,
        interval_seconds=row.interval_seconds,
        last_polled_at=row.last_polled_at,
        last_success_at=row.last_success_at,
        last_error_at=row.last_error_at,
        last_error_kind=row.last_error_kind,
        last_error=row.last_error,
        consecutive_failures=row.consecutive_failures,
        gone_since=row.gone_since,
        next_poll_at=row.next_poll_at,
    )


_DECIDED = tuple(f.name for f in dataclasses.fields(FeedState) if f.name not in ("id", "url"))


def apply_update(row: Feed, update: FeedUpdate) -> None:
    """Write a poll's decided state onto the feed row (flushed with the transaction)."""
    for name in _DECIDED:
        setattr(row, name, getattr(update.state, name))
