"""`newsbot run` as a service: one instance active, faults at start waited out, not crashed on.

    lock (SQLite: one process; PostgreSQL: wait to be the leader)
    | HTTP server (/healthz, /metrics, webhook)
    | database (one line per failed attempt)
    | poll feeds meanwhile | Telegram (one line per failed attempt; a refused token ends it)
    | long polling or webhook, jobs, delivery
    | until SIGTERM, or the leader lock is lost

Everything a user would call a crash at start (Telegram or the database unreachable) is a
line in the log and a retry with backoff; only what retrying cannot fix (a refused token, a
second instance on SQLite, a taken port) ends the process, with one line and exit code 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from telegram import Update
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import Application

from bot.app import admin_notice, attach_runtime, build_application, tick_of
from bot.faults import DATABASE_UNREACHABLE, one_line
from bot.health import Health
from bot.http import HttpServer, Webhook, webhook_path
from bot.leader import (
    AdvisoryLeader,
    FileLock,
    LeadershipLost,
    SoleInstance,
    leader_engine,
    sqlite_lock_path,
)
from bot.metrics import Metrics
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from db.stats import outbox_numbers

log = logging.getLogger(__name__)

RETRY_DELAYS = (5.0, 10.0, 20.0, 40.0, 60.0)
"""Seconds between attempts to reach Telegram or the database; the last one repeats."""


class CannotStart(Exception):
    """What retrying cannot fix; the message is the one line the operator sees (exit 2)."""


def _delay(attempt: int, delays: Sequence[float]) -> float:
    return delays[min(attempt, len(delays) - 1)]


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep unless stop is set first; True when stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


class Service:
    """One `newsbot run` process, from its lock to its graceful stop."""

    def __init__(
        self,
        settings: Settings,
        stop: asyncio.Event,
        *,
        delays: Sequence[float] = RETRY_DELAYS,
        leader_retry: float | None = None,
    ) -> None:
        self.settings = settings
        self.stop = stop
        self.delays = delays
        self.leader_retry = leader_retry
        self.metrics = Metrics()
        self.health = Health(poll_tick=tick_of(settings))
        self.webhook = (
            Webhook(webhook_path(settings.WEBHOOK_URL), settings.WEBHOOK_SECRET)
            if settings.WEBHOOK_URL
            else None
        )
        self.http = HttpServer(self.health, self.metrics, webhook=self.webhook)
        self._notices: list[Callable[[str], Awaitable[None]]] = []

    async def run(self) -> int:
        """0 after a graceful stop; 1 when the leader lock was lost (the service manager starts
        the process again, as a standby). Raises CannotStart."""
        async with contextlib.AsyncExitStack() as stack:
            self._lock_sqlite(stack)
            await self._serve_http(stack)
            leader = await self._become_leader(stack)
            if leader is None:
                return 0
            self.metrics.active.set(1)
            self.health.role = "starting"
            runtime = await self._open_runtime(stack)
            if runtime is None:
                return 0
            self.http.refresh = self._refresher(runtime)
            application = build_application(self.settings, metrics=self.metrics, health=self.health)
            attach_runtime(application, runtime)
            if not await self._connect(application, runtime):
                return 0
            async with self._bot_running(application):
                self.health.become_active()
                return await self._until_stopped(leader)
        return 0

    def _lock_sqlite(self, stack: contextlib.AsyncExitStack) -> None:
        path = sqlite_lock_path(self.settings.DATABASE_URL)
        if path is not None:
            lock = FileLock(path)
            lock.acquire()
            stack.callback(lock.release)

    async def _serve_http(self, stack: contextlib.AsyncExitStack) -> None:
        listen = self.settings.listen
        if listen is None:
            return
        try:
            await self.http.start(*listen)
        except OSError as error:
            where = self.settings.HTTP_LISTEN
            raise CannotStart(f"HTTP_LISTEN {where}: {error.strerror or error}") from None
        stack.push_async_callback(self.http.stop)

    async def _become_leader(
        self, stack: contextlib.AsyncExitStack
    ) -> AdvisoryLeader | SoleInstance | None:
        """On PostgreSQL, wait until this process holds the leader lock; None when stopped
        first. On SQLite the file lock already made this process the only one."""
        if make_url(self.settings.DATABASE_URL).get_backend_name() != "postgresql":
            return SoleInstance()
        engine = leader_engine(self.settings.DATABASE_URL)
        stack.push_async_callback(engine.dispose)
        leader = (
            AdvisoryLeader(engine, retry_every=self.leader_retry)
            if self.leader_retry
            else AdvisoryLeader(engine)
        )
        stack.push_async_callback(leader.release)
        self.health.role = "standby"
        waiting = asyncio.create_task(leader.wait(on_standby=self._standing_by))
        stopping = asyncio.create_task(self.stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiting, stopping):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.stop.is_set():
            return None
        log.info("this instance is now the active one")
        return leader

    def _standing_by(self, reason: str) -> None:
        """A standby is healthy; one that cannot even reach the database is not."""
        if reason.startswith("database unreachable"):
            self.health.role = "starting"
            self.health.waiting_for = reason
        else:
            self.health.role = "standby"

    async def _open_runtime(self, stack: contextlib.AsyncExitStack) -> Runtime | None:
        """Migrate and open the database, retrying while it cannot be reached."""
        attempt = 0
        while True:
            try:
                return await stack.enter_async_context(self._runtime())
            except DATABASE_UNREACHABLE as error:
                delay = _delay(attempt, self.delays)
                self.health.waiting_for = f"the database: {one_line(error)}"
                log.warning(
                    "cannot reach the database: %s; retrying in %g s", one_line(error), delay
                )
                attempt += 1
                if await _wait(self.stop, delay):
                    return None

    @contextlib.asynccontextmanager
    async def _runtime(self) -> AsyncIterator[Runtime]:
        # The admin notices need the bot, which is not up yet: they go to whoever is in
        # _notices by then (nobody while Telegram is unreachable).
        async def notify_admins(text: str) -> None:
            for notice in self._notices:
                await notice(text)

        async with open_runtime(self.settings, notify_admins=notify_admins) as runtime:
            yield runtime

    def _refresher(self, runtime: Runtime) -> Callable[[], Awaitable[None]]:
        async def refresh() -> None:
            svc = runtime.services
            self.metrics.subscriptions_indexed.set(len(svc.index))
            async with svc.read() as session:
                numbers = await outbox_numbers(session, now=svc.clock())
            self.metrics.observe_outbox(numbers)

        return refresh

    async def _connect(self, application: Application, runtime: Runtime) -> bool:  # type: ignore[type-arg]
        """Initialize the bot (getMe) and set the webhook if any, retrying while Telegram cannot
        be reached and polling feeds meanwhile; False when stopped first. A refused token or
        webhook address raises CannotStart."""
        host = urlsplit(self.settings.TELEGRAM_API_URL).netloc or self.settings.TELEGRAM_API_URL
        polling = asyncio.create_task(self._poll_meanwhile(runtime), name="poll-meanwhile")
        try:
            attempt = 0
            while True:
                try:
                    await application.initialize()  # a no-op once it succeeded
                    if self.webhook is not None:
                        await application.bot.set_webhook(
                            self.settings.WEBHOOK_URL,
                            secret_token=self.settings.WEBHOOK_SECRET,
                            allowed_updates=Update.ALL_TYPES,
                        )
                    break
                except InvalidToken:
                    raise CannotStart(
                        "Telegram refused TELEGRAM_BOT_TOKEN (invalid or revoked): "
                        "check the token from @BotFather"
                    ) from None
                except BadRequest as error:  # only setWebhook asks anything of the settings
                    raise CannotStart(
                        f"Telegram refused WEBHOOK_URL {self.settings.WEBHOOK_URL}: "
                        f"{one_line(error)}"
                    ) from None
                except TelegramError as error:
                    delay = _delay(attempt, self.delays)
                    reason = one_line(error).rstrip(".")
                    self.health.waiting_for = f"Telegram at {host}: {reason}"
                    log.warning(
                        "cannot reach Telegram at %s: %s; retrying in %g s", host, reason, delay
                    )
                    attempt += 1
                    if await _wait(self.stop, delay):
                        return False
        finally:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        self._notices.append(admin_notice(application))
        return True

    async def _poll_meanwhile(self, runtime: Runtime) -> None:
        """Poll and store feeds while Telegram is away; alerts wait in the outbox."""
        tick = tick_of(self.settings)
        while True:
            try:
                summary = await runtime.poller.poll()
                if summary is not None:
                    self.metrics.observe_poll(summary)
            except Exception:
                log.exception("poll failed; trying again at the next tick")
            await asyncio.sleep(tick)

    @contextlib.asynccontextmanager
    async def _bot_running(self, application: Application) -> AsyncIterator[None]:  # type: ignore[type-arg]
        """Jobs, delivery and updates (long polling, or the webhook); stopped gracefully."""
        assert application.post_init is not None and application.updater is not None
        await application.post_init(application)
        if self.webhook is not None:
            # setWebhook was called while connecting; updates now reach the application.
            self.webhook.application = application
            log.info("receiving updates by webhook at %s", self.settings.WEBHOOK_URL)
        else:
            # Starting long polling deletes any webhook first (PTB's bootstrap).
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        try:
            yield
        finally:
            self.health.role = "stopping"
            if self.webhook is not None:
                self.webhook.application = None
            if application.updater.running:
                await application.updater.stop()
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
            await application.shutdown()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)

    async def _until_stopped(self, leader: AdvisoryLeader | SoleInstance) -> int:
        holding = asyncio.create_task(leader.hold())
        stopping = asyncio.create_task(self.stop.wait())
        await asyncio.wait({holding, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if holding.done() and not holding.cancelled():
            error = holding.exception()
            if isinstance(error, LeadershipLost):
                log.error("%s; stopping so that only one instance is active", error)
                return 1
            if error is not None:
                raise error
        holding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await holding
        return 0
