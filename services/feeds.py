"""Use cases of the feeds: what the bot reads, adding and removing feeds, /stats."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal
from urllib.parse import urlsplit

from db import feeds as feed_store
from db import stats
from db.feeds import RemovedFeed
from db.models import Feed
from db.stats import BotStats
from feeds.fetch import FetchRequest
from feeds.parse import parse_feed
from feeds.preferences import zone
from services.core import Services

__all__ = [
    "AddedFeed",
    "BotStats",
    "FeedView",
    "RemovedFeed",
    "StatsReport",
    "add_feed",
    "bot_stats",
    "import_feeds",
    "remove_feed",
    "sources",
    "start_of_day",
]


@dataclass(frozen=True, slots=True)
class FeedView:
    """A feed and its health, as readers and operators see it."""

    id: int
    url: str
    title: str | None
    active: bool
    origin: str
    consecutive_failures: int
    last_error_kind: str | None
    last_error: str | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    next_poll_at: datetime | None


def _view(row: Feed) -> FeedView:
    return FeedView(
        id=row.id,
        url=row.url,
        title=row.title,
        active=row.active,
        origin=row.origin,
        consecutive_failures=row.consecutive_failures,
        last_error_kind=row.last_error_kind,
        last_error=row.last_error,
        last_success_at=row.last_success_at,
        last_error_at=row.last_error_at,
        next_poll_at=row.next_poll_at,
    )


async def sources(svc: Services) -> list[FeedView]:
    """Every feed in the table, in the order they were added."""
    async with svc.read() as session:
        return [_view(row) for row in await feed_store.all_feeds(session)]


async def import_feeds(
    svc: Services, entries: Iterable[tuple[str, str | None]], *, trusted: bool = True
) -> int:
    """Add (url, title) feeds of an operator's list; returns how many were new."""
    async with svc.write() as tx:
        return await feed_store.merge_feeds(
            tx, list(entries), now=svc.clock(), origin="file" if trusted else "chat"
        )


@dataclass(frozen=True, slots=True)
class AddedFeed:
    """What /addfeed came to.

    `known`: already read (`title`); `unavailable`: no fetcher; `unreachable`: the fetch
    failed (`error_kind`); `not_a_feed`: it is a web page or other; `added`: stored
    (`title`, `items` in it today).
    """

    outcome: Literal["known", "unavailable", "unreachable", "not_a_feed", "added"]
    title: str = ""
    items: int = 0
    error_kind: str | None = None


async def add_feed(svc: Services, url: str) -> AddedFeed:
    """Fetch a URL once (address-guarded: not trusted) and store it if it is a feed."""
    async with svc.read() as session:
        existing = await feed_store.feed_by_url(session, url)
        known = _view(existing) if existing is not None else None
    if known is not None and known.active:
        return AddedFeed("known", title=known.title or urlsplit(known.url).netloc or known.url)
    if svc.fetcher is None:
        return AddedFeed("unavailable")
    result = await svc.fetcher.fetch(FetchRequest(url, trusted=False))
    if result.error_kind is not None or result.body is None:
        return AddedFeed("unreachable", error_kind=result.error_kind)
    if svc.parser is not None:  # the shared pool: a hostile feed gets the same time budget
        parsed = await svc.parser.parse(result.body, result.url, result.headers)
    else:
        parsed = await asyncio.to_thread(parse_feed, result.body, result.url, result.headers)
    if not parsed.is_feed:
        return AddedFeed("not_a_feed")
    title = parsed.title or urlsplit(url).netloc
    now = svc.clock()
    async with svc.write() as tx:
        if known is not None:
            await feed_store.reactivate_feed(tx, known.id, now=now)
        else:
            await feed_store.merge_feeds(tx, [(url, title)], now=now, origin="chat", trusted=False)
    return AddedFeed("added", title=title, items=len(parsed.articles))


async def remove_feed(svc: Services, feed_id: int) -> RemovedFeed | None:
    """Stop polling a feed: delete a chat-added one, switch off a FEEDS_FILE one."""
    async with svc.write() as tx:
        return await feed_store.remove_feed(tx, feed_id)


@dataclass(frozen=True, slots=True)
class StatsReport:
    """/stats: the counts, and how long the last poll took."""

    numbers: BotStats
    last_poll_seconds: float | None


def start_of_day(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s local day in the reader's time zone."""
    tz = zone(timezone)
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(now.tzinfo)


async def bot_stats(svc: Services, *, timezone: str) -> StatsReport:
    """Counts an operator needs; "today" is the asking reader's day in their time zone."""
    now = svc.clock()
    async with svc.read() as session:
        numbers = await stats.collect_stats(session, now=now, day_start=start_of_day(now, timezone))
    return StatsReport(numbers, svc.last_poll_seconds)
