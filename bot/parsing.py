"""Feed parsing off the event loop, in worker processes, each parse within a time budget.

feedparser is pure Python: parsing a thousand feeds in threads would hold the GIL that the
event loop, the fetcher and the store need. Worker processes parse in parallel on other cores;
if they cannot start or break, parsing falls back to a thread.

A feed is hostile input, and a parser bug or a pathological document can take minutes. Each
parse therefore has a time budget: a worker still busy when it runs out is killed and
replaced, and the feed gets a `ParsedFeed` that says so (`is_feed=False`), which the poll
records as the feed's error. Every worker is a single-process pool of its own, so killing
one never disturbs the parses running in the others. (In the thread fallback a runaway
parse cannot be stopped; the feed still gets its answer on time.)

Workers start when a parse needs one and exit after `IDLE_EXIT` seconds without work: a
worker holds about 150 MB (feedparser and the language model), and between two polls a
bot of the default 300 s interval has nothing to parse. Starting one again costs about a
second at the next poll, outside any feed's budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType

from feeds.models import ParsedFeed
from feeds.parse import detect_language, parse_feed

log = logging.getLogger(__name__)

PARSE_TIME_BUDGET = 5.0
"""Seconds one parse may take. The largest feed of the corpus parses in about 0.3 s; a 10 MB
document of ordinary entries in about 3 s on this machine."""


IDLE_EXIT = 30.0
"""Seconds an idle worker is kept for the next parse before it exits."""


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


def _ready() -> int:
    """In a new worker: load the language model now, not inside a feed's budget; its pid."""
    detect_language("a sentence long enough to load the language model")
    return os.getpid()


def default_workers() -> int:
    """One worker per core, at most four (the event loop needs a core too, mostly waiting)."""
    return max(1, min(4, os.cpu_count() or 1))


def over_budget(seconds: float) -> ParsedFeed:
    """What a feed gets when its parse ran out of time."""
    return ParsedFeed(
        title="",
        link=None,
        language=None,
        ttl_seconds=None,
        articles=(),
        problem=f"parsing took longer than {seconds:g} s; the document was dropped",
        is_feed=False,
    )


@dataclass(slots=True, eq=False)  # workers are told apart by identity
class _Worker:
    """One worker process, as a pool of one so that it can be killed alone."""

    executor: ProcessPoolExecutor
    pid: int
    idle_since: float = 0.0


def _ignore_outcome(future: Future[ParsedFeed] | asyncio.Future[ParsedFeed]) -> None:
    """Retrieve an abandoned parse's outcome so that nobody logs it as never retrieved."""
    if not future.cancelled():
        future.exception()


class ParserPool:
    """Parses response bodies in worker processes; `workers=0` parses in a thread."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        time_budget: float = PARSE_TIME_BUDGET,
        idle_exit: float = IDLE_EXIT,
    ):
        self._workers = default_workers() if workers is None else workers
        self.time_budget = time_budget
        """Seconds one parse may take (counted from when a worker takes it, not queued)."""
        self.idle_exit = idle_exit
        """Seconds an idle worker waits for the next parse before it exits."""
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._free: asyncio.Semaphore | None = None
        self._reaper: asyncio.TimerHandle | None = None

    @property
    def worker_pids(self) -> list[int]:
        """The worker processes alive now (none while idle for longer than `idle_exit`)."""
        return [w.pid for w in [*self._idle, *self._busy]]

    async def parse(self, body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
        """The parsed feed, or `over_budget` when parsing took longer than the time budget."""
        if self._workers > 0:
            try:
                return await self._parse_in_process(body, url, headers)
            except (BrokenProcessPool, OSError, RuntimeError) as error:
                log.warning("parser processes unavailable (%s); parsing in a thread", error)
                self.close()
                self._workers = 0
        task = asyncio.ensure_future(asyncio.to_thread(parse_feed, body, url, headers))
        done, _ = await asyncio.wait({task}, timeout=self.time_budget)
        if not done:
            task.add_done_callback(_ignore_outcome)
            log.warning(
                "parsing %s took longer than %g s (thread left running)", url, self.time_budget
            )
            return over_budget(self.time_budget)
        return task.result()

    async def _parse_in_process(self, body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
        if self._free is None:
            self._free = asyncio.Semaphore(self._workers)
        async with self._free:
            worker = self._idle.pop() if self._idle else await self._start_worker()
            self._busy.add(worker)
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(worker.executor, parse_feed, body, url, headers)
            try:
                done, _ = await asyncio.wait({future}, timeout=self.time_budget)
            except BaseException:  # cancelled (shutdown): the worker may be mid-parse
                self._kill(worker, future)
                raise
            if not done:
                log.warning(
                    "parsing %s took longer than %g s; worker replaced", url, self.time_budget
                )
                self._kill(worker, future)
                return over_budget(self.time_budget)
            try:
                result = future.result()
            except BrokenProcessPool:
                self._kill(worker, future)
                raise
            self._busy.discard(worker)
            worker.idle_since = loop.time()
            self._idle.append(worker)
            self._schedule_exit(loop)
            return result

    def _schedule_exit(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._reaper is None:
            self._reaper = loop.call_later(self.idle_exit, self._exit_idle, loop)

    def _exit_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let the workers idle for `idle_exit` seconds go; check again for the others."""
        self._reaper = None
        now = loop.time()
        leaving = [w for w in self._idle if now - w.idle_since >= self.idle_exit]
        for worker in leaving:
            self._idle.remove(worker)
            worker.executor.shutdown(wait=False)  # the worker finishes nothing and exits
        if self._idle:
            oldest = min(w.idle_since for w in self._idle)
            self._reaper = loop.call_at(oldest + self.idle_exit, self._exit_idle, loop)

    async def _start_worker(self) -> _Worker:
        # spawn, not fork: the bot has threads (database, HTTP) that fork would copy in
        # whatever state they are.
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            pid = await asyncio.get_running_loop().run_in_executor(executor, _ready)
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        return _Worker(executor, pid)

    def _kill(self, worker: _Worker, future: asyncio.Future[ParsedFeed]) -> None:
        """Stop a worker that is stuck (or whose parse is no longer wanted) and forget it."""
        future.add_done_callback(_ignore_outcome)
        self._busy.discard(worker)
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop every worker; parses in flight end with `BrokenProcessPool` or are cancelled."""
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        for worker in [*self._idle, *self._busy]:
            worker.executor.shutdown(wait=False, cancel_futures=True)
        for worker in self._busy:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
        self._idle.clear()
        self._busy.clear()

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
