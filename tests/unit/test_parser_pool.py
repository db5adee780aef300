"""Parser processes exist only while there is parsing to do (issue 15 item 7: memory at rest)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.parsing import ParserPool

FEED = (
    b"<rss version='2.0'><channel><title>t</title><item><title>Raketen</title>"
    b"<link>https://example.org/a</link></item></channel></rss>"
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0] != "Z"  # a zombie has exited already
    except FileNotFoundError:
        return False


async def _until(predicate: Callable[[], bool], tries: int = 600) -> bool:
    for _ in range(tries):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_idle_workers_exit_and_come_back_for_the_next_parse() -> None:
    with ParserPool(workers=1, idle_exit=0.3) as pool:
        assert pool.worker_pids == []  # nothing started before the first feed
        first = await pool.parse(FEED, "https://example.org/feed", {})
        [pid] = pool.worker_pids
        assert await _until(lambda: pool.worker_pids == [] and not _alive(pid))
        again = await pool.parse(FEED, "https://example.org/feed", {})
        assert len(pool.worker_pids) == 1
    assert [a.title for a in first.articles] == [a.title for a in again.articles] == ["Raketen"]
