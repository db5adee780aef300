"""Feed health over time: failures back off, a feed gone for days is switched off and reported."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.fakes import FeedServer, rss
from bot.runtime import open_runtime
from db import feeds as feed_store
from tests.integration.harness import db_count, make_settings


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_feed_gone_for_days_is_deactivated_and_the_admins_are_told(tmp_path: Path) -> None:
    clock = Clock()
    notices: list[str] = []
    with FeedServer() as server:
        url = server.set_feed(
            "/ok.xml", rss([{"title": "Eins", "guid": "1", "link": "https://x.org/1"}])
        )
        gone = server.set_response("/gone.xml", 410, b"Gone")
        settings = make_settings("http://127.0.0.1:9/bot", tmp_path, [url, gone])

        async def notify(text: str) -> None:
            notices.append(text)

        async def scenario() -> None:
            async with open_runtime(settings, clock=clock, notify_admins=notify) as runtime:
                for _ in range(6):  # a poll every day or so, as the backoff allows
                    summary = await runtime.poller.poll(everything=True)
                    assert summary is not None
                    clock.now += timedelta(hours=20)

        asyncio.run(scenario())
    assert db_count(settings, "SELECT active FROM feeds WHERE url = ?", gone) == 0
    assert db_count(settings, "SELECT consecutive_failures FROM feeds WHERE url = ?", gone) >= 4
    assert db_count(settings, "SELECT active FROM feeds WHERE url = ?", url) == 1
    assert db_count(settings, "SELECT count(*) FROM articles") == 1  # the other feed goes on
    assert len(notices) == 1 and gone in notices[0] and "410" in notices[0]


def test_failures_back_off_and_a_recovery_resets_the_count(tmp_path: Path) -> None:
    clock = Clock()
    with FeedServer() as server:
        url = server.set_response("/flaky.xml", 500, b"oops")
        settings = make_settings("http://127.0.0.1:9/bot", tmp_path, [url], POLL_INTERVAL=60)

        async def scenario() -> list[float]:
            delays = []
            async with open_runtime(settings, clock=clock) as runtime:
                for _ in range(3):
                    await runtime.poller.poll(everything=True)
                    async with runtime.services.read() as session:
                        (feed,) = await feed_store.all_feeds(session)
                    assert feed.next_poll_at is not None
                    delays.append((feed.next_poll_at - clock.now).total_seconds())
                server.set_feed("/flaky.xml", rss([{"title": "Zurück", "guid": "z"}]))
                await runtime.poller.poll(everything=True)
            return delays

        delays = asyncio.run(scenario())
    assert delays == [60, 120, 240]
    assert db_count(settings, "SELECT consecutive_failures FROM feeds") == 0
    assert db_count(settings, "SELECT count(*) FROM feeds WHERE last_error_kind = 'http_5xx'") == 1
