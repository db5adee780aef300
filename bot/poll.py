"""The poll pipeline: due feeds | fetch | parse | store (+ match and queue alerts) | reschedule.

Each feed is fetched concurrently (the Fetcher bounds how many are in flight and per host),
parsed in a worker thread, then stored in one short write transaction that also queues the
alerts for every matching chat. A failing feed is recorded on its row and backed off; it never
stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.parsing import ParserPool
from db import articles
from db import feeds as feed_store
from db.models import Feed
from feeds.fetch import Fetcher, FetchRequest, FetchResult
from feeds.models import ParsedFeed
from feeds.schedule import next_poll_delay, should_deactivate
from services.core import Services

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


@dataclass
class _Write:
    """One feed's poll result waiting for the batched writer."""

    feed_id: int
    result: FetchResult
    parsed: ParsedFeed | None
    outcome: FeedOutcome
    done: asyncio.Future[None]


WRITE_BATCH = 50
"""Feeds written per transaction: amortizes commits without holding the lock for long."""

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
        parser: ParserPool | None = None,
    ) -> None:
        self._svc = services
        self._fetcher = fetcher
        self._base = base_interval
        self._parser = parser or ParserPool(workers=0)
        self.notify_admins = notify_admins
        self._running = asyncio.Lock()
        self._writes: list[_Write] = []
        self._writer: asyncio.Task[None] | None = None
        self.last: PollSummary | None = None

    async def poll(self, *, everything: bool = False) -> PollSummary | None:
        """Poll the due feeds (or all active ones); None when a poll is already running."""
        if self._running.locked():
            return None
        async with self._running:
            started = time.perf_counter()
            now = self._svc.clock()
            async with self._svc.read() as session:
                feeds = (
                    [f for f in await feed_store.all_feeds(session) if f.active]
                    if everything
                    else await feed_store.due_feeds(session, now)
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

    async def cancel(self) -> None:
        """Stop the batched writer (shutdown); an unfinished batch rolls back."""
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        for write in self._writes:
            if not write.done.done():
                write.done.cancel()
        self._writes.clear()

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
                parsed = await self._parser.parse(
                    result.body, result.url or feed.url, result.headers
                )
            return await self._store(feed, result, parsed)
        except Exception as error:  # one feed's surprise must not stop the poll
            log.exception("poll of %s failed unexpectedly", feed.url)
            return await self._record_crash(feed, error)

    async def _store(
        self, feed: Feed, result: FetchResult, parsed: ParsedFeed | None
    ) -> FeedOutcome:
        """Queue the feed's write and wait for it: writes are batched, one transaction each."""
        error_kind, error = result.error_kind, result.error
        if parsed is not None and not parsed.is_feed:
            error_kind = "not_a_feed"
            error = parsed.problem or "the response is not an RSS or Atom feed"
        outcome = FeedOutcome(
            feed.url, "error" if error_kind else "ok", bytes_read=result.bytes_read
        )
        outcome.error_kind, outcome.error = error_kind, error
        if error_kind is None and result.not_modified:
            outcome.status = "not_modified"
        write = _Write(feed.id, result, parsed, outcome, asyncio.get_running_loop().create_future())
        self._writes.append(write)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain_writes())
        await write.done
        return outcome

    async def _drain_writes(self) -> None:
        """Write queued poll results, many feeds per transaction (SQLite has one writer)."""
        while self._writes:
            batch = self._writes[:WRITE_BATCH]
            del self._writes[:WRITE_BATCH]
            notices: list[str] = []
            try:
                await self._write(batch, notices)
            except Exception:
                log.exception("a batched write failed; writing its feeds one at a time")
                notices.clear()
                for write in batch:
                    try:
                        await self._write([write], notices)
                    except Exception as error:
                        log.exception("storing %s failed", write.outcome.url)
                        write.outcome.status = "error"
                        write.outcome.error_kind = "internal"
                        write.outcome.error = f"{type(error).__name__}: {error}"
                        write.outcome.new_articles = write.outcome.alerts_queued = 0
            for write in batch:
                if not write.done.done():
                    write.done.set_result(None)
            for notice in notices:
                await self.notify_admins(notice)

    async def _write(self, batch: list[_Write], notices: list[str]) -> None:
        """One transaction: every feed row of the batch, and all their new articles at once."""
        svc = self._svc
        async with svc.write() as session:
            rows = await feed_store.feeds_by_id(session, [write.feed_id for write in batch])
            now = svc.clock()
            to_store: list[tuple[_Write, Feed]] = []
            for write in batch:
                row = rows.get(write.feed_id)
                if row is None:  # removed while we fetched
                    continue
                row.last_polled_at = now
                outcome = write.outcome
                if outcome.error_kind is not None:
                    message = outcome.error or outcome.error_kind
                    notice = self._record_failure(
                        row, outcome.error_kind, message, now, write.result
                    )
                    if notice:
                        notices.append(notice)
                    continue
                if write.parsed is not None:
                    to_store.append((write, row))
                self._record_success(row, write, now)
            if to_store:
                results = await articles.store_batch(
                    session,
                    [
                        articles.FeedArticles(row.id, write.parsed.articles, row.backlog_done)
                        for write, row in to_store
                        if write.parsed is not None
                    ],
                    now=now,
                    match=svc.index.match,
                )
                for (write, row), stored in zip(to_store, results, strict=True):
                    write.outcome.new_articles = stored.new_articles
                    write.outcome.alerts_queued = stored.alerts_queued
                    row.backlog_done = True

    def _record_success(self, row: Feed, write: _Write, now: datetime) -> None:
        """A 200 or 304: new validators, health reset, next poll after the feed's interval."""
        result, parsed = write.result, write.parsed
        if parsed is not None:
            row.title = row.title or parsed.title or None
            row.language = parsed.language or row.language
            # A full response replaces the validators.
            row.etag, row.last_modified = result.etag, result.last_modified
        else:  # a 304 may refresh them
            row.etag = result.etag or row.etag
            row.last_modified = result.last_modified or row.last_modified
        row.last_success_at = now
        row.consecutive_failures = 0
        row.gone_since = None
        delay = next_poll_delay(
            base_interval=self._base,
            outcome=write.outcome.status,
            consecutive_failures=0,
            retry_after=result.retry_after,
            max_age=result.max_age,
            ttl_seconds=parsed.ttl_seconds if parsed is not None else None,
        )
        row.interval_seconds = delay
        row.next_poll_at = now + timedelta(seconds=delay)

    def _record_failure(
        self, row: Feed, kind: str, message: str, now: datetime, result: FetchResult | None
    ) -> str | None:
        """Count a failure on the row; returns a notice for the admins when it deactivates."""
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
            return (
                f"Feed deactivated: {row.url} has answered {kind.removeprefix('http_')} "
                f"since {row.gone_since:%Y-%m-%d %H:%M} UTC."
            )
        return None

    async def _record_crash(self, feed: Feed, error: Exception) -> FeedOutcome:
        svc = self._svc
        message = f"{type(error).__name__}: {error}"
        async with svc.write() as session:
            row = await session.get(Feed, feed.id)
            if row is not None:
                self._record_failure(row, "internal", message, svc.clock(), None)
        return FeedOutcome(feed.url, "error", error_kind="internal", error=message)
