"""Feed parsing off the event loop, in worker processes.

feedparser is pure Python: parsing a thousand feeds in threads would hold the GIL that the
event loop, the fetcher and the store need. Worker processes parse in parallel on other cores;
if the pool cannot start or breaks, parsing falls back to a thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from feeds.models import ParsedFeed
from feeds.parse import parse_feed

log = logging.getLogger(__name__)


def _exit_with_parent(parent: int) -> None:
    """In a worker: leave when the bot is gone (even after `kill -9`, which runs no cleanup).

    The pool's queues hold both ends of their pipes in every worker, so a worker would
    otherwise wait for work forever, with the pool's resource tracker beside it.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def default_workers() -> int:
    """One worker per core, at most four (the event loop needs a core too, mostly waiting)."""
    return max(1, min(4, os.cpu_count() or 1))


class ParserPool:
    """Parses response bodies in worker processes; `workers=0` parses in a thread."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None

    async def parse(self, body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
        if self._workers > 0:
            try:
                pool = self._ensure_pool()
                return await asyncio.get_running_loop().run_in_executor(
                    pool, parse_feed, body, url, headers
                )
            except (BrokenProcessPool, OSError, RuntimeError) as error:
                log.warning("parser processes unavailable (%s); parsing in a thread", error)
                self.close()
                self._workers = 0
        return await asyncio.to_thread(parse_feed, body, url, headers)

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the bot has threads (database, HTTP) that fork would copy
            # in whatever state they are.
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
