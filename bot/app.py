"""The composition root: builds the python-telegram-bot Application from Settings."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import make_url
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.delivery import Deliverer, DeliveryLimits
from bot.edits import Editor
from bot.health import Health
from bot.metrics import Metrics
from bot.poll import AdminNotice, PollSummary
from bot.ratelimit import PerRequestRateLimiter
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.telegram_request import AiohttpRequest
from db import articles
from db import feeds as feed_store
from feeds.clock import Clock, utc_now
from feeds.fetch import Fetcher
from handlers import admin as operators
from handlers import control, search, start, subscriptions
from handlers import settings as reader_settings
from handlers.context import SERVICES_KEY
from handlers.i18n import DEFAULT_LANGUAGE, LANGUAGES, command_menu, translator

log = logging.getLogger(__name__)

RUNTIME_KEY = "newsbot.runtime"
RETENTION_EVERY = timedelta(days=1)
COMPACT_EVERY = timedelta(seconds=10)
"""How often the subscription index checks whether /subscribe changes piled up."""


@dataclass
class Lifecycle:
    """What post_init opens and post_stop / post_shutdown close again."""

    settings: Settings
    clock: Clock
    fetcher: Fetcher | None
    limits: DeliveryLimits
    metrics: Metrics
    health: Health | None = None
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    runtime: Runtime | None = None
    """Given by `newsbot run` (opened before Telegram is reachable), else opened by post_init."""
    deliverer: Deliverer | None = None
    delivery_task: asyncio.Task[None] | None = None
    poll_task: asyncio.Task[PollSummary | None] | None = None

    def count_poll(self, task: asyncio.Task[PollSummary | None]) -> None:
        """Count a finished poll in the metrics (a cancelled or failed one counts nothing)."""
        if not task.cancelled() and task.exception() is None and (summary := task.result()):
            self.metrics.observe_poll(summary)

    def delivery_problem(self) -> str | None:
        """None while the delivery loop runs; else why not, for /healthz."""
        task = self.delivery_task
        if task is None:
            return "the delivery loop has not started"
        if task.done():
            error = None if task.cancelled() else task.exception()
            return f"the delivery loop ended: {error!r}" if error else "the delivery loop ended"
        if self.deliverer is not None and self.deliverer.database_problem:
            return f"the delivery loop {self.deliverer.database_problem}"
        return None


def file_url(base_url: str) -> str:
    """The Bot API file URL that goes with a base URL (`…/bot` → `…/file/bot`)."""
    if base_url.rstrip("/").endswith("/bot"):
        return base_url.rstrip("/")[: -len("/bot")] + "/file/bot"
    return base_url


class _Counting429(BaseRequest):
    """Counts Telegram's 429 answers in the metrics."""

    _metrics: Metrics

    async def _request_wrapper(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> bytes:
        try:
            return await super()._request_wrapper(url, method, request_data, **kwargs)
        except RetryAfter:
            self._metrics.telegram_429.inc()
            raise


class CountingRequest(_Counting429, HTTPXRequest):
    """The Bot API connection through httpx (and TELEGRAM_PROXY, if set), counting 429s."""

    def __init__(self, metrics: Metrics, *, proxy: str | None, pool_size: int) -> None:
        HTTPXRequest.__init__(self, connection_pool_size=pool_size, proxy=proxy or None)
        self._metrics = metrics


class CountingAiohttpRequest(_Counting429, AiohttpRequest):
    """The Bot API connection through aiohttp, counting 429s: five times less CPU a request
    than httpx, what 1,000 paid broadcasts a second need (bot/telegram_request.py)."""

    def __init__(self, metrics: Metrics, *, pool_size: int) -> None:
        AiohttpRequest.__init__(self, pool_size=pool_size)
        self._metrics = metrics


def _sending_request(metrics: Metrics, proxy: str | None) -> BaseRequest:
    """Sends (alerts, replies) over aiohttp; through a proxy over httpx, which speaks SOCKS
    too (and TELEGRAM_PROXY is tested with it). Room for every delivery in flight."""
    if proxy:
        return CountingRequest(metrics, proxy=proxy, pool_size=256)
    return CountingAiohttpRequest(metrics, pool_size=256)


def tick_of(settings: Settings) -> float:
    """Seconds between poll job ticks: a due feed starts within a second of its time, whatever
    the interval (a due-feeds query a second is cheap; a 15 s tick made feeds a tick late)."""
    return max(0.5, min(settings.POLL_INTERVAL / 2, 1.0))


def build_application(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    fetcher: Fetcher | None = None,
    delivery_limits: DeliveryLimits | None = None,
    metrics: Metrics | None = None,
    health: Health | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot, ready for `run_polling()` or a manual initialize/start."""
    token = settings.require_token()
    metrics = metrics or Metrics()
    proxy = settings.TELEGRAM_PROXY or None
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.TELEGRAM_API_URL)
        .base_file_url(file_url(settings.TELEGRAM_API_URL))
        # Only the Bot API goes through TELEGRAM_PROXY; the fetcher has its own client.
        .request(_sending_request(metrics, proxy))
        .get_updates_request(CountingRequest(metrics, proxy=proxy, pool_size=1))
        # Our delivery loop paces alerts itself and handles 429 per chat; the limiter paces
        # everything and retries replies without pausing all chats on one 429.
        .rate_limiter(PerRequestRateLimiter())
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(True)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[RUNTIME_KEY] = Lifecycle(
        settings,
        clock,
        fetcher,
        delivery_limits or DeliveryLimits.of(settings),
        metrics,
        health,
    )
    _add_handlers(application)
    return application


def _add_handlers(application: Application) -> None:  # type: ignore[type-arg]
    add = application.add_handler
    # Commands run from new messages only: an edited message must not run its command again.
    fresh = filters.UpdateType.MESSAGE
    # Posted in a channel where the bot is an administrator, these act for the channel.
    in_channels = fresh | filters.UpdateType.CHANNEL_POST
    for name, callback in (
        ("subscribe", subscriptions.subscribe),
        ("unsubscribe", subscriptions.unsubscribe),
        ("list", subscriptions.list_subscriptions),
    ):
        add(CommandHandler(name, callback, filters=in_channels))
    for name, callback in (
        ("start", start.start),
        ("help", start.help_command),
        ("search", search.search),
        ("pause", control.pause),
        ("resume", control.resume),
        ("settings", reader_settings.settings),
        ("language", reader_settings.language),
        ("timezone", reader_settings.timezone),
        ("sources", operators.sources),
        ("addfeed", operators.addfeed),
        ("removefeed", operators.removefeed),
        ("stats", operators.stats),
    ):
        add(CommandHandler(name, callback, filters=fresh))
    # Callback data is the reader's input: each prefix goes to a handler whose parser reads
    # (or ignores) whatever follows it; data no handler claims gets "out of date".
    add(CallbackQueryHandler(subscriptions.unsubscribe_button, pattern=r"^unsub:"))
    add(CallbackQueryHandler(subscriptions.mute_button, pattern=r"^(mute|unmute):"))
    add(CallbackQueryHandler(subscriptions.list_button, pattern=r"^list:"))
    add(CallbackQueryHandler(subscriptions.option_button, pattern=r"^opt:"))
    add(CallbackQueryHandler(subscriptions.mute_list_button, pattern=r"^mutes:"))
    add(CallbackQueryHandler(search.search_page, pattern=r"^s:"))
    add(CallbackQueryHandler(start.try_example, pattern=r"^try:"))
    add(CallbackQueryHandler(reader_settings.settings_button, pattern=r"^set:"))
    add(CallbackQueryHandler(reader_settings.language_button, pattern=r"^lang:"))
    add(CallbackQueryHandler(operators.removefeed_button, pattern=r"^rmfeed:"))
    add(CallbackQueryHandler(start.stale_button))
    add(ChatMemberHandler(control.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    add(MessageHandler(filters.StatusUpdate.MIGRATE, control.migrated))
    add(MessageHandler(filters.COMMAND & fresh, start.unknown_command))
    application.add_error_handler(_on_error)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every error from a handler or job with its traceback; tell the reader if we can."""
    log.error("error while handling %r", update, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        user = update.effective_user
        _ = translator(user.language_code if user else None)
        with contextlib.suppress(Exception):
            await update.effective_message.reply_text(
                _("Sorry, something went wrong on my side. Please try again in a moment.")
            )


def admin_notice(application: Application) -> AdminNotice:  # type: ignore[type-arg]
    """Sends a notice to every operator in ADMIN_IDS, ignoring failures (Telegram may be down)."""
    admins = _lifecycle(application).settings.admin_ids

    async def notify_admins(text: str) -> None:
        for admin in admins:
            with contextlib.suppress(Exception):
                await application.bot.send_message(admin, text, parse_mode=None)

    return notify_admins


def attach_runtime(application: Application, runtime: Runtime) -> None:  # type: ignore[type-arg]
    """Use a runtime opened outside (before Telegram was reachable) instead of opening one."""
    _lifecycle(application).runtime = runtime


def _lifecycle(application: Application) -> Lifecycle:  # type: ignore[type-arg]
    found = application.bot_data[RUNTIME_KEY]
    assert isinstance(found, Lifecycle)
    return found


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    life = _lifecycle(application)
    runtime = life.runtime
    if runtime is None:
        runtime = await life.stack.enter_async_context(
            open_runtime(
                life.settings,
                clock=life.clock,
                fetcher=life.fetcher,
                notify_admins=admin_notice(application),
            )
        )
        life.runtime = runtime
    svc = runtime.services
    application.bot_data[SERVICES_KEY] = svc
    deliverer = Deliverer(svc, application.bot, life.limits)
    deliverer.edits = Editor(svc, application.bot).edit_due
    life.deliverer = deliverer
    try:
        await _set_command_menus(application)
    except Exception:
        log.exception("could not set the command menu; going on without it")
    job_queue = application.job_queue
    assert job_queue is not None, "install python-telegram-bot[job-queue]"
    tick = tick_of(life.settings)
    job_queue.run_repeating(
        _poll_job,
        interval=tick,
        first=0.1,
        name="poll",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    job_queue.run_repeating(
        _retention_job,
        interval=RETENTION_EVERY,
        first=60,
        name="retention",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    job_queue.run_repeating(
        _compact_job,
        interval=COMPACT_EVERY,
        first=COMPACT_EVERY,
        name="compact",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    life.delivery_task = asyncio.create_task(deliverer.run(), name="delivery")
    if life.health is not None:
        life.health.delivery_problem = life.delivery_problem
    async with svc.read() as session:
        feeds = [feed for feed in await feed_store.all_feeds(session) if feed.active]
    log.info(
        "newsbot is up: %d feeds polled every %gs, %d subscriptions, database %s",
        len(feeds),
        life.settings.POLL_INTERVAL,
        len(svc.index),
        make_url(life.settings.DATABASE_URL).render_as_string(hide_password=True),
    )
    # What start-up built (the subscription index, the dictionaries, the story window, the
    # modules) lives as long as the process: out of the cyclic collector's way, so a full
    # collection no longer walks millions of objects (a 100 ms stall every few seconds at
    # 1,000 messages/s). Refcounting still frees them; only a cycle among them would stay.
    gc.collect()
    gc.freeze()


async def _set_command_menus(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu in every interface language; English for any other client language."""
    await application.bot.set_my_commands(command_menu(DEFAULT_LANGUAGE))
    for language in LANGUAGES:
        await application.bot.set_my_commands(command_menu(language), language_code=language)


async def _poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a poll of the due feeds unless one still runs.

    The poll runs as a task of its own rather than inside the job: the JobQueue waits for
    running jobs on shutdown, and a poll waiting on a slow feed would hold SIGTERM for up to a
    minute; the task is cancelled instead (its unfinished batch rolls back and is polled again).
    """
    life = _lifecycle(context.application)
    if life.health is not None:
        life.health.poll_ticked()
    if life.runtime is not None and (life.poll_task is None or life.poll_task.done()):
        life.poll_task = asyncio.create_task(life.runtime.poller.poll(), name="poll")
        life.poll_task.add_done_callback(life.count_poll)


async def _retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Prune articles older than RETENTION_DAYS, with their index rows."""
    life = _lifecycle(context.application)
    if life.runtime is None:
        return
    svc = life.runtime.services
    cutoff = svc.clock() - timedelta(days=life.settings.RETENTION_DAYS)
    async with svc.write() as session:
        pruned = await articles.prune_articles(session, before=cutoff)
    if pruned:
        log.info("retention: pruned %d articles older than %s", pruned, cutoff.date())


async def _compact_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Compact the subscription index when changes piled up, off the event loop."""
    life = _lifecycle(context.application)
    if life.runtime is not None and life.runtime.services.index.needs_compaction:
        await asyncio.to_thread(life.runtime.services.index.compact)


async def _post_stop(application: Application) -> None:  # type: ignore[type-arg]
    life = _lifecycle(application)
    if life.poll_task is not None:
        life.poll_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await life.poll_task
        life.poll_task = None
    if life.runtime is not None:
        await life.runtime.poller.cancel()
    if life.delivery_task is not None:
        life.delivery_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await life.delivery_task
        life.delivery_task = None
    if life.deliverer is not None:
        await life.deliverer.drain()


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    await _lifecycle(application).stack.aclose()
