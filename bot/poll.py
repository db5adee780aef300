"""The poll pipeline: due feeds | fetch | parse | store (+ match and queue alerts) | reschedule.

Each feed is fetched concurrently (the Fetcher bounds how many are in flight and per host),
parsed in a worker thread, then stored in one short write transaction that also queues the
alerts for every matching chat. A failing feed is recorded on its row and backed off; it never
stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db import repo
from db.models import Feed
from feeds.fetch import Fetcher, FetchRequest, FetchResult
from feeds.models import ParsedFeed
from feeds.parse import parse_feed
from feeds.schedule import next_poll_delay, should_deactivate
from handlers.context import Services

log = logging.getLogger(__name__)

GONE_KINDS = frozenset({"http_404", "http_410"})


@dataclass
class FeedOutcome:
    """What one feed's poll came to."""

    url: str
    status: str
    """ok, not_modified or error."""
    new_articles: int = 0
    alerts_queued: int = 0
    error_kind: str | None = None
    error: str | None = None
    bytes_read: int = 0


@dataclass
class PollSummary:
    """One poll of the due feeds, as `newsbot poll --once` prints it."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def new_articles(self) -> int:
        return sum(o.new_articles for o in self.outcomes)

    @property
    def alerts_queued(self) -> int:
        return sum(o.alerts_queued for o in self.outcomes)

    def describe(self) -> str:
        return (
            f"{len(self.outcomes)} feeds in {self.seconds:.1f}s: {self.count('ok')} ok, "
            f"{self.count('not_modified')} not modified, {self.count('error')} failed; "
            f"{self.new_articles} new articles, {self.alerts_queued} alerts queued"
        )


AdminNotice = Callable[[str], Awaitable[None]]


async def _no_notice(_text: str) -> None:
    return None


class Poller:
    """Polls due feeds and stores what they bring."""

    def __init__(
        self,
        services: Services,
        fetcher: Fetcher,
        *,
        base_interval: float,
        notify_admins: AdminNotice = _no_notice,
    ) -> None:
        self._svc = services
        self._fetcher = fetcher
        self._base = base_interval
        self.notify_admins = notify_admins
        self._running = asyncio.Lock()
        self.last: PollSummary | None = None

    async def poll(self, *, everything: bool = False) -> PollSummary | None:
        """Poll the due feeds (or all active ones); None when a poll is already running."""
        if self._running.locked():
            return None
        async with self._running:
            started = time.perf_counter()
            now = self._svc.clock()
            async with self._svc.sessions() as session:
                feeds = (
                    [f for f in await repo.all_feeds(session) if f.active]
                    if everything
                    else await repo.due_feeds(session, now)
                )
            outcomes = await asyncio.gather(*(self._poll_feed(feed) for feed in feeds))
            summary = PollSummary(list(outcomes), time.perf_counter() - started)
            self.last = summary
            if feeds:
                self._svc.last_poll_seconds = summary.seconds
            if summary.alerts_queued:
                self._svc.wake_delivery()
            if feeds:
                log.info("poll: %s", summary.describe())
            return summary

    async def _poll_feed(self, feed: Feed) -> FeedOutcome:
        try:
            result = await self._fetcher.fetch(
                FetchRequest(
                    url=feed.url,
                    etag=feed.etag,
                    last_modified=feed.last_modified,
                    trusted=feed.trusted,
                )
            )
            parsed = None
            if result.error_kind is None and not result.not_modified and result.body is not None:
                parsed = await asyncio.to_thread(
                    parse_feed, result.body, result.url or feed.url, result.headers
                )
            return await self._store(feed, result, parsed)
        except Exception as error:  # one feed's surprise must not stop the poll
            log.exception("poll of %s failed unexpectedly", feed.url)
            return await self._record_crash(feed, error)

    async def _store(
        self, feed: Feed, result: FetchResult, parsed: ParsedFeed | None
    ) -> FeedOutcome:
        svc = self._svc
        error_kind, error = result.error_kind, result.error
        if parsed is not None and not parsed.is_feed:
            error_kind = "not_a_feed"
            error = parsed.problem or "the response is not an RSS or Atom feed"
        outcome = FeedOutcome(
            feed.url, "error" if error_kind else "ok", bytes_read=result.bytes_read
        )
        if error_kind is None and result.not_modified:
            outcome.status = "not_modified"
        async with svc.write_lock, svc.sessions.begin() as session:
            row = await session.get(Feed, feed.id)
            if row is None:  # removed while we fetched
                return outcome
            now = svc.clock()
            row.last_polled_at = now
            if error_kind is not None:
                outcome.error_kind, outcome.error = error_kind, error
                await self._record_failure(row, error_kind, error or error_kind, now, result)
                return outcome
            if parsed is not None:
                stored = await repo.store_articles(
                    session,
                    row.id,
                    parsed.articles,
                    now=now,
                    match=svc.index.match if row.backlog_done else None,
                )
                outcome.new_articles = stored.new_articles
                outcome.alerts_queued = stored.alerts_queued
                row.backlog_done = True
                row.title = row.title or parsed.title or None
                row.language = parsed.language or row.language
            if parsed is not None:  # a full response replaces the validators
                row.etag, row.last_modified = result.etag, result.last_modified
            else:  # a 304 may refresh them
                row.etag = result.etag or row.etag
                row.last_modified = result.last_modified or row.last_modified
            row.last_success_at = now
            row.consecutive_failures = 0
            row.gone_since = None
            delay = next_poll_delay(
                base_interval=self._base,
                outcome=outcome.status,
                consecutive_failures=0,
                retry_after=result.retry_after,
                max_age=result.max_age,
                ttl_seconds=parsed.ttl_seconds if parsed is not None else None,
            )
            row.interval_seconds = delay
            row.next_poll_at = now + timedelta(seconds=delay)
        return outcome

    async def _record_failure(
        self, row: Feed, kind: str, message: str, now: datetime, result: FetchResult | None
    ) -> None:
        log.warning("feed %s failed: %s: %s", row.url, kind, message)
        row.consecutive_failures += 1
        row.last_error_kind = kind
        row.last_error = message[:2000]
        row.last_error_at = now
        if kind in GONE_KINDS:
            row.gone_since = row.gone_since or now
        else:
            row.gone_since = None
        delay = next_poll_delay(
            base_interval=self._base,
            outcome="gone" if kind in GONE_KINDS else "error",
            consecutive_failures=row.consecutive_failures,
            retry_after=result.retry_after if result is not None else None,
            max_age=None,
            ttl_seconds=None,
        )
        row.next_poll_at = now + timedelta(seconds=delay)
        if should_deactivate(row.gone_since, now):
            row.active = False
            await self.notify_admins(
                f"Feed deactivated: {row.url} has answered {kind.removeprefix('http_')} "
                f"since {row.gone_since:%Y-%m-%d %H:%M} UTC."
            )

    async def _record_crash(self, feed: Feed, error: Exception) -> FeedOutcome:
        svc = self._svc
        message = f"{type(error).__name__}: {error}"
        async with svc.write_lock, svc.sessions.begin() as session:
            row = await session.get(Feed, feed.id)
            if row is not None:
                await self._record_failure(row, "internal", message, svc.clock(), None)
        return FeedOutcome(feed.url, "error", error_kind="internal", error=message)
