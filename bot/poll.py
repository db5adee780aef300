"""The poll pipeline: due feeds | fetch | parse | decide | store (+ match and queue alerts).

Each feed is fetched concurrently on the event loop (the Fetcher bounds how many are in flight
and per host) and parsed in a worker process; the pure `decide` step (feeds.feed_update)
computes the feed's new state, and batches of feeds are written fifty to a transaction that
also stores their new articles and queues the alerts for every matching chat. A failing feed
is recorded on its row and backed off; it never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.parsing import ParserPool
from db import articles
from db import feeds as feed_store
from feeds.feed_update import FeedState, decide, decide_failure, failure_of
from feeds.fetch import Fetcher, FetchRequest, FetchResult
from feeds.models import ParsedFeed
from feeds.stories import StoryGrouper
from services.core import Services

log = logging.getLogger(__name__)


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
    started: datetime
    """When the fetch began: the next poll counts from here, not from the write."""


WRITE_BATCH = 50
"""Feeds written per transaction: amortizes commits without holding the lock for long."""

AdminNotice = Callable[[str], Awaitable[None]]
NewGrouper = Callable[[], StoryGrouper]


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
        notify_admins: AdminNotice | None = None,
        parser: ParserPool | None = None,
        new_grouper: NewGrouper | None = None,
    ) -> None:
        self._svc = services
        self._new_grouper = new_grouper
        self._stories: StoryGrouper | None = None
        """The open stories; None until loaded (and after a write rolled back)."""
        self._grouping = False
        """Whether the current write has reached the grouper."""
        self._fetcher = fetcher
        self._base = base_interval
        self._parser = parser or ParserPool(workers=0)
        self._notify_admins = notify_admins or _no_notice
        self._running = asyncio.Lock()
        self._writes: list[_Write] = []
        self._writer: asyncio.Task[None] | None = None

    async def poll(self, *, everything: bool = False) -> PollSummary | None:
        """Poll the due feeds (or all active ones); None when a poll is already running."""
        if self._running.locked():
            return None
        async with self._running:
            started = time.perf_counter()
            now = self._svc.clock()
            async with self._svc.read() as session:
                rows = (
                    [f for f in await feed_store.all_feeds(session) if f.active]
                    if everything
                    else await feed_store.due_feeds(session, now)
                )
                feeds = [feed_store.state_of(row) for row in rows]
            outcomes = await asyncio.gather(*(self._poll_feed(feed) for feed in feeds))
            summary = PollSummary(list(outcomes), time.perf_counter() - started)
            if feeds:
                self._svc.last_poll_seconds = summary.seconds
            if summary.alerts_queued:
                self._svc.wake_delivery()
            if feeds:
                log.info("poll: %s", summary.describe())
            return summary

    async def load_stories(self) -> None:
        """(Re)build the story window from the articles stored in the last 48 hours, off the
        event loop: the lemmatizer reads every one of them."""
        if self._new_grouper is None:
            return
        grouper = self._new_grouper()
        async with self._svc.read() as session:
            stored = await articles.recent_reports(
                session, since=self._svc.clock() - grouper.window
            )
        await asyncio.to_thread(grouper.load, stored)
        self._stories = grouper
        log.info("stories: %d articles of the last %s in the window", len(stored), grouper.window)

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

    async def _poll_feed(self, feed: FeedState) -> FeedOutcome:
        started = self._svc.clock()
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
            return await self._store(feed, result, parsed, started)
        except Exception as error:  # one feed's surprise must not stop the poll
            log.exception("poll of %s failed unexpectedly", feed.url)
            return await self._record_crash(feed, error)

    async def _store(
        self, feed: FeedState, result: FetchResult, parsed: ParsedFeed | None, started: datetime
    ) -> FeedOutcome:
        """Queue the feed's write and wait for it: writes are batched, one transaction each."""
        failure = failure_of(result, parsed)
        outcome = FeedOutcome(feed.url, "ok", bytes_read=result.bytes_read)
        if failure is not None:
            outcome.status = "error"
            outcome.error_kind = failure[0]
            outcome.error = result.error if result.error_kind is not None else failure[1]
        elif result.not_modified:
            outcome.status = "not_modified"
        write = _Write(
            feed.id, result, parsed, outcome, asyncio.get_running_loop().create_future(), started
        )
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
            if any(write.outcome.alerts_queued for write in batch):
                # Now, not at the end of the poll: one slow feed (a parse may take its whole
                # budget) must not hold back the alerts other feeds already queued.
                self._svc.wake_delivery()
            for write in batch:
                if not write.done.done():
                    write.done.set_result(None)
            for notice in notices:
                await self._notify_admins(notice)

    async def _write(self, batch: list[_Write], notices: list[str]) -> None:
        """One transaction: every feed row of the batch, and all their new articles at once."""
        svc = self._svc
        if self._stories is None:
            await self.load_stories()
        self._grouping = False
        try:
            async with svc.write() as session:
                await self._write_in(session, batch, notices)
        except BaseException:
            if self._grouping:  # the grouper may hold articles that were never stored
                self._stories = None
            raise

    async def _write_in(
        self, session: AsyncSession, batch: list[_Write], notices: list[str]
    ) -> None:
        """The batch's writes in the caller's transaction."""
        svc = self._svc
        rows = await feed_store.feeds_by_id(session, [write.feed_id for write in batch])
        now = svc.clock()
        to_store: list[tuple[_Write, int, bool]] = []
        for write in batch:
            row = rows.get(write.feed_id)
            if row is None:  # removed while we fetched
                continue
            update = decide(
                feed_store.state_of(row),
                write.result,
                write.parsed,
                now,
                base_interval=self._base,
                started=write.started,
            )
            feed_store.apply_update(row, update)
            if update.status == "error":
                log.warning(
                    "feed %s failed: %s: %s",
                    row.url,
                    update.state.last_error_kind,
                    update.state.last_error,
                )
                if update.notice:
                    notices.append(update.notice)
                continue
            if write.parsed is not None:
                to_store.append((write, row.id, row.backlog_done))
        if to_store:
            self._grouping = True
            results = await articles.store_batch(
                session,
                [
                    articles.FeedArticles(feed_id, write.parsed.articles, backlog_done)
                    for write, feed_id, backlog_done in to_store
                    if write.parsed is not None
                ],
                now=now,
                match=svc.index.match,
                search_index=svc.search,
                stories=self._stories,
            )
            for (write, feed_id, _done), stored in zip(to_store, results, strict=True):
                write.outcome.new_articles = stored.new_articles
                write.outcome.alerts_queued = stored.alerts_queued
                rows[feed_id].backlog_done = True

    async def _record_crash(self, feed: FeedState, error: Exception) -> FeedOutcome:
        svc = self._svc
        message = f"{type(error).__name__}: {error}"
        async with svc.write() as session:
            row = (await feed_store.feeds_by_id(session, [feed.id])).get(feed.id)
            if row is not None:
                log.warning("feed %s failed: internal: %s", row.url, message)
                update = decide_failure(
                    feed_store.state_of(row),
                    "internal",
                    message,
                    svc.clock(),
                    base_interval=self._base,
                )
                feed_store.apply_update(row, update)
        return FeedOutcome(feed.url, "error", error_kind="internal", error=message)
